// parseMessage: bytes off the wire → SipRequest | SipResponse (RFC 3261 §7, §25).

import { isAscii } from 'node:buffer';
import { CLASS, isWsp, skipWs, TOKEN, trimWsEnd } from './chars.js';
import { SipParseError } from './errors.js';
import { parseFast } from './fast-parse.js';
import { commonHeaderKey, headerKey, knownHeaderKey } from './header-names.js';
import { type Field, type SipMessage, SipRequest, SipResponse } from './message.js';
import { parseKnownHeader, type PENDING, type TypedValue } from './typed-headers.js';
import { checkUriRange } from './uri.js';

/** Largest message accepted: the largest UDP payload. */
export const MAX_MESSAGE_BYTES = 65535;
/** Most header lines accepted in one message. */
export const MAX_HEADERS = 256;
/** Longest header accepted (after unfolding), in characters. */
export const MAX_HEADER_LINE = 8192;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const CRLFCRLF = Buffer.from('\r\n\r\n');
const VERSION = /^SIP\/[0-9]+\.[0-9]+$/i;

/**
 * Parses one SIP message from a datagram (or text).
 *
 * Returns a {@link SipRequest} or {@link SipResponse}; for any malformed input throws
 * {@link SipParseError} and nothing else. The headers the stack relies on (Via, From, To, Call-ID,
 * CSeq, Max-Forwards, Content-Length, Contact, Route, Record-Route, Expires ...) are validated
 * here; a message missing some of them still parses, so a user agent can answer it (e.g. 400).
 * The body is exactly Content-Length bytes; bytes after it are ignored.
 *
 * @example
 * ```ts
 * const msg = parseMessage(datagram);
 * if (msg instanceof SipRequest) report(msg.method, String(msg.uri), msg.vias[0]?.branch);
 * ```
 */
export function parseMessage(data: Uint8Array | string): SipRequest | SipResponse {
  try {
    const buf = toBuffer(data);
    // Plainly written messages (nearly all of them) take the one-pass path; the rest, and every
    // malformed message, are parsed by parseBuffer, which is also where every error comes from.
    if (buf.length <= MAX_MESSAGE_BYTES) {
      const fast = parseFast(buf, buf.length);
      if (fast !== undefined) return fast;
    }
    return parseBuffer(buf);
  } catch (err) {
    if (err instanceof SipParseError) throw err;
    // Defence in depth: the contract is that nothing but SipParseError escapes.
    throw new SipParseError(`unparseable message (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * @internal parseMessage without the fast path: what the fast path must agree with (tests).
 */
export function parseThorough(data: Uint8Array | string): SipRequest | SipResponse {
  return parseBuffer(toBuffer(data));
}

function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new SipParseError('input must be a Uint8Array or a string');
}

/** Where the text of the header section came from, for byte offsets in errors. */
interface Source {
  text: string;
  /** Byte offset of text[0] in the input. */
  base: number;
  /** True when text was decoded from UTF-8 (char index ≠ byte offset). */
  multibyte: boolean;
}

function byteOffset(src: Source, index: number): number {
  return src.base + (src.multibyte ? Buffer.byteLength(src.text.slice(0, index), 'utf8') : index);
}

function parseBuffer(buf: Buffer): SipRequest | SipResponse {
  const len = buf.length;
  if (len > MAX_MESSAGE_BYTES) throw new SipParseError(`message of ${len} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`, { offset: MAX_MESSAGE_BYTES });
  // RFC 3261 §7.5: ignore CRLFs before the start line.
  let start = 0;
  while (start < len && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start === len) throw new SipParseError('empty message', { offset: start });

  // The header section ends at the first empty line. `total` is its length in `text`, which may
  // run on into the body.
  let text: string;
  let total: number;
  let multibyte = false;
  if (isAscii(buf)) {
    // Fast path, nearly every datagram (SDP included): one decode, and string searches.
    text = buf.toString('latin1', start, len);
    total = headerSectionEnd(text);
  } else {
    let sep = buf.indexOf(CRLFCRLF, start);
    let headEnd: number;
    if (sep >= 0) headEnd = sep + 4;
    else {
      sep = buf.indexOf('\n\n', start);
      headEnd = sep >= 0 ? sep + 2 : len;
    }
    const head = buf.subarray(start, headEnd);
    if (isAscii(head)) text = buf.toString('latin1', start, headEnd);
    else {
      multibyte = true;
      try {
        text = utf8.decode(head);
      } catch {
        throw new SipParseError('header section is not valid UTF-8', { offset: start + firstInvalidUtf8(head) });
      }
    }
    total = text.length;
  }
  const src: Source = { text, base: start, multibyte };

  // Start line
  let nl = text.indexOf('\n');
  if (nl < 0 || nl > total) nl = total;
  // Only a CR that an LF follows ends a line; any other CR is reported as a bare CR below.
  const lineEnd = nl > 0 && nl < total && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  // A CR anywhere but just before LF is a bare CR, which no SIP element may send.
  let nextCR = text.indexOf('\r');
  if (nextCR >= 0 && nextCR < lineEnd) throw bareCR(src, nextCR);
  const msg = parseStartLine(text, lineEnd, src);

  // Header lines
  const fields: Field[] = [];
  let pos = nl + 1;
  let name = '';
  let key: string | undefined = '';
  let value = '';
  let lineStart = -1;
  let blankAt = -1;
  let contentLength = -1;
  while (pos <= total) {
    let eol = pos < total ? text.indexOf('\n', pos) : -1;
    if (eol < 0 || eol > total) eol = total;
    const end = eol > pos && eol < total && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
    if (nextCR >= 0 && nextCR < pos) nextCR = text.indexOf('\r', pos);
    if (nextCR >= 0 && nextCR < end) throw bareCR(src, nextCR);
    const first = text.charCodeAt(pos);
    if (end > pos && isWsp(first)) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header.
      if (lineStart < 0) throw new SipParseError('header section starts with a folded line', { offset: byteOffset(src, pos) });
      const v0 = skipWs(text, pos, end);
      const v1 = trimWsEnd(text, v0, end);
      if (v1 > v0) value = value.length > 0 ? value + ' ' + text.slice(v0, v1) : text.slice(v0, v1);
      pos = eol + 1;
      continue;
    }
    if (lineStart >= 0) contentLength = addField(fields, name, key, value, lineStart, src, contentLength);
    if (end === pos) {
      if (pos < total) blankAt = pos;
      break;
    }
    // header-name HCOLON header-value; HCOLON = *( SP / HTAB ) ":" SWS
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > end) throw new SipParseError('header line without ":"', { offset: byteOffset(src, pos) });
    const nameEnd = trimWsEnd(text, pos, colon);
    name = text.slice(pos, nameEnd);
    key = commonHeaderKey(text, pos, nameEnd) ?? knownHeaderKey(name);
    if (key === undefined) {
      if (!isTokenText(name)) throw new SipParseError(`invalid header name ${JSON.stringify(name)}`, { offset: byteOffset(src, pos) });
      key = headerKey(name);
    }
    const v0 = skipWs(text, colon + 1, end);
    value = text.slice(v0, trimWsEnd(text, v0, end));
    lineStart = pos;
    pos = eol + 1;
  }
  if (blankAt < 0) throw new SipParseError('missing empty line after the headers', { offset: buf.length });
  msg.fields = fields;

  // Body: exactly Content-Length bytes (RFC 3261 §18.3, §20.14); without it, the rest of the datagram.
  const bodyStart = byteOffset(src, blankAt) + (text.charCodeAt(blankAt) === 13 ? 2 : 1);
  const available = len - bodyStart;
  if (contentLength >= 0) {
    if (contentLength > available) {
      throw new SipParseError(`Content-Length ${contentLength} exceeds the ${available} body bytes received`, { offset: bodyStart, header: 'Content-Length' });
    }
    if (contentLength > 0) msg.body = copyBytes(buf, bodyStart, bodyStart + contentLength);
  } else if (available > 0) {
    msg.body = copyBytes(buf, bodyStart, len);
  }
  return msg;
}

// The body is a copy, so the caller may reuse its buffer. Node's pooled allocation makes a small
// copy several times cheaper than a fresh Uint8Array.
function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

/** Length of the header section of `text`, through the empty line; the whole text if there is none. */
function headerSectionEnd(text: string): number {
  const crlf = text.indexOf('\r\n\r\n');
  if (crlf >= 0) return crlf + 4;
  const lf = text.indexOf('\n\n');
  return lf >= 0 ? lf + 2 : text.length;
}

function addField(fields: Field[], name: string, key: string, raw: string, lineStart: number, src: Source, contentLength: number): number {
  if (fields.length >= MAX_HEADERS) throw new SipParseError(`more than ${MAX_HEADERS} headers`, { offset: byteOffset(src, lineStart) });
  if (raw.length > MAX_HEADER_LINE) {
    throw new SipParseError(`header longer than ${MAX_HEADER_LINE} characters`, { offset: byteOffset(src, lineStart), header: name });
  }
  let typed: TypedValue | typeof PENDING;
  try {
    typed = parseKnownHeader(key, raw, true);
  } catch (err) {
    if (err instanceof SipParseError) throw new SipParseError(err.reason, { offset: byteOffset(src, lineStart), header: name });
    throw err;
  }
  if (key === 'content-length') {
    const n = typed as number;
    if (contentLength >= 0 && n !== contentLength) {
      throw new SipParseError(`conflicting Content-Length values ${contentLength} and ${n}`, { offset: byteOffset(src, lineStart), header: name });
    }
    contentLength = n;
  }
  fields.push({ name, key, raw, typed, exposed: false });
  return contentLength;
}

function parseStartLine(text: string, end: number, src: Source): SipMessage & (SipRequest | SipResponse) {
  // RFC 3261 §7.1: "SIP" in the version is case-insensitive (ABNF literal).
  if ((text.charCodeAt(0) | 0x20) === 115 && (text.charCodeAt(1) | 0x20) === 105 && (text.charCodeAt(2) | 0x20) === 112 && text.charCodeAt(3) === 47) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp = text.indexOf(' ');
    if (sp < 0 || sp > end) throw new SipParseError('Status-Line has no status code', { offset: src.base });
    const version = text.slice(0, sp);
    if (!VERSION.test(version)) throw new SipParseError(`malformed SIP version ${JSON.stringify(version)}`, { offset: src.base });
    let i = sp + 1;
    const c0 = i;
    while (i < end && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i - c0 !== 3 || (i < end && text.charCodeAt(i) !== 32)) {
      throw new SipParseError(`status code must be three digits, found ${JSON.stringify(text.slice(c0, Math.min(end, c0 + 16)))}`, { offset: src.base + c0 });
    }
    const status = Number(text.slice(c0, i));
    if (status < 100 || status > 699) throw new SipParseError(`status code ${status} is outside 100-699`, { offset: src.base + c0 });
    const reason = i < end ? text.slice(i + 1, end) : '';
    let res: SipResponse;
    try {
      res = new SipResponse(status, reason);
    } catch (err) {
      if (err instanceof SipParseError) throw new SipParseError(err.reason, { offset: src.base + i + 1 });
      throw err;
    }
    res.version = version;
    return res;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || sp2 > end) throw new SipParseError('Request-Line must be "Method SP Request-URI SP SIP-Version"', { offset: src.base });
  const method = text.slice(0, sp1);
  if (!isTokenText(method)) throw new SipParseError(`invalid method ${JSON.stringify(method)}`, { offset: src.base });
  const version = text.slice(sp2 + 1, end);
  if (sp2 === sp1 + 1) throw new SipParseError('Request-Line has more than one space before the Request-URI', { offset: src.base + sp1 });
  if (version.indexOf(' ') >= 0 || version.indexOf('\t') >= 0 || !VERSION.test(version)) {
    const reason = /^SIP\/[0-9]+\.[0-9]+[ \t]+$/i.test(version)
      ? 'trailing whitespace after the SIP version'
      : /^[ \t]*SIP\/[0-9]+\.[0-9]+[ \t]*$/i.test(version) || version.indexOf(' ') >= 0
        ? 'whitespace inside the Request-URI or around it'
        : `malformed SIP version ${JSON.stringify(version)}`;
    throw new SipParseError(reason, { offset: src.base + sp2 + 1 });
  }
  const uriText = text.slice(sp1 + 1, sp2);
  try {
    checkUriRange(uriText, 0, uriText.length);
  } catch (err) {
    if (err instanceof SipParseError) throw new SipParseError(`Request-URI: ${err.reason}`, { offset: src.base + sp1 + 1 });
    throw err;
  }
  const req = SipRequest.fromWire(method, uriText);
  req.version = version;
  return req;
}

function isTokenText(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c]! & TOKEN) === 0) return false;
  }
  return true;
}

function bareCR(src: Source, index: number): SipParseError {
  return new SipParseError('bare CR (not followed by LF)', { offset: byteOffset(src, index) });
}

// Index of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629).
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return i;
}
