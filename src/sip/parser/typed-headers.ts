// The headers the stack relies on are parsed and validated when a message is parsed or a header
// is set (../shared/DESIGN.md: "validated at parse time"). Everything else stays raw text.

import { allOf, CLASS, isToken, parseDecimal, skipWs, TOKEN, trimWsEnd, UINT32_MAX, WORD } from './chars.js';
import { scanQuoted } from './escape.js';
import { SipParseError } from './errors.js';
import { type Contact, type NameAddr, parseNameAddrAt, parseNameAddrList } from './name-addr.js';
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

  /** The value as text (`1 INVITE`). */
  toString(): string {
    return `${this.seq} ${this.method}`;
  }
}

/** What a typed header parses to; `undefined` for headers that are only validated. */
export type TypedValue = Via[] | Contact[] | NameAddr | CSeq | string | number | undefined;

/**
 * Marks a header that has been validated but whose typed value is built on first access
 * (address headers: building them costs more than checking them, and many messages never need them).
 */
export const PENDING: unique symbol = Symbol('pending');

/** Controls a header value cannot hold outside a quoted-pair (CR and LF never reach a value). */
export const BAD_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Rejects control characters, except as the second half of a quoted-pair (`\` CHAR). The typed
 * parsers check every character against their grammar; this covers the values they do not.
 */
function checkControls(text: string): void {
  if (text.length < 32) {
    // a loop beats the regex call on short values
    let clean = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) {
        clean = false;
        break;
      }
    }
    if (clean) return;
  } else if (!BAD_CONTROL.test(text)) return;
  const re = new RegExp(BAD_CONTROL.source, 'g');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const i = m.index;
    if (i > 0 && text.charCodeAt(i - 1) === 92 /* \ */) continue;
    throw new SipParseError(`control character 0x${text.charCodeAt(i).toString(16).padStart(2, '0')}`);
  }
}

/**
 * Validates the value of a header the stack needs and returns its typed form. Returns `undefined`
 * for headers with no typed form (which are not checked, or checked but kept as text).
 * Throws {@link SipParseError} (without location; the caller adds it).
 */
export function parseKnownHeader(key: string, raw: string, lazy?: false): TypedValue;
export function parseKnownHeader(key: string, raw: string, lazy: boolean): TypedValue | typeof PENDING;
export function parseKnownHeader(key: string, raw: string, lazy = false): TypedValue | typeof PENDING {
  switch (key) {
    case 'via': {
      const out: Via[] = [];
      parseViaList(raw, out);
      return out;
    }
    case 'from':
    case 'to': {
      const out: Contact[] | null = lazy ? null : [];
      const e = skipWs(raw, parseNameAddrAt(raw, 0, raw.length, out));
      if (e !== raw.length) throw new SipParseError(raw.charCodeAt(e) === 44 ? 'expected a single address' : `unexpected ${JSON.stringify(raw[e])} after address`);
      return out === null ? PENDING : (out[0] as NameAddr);
    }
    case 'contact': {
      const out: Contact[] | null = lazy ? null : [];
      parseNameAddrList(raw, true, out, checkContactParam);
      return out ?? PENDING;
    }
    case 'route':
    case 'record-route': {
      const out: Contact[] | null = lazy ? null : [];
      parseNameAddrList(raw, false, out);
      return out ?? PENDING;
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
      checkControls(raw);
      checkRetryAfter(raw);
      return undefined;
    case 'warning':
      checkControls(raw);
      checkWarning(raw);
      return undefined;
    case 'content-type':
      checkMediaType(raw);
      return undefined;
    default:
      checkControls(raw);
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
function checkContactParam(s: string, n0: number, n1: number, v0: number, v1: number): void {
  const len = n1 - n0;
  if (len === 1 && (s.charCodeAt(n0) | 0x20) === 113 /* q */) {
    if (v0 < 0 || !QVALUE.test(s.slice(v0, v1))) throw new SipParseError('Contact q must be a qvalue between 0 and 1');
  } else if (len === 7 && s.slice(n0, n1).toLowerCase() === 'expires') {
    if (v0 < 0 || parseDecimal(s, v0, v1, UINT32_MAX) < 0) throw new SipParseError('Contact expires must be a number of seconds below 2**32');
  }
}

const QVALUE = /^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/;

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
