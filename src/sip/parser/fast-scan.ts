// Byte-level checkers for the fast parser (fast-parse.ts): character classes over bytes, hosts,
// numbers, sip/sips URIs, quoted strings, header parameters and name-addrs. Each one mirrors
// what the thorough parser (uri.ts, params.ts, name-addr.ts, escape.ts) accepts, but only for
// plainly written text: it returns the index after what it checked, or -1 to give up whenever
// the text is not plain or not valid (the thorough parser then decides, and words the error).

import * as chars from './chars.js';

// Module-local copies of the masks: an imported binding costs a load and a TDZ check on every
// access in optimized code, a local constant does not.
const CLASS = chars.CLASS;
const HOST = chars.HOST;
const PARAM = chars.PARAM;
const PASSWORD = chars.PASSWORD;
const TOKEN = chars.TOKEN;
const UINT32_MAX = chars.UINT32_MAX;
const USER = chars.USER;

// Byte classes, 256 entries so that bytes >= 0x80 (class 0) need no separate test.
export const T = new Uint16Array(256);
for (let c = 0; c < 128; c++) T[c] = CLASS[c]!;
/** A character a header value may hold outside quoted-pairs: VCHAR, SP, HTAB. */
export const VCH = 512;
/** 0-9 */
export const DIG = 1024;
/** token chars and ":" (Via parameter values, where IPv6 addresses go unbracketed) */
export const TOKEN_COLON = 8192;
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
export const FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) FOLD[c] = c >= 65 && c <= 90 ? c + 32 : c;

export function skipWsB(b: Uint8Array, i: number): number {
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
export function host(b: Uint8Array, s: number): number {
  // A dotted-quad IPv4 address (most hosts in Via and Contact) in one pass: it is a host of its
  // own when no host character follows; otherwise (e.g. 1.2.3.4.example.com) the general scan decides.
  const c0 = b[s]!;
  if (c0 >= 48 && c0 <= 57) {
    const e = ipv4End(b, s);
    if (e > 0 && (T[b[e]!]! & HOST) === 0) return e;
  }
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
export function hostOk(b: Uint8Array, s: number, e: number): boolean {
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

/** The index after a dotted-quad IPv4 address at b[s] (what ipv4Ok accepts), or -1. */
function ipv4End(b: Uint8Array, s: number): number {
  let i = s;
  for (let part = 0; ; part++) {
    const d0 = i;
    let value = 0;
    let c = b[i]!;
    while (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      c = b[++i]!;
    }
    // 1 to 3 digits, no leading zero, at most 255
    if (i === d0 || i - d0 > 3 || value > 255 || (b[d0] === 48 && i - d0 > 1)) return -1;
    if (part === 3) return i;
    if (c !== 46) return -1;
    i++;
  }
}

export function ipv4Ok(b: Uint8Array, s: number, e: number): boolean {
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
export function decimal(b: Uint8Array, s: number, e: number, max: number): number {
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

export function digitsEnd(b: Uint8Array, i: number): number {
  while ((T[b[i]!]! & DIG) !== 0) i++;
  return i;
}

/**
 * Checks a sip:/sips: URI starting at `i` (the scheme). Returns the index of the first byte after
 * it, or -1 to give up. With `addrSpec`, the URI has no parameters and its user part cannot hold
 * ";" or "," (RFC 3261 §20.10). URI headers ("?") and IPv6 hosts are left to the thorough parser.
 */
export function sipUri(b: Uint8Array, i: number, addrSpec: boolean): number {
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
export function quoted(b: Uint8Array, i: number): number {
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

export const P_NONE = 0;
export const P_CONTACT = 1;

/**
 * Header parameters `*( SWS ";" SWS token [ SWS "=" SWS (token / quoted-string) ] )` as
 * parseHeaderParams reads them; returns the index after them (trailing whitespace skipped) or -1.
 */
export function headerParams(b: Uint8Array, i: number, check: number): number {
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
export function nameAddr(b: Uint8Array, i: number, check: number): number {
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
export function nameAddrList(b: Uint8Array, i: number, check: number): number {
  if (b[i] === 42) return -1; // Contact: *
  for (;;) {
    i = nameAddr(b, i, check);
    if (i < 0) return -1;
    if (b[i] !== 44) return i;
    i = skipWsB(b, i + 1);
    if (b[i] === 44 || b[i] === 13) return -1;
  }
}
