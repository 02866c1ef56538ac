// Building and writing messages: createRequest, createResponse, serializeMessage, header mutation.
import { describe, expect, it } from 'vitest';
import { createRequest, createResponse, NameAddr, parseMessage, serializeMessage, SipParseError, SipRequest, SipResponse, SipUri, Via } from '../../../src/sip/parser/index.js';

const SDP = 'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n';

function invite(): SipRequest {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@biloxi.example.com',
    via: ['SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;rport', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1'],
    from: '"Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
    to: 'Bob <sip:bob@biloxi.example.com>',
    callId: 'a84b4c76e66710@pc33.atlanta.example.com',
    cseq: 314159,
    contact: '<sip:alice@pc33.atlanta.example.com>',
    headers: [['Allow', 'INVITE, ACK, CANCEL, BYE'], ['Timestamp', '54'], ['X-Trace', '  spaced   value  ']],
    body: SDP,
    contentType: 'application/sdp',
  });
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

describe('createRequest', () => {
  it('writes the mandatory headers of RFC 3261 §8.1.1, extra headers and the body', () => {
    const out = text(serializeMessage(invite()));
    expect(out).toBe(
      [
        'INVITE sip:bob@biloxi.example.com SIP/2.0',
        'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;rport, SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1',
        'Max-Forwards: 70',
        // a value given as text is written as given (once validated), not re-rendered
        'To: Bob <sip:bob@biloxi.example.com>',
        'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
        'CSeq: 314159 INVITE',
        'Contact: <sip:alice@pc33.atlanta.example.com>',
        'Allow: INVITE, ACK, CANCEL, BYE',
        'Timestamp: 54',
        'X-Trace: spaced   value',
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(SDP)}`,
        '',
        SDP,
      ].join('\r\n'),
    );
  });

  it('writes a header value changed through its typed form after it was set', () => {
    const req = invite();
    req.to!.tag = 'a6c85cf';
    req.contacts[0]!.toString(); // read only: still written as set
    const from = req.from!;
    from.displayName = 'Carol';
    const out = text(serializeMessage(req));
    expect(out).toContain('\r\nTo: "Bob" <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n');
    expect(out).toContain('\r\nFrom: "Carol" <sip:alice@atlanta.example.com>;tag=1928301774\r\n');
    expect(out).toContain('\r\nContact: <sip:alice@pc33.atlanta.example.com>\r\n');
  });

  it('keeps no link to a typed value it was given: changing it afterwards changes nothing', () => {
    const to = NameAddr.parse('<sip:bob@biloxi.example.com>');
    const req = createRequest({ method: 'OPTIONS', uri: 'sip:bob@biloxi.example.com', from: '<sip:a@b>;tag=1', to, callId: 'c', cseq: 1 });
    to.tag = 'later';
    expect(text(serializeMessage(req))).toContain('\r\nTo: <sip:bob@biloxi.example.com>\r\n');
    expect(req.to!.tag).toBeUndefined();
  });

  it('accepts typed values and a record of headers', () => {
    const req = createRequest({
      method: 'OPTIONS',
      uri: new SipUri({ host: 'example.com' }),
      from: new NameAddr({ uri: 'sip:a@example.com', params: { tag: 't' } }),
      to: new NameAddr({ uri: 'sip:example.com' }),
      callId: 'c1',
      cseq: 1,
      maxForwards: 0,
      via: new Via({ transport: 'UDP', host: '192.0.2.1', port: 5060, branch: 'z9hG4bKx' }),
      headers: { Accept: ['application/sdp', 'text/plain'], Supported: 'timer' },
    });
    expect(req.maxForwards).toBe(0);
    expect(req.headers('Accept')).toEqual(['application/sdp', 'text/plain']);
    expect(req.vias[0]?.port).toBe(5060);
    expect(req.cseq?.method).toBe('OPTIONS');
  });

  it('rejects invalid input with a SipParseError naming the header', () => {
    const base = { method: 'OPTIONS', uri: 'sip:a@example.com', from: '<sip:b@example.com>;tag=1', to: '<sip:a@example.com>', callId: 'x', cseq: 1 };
    const cases: Array<[Partial<typeof base> & Record<string, unknown>, RegExp]> = [
      [{ uri: 'not a uri' }, /Request-URI/],
      [{ from: 'nope' }, /From/],
      [{ callId: 'two words' }, /Call-ID/],
      [{ cseq: -5 }, /CSeq/],
      [{ method: 'BAD METHOD' }, /method/],
      [{ maxForwards: 300 }, /Max-Forwards/],
      [{ headers: { 'X-Inject': 'a\r\nVia: evil' } }, /CR or LF/],
      [{ headers: { 'Bad Name': 'x' } }, /header name/],
      [{ body: 'text without type' }, /Content-Type/],
    ];
    for (const [change, message] of cases) {
      expect(() => createRequest({ ...base, ...change } as never), JSON.stringify(change)).toThrow(SipParseError);
      expect(() => createRequest({ ...base, ...change } as never)).toThrow(message);
    }
  });
});

describe('createResponse', () => {
  it('copies Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6) and nothing else', () => {
    const req = invite();
    const res = createResponse(req, 180, undefined, { toTag: 'a6c85cf' });
    expect(res).toBeInstanceOf(SipResponse);
    expect([res.status, res.reason]).toEqual([180, 'Ringing']);
    expect(res.vias.map(String)).toEqual(req.vias.map(String));
    expect(String(res.from)).toBe(String(req.from));
    expect(res.to?.tag).toBe('a6c85cf');
    expect(res.callId).toBe(req.callId);
    expect(String(res.cseq)).toBe('314159 INVITE');
    expect(res.hasHeader('Contact')).toBe(false);
    expect(res.hasHeader('Allow')).toBe(false);
    expect(res.hasHeader('Timestamp')).toBe(false);
    expect(res.body.byteLength).toBe(0);
  });

  it('copies Timestamp into a 100 (RFC 3261 §8.2.6.1)', () => {
    expect(createResponse(invite(), 100).header('Timestamp')).toBe('54');
  });

  it('keeps an existing To tag and takes a custom reason, headers and body', () => {
    const req = invite();
    req.to!.tag = 'existing';
    const res = createResponse(req, 200, 'Fine', { toTag: 'new', headers: { Contact: '<sip:bob@192.0.2.4>' }, body: SDP, contentType: 'application/sdp' });
    expect(res.to?.tag).toBe('existing');
    expect(res.reason).toBe('Fine');
    expect(res.contacts).toHaveLength(1);
    expect(res.bodyText).toBe(SDP);
  });

  it('writes a body given as text as its UTF-8 bytes, ASCII or not, and gives the same bytes back', () => {
    const other = 'v=0\r\ns=caf\u00e9 \u2603\r\n';
    const sdp = (text: string): SipResponse => createResponse(invite(), 200, undefined, { toTag: 't', body: text, contentType: 'application/sdp' });
    for (const text of [SDP, other, SDP]) {
      const m = sdp(text);
      const bytes = Buffer.from(text, 'utf8');
      expect(Buffer.from(m.body).equals(bytes)).toBe(true);
      expect(m.bodyText).toBe(text);
      const wire = Buffer.from(serializeMessage(m));
      expect(wire.toString('utf8')).toContain(`Content-Length: ${bytes.byteLength}\r\n`);
      expect(wire.subarray(wire.byteLength - bytes.byteLength).equals(bytes)).toBe(true);
      // and it parses back to the same body
      expect((parseMessage(wire) as SipResponse).bodyText).toBe(text);
    }
    // (UTF-8 bytes of their own: not a view into a pooled Buffer's slab)
    const b = sdp(other).body;
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(b.byteLength);
  });

  it('does not share typed values with the request', () => {
    const req = invite();
    const res = createResponse(req, 200, undefined, { toTag: 'x' });
    res.vias[0]!.received = '192.0.2.99';
    expect(req.vias[0]?.received).toBeUndefined();
    expect(req.to?.tag).toBeUndefined();
  });

  it('rejects status codes outside 100-699', () => {
    expect(() => createResponse(invite(), 99)).toThrow(SipParseError);
    expect(() => createResponse(invite(), 700)).toThrow(SipParseError);
  });
});

describe('serializeMessage', () => {
  it('writes canonical header names and raw values of unknown headers exactly', () => {
    const input = [
      'OPTIONS sip:a@example.com SIP/2.0',
      'v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1',
      'i: abc',
      'CSEQ: 1 OPTIONS',
      'x-odd-Header:  a ,, b ;; "c"',
      'l: 0',
      '',
      '',
    ].join('\r\n');
    const out = text(serializeMessage(parseMessage(input)));
    expect(out).toBe(
      ['OPTIONS sip:a@example.com SIP/2.0', 'Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1', 'Call-ID: abc', 'CSeq: 1 OPTIONS', 'x-odd-Header: a ,, b ;; "c"', 'Content-Length: 0', '', ''].join('\r\n'),
    );
  });

  it('writes header names that are Object.prototype keys as they are', () => {
    const m = parseMessage('OPTIONS sip:a@b SIP/2.0\r\nconstructor: 1\r\n__proto__: 2\r\ntoString: 3\r\n\r\n');
    const out = text(serializeMessage(m));
    expect(out).toContain('\r\nconstructor: 1\r\n__proto__: 2\r\ntoString: 3\r\n');
    expect(parseMessage(out).header('__proto__')).toBe('2');
  });

  it('always writes the real body length, once', () => {
    const m = parseMessage('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 3\r\nContent-Type: text/plain\r\nl: 3\r\n\r\nabc');
    m.body = new Uint8Array(Buffer.from('longer body'));
    const out = text(serializeMessage(m));
    expect(out.match(/Content-Length/g)).toHaveLength(1);
    expect(out).toContain('Content-Length: 11\r\n');
    const noLength = parseMessage('MESSAGE sip:a@b SIP/2.0\r\nContent-Type: text/plain\r\n\r\nxyz');
    expect(text(serializeMessage(noLength))).toMatch(/Content-Length: 3\r\n\r\nxyz$/);
  });

  it('writes changes made through typed values', () => {
    const m = parseMessage(text(serializeMessage(invite())));
    m.vias[0]!.received = '203.0.113.5';
    m.vias[0]!.rport = 40123;
    m.to!.tag = 'totag';
    m.cseq!.seq = 314160;
    const again = parseMessage(serializeMessage(m));
    expect(again.vias[0]?.received).toBe('203.0.113.5');
    expect(again.vias[0]?.rport).toBe(40123);
    expect(again.to?.tag).toBe('totag');
    expect(again.cseq?.seq).toBe(314160);
  });

  it('round-trips the RFC 4475 valid messages to the same values', () => {
    const m = parseMessage(serializeMessage(invite()));
    expect(text(serializeMessage(m))).toBe(text(serializeMessage(invite())));
  });
});

describe('header mutation', () => {
  it('sets, adds, prepends and removes header lines', () => {
    const m = invite();
    m.prependHeader('Via', 'SIP/2.0/UDP edge.example.com;branch=z9hG4bKtop');
    expect(m.vias.map((v) => v.host)).toEqual(['edge.example.com', 'pc33.atlanta.example.com', 'proxy.example.com']);
    m.addHeader('Record-Route', '<sip:p1.example.com;lr>');
    m.prependHeader('Record-Route', '<sip:p0.example.com;lr>');
    expect(m.recordRoutes.map((r) => (r.uri as SipUri).host)).toEqual(['p0.example.com', 'p1.example.com']);
    m.setHeader('Max-Forwards', 69);
    expect(m.maxForwards).toBe(69);
    expect(m.removeHeader('via')).toBe(2);
    expect(m.vias).toEqual([]);
    expect(m.removeHeader('via')).toBe(0);
    // With no Via left, a prepended one goes first of all headers (RFC 3261 §7.3.1).
    m.prependHeader('Via', 'SIP/2.0/UDP again.example.com;branch=z9hG4bKnew');
    expect(m.headerFields()[0]?.name).toBe('Via');
    expect(() => m.setHeader('CSeq', 'nonsense')).toThrow(SipParseError);
    expect(m.cseq?.seq).toBe(314159);
  });

  it('setHeader keeps the position of the first replaced line', () => {
    const m = parseMessage('OPTIONS sip:a@b SIP/2.0\r\nX-A: 1\r\nX-B: 2\r\nx-a: 3\r\n\r\n');
    m.setHeader('X-A', 'new');
    expect(m.headerFields()).toEqual([
      { name: 'X-A', value: 'new' },
      { name: 'X-B', value: '2' },
    ]);
  });
});
