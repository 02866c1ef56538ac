// Header names: canonical spelling, compact forms (RFC 3261 §7.3.3, §20; RFC 3515, RFC 4028,
// RFC 3841, RFC 3892, RFC 6665), and which headers are comma-separated lists.

import { isToken } from './chars.js';

/** Compact form → full lower-case name. */
const COMPACT: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
});

/** Canonical spellings of well-known headers, keyed by lower-case name. */
// Null-prototype objects: header names such as "constructor" or "__proto__" are valid tokens.
const CANONICAL: Record<string, string> = Object.create(null) as Record<string, string>;
for (const name of [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Accept-Resource-Priority', 'Alert-Info', 'Allow',
  'Allow-Events', 'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Event',
  'Expires', 'Feature-Caps', 'Geolocation', 'History-Info', 'Identity', 'Identity-Info', 'In-Reply-To', 'Info-Package',
  'Join', 'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Min-SE', 'Organization', 'P-Asserted-Identity',
  'P-Associated-URI', 'P-Called-Party-ID', 'P-Charging-Vector', 'P-Preferred-Identity', 'Path', 'Priority', 'Privacy',
  'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route', 'Recv-Info',
  'Refer-Sub', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition', 'Require',
  'Resource-Priority', 'Retry-After', 'Route', 'RSeq', 'Security-Client', 'Security-Server', 'Security-Verify',
  'Server', 'Service-Route', 'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State',
  'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
]) {
  CANONICAL[name.toLowerCase()] = name;
}

/**
 * Headers whose grammar is a comma-separated list (`#` or `1#` in the ABNF), so several values may
 * share one header line. Headers not listed here (WWW-Authenticate, Authorization, Date, Call-ID,
 * unknown extension headers ...) are never split on commas.
 */
const LIST_HEADERS = new Set([
  'accept', 'accept-contact', 'accept-encoding', 'accept-language', 'accept-resource-priority', 'alert-info', 'allow',
  'allow-events', 'call-info', 'contact', 'content-encoding', 'content-language', 'error-info', 'feature-caps',
  'geolocation', 'history-info', 'in-reply-to', 'p-asserted-identity', 'p-associated-uri', 'p-preferred-identity',
  'path', 'proxy-require', 'reason', 'record-route', 'recv-info', 'reject-contact', 'request-disposition', 'require',
  'resource-priority', 'route', 'security-client', 'security-server', 'security-verify', 'service-route', 'supported',
  'unsupported', 'via', 'warning',
]);

// Raw spelling → key. Most messages use a handful of spellings, so remembering them saves the
// lower-casing on every header of every message. Bounded so hostile input cannot grow it.
const keyCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 2048;

/** The lower-case full name a header is known by, whatever its case or compact form. */
export function headerKey(name: string): string {
  let key = keyCache.get(name);
  if (key !== undefined) return key;
  const lower = name.toLowerCase();
  key = lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
  // Only tokens are remembered: the parser takes a cache hit as proof that a name is valid.
  if (keyCache.size < KEY_CACHE_LIMIT && isToken(name)) keyCache.set(name, key);
  return key;
}

/**
 * The key of a header name seen before, or `undefined`. Only names that are valid tokens get this
 * far into the cache, so a hit needs no further validation. @internal
 */
export function knownHeaderKey(name: string): string | undefined {
  return keyCache.get(name);
}

/** The canonical spelling for a header name (`v` → `Via`, `call-id` → `Call-ID`); unknown names are returned as given. */
export function canonicalHeaderName(name: string): string {
  return CANONICAL[headerKey(name)] ?? name;
}

/** True when the header's grammar is a comma-separated list. */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/** @internal */
export function isListKey(key: string): boolean {
  return LIST_HEADERS.has(key);
}

// The headers nearly every message carries, grouped by length, for a lookup that needs no
// lower-casing or hashing of the name.
const COMMON: Array<string[] | undefined> = [];
for (const name of [
  'via', 'to', 'from', 'call-id', 'cseq', 'contact', 'max-forwards', 'content-length', 'content-type', 'allow',
  'supported', 'user-agent', 'server', 'route', 'record-route', 'expires', 'require', 'event', 'subscription-state',
  'authorization', 'www-authenticate', 'proxy-authorization', 'proxy-authenticate', 'allow-events', 'accept',
  'session-expires', 'min-se', 'date', 'refer-to', 'referred-by', 'p-asserted-identity', 'reason', 'privacy',
]) {
  (COMMON[name.length] ??= []).push(name);
}

/**
 * The key of a common header whose name is `s[start, end)`, compared case-insensitively, or
 * `undefined` (then use {@link headerKey}). A match is a valid token by construction.
 */
export function commonHeaderKey(s: string, start: number, end: number): string | undefined {
  const len = end - start;
  if (len === 1) {
    const c = s.charCodeAt(start) | 0x20;
    return c >= 97 && c <= 122 ? COMPACT[String.fromCharCode(c)] : undefined;
  }
  const candidates = COMMON[len];
  if (candidates === undefined) return undefined;
  outer: for (let k = 0; k < candidates.length; k++) {
    const cand = candidates[k]!;
    for (let i = 0; i < len; i++) {
      const want = cand.charCodeAt(i);
      const got = s.charCodeAt(start + i);
      if (got !== want && (want < 97 || want > 122 || got !== want - 32)) continue outer;
    }
    return cand;
  }
  return undefined;
}
