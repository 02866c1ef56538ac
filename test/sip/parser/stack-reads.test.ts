// The stack's own reads (peekVias, peekFrom, peekTo, peekCSeq, peekUri ...) leave a message written
// from its texts, as received or set; a value handed out by a public accessor may be changed, and
// is written from then on as it stands. A response copies what its request says either way.
import { describe, expect, it } from 'vitest';
import { addMadeHeader, editTopVia, firstValueText, peekCSeq, peekFrom, peekTag, peekTo, peekVias, type SipRequest, SipResponse } from '../../../src/sip/parser/message.js';
import { parseKnownHeader, PENDING } from '../../../src/sip/parser/typed-headers.js';
import { madeVia, type Via } from '../../../src/sip/parser/via.js';
import { createMadeRequest } from '../../../src/sip/parser/serialize.js';
import { createRequest, createResponse, parseMessage, serializeMessage, SipParseError, SipUri } from '../../../src/sip/parser/index.js';

// Written differently from how the typed values render: no quotes on the display name, a
// lower-case parameter name, extra spaces before parameters.
const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com ;branch=z9hG4bK776asdhds',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com> ;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function received(): SipRequest {
  return parseMessage(Buffer.from(INVITE, 'latin1')) as SipRequest;
}

function lines(bytes: Uint8Array): string[] {
  return Buffer.from(bytes).toString('latin1').split('\r\n');
}

describe("the stack's reads", () => {
  it('give the values the public accessors give', () => {
    const req = received();
    expect(peekVias(req)[0]!.branch).toBe('z9hG4bK776asdhds');
    expect(peekFrom(req)!.tag).toBe('1928301774');
    expect(peekTo(req)!.tag).toBeUndefined();
    expect(peekCSeq(req)).toMatchObject({ seq: 314159, method: 'INVITE' });
    expect(req.peekUri().toString()).toBe('sip:bob@biloxi.example.com');
    const again = received();
    expect(String(again.vias[0])).toBe(String(peekVias(req)[0]));
    expect(String(again.from)).toBe(String(peekFrom(req)));
  });

  it('leave the message written as it came', () => {
    const req = received();
    peekVias(req);
    peekFrom(req);
    peekTo(req);
    peekCSeq(req);
    req.peekUri();
    expect(Buffer.from(serializeMessage(req)).toString('latin1')).toBe(INVITE);
    expect(firstValueText(req, 'from')).toBe('Alice <sip:alice@atlanta.example.com> ;tag=1928301774');
  });

  it('do not stop a value handed out later from being changed and written', () => {
    const req = received();
    peekFrom(req);
    req.peekUri();
    const from = req.from!;
    from.tag = 'changed';
    (req.uri as SipUri).host = 'elsewhere.example.com';
    const out = lines(serializeMessage(req));
    expect(out[0]).toBe('INVITE sip:bob@elsewhere.example.com SIP/2.0');
    expect(out.find((l) => l.startsWith('From:'))).toBe('From: "Alice" <sip:alice@atlanta.example.com>;tag=changed');
    expect(firstValueText(req, 'from')).toBe('"Alice" <sip:alice@atlanta.example.com>;tag=changed');
  });
});

describe('peekTag', () => {
  it('reads the From and To tags from the texts, leaving them unread', () => {
    const req = received();
    expect(peekTag(req, 'from')).toBe('1928301774');
    expect(peekTag(req, 'to')).toBeUndefined();
    // no value was built: the fields are still pending
    expect(req.fields.filter((f) => f.key === 'from' || f.key === 'to').map((f) => f.typed)).toEqual([PENDING, PENDING]);
    expect(peekTag(new SipResponse(200, 'OK'), 'to')).toBeUndefined();
  });

  it('is what the public fromTag and toTag give, which hand nothing out', () => {
    const req = received();
    expect(req.fromTag).toBe('1928301774');
    expect(req.toTag).toBeUndefined();
    expect(req.fields.filter((f) => f.key === 'from' || f.key === 'to').map((f) => f.exposed)).toEqual([false, false]);
    expect(req.fromTag).toBe(req.from!.tag);
    req.to!.tag = 'set';
    expect(req.toTag).toBe('set');
    expect(new SipResponse(200, 'OK').toTag).toBeUndefined();
  });

  it("gives each message's own tags when read in turns (read again, a text gives what it gave)", () => {
    const a = received();
    const b = parseMessage(Buffer.from(INVITE.replace(';tag=1928301774', ';tag=other').replace('To: Bob <sip:bob@biloxi.example.com>', 'To: Bob <sip:bob@biloxi.example.com>;tag=b1'), 'latin1')) as SipRequest;
    for (let i = 0; i < 3; i++) {
      expect([peekTag(a, 'from'), peekTag(a, 'to'), peekTag(b, 'from'), peekTag(b, 'to')]).toEqual(['1928301774', undefined, 'other', 'b1']);
    }
    // A tag changed through the value after a read is what the next read gives.
    peekTag(a, 'from');
    a.from!.tag = 'later';
    expect(peekTag(a, 'from')).toBe('later');
    expect(peekTag(b, 'from')).toBe('other');
  });

  it('gives what a value handed out and changed says', () => {
    const req = received();
    req.from!.tag = 'changed';
    req.to!.tag = 'added';
    expect(peekTag(req, 'from')).toBe('changed');
    expect(peekTag(req, 'to')).toBe('added');
  });

  it('parses a text it cannot read quickly, and gives the same as the value', () => {
    const req = parseMessage(Buffer.from(INVITE.replace('From: Alice <sip:alice@atlanta.example.com> ;tag=1928301774', 'From: "A;tag=no" <sip:alice@atlanta.example.com>;Tag=1928301774'), 'latin1')) as SipRequest;
    expect(peekTag(req, 'from')).toBe('1928301774');
    expect(peekFrom(req)!.displayName).toBe('A;tag=no');
  });
});

describe('firstValueText', () => {
  it('gives the text of a single value without reading it, and the first of a list line', () => {
    const req = received();
    expect(firstValueText(req, 'to')).toBe('Bob <sip:bob@biloxi.example.com>');
    addMadeHeader(req, 'Route', 'route', '<sip:p1.example.com;lr>');
    expect(firstValueText(req, 'route')).toBe('<sip:p1.example.com;lr>');
    expect(req.fields.find((f) => f.key === 'route')!.typed).toBe(PENDING);
    req.addHeader('Contact', '<sip:a@192.0.2.1>, <sip:b@192.0.2.2>');
    expect(firstValueText(req, 'contact')).toBe('<sip:a@192.0.2.1>');
    expect(firstValueText(req, 'accept')).toBeUndefined();
  });
});

describe('createResponse', () => {
  it('copies the texts, and adds the To tag to the text', () => {
    const req = received();
    peekTo(req);
    const res = createResponse(req, 180, undefined, { toTag: 'a6c85cf' });
    const out = lines(serializeMessage(res));
    expect(out).toContain('To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf');
    expect(out).toContain('From: Alice <sip:alice@atlanta.example.com> ;tag=1928301774');
    expect(out).toContain('Via: SIP/2.0/UDP pc33.atlanta.example.com ;branch=z9hG4bK776asdhds');
    expect(peekTo(res)!.tag).toBe('a6c85cf');
    expect(res.to!.tag).toBe('a6c85cf');
    // the request is unchanged
    expect(peekTo(req)!.tag).toBeUndefined();
    expect(lines(serializeMessage(req))).toContain('To: Bob <sip:bob@biloxi.example.com>');
  });

  it('copies a value changed through a public accessor as changed, and the copy is its own', () => {
    const req = received();
    req.to!.displayName = 'Robert';
    const res = createResponse(req, 200, undefined, { toTag: 'x1' });
    expect(lines(serializeMessage(res))).toContain('To: "Robert" <sip:bob@biloxi.example.com>;tag=x1');
    expect(req.to!.tag).toBeUndefined();
  });

  it('shares what the stack read with the copy, and hands out a copy of its own from either side', () => {
    const req = received();
    peekFrom(req);
    peekVias(req);
    const res = createResponse(req, 200, undefined, { toTag: 't1' });
    // the response's From handed out and changed: the request's is not
    res.from!.displayName = 'Mallory';
    res.vias[0]!.branch = 'z9hG4bKother';
    expect(peekFrom(req)!.displayName).toBe('Alice');
    expect(peekVias(req)[0]!.branch).toBe('z9hG4bK776asdhds');
    expect(lines(serializeMessage(req))).toContain('From: Alice <sip:alice@atlanta.example.com> ;tag=1928301774');
    // and the other way round
    const res2 = createResponse(req, 180, undefined, { toTag: 't2' });
    req.from!.tag = 'changed';
    expect(peekFrom(res2)!.tag).toBe('1928301774');
    expect(lines(serializeMessage(res2))).toContain('From: Alice <sip:alice@atlanta.example.com> ;tag=1928301774');
    expect(lines(serializeMessage(res))).toContain('From: "Mallory" <sip:alice@atlanta.example.com>;tag=1928301774');
  });

  it('adds the To tag to a text it has not read, which stays unread', () => {
    const res = createResponse(received(), 180, undefined, { toTag: 'a6c85cf' });
    const to = res.fields.find((f) => f.key === 'to')!;
    expect(to.typed).toBe(PENDING);
    expect(to.raw).toBe('Bob <sip:bob@biloxi.example.com>;tag=a6c85cf');
    expect(peekTag(res, 'to')).toBe('a6c85cf');
    expect(res.to!.tag).toBe('a6c85cf');
  });

  it('keeps a To tag that is there already', () => {
    const req = parseMessage(Buffer.from(INVITE.replace('To: Bob <sip:bob@biloxi.example.com>', 'To: <sip:bob@biloxi.example.com>;tag=old'), 'latin1')) as SipRequest;
    const res = createResponse(req, 200, undefined, { toTag: 'new' });
    expect(lines(serializeMessage(res))).toContain('To: <sip:bob@biloxi.example.com>;tag=old');
    // (read from the text, or from the value)
    const read = parseMessage(Buffer.from(INVITE.replace('To: Bob <sip:bob@biloxi.example.com>', 'To: <sip:bob@biloxi.example.com>;tag=old'), 'latin1')) as SipRequest;
    peekTo(read);
    expect(lines(serializeMessage(createResponse(read, 200, undefined, { toTag: 'new' })))).toContain('To: <sip:bob@biloxi.example.com>;tag=old');
  });

  it('refuses a To tag that is not a token', () => {
    expect(() => createResponse(received(), 200, undefined, { toTag: 'a b' })).toThrow(SipParseError);
    expect(() => createResponse(received(), 200, undefined, { toTag: 'a\r\nX: y' })).toThrow(SipParseError);
  });
});

describe('createRequest', () => {
  const base = { method: 'OPTIONS', from: '<sip:a@x.example.com>;tag=1', to: '<sip:b@y.example.com>', callId: 'c1', cseq: 1 };

  it('writes a Request-URI given as text as it was given', () => {
    const req = createRequest({ ...base, uri: 'SIP:b@Y.example.com;transport=udp' });
    expect(lines(serializeMessage(req))[0]).toBe('OPTIONS SIP:b@Y.example.com;transport=udp SIP/2.0');
    expect((req.peekUri() as SipUri).params.get('transport')).toBe('udp');
    // the same text again (validated lately) gives the same
    const again = createRequest({ ...base, uri: 'SIP:b@Y.example.com;transport=udp' });
    expect(again.uriString).toBe('SIP:b@Y.example.com;transport=udp');
    expect((again.uri as SipUri).params.get('transport')).toBe('udp');
  });

  it('refuses an invalid Request-URI every time', () => {
    for (let i = 0; i < 2; i++) expect(() => createRequest({ ...base, uri: 'sip:b@y.example.com ' })).toThrow(/Request-URI/);
    expect(() => createRequest({ ...base, method: 'BAD METHOD', uri: 'sip:b@y.example.com' })).toThrow(SipParseError);
  });

  it('writes a changed Request-URI as it stands', () => {
    const req = createRequest({ ...base, uri: 'sip:b@y.example.com' });
    (req.uri as SipUri).user = 'carol';
    expect(lines(serializeMessage(req))[0]).toBe('OPTIONS sip:carol@y.example.com SIP/2.0');
  });
});

describe('editTopVia', () => {
  it('writes the changed Via once as text', () => {
    const req = received();
    editTopVia(req, (top) => {
      top.received = '192.0.2.1';
      return true;
    });
    expect(lines(serializeMessage(req))).toContain('Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1');
    expect(lines(serializeMessage(createResponse(req, 200, undefined, { toTag: 't' })))).toContain('Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1');
  });

  it('leaves the text alone when nothing changed', () => {
    const req = received();
    editTopVia(req, () => false);
    expect(lines(serializeMessage(req))).toContain('Via: SIP/2.0/UDP pc33.atlanta.example.com ;branch=z9hG4bK776asdhds');
  });
});

it('a response built in code is written as set', () => {
  const res = new SipResponse(200, 'OK');
  res.setHeader('To', 'Bob <sip:bob@b.example.com>;tag=9');
  expect(peekTo(res)!.tag).toBe('9');
  expect(lines(serializeMessage(res))).toContain('To: Bob <sip:bob@b.example.com>;tag=9');
});

describe("createMadeRequest (the stack's own requests)", () => {
  const made = {
    method: 'INVITE',
    uri: 'sip:bob@biloxi.example.com',
    from: 'Alice <sip:alice@atlanta.example.com>;tag=88sja8x',
    to: '<sip:bob@biloxi.example.com>',
    callId: 'f81d4fae@atlanta.example.com',
    cseq: 7,
  };

  it('writes the texts as made, and reads them as createRequest would build them', () => {
    const req = createMadeRequest({ ...made, via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8;rport', contact: '<sip:alice@192.0.2.1:5060>', body: 'v=0\r\n', contentType: 'application/sdp' });
    expect(lines(serializeMessage(req))).toEqual([
      'INVITE sip:bob@biloxi.example.com SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8;rport',
      'Max-Forwards: 70',
      'To: <sip:bob@biloxi.example.com>',
      'From: Alice <sip:alice@atlanta.example.com>;tag=88sja8x',
      'Call-ID: f81d4fae@atlanta.example.com',
      'CSeq: 7 INVITE',
      'Contact: <sip:alice@192.0.2.1:5060>',
      'Content-Type: application/sdp',
      'Content-Length: 5',
      '',
      'v=0',
      '',
    ]);
    const built = createRequest({ ...made, via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8;rport', contact: '<sip:alice@192.0.2.1:5060>', body: 'v=0\r\n', contentType: 'application/sdp' });
    expect(String(peekFrom(req))).toBe(String(built.from));
    expect(peekCSeq(req)).toEqual(built.cseq);
    expect(peekVias(req)[0]!.branch).toBe('z9hG4bKnashds8');
    expect(req.maxForwards).toBe(70);
    expect(req.contentType).toBe('application/sdp');
  });

  it('checks the Request-URI, the method, the Call-ID, the Contact, the CSeq number and the extra headers', () => {
    expect(() => createMadeRequest({ ...made, uri: 'sip:bob@biloxi.example.com ' })).toThrow(/Request-URI/);
    expect(() => createMadeRequest({ ...made, method: 'IN VITE' })).toThrow(SipParseError);
    expect(() => createMadeRequest({ ...made, callId: 'a b' })).toThrow(SipParseError);
    expect(() => createMadeRequest({ ...made, contact: '<sip:alice@' })).toThrow(SipParseError);
    expect(() => createMadeRequest({ ...made, cseq: -1 })).toThrow(/CSeq/);
    expect(() => createMadeRequest({ ...made, cseq: 2 ** 32 })).toThrow(/CSeq/);
    expect(() => createMadeRequest({ ...made, headers: [['Max-Forwards', 'many']] })).toThrow(SipParseError);
    expect(() => createMadeRequest({ ...made, body: 'x' })).toThrow(/Content-Type/);
  });

  it('writes one Content-Type when the extra headers carry one', () => {
    const req = createMadeRequest({ ...made, headers: [['Content-Type', 'application/sdp']], body: 'v=0\r\n', contentType: 'application/sdp' });
    expect(lines(serializeMessage(req)).filter((l) => l.startsWith('Content-Type:'))).toEqual(['Content-Type: application/sdp']);
  });
});

describe('addMadeHeader', () => {
  it('puts a line first of its header with atTop, after the last line of its header (here: none, so last of all) otherwise', () => {
    const req = received();
    addMadeHeader(req, 'Via', 'via', 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKtop', true);
    addMadeHeader(req, 'Subject', 'subject', 'made');
    const out = lines(serializeMessage(req));
    expect(out[1]).toBe('Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKtop');
    expect(out[2]).toBe('Via: SIP/2.0/UDP pc33.atlanta.example.com ;branch=z9hG4bK776asdhds');
    expect(peekVias(req).map((v) => v.branch)).toEqual(['z9hG4bKtop', 'z9hG4bK776asdhds']);
    expect(out.filter((l) => l.startsWith('Subject:'))).toEqual(['Subject: made']);
  });

  it('puts a line after the last line of its header without atTop, as addHeader does', () => {
    const req = received();
    addMadeHeader(req, 'Via', 'via', 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKlast');
    const out = lines(serializeMessage(req));
    expect(out[1]).toBe('Via: SIP/2.0/UDP pc33.atlanta.example.com ;branch=z9hG4bK776asdhds');
    expect(out[2]).toBe('Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKlast');
    expect(peekVias(req).map((v) => v.branch)).toEqual(['z9hG4bK776asdhds', 'z9hG4bKlast']);
  });
});

describe('madeVia (our Via, made with its value)', () => {
  // The value madeVia makes beside its text is what parsing that text gives: every field, every
  // parameter as written, and the text the value renders.
  const cases: Array<[string, string, number | undefined]> = [
    ['UDP', '192.0.2.1', 5060],
    ['UDP', '[2001:db8::1]', 5070],
    ['TCP', 'pc33.atlanta.example.com', 5062],
    ['UDP', 'host.example', undefined],
  ];
  for (const [transport, host, port] of cases) {
    it(`gives the value its text parses to: ${transport} ${host}${port === undefined ? '' : `:${port}`}`, () => {
      const { text, via } = madeVia(transport, host, port, 'z9hG4bK.Ab-1_!');
      expect(text).toBe(`SIP/2.0/${transport} ${host}${port === undefined ? '' : `:${port}`};branch=z9hG4bK.Ab-1_!;rport`);
      const parsed = (parseKnownHeader('via', text) as Via[])[0]!;
      expect(via).toEqual(parsed);
      expect(via.params.entries()).toEqual(parsed.params.entries());
      expect(String(via)).toBe(String(parsed));
      expect(via.branch).toBe('z9hG4bK.Ab-1_!');
      expect(via.params.get('rport')).toBeNull();
    });
  }

  it('goes in with addMadeHeader as text and value: read without a parse, handed out as a copy, written as changed', () => {
    const req = received();
    const { text, via } = madeVia('UDP', '192.0.2.9', 5060, 'z9hG4bKmade');
    addMadeHeader(req, 'Via', 'via', text, true, [via]);
    expect(peekVias(req)[0]).toBe(via);
    expect(lines(serializeMessage(req))[1]).toBe(`Via: ${text}`);
    // A public accessor hands out a copy; changing it changes the message, not the value made.
    const out = req.vias[0]!;
    expect(out).not.toBe(via);
    out.params.set('rport', '5099');
    expect(via.params.get('rport')).toBeNull();
    expect(lines(serializeMessage(req))[1]).toBe('Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKmade;rport=5099');
    // The rport parameter object is shared by every made Via: setting one replaces it, and the
    // next made Via still has rport without a value.
    expect(madeVia('UDP', '192.0.2.9', 5060, 'z9hG4bKnext').via.params.get('rport')).toBeNull();
  });

  it('made CSeq is read as the value its text parses to', () => {
    const req = createMadeRequest({ method: 'BYE', uri: 'sip:bob@192.0.2.4', from: '<sip:a@x.example>;tag=1', to: '<sip:b@y.example>;tag=2', callId: 'c1', cseq: 42 });
    expect(peekCSeq(req)).toEqual(parseKnownHeader('cseq', '42 BYE'));
    expect(lines(serializeMessage(req)).filter((l) => l.startsWith('CSeq:'))).toEqual(['CSeq: 42 BYE']);
  });
});
