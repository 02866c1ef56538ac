// Digest authentication (RFC 3261 §22, RFC 7616, RFC 2617): the RFC examples, the client's
// answers to 401/407, stale and wrong-password handling, the server side, parsing, and that no
// secret ever shows in an error or a result.
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  authorizationFor,
  challengesOf,
  computeHa1,
  createDigestChallenge,
  DigestClient,
  DigestError,
  parseDigestChallenge,
  parseDigestCredentials,
  verifyDigest,
  type AuthorizeResult,
} from '../../../src/sip/dialog/digest.js';
import { createRequest, createResponse, CSeq, parseMessage, serializeMessage, SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';

const md5 = (s: string | Uint8Array): string => createHash('md5').update(s).digest('hex');
const sha256 = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

function request(init: { method?: string; uri?: string; body?: string; callId?: string } = {}): SipRequest {
  const method = init.method ?? 'REGISTER';
  return createRequest({
    method,
    uri: init.uri ?? 'sip:example.com',
    from: '<sip:alice@example.com>;tag=a73kszlfl',
    to: '<sip:alice@example.com>',
    callId: init.callId ?? '1j9FpLxk3uxtm8tn@192.0.2.1',
    cseq: 1,
    ...(init.body === undefined ? {} : { body: init.body, contentType: 'application/sdp' }),
  });
}

/** A 401 (or 407 with `proxy`) to `req` carrying these challenge values, one header line each. */
function challenge(req: SipRequest, values: string[], status = 401): SipResponse {
  const name = status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  return createResponse(req, status, undefined, { headers: values.map((v) => [name, v] as [string, string]) });
}

/** The request sent again as a user agent does: a copy, CSeq + 1, the credentials replaced. */
function retry(req: SipRequest, headers: ReadonlyArray<readonly [string, string]>): SipRequest {
  const copy = parseMessage(serializeMessage(req)) as SipRequest;
  copy.removeHeader('Authorization');
  copy.removeHeader('Proxy-Authorization');
  copy.setHeader('CSeq', new CSeq(req.cseq!.seq + 1, req.method));
  for (const [name, value] of headers) copy.addHeader(name, value);
  return copy;
}

function headersOf(r: AuthorizeResult): Array<[string, string]> {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.message}`);
  return r.headers;
}

function errorOf(r: AuthorizeResult): AuthenticationError {
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

let counter = 0;
const fixedCnonce = (): string => `cn${++counter}`;

describe('RFC examples', () => {
  // RFC 7616 §3.9.1 (password "Circle of Life" with a lower-case "of": erratum 4495).
  const rfc7616 = (algorithm: string): string =>
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
  const answer = (algorithm: string): ReturnType<typeof parseDigestCredentials> =>
    parseDigestCredentials(
      authorizationFor({
        challenge: parseDigestChallenge(rfc7616(algorithm)),
        method: 'GET',
        uri: '/dir/index.html',
        username: 'Mufasa',
        password: 'Circle of Life',
        cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
        nc: 1,
      }),
    );

  it('RFC 7616 §3.9.1 with MD5', () => {
    const c = answer('MD5');
    expect(c.response).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(c).toMatchObject({ username: 'Mufasa', realm: 'http-auth@example.org', uri: '/dir/index.html', algorithm: 'MD5', qop: 'auth', nc: '00000001' });
    expect(c.opaque).toBe('FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
    expect(c.cnonce).toBe('f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ');
  });

  it('RFC 7616 §3.9.1 with SHA-256', () => {
    const c = answer('SHA-256');
    expect(c.response).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(c.algorithm).toBe('SHA-256');
  });

  it('verifies the Authorization values printed in RFC 7616 §3.9.1', () => {
    const printed = (algorithm: string, response: string): string =>
      `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="${response}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
    const options = { method: 'GET', password: 'Circle of Life', realm: 'http-auth@example.org', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v' };
    expect(verifyDigest(printed('MD5', '8ca523f5e9506fed4657c9700eebdbec'), options)).toMatchObject({ ok: true, username: 'Mufasa', nc: 1, qop: 'auth' });
    expect(verifyDigest(printed('SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'), options)).toMatchObject({ ok: true, algorithm: 'SHA-256' });
    // RFC 2617's capital-O password is not the one of RFC 7616.
    expect(verifyDigest(printed('MD5', '8ca523f5e9506fed4657c9700eebdbec'), { ...options, password: 'Circle Of Life' })).toMatchObject({ ok: false, reason: 'wrong-response' });
  });

  it('RFC 2617 §3.5 (no algorithm in the challenge, so none echoed)', () => {
    const challengeText = 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const value = authorizationFor({
      challenge: parseDigestChallenge(challengeText),
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      cnonce: '0a4f113b',
      nc: 1,
    });
    const c = parseDigestCredentials(value);
    expect(c.response).toBe('6629fae49393a05397450978507c4ef1');
    expect(c.algorithm).toBeUndefined();
    expect(value).not.toContain('algorithm');
    expect(value).toContain('qop=auth, nc=00000001');
    expect(value).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    const printed =
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    expect(verifyDigest(printed, { method: 'GET', password: 'Circle Of Life' })).toMatchObject({ ok: true, username: 'Mufasa' });
  });
});

describe('parseDigestChallenge', () => {
  it('reads the RFC 3261 §22.2 challenge, folded over lines', () => {
    const c = parseDigestChallenge('Digest\r\n        realm="biloxi.com",\r\n        qop="auth,auth-int",\r\n        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",\r\n        opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(c).toMatchObject({ realm: 'biloxi.com', qop: ['auth', 'auth-int'], nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41', stale: false });
    expect(c.algorithm).toBeUndefined();
  });

  it('takes scheme and parameter names in any case, and stale only when true', () => {
    const c = parseDigestChallenge('DIGEST REALM="x", Nonce=abc/def+=, ALGORITHM=sha-256-SESS, Stale=TRUE, QOP="Auth"');
    expect(c).toMatchObject({ realm: 'x', nonce: 'abc/def+=', algorithm: 'sha-256-SESS', stale: true, qop: ['auth'] });
    expect(parseDigestChallenge('Digest realm="x", nonce="y", stale=false').stale).toBe(false);
    expect(parseDigestChallenge('Digest realm="x", nonce="y", stale=maybe').stale).toBe(false);
    expect(parseDigestChallenge('Digest realm="x", nonce="y", stale="true"').stale).toBe(true);
  });

  it('resolves quoted-pairs and keeps commas and equals signs inside quotes', () => {
    const c = parseDigestChallenge(String.raw`Digest realm="a \"quoted\", \\ realm=1", nonce="n\o"`);
    expect(c.realm).toBe('a "quoted", \\ realm=1');
    expect(c.nonce).toBe('no');
  });

  it('accepts loose spacing, empty list elements and tabs', () => {
    const c = parseDigestChallenge('Digest  realm = "x" ,nonce="y",,\t opaque=o ,');
    expect(c).toMatchObject({ realm: 'x', nonce: 'y', opaque: 'o' });
  });

  it('keeps unknown parameters and splits domain and qop', () => {
    const c = parseDigestChallenge('Digest realm="x", nonce="y", charset=UTF-8, userhash=true, Foo="a b", domain="sip:a.example  sip:b.example", qop="auth , auth-int,token"');
    expect(c.params).toMatchObject({ charset: 'UTF-8', userhash: 'true', foo: 'a b' });
    expect(c.domain).toEqual(['sip:a.example', 'sip:b.example']);
    expect(c.qop).toEqual(['auth', 'auth-int', 'token']);
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['another scheme', 'Basic realm="x"'],
    ['no parameters', 'Digest'],
    ['no nonce', 'Digest realm="x"'],
    ['no realm', 'Digest nonce="y"'],
    ['unterminated quote', 'Digest realm="x, nonce="y'],
    ['missing comma', 'Digest realm="x" nonce="y"'],
    ['duplicate parameter', 'Digest realm="x", Realm="z", nonce="y"'],
    ['empty value', 'Digest realm=, nonce="y"'],
    ['control character', 'Digest realm="a\u0001b", nonce="y"'],
    ['two challenges', 'Digest realm="x", nonce="y", Digest realm="z", nonce="w"'],
    ['empty qop', 'Digest realm="x", nonce="y", qop=""'],
    ['token68', 'Digest abcdef=='],
    ['junk after scheme', 'Digest ="x"'],
    ['quoted-pair escaping a line break', 'Digest realm="x\\\n", nonce="y"'],
  ])('throws DigestError for %s', (_what, value) => {
    let thrown: unknown;
    try {
      parseDigestChallenge(value);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DigestError);
    expect((thrown as DigestError).name).toBe('DigestError');
  });
});

describe('challengesOf', () => {
  it('gives every Digest challenge, skipping other schemes and malformed ones', () => {
    const res = challenge(request(), [
      'Digest realm="a", nonce="1", algorithm=SHA-256, qop="auth"',
      'Basic realm="a"',
      'Digest realm="a", qop="auth"',
      'Digest realm="a, nonce="2"',
      'Negotiate, Digest realm="b", nonce="3"',
      'Digest realm="a", nonce="4", algorithm=MD5, qop="auth"',
    ]);
    expect(challengesOf(res).map(({ proxy, challenge: c }) => [proxy, c.realm, c.nonce])).toEqual([
      [false, 'a', '1'],
      [false, 'b', '3'],
      [false, 'a', '4'],
    ]);
  });

  it('reads Proxy-Authenticate as proxy challenges, and nothing from other statuses', () => {
    const req = request();
    expect(challengesOf(challenge(req, ['Digest realm="p", nonce="1"'], 407))).toEqual([{ proxy: true, challenge: expect.objectContaining({ realm: 'p' }) }]);
    expect(challengesOf(createResponse(req, 200, undefined, { headers: [['WWW-Authenticate', 'Digest realm="x", nonce="y"']] }))).toEqual([]);
  });
});

describe('DigestClient', () => {
  const alice = (realm?: string): DigestClient => new DigestClient({ username: 'alice', password: 'wonderland', ...(realm === undefined ? {} : { realm }) }, { cnonce: fixedCnonce });

  it('answers a 401 with qop=auth: Request-URI as digest-uri, nc, cnonce, opaque and algorithm echoed', () => {
    const req = request({ uri: 'sip:registrar.example.com;transport=udp' });
    const { header, nonce } = createDigestChallenge({ realm: 'example.com', algorithm: 'SHA-256', opaque: 'op"aque' });
    const [[name, value]] = headersOf(alice().authorize(req, challenge(req, [header]))) as [[string, string]];
    expect(name).toBe('Authorization');
    const c = parseDigestCredentials(value);
    expect(c).toMatchObject({ username: 'alice', realm: 'example.com', nonce, uri: 'sip:registrar.example.com;transport=udp', qop: 'auth', nc: '00000001', algorithm: 'SHA-256', opaque: 'op"aque' });
    expect(c.cnonce).toMatch(/^cn\d+$/);
    expect(verifyDigest(value, { method: 'REGISTER', password: 'wonderland', realm: 'example.com', nonce, uri: req.uriString, opaque: 'op"aque', algorithm: 'SHA-256' })).toMatchObject({
      ok: true,
      username: 'alice',
      nc: 1,
    });
  });

  it('uses random cnonces by default', () => {
    const client = new DigestClient({ username: 'alice', password: 'pw' });
    const req = request();
    const res = challenge(req, ['Digest realm="r", nonce="n", qop="auth"']);
    const a = parseDigestCredentials(headersOf(client.authorize(req, res))[0]![1]).cnonce;
    const b = parseDigestCredentials(headersOf(client.authorize(request({ callId: 'other' }), res))[0]![1]).cnonce;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('answers a 407 with Proxy-Authorization', () => {
    const req = request({ method: 'INVITE', uri: 'sip:bob@biloxi.com' });
    const headers = headersOf(alice().authorize(req, challenge(req, ['Digest realm="atlanta.com", nonce="wf84f1ceczx41ae6cbe5aea9c8e88d359", qop="auth"'], 407)));
    expect(headers.map(([n]) => n)).toEqual(['Proxy-Authorization']);
  });

  it('answers an RFC 2069 challenge (no qop) without qop, nc or cnonce', () => {
    const req = request();
    const [[, value]] = headersOf(alice().authorize(req, challenge(req, ['Digest realm="old", nonce="n0nce"']))) as [[string, string]];
    const c = parseDigestCredentials(value);
    expect(c.qop).toBeUndefined();
    expect(c.nc).toBeUndefined();
    expect(c.cnonce).toBeUndefined();
    expect(c.algorithm).toBeUndefined();
    // RFC 2617 §3.2.2.1: request-digest = KD(H(A1), nonce ":" H(A2))
    expect(c.response).toBe(md5(`${md5('alice:old:wonderland')}:n0nce:${md5('REGISTER:sip:example.com')}`));
    expect(verifyDigest(value, { method: 'REGISTER', password: 'wonderland' }).ok).toBe(true);
  });

  it('computes MD5-sess with the session key of RFC 7616 §3.4.2', () => {
    const req = request();
    const [[, value]] = headersOf(alice().authorize(req, challenge(req, ['Digest realm="s", nonce="N", algorithm=MD5-sess, qop="auth"']))) as [[string, string]];
    const c = parseDigestCredentials(value);
    const ha1 = md5(`${md5('alice:s:wonderland')}:N:${c.cnonce}`);
    expect(c.response).toBe(md5(`${ha1}:N:00000001:${c.cnonce}:auth:${md5('REGISTER:sip:example.com')}`));
    expect(c.algorithm).toBe('MD5-sess');
    expect(verifyDigest(value, { method: 'REGISTER', password: 'wonderland', algorithm: 'MD5-sess' }).ok).toBe(true);
  });

  it('uses auth-int, hashing the body, when it is the only qop offered', () => {
    const req = request({ method: 'INVITE', uri: 'sip:bob@biloxi.com', body: 'v=0\r\n' });
    const [[, value]] = headersOf(alice().authorize(req, challenge(req, ['Digest realm="i", nonce="N", algorithm=SHA-256, qop="auth-int"']))) as [[string, string]];
    const c = parseDigestCredentials(value);
    expect(c.qop).toBe('auth-int');
    const ha2 = sha256(`INVITE:sip:bob@biloxi.com:${sha256('v=0\r\n')}`);
    expect(c.response).toBe(sha256(`${sha256('alice:i:wonderland')}:N:00000001:${c.cnonce}:auth-int:${ha2}`));
    expect(verifyDigest(value, { method: 'INVITE', password: 'wonderland', body: 'v=0\r\n' }).ok).toBe(true);
    expect(verifyDigest(value, { method: 'INVITE', password: 'wonderland', body: 'v=1\r\n' })).toMatchObject({ ok: false, reason: 'wrong-response' });
    // RFC 3261 §22.4 item 7: no body hashes as H("")
    expect(verifyDigest(value, { method: 'INVITE', password: 'wonderland' })).toMatchObject({ ok: false, reason: 'wrong-response' });
  });

  it('hashes an empty body as H("") for auth-int (RFC 3261 §22.4 item 7)', () => {
    const req = request();
    const [[, value]] = headersOf(alice().authorize(req, challenge(req, ['Digest realm="i", nonce="N", qop="auth-int"']))) as [[string, string]];
    const c = parseDigestCredentials(value);
    const ha2 = md5('REGISTER:sip:example.com:d41d8cd98f00b204e9800998ecf8427e');
    expect(c.response).toBe(md5(`${md5('alice:i:wonderland')}:N:00000001:${c.cnonce}:auth-int:${ha2}`));
  });

  it('prefers auth when both qop values are offered', () => {
    const req = request({ body: 'x' });
    const [[, value]] = headersOf(alice().authorize(req, challenge(req, ['Digest realm="r", nonce="N", qop="auth-int,auth"']))) as [[string, string]];
    expect(parseDigestCredentials(value).qop).toBe('auth');
  });

  it('prefers SHA-256 over MD5 in one realm, whatever the order (RFC 8760 §2.4 local policy)', () => {
    const req = request();
    const res = challenge(req, ['Digest realm="r", nonce="md5nonce", algorithm=MD5, qop="auth"', 'Digest realm="r", nonce="shanonce", algorithm=SHA-256, qop="auth"']);
    const headers = headersOf(alice().authorize(req, res));
    expect(headers).toHaveLength(1);
    expect(parseDigestCredentials(headers[0]![1])).toMatchObject({ algorithm: 'SHA-256', nonce: 'shanonce' });
  });

  it('falls back to MD5 when the stronger challenge cannot be used', () => {
    const req = request();
    const res = challenge(req, ['Digest realm="r", nonce="a", algorithm=SHA-512-256, qop="auth"', 'Digest realm="r", nonce="b", algorithm=MD5, qop="auth"']);
    expect(parseDigestCredentials(headersOf(alice().authorize(req, res))[0]![1])).toMatchObject({ algorithm: 'MD5', nonce: 'b' });
  });

  it('answers every realm of a forked 401, and every proxy of a 407', () => {
    const req = request({ method: 'INVITE', uri: 'sip:bob@biloxi.com' });
    const www = headersOf(alice().authorize(req, challenge(req, ['Digest realm="one", nonce="1", qop="auth"', 'Digest realm="two", nonce="2", qop="auth"'])));
    expect(www.map(([n, v]) => [n, parseDigestCredentials(v).realm])).toEqual([
      ['Authorization', 'one'],
      ['Authorization', 'two'],
    ]);
    const proxies = headersOf(alice().authorize(req, challenge(req, ['Digest realm="p1", nonce="1", qop="auth"', 'Digest realm="p2", nonce="2", qop="auth"'], 407)));
    expect(proxies.map(([n, v]) => [n, parseDigestCredentials(v).realm])).toEqual([
      ['Proxy-Authorization', 'p1'],
      ['Proxy-Authorization', 'p2'],
    ]);
  });

  it('answers each server of a shared realm (distinct nonces, RFC 3261 §22.3)', () => {
    const req = request();
    const headers = headersOf(alice().authorize(req, challenge(req, ['Digest realm="r", nonce="1", qop="auth"', 'Digest realm="r", nonce="2", qop="auth"', 'Digest realm="r", nonce="1", qop="auth"'])));
    expect(headers.map(([, v]) => parseDigestCredentials(v).nonce)).toEqual(['1', '2']);
  });

  it('answers only its own realm when it has one', () => {
    const req = request();
    const res = challenge(req, ['Digest realm="other", nonce="1", qop="auth"', 'Digest realm="mine", nonce="2", qop="auth"']);
    expect(headersOf(alice('mine').authorize(req, res)).map(([, v]) => parseDigestCredentials(v).realm)).toEqual(['mine']);
    const error = errorOf(alice('mine').authorize(req, challenge(req, ['Digest realm="other", nonce="1", qop="auth"'])));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ name: 'AuthenticationError', kind: 'unsupported', code: 401, realm: 'other' });
  });

  it.each([
    ['an unknown algorithm', ['Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"'], 401],
    ['no Digest challenge', ['Basic realm="r"'], 401],
    ['only unknown qop values', ['Digest realm="r", nonce="n", qop="auth-conf"'], 407],
    ['a -sess algorithm without qop (RFC 3261 §22.4 item 8)', ['Digest realm="r", nonce="n", algorithm=MD5-sess'], 401],
    ['no challenge at all', [], 401],
  ])('fails as unsupported for %s', (_what, values, status) => {
    const req = request();
    expect(errorOf(alice().authorize(req, challenge(req, values, status)))).toMatchObject({ name: 'AuthenticationError', kind: 'unsupported', code: status });
  });

  it('answers a stale challenge again and calls a second non-stale one a rejection', () => {
    const client = alice();
    const first = request();
    const c1 = createDigestChallenge({ realm: 'example.com' });
    const second = retry(first, headersOf(client.authorize(first, challenge(first, [c1.header]))));
    // The server's nonce expired: stale=true with a new nonce is not a failure.
    const c2 = createDigestChallenge({ realm: 'example.com', stale: true });
    const staleHeaders = headersOf(client.authorize(second, challenge(second, [c2.header])));
    expect(parseDigestCredentials(staleHeaders[0]![1])).toMatchObject({ nonce: c2.nonce, nc: '00000001' });
    const third = retry(second, staleHeaders);
    // A new non-stale challenge to the credentials we just sent: wrong password, not a loop.
    const error = errorOf(client.authorize(third, challenge(third, [createDigestChallenge({ realm: 'example.com' }).header])));
    expect(error).toMatchObject({ name: 'AuthenticationError', kind: 'rejected', code: 401, realm: 'example.com' });
    expect(error.message).toContain('example.com');
  });

  it('does not take stale=true with the nonce it already used as stale', () => {
    const client = alice();
    const first = request();
    const c1 = createDigestChallenge({ realm: 'r', nonce: 'same' });
    const second = retry(first, headersOf(client.authorize(first, challenge(first, [c1.header]))));
    const again = createDigestChallenge({ realm: 'r', nonce: 'same', stale: true });
    expect(errorOf(client.authorize(second, challenge(second, [again.header])))).toMatchObject({ kind: 'rejected' });
  });

  it('detects a wrong password against a real verifier, with code 407 for a proxy', () => {
    const client = new DigestClient({ username: 'alice', password: 'not-it' });
    const first = request({ method: 'INVITE', uri: 'sip:bob@biloxi.com' });
    const c1 = createDigestChallenge({ realm: 'atlanta.com', algorithm: 'SHA-256' });
    const second = retry(first, headersOf(client.authorize(first, challenge(first, [c1.header], 407))));
    const v = verifyDigest(second.header('Proxy-Authorization')!, { method: 'INVITE', password: 'wonderland', realm: 'atlanta.com', nonce: c1.nonce });
    expect(v).toMatchObject({ ok: false, reason: 'wrong-response', username: 'alice' });
    const c2 = createDigestChallenge({ realm: 'atlanta.com', algorithm: 'SHA-256' });
    expect(errorOf(client.authorize(second, challenge(second, [c2.header], 407)))).toMatchObject({ kind: 'rejected', code: 407, realm: 'atlanta.com' });
  });

  it('still answers a new realm when the request carries credentials for another one, and renews those', () => {
    const client = alice();
    const first = request({ method: 'INVITE', uri: 'sip:bob@biloxi.com' });
    const proxy = createDigestChallenge({ realm: 'atlanta.com' });
    const second = retry(first, headersOf(client.authorize(first, challenge(first, [proxy.header], 407))));
    // The proxy let it through; the UAS challenges in its own realm.
    const uas = createDigestChallenge({ realm: 'biloxi.com' });
    const headers = headersOf(client.authorize(second, challenge(second, [uas.header])));
    expect(headers.map(([n, v]) => [n, parseDigestCredentials(v).realm, parseDigestCredentials(v).nc])).toEqual([
      ['Authorization', 'biloxi.com', '00000001'],
      ['Proxy-Authorization', 'atlanta.com', '00000002'],
    ]);
    const third = retry(second, headers);
    expect(verifyDigest(third.header('Proxy-Authorization')!, { method: 'INVITE', password: 'wonderland', realm: 'atlanta.com', nonce: proxy.nonce }).ok).toBe(true);
  });

  it('reuses credentials on later requests with the nonce count incremented (RFC 7616 §3.4, RFC 3261 §22.3)', () => {
    const client = alice();
    const invite = request({ method: 'INVITE', uri: 'sip:bob@biloxi.com' });
    const c = createDigestChallenge({ realm: 'atlanta.com', algorithm: 'SHA-256-sess' });
    const sent = retry(invite, headersOf(client.authorize(invite, challenge(invite, [c.header], 407))));
    const first = parseDigestCredentials(sent.header('Proxy-Authorization')!);
    const bye = request({ method: 'BYE', uri: 'sip:bob@192.0.2.4' });
    const reused = client.reuseCredentials(sent, bye);
    expect(reused.map(([n]) => n)).toEqual(['Proxy-Authorization']);
    for (const [n, v] of reused) bye.addHeader(n, v);
    const second = parseDigestCredentials(reused[0]![1]);
    expect(second).toMatchObject({ nonce: c.nonce, nc: '00000002', uri: 'sip:bob@192.0.2.4', algorithm: 'SHA-256-sess' });
    expect(second.cnonce).toBe(first.cnonce); // -sess keeps the session key's cnonce
    const info = request({ method: 'INFO', uri: 'sip:bob@192.0.2.4', body: 'Signal=5' });
    const third = client.reuseCredentials(bye, info);
    expect(parseDigestCredentials(third[0]![1]).nc).toBe('00000003');
    // From the older request too: the count is per nonce, not per source request.
    expect(parseDigestCredentials(client.reuseCredentials(sent, info)[0]![1]).nc).toBe('00000004');
    const check = { password: 'wonderland', realm: 'atlanta.com', nonce: c.nonce };
    expect(verifyDigest(reused[0]![1], { ...check, method: 'BYE' })).toMatchObject({ ok: true, nc: 2 });
    expect(verifyDigest(third[0]![1], { ...check, method: 'INFO' })).toMatchObject({ ok: true, nc: 3 });
  });

  it('counts nonce uses across requests when a server hands out the same nonce again', () => {
    const client = alice();
    const res = (req: SipRequest): SipResponse => challenge(req, ['Digest realm="r", nonce="long-lived", qop="auth"']);
    const a = request({ callId: 'a' });
    const b = request({ callId: 'b' });
    expect(parseDigestCredentials(headersOf(client.authorize(a, res(a)))[0]![1]).nc).toBe('00000001');
    expect(parseDigestCredentials(headersOf(client.authorize(b, res(b)))[0]![1]).nc).toBe('00000002');
  });

  it('gives pre-emptively reused credentials one more round before calling them rejected', () => {
    const client = alice();
    const first = request();
    const c1 = createDigestChallenge({ realm: 'r' });
    const sent = retry(first, headersOf(client.authorize(first, challenge(first, [c1.header]))));
    const refresh = request({ callId: sent.callId! });
    for (const [n, v] of client.reuseCredentials(sent, refresh)) refresh.addHeader(n, v);
    // The registrar forgot the nonce and does not say stale: answered, not a failure.
    const again = headersOf(client.authorize(refresh, challenge(refresh, [createDigestChallenge({ realm: 'r' }).header])));
    const next = retry(refresh, again);
    expect(errorOf(client.authorize(next, challenge(next, [createDigestChallenge({ realm: 'r' }).header])))).toMatchObject({ kind: 'rejected' });
  });

  it('leaves other users\u2019 credentials alone', () => {
    const req = request();
    req.addHeader('Authorization', authorizationFor({ challenge: parseDigestChallenge('Digest realm="r", nonce="n", qop="auth"'), method: 'REGISTER', uri: 'sip:example.com', username: 'bob', password: 'b' }));
    expect(alice().reuseCredentials(req, request())).toEqual([]);
    // bob's credentials being refused says nothing about ours.
    expect(alice().authorize(req, challenge(req, ['Digest realm="r", nonce="m", qop="auth"'])).ok).toBe(true);
  });

  it('refuses a username with a line break', () => {
    expect(() => new DigestClient({ username: 'a\r\nb', password: 'x' })).toThrow(DigestError);
  });
});

describe('createDigestChallenge / verifyDigest', () => {
  it('makes a challenge with qop=auth and MD5 by default, and random nonces', () => {
    const a = createDigestChallenge({ realm: 'example.com' });
    const b = createDigestChallenge({ realm: 'example.com' });
    expect(parseDigestChallenge(a.header)).toMatchObject({ realm: 'example.com', nonce: a.nonce, algorithm: 'MD5', qop: ['auth'], stale: false });
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.nonce.length).toBeGreaterThanOrEqual(20);
  });

  it('writes every option', () => {
    const { header } = createDigestChallenge({ realm: 'r "q"', algorithm: 'SHA-256-sess', qop: ['auth', 'auth-int'], stale: true, opaque: 'o', nonce: 'n', domain: ['sip:a', 'sip:b'] });
    expect(parseDigestChallenge(header)).toMatchObject({ realm: 'r "q"', algorithm: 'SHA-256-sess', qop: ['auth', 'auth-int'], stale: true, opaque: 'o', nonce: 'n', domain: ['sip:a', 'sip:b'] });
    expect(parseDigestChallenge(createDigestChallenge({ realm: 'r', qop: false }).header).qop).toBeUndefined();
  });

  it('refuses what cannot be a challenge', () => {
    expect(() => createDigestChallenge({ realm: 'r', algorithm: 'MD5-sess', qop: false })).toThrow(DigestError);
    expect(() => createDigestChallenge({ realm: 'r\r\nX-Injected: 1' })).toThrow(DigestError);
    expect(() => createDigestChallenge({ realm: 'r', qop: [] })).toThrow(DigestError);
  });

  const algorithms = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] as const;
  it.each(algorithms)('round-trips with %s and catches tampering', (algorithm) => {
    const { header, nonce } = createDigestChallenge({ realm: 'example.com', algorithm, opaque: 'xyz' });
    const value = authorizationFor({ challenge: parseDigestChallenge(header), method: 'INVITE', uri: 'sip:bob@example.com', username: 'alice', password: 'pw', nc: 7 });
    const options = { method: 'INVITE', password: 'pw', realm: 'example.com', nonce, opaque: 'xyz', uri: 'sip:bob@example.com', algorithm };
    expect(verifyDigest(value, options)).toMatchObject({ ok: true, username: 'alice', realm: 'example.com', nonce, algorithm, qop: 'auth', nc: 7 });
    const ha1 = computeHa1(algorithm, 'alice', 'example.com', 'pw');
    expect(verifyDigest(value, { ...options, password: undefined, ha1 }).ok).toBe(true);
    expect(verifyDigest(value, { ...options, password: 'PW' })).toMatchObject({ ok: false, reason: 'wrong-response' });
    expect(verifyDigest(value, { ...options, method: 'BYE' })).toMatchObject({ ok: false, reason: 'wrong-response' });
    const swap = (param: string, to: string): string => value.replace(new RegExp(`${param}="[^"]*"`), `${param}="${to}"`);
    // The URI changed on the way, checked without options.uri (RFC 3261 §22.4 item 6 leniency).
    expect(verifyDigest(swap('uri', 'sip:mallory@example.com'), { ...options, uri: undefined })).toMatchObject({ ok: false, reason: 'wrong-response' });
    expect(verifyDigest(swap('uri', 'sip:mallory@example.com'), options)).toMatchObject({ ok: false, reason: 'uri-mismatch' });
    expect(verifyDigest(swap('nonce', 'other'), { ...options, nonce: undefined })).toMatchObject({ ok: false, reason: 'wrong-response' });
    expect(verifyDigest(swap('cnonce', 'other'), options)).toMatchObject({ ok: false, reason: 'wrong-response' });
    expect(verifyDigest(value.replace('nc=00000007', 'nc=00000008'), options)).toMatchObject({ ok: false, reason: 'wrong-response' });
    expect(verifyDigest(swap('response', '0'.repeat(algorithm.startsWith('MD5') ? 32 : 64)), options)).toMatchObject({ ok: false, reason: 'wrong-response' });
    expect(verifyDigest(value, { ...options, nonce: 'newer' })).toMatchObject({ ok: false, reason: 'stale' });
    expect(verifyDigest(value, { ...options, realm: 'elsewhere' })).toMatchObject({ ok: false, reason: 'realm-mismatch' });
    expect(verifyDigest(value, { ...options, opaque: 'abc' })).toMatchObject({ ok: false, reason: 'opaque-mismatch' });
    const response = parseDigestCredentials(value).response;
    expect(verifyDigest(value.replace(response, response.toUpperCase()), options).ok).toBe(true);
  });

  it('refuses a downgrade when the algorithm is pinned', () => {
    const value = authorizationFor({ challenge: parseDigestChallenge('Digest realm="r", nonce="n", qop="auth"'), method: 'REGISTER', uri: 'sip:r', username: 'u', password: 'p' });
    expect(verifyDigest(value, { method: 'REGISTER', password: 'p', algorithm: 'SHA-256' })).toMatchObject({ ok: false, reason: 'algorithm-mismatch' });
  });

  it.each([
    ['garbage', '%%%', 'malformed'],
    ['Basic credentials', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', 'malformed'],
    ['two credentials', 'Digest username="u", Digest username="v"', 'malformed'],
    ['no username', 'Digest realm="r", nonce="n", uri="sip:r", response="00"', 'missing-parameter'],
    ['no uri', 'Digest username="u", realm="r", nonce="n", response="00"', 'missing-parameter'],
    ['qop without nc', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", qop=auth, cnonce="c"', 'missing-parameter'],
    ['qop without cnonce', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", qop=auth, nc=00000001', 'missing-parameter'],
    ['a bad nc', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", qop=auth, nc=1, cnonce="c"', 'malformed'],
    ['an unknown qop', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", qop=auth-conf, nc=00000001, cnonce="c"', 'unsupported-qop'],
    ['-sess without qop', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", algorithm=MD5-sess, cnonce="c"', 'unsupported-qop'],
    ['an unknown algorithm', 'Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", algorithm=SHA-512-256', 'unsupported-algorithm'],
    ['a response with non-ASCII digits', `Digest username="u", realm="r", nonce="n", uri="sip:r", response="${'\u0130'.repeat(16)}"`, 'wrong-response'],
  ])('reports %s', (_what, value, reason) => {
    expect(verifyDigest(value, { method: 'REGISTER', password: 'p' })).toMatchObject({ ok: false, reason });
  });

  it('names the missing parameter', () => {
    expect(verifyDigest('Digest username="u", realm="r", nonce="n", response="00"', { method: 'REGISTER', password: 'p' })).toEqual({ ok: false, reason: 'missing-parameter', detail: 'uri', username: 'u' });
  });

  it('needs exactly one of password and ha1', () => {
    expect(() => verifyDigest('Digest x=1', { method: 'REGISTER' })).toThrow(TypeError);
    expect(() => verifyDigest('Digest x=1', { method: 'REGISTER', password: 'p', ha1: 'h' })).toThrow(TypeError);
  });
});

describe('secrets', () => {
  const PASSWORD = 'S3cret-passw0rd!';

  /** Every way an object may end up in a log. */
  function renderings(x: unknown): string[] {
    const out = [JSON.stringify(x) ?? '', String(x), inspect(x), inspect(x, { depth: 10 })];
    if (x instanceof Error) out.push(x.message, x.stack ?? '', x.toString());
    if (typeof x === 'object' && x !== null) for (const v of Object.values(x)) out.push(JSON.stringify(v) ?? '', String(v));
    return out;
  }

  it('never shows the password, HA1 or a computed response in errors, results or the client', () => {
    const client = new DigestClient({ username: 'alice', password: PASSWORD }, { cnonce: () => 'fixed-cnonce' });
    const secrets = [PASSWORD, computeHa1('MD5', 'alice', 'r', PASSWORD), computeHa1('SHA-256', 'alice', 'r', PASSWORD)];
    const things: unknown[] = [client];

    // An ok result: the credentials it carries stay out of its renderings.
    const first = request();
    const c1 = createDigestChallenge({ realm: 'r', algorithm: 'SHA-256' });
    const ok = client.authorize(first, challenge(first, [c1.header]));
    const headers = headersOf(ok);
    secrets.push(parseDigestCredentials(headers[0]![1]).response);
    things.push(ok);

    // Rejected and unsupported errors, and their results.
    const second = retry(first, headers);
    const rejected = client.authorize(second, challenge(second, [createDigestChallenge({ realm: 'r', algorithm: 'SHA-256' }).header]));
    things.push(rejected, errorOf(rejected));
    const unsupported = client.authorize(second, challenge(second, ['Digest realm="r", nonce="n", algorithm=SHA-512-256']));
    things.push(unsupported, errorOf(unsupported));

    // Server side: a failed verification must not reveal the response the right password gives.
    const wrong = authorizationFor({ challenge: parseDigestChallenge(c1.header), method: 'REGISTER', uri: first.uriString, username: 'alice', password: 'guess', cnonce: 'fixed-cnonce', nc: 9 });
    const right = authorizationFor({ challenge: parseDigestChallenge(c1.header), method: 'REGISTER', uri: first.uriString, username: 'alice', password: PASSWORD, cnonce: 'fixed-cnonce', nc: 9 });
    secrets.push(parseDigestCredentials(right).response);
    for (const v of [
      verifyDigest(wrong, { method: 'REGISTER', password: PASSWORD }),
      verifyDigest(wrong, { method: 'REGISTER', ha1: computeHa1('SHA-256', 'alice', 'r', PASSWORD) }),
      verifyDigest(right, { method: 'REGISTER', password: PASSWORD }),
      verifyDigest(right, { method: 'REGISTER', password: PASSWORD, nonce: 'other' }),
    ]) {
      things.push(v);
    }
    expect(things.slice(-4).map((v) => (v as { ok: boolean }).ok)).toEqual([false, false, true, false]);

    // Parse errors on credentials that hold a response.
    for (const bad of [right.replace('username=', 'username=="'), right.replace(/uri="[^"]*", /, ''), `${right}, nc=zz`]) {
      try {
        parseDigestCredentials(bad);
      } catch (err) {
        things.push(err);
      }
    }
    for (const err of [
      (() => {
        try {
          return new DigestClient({ username: 'x\n', password: PASSWORD });
        } catch (e) {
          return e;
        }
      })(),
    ]) {
      things.push(err);
    }
    expect(things.filter((t) => t instanceof DigestError)).toHaveLength(4);

    for (const thing of things) {
      for (const text of renderings(thing)) {
        for (const secret of secrets) expect(text).not.toContain(secret);
      }
    }
  });
});
