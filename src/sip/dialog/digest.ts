// Digest authentication (RFC 3261 §22, RFC 7616, RFC 2617, RFC 8760). This module is the whole
// API: it holds the shared part (errors, parsing of challenges and credentials, the hash
// arithmetic) and re-exports the UAC side (digest-client.ts) and the UAS / registrar side
// (digest-server.ts). Those two import from here only what they call at run time, never at load
// time, so the import cycle is harmless.
//
// Secrets (passwords, HA1 values, computed responses) never go into an error message or an
// enumerable property of anything returned from these modules.

import { createHash } from 'node:crypto';

export {
  DigestClient,
  authorizationFor,
  challengesOf,
  type DigestClientCredentials,
  type DigestClientOptions,
  type AuthorizeResult,
  type AuthorizationInput,
} from './digest-client.js';
export {
  createDigestChallenge,
  verifyDigest,
  type DigestChallengeOptions,
  type CreatedDigestChallenge,
  type VerifyDigestOptions,
  type DigestVerification,
  type DigestVerificationFailure,
} from './digest-server.js';

/** The digest algorithms this stack computes (RFC 7616 §3.3, RFC 8760 §2.2). */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

/** Quality of protection (RFC 7616 §3.3): `auth` covers method and URI, `auth-int` the body too. */
export type DigestQop = 'auth' | 'auth-int';

/**
 * A Digest challenge or credentials value that cannot be parsed, or a value that cannot be put
 * in a header. The message never repeats the input, so it cannot leak a credential.
 *
 * @example
 * ```ts
 * try { parseDigestChallenge(value); } catch (err) { if (err instanceof DigestError) skip(err.reason); }
 * ```
 */
export class DigestError extends Error {
  /** Always `"DigestError"`. */
  override readonly name = 'DigestError';
  /** What was wrong, in words. */
  readonly reason: string;

  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/** Why a challenged request cannot be authorized. */
export type AuthenticationFailureKind =
  /** A new, non-stale challenge for a realm the request already carried credentials for: wrong username or password. */
  | 'rejected'
  /** No challenge in the response can be answered (no Digest, unknown algorithm or qop, another realm). */
  | 'unsupported';

/**
 * A 401 / 407 that the client cannot (or can no longer) answer. `code` is the status of the
 * challenging response. Carries no credentials: only the realm and what went wrong.
 *
 * @example
 * ```ts
 * const r = client.authorize(request, response);
 * if (!r.ok && r.error.kind === 'rejected') report(`wrong password for ${r.error.realm}`);
 * ```
 */
export class AuthenticationError extends Error {
  /** Always `"AuthenticationError"`. */
  override readonly name = 'AuthenticationError';
  /** The status of the challenging response (401 or 407, or whatever final status was given). */
  readonly code: number;
  /** What went wrong. */
  readonly kind: AuthenticationFailureKind;
  /** The realm concerned: the rejected one, or the first one offered; `undefined` when none was. */
  readonly realm: string | undefined;

  constructor(kind: AuthenticationFailureKind, code: number, realm: string | undefined, message: string) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.realm = realm;
  }
}

/** One parsed `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge (RFC 7616 §3.3). */
export interface DigestChallenge {
  /** The protection domain (RFC 3261 §22.1: in SIP the realm alone defines it). */
  realm: string;
  /** Server nonce. */
  nonce: string;
  /** Opaque value to echo unchanged, when given. */
  opaque?: string;
  /** The algorithm token as written (`MD5`, `sha-256` ...); absent means MD5. */
  algorithm?: string;
  /** The qop options, lower-cased, in the server's order; absent for an RFC 2069 server. */
  qop?: string[];
  /** `stale=true`: the previous credentials were right but their nonce is old (RFC 7616 §3.3). */
  stale: boolean;
  /** The `domain` URIs, when given. */
  domain?: string[];
  /** Every auth-param, names lower-cased, values unquoted, unknown ones included. */
  params: Record<string, string>;
}

/** One parsed `Authorization` / `Proxy-Authorization` Digest credentials value (RFC 7616 §3.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  /** The digest-uri: the Request-URI text (RFC 3261 §22.4 item 3). */
  uri: string;
  /** The response the sender computed (as received). */
  response: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  /** The chosen qop, lower-cased. */
  qop?: string;
  /** The nonce count, 8 hex digits as written. */
  nc?: string;
  /** Every auth-param, names lower-cased, values unquoted. */
  params: Record<string, string>;
}

/** @internal One challenge or credentials of a header value: the scheme and its auth-params. */
export interface AuthItem {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[A-Za-z0-9\-.!%*_+`'~]/;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;
const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * @internal Splits a header value into challenges or credentials (RFC 7235 §2.1 and RFC 3261 §25.1:
 * `scheme [ token68 / #auth-param ]`, several per value allowed as in HTTP). Throws DigestError.
 */
export function parseAuthItems(value: string): AuthItem[] {
  const items: AuthItem[] = [];
  let i = 0;
  const n = value.length;
  const skipWs = (): void => {
    while (isWs(value[i])) i++;
  };
  const skipSeparators = (): void => {
    while (isWs(value[i]) || value[i] === ',') i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(value[i]!)) i++;
    return value.slice(start, i);
  };
  skipSeparators();
  let scheme = readToken();
  if (scheme === '') throw new DigestError('expected an authentication scheme');
  for (;;) {
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    items.push({ scheme, params });
    const afterScheme = i;
    skipWs();
    if (i === afterScheme && i < n && value[i] !== ',') throw new DigestError('expected a space after the scheme');
    // token68 form (Basic, Negotiate ...): kept under the empty name, never a Digest value.
    TOKEN68.lastIndex = i;
    const t68 = TOKEN68.exec(value);
    if (t68 !== null && i > afterScheme) {
      let j = i + t68[0].length;
      while (isWs(value[j])) j++;
      if (j === n || value[j] === ',') {
        params[''] = t68[0];
        i = j;
      }
    }
    let next: string | undefined;
    for (;;) {
      skipSeparators();
      if (i >= n) break;
      const name = readToken();
      if (name === '') throw new DigestError(`unexpected character at offset ${i}`);
      const tokenEnd = i;
      skipWs();
      if (value[i] !== '=') {
        // RFC 7235 §4.1: a further challenge in the same value
        i = tokenEnd;
        next = name;
        break;
      }
      i++;
      skipWs();
      const key = name.toLowerCase();
      if (key in params) throw new DigestError(`parameter ${key} appears twice`);
      params[key] = readValue();
      skipWs();
      if (i < n && value[i] !== ',') throw new DigestError(`expected a comma at offset ${i}`);
    }
    if (next === undefined) return items;
    scheme = next;
  }

  function readValue(): string {
    if (value[i] === '"') {
      // quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE (RFC 3261 §25.1)
      let out = '';
      for (i++; i < n; i++) {
        const c = value[i]!;
        if (c === '"') {
          i++;
          return out;
        }
        if (c === '\\') {
          const e = value[++i];
          if (e === undefined || e === '\r' || e === '\n') throw new DigestError('invalid quoted-pair');
          out += e;
          continue;
        }
        const code = c.charCodeAt(0);
        if ((code < 0x20 && c !== '\t') || code === 0x7f) throw new DigestError('control character in a quoted string');
        out += c;
      }
      throw new DigestError('unterminated quoted string');
    }
    const start = i;
    // token (lenient: any visible ASCII but DQUOTE and comma, as servers send unquoted nonces)
    while (i < n) {
      const code = value.charCodeAt(i);
      if (code <= 0x20 || code >= 0x7f || code === 0x22 || code === 0x2c) break;
      i++;
    }
    if (i === start) throw new DigestError(`expected a parameter value at offset ${i}`);
    return value.slice(start, i);
  }
}

/** @internal The Digest challenge of an item; throws DigestError for another scheme or a missing realm / nonce. */
export function challengeFromItem(item: AuthItem): DigestChallenge {
  const p = item.params;
  if (item.scheme.toLowerCase() !== 'digest') throw new DigestError(`not a Digest challenge (scheme ${item.scheme})`);
  if ('' in p) throw new DigestError('a Digest challenge has no token68 form');
  // RFC 7616 §3.3: realm and nonce are required.
  if (p.realm === undefined) throw new DigestError('challenge without realm');
  if (p.nonce === undefined) throw new DigestError('challenge without nonce');
  const c: DigestChallenge = { realm: p.realm, nonce: p.nonce, stale: p.stale?.toLowerCase() === 'true', params: p };
  if (p.opaque !== undefined) c.opaque = p.opaque;
  if (p.algorithm !== undefined) c.algorithm = p.algorithm;
  if (p.qop !== undefined) {
    const qop = p.qop.split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== '');
    if (qop.length === 0) throw new DigestError('empty qop list');
    c.qop = qop;
  }
  if (p.domain !== undefined) c.domain = p.domain.split(/[ \t]+/).filter((d) => d !== '');
  return c;
}

/**
 * Parses one `WWW-Authenticate` / `Proxy-Authenticate` value holding one Digest challenge.
 * Auth-param names are case-insensitive; quoted-pairs are resolved; unknown params are kept in
 * `params`. `stale` is true only for `stale=true` (any case), as RFC 7616 §3.3 says.
 *
 * @throws DigestError for another scheme, several challenges, a missing realm or nonce, or bad syntax.
 * @example
 * ```ts
 * const c = parseDigestChallenge('Digest realm="biloxi.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e"');
 * c.realm; // 'biloxi.com'
 * c.qop;   // ['auth', 'auth-int']
 * ```
 */
export function parseDigestChallenge(value: string): DigestChallenge {
  const items = parseAuthItems(value);
  if (items.length !== 1) throw new DigestError('expected exactly one challenge');
  return challengeFromItem(items[0]!);
}

/**
 * Parses one `Authorization` / `Proxy-Authorization` Digest credentials value.
 *
 * @throws DigestError for another scheme, bad syntax, a missing username, realm, nonce, uri or
 *   response, or an `nc` that is not 8 hex digits.
 */
export function parseDigestCredentials(value: string): DigestCredentials {
  const items = parseAuthItems(value);
  if (items.length !== 1) throw new DigestError('expected exactly one credentials value');
  const { scheme, params: p } = items[0]!;
  if (scheme.toLowerCase() !== 'digest') throw new DigestError(`not Digest credentials (scheme ${scheme})`);
  const missing = missingCredentialParam(p);
  if (missing !== undefined) throw new DigestError(`credentials without ${missing}`);
  if (p.nc !== undefined && !/^[0-9a-fA-F]{8}$/.test(p.nc)) throw new DigestError('nc is not 8 hex digits');
  const c: DigestCredentials = { username: p.username!, realm: p.realm!, nonce: p.nonce!, uri: p.uri!, response: p.response!, params: p };
  for (const k of ['algorithm', 'cnonce', 'opaque', 'nc'] as const) if (p[k] !== undefined) c[k] = p[k];
  if (p.qop !== undefined) c.qop = p.qop.toLowerCase();
  return c;
}

/** @internal The first required credentials parameter (RFC 7616 §3.4) that is missing. */
export function missingCredentialParam(p: Record<string, string>): string | undefined {
  return ['username', 'realm', 'nonce', 'uri', 'response'].find((k) => p[k] === undefined);
}

// ---------------------------------------------------------------------------------------------
// The arithmetic (RFC 7616 §3.4.1 - §3.4.3)

const HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'MD5-sess': 'md5', 'SHA-256': 'sha256', 'SHA-256-sess': 'sha256' };

/**
 * The algorithm an `algorithm` token names, case-insensitively; `MD5` when the token is absent
 * (RFC 7616 §3.3); `undefined` for one this stack does not compute.
 */
export function digestAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  if (token === undefined) return 'MD5';
  switch (token.toLowerCase()) {
    case 'md5':
      return 'MD5';
    case 'md5-sess':
      return 'MD5-sess';
    case 'sha-256':
      return 'SHA-256';
    case 'sha-256-sess':
      return 'SHA-256-sess';
    default:
      return undefined;
  }
}

/** @internal Relative strength, for choosing among challenges of one realm (RFC 8760 §3). */
export function algorithmStrength(a: DigestAlgorithm): number {
  return HASH[a] === 'sha256' ? 2 : 1;
}

/** @internal H(data): the lower-case hex digest. */
export function hashHex(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(HASH[algorithm]).update(data).digest('hex');
}

/**
 * H(username ":" realm ":" password), the value a registrar may store instead of the password
 * and pass to `verifyDigest` as `ha1` (RFC 7616 §3.4.2; the `-sess` variants derive the session
 * key from it). Strings are hashed as UTF-8.
 */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`);
}

/** @internal What the response is computed from. */
export interface ResponseInput {
  algorithm: DigestAlgorithm;
  /** H(username:realm:password), see {@link computeHa1}. */
  ha1: string;
  nonce: string;
  method: string;
  uri: string;
  qop: DigestQop | undefined;
  /** 8 hex digits; with qop only. */
  nc: string | undefined;
  /** With qop, and for the -sess algorithms. */
  cnonce: string | undefined;
  /** The message body, for auth-int. */
  body: Uint8Array | undefined;
}

/** @internal The request-digest (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1 without qop). Secret. */
export function computeResponse(r: ResponseInput): string {
  const a = r.algorithm;
  // RFC 7616 §3.4.2: for -sess, A1 = H(user:realm:pass) ":" nonce ":" cnonce
  const ha1 = a.endsWith('-sess') ? hashHex(a, `${r.ha1}:${r.nonce}:${r.cnonce ?? ''}`) : r.ha1;
  // RFC 7616 §3.4.3; RFC 3261 §22.4 item 7: an empty body hashes as H("")
  const a2 = r.qop === 'auth-int' ? `${r.method}:${r.uri}:${hashHex(a, r.body ?? new Uint8Array(0))}` : `${r.method}:${r.uri}`;
  const ha2 = hashHex(a, a2);
  if (r.qop === undefined) return hashHex(a, `${ha1}:${r.nonce}:${ha2}`); // RFC 2069 form
  return hashHex(a, `${ha1}:${r.nonce}:${r.nc ?? ''}:${r.cnonce ?? ''}:${r.qop}:${ha2}`);
}

/** @internal A quoted-string for a header value; DigestError when the text cannot be in a header. */
export function quoteValue(s: string, what: string): string {
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(s)) throw new DigestError(`${what} contains a control character`);
  return '"' + s.replace(/["\\]/g, '\\$&') + '"';
}
