// The headers the stack relies on are parsed and validated when a message is parsed or a header
// is set (../shared/DESIGN.md: "validated at parse time"). Everything else stays raw text.

import { allOf, CLASS, isToken, parseDecimal, skipWs, TOKEN, trimWsEnd, UINT32_MAX, WORD } from './chars.js';
import { scanQuoted } from './escape.js';
import { SipParseError } from './errors.js';
import { type Contact, NameAddr, parseNameAddrList } from './name-addr.js';
import { type Param, parseHeaderParams } from './params.js';
import { parseViaList, Via } from './via.js';

/** The CSeq header: sequence number and method (RFC 3261 §20.16). */
export class CSeq {
  /** Sequence number, 0 to 2**32-1. */
  seq: number;
  /** Method; for a request it should equal the request method. */
  method: string;

  constructor(seq: number, method: string) {
    if (!Number.isInteger(seq) || seq < 0 || seq > UINT32_MAX) throw new SipParseError(`CSeq number ${seq} is out of range`);
    if (!isToken(method)) throw new SipParseError(`CSeq method ${JSON.stringify(method)} is not a token`);
    this.seq = seq;
    this.method = method;
  }

  toString(): string {
    return `${this.seq} ${this.method}`;
  }
}

/** What a typed header parses to; `undefined` for headers that are only validated. */
export type TypedValue = Via[] | Contact[] | NameAddr | CSeq | string | number | undefined;

/**
 * Validates the value of a header the stack needs and returns its typed form. Returns `undefined`
 * for headers with no typed form (which are not checked, or checked but kept as text).
 * Throws {@link SipParseError} (without location; the caller adds it).
 */
export function parseKnownHeader(key: string, raw: string): TypedValue {
  switch (key) {
    case 'via': {
      const out: Via[] = [];
      parseViaList(raw, out);
      return out;
    }
    case 'from':
    case 'to': {
      const out: Contact[] = [];
      parseNameAddrList(raw, false, out);
      if (out.length !== 1) throw new SipParseError('expected a single address');
      return out[0] as NameAddr;
    }
    case 'contact': {
      const out: Contact[] = [];
      parseNameAddrList(raw, true, out);
      for (const c of out) if (!c.wildcard) checkContactParams(c);
      return out;
    }
    case 'route':
    case 'record-route': {
      const out: Contact[] = [];
      parseNameAddrList(raw, false, out);
      return out;
    }
    case 'call-id':
      return parseCallId(raw);
    case 'cseq':
      return parseCSeq(raw);
    case 'max-forwards':
      return parseNumber(raw, 255, 'Max-Forwards must be a number from 0 to 255');
    case 'content-length':
      return parseNumber(raw, UINT32_MAX, 'Content-Length must be a non-negative number');
    case 'expires':
    case 'min-expires':
      return parseNumber(raw, UINT32_MAX, 'must be a number of seconds below 2**32');
    case 'retry-after':
      checkRetryAfter(raw);
      return undefined;
    case 'warning':
      checkWarning(raw);
      return undefined;
    case 'content-type':
      checkMediaType(raw);
      return undefined;
    default:
      return undefined;
  }
}

/** Renders a typed value back to header text. */
export function formatTyped(value: Exclude<TypedValue, undefined>): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  return String(value);
}

function parseNumber(raw: string, max: number, message: string): number {
  const v = parseDecimal(raw, 0, raw.length, max);
  if (v < 0) throw new SipParseError(message);
  return v;
}

// callid = word [ "@" word ]
function parseCallId(raw: string): string {
  const at = raw.indexOf('@');
  const ok = at < 0 ? allOf(raw, 0, raw.length, WORD) : allOf(raw, 0, at, WORD) && allOf(raw, at + 1, raw.length, WORD);
  if (!ok) throw new SipParseError('Call-ID must be word["@"word]');
  return raw;
}

// CSeq = 1*DIGIT LWS Method
function parseCSeq(raw: string): CSeq {
  let i = 0;
  while (i < raw.length && raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) i++;
  const seq = parseDecimal(raw, 0, i, UINT32_MAX);
  if (seq < 0) throw new SipParseError(i === 0 ? 'CSeq must start with a number' : 'CSeq number exceeds 2**32-1');
  const m = skipWs(raw, i);
  if (m === i) throw new SipParseError('CSeq needs whitespace between number and method');
  if (!allOf(raw, m, raw.length, TOKEN)) throw new SipParseError('CSeq method is not a token');
  const c = Object.create(CSeq.prototype) as CSeq;
  c.seq = seq;
  c.method = raw.slice(m);
  return c;
}

// c-p-q = "q" EQUAL qvalue; c-p-expires = "expires" EQUAL delta-seconds (RFC 3261 §25.1)
function checkContactParams(c: NameAddr): void {
  for (const p of c.params) {
    const n = p.name.toLowerCase();
    if (n === 'q' && (p.value === null || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(p.value))) {
      throw new SipParseError('Contact q must be a qvalue between 0 and 1');
    }
    if (n === 'expires' && (p.value === null || parseDecimal(p.value, 0, p.value.length, UINT32_MAX) < 0)) {
      throw new SipParseError('Contact expires must be a number of seconds below 2**32');
    }
  }
}

// Retry-After = delta-seconds [ comment ] *( SEMI retry-param )
function checkRetryAfter(raw: string): void {
  let i = 0;
  while (i < raw.length && raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) i++;
  if (parseDecimal(raw, 0, i, UINT32_MAX) < 0) throw new SipParseError('Retry-After must start with a number of seconds below 2**32');
}

// warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT (RFC 3261 §20.43)
function checkWarning(raw: string): void {
  for (const v of splitListValue(raw)) {
    if (!/^[0-9]{3} [^ ]+ "/.test(v)) throw new SipParseError('Warning must be a 3-digit code, an agent and a quoted text');
    const textStart = v.indexOf('"');
    if (scanQuoted(v, textStart) !== v.length) throw new SipParseError('unexpected text after the Warning text');
  }
}

// media-type = m-type SLASH m-subtype *(SEMI m-parameter) (RFC 3261 §20.15)
function checkMediaType(raw: string): void {
  const end = raw.length;
  let i = 0;
  while (i < end && isTokenChar(raw.charCodeAt(i))) i++;
  if (i === 0) throw new SipParseError('Content-Type must be type/subtype');
  i = skipWs(raw, i);
  if (raw.charCodeAt(i) !== 47) throw new SipParseError('Content-Type must be type/subtype');
  i = skipWs(raw, i + 1);
  const s0 = i;
  while (i < end && isTokenChar(raw.charCodeAt(i))) i++;
  if (i === s0) throw new SipParseError('Content-Type must be type/subtype');
  const list: Param[] = [];
  i = parseHeaderParams(raw, i, end, list);
  if (skipWs(raw, i) !== end) throw new SipParseError('unexpected text in Content-Type');
}

function isTokenChar(c: number): boolean {
  return c < 128 && (CLASS[c]! & TOKEN) !== 0;
}

/**
 * Splits a list header value on commas that are outside quoted strings and `<...>`, trimming
 * whitespace and skipping empty elements.
 */
export function splitListValue(raw: string): string[] {
  const out: string[] = [];
  let start = 0;
  let angle = false;
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c === 34 /* " */) {
      try {
        i = scanQuoted(raw, i) - 1;
      } catch {
        i = n; // unterminated quote: the rest is one element
      }
    } else if (c === 60 /* < */) angle = true;
    else if (c === 62 /* > */) angle = false;
    else if (c === 44 /* , */ && !angle) {
      pushTrimmed(raw, start, i, out);
      start = i + 1;
    }
  }
  pushTrimmed(raw, start, n, out);
  return out;
}

function pushTrimmed(raw: string, start: number, end: number, out: string[]): void {
  const s = skipWs(raw, start, end);
  const e = trimWsEnd(raw, s, end);
  if (e > s) out.push(raw.slice(s, e));
}
