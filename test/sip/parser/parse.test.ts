// parseMessage: framing, header handling, body, limits and errors.
import { describe, expect, it } from 'vitest';
import { MAX_HEADERS, MAX_HEADER_LINE, MAX_MESSAGE_BYTES, parseMessage, SipParseError, SipRequest, SipResponse } from '../../../src/sip/parser/index.js';

const HEAD = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
];

function msg(extra: string[] = [], body = '', head = HEAD): string {
  return [...head, ...extra].join('\r\n') + '\r\n\r\n' + body;
}

function parseError(input: Uint8Array | string): SipParseError {
  try {
    parseMessage(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SipParseError);
    return err as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

describe('start line', () => {
  it('parses a request line', () => {
    const m = parseMessage(msg()) as SipRequest;
    expect(m).toBeInstanceOf(SipRequest);
    expect(m.isRequest).toBe(true);
    expect(m.method).toBe('INVITE');
    expect(String(m.uri)).toBe('sip:bob@biloxi.example.com');
    expect(m.version).toBe('SIP/2.0');
  });

  it('parses a status line, with and without reason phrase', () => {
    const m = parseMessage('SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\n\r\n') as SipResponse;
    expect(m).toBeInstanceOf(SipResponse);
    expect([m.status, m.reason, m.isRequest]).toEqual([486, 'Busy Here', false]);
    expect((parseMessage('SIP/2.0 200\r\n\r\n') as SipResponse).reason).toBe('');
  });

  it('rejects status codes outside 100-699 and non-three-digit codes', () => {
    for (const code of ['099', '700', '20', '2000', 'abc']) {
      expect(parseError(`SIP/2.0 ${code} X\r\n\r\n`).reason).toMatch(/status code/);
    }
  });

  it('rejects malformed versions and request lines', () => {
    expect(parseError('INVITE sip:a@b SIP/2\r\n\r\n').reason).toMatch(/version/);
    expect(parseError('INVITE sip:a@b\r\n\r\n').reason).toMatch(/Request-Line/);
    expect(parseError('IN VITE sip:a@b SIP/2.0\r\n\r\n')).toBeInstanceOf(SipParseError);
    expect(parseError('INV<ITE sip:a@b SIP/2.0\r\n\r\n').reason).toMatch(/method/);
    expect(parseError('INVITE sip:a@b SIP/2.0\tX\r\n\r\n')).toBeInstanceOf(SipParseError);
  });

  it('reads the SIP version case-insensitively on status lines too (RFC 3261 §7.1)', () => {
    const m = parseMessage('Sip/2.0 100 Trying\r\n\r\n') as SipResponse;
    expect([m.status, m.version]).toEqual([100, 'Sip/2.0']);
  });

  it('does not take a trailing lone CR for a line end', () => {
    const err = parseError('SIP/2.0 100 OK\r\nContent-Length: 0\r\n\r');
    expect(err.offset).toBeLessThanOrEqual(36);
    expect(() => parseMessage('OPTIONS sip:a@b SIP/2.0\r\nX: 0\r\n\r')).toThrow(SipParseError);
  });

  it('ignores CRLFs before the start line (RFC 3261 §7.5) and rejects an empty message', () => {
    expect((parseMessage('\r\n\r\n' + msg()) as SipRequest).method).toBe('INVITE');
    expect(parseError('\r\n\r\n').reason).toBe('empty message');
    expect(parseError('').reason).toBe('empty message');
  });

  it('accepts bare LF line endings', () => {
    const m = parseMessage(msg().replace(/\r\n/g, '\n')) as SipRequest;
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.vias).toHaveLength(1);
  });
});

describe('headers', () => {
  it('looks names up case-insensitively', () => {
    const m = parseMessage(msg(['x-CUSTOM: 1']));
    expect(m.header('max-forwards')).toBe('70');
    expect(m.header('MAX-FORWARDS')).toBe('70');
    expect(m.header('X-Custom')).toBe('1');
    expect(m.header('absent')).toBeUndefined();
    expect(m.headers('absent')).toEqual([]);
    expect(m.hasHeader('CALL-ID')).toBe(true);
  });

  it('counts header lines without reading values: compact forms alike, a list on one line once', () => {
    const m = parseMessage(msg(['Supported: replaces, timer', 't: <sip:x@example.com>', 'Supported: 100rel']));
    expect(m.headerLineCount('to')).toBe(2);
    expect(m.headerLineCount('Supported')).toBe(2);
    expect(m.headers('Supported')).toHaveLength(3);
    expect(m.headerLineCount('Absent')).toBe(0);
  });

  it('understands every compact form', () => {
    const m = parseMessage(
      [
        'MESSAGE sip:a@example.com SIP/2.0',
        'v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1',
        'f: <sip:b@example.com>;tag=1',
        't: <sip:a@example.com>',
        'i: abc@def',
        'm: <sip:b@10.0.0.1>',
        'e: gzip',
        'c: text/plain',
        's: hello',
        'k: timer',
        'r: <sip:c@example.com>',
        'b: <sip:d@example.com>',
        'o: refer',
        'u: refer, presence',
        'x: 1800',
        'l: 2',
        '',
        'hi',
      ].join('\r\n'),
    );
    expect(m.vias[0]?.branch).toBe('z9hG4bK1');
    expect(m.from?.tag).toBe('1');
    expect(String(m.to?.uri)).toBe('sip:a@example.com');
    expect(m.callId).toBe('abc@def');
    expect(m.contacts).toHaveLength(1);
    expect(m.header('Content-Encoding')).toBe('gzip');
    expect(m.contentType).toBe('text/plain');
    expect(m.header('Subject')).toBe('hello');
    expect(m.headers('Supported')).toEqual(['timer']);
    expect(m.header('Refer-To')).toBe('<sip:c@example.com>');
    expect(m.header('Referred-By')).toBe('<sip:d@example.com>');
    expect(m.header('Event')).toBe('refer');
    expect(m.headers('Allow-Events')).toEqual(['refer', 'presence']);
    expect(m.header('Session-Expires')).toBe('1800');
    expect(m.contentLength).toBe(2);
    expect(Buffer.from(m.body).toString()).toBe('hi');
  });

  it('unfolds continuation lines', () => {
    const m = parseMessage(msg(['Subject: I know you\'re there,', '\tpick up the phone', '   and talk to me!']));
    expect(m.header('Subject')).toBe("I know you're there, pick up the phone and talk to me!");
  });

  it('still rejects an invalid header name after a lookup of that name', () => {
    const m = parseMessage(msg());
    expect(m.header('Bad Name')).toBeUndefined();
    expect(parseError(msg(['Bad Name: x'])).reason).toMatch(/invalid header name/);
  });

  it('rejects a folded line with no header before it, a line without colon and a bad name', () => {
    expect(parseError('OPTIONS sip:a@b SIP/2.0\r\n folded: x\r\n\r\n').reason).toMatch(/folded/);
    expect(parseError(msg(['NoColonHere'])).reason).toMatch(/without ":"/);
    expect(parseError(msg(['Bad Name: x'])).reason).toMatch(/invalid header name/);
    expect(parseError(msg([': x'])).reason).toMatch(/invalid header name/);
  });

  it('splits list headers across lines and commas, but not inside quotes or <>', () => {
    const m = parseMessage(
      msg([
        'Contact: "Doe, John" <sip:doe,john@example.com>;q=0.5, <sip:x@example.com>',
        'Contact: sip:y@example.com',
        'Allow: INVITE, ACK,BYE',
        'Allow: CANCEL',
        'Supported:',
      ]),
    );
    expect(m.contacts).toHaveLength(3);
    expect(m.headers('Contact')).toEqual(['"Doe, John" <sip:doe,john@example.com>;q=0.5', '<sip:x@example.com>', '<sip:y@example.com>']);
    expect(m.headers('Allow')).toEqual(['INVITE', 'ACK', 'BYE', 'CANCEL']);
    expect(m.header('Allow')).toBe('INVITE');
    expect(m.headers('Supported')).toEqual([]);
  });

  it('never splits WWW-Authenticate, Authorization, Date or unknown headers', () => {
    const challenge = 'Digest realm="atlanta.example.com", qop="auth,auth-int", nonce="84f1c1ae6cbe5ua", algorithm=MD5';
    const m = parseMessage(
      msg([
        `WWW-Authenticate: ${challenge}`,
        'WWW-Authenticate: Digest realm="b", nonce="c", algorithm=SHA-256',
        'Authorization: Digest username="bob", realm="b", uri="sip:a@b", response="0"',
        'Date: Sat, 13 Nov 2010 23:29:00 GMT',
        'X-List: a, b, c',
      ]),
    );
    expect(m.headers('WWW-Authenticate')).toEqual([challenge, 'Digest realm="b", nonce="c", algorithm=SHA-256']);
    expect(m.headers('Authorization')).toHaveLength(1);
    expect(m.header('Date')).toBe('Sat, 13 Nov 2010 23:29:00 GMT');
    expect(m.headers('X-List')).toEqual(['a, b, c']);
  });

  it('keeps every header line in order with its name as written', () => {
    const m = parseMessage(msg(['X-A: 1', 'x-a: 2']));
    const names = m.headerFields().map((f) => f.name);
    expect(names).toEqual(['Via', 'Max-Forwards', 'To', 'From', 'Call-ID', 'CSeq', 'X-A', 'x-a']);
    expect(m.headers('X-A')).toEqual(['1', '2']);
  });

  it('validates the headers the stack needs, naming the header and its offset', () => {
    const text = msg(['Max-Forwards: 256']);
    const err = parseError(text);
    expect(err.header).toBe('Max-Forwards');
    expect(err.offset).toBe(text.lastIndexOf('Max-Forwards'));
    expect(parseError(msg(['Expires: 4294967296'])).header).toBe('Expires');
    expect(parseError(msg(['Retry-After: x'])).header).toBe('Retry-After');
    expect(parseError(msg(['Warning: 30 agent "text"'])).header).toBe('Warning');
    expect(parseError(msg(['Content-Type: sdp'])).header).toBe('Content-Type');
    expect(parseError(msg(['Contact: <sip:a@b>;q=2'])).header).toBe('Contact');
    expect(parseError(msg(['Contact: <sip:a@b>;expires=-1'])).header).toBe('Contact');
    expect(parseError(msg(['Route: <sip:a@b>,,<sip:c@d>'])).header).toBe('Route');
    expect(parseError(msg(['Call-ID: has space'])).header).toBe('Call-ID');
    expect(parseError(msg(['CSeq: 1INVITE'], '', HEAD.slice(0, -1))).header).toBe('CSeq');
  });

  it('accepts valid values of those headers', () => {
    const m = parseMessage(msg(['Expires: 3600', 'Retry-After: 18000;duration=3600', 'Retry-After: 120 (I am in a meeting)', 'Warning: 301 isi.edu "Incompatible network address type \\"E.164\\"", 399 [2001:db8::1]:5060 "x"', 'Content-Type: multipart/mixed; boundary="a b"']));
    expect(m.expires).toBe(3600);
    expect(m.headers('Warning')).toHaveLength(2);
  });

  it('rejects control characters except inside a quoted-pair', () => {
    expect(parseError(msg(['X-Bad: a\x01b'])).reason).toMatch(/control character 0x01/);
    expect(parseError(msg(['X-Bad: a\rb'])).reason).toMatch(/bare CR/);
    const ok = parseMessage(msg(['To: "a\\\x07b" <sip:x@y>'], '', HEAD.filter((h) => !h.startsWith('To'))));
    expect(ok.to?.displayName).toBe('a\x07b');
  });

  it('rejects header sections that are not UTF-8, with the byte offset', () => {
    const head = Buffer.from(msg(['X-Bin: ab']));
    const at = head.indexOf('ab');
    head[at] = 0xff;
    const err = parseError(head);
    expect(err.reason).toMatch(/UTF-8/);
    expect(err.offset).toBe(at);
  });

  it('decodes UTF-8 in display names and reports byte offsets after multibyte characters', () => {
    const text = msg(['X-Name: Zoë', 'Max-Forwards: x'], '', HEAD.filter((h) => !h.startsWith('Max')));
    const err = parseError(text);
    expect(err.offset).toBe(Buffer.byteLength(text.slice(0, text.indexOf('Max-Forwards: x'))));
    const m = parseMessage(msg(['X-Name: Zoë']));
    expect(m.header('X-Name')).toBe('Zoë');
  });

  it('requires the empty line that ends the headers', () => {
    expect(parseError(msg().slice(0, -2)).reason).toMatch(/missing empty line/);
  });
});

describe('body and Content-Length', () => {
  it('takes exactly Content-Length bytes and ignores the rest of the datagram', () => {
    const m = parseMessage(msg(['Content-Type: text/plain', 'Content-Length: 5'], 'hello, world'));
    expect(Buffer.from(m.body).toString()).toBe('hello');
    expect(m.contentLength).toBe(5);
  });

  it('counts bytes, not characters', () => {
    const m = parseMessage(msg(['Content-Type: text/plain', 'Content-Length: 6'], 'Zoë!!'));
    expect(m.bodyText).toBe('Zoë!!');
  });

  it('runs to the end of the datagram without Content-Length', () => {
    const m = parseMessage(msg(['Content-Type: text/plain'], 'the rest'));
    expect(m.contentLength).toBeUndefined();
    expect(m.bodyText).toBe('the rest');
  });

  it('rejects a Content-Length larger than what arrived, negative or conflicting', () => {
    expect(parseError(msg(['Content-Length: 10'], 'short')).reason).toMatch(/exceeds/);
    expect(parseError(msg(['Content-Length: -1'])).header).toBe('Content-Length');
    expect(parseError(msg(['Content-Length: 1', 'l: 2'], 'ab')).reason).toMatch(/conflicting/);
  });

  it('accepts a repeated Content-Length with the same value', () => {
    expect(parseMessage(msg(['Content-Length: 2', 'l: 02'], 'ab')).body.byteLength).toBe(2);
  });

  it('keeps binary bodies byte for byte and does not share the input buffer', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 9]);
    const input = Buffer.concat([Buffer.from(msg(['Content-Type: application/octet-stream', `Content-Length: ${body.length}`])), body]);
    const m = parseMessage(input);
    expect(Buffer.from(m.body).equals(body)).toBe(true);
    input.fill(0);
    expect(Buffer.from(m.body).equals(body)).toBe(true);
  });

  it('accepts a Uint8Array that is a view into a larger buffer', () => {
    const text = Buffer.from('garbage' + msg() + 'tail');
    const view = new Uint8Array(text.buffer, text.byteOffset + 7, text.length - 11);
    expect((parseMessage(view) as SipRequest).method).toBe('INVITE');
  });
});

describe('limits', () => {
  it('rejects messages over 65,535 bytes', () => {
    const big = msg(['Content-Type: text/plain'], 'x'.repeat(MAX_MESSAGE_BYTES));
    expect(parseError(big).reason).toMatch(/exceeds the 65535-byte limit/);
  });

  it(`rejects more than ${MAX_HEADERS} headers`, () => {
    const extra = Array.from({ length: MAX_HEADERS - (HEAD.length - 1) + 1 }, (_, i) => `X-H${i}: ${i}`);
    expect(parseError(msg(extra)).reason).toMatch(/more than 256 headers/);
    expect(() => parseMessage(msg(extra.slice(1)))).not.toThrow();
  });

  it(`rejects a header over ${MAX_HEADER_LINE} characters, folded or not`, () => {
    expect(parseError(msg([`X-Long: ${'a'.repeat(MAX_HEADER_LINE + 1)}`])).header).toBe('X-Long');
    const folded = ['X-Long: a', ...Array.from({ length: 9 }, () => ' ' + 'b'.repeat(1000))];
    expect(parseError(msg(folded)).reason).toMatch(/longer than/);
    expect(() => parseMessage(msg([`X-Long: ${'a'.repeat(MAX_HEADER_LINE)}`]))).not.toThrow();
  });
});

describe('error contract', () => {
  it('throws only SipParseError, even for inputs of the wrong type', () => {
    for (const bad of [undefined, null, 42, {}, [1, 2]]) {
      expect(() => parseMessage(bad as unknown as string)).toThrow(SipParseError);
    }
  });

  it('has a stable name, the reason and the location', () => {
    const err = parseError(msg(['Max-Forwards: -1']));
    expect(err.name).toBe('SipParseError');
    expect(err.message).toContain(err.reason);
    expect(err.message).toContain('Max-Forwards');
    expect(err).toBeInstanceOf(Error);
  });
});
