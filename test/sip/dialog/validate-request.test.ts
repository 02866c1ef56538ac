// UAS request validation (RFC 3261 §8.2): each rule on synthetic requests, then every RFC 4475
// message a UAS could be handed.
import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError, SipRequest, SipResponse, serializeMessage } from '../../../src/sip/parser/index.js';
import { KNOWN_METHODS, type UasCapabilities, validateRequest } from '../../../src/sip/dialog/validate-request.js';
import { manifest, torture } from '../parser/fixtures.js';

/** A plain UA: calls and OPTIONS, no extensions, SDP bodies. */
const UA: UasCapabilities = { methods: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'] };

const BASE: ReadonlyArray<readonly [string, string]> = [
  ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds'],
  ['Max-Forwards', '70'],
  ['To', '<sip:bob@example.com>'],
  ['From', '"Alice" <sip:alice@example.com>;tag=1928301774'],
  ['Call-ID', 'a84b4c76e66710@192.0.2.1'],
];

interface Build {
  method?: string;
  uri?: string;
  version?: string;
  /** CSeq value; `1 <method>` by default. */
  cseq?: string;
  /** Standard headers to leave out (Via, Max-Forwards, To, From, Call-ID, CSeq). */
  omit?: string[];
  /** Extra header lines, written after the standard ones. */
  add?: Array<[string, string]>;
  body?: string;
}

/** A request as it would arrive off the wire (parsed from text). */
function request(b: Build = {}): SipRequest {
  const method = b.method ?? 'OPTIONS';
  const lines = [`${method} ${b.uri ?? 'sip:bob@example.com'} ${b.version ?? 'SIP/2.0'}`];
  for (const [name, value] of [...BASE, ['CSeq', b.cseq ?? `1 ${method}`] as const]) {
    if (!(b.omit ?? []).includes(name)) lines.push(`${name}: ${value}`);
  }
  for (const [name, value] of b.add ?? []) lines.push(`${name}: ${value}`);
  const body = b.body ?? '';
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const m = parseMessage(lines.join('\r\n') + '\r\n\r\n' + body);
  expect(m).toBeInstanceOf(SipRequest);
  return m as SipRequest;
}

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n';

/**
 * Asserts an error response of `status` that is a proper answer to `req` (§8.2.6): Via, From,
 * Call-ID and CSeq copied, To copied with a tag added, and a message that survives the wire.
 */
function expectError(req: SipRequest, res: SipResponse | undefined, status: number): SipResponse {
  expect(res).toBeInstanceOf(SipResponse);
  const r = res!;
  expect(r.status).toBe(status);
  expect(r.headers('Via')).toEqual(req.headers('Via'));
  expect(r.headers('From')).toEqual(req.headers('From'));
  expect(r.headers('Call-ID')).toEqual(req.headers('Call-ID'));
  expect(r.headers('CSeq')).toEqual(req.headers('CSeq'));
  if (req.to !== undefined) {
    // §8.2.6.2: the To tag (a request that already has one keeps it).
    expect(r.to?.tag).toBeTruthy();
    if (req.to.tag !== undefined) expect(r.to?.tag).toBe(req.to.tag);
    expect(String(r.to?.uri)).toBe(String(req.to.uri));
  }
  const again = parseMessage(serializeMessage(r));
  expect(again).toBeInstanceOf(SipResponse);
  expect((again as SipResponse).status).toBe(status);
  return r;
}

describe('validateRequest: version and sanity (400 / 505)', () => {
  it('accepts a well-formed request', () => {
    expect(validateRequest(request(), UA)).toBeUndefined();
    expect(validateRequest(request({ method: 'INVITE', add: [['Content-Type', 'application/sdp']], body: SDP }), UA)).toBeUndefined();
  });

  it('answers 505 to a version other than SIP/2.0, before any other check', () => {
    const req = request({ version: 'SIP/3.0', omit: ['Call-ID'], method: 'FOO' });
    const res = expectError(req, validateRequest(req, UA), 505);
    expect(res.version).toBe('SIP/2.0');
  });

  it('takes the version case-insensitively (§7.1)', () => {
    expect(validateRequest(request({ version: 'sip/2.0' }), UA)).toBeUndefined();
  });

  for (const name of ['To', 'From', 'Call-ID', 'CSeq', 'Via']) {
    it(`answers 400 naming a missing ${name}`, () => {
      const req = request({ omit: [name] });
      const res = validateRequest(req, UA);
      expect(res?.status).toBe(400);
      expect(res?.reason).toBe(`Bad Request (missing ${name})`);
      if (name !== 'To') expectError(req, res, 400);
    });
  }

  it('a request without To gets a 400 without To (there is nothing to tag)', () => {
    const req = request({ omit: ['To', 'From'] });
    const res = expectError(req, validateRequest(req, UA), 400);
    expect(res.reason).toBe('Bad Request (missing To, From)');
    expect(res.to).toBeUndefined();
  });

  it('does not require Max-Forwards (RFC 2543 clients have none)', () => {
    expect(validateRequest(request({ omit: ['Max-Forwards'] }), UA)).toBeUndefined();
  });

  for (const [name, value] of [
    ['To', '<sip:carol@example.com>'],
    ['From', '<sip:dave@example.com>;tag=99'],
    ['Call-ID', 'other@192.0.2.9'],
    ['CSeq', '2 OPTIONS'],
    ['Max-Forwards', '69'],
    ['Expires', '60'],
    ['Content-Type', 'application/sdp'],
  ] as const) {
    it(`answers 400 to a second ${name} line (§7.3.1)`, () => {
      const add: Array<[string, string]> = name === 'Content-Type' || name === 'Expires' ? [[name, value], [name, value]] : [[name, value]];
      const req = request({ add });
      const res = expectError(req, validateRequest(req, UA), 400);
      expect(res.reason).toBe(`Bad Request (more than one ${name})`);
    });
  }

  it('lets list headers repeat (Via, Supported, Require ... on several lines)', () => {
    const req = request({
      add: [
        ['Via', 'SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKsecond'],
        ['Supported', 'timer'],
        ['Supported', '100rel'],
        ['Require', 'timer'],
        ['Require', 'timer'],
      ],
    });
    expect(validateRequest(req, { ...UA, extensions: ['timer'] })).toBeUndefined();
  });

  it('answers 400 when the CSeq method differs from the request method (§8.1.1.5)', () => {
    const req = request({ method: 'OPTIONS', cseq: '8 INVITE' });
    const res = expectError(req, validateRequest(req, UA), 400);
    expect(res.reason).toBe('Bad Request (CSeq method INVITE does not match OPTIONS)');
  });

  it('answers 400 to a CANCEL whose CSeq method is INVITE (§9.1: CANCEL carries CSeq method CANCEL)', () => {
    const req = request({ method: 'CANCEL', cseq: '1 INVITE' });
    expectError(req, validateRequest(req, UA), 400);
  });

  it('the CSeq method is compared case-sensitively', () => {
    const req = request({ method: 'OPTIONS', cseq: '1 options' });
    expectError(req, validateRequest(req, UA), 400);
  });

  it('a mismatch on a method it does not recognise gets 501 (RFC 4475 §3.1.2.18)', () => {
    const req = request({ method: 'NEWMETHOD', cseq: '1 INVITE' });
    expectError(req, validateRequest(req, UA), 501);
  });

  it('a mismatch on a known method it does not allow is still 400, not 405', () => {
    const req = request({ method: 'SUBSCRIBE', cseq: '1 INVITE' });
    expectError(req, validateRequest(req, UA), 400);
  });

  it('a mismatch on an extension method it implements is 400', () => {
    const req = request({ method: 'NEWMETHOD', cseq: '1 INVITE' });
    expectError(req, validateRequest(req, { methods: [...UA.methods, 'NEWMETHOD'] }), 400);
  });
});

describe('validateRequest: method (§8.2.1, 405 / 501)', () => {
  it('answers 405 with exactly our methods in Allow for an RFC method we do not allow', () => {
    const req = request({ method: 'SUBSCRIBE', add: [['Event', 'presence']] });
    const res = expectError(req, validateRequest(req, UA), 405);
    expect(res.reason).toBe('Method Not Allowed');
    expect(res.headers('Allow')).toEqual(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS']);
    expect(res.header('Allow')).toBe('INVITE');
    expect(res.headerFields().find((f) => f.name === 'Allow')?.value).toBe('INVITE, ACK, CANCEL, BYE, OPTIONS');
  });

  for (const method of KNOWN_METHODS.filter((m) => !UA.methods.includes(m))) {
    it(`405 for ${method}`, () => {
      const req = request({ method });
      expectError(req, validateRequest(req, UA), 405);
    });
  }

  it('answers 501 with Allow to a method it does not know', () => {
    const req = request({ method: 'FOO' });
    const res = expectError(req, validateRequest(req, UA), 501);
    expect(res.reason).toBe('Not Implemented');
    expect(res.headers('Allow')).toEqual([...UA.methods]);
  });

  it('methods are case-sensitive (§25.1): "invite" is not INVITE', () => {
    const req = request({ method: 'invite' });
    expectError(req, validateRequest(req, UA), 501);
  });

  it('an extension method listed in methods is allowed', () => {
    expect(validateRequest(request({ method: 'FOO' }), { methods: ['FOO'] })).toBeUndefined();
  });

  it('an empty Allow is still a valid header', () => {
    const req = request();
    const res = expectError(req, validateRequest(req, { methods: [] }), 405);
    expect(res.hasHeader('Allow')).toBe(true);
    expect(res.headers('Allow')).toEqual([]);
  });

  it('never answers an ACK, whatever is wrong with it', () => {
    const bad = [
      request({ method: 'ACK' }),
      request({ method: 'ACK', version: 'SIP/3.0' }),
      request({ method: 'ACK', omit: ['Call-ID', 'To'] }),
      request({ method: 'ACK', cseq: '1 INVITE' }),
      request({ method: 'ACK', uri: 'http://example.com/' }),
      request({ method: 'ACK', add: [['Require', 'nothingSupportsThis']] }),
      request({ method: 'ACK', add: [['Content-Type', 'application/unknown']], body: 'x' }),
      request({ method: 'ACK', add: [['To', '<sip:x@example.com>']] }),
    ];
    for (const req of bad) {
      expect(validateRequest(req, UA)).toBeUndefined();
      expect(validateRequest(req, { methods: [] })).toBeUndefined();
    }
  });
});

describe('validateRequest: Request-URI (§8.2.2.1, 416)', () => {
  it('accepts sip, sips and tel by default', () => {
    for (const uri of ['sip:bob@example.com', 'sips:bob@example.com', 'tel:+1-201-555-0123', 'SIP:bob@example.com']) {
      expect(validateRequest(request({ uri }), UA)).toBeUndefined();
    }
  });

  it('answers 416 to another scheme', () => {
    for (const uri of ['http://example.com/', 'urn:service:sos', 'mailto:bob@example.com']) {
      const req = request({ uri });
      const res = expectError(req, validateRequest(req, UA), 416);
      expect(res.reason).toBe('Unsupported URI Scheme');
    }
  });

  it('takes the schemes from the capabilities', () => {
    const caps = { ...UA, schemes: ['SIP', 'urn'] };
    expect(validateRequest(request({ uri: 'urn:service:sos' }), caps)).toBeUndefined();
    expectError(request({ uri: 'tel:+12015550123' }), validateRequest(request({ uri: 'tel:+12015550123' }), caps), 416);
  });

  it('does not look at the To scheme (§8.2.2.1: accept unknown schemes in To)', () => {
    const req = request({ omit: ['To'], add: [['To', '<tel:+12015550123>']] });
    expect(validateRequest(req, { ...UA, schemes: ['sip'] })).toBeUndefined();
  });

  it('answers 400 to headers in a SIP Request-URI (§19.1.1)', () => {
    const req = request({ uri: 'sip:bob@example.com?Subject=hi' });
    const res = expectError(req, validateRequest(req, UA), 400);
    expect(res.reason).toBe('Bad Request (headers in Request-URI)');
  });

  it('answers 405 before looking at the URI', () => {
    const req = request({ method: 'SUBSCRIBE', uri: 'http://example.com/' });
    expectError(req, validateRequest(req, UA), 405);
  });
});

describe('validateRequest: Require (§8.2.2.3, 420)', () => {
  it('answers 420 with Unsupported listing the unknown tags only, once each', () => {
    const req = request({ add: [['Require', 'timer, foo'], ['Require', 'bar, FOO']] });
    const res = expectError(req, validateRequest(req, { ...UA, extensions: ['timer'] }), 420);
    expect(res.reason).toBe('Bad Extension');
    expect(res.headers('Unsupported')).toEqual(['foo', 'bar']);
  });

  it('compares option tags case-insensitively (§7.3.1: tokens)', () => {
    expect(validateRequest(request({ add: [['Require', '100REL']] }), { ...UA, extensions: ['100rel'] })).toBeUndefined();
  });

  it('with no extensions, any Require fails', () => {
    const req = request({ method: 'INVITE', add: [['Require', '100rel']] });
    expect(expectError(req, validateRequest(req, UA), 420).headers('Unsupported')).toEqual(['100rel']);
  });

  it('ignores Require in a CANCEL ("MUST be ignored")', () => {
    const req = request({ method: 'CANCEL', add: [['Require', 'nothingSupportsThis']] });
    expect(validateRequest(req, UA)).toBeUndefined();
  });

  it('ignores Proxy-Require (a proxy concern, §20.29)', () => {
    expect(validateRequest(request({ add: [['Proxy-Require', 'noProxiesSupportThis']] }), UA)).toBeUndefined();
  });

  it('answers 416 before 420', () => {
    const req = request({ uri: 'http://example.com/', add: [['Require', 'foo']] });
    expectError(req, validateRequest(req, UA), 416);
  });
});

describe('validateRequest: content (§8.2.3, 415)', () => {
  const invite = (contentType: string | undefined, body = SDP, more: Array<[string, string]> = []): SipRequest =>
    request({ method: 'INVITE', add: [...(contentType === undefined ? [] : [['Content-Type', contentType] as [string, string]]), ...more], body });

  it('accepts application/sdp with parameters, in any case, with spaces around the slash', () => {
    for (const ct of ['application/sdp', 'Application/SDP', 'application/sdp;charset=UTF-8', 'application / sdp ; charset="utf-8"']) {
      expect(validateRequest(invite(ct), UA)).toBeUndefined();
    }
  });

  it('answers 415 with Accept listing our types to a type we do not understand', () => {
    const req = invite('application/unknownformat', '<audio/>');
    const res = expectError(req, validateRequest(req, UA), 415);
    expect(res.reason).toBe('Unsupported Media Type');
    expect(res.headers('Accept')).toEqual(['application/sdp']);
    expect(res.hasHeader('Accept-Encoding')).toBe(false);
  });

  it('takes the types from the capabilities', () => {
    const caps = { ...UA, contentTypes: ['application/sdp', 'Multipart/Mixed'] };
    expect(validateRequest(invite('multipart/mixed;boundary=xyz', '--xyz--'), caps)).toBeUndefined();
    const req = invite('text/plain', 'hi');
    expect(expectError(req, validateRequest(req, caps), 415).headers('Accept')).toEqual(['application/sdp', 'multipart/mixed']);
  });

  it('answers 415 with Accept-Encoding: identity to a Content-Encoding other than identity', () => {
    const req = invite('application/sdp', SDP, [['Content-Encoding', 'gzip']]);
    const res = expectError(req, validateRequest(req, UA), 415);
    expect(res.headers('Accept-Encoding')).toEqual(['identity']);
    expect(res.hasHeader('Accept')).toBe(false);
    expect(validateRequest(invite('application/sdp', SDP, [['e', 'Identity']]), UA)).toBeUndefined();
  });

  it('lists both Accept and Accept-Encoding when both are wrong', () => {
    const req = invite('text/plain', 'hi', [['Content-Encoding', 'gzip']]);
    const res = expectError(req, validateRequest(req, UA), 415);
    expect(res.headers('Accept')).toEqual(['application/sdp']);
    expect(res.headers('Accept-Encoding')).toEqual(['identity']);
  });

  it('answers 400 to a body without Content-Type (§20.15)', () => {
    const req = invite(undefined, SDP);
    const res = expectError(req, validateRequest(req, UA), 400);
    expect(res.reason).toBe('Bad Request (body without Content-Type)');
  });

  it('does not check Content-Type or Content-Encoding without a body', () => {
    expect(validateRequest(invite('application/unknownformat', ''), UA)).toBeUndefined();
    expect(validateRequest(invite('application/sdp', '', [['Content-Encoding', 'gzip']]), UA)).toBeUndefined();
  });

  it('ignores a body it does not understand when Content-Disposition says handling=optional (§20.11)', () => {
    expect(validateRequest(invite('application/unknownformat', 'x', [['Content-Disposition', 'render; handling=optional']]), UA)).toBeUndefined();
    const req = invite('application/unknownformat', 'x', [['Content-Disposition', 'render;handling=required']]);
    expectError(req, validateRequest(req, UA), 415);
  });

  it('answers 420 before 415', () => {
    const req = invite('text/plain', 'hi', [['Require', 'foo']]);
    expectError(req, validateRequest(req, UA), 420);
  });
});

describe('validateRequest: responses', () => {
  it('keeps the To tag of an in-dialog request', () => {
    const req = request({ method: 'BYE', omit: ['To'], add: [['To', '<sip:bob@example.com>;tag=abc123'], ['Require', 'foo']] });
    const res = expectError(req, validateRequest(req, UA), 420);
    expect(res.to?.tag).toBe('abc123');
  });

  it('adds a fresh To tag to each response', () => {
    const req = request({ method: 'FOO' });
    const a = validateRequest(req, UA);
    const b = validateRequest(req, UA);
    expect(a?.to?.tag).toMatch(/^[0-9a-f]{12}$/);
    expect(a?.to?.tag).not.toBe(b?.to?.tag);
    expect(req.to?.tag).toBeUndefined(); // the request is not changed
  });
});

// ---------------------------------------------------------------------------------------------
// RFC 4475. Every semantic message, and what this function answers. `undefined` means the request
// passes UAS validation; the comment says which layer handles what RFC 4475 asks for then.

/** A UA that also acts as a registrar and knows a few extension methods. */
const REGISTRAR: UasCapabilities = { methods: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'INFO', 'MESSAGE'] };

function torturedRequest(name: string): SipRequest {
  const m = parseMessage(torture(name));
  expect(m).toBeInstanceOf(SipRequest);
  return m as SipRequest;
}

type Expectation = { status: number; check?: (res: SipResponse, req: SipRequest) => void } | { status: undefined; why: string } | { notARequest: string };

const RFC4475: Record<string, Expectation> = {
  // §3.1.2.11: 400 is acceptable; the parser kept the URI header, so we can see it and refuse it.
  escruri: { status: 400, check: (r) => expect(r.reason).toBe('Bad Request (headers in Request-URI)') },
  // §3.1.2.12: reject only if the Date matters. It does not to a UAS.
  baddate: { status: undefined, why: 'Date is informational; no layer rejects it' },
  // §3.1.2.13: 400 is reasonable, or infer the brackets. The parser inferred them (the Contact URI has the
  // Route header); what a binding may hold is the registrar's decision (REGISTER handling, §10.3).
  regbadct: { status: undefined, why: 'registrar: Contact handling' },
  // §3.1.2.16
  badvers: { status: 505 },
  // §3.1.2.17
  mismatch01: { status: 400, check: (r) => expect(r.reason).toBe('Bad Request (CSeq method INVITE does not match OPTIONS)') },
  // §3.1.2.18: "501 Not Implemented (400 is also acceptable; 501 is more future-proof)".
  mismatch02: { status: 501, check: (r) => expect(r.headers('Allow')).toEqual([...REGISTRAR.methods]) },
  // §3.2.1: a branch that is only the cookie. The transaction layer matches it the RFC 2543 way
  // (transaction/matching.ts serverKey), the alternative RFC 4475 allows to a 400.
  badbranch: { status: undefined, why: 'transaction layer: RFC 2543 matching' },
  // §3.3.1: no Call-ID, From or To → 400 (and no To to tag).
  insuf: {
    status: 400,
    check: (r) => {
      expect(r.reason).toBe('Bad Request (missing To, From, Call-ID)');
      expect(r.to).toBeUndefined();
    },
  },
  // §3.3.2
  unkscm: { status: 416 },
  // §3.3.3: 416 since this UAS never accepts soap.beep.
  novelsc: { status: 416 },
  // §3.3.4: a registrar answers 400 because the To AOR is not SIP/SIPS; §8.2.2.1 says a UAS should not
  // judge the To scheme. That 400 belongs to REGISTER handling (registrar, §10.3).
  unksm2: { status: undefined, why: 'registrar: To AOR must be sip/sips' },
  // §3.3.5: 420 with the Require tags; the Proxy-Require tags are a proxy's business.
  bext01: { status: 420, check: (r) => expect(r.headers('Unsupported')).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']) },
  // §3.3.6: an endpoint responds 415.
  invut: { status: 415, check: (r) => expect(r.headers('Accept')).toEqual(['application/sdp']) },
  // §3.3.7: registrars ignore the Authorization or challenge with 401: REGISTER handling / digest auth.
  regaut01: { status: undefined, why: 'registrar / digest auth: ignore or 401' },
  // §3.3.8
  multi01: { status: 400, check: (r) => expect(r.reason).toBe('Bad Request (more than one To, From, Call-ID, CSeq, Max-Forwards)') },
  // §3.3.9: does not parse (conflicting Content-Length); the transport answers the SipParseError.
  mcl01: { notARequest: 'parse error: the transport rejects it' },
  // §3.3.10: a response; the transaction layer discards it, validateRequest never sees it.
  bcast: { notARequest: 'a response' },
  // §3.3.11: Max-Forwards 0 matters to proxies (483, §16.3); an endpoint processes it normally.
  zeromf: { status: undefined, why: 'process normally' },
  // §3.3.12 / §3.3.13 / §3.3.14: registration succeeds; the bindings are the registrar's.
  cparam01: { status: undefined, why: 'registrar: binding without unknownparam' },
  cparam02: { status: undefined, why: 'registrar: binding with unknownparam as URI parameter' },
  regescrt: { status: undefined, why: 'registrar: binding keeps the escaped Route' },
  // §3.3.15: 406 (or 400) because the answer cannot be SDP. Accept constrains the response body,
  // which the INVITE session decides; it is not request content (§8.2.3).
  sdp01: { status: undefined, why: 'INVITE session: 406 Not Acceptable' },
  // §3.4.1: RFC 2543 syntax (no Max-Forwards, no branch, no From tag) is accepted.
  inv2543: { status: undefined, why: 'process normally' },
};

describe('validateRequest: RFC 4475 semantic messages', () => {
  it('has an expectation for every semantic message', () => {
    expect(Object.keys(RFC4475).sort()).toEqual(manifest.filter((c) => c.kind === 'semantic').map((c) => c.name).sort());
  });

  for (const c of manifest.filter((m) => m.kind === 'semantic')) {
    const e = RFC4475[c.name]!;
    const label = 'notARequest' in e ? e.notARequest : e.status === undefined ? `undefined (${e.why})` : String(e.status);
    it(`${c.name} (§${c.section}): ${label}`, () => {
      if ('notARequest' in e) {
        if (c.name === 'mcl01') expect(() => parseMessage(torture(c.name))).toThrow(SipParseError);
        else expect(parseMessage(torture(c.name))).toBeInstanceOf(SipResponse);
        return;
      }
      const req = torturedRequest(c.name);
      const res = validateRequest(req, REGISTRAR);
      if (e.status === undefined) {
        expect(res).toBeUndefined();
        return;
      }
      e.check?.(expectError(req, res, e.status), req);
    });
  }

  it('regaut01 and unksm2: a UA that is not a registrar answers REGISTER with 405', () => {
    for (const name of ['regaut01', 'unksm2', 'cparam01', 'regescrt']) {
      const req = torturedRequest(name);
      const res = expectError(req, validateRequest(req, UA), 405);
      expect(res.headers('Allow')).toEqual([...UA.methods]);
    }
  });

  it('novelsc: a UA that accepts soap.beep lets it through', () => {
    expect(validateRequest(torturedRequest('novelsc'), { ...REGISTRAR, schemes: ['sip', 'soap.beep'] })).toBeUndefined();
  });

  it('bext01: a UA that supports both tags lets it through', () => {
    const caps = { ...REGISTRAR, extensions: ['nothingsupportsthis', 'nothingSupportsThisEither'] };
    expect(validateRequest(torturedRequest('bext01'), caps)).toBeUndefined();
  });
});

describe('validateRequest: RFC 4475 valid messages', () => {
  // Valid requests pass; the two with unknown methods get 501, as RFC 4475 says an endpoint answers.
  const caps: UasCapabilities = { ...REGISTRAR, contentTypes: ['application/sdp', 'multipart/mixed'] };
  const expected: Record<string, number> = { intmeth: 501, esc02: 501 };
  for (const c of manifest.filter((m) => m.kind === 'valid')) {
    it(`${c.name} (§${c.section}): ${expected[c.name] ?? 'undefined'}`, () => {
      const m = parseMessage(torture(c.name));
      if (!(m instanceof SipRequest)) return; // unreason, noreason: responses
      const res = validateRequest(m, caps);
      const status = expected[c.name];
      if (status === undefined) expect(res).toBeUndefined();
      else expect(expectError(m, res, status).headers('Allow')).toEqual([...caps.methods]);
    });
  }
});
