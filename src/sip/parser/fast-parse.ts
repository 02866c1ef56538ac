// The fast path of parseMessage: one pass over the bytes of a well-formed, plainly written
// message (ASCII header section, CRLF line ends, no folding, the usual shapes of the headers the
// stack needs). It validates exactly what parse.ts validates, and builds only what is cheap; it
// gives up (returns undefined) on anything it does not recognise, and parse.ts then parses the
// message the thorough way, which also produces every error. So this code never reports an
// error itself: the one rule is that it must never accept what the thorough parser rejects,
// and must build the same message when it accepts.

import * as chars from './chars.js';
import * as scan from './fast-scan.js';
import * as names from './header-names.js';
import * as model from './message.js';
import type { CSeq, Field, SipRequest, SipResponse } from './message.js';
import * as params from './params.js';
import type { Param } from './params.js';
import * as typedHeaders from './typed-headers.js';
import type { TypedValue } from './typed-headers.js';
import * as via from './via.js';
import type { Via } from './via.js';

// Module-local copies of the tables and masks the hot loops use: an imported binding costs a
// load and a TDZ check on every access in optimized code, a local constant does not.
const T = scan.T;
const FOLD = scan.FOLD;
const TOKEN = chars.TOKEN;
const WORD = chars.WORD;
const UINT32_MAX = chars.UINT32_MAX;
const TOKEN_COLON = scan.TOKEN_COLON;
const VCH = scan.VCH;
const P_CONTACT = scan.P_CONTACT;
const P_NONE = scan.P_NONE;
// (functions and classes too: calling or constructing through an import binding checks it every time)
const decimal = scan.decimal;
const digitsEnd = scan.digitsEnd;
const headerParams = scan.headerParams;
const host = scan.host;
const hostOk = scan.hostOk;
const ipv4Ok = scan.ipv4Ok;
const nameAddr = scan.nameAddr;
const nameAddrList = scan.nameAddrList;
const sipUri = scan.sipUri;
const skipWsB = scan.skipWsB;
const headerKey = names.headerKey;
const CSeqClass = model.CSeq;
const SipRequestClass = model.SipRequest;
const SipResponseClass = model.SipResponse;
const WireField = model.WireField;
const Params = params.Params;
const PENDING: typeof typedHeaders.PENDING = typedHeaders.PENDING;
const viaFromParts = via.viaFromParts;

const MAX_HEADERS = 256;
/** Shorter than any message this path accepts ("SIP/2.0 100 \r\n\r\n" is 16 bytes). */
const MIN_MESSAGE = 16;
const MAX_HEADER_LINE = 8192;

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
  /** The name as it is written: the canonical spelling, or '' for a name written otherwise (cut from the text). */
  name: string;
  kind: number;
  /** Length of the name. */
  length: number;
  /** The key's char codes. */
  codes: Uint8Array;
  /** The canonical spelling's char codes. */
  canonCodes: Uint8Array;
  /** The same header written in another case than the canonical one. */
  recased: Known | undefined;
  /** The canonical spelling as 32-bit words (see nameWords); none for a name shorter than 4. */
  words: Int32Array;
}

/** Bytes b[i, i + 4) as a little-endian 32-bit word. */
function wordAt(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * The words at offsets 0, 4, 8 ... of a name of 4 or more chars, the last one at length - 4 (so
 * overlapping the one before it, and no byte past the name is read); none for shorter names.
 */
function nameWords(codes: Uint8Array): Int32Array {
  const len = codes.length;
  if (len < 4) return NO_WORDS;
  const words: number[] = [];
  for (let i = 0; i < len - 4; i += 4) words.push(wordAt(codes, i));
  words.push(wordAt(codes, len - 4));
  return Int32Array.from(words);
}
const NO_WORDS = new Int32Array(0);

/** Known names by the lower-case code of their first letter. */
const BY_FIRST: Known[][] = [];
function known(canonical: string, kind: number): void {
  // Keys are compared with === all over the message model: make this one the same (internalized)
  // string as the literals there, so that comparisons are pointer comparisons.
  const key = Object.keys({ [canonical.toLowerCase()]: 0 })[0]!;
  const codes = new Uint8Array(canonical.length);
  const lower = canonical.toLowerCase();
  for (let i = 0; i < lower.length; i++) codes[i] = lower.charCodeAt(i);
  const canonCodes = Uint8Array.from(canonical, (ch) => ch.charCodeAt(0));
  const entry: Known = { key, name: canonical, kind, length: canonical.length, codes, canonCodes, recased: undefined, words: nameWords(canonCodes) };
  entry.recased = { ...entry, name: '' };
  (BY_FIRST[codes[0]!] ??= []).push(entry);
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
// Compact forms (RFC 3261 §7.3.3 and extensions), by their letter (any case).
const COMPACT: Array<Known | undefined> = [];
for (const [c, key, kind] of [
  ['v', 'via', K_VIA], ['f', 'from', K_FROM_TO], ['t', 'to', K_FROM_TO], ['m', 'contact', K_CONTACT], ['i', 'call-id', K_CALLID],
  ['l', 'content-length', K_CLEN], ['c', 'content-type', K_CTYPE],
] as const) {
  const codes = Uint8Array.of(c.charCodeAt(0));
  COMPACT[c.charCodeAt(0)] = { key, name: '', kind, length: 1, codes, canonCodes: codes, recased: undefined, words: NO_WORDS };
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

/**
 * The known header whose name (any case, a full token) starts at b[s], or undefined. The name
 * ends at s + length; the entry's `name` is '' when it is not written canonically.
 */
function lookupName(b: Uint8Array, s: number, end: number): Known | undefined {
  const first = FOLD[b[s]!]!;
  if ((T[b[s + 1]!]! & TOKEN) === 0) return COMPACT[first];
  const list = BY_FIRST[first];
  if (list === undefined) return undefined;
  outer: for (let k = 0; k < list.length; k++) {
    const cand = list[k]!;
    const canon = cand.canonCodes;
    const len = canon.length;
    // a name of another length is not this one
    if (s + len >= end || (T[b[s + len]!]! & TOKEN) !== 0) continue;
    // The canonical spelling (nearly always) is recognised four bytes at a time, with a quarter
    // of the table loads and compares of the byte-by-byte loop below.
    if (len >= 4) {
      const words = cand.words;
      let i = 0;
      let w = 0;
      while (i < len - 4 && wordAt(b, s + i) === words[w]) {
        i += 4;
        w++;
      }
      if (i >= len - 4 && wordAt(b, s + len - 4) === words[w]) return cand;
    }
    // another spelling of this name, or another name
    let exact = true;
    for (let i = 0; i < len; i++) {
      const c = b[s + i]!;
      if (c !== canon[i]) {
        if (FOLD[c] !== cand.codes[i]) continue outer;
        exact = false;
      }
    }
    // The name as written is the canonical spelling most of the time: that string is reused.
    return exact ? cand : cand.recased;
  }
  return undefined;
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
  // No read below may go past the end of the buffer: one out-of-bounds read is enough for V8 to
  // recompile the scanning loops with bounds handling that makes them several times slower for
  // good (a few truncated datagrams would slow down every later parse). Every scan stops at a LF
  // (it is in no character class) and looks at most one byte past a CR, so no line that starts
  // before the last LF of the buffer is scanned past it; header lines start only before `end`.
  // The last byte is LF in any message without a body and in nearly every body.
  if (len < MIN_MESSAGE) return undefined;
  const end = b[len - 1] === 10 ? len : b.lastIndexOf(10, len - 1) + 1;
  if (end === 0) return undefined;
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
    msg = SipResponseClass.fromWire(status, reason);
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
    msg = SipRequestClass.fromWire(method, uriText);
  }
  // --- header lines: i is at the CR that ends the previous line
  const fields: Field[] = [];
  let contentLength = -1;
  for (;;) {
    const n0 = i + 2;
    // a line that would run past the last LF (a cut-off message) is not scanned
    if (n0 >= end - 1) return undefined;
    const k = lookupName(b, n0, end);
    let n1: number;
    let key: string;
    let kind: number;
    let name: string;
    if (k !== undefined) {
      n1 = n0 + k.length;
      key = k.key;
      kind = k.kind;
      // a known name written other than canonically (rare) is cut from the text
      name = k.name === '' ? text.slice(n0, n1) : k.name;
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
    let typed: TypedValue | typeof typedHeaders.PENDING = undefined;
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
        const c = Object.create(CSeqClass.prototype) as CSeq;
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
    fields.push(new WireField(name, key, text, v0, v1, raw, typed));
    i = e;
  }
  msg.fields = fields;
  // --- body: exactly Content-Length bytes; without it, the rest of the datagram
  const bodyStart = i + 4;
  const available = len - bodyStart;
  let bodyEnd = len;
  if (contentLength >= 0) {
    if (contentLength > available) return undefined;
    bodyEnd = bodyStart + contentLength;
  }
  if (bodyEnd > bodyStart) {
    // a small datagram was decoded whole, body included: the body is kept as that text
    if (textEnd === len) msg.setWireBody(text.slice(bodyStart, bodyEnd));
    else msg.body = copyBytes(b, bodyStart, bodyEnd);
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
// Buffer.allocUnsafe does with its pool, with less bookkeeping per copy. The slab is the size of
// Node's own pool (Buffer.poolSize), so a long-lived body keeps at most as much memory alive as
// a pooled Buffer would.
const SLAB_BYTES = 8192;
const SLAB_MAX_COPY = 2048;
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
