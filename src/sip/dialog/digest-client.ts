// Digest authentication, the UAC side (RFC 3261 §22.2, §22.3; RFC 7616 §3.4): reading the
// challenges of a 401 / 407, answering them, and reusing credentials on later requests.

import { randomBytes } from 'node:crypto';
import type { SipRequest, SipResponse } from '../parser/message.js';
import {
  algorithmStrength,
  type AuthItem,
  AuthenticationError,
  challengeFromItem,
  computeHa1,
  computeResponse,
  digestAlgorithm,
  type DigestChallenge,
  type DigestCredentials,
  DigestError,
  type DigestQop,
  parseAuthItems,
  parseDigestCredentials,
  quoteValue,
} from './digest.js';

/** What a {@link DigestClient} authenticates with. */
export interface DigestClientCredentials {
  username: string;
  password: string;
  /** When given, only challenges for this realm are answered. */
  realm?: string;
}

/** Options of a {@link DigestClient}. */
export interface DigestClientOptions {
  /** Makes a client nonce; 16 random bytes as hex by default. For tests. */
  cnonce?: () => string;
}

/**
 * What {@link DigestClient.authorize} gives: the header lines for the re-sent request, or why
 * there are none. `headers` is not enumerable, so logging the result (`JSON.stringify`,
 * `util.inspect`) does not copy credentials into a log; read it as `result.headers`.
 */
export type AuthorizeResult = { ok: true; readonly headers: Array<[string, string]> } | { ok: false; error: AuthenticationError };

/** What {@link authorizationFor} computes one credentials value from. */
export interface AuthorizationInput {
  challenge: DigestChallenge;
  method: string;
  /** The digest-uri: the Request-URI text (RFC 3261 §22.4 item 3). */
  uri: string;
  username: string;
  password: string;
  /** Client nonce; random when left out (used only with qop or a -sess algorithm). */
  cnonce?: string;
  /** Nonce count, 1 when left out (used only with qop). */
  nc?: number;
  /** The body, for qop=auth-int. */
  body?: Uint8Array | string;
  /**
   * The qop to use; by default `auth` when offered, else `auth-int`, else none (RFC 2069). When
   * given it must be one the challenge offers, unless the challenge lists none.
   */
  qop?: DigestQop;
}

/**
 * One `Authorization` / `Proxy-Authorization` value answering `challenge` (RFC 7616 §3.4,
 * RFC 2617 §3.2.2 when the challenge has no qop). The algorithm is echoed as the challenge wrote
 * it, the opaque unchanged.
 *
 * @throws DigestError when the algorithm or qop cannot be used, or a value cannot be put in a header.
 * @example
 * ```ts
 * const value = authorizationFor({
 *   challenge: parseDigestChallenge(res.header('WWW-Authenticate')!),
 *   method: 'REGISTER', uri: 'sip:example.com', username: 'alice', password: secret,
 * });
 * ```
 */
export function authorizationFor(input: AuthorizationInput): string {
  const { challenge: c } = input;
  const algorithm = digestAlgorithm(c.algorithm);
  if (algorithm === undefined) throw new DigestError('unsupported algorithm');
  let qop: DigestQop | undefined;
  if (input.qop !== undefined) {
    if (c.qop !== undefined && !c.qop.includes(input.qop)) throw new DigestError(`qop ${input.qop} was not offered`);
    qop = input.qop;
  } else {
    const chosen = chooseQop(c.qop);
    if (chosen === null) throw new DigestError('none of the offered qop values is supported');
    qop = chosen;
  }
  // RFC 3261 §22.4 item 8: the -sess algorithms need the cnonce, which needs qop.
  if (qop === undefined && algorithm.endsWith('-sess')) throw new DigestError(`${algorithm} needs qop`);
  const cnonce = qop !== undefined || algorithm.endsWith('-sess') ? (input.cnonce ?? randomCnonce()) : undefined;
  const nc = qop !== undefined ? formatNc(input.nc ?? 1) : undefined;
  const body = typeof input.body === 'string' ? new Uint8Array(Buffer.from(input.body, 'utf8')) : input.body;
  const ha1 = computeHa1(algorithm, input.username, c.realm, input.password);
  const response = computeResponse({ algorithm, ha1, nonce: c.nonce, method: input.method, uri: input.uri, qop, nc, cnonce, body });
  return formatCredentials({ username: input.username, realm: c.realm, nonce: c.nonce, uri: input.uri, response, algorithm: c.algorithm, cnonce, opaque: c.opaque, qop, nc });
}

/**
 * Every Digest challenge of a 401 or 407: the `WWW-Authenticate` values (`proxy: false`) and the
 * `Proxy-Authenticate` values (`proxy: true`), in order. A forking proxy aggregates both kinds
 * into one response (RFC 3261 §22.3), so both are read from either status. Other schemes and
 * malformed values are left out; this never throws. Any other status gives `[]`.
 *
 * @example
 * ```ts
 * for (const { proxy, challenge } of challengesOf(res)) report(proxy, challenge.realm);
 * ```
 */
export function challengesOf(response: SipResponse): Array<{ proxy: boolean; challenge: DigestChallenge }> {
  const out: Array<{ proxy: boolean; challenge: DigestChallenge }> = [];
  if (response.status !== 401 && response.status !== 407) return out;
  for (const [name, proxy] of [['WWW-Authenticate', false], ['Proxy-Authenticate', true]] as const) {
    for (const value of response.headers(name)) {
      let items: AuthItem[];
      try {
        items = parseAuthItems(value);
      } catch {
        continue; // malformed: reported by omission
      }
      for (const item of items) {
        try {
          out.push({ proxy, challenge: challengeFromItem(item) });
        } catch {
          // another scheme, or a Digest challenge without realm / nonce
        }
      }
    }
  }
  return out;
}

/** Per nonce: the last nonce count used and the first client nonce (kept for -sess). */
interface NonceState {
  nc: number;
  cnonce: string;
}

/** How many nonces a client remembers counts for. */
const MAX_NONCES = 64;

/**
 * Answers Digest challenges for one username / password, remembering the nonce counts.
 *
 * The re-sent request must carry exactly the returned header lines in place of its old
 * `Authorization` / `Proxy-Authorization` lines, and a new CSeq (RFC 3261 §22.2). Whether the
 * credentials were refused is read from the challenged request itself: a new non-stale challenge
 * for a realm it already carried our credentials for means a wrong username or password
 * (RFC 3261 §22.1: "A UAC MUST NOT re-attempt requests with the credentials that have just been
 * rejected"), so a chain of 401s ends instead of looping. The caller should still cap the number of
 * rounds, as a server may answer `stale=true` with a new nonce forever.
 *
 * Requests that take no new credentials are the caller's job (RFC 3261 §22.1, §13.2.2.4): the
 * ACK for a non-2xx and the ACK for a 2xx carry the INVITE's Authorization and
 * Proxy-Authorization values unchanged; a CANCEL is never challenged and gets none.
 *
 * @example
 * ```ts
 * const client = new DigestClient({ username: 'alice', password: secret });
 * const r = client.authorize(register, res401);
 * if (!r.ok) throw r.error;
 * const retry = nextRegister(); // new CSeq, same Call-ID
 * for (const [name, value] of r.headers) retry.addHeader(name, value);
 * ```
 */
export class DigestClient {
  /** The username credentials are sent for. */
  readonly username: string;
  /** The only realm answered, when one was given. */
  readonly realm: string | undefined;
  readonly #password: string;
  readonly #cnonce: () => string;
  readonly #nonces = new Map<string, NonceState>();
  readonly #preemptive = new WeakSet<SipRequest>();

  /** @throws DigestError when the username or realm contains a control character. */
  constructor(credentials: DigestClientCredentials, options: DigestClientOptions = {}) {
    quoteValue(credentials.username, 'username');
    if (credentials.realm !== undefined) quoteValue(credentials.realm, 'realm');
    this.username = credentials.username;
    this.realm = credentials.realm;
    this.#password = credentials.password;
    this.#cnonce = options.cnonce ?? randomCnonce;
  }

  /**
   * The header lines that answer the challenges of `challengeResponse` (a 401 or 407 to
   * `request`): one per challenge it can answer (per realm, the strongest algorithm offered,
   * SHA-256 over MD5), then the request's other credentials renewed with the next nonce count
   * (so proxies that accepted them keep doing so, RFC 3261 §22.3).
   */
  authorize(request: SipRequest, challengeResponse: SipResponse): AuthorizeResult {
    const code = challengeResponse.status;
    const groups = new Map<string, DigestChallenge[]>();
    const headerName = new Map<string, string>();
    for (const { proxy, challenge } of challengesOf(challengeResponse)) {
      const key = realmKey(proxy, challenge.realm);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(challenge);
      headerName.set(key, proxy ? 'Proxy-Authorization' : 'Authorization');
    }
    const sent = sentCredentials(request);
    // RFC 3261 §22.1 / RFC 7616 §3.3: a challenge that is not stale, for a realm our credentials
    // were sent to, means they were refused. Credentials sent pre-emptively (reuseCredentials)
    // may have met a server that forgot their nonce, so they get one more round.
    if (!this.#preemptive.has(request)) {
      for (const [key, challenges] of groups) {
        const ours = (sent.get(key) ?? []).filter((s) => s.credentials.username === this.username);
        if (ours.length === 0 || !this.#accepts(challenges[0]!.realm)) continue;
        const stale = challenges.some((c) => c.stale && !ours.some((s) => s.credentials.nonce === c.nonce));
        if (!stale) {
          const realm = challenges[0]!.realm;
          return failure(new AuthenticationError('rejected', code, realm, `the credentials for realm ${JSON.stringify(realm)} were rejected (${code})`));
        }
      }
    }
    const headers: Array<[string, string]> = [];
    const answered = new Set<string>();
    for (const [key, challenges] of groups) {
      for (const c of this.#choose(challenges)) {
        headers.push([headerName.get(key)!, this.#answer(c, request)]);
        answered.add(key);
      }
    }
    if (headers.length === 0) return failure(unsupported(code, [...groups.values()].flat(), this.realm));
    for (const [key, list] of sent) {
      if (answered.has(key)) continue;
      for (const s of list) headers.push([s.name, this.#renew(s.credentials, request) ?? s.value]);
    }
    return authorized(headers);
  }

  /**
   * Credentials for `toRequest` built from those `fromRequest` carried (RFC 3261 §22.2: cache
   * credentials per To and realm; §22.3: proxy credentials per Call-ID): same realm, nonce,
   * algorithm, qop and opaque, the next nonce count, `toRequest`'s method, URI and body. Values
   * for another username or realm, or that cannot be renewed, are left out. The caller picks
   * `fromRequest` by those rules, adds the returned lines to `toRequest`, and later passes
   * `toRequest` to {@link authorize} as is; if it is challenged, the client answers once more
   * before calling the credentials rejected, as the server may merely have forgotten the nonce.
   */
  reuseCredentials(fromRequest: SipRequest, toRequest: SipRequest): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const list of sentCredentials(fromRequest).values()) {
      for (const s of list) {
        const value = this.#renew(s.credentials, toRequest);
        if (value !== undefined) out.push([s.name, value]);
      }
    }
    if (out.length > 0) this.#preemptive.add(toRequest);
    return out;
  }

  #accepts(realm: string): boolean {
    return this.realm === undefined || this.realm === realm;
  }

  /** The challenges of one realm to answer: those of the strongest supported algorithm, one per nonce. */
  #choose(challenges: DigestChallenge[]): DigestChallenge[] {
    if (!this.#accepts(challenges[0]!.realm)) return [];
    const usable = challenges.filter((c) => {
      const a = digestAlgorithm(c.algorithm);
      const qop = chooseQop(c.qop);
      return a !== undefined && qop !== null && !(qop === undefined && a.endsWith('-sess'));
    });
    if (usable.length === 0) return [];
    // RFC 8760 §2.4 / RFC 7616 §3.7: use the topmost supported challenge "unless a local policy
    // dictates otherwise". Ours: the strongest algorithm, as the order of header fields is not
    // protected against a downgrade (RFC 8760 §3); ties keep the server's order. Several
    // challenges of that algorithm with distinct nonces come from several servers sharing the
    // realm (RFC 3261 §22.3), and each gets an answer.
    const strength = (c: DigestChallenge): number => algorithmStrength(digestAlgorithm(c.algorithm)!);
    const best = usable.reduce((a, c) => (strength(c) > strength(a) ? c : a));
    const algorithm = digestAlgorithm(best.algorithm);
    const byNonce = new Map<string, DigestChallenge>();
    for (const c of usable) if (digestAlgorithm(c.algorithm) === algorithm && !byNonce.has(c.nonce)) byNonce.set(c.nonce, c);
    return [...byNonce.values()];
  }

  #answer(c: DigestChallenge, request: SipRequest): string {
    const algorithm = digestAlgorithm(c.algorithm)!;
    const state = this.#next(c.realm, c.nonce, 0, undefined);
    // RFC 7616 §3.4: nc counts the requests sent with this nonce; a fresh cnonce each time
    // except for -sess, whose session key was made with the first (RFC 2617 §3.2.2.2).
    const cnonce = algorithm.endsWith('-sess') ? state.cnonce : this.#cnonce();
    const { method, uriString: uri, body } = request;
    return authorizationFor({ challenge: c, method, uri, username: this.username, password: this.#password, cnonce, nc: state.nc, body });
  }

  /** Our credentials `previous` redone for `request` with the next nonce count, or undefined. */
  #renew(previous: DigestCredentials, request: SipRequest): string | undefined {
    if (previous.username !== this.username || !this.#accepts(previous.realm)) return undefined;
    const algorithm = digestAlgorithm(previous.algorithm);
    if (algorithm === undefined || (previous.qop !== undefined && previous.qop !== 'auth' && previous.qop !== 'auth-int')) return undefined;
    const qop = previous.qop as DigestQop | undefined;
    if (qop === undefined && algorithm.endsWith('-sess')) return undefined;
    const lastNc = previous.nc === undefined ? 0 : parseInt(previous.nc, 16);
    const state = this.#next(previous.realm, previous.nonce, lastNc, previous.cnonce);
    const challenge: DigestChallenge = { realm: previous.realm, nonce: previous.nonce, stale: false, params: {} };
    if (previous.algorithm !== undefined) challenge.algorithm = previous.algorithm;
    if (previous.opaque !== undefined) challenge.opaque = previous.opaque;
    const cnonce = algorithm.endsWith('-sess') ? (previous.cnonce ?? state.cnonce) : this.#cnonce();
    const { method, uriString: uri, body } = request;
    return authorizationFor({ challenge, method, uri, username: this.username, password: this.#password, cnonce, nc: state.nc, body, qop });
  }

  /** Counts one more use of a nonce (after at least `atLeast` earlier ones). */
  #next(realm: string, nonce: string, atLeast: number, cnonce: string | undefined): NonceState {
    const key = `${realm}\u0000${nonce}`;
    const state = this.#nonces.get(key) ?? { nc: 0, cnonce: cnonce ?? this.#cnonce() };
    state.nc = Math.max(state.nc, atLeast) + 1;
    this.#nonces.delete(key); // most recently used last; the oldest goes when full
    this.#nonces.set(key, state);
    if (this.#nonces.size > MAX_NONCES) this.#nonces.delete(this.#nonces.keys().next().value!);
    return state;
  }
}

/** The qop to answer with: `auth` when offered, else `auth-int`; `undefined` without qop; `null` when none is supported. */
function chooseQop(offered: readonly string[] | undefined): DigestQop | undefined | null {
  if (offered === undefined) return undefined;
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  return null;
}

function realmKey(proxy: boolean, realm: string): string {
  return `${proxy ? 'proxy' : 'www'}\u0000${realm}`;
}

/** The Digest credentials a request carries, by header kind and realm. */
function sentCredentials(request: SipRequest): Map<string, Array<{ name: string; value: string; credentials: DigestCredentials }>> {
  const out = new Map<string, Array<{ name: string; value: string; credentials: DigestCredentials }>>();
  for (const [name, proxy] of [['Authorization', false], ['Proxy-Authorization', true]] as const) {
    for (const value of request.headers(name)) {
      let credentials: DigestCredentials;
      try {
        credentials = parseDigestCredentials(value);
      } catch {
        continue;
      }
      const key = realmKey(proxy, credentials.realm);
      if (!out.has(key)) out.set(key, []);
      out.get(key)!.push({ name, value, credentials });
    }
  }
  return out;
}

function formatCredentials(f: {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string | undefined;
  cnonce: string | undefined;
  opaque: string | undefined;
  qop: DigestQop | undefined;
  nc: string | undefined;
}): string {
  // RFC 7616 §3.4: algorithm, qop and nc are tokens, the rest quoted-strings.
  const parts = [
    `username=${quoteValue(f.username, 'username')}`,
    `realm=${quoteValue(f.realm, 'realm')}`,
    `nonce=${quoteValue(f.nonce, 'nonce')}`,
    `uri=${quoteValue(f.uri, 'uri')}`,
    `response="${f.response}"`,
  ];
  if (f.algorithm !== undefined) parts.push(`algorithm=${f.algorithm}`);
  if (f.cnonce !== undefined) parts.push(`cnonce=${quoteValue(f.cnonce, 'cnonce')}`);
  if (f.opaque !== undefined) parts.push(`opaque=${quoteValue(f.opaque, 'opaque')}`);
  if (f.qop !== undefined) parts.push(`qop=${f.qop}`, `nc=${f.nc}`);
  return `Digest ${parts.join(', ')}`;
}

/** The nonce count as written: 8 lower-case hex digits (RFC 7616 §3.4). */
function formatNc(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function randomCnonce(): string {
  return randomBytes(16).toString('hex');
}

function authorized(headers: Array<[string, string]>): AuthorizeResult {
  const result = { ok: true } as { ok: true; headers: Array<[string, string]> };
  Object.defineProperty(result, 'headers', { value: headers, enumerable: false });
  return result;
}

function failure(error: AuthenticationError): AuthorizeResult {
  return { ok: false, error };
}

function unsupported(code: number, offered: DigestChallenge[], realm: string | undefined): AuthenticationError {
  const list = offered.map((c) => `realm ${JSON.stringify(c.realm)} algorithm=${c.algorithm ?? 'MD5'}${c.qop ? ` qop=${c.qop.join(',')}` : ''}`);
  const why = offered.length === 0 ? 'no Digest challenge' : `no challenge this client can answer (offered: ${list.join('; ')})`;
  const only = realm === undefined ? '' : `; credentials are for realm ${JSON.stringify(realm)}`;
  return new AuthenticationError('unsupported', code, offered[0]?.realm, `${code}: ${why}${only}`);
}
