// The fast path of parseMessage: one pass over the bytes of a well-formed, plainly written
// message (ASCII header section, CRLF line ends, no folding, the usual shapes of the headers the
// stack needs). It validates exactly what parse.ts validates, and builds only what is cheap; it
// gives up (returns undefined) on anything it does not recognise, and parse.ts then parses the
// message the thorough way, which also produces every error. So this code never reports an
// error itself: the one rule is that it must never accept what the thorough parser rejects,
// and must build the same message when it accepts.

import { CLASS, HOST, PARAM, PASSWORD, TOKEN, UINT32_MAX, USER, WORD } from './chars.js';
import { headerKey } from './header-names.js';
import { CSeq, type SipRequest, SipRequest as Request, SipResponse, WireField, type Field } from './message.js';
import { type Param, Params } from './params.js';
import { PENDING, type TypedValue } from './typed-headers.js';
import { type Via, viaFromParts } from './via.js';

const MAX_HEADERS = 256;
const MAX_HEADER_LINE = 8192;

// Byte classes, 256 entries so that bytes >= 0x80 (class 0) need no separate test.
const T = new Uint16Array(256);
for (let c = 0; c < 128; c++) T[c] = CLASS[c]!;
/** A character a header value may hold outside quoted-pairs: VCHAR, SP, HTAB. */
const VCH = 512;
/** 0-9 */
const DIG = 1024;
/** token chars and ":" (Via parameter values, where IPv6 addresses go unbracketed) */
const TOKEN_COLON = 8192;
T[58]! |= TOKEN_COLON;
for (let c = 0; c < 128; c++) if ((CLASS[c]! & TOKEN) !== 0) T[c]! |= TOKEN_COLON;
/** user chars for an addr-spec URI, whose text ends at ";", "," (RFC 3261 §20.10) */
const USER_AS = 2048;
for (let c = 32; c < 127; c++) T[c]! |= VCH;
T[9]! |= VCH;
for (let c = 48; c <= 57; c++) T[c]! |= DIG;
/** password chars for an addr-spec URI */
const PASSWORD_AS = 4096;
for (let c = 0; c < 128; c++) {
  if ((CLASS[c]! & USER) !== 0 && c !== 59 && c !== 44 && c !== 63) T[c]! |= USER_AS;
  if ((CLASS[c]! & PASSWORD) !== 0 && c !== 59 && c !== 44 && c !== 63) T[c]! |= PASSWORD_AS;
}

/** Lower-case letters, everything else unchanged. */
const FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) FOLD[c] = c >= 65 && c <= 90 ? c + 32 : c;

// How each header is checked.
const K_DEFAULT = 0;
const K_VIA = 1;
const K_FROM_TO = 2;
const K_CONTACT = 3;
const K_ROUTE = 4;
const K_CALLID = 5;
const K_CSEQ = 6;
const K_MAXFWD = 7;
const K_CLEN = 8;
const K_EXPIRES = 9;
const K_CTYPE = 10;
const K_SLOW = 11; // Retry-After, Warning: left to the thorough parser

interface Known {
  key: string;
  canonical: string;
  kind: number;
  /** The key's char codes. */
  codes: Uint8Array;
  /** The canonical spelling's char codes. */
  canonCodes: Uint8Array;
}

/** Known names by the lower-case code of their first letter. */
const BY_FIRST: Known[][] = [];
function known(canonical: string, kind: number, key = canonical.toLowerCase()): void {
  const codes = new Uint8Array(canonical.length);
  const lower = canonical.toLowerCase();
  for (let i = 0; i < lower.length; i++) codes[i] = lower.charCodeAt(i);
  const canonCodes = Uint8Array.from(canonical, (ch) => ch.charCodeAt(0));
  (BY_FIRST[codes[0]!] ??= []).push({ key, canonical, kind, codes, canonCodes });
}
// Every header the thorough parser checks specially must be here (any case matches).
known('Via', K_VIA);
known('From', K_FROM_TO);
known('To', K_FROM_TO);
known('Contact', K_CONTACT);
known('Route', K_ROUTE);
known('Record-Route', K_ROUTE);
known('Call-ID', K_CALLID);
known('CSeq', K_CSEQ);
known('Max-Forwards', K_MAXFWD);
known('Content-Length', K_CLEN);
known('Expires', K_EXPIRES);
known('Min-Expires', K_EXPIRES);
known('Content-Type', K_CTYPE);
known('Retry-After', K_SLOW);
known('Warning', K_SLOW);
// Common headers checked only for control characters: known here to save building their key.
for (const name of [
  'Allow', 'Supported', 'User-Agent', 'Server', 'Allow-Events', 'Require', 'Authorization', 'WWW-Authenticate',
  'Proxy-Authorization', 'Proxy-Authenticate', 'Session-Expires', 'Min-SE', 'Privacy', 'Accept', 'Event',
  'Subscription-State', 'Date', 'Refer-To', 'Referred-By', 'P-Asserted-Identity', 'Reason', 'Content-Disposition',
  'Accept-Encoding', 'Accept-Language', 'Content-Encoding', 'Organization', 'Subject', 'Timestamp', 'Unsupported',
  'Proxy-Require', 'Path', 'Service-Route', 'Call-Info', 'Alert-Info', 'Authentication-Info', 'P-Preferred-Identity',
  'History-Info', 'RSeq', 'RAck', 'Replaces',
]) {
  known(name, K_DEFAULT);
}
// Compact forms (RFC 3261 §7.3.3 and extensions): key, kind.
const COMPACT_KIND: Array<[string, number] | undefined> = [];
for (const [c, key, kind] of [
  ['v', 'via', K_VIA], ['f', 'from', K_FROM_TO], ['t', 'to', K_FROM_TO], ['m', 'contact', K_CONTACT], ['i', 'call-id', K_CALLID],
  ['l', 'content-length', K_CLEN], ['c', 'content-type', K_CTYPE],
] as const) {
  COMPACT_KIND[c.charCodeAt(0)] = [key, kind];
}

const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH'];
const METHOD_CODES = METHODS.map((m) => Uint8Array.from(m, (ch) => ch.charCodeAt(0)));
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'];
const TRANSPORT_CODES = TRANSPORTS.map((m) => Uint8Array.from(m, (ch) => ch.charCodeAt(0)));

/** Index of `list` whose codes equal b[s, e) exactly, or -1. */
function exactIn(b: Uint8Array, s: number, e: number, codes: Uint8Array[]): number {
  const len = e - s;
  outer: for (let k = 0; k < codes.length; k++) {
    const c = codes[k]!;
    if (c.length !== len) continue;
    for (let i = 0; i < len; i++) if (b[s + i] !== c[i]) continue outer;
    return k;
  }
  return -1;
}

// Scratch state of one header line, set by the checkers.
let lineKey = '';
let lineKind = 0;
let exactName = '';

/**
 * Recognises a known header name starting at b[s] (any case, a full token); sets
 * lineKey/lineKind/exactName and returns the index after the name, or -1 when it is not one.
 */
function lookupName(b: Uint8Array, s: number): number {
  const first = FOLD[b[s]!]!;
  if ((T[b[s + 1]!]! & TOKEN) === 0) {
    const k = COMPACT_KIND[first];
    if (k === undefined) return -1;
    lineKey = k[0];
    lineKind = k[1];
    exactName = '';
    return s + 1;
  }
  const list = BY_FIRST[first];
  if (list === undefined) return -1;
  outer: for (let k = 0; k < list.length; k++) {
    const cand = list[k]!;
    const canon = cand.canonCodes;
    const len = canon.length;
    // a name of another length is not this one
    if ((T[b[s + len]!]! & TOKEN) !== 0) continue;
    let exact = true;
    for (let i = 0; i < len; i++) {
      const c = b[s + i]!;
      if (c !== canon[i]) {
        if (FOLD[c] !== cand.codes[i]) continue outer;
        exact = false;
      }
    }
    lineKey = cand.key;
    lineKind = cand.kind;
    // The name as written is the canonical spelling most of the time: reuse that string.
    exactName = exact ? cand.canonical : '';
    return s + len;
  }
  return -1;
}

function skipWsB(b: Uint8Array, i: number): number {
  let c = b[i];
  while (c === 32 || c === 9) c = b[++i];
  return i;
}

/** Scans chars of class `mask` with valid %HH escapes; returns the stop index, or -1 on a bad escape. */
function scanEsc(b: Uint8Array, i: number, mask: number): number {
  for (;;) {
    const c = b[i]!;
    if ((T[c]! & mask) === 0) return i;
    if (c === 37) {
      if (!isHexB(b[i + 1]!) || !isHexB(b[i + 2]!)) return -1;
      i += 3;
    } else i++;
  }
}

function isHexB(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Scans a host (not an IPv6 reference) starting at `s`: returns the index after it when
 * classifyHostRange would accept it, else -1. One pass for names; IPv4 addresses are checked again.
 */
function host(b: Uint8Array, s: number): number {
  let i = s;
  let labelStart = s;
  let closedStart = s;
  let bad = false;
  for (;;) {
    const c = b[i]!;
    if (c === 46) {
      if (i === labelStart || b[labelStart] === 45 || b[i - 1] === 45) bad = true;
      closedStart = labelStart;
      labelStart = i + 1;
    } else if ((T[c]! & HOST) === 0) break;
    i++;
  }
  if (i === s) return -1;
  const trailingDot = labelStart === i;
  const top = b[trailingDot ? closedStart : labelStart]!;
  if (top >= 48 && top <= 57) return ipv4Ok(b, s, i) ? i : -1;
  if (bad) return -1;
  // the last label (a trailing dot closed it already)
  if (!trailingDot && (b[labelStart] === 45 || b[i - 1] === 45)) return -1;
  return i;
}

/** classifyHostRange for a host that is not an IPv6 reference: true when valid. */
function hostOk(b: Uint8Array, s: number, e: number): boolean {
  if (e <= s) return false;
  // the top label starts after the last dot (a trailing dot ends the name)
  let k = b[e - 1] === 46 ? e - 2 : e - 1;
  while (k >= s && b[k] !== 46) k--;
  const top = b[k >= s ? k + 1 : s]!;
  if (top >= 48 && top <= 57) return ipv4Ok(b, s, e);
  let labelStart = s;
  const n = b[e - 1] === 46 ? e - 1 : e;
  if (n <= s) return false;
  for (let i = s; i <= n; i++) {
    const c = i < n ? b[i]! : 46;
    if (c === 46) {
      if (i === labelStart) return false;
      if (b[labelStart] === 45 || b[i - 1] === 45) return false;
      labelStart = i + 1;
    } else if ((T[c]! & HOST) === 0) return false;
  }
  return true;
}

function ipv4Ok(b: Uint8Array, s: number, e: number): boolean {
  let dots = 0;
  let digits = 0;
  let value = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return false;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

/** Digits b[s, e) as a number no larger than max, or -1. */
function decimal(b: Uint8Array, s: number, e: number, max: number): number {
  if (s >= e) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
    if (v > max) return -1;
  }
  return v;
}

function digitsEnd(b: Uint8Array, i: number): number {
  while ((T[b[i]!]! & DIG) !== 0) i++;
  return i;
}

/**
 * Checks a sip:/sips: URI starting at `i` (the scheme). Returns the index of the first byte after
 * it, or -1 to give up. With `addrSpec`, the URI has no parameters and its user part cannot hold
 * ";" or "," (RFC 3261 §20.10). URI headers ("?") and IPv6 hosts are left to the thorough parser.
 */
function sipUri(b: Uint8Array, i: number, addrSpec: boolean): number {
  if (FOLD[b[i]!] !== 115 || FOLD[b[i + 1]!] !== 105 || FOLD[b[i + 2]!] !== 112) return -1;
  i += 3;
  if (FOLD[b[i]!] === 115) i++;
  if (b[i] !== 58) return -1;
  const start = i + 1;
  // userinfo: the user part, up to "@" (or ":" then a password and "@")
  let hostStart = start;
  let j = scanEsc(b, start, addrSpec ? USER_AS : USER);
  if (j < 0) return -1;
  let c = b[j];
  if (c === 64) {
    if (j === start) return -1;
    hostStart = j + 1;
  } else if (c === 58 && j > start) {
    const k = scanEsc(b, j + 1, addrSpec ? PASSWORD_AS : PASSWORD);
    if (k < 0) return -1;
    if (b[k] === 64) hostStart = k + 1;
  }
  // host [":" port]
  if (b[hostStart] === 91) return -1;
  j = host(b, hostStart);
  if (j < 0) return -1;
  if (b[j] === 58) {
    const p0 = j + 1;
    j = digitsEnd(b, p0);
    if (j === p0 || j - p0 > 5 || decimal(b, p0, j, 65535) < 0) return -1;
  }
  if (addrSpec) return j;
  // uri-parameters: *( ";" pname [ "=" pvalue ] ), each part non-empty
  while (b[j] === 59) {
    const n = scanEsc(b, j + 1, PARAM);
    if (n <= j + 1) return -1;
    j = n;
    if (b[j] === 61) {
      const v = scanEsc(b, j + 1, PARAM);
      if (v <= j + 1) return -1;
      j = v;
    }
  }
  c = b[j];
  // "?" (headers), "@" (would have been userinfo) and anything else odd: thorough parser
  if (c === 63 || c === 64) return -1;
  return j;
}

/** A quoted-string at b[i] === '"' without quoted-pairs or controls; index after it or -1. */
function quoted(b: Uint8Array, i: number): number {
  for (i++; ; i++) {
    const c = b[i]!;
    if (c === 34) return i + 1;
    if (c === 92 || (T[c]! & VCH) === 0) return -1;
  }
}

// Contact parameter check result (see checkContactParam in typed-headers.ts)
function contactParamOk(b: Uint8Array, n0: number, n1: number, v0: number, v1: number): boolean {
  const len = n1 - n0;
  if (len === 1 && FOLD[b[n0]!] === 113 /* q */) {
    if (v0 < 0) return false;
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    const first = b[v0];
    if (first !== 48 && first !== 49) return false;
    if (v1 === v0 + 1) return true;
    if (b[v0 + 1] !== 46 || v1 - v0 > 5) return false;
    for (let i = v0 + 2; i < v1; i++) if (first === 49 ? b[i] !== 48 : (T[b[i]!]! & DIG) === 0) return false;
    return true;
  }
  if (len === 7 && FOLD[b[n0]!] === 101 && FOLD[b[n0 + 1]!] === 120 && FOLD[b[n0 + 2]!] === 112 && FOLD[b[n0 + 3]!] === 105 && FOLD[b[n0 + 4]!] === 114 && FOLD[b[n0 + 5]!] === 101 && FOLD[b[n0 + 6]!] === 115) {
    return v0 >= 0 && decimal(b, v0, v1, UINT32_MAX) >= 0;
  }
  return true;
}

const P_NONE = 0;
const P_CONTACT = 1;

/**
 * Header parameters `*( SWS ";" SWS token [ SWS "=" SWS (token / quoted-string) ] )` as
 * parseHeaderParams reads them; returns the index after them (trailing whitespace skipped) or -1.
 */
function headerParams(b: Uint8Array, i: number, check: number): number {
  for (;;) {
    i = skipWsB(b, i);
    if (b[i] !== 59) return i;
    const n0 = skipWsB(b, i + 1);
    let j = n0;
    while ((T[b[j]!]! & TOKEN) !== 0) j++;
    if (j === n0) return -1;
    const n1 = j;
    j = skipWsB(b, j);
    if (b[j] === 61) {
      const v0 = skipWsB(b, j + 1);
      let v1: number;
      if (b[v0] === 34) {
        v1 = quoted(b, v0);
        if (v1 < 0) return -1;
        if (check === P_CONTACT && !contactParamOk(b, n0, n1, v0, v1)) return -1;
      } else {
        v1 = v0;
        while ((T[b[v1]!]! & TOKEN) !== 0) v1++;
        if (v1 === v0) return -1; // empty value, or an IPv6 reference
        if (check === P_CONTACT && !contactParamOk(b, n0, n1, v0, v1)) return -1;
      }
      i = v1;
    } else {
      if (check === P_CONTACT && !contactParamOk(b, n0, n1, -1, -1)) return -1;
      i = n1;
    }
  }
}

/** One name-addr or addr-spec with its parameters (validation only); index after it or -1. */
function nameAddr(b: Uint8Array, i: number, check: number): number {
  let c = b[i];
  if (c === 34) {
    i = quoted(b, i);
    if (i < 0) return -1;
    i = skipWsB(b, i);
    if (b[i] !== 60) return -1;
  } else if (c !== 60) {
    let j = i;
    let spaced = false;
    for (;;) {
      c = b[j]!;
      if (c === 32 || c === 9) spaced = true;
      else if ((T[c]! & TOKEN) === 0) break;
      j++;
    }
    if (c === 60) i = j;
    else if (c === 58 && j > i && !spaced) {
      const e = sipUri(b, i, true);
      if (e < 0) return -1;
      c = b[e];
      if (c !== 59 && c !== 44 && c !== 32 && c !== 9 && c !== 13) return -1;
      return headerParams(b, e, check);
    } else return -1;
  }
  // b[i] === "<"
  const e = sipUri(b, i + 1, false);
  if (e < 0 || b[e] !== 62) return -1;
  return headerParams(b, e + 1, check);
}

/** A comma-separated list of name-addrs (Contact, Route ...): index of the end or -1. */
function nameAddrList(b: Uint8Array, i: number, check: number): number {
  if (b[i] === 42) return -1; // Contact: *
  for (;;) {
    i = nameAddr(b, i, check);
    if (i < 0) return -1;
    if (b[i] !== 44) return i;
    i = skipWsB(b, i + 1);
    if (b[i] === 44 || b[i] === 13) return -1;
  }
}

// Via parameter names the stack checks (case as written; other spellings go the thorough way)
const VP_OTHER = 0;
const VP_BRANCH = 1;
const VP_RECEIVED = 2;
const VP_RPORT = 3;
const VP_TTL = 4;
const VP_MADDR = 5;
const VIA_PARAM_NAMES = ['', 'branch', 'received', 'rport', 'ttl', 'maddr'];
const VIA_PARAM_CODES = VIA_PARAM_NAMES.map((m) => Uint8Array.from(m, (ch) => ch.charCodeAt(0)));

/** Id of a Via parameter name, VP_OTHER for extensions, -1 for a re-cased checked name. */
function viaParamId(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len < 3 || len > 8) return VP_OTHER;
  outer: for (let k = 1; k < VIA_PARAM_CODES.length; k++) {
    const codes = VIA_PARAM_CODES[k]!;
    if (codes.length !== len) continue;
    let exact = true;
    for (let i = 0; i < len; i++) {
      const c = b[s + i]!;
      if (c !== codes[i]) {
        if (FOLD[c] !== codes[i]) continue outer;
        exact = false;
      }
    }
    return exact ? k : -1;
  }
  return VP_OTHER;
}

/**
 * Via values (RFC 3261 §25.1) in their usual form, built into `out`. Returns the index after the
 * last one, or -1.
 */
function vias(b: Uint8Array, text: string, i: number, out: Via[]): number {
  for (;;) {
    // "SIP/2.0/" transport LWS
    if (b[i] !== 83 || b[i + 1] !== 73 || b[i + 2] !== 80 || b[i + 3] !== 47 || b[i + 4] !== 50 || b[i + 5] !== 46 || b[i + 6] !== 48 || b[i + 7] !== 47) return -1;
    const t0 = i + 8;
    let j = t0;
    while ((T[b[j]!]! & TOKEN) !== 0) j++;
    if (j === t0) return -1;
    const tk = exactIn(b, t0, j, TRANSPORT_CODES);
    const transport = tk >= 0 ? TRANSPORTS[tk]! : text.slice(t0, j);
    const h0 = skipWsB(b, j);
    if (h0 === j || b[h0] === 91) return -1;
    // the thorough parser takes a token as the host, then classifies it
    j = host(b, h0);
    if (j < 0 || (T[b[j]!]! & TOKEN) !== 0) return -1;
    const h1 = j;
    let port: number | undefined;
    if (b[j] === 58) {
      const d0 = j + 1;
      j = digitsEnd(b, d0);
      port = decimal(b, d0, j, 65535);
      if (port < 0) return -1;
    }
    // via-params, built as parseHeaderParams(..., colonInValues = true) builds them
    const list: Param[] = [];
    for (;;) {
      j = skipWsB(b, j);
      if (b[j] !== 59) break;
      const n0 = skipWsB(b, j + 1);
      let k = n0;
      while ((T[b[k]!]! & TOKEN) !== 0) k++;
      if (k === n0) return -1;
      const n1 = k;
      const id = viaParamId(b, n0, n1);
      if (id < 0) return -1;
      const name = id > 0 ? VIA_PARAM_NAMES[id]! : text.slice(n0, n1);
      k = skipWsB(b, k);
      if (b[k] === 61) {
        const v0 = skipWsB(b, k + 1);
        if (b[v0] === 34 || b[v0] === 91) return -1;
        let v1 = v0;
        while ((T[b[v1]!]! & TOKEN_COLON) !== 0) v1++;
        if (v1 === v0) return -1;
        switch (id) {
          case VP_RECEIVED:
            if (!ipv4Ok(b, v0, v1)) return -1;
            break;
          case VP_RPORT:
            if (decimal(b, v0, v1, 65535) < 0) return -1;
            break;
          case VP_TTL:
            if (decimal(b, v0, v1, 255) < 0) return -1;
            break;
          case VP_MADDR:
            if (!hostOk(b, v0, v1)) return -1;
            break;
        }
        const value = text.slice(v0, v1);
        list.push({ name, value, raw: v0 === n1 + 1 ? text.slice(n0, v1) : `${name}=${value}` });
        j = v1;
      } else {
        if (id === VP_BRANCH || id === VP_RECEIVED || id === VP_TTL || id === VP_MADDR) return -1;
        list.push({ name, value: null, raw: name });
        j = n1;
      }
    }
    out.push(viaFromParts(transport, text.slice(h0, h1), port, new Params('header', list)));
    if (b[j] !== 44) return j;
    i = skipWsB(b, j + 1);
    if (b[i] === 44 || b[i] === 13) return -1;
  }
}

/**
 * Parses `b[0, len)` if it is a plainly written message; undefined otherwise (the caller then
 * parses it the thorough way).
 */
export function parseFast(b: Buffer, len: number): SipRequest | SipResponse | undefined {
  // Every byte of the header section is checked below (which also rejects non-ASCII, bare CR
  // and bare LF); `text` is for cutting strings out of it. A message with a large body has its
  // header section decoded alone.
  let textEnd = len;
  if (len > TEXT_WHOLE) {
    textEnd = b.indexOf(CRLFCRLF);
    if (textEnd < 0) return undefined;
  }
  const text = (b as unknown as Latin1).latin1Slice(0, textEnd);
  let msg: SipRequest | SipResponse;
  let i: number;
  // --- start line
  if (b[0] === 83 && b[1] === 73 && b[2] === 80 && b[3] === 47 && b[4] === 50 && b[5] === 46 && b[6] === 48 && b[7] === 32) {
    // SIP/2.0 SP 3DIGIT SP Reason-Phrase
    const s0 = b[8]! - 48;
    const s1 = b[9]! - 48;
    const s2 = b[10]! - 48;
    if (s0 < 1 || s0 > 6 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) return undefined;
    const status = s0 * 100 + s1 * 10 + s2;
    let reason = '';
    if (b[11] === 32) {
      i = 12;
      while ((T[b[i]!]! & VCH) !== 0) i++;
      reason = text.slice(12, i);
    } else i = 11;
    if (b[i] !== 13 || b[i + 1] !== 10) return undefined;
    msg = SipResponse.fromWire(status, reason);
  } else {
    // Method SP Request-URI SP SIP/2.0
    i = 0;
    while ((T[b[i]!]! & TOKEN) !== 0) i++;
    if (i === 0 || b[i] !== 32) return undefined;
    const mk = exactIn(b, 0, i, METHOD_CODES);
    const method = mk >= 0 ? METHODS[mk]! : text.slice(0, i);
    const u0 = i + 1;
    i = sipUri(b, u0, false);
    if (i < 0 || b[i] !== 32) return undefined;
    const uriText = text.slice(u0, i);
    i++;
    if (b[i] !== 83 || b[i + 1] !== 73 || b[i + 2] !== 80 || b[i + 3] !== 47 || b[i + 4] !== 50 || b[i + 5] !== 46 || b[i + 6] !== 48 || b[i + 7] !== 13 || b[i + 8] !== 10) {
      return undefined;
    }
    i += 7;
    msg = Request.fromWire(method, uriText);
  }
  // --- header lines: i is at the CR that ends the previous line
  const fields: Field[] = [];
  let contentLength = -1;
  for (;;) {
    const n0 = i + 2;
    let n1 = lookupName(b, n0);
    let key: string;
    let kind: number;
    let name: string | undefined;
    if (n1 >= 0) {
      key = lineKey;
      kind = lineKind;
      name = exactName === '' ? undefined : exactName;
    } else {
      n1 = n0;
      while ((T[b[n1]!]! & TOKEN) !== 0) n1++;
      if (n1 === n0) {
        // the empty line that ends the header section
        if (b[n0] === 13 && b[n0 + 1] === 10) break;
        return undefined;
      }
      const written = text.slice(n0, n1);
      name = written;
      key = headerKey(written);
      kind = K_DEFAULT;
    }
    // HCOLON = *( SP / HTAB ) ":" SWS
    let j = skipWsB(b, n1);
    if (b[j] !== 58) return undefined;
    const v0 = skipWsB(b, j + 1);
    let typed: TypedValue | typeof PENDING = undefined;
    let raw: string | undefined;
    let e: number;
    switch (kind) {
      case K_DEFAULT: {
        // VCHAR / SP / HTAB: 0x20-0x7E, or 0x09
        e = v0;
        for (;;) {
          const c = b[e]!;
          if (c - 32 < 95 ? c >= 32 : c === 9) e++;
          else break;
        }
        break;
      }
      case K_VIA: {
        const out: Via[] = [];
        e = vias(b, text, v0, out);
        typed = out;
        break;
      }
      case K_FROM_TO:
        e = nameAddr(b, v0, P_NONE);
        typed = PENDING;
        break;
      case K_CONTACT:
        e = nameAddrList(b, v0, P_CONTACT);
        typed = PENDING;
        break;
      case K_ROUTE:
        e = nameAddrList(b, v0, P_NONE);
        typed = PENDING;
        break;
      case K_CALLID: {
        e = v0;
        while ((T[b[e]!]! & WORD) !== 0) e++;
        if (e === v0) return undefined;
        if (b[e] === 64) {
          const w = ++e;
          while ((T[b[e]!]! & WORD) !== 0) e++;
          if (e === w) return undefined;
        }
        typed = raw = text.slice(v0, e);
        break;
      }
      case K_CSEQ: {
        e = digitsEnd(b, v0);
        const seq = decimal(b, v0, e, UINT32_MAX);
        if (seq < 0) return undefined;
        const m0 = skipWsB(b, e);
        if (m0 === e) return undefined;
        e = m0;
        while ((T[b[e]!]! & TOKEN) !== 0) e++;
        if (e === m0) return undefined;
        const mk = exactIn(b, m0, e, METHOD_CODES);
        const c = Object.create(CSeq.prototype) as CSeq;
        c.seq = seq;
        c.method = mk >= 0 ? METHODS[mk]! : text.slice(m0, e);
        typed = c;
        break;
      }
      case K_MAXFWD:
      case K_CLEN:
      case K_EXPIRES: {
        e = digitsEnd(b, v0);
        const n = decimal(b, v0, e, kind === K_MAXFWD ? 255 : UINT32_MAX);
        if (n < 0) return undefined;
        if (kind === K_CLEN) {
          if (contentLength >= 0 && n !== contentLength) return undefined;
          contentLength = n;
        }
        typed = n;
        break;
      }
      case K_CTYPE: {
        // media-type = m-type SLASH m-subtype *( SEMI m-parameter ), SLASH = SWS "/" SWS
        e = v0;
        while ((T[b[e]!]! & TOKEN) !== 0) e++;
        if (e === v0) return undefined;
        e = skipWsB(b, e);
        if (b[e] !== 47) return undefined;
        const s0 = skipWsB(b, e + 1);
        e = s0;
        while ((T[b[e]!]! & TOKEN) !== 0) e++;
        if (e === s0) return undefined;
        e = headerParams(b, e, P_NONE);
        break;
      }
      default:
        return undefined;
    }
    if (e < 0) return undefined;
    // the value ends at CRLF, after optional whitespace
    let v1 = e;
    if (b[e] !== 13) {
      e = skipWsB(b, e);
      if (b[e] !== 13) return undefined;
    }
    if (b[e + 1] !== 10) return undefined;
    while (v1 > v0 && (b[v1 - 1] === 32 || b[v1 - 1] === 9)) v1--;
    if (v1 - v0 > MAX_HEADER_LINE || fields.length >= MAX_HEADERS) return undefined;
    fields.push(new WireField(text, n0, n1, v0, v1, key, name, raw, typed));
    i = e;
  }
  msg.fields = fields;
  // --- body: exactly Content-Length bytes; without it, the rest of the datagram
  const bodyStart = i + 4;
  const available = len - bodyStart;
  if (contentLength >= 0) {
    if (contentLength > available) return undefined;
    if (contentLength > 0) msg.body = copyBytes(b, bodyStart, bodyStart + contentLength);
  } else if (available > 0) {
    msg.body = copyBytes(b, bodyStart, len);
  }
  return msg;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Up to this size the whole datagram is decoded at once (cheaper than searching for CRLF CRLF first). */
const TEXT_WHOLE = 4096;
interface Latin1 {
  latin1Slice(start: number, end: number): string;
}

// Bodies are copied (the caller may reuse its buffer) into slices of a shared slab, as
// Buffer.allocUnsafe does with its pool, but with a larger slab and less bookkeeping per copy.
const SLAB_BYTES = 32768;
const SLAB_MAX_COPY = 4096;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  let out: Buffer;
  if (n > SLAB_MAX_COPY) out = Buffer.allocUnsafe(n);
  else {
    if (slabUsed + n > SLAB_BYTES) {
      slab = new ArrayBuffer(SLAB_BYTES);
      slabUsed = 0;
    }
    out = Buffer.from(slab, slabUsed, n);
    slabUsed += (n + 7) & ~7;
  }
  buf.copy(out, 0, start, end);
  return out;
}
