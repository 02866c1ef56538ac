// UAS request validation (RFC 3261 §8.2): the checks a user agent server makes before it looks at
// what a request asks for, and the error response each failure calls for. The checks run in the
// order of §8.2.1-§8.2.3, after the sanity checks the RFC assumes a message has already passed
// (§8.1.1 mandatory headers, §7.3.1 single-value headers, §8.1.1.5 CSeq method).
//
// What is deliberately not here (and who does it):
// - §8.2.2.1 "does the Request-URI / To address a user of this UA" (404): the UserAgent, which
//   knows its addresses. RFC 3261 recommends accepting unknown schemes in To, so To is not checked.
// - §8.2.2.2 merged requests (482): the transaction layer (see transaction/layer.ts).
// - Transaction matching without an RFC 3261 branch (RFC 4475 badbranch): the transaction layer.
// - Registrar rules (§10.3: AOR in To must be sip/sips, Contact bindings, Authorization): REGISTER
//   handling. Max-Forwards 0 (483) is a proxy rule (§16.3); a UAS processes such a request.
// - Accept in the request (the types the response body may have, RFC 4475 sdp01): the INVITE
//   session, which builds the answer and knows whether it can meet it.

import { createResponse, type SipRequest, type SipResponse, SipUri } from '../parser/index.js';
import { headerKey } from '../parser/header-names.js';
import { peekCSeq } from '../parser/message.js';
import { newTag } from '../transaction/tags.js';

/** What this UAS supports, as it advertises it in Allow, Supported and Accept. */
export interface UasCapabilities {
  /**
   * Methods this UAS implements (case-sensitive, RFC 3261 §25.1), listed in the Allow header of a
   * 405 or 501. Include ACK and CANCEL if INVITE is listed.
   */
  methods: readonly string[];
  /** Option tags this UAS supports (RFC 3261 §19.2, the Supported header); none when omitted. */
  extensions?: readonly string[];
  /** Body media types this UAS understands (`type/subtype`, no parameters); `['application/sdp']` when omitted. */
  contentTypes?: readonly string[];
  /** Request-URI schemes this UAS accepts; `['sip', 'sips', 'tel']` when omitted. */
  schemes?: readonly string[];
}

/**
 * Methods defined by RFC 3261 and its standards-track extensions (RFC 3262 PRACK, RFC 3311
 * UPDATE, RFC 6086 INFO, RFC 6665 SUBSCRIBE/NOTIFY, RFC 3515 REFER, RFC 3428 MESSAGE,
 * RFC 3903 PUBLISH). A UAS that does not allow one of these answers 405; any other method it
 * does not implement gets 501 (RFC 3261 §8.2.1, §21.5.2).
 */
export const KNOWN_METHODS: readonly string[] = Object.freeze([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'PRACK', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER',
  'MESSAGE', 'PUBLISH',
]);

/**
 * Headers that may appear at most once in a request: their grammar is not a comma-separated list,
 * so RFC 3261 §7.3.1 allows only one line, and a second one leaves the request ambiguous
 * (RFC 4475 §3.3.8 multi01). Those of RFC 3261 §20 with a protocol meaning, and extension headers
 * whose RFCs say the same (Refer-To RFC 3515 §2.4.1, Replaces RFC 3891 §3, Event RFC 6665,
 * RSeq/RAck RFC 3262, Session-Expires/Min-SE RFC 4028).
 */
export const SINGLE_VALUE_HEADERS: readonly string[] = Object.freeze([
  'To', 'From', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Length', 'Content-Type', 'Content-Disposition',
  'MIME-Version', 'Expires', 'Min-Expires', 'Date', 'Timestamp', 'Refer-To', 'Replaces', 'Event', 'RSeq', 'RAck',
  'Session-Expires', 'Min-SE',
]);

const DEFAULT_CONTENT_TYPES: readonly string[] = ['application/sdp'];
const DEFAULT_SCHEMES: readonly string[] = ['sip', 'sips', 'tel'];
const MANDATORY_HEADERS = ['To', 'From', 'Call-ID', 'CSeq', 'Via'] as const;
const MANDATORY_KEYS: readonly string[] = MANDATORY_HEADERS.map(headerKey);
const SINGLE_VALUE_KEYS: readonly string[] = SINGLE_VALUE_HEADERS.map(headerKey);
/**
 * The header lines validateRequest counts, the mandatory ones and those that may not repeat, each
 * with a bit of its own: one pass over the lines, and no map per request.
 */
const COUNTED_BIT: ReadonlyMap<string, number> = new Map([...new Set([...MANDATORY_KEYS, ...SINGLE_VALUE_KEYS])].map((k, i) => [k, 2 ** i]));
if (COUNTED_BIT.size > 31) throw new Error('validateRequest counts at most 31 headers (one bit each)');
const bitOf = (key: string): number => COUNTED_BIT.get(key)!;
const MANDATORY_MASK = MANDATORY_KEYS.reduce((mask, k) => mask | bitOf(k), 0);
const SINGLE_VALUE_MASK = SINGLE_VALUE_KEYS.reduce((mask, k) => mask | bitOf(k), 0);

/**
 * Checks a request as a UAS must before processing it (RFC 3261 §8.2) and returns the error
 * response to send, or `undefined` when the request may proceed. Checks, first failure wins:
 *
 * 1. Protocol version other than SIP/2.0 → 505 (RFC 3261 §21.5.6; RFC 4475 badvers).
 * 2. Sanity → 400 with the problem in the reason phrase: a missing To, From, Call-ID, CSeq or
 *    Via (§8.1.1; Max-Forwards is not required, so RFC 2543 requests such as RFC 4475 inv2543
 *    pass), more than one line of a {@link SINGLE_VALUE_HEADERS} header (§7.3.1), or a CSeq
 *    method that differs from the request method (§8.1.1.5; RFC 4475 mismatch01). A mismatch on
 *    a method this UAS does not recognise at all is left to step 3, which answers 501, as
 *    RFC 4475 §3.1.2.18 (mismatch02) recommends.
 * 3. §8.2.1 method: not in `methods` → 405 for a {@link KNOWN_METHODS} method, 501 for any other;
 *    both carry Allow.
 * 4. §8.2.2.1 Request-URI: scheme not in `schemes` → 416 (RFC 4475 unkscm, novelsc); a SIP URI
 *    carrying `?headers`, which a Request-URI may not (§19.1.1, Table 1; RFC 4475 escruri) → 400.
 * 5. §8.2.2.3 Require: option tags not in `extensions` → 420 with Unsupported listing them
 *    (compared case-insensitively, §7.3.1: tokens). Not for CANCEL: Require MUST be ignored there.
 * 6. §8.2.3 content, only when there is a body: no Content-Type → 400 (§20.15); a media type not in
 *    `contentTypes` → 415 with Accept; a Content-Encoding other than `identity` → 415 with
 *    Accept-Encoding: identity. A body whose Content-Disposition says `handling=optional` may be
 *    ignored instead (§20.11), so it never causes a 415.
 *
 * An ACK is never answered: it is the one request with no response (the INVITE server transaction
 * absorbs the ACK for a non-2xx, RFC 3261 §17.2.1; the UAS core takes the one for a 2xx,
 * §13.3.1.4). So for an ACK this returns `undefined` whatever the ACK contains; the caller drops a
 * bad one.
 *
 * Every response is built with `createResponse` (Via, From, To, Call-ID and CSeq copied, §8.2.6.2)
 * and gets a new To tag unless the request has one already. A request with no To header cannot
 * have one, and a request with no Via gives a response nobody can route: its 400 is returned all the
 * same, for the caller to log or drop.
 *
 * @example
 * ```ts
 * const error = validateRequest(request, { methods: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'] });
 * if (error !== undefined) tx.respond(error);
 * else report(request.method);
 * ```
 */
export function validateRequest(request: SipRequest, capabilities: UasCapabilities): SipResponse | undefined {
  // §17.2.1, §13.3.1.4: nothing ever responds to an ACK.
  if (request.method === 'ACK') return undefined;

  // §8.2 and §21.5.6: we speak SIP/2.0 only ("SIP" is case-insensitive, §7.1).
  if (request.version !== 'SIP/2.0' && request.version.toUpperCase() !== 'SIP/2.0') return reject(request, 505);

  // §8.1.1: To, From, CSeq, Call-ID and Via are mandatory in every request. Max-Forwards is too for a
  // UAC, but RFC 2543 did not have it and a UAS loses nothing without it (RFC 4475 inv2543).
  // §7.3.1: only list headers may repeat; two To or CSeq lines leave the request ambiguous (RFC 4475 multi01).
  // (Both checks in one pass over the header lines: this runs for every request.)
  let seen = 0;
  let again = 0;
  for (const f of request.fields) {
    const bit = COUNTED_BIT.get(f.key);
    if (bit === undefined) continue;
    if ((seen & bit) !== 0) again |= bit;
    seen |= bit;
  }
  if ((seen & MANDATORY_MASK) !== MANDATORY_MASK) {
    const missing = MANDATORY_HEADERS.filter((_, i) => (seen & bitOf(MANDATORY_KEYS[i]!)) === 0);
    return reject(request, 400, `Bad Request (missing ${missing.join(', ')})`);
  }
  if ((again & SINGLE_VALUE_MASK) !== 0) {
    const repeated = SINGLE_VALUE_HEADERS.filter((_, i) => (again & bitOf(SINGLE_VALUE_KEYS[i]!)) !== 0);
    return reject(request, 400, `Bad Request (more than one ${repeated.join(', ')})`);
  }

  const methods = capabilities.methods;
  const allowed = methods.includes(request.method);
  const recognised = allowed || KNOWN_METHODS.includes(request.method);

  // §8.1.1.5: the CSeq method MUST match the request method, also for CANCEL (§9.1) (RFC 4475
  // mismatch01 → 400). For a method we do not recognise, RFC 4475 §3.1.2.18 (mismatch02) prefers
  // 501 over 400, so the method check below decides.
  const cseqMethod = peekCSeq(request)?.method;
  if (recognised && cseqMethod !== request.method) {
    return reject(request, 400, `Bad Request (CSeq method ${cseqMethod ?? ''} does not match ${request.method})`);
  }

  // §8.2.1: 405 for a method we know but do not allow, 501 (§21.5.2) for one we do not implement;
  // both list what we do allow.
  if (!allowed) {
    const allow = { Allow: methods.length > 0 ? methods : '' };
    return recognised ? reject(request, 405, undefined, allow) : reject(request, 501, undefined, allow);
  }

  // §8.2.2.1: a Request-URI scheme we do not understand → 416.
  const uri = request.peekUri();
  const scheme = uri.scheme.toLowerCase();
  if (!(capabilities.schemes ?? DEFAULT_SCHEMES).some((s) => s.toLowerCase() === scheme)) return reject(request, 416);
  // §19.1.1 (Table 1): headers are not allowed in a Request-URI (RFC 4475 escruri: 400 is acceptable).
  if (uri instanceof SipUri && uri.headers.size > 0) return reject(request, 400, 'Bad Request (headers in Request-URI)');

  // §8.2.2.3: every option tag in Require must be one we support → else 420 with Unsupported.
  // "Require and Proxy-Require MUST NOT be used in a SIP CANCEL request ... These header fields
  // MUST be ignored if they are present." Proxy-Require is for proxies (§20.29); a UAS ignores it.
  const required = request.method === 'CANCEL' || !request.hasHeader('Require') ? NONE : request.headers('Require');
  if (required.length > 0) {
    const supported = new Set((capabilities.extensions ?? []).map((t) => t.toLowerCase()));
    const unsupported: string[] = [];
    for (const tag of required) {
      const key = tag.toLowerCase();
      if (!supported.has(key) && !unsupported.some((t) => t.toLowerCase() === key)) unsupported.push(tag);
    }
    if (unsupported.length > 0) return reject(request, 420, undefined, { Unsupported: unsupported });
  }

  return checkContent(request, capabilities);
}

/** §8.2.3 and §20.15: the body, if any, must be one we can read. */
function checkContent(request: SipRequest, capabilities: UasCapabilities): SipResponse | undefined {
  if (request.bodyLength === 0) return undefined;
  const contentType = request.contentType;
  // §20.15: "The Content-Type header field MUST be present if the body is not empty."
  if (contentType === undefined) return reject(request, 400, 'Bad Request (body without Content-Type)');
  // §20.11: with handling=optional the UAS may ignore a body it does not understand.
  if (handlingIsOptional(request.header('Content-Disposition'))) return undefined;

  const accepted = mediaTypesOf(capabilities.contentTypes ?? DEFAULT_CONTENT_TYPES);
  const typeOk = accepted.includes(mediaType(contentType));
  const encodingOk = !request.hasHeader('Content-Encoding') || request.headers('Content-Encoding').every((c) => c.toLowerCase() === 'identity');
  if (typeOk && encodingOk) return undefined;
  // §8.2.3: Accept lists the types we understand, Accept-Encoding the encodings (only identity).
  const headers: Array<[string, string | readonly string[]]> = [];
  if (!typeOk) headers.push(['Accept', accepted.length > 0 ? accepted : '']);
  if (!encodingOk) headers.push(['Accept-Encoding', 'identity']);
  return reject(request, 415, undefined, headers);
}

/** No option tags. */
const NONE: readonly string[] = [];

/** The media types of a list of content types, made once per list (the same lists are given for every request). */
const MEDIA_TYPES = new WeakMap<readonly string[], readonly string[]>();
function mediaTypesOf(contentTypes: readonly string[]): readonly string[] {
  let types = MEDIA_TYPES.get(contentTypes);
  if (types === undefined) MEDIA_TYPES.set(contentTypes, (types = contentTypes.map(mediaType)));
  return types;
}

/** `type/subtype` in lower case, without parameters or whitespace (media types are case-insensitive). */
function mediaType(value: string): string {
  if (value === 'application/sdp') return value; // (as nearly every INVITE writes it)
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).replace(/[ \t]+/g, '').toLowerCase();
}

/** True when a Content-Disposition value carries `handling=optional` (RFC 3261 §20.11; default is required). */
function handlingIsOptional(disposition: string | undefined): boolean {
  if (disposition === undefined) return false;
  return disposition
    .split(';')
    .slice(1)
    .some((p) => {
      const eq = p.indexOf('=');
      return eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'handling' && p.slice(eq + 1).trim().toLowerCase() === 'optional';
    });
}

/** The error response: copied headers, a To tag when possible (§8.2.6.2), and the extra headers given. */
function reject(
  request: SipRequest,
  status: number,
  reason?: string,
  headers?: Record<string, string | readonly string[]> | Array<[string, string | readonly string[]]>,
): SipResponse {
  // createResponse keeps a To tag the request already has (an in-dialog request).
  return createResponse(request, status, reason, { toTag: request.to !== undefined ? newTag() : undefined, headers });
}
