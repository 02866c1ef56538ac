// %-escapes (RFC 3261 §25.1 "escaped") and quoted strings (§25.1 quoted-string, quoted-pair).

import { CLASS } from './chars.js';
import { SipParseError } from './errors.js';

/**
 * Decodes %HH escapes. The escaped octets are read as UTF-8; if they are not valid UTF-8, each
 * escaped octet becomes the code point of the same value, so no information is lost.
 */
export function percentDecode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Escapes every character of `s` outside class `mask` (and `%` itself) as UTF-8 %HH. */
export function percentEncode(s: string, mask: number): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && c !== 37 && (CLASS[c]! & mask) !== 0) continue;
    out += s.slice(start, i);
    let end = i + 1;
    // keep surrogate pairs together so encodeURIComponent sees whole code points
    if (c >= 0xd800 && c <= 0xdbff && end < s.length) end++;
    out += c < 128 ? '%' + hex2(c) : utf8Escape(s.slice(i, end));
    i = end - 1;
    start = end;
  }
  return start === 0 ? s : out + s.slice(start);
}

function hex2(c: number): string {
  return (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
}

function utf8Escape(ch: string): string {
  let out = '';
  for (const b of Buffer.from(ch, 'utf8')) out += '%' + hex2(b);
  return out;
}

/**
 * Scans a quoted-string starting at the opening DQUOTE at `start`.
 * Returns the index just past the closing DQUOTE. Throws when it never closes
 * or contains a character a quoted-string cannot hold.
 */
export function scanQuoted(s: string, start: number, end: number = s.length): number {
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 /* " */) return i + 1;
    if (c === 92 /* \ */) {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
      const n = s.charCodeAt(i + 1);
      if (i + 1 >= end || n === 10 || n === 13 || n > 0x7f) throw new SipParseError('invalid escape in quoted string');
      i++;
      continue;
    }
    // qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
    if ((c < 0x20 && c !== 9) || c === 0x7f) throw new SipParseError('control character in quoted string');
  }
  throw new SipParseError('unterminated quoted string');
}

/** The content of a quoted-string (with its DQUOTEs), quoted-pairs resolved. */
export function unquote(quoted: string): string {
  const inner = quoted.slice(1, -1);
  return inner.indexOf('\\') < 0 ? inner : inner.replace(/\\([\s\S])/g, '$1');
}

/** What {@link quote} must escape: `"`, `\\` and control characters but HTAB. */
const NEEDS_ESCAPE = /[\\"\x00-\x08\x0a-\x1f\x7f]/;
const ESCAPES = new RegExp(NEEDS_ESCAPE.source, 'g');

/** Wraps `s` in DQUOTEs, escaping `"` and `\` (and control characters, which need quoted-pair). */
export function quote(s: string): string {
  // Most display names need no escape: test first (the replace alone costs a microsecond each
  // time an address is rendered, several times per call).
  return NEEDS_ESCAPE.test(s) ? '"' + s.replace(ESCAPES, '\\$&') + '"' : '"' + s + '"';
}
