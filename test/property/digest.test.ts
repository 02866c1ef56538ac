// Digest properties: whatever the username, password, realm, method, Request-URI, algorithm and
// qop, the client's answer to a challenge verifies with the right password and not with another;
// and the challenge parser throws DigestError and nothing else, whatever it is given.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  challengesOf,
  createDigestChallenge,
  DigestClient,
  DigestError,
  parseDigestChallenge,
  parseDigestCredentials,
  verifyDigest,
  type DigestAlgorithm,
  type DigestQop,
} from '../../src/sip/dialog/digest.js';
import { createRequest, createResponse, SipResponse } from '../../src/sip/parser/index.js';
import * as arb from './arbitraries.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

/** Text that can stand in a header value: anything but control characters (HTAB allowed). */
const headerText = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', minLength, maxLength }).filter((s) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(s));

const algorithm = fc.constantFrom<DigestAlgorithm>('MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess');
const qop = fc.constantFrom<boolean | DigestQop[]>(true, false, ['auth-int'], ['auth', 'auth-int'], ['auth-int', 'auth']);

const scenario = fc
  .record({
    username: headerText(1, 16),
    password: fc.string({ unit: 'binary', maxLength: 24 }),
    other: fc.string({ unit: 'binary', maxLength: 24 }),
    realm: headerText(0, 16),
    method: arb.method,
    uri: arb.sipUriText,
    algorithm,
    qop,
    opaque: fc.option(headerText(0, 12), { nil: undefined }),
    body: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
    proxy: fc.boolean(),
  })
  // RFC 3261 §22.4 item 8: a -sess algorithm needs qop.
  .filter((s) => !(s.qop === false && s.algorithm.endsWith('-sess')))
  // Two passwords with the same UTF-8 bytes (lone surrogates) are the same password.
  .filter((s) => !Buffer.from(s.password, 'utf8').equals(Buffer.from(s.other, 'utf8')));

describe('digest properties', () => {
  it('verifyDigest accepts what DigestClient.authorize answers, with that password only', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const request = createRequest({
          method: s.method,
          uri: s.uri,
          from: '<sip:alice@example.com>;tag=1',
          to: '<sip:bob@example.com>',
          callId: 'prop@example.com',
          cseq: 1,
          ...(s.body === undefined ? {} : { body: s.body, contentType: 'application/octet-stream' }),
        });
        const created = createDigestChallenge({ realm: s.realm, algorithm: s.algorithm, qop: s.qop, ...(s.opaque === undefined ? {} : { opaque: s.opaque }) });
        const status = s.proxy ? 407 : 401;
        const response = createResponse(request, status, undefined, { headers: [[s.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate', created.header]] });
        const result = new DigestClient({ username: s.username, password: s.password }).authorize(request, response);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.headers).toHaveLength(1);
        const [name, value] = result.headers[0]!;
        expect(name).toBe(s.proxy ? 'Proxy-Authorization' : 'Authorization');
        // The value survives the header setter (no CR/LF) and parses back.
        request.setHeader(name, value);
        expect(parseDigestCredentials(request.header(name)!)).toMatchObject({ username: s.username, realm: s.realm, nonce: created.nonce, uri: request.uriString });
        const options = { method: s.method, realm: s.realm, nonce: created.nonce, uri: request.uriString, algorithm: s.algorithm, body: request.body, opaque: s.opaque };
        expect(verifyDigest(value, { ...options, password: s.password })).toMatchObject({ ok: true, username: s.username });
        expect(verifyDigest(value, { ...options, password: s.other })).toMatchObject({ ok: false, reason: 'wrong-response' });
        expect(verifyDigest(value, { ...options, password: s.password, method: `${s.method}X` })).toMatchObject({ ok: false, reason: 'wrong-response' });
      }),
      { numRuns: runs(300) },
    );
  });

  it('createDigestChallenge writes what parseDigestChallenge reads back', () => {
    fc.assert(
      fc.property(headerText(0, 24), headerText(1, 24), fc.option(headerText(0, 24), { nil: undefined }), algorithm, fc.boolean(), (realm, nonce, opaque, alg, stale) => {
        const { header } = createDigestChallenge({ realm, nonce, algorithm: alg, stale, ...(opaque === undefined ? {} : { opaque }) });
        const c = parseDigestChallenge(header);
        expect(c).toMatchObject({ realm, nonce, algorithm: alg, stale, qop: ['auth'] });
        expect(c.opaque).toBe(opaque);
      }),
      { numRuns: runs(300) },
    );
  });

  /** Text that looks like a challenge, then cut, spliced and sprinkled with the parser's special characters. */
  const challengeLike = fc
    .tuple(
      fc.constantFrom(
        'Digest realm="biloxi.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
        'Digest realm="a \\"b\\"", nonce=abc, algorithm=SHA-256, stale=TRUE',
        'Basic realm="x", Digest realm="y", nonce="z"',
        'Negotiate abc==',
      ),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('"', '\\', ',', '=', ' ', '\t', '\r\n', 'Digest ', 'x', '\u0000', '\u00e9', ''), fc.nat({ max: 3 })), { maxLength: 5 }),
    )
    .map(([base, edits]) => {
      let s = base;
      for (const [at, insert, drop] of edits) {
        const i = at % (s.length + 1);
        s = s.slice(0, i) + insert + s.slice(i + drop);
      }
      return s;
    });

  it('parseDigestChallenge returns a challenge or throws DigestError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), challengeLike), (text) => {
        try {
          const c = parseDigestChallenge(text);
          expect(typeof c.realm).toBe('string');
          expect(typeof c.nonce).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(DigestError);
          expect((err as DigestError).name).toBe('DigestError');
        }
      }),
      { numRuns: runs(1000) },
    );
  });

  it('verifyDigest answers any credentials text without throwing', () => {
    const credentialsLike = challengeLike.map((s) => s.replace(/realm=/, 'username="u", uri="sip:x", response="00", realm='));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), credentialsLike), (text) => {
        const v = verifyDigest(text, { method: 'REGISTER', password: 'p' });
        expect(typeof v.ok).toBe('boolean');
      }),
      { numRuns: runs(500) },
    );
  });

  it('challengesOf never throws, whatever the challenge lines hold', () => {
    const line = fc.oneof(headerText(0, 60), challengeLike.filter((s) => !/[\r\n]/.test(s)));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 4 }), fc.boolean(), (lines, proxy) => {
        const response = new SipResponse(proxy ? 407 : 401, 'Unauthorized');
        for (const l of lines) {
          try {
            response.addHeader(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate', l);
          } catch {
            // a value the message layer itself refuses never reaches us
          }
        }
        const found = challengesOf(response);
        for (const f of found) expect(f.proxy).toBe(proxy);
      }),
      { numRuns: runs(500) },
    );
  });
});
