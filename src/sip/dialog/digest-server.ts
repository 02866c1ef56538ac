// Digest authentication, the UAS / registrar side (RFC 3261 §22.2, RFC 7616 §3.3, §3.4):
// making challenges and checking credentials.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  computeHa1,
  computeResponse,
  type DigestAlgorithm,
  digestAlgorithm,
  DigestError,
  type DigestQop,
  missingCredentialParam,
  parseAuthItems,
  quoteValue,
} from './digest.js';

/** What {@link createDigestChallenge} builds a challenge from. */
export interface DigestChallengeOptions {
  realm: string;
  /** MD5 when left out. Written in the challenge either way. */
  algorithm?: DigestAlgorithm;
  /** `true` (the default) offers `qop="auth"`, `false` none (RFC 2069 form), or a list to offer. */
  qop?: boolean | readonly DigestQop[];
  /** Say that the previous credentials were right but their nonce is old (RFC 7616 §3.3). */
  stale?: boolean;
  /** An opaque value the client must echo. */
  opaque?: string;
  /** The nonce; 18 random bytes (base64url) when left out. */
  nonce?: string;
  /** The `domain` URIs. */
  domain?: readonly string[];
}

/** A challenge made by {@link createDigestChallenge}. */
export interface CreatedDigestChallenge {
  /** The value for a `WWW-Authenticate` (or `Proxy-Authenticate`) header. */
  header: string;
  /** The nonce in it, to check the credentials against. */
  nonce: string;
}

/**
 * A Digest challenge (RFC 7616 §3.3). RFC 3261 §22.4 item 8: servers always send qop, so
 * `qop: false` is for testing RFC 2069 clients only.
 *
 * @throws DigestError for a -sess algorithm without qop, an empty qop list, or a control
 *   character in a value.
 * @example
 * ```ts
 * const { header, nonce } = createDigestChallenge({ realm: 'example.com', algorithm: 'SHA-256' });
 * const res = createResponse(register, 401, undefined, { headers: [['WWW-Authenticate', header]] });
 * ```
 */
export function createDigestChallenge(options: DigestChallengeOptions): CreatedDigestChallenge {
  const algorithm = options.algorithm ?? 'MD5';
  if (digestAlgorithm(algorithm) !== algorithm) throw new DigestError('unsupported algorithm');
  const qop = options.qop === false ? [] : options.qop === true || options.qop === undefined ? ['auth'] : [...options.qop];
  if (Array.isArray(options.qop) && qop.length === 0) throw new DigestError('empty qop list');
  if (qop.some((q) => q !== 'auth' && q !== 'auth-int')) throw new DigestError('unsupported qop');
  if (qop.length === 0 && algorithm.endsWith('-sess')) throw new DigestError(`${algorithm} needs qop`);
  const nonce = options.nonce ?? randomBytes(18).toString('base64url');
  const parts = [`realm=${quoteValue(options.realm, 'realm')}`];
  if (options.domain !== undefined) parts.push(`domain=${quoteValue(options.domain.join(' '), 'domain')}`);
  parts.push(`nonce=${quoteValue(nonce, 'nonce')}`);
  if (options.opaque !== undefined) parts.push(`opaque=${quoteValue(options.opaque, 'opaque')}`);
  if (options.stale === true) parts.push('stale=true');
  parts.push(`algorithm=${algorithm}`);
  if (qop.length > 0) parts.push(`qop="${qop.join(',')}"`);
  return { header: `Digest ${parts.join(', ')}`, nonce };
}

/** What {@link verifyDigest} checks credentials against. Give `password` or `ha1`. */
export interface VerifyDigestOptions {
  /** The method of the request the credentials came in. */
  method: string;
  /** The user's password. */
  password?: string;
  /** Instead of the password: H(username:realm:password) for the algorithm used (see `computeHa1`). */
  ha1?: string;
  /** The realm the credentials must be for. */
  realm?: string;
  /** The nonce currently valid; other nonces give `stale` (when otherwise right). */
  nonce?: string;
  /** The opaque value the challenge carried. */
  opaque?: string;
  /** The digest-uri the credentials must name (usually the Request-URI text; RFC 3261 §22.4 item 6 lets a server be lenient). */
  uri?: string;
  /** The algorithm the credentials must use (the one challenged with, against downgrades). */
  algorithm?: DigestAlgorithm;
  /** The request body, for qop=auth-int. */
  body?: Uint8Array | string;
}

/** Why credentials were not accepted. */
export type DigestVerificationFailure =
  /** Not a Digest credentials value, bad syntax, or a bad `nc`. */
  | 'malformed'
  /** username, realm, nonce, uri, response (or nc / cnonce with qop) missing; `detail` names it. */
  | 'missing-parameter'
  | 'realm-mismatch'
  | 'unsupported-algorithm'
  | 'algorithm-mismatch'
  /** A qop other than auth / auth-int, or a -sess algorithm without qop. */
  | 'unsupported-qop'
  | 'opaque-mismatch'
  | 'uri-mismatch'
  /** The response does not match: wrong password, or a changed method, URI, nonce or body. */
  | 'wrong-response'
  /** Right, but for a nonce other than `options.nonce`: challenge again with `stale: true`. */
  | 'stale';

/**
 * The outcome of {@link verifyDigest}. Never holds the password, HA1 or the expected response.
 */
export type DigestVerification =
  | { ok: true; username: string; realm: string; nonce: string; algorithm: DigestAlgorithm; qop?: DigestQop; nc?: number; cnonce?: string }
  | { ok: false; reason: DigestVerificationFailure; detail?: string; username?: string };

/**
 * Checks one `Authorization` / `Proxy-Authorization` value: the parameters RFC 7616 §3.4
 * requires, realm / nonce / opaque / uri / algorithm when `options` names them, then the
 * response, recomputed and compared in constant time. Replay checks on `nc` are the caller's
 * (it is returned).
 *
 * @throws TypeError unless exactly one of `password` and `ha1` is given.
 * @example
 * ```ts
 * const v = verifyDigest(req.header('Authorization') ?? '', { method: req.method, password, realm: 'example.com', nonce });
 * if (!v.ok && v.reason === 'stale') rechallenge({ stale: true });
 * ```
 */
export function verifyDigest(authorization: string, options: VerifyDigestOptions): DigestVerification {
  if ((options.password === undefined) === (options.ha1 === undefined)) throw new TypeError('verifyDigest needs exactly one of password and ha1');
  let p: Record<string, string>;
  try {
    const items = parseAuthItems(authorization);
    if (items.length !== 1 || items[0]!.scheme.toLowerCase() !== 'digest') return fail('malformed');
    p = items[0]!.params;
  } catch {
    return fail('malformed');
  }
  const missing = missingCredentialParam(p);
  if (missing !== undefined) return fail('missing-parameter', missing, p.username);
  const { username, realm, nonce, uri, response } = p as Record<'username' | 'realm' | 'nonce' | 'uri' | 'response', string>;
  if (options.realm !== undefined && realm !== options.realm) return fail('realm-mismatch', undefined, username);
  const algorithm = digestAlgorithm(p.algorithm);
  if (algorithm === undefined) return fail('unsupported-algorithm', undefined, username);
  if (options.algorithm !== undefined && algorithm !== options.algorithm) return fail('algorithm-mismatch', undefined, username);
  if (options.opaque !== undefined && p.opaque !== options.opaque) return fail('opaque-mismatch', undefined, username);
  if (options.uri !== undefined && uri !== options.uri) return fail('uri-mismatch', undefined, username);
  const qopText = p.qop?.toLowerCase();
  if (qopText !== undefined && qopText !== 'auth' && qopText !== 'auth-int') return fail('unsupported-qop', undefined, username);
  const qop = qopText as DigestQop | undefined;
  if (qop === undefined && algorithm.endsWith('-sess')) return fail('unsupported-qop', undefined, username);
  if (qop !== undefined || algorithm.endsWith('-sess')) {
    if (p.cnonce === undefined) return fail('missing-parameter', 'cnonce', username);
  }
  if (qop !== undefined) {
    if (p.nc === undefined) return fail('missing-parameter', 'nc', username);
    if (!/^[0-9a-fA-F]{8}$/.test(p.nc)) return fail('malformed', 'nc', username);
  }
  const ha1 = options.ha1?.toLowerCase() ?? computeHa1(algorithm, username, realm, options.password!);
  const body = typeof options.body === 'string' ? new Uint8Array(Buffer.from(options.body, 'utf8')) : options.body;
  const expected = computeResponse({ algorithm, ha1, nonce, method: options.method, uri, qop, nc: p.nc, cnonce: p.cnonce, body });
  if (!sameHex(expected, response)) return fail('wrong-response', undefined, username);
  if (options.nonce !== undefined && nonce !== options.nonce) return fail('stale', undefined, username);
  const ok: DigestVerification = { ok: true, username, realm, nonce, algorithm };
  if (qop !== undefined) {
    ok.qop = qop;
    ok.nc = parseInt(p.nc!, 16);
  }
  if (p.cnonce !== undefined) ok.cnonce = p.cnonce;
  return ok;
}

/** Constant-time comparison of the expected response with the received one (hex, any case). */
function sameHex(expected: string, received: string): boolean {
  // UTF-8, so that no non-ASCII character can stand for a hex digit.
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  // Lengths are public (fixed by the algorithm); only the content is compared in constant time.
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

function fail(reason: DigestVerificationFailure, detail?: string, username?: string): DigestVerification {
  const out: DigestVerification = { ok: false, reason };
  if (detail !== undefined) out.detail = detail;
  if (username !== undefined) out.username = username;
  return out;
}
