// The SIP message model: requests and responses with ordered header fields (RFC 3261 §7).

import { isToken } from './chars.js';
import { SipParseError } from './errors.js';
import { headerKey, isListKey, knownHeaderKey } from './header-names.js';
import { type Contact, type NameAddr, tagOfText } from './name-addr.js';
import { ownString } from './own-string.js';
import { RecentSet } from './recent-set.js';
import { CSeq, formatTyped, parseKnownHeader, PENDING, splitListValue, type TypedValue } from './typed-headers.js';
import { AbsoluteUri, parseUri, type Uri } from './uri.js';
import type { Via } from './via.js';

/** A header value as accepted by the setters: text, a number, or a typed value (Via, NameAddr, CSeq ...). */
export type HeaderValue = string | number | {
  /** The header value as it goes on the wire. */
  toString(): string;
};

/** One header line as it stands in the message: the name as written and the value text. */
export interface HeaderField {
  /** Name as written (`v`, `Via`, `VIA` ...). */
  readonly name: string;
  /** Value text: as received or set, or rendered from the typed value once that was read (and so may have been changed). */
  readonly value: string;
}

/** @internal One stored header line. */
export interface Field {
  name: string;
  key: string;
  raw: string;
  /** The typed value; {@link PENDING} when validated but not built yet (see {@link resolve}). */
  typed: TypedValue | typeof PENDING;
  /**
   * Whether the typed value has been handed out by a public accessor (see {@link resolve}), and so
   * may have been changed: from then on it, not {@link raw}, is what the field says. A value only
   * the stack has read ({@link peekField}) is never changed, and {@link raw} stays its text.
   */
  exposed: boolean;
}

/**
 * @internal A header line read by the fast parser: the value text is cut from the header section
 * only when first read (the name is nearly always a constant string, so it is set at once).
 */
export class WireField implements Field {
  // `declare`: the constructor creates every field, with no define-as-undefined pass before it
  declare name: string;
  declare key: string;
  declare typed: TypedValue | typeof PENDING;
  declare exposed: boolean;
  private declare rawText: string | undefined;
  private declare readonly src: string;
  private declare readonly v0: number;
  private declare readonly v1: number;

  constructor(name: string, key: string, src: string, v0: number, v1: number, raw: string | undefined, typed: TypedValue | typeof PENDING) {
    this.name = name;
    this.key = key;
    this.typed = typed;
    this.exposed = false;
    this.rawText = raw;
    this.src = src;
    this.v0 = v0;
    this.v1 = v1;
  }

  get raw(): string {
    return (this.rawText ??= this.src.slice(this.v0, this.v1));
  }

  set raw(v: string) {
    this.rawText = v;
  }
}

/**
 * The typed value of a field for a public accessor, built now if it was left pending at parse time.
 * The caller may change it, so the field is written from it from now on ({@link fieldText}).
 */
export function resolve(f: Field): TypedValue {
  if (f.exposed) return peekField(f);
  f.exposed = true;
  const t = f.typed;
  // A value the stack has read may be shared with the field of a message copied from this one
  // (a response's Via, From, To ...): the one handed out is this field's own.
  if (t !== PENDING) return (f.typed = cloneTyped(t));
  return peekField(f);
}

/** @internal A copy of a typed value: the objects in it copied, a string or number as it is. */
export function cloneTyped<T extends TypedValue | typeof PENDING>(v: T): T {
  if (Array.isArray(v)) return v.map((x: { clone?: () => unknown }) => (typeof x.clone === 'function' ? x.clone() : x)) as T;
  if (v instanceof CSeq) return new CSeq(v.seq, v.method) as T;
  if (typeof v === 'object' && v !== null && typeof (v as { clone?: unknown }).clone === 'function') return (v as unknown as { clone: () => T }).clone();
  return v;
}

/**
 * @internal The typed value of a field for the stack's own reading, built now if it was left
 * pending: the stack never changes a value it reads this way, so the field goes on being written
 * as its text, without rendering the value again. Anything that may change the value, or hands it
 * to a caller who may, reads it through {@link resolve}.
 */
export function peekField(f: Field): TypedValue {
  const t = f.typed;
  if (t !== PENDING) return t;
  // The raw text was validated when the field was made, so this cannot throw.
  return (f.typed = parseKnownHeader(f.key, f.raw));
}

const EMPTY_BODY = new Uint8Array(0);
/** Text with no char above U+007F (its latin1 bytes are its UTF-8 bytes). */
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * What requests and responses share: the header fields, typed accessors for the headers the stack
 * needs, and the body.
 *
 * Typed values (`vias`, `from`, `to`, `cseq`, `contacts` ...) are live: changing a returned `Via`
 * or `NameAddr` changes the message, and {@link serializeMessage} writes the change.
 */
export abstract class SipMessage {
  /** Protocol version from the start line, normally `SIP/2.0`. */
  version = 'SIP/2.0';
  /** @internal */
  fields: Field[] = [];
  // The body bytes; undefined while a received body is still only the text in wireBody.
  private bodyBytes: Uint8Array | undefined = EMPTY_BODY;
  private wireBody = '';

  /** True for a {@link SipRequest}. */
  abstract readonly isRequest: boolean;

  /** The body bytes (empty when there is none). */
  get body(): Uint8Array {
    // the latin1 text holds one char per byte, so this gives back the bytes received
    return (this.bodyBytes ??= Buffer.from(this.wireBody, 'latin1'));
  }

  set body(bytes: Uint8Array) {
    this.bodyBytes = bytes;
    this.wireBody = '';
  }

  /**
   * @internal Sets the body as latin1 text, one char per byte: a received body from the text of the
   * datagram (the parser has decoded that text anyway, and keeping a slice of it copies nothing now,
   * where the body bytes would have to be copied out of the caller's buffer on every parse), or a
   * body the stack built from ASCII text (an SDP: its UTF-8 bytes are its chars), written as it is.
   */
  setWireBody(latin1: string): void {
    this.bodyBytes = undefined;
    this.wireBody = latin1;
  }

  /** @internal The body as latin1 text when it is held so (see {@link setWireBody}), else `undefined`: then {@link body} has the bytes. */
  get wireBodyText(): string | undefined {
    return this.bodyBytes === undefined ? this.wireBody : undefined;
  }

  /** The first value of a header (case-insensitive, compact forms understood); for a list header, its first element. */
  header(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) {
      if (f.key !== key) continue;
      // (a string is handed out, not the value: nothing can change it through this)
      const t = peekField(f);
      if (t !== undefined) return Array.isArray(t) ? (t.length > 0 ? String(t[0]) : undefined) : String(t);
      return isListKey(key) ? splitListValue(f.raw)[0] : f.raw;
    }
    return undefined;
  }

  /**
   * Every value of a header, in order across all its header lines. List headers (Via, Contact,
   * Allow, Supported ...) give one entry per comma-separated value; other headers one entry per line.
   */
  headers(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.fields) {
      if (f.key !== key) continue;
      const t = peekField(f);
      if (Array.isArray(t)) for (const v of t) out.push(String(v));
      else if (t !== undefined) out.push(String(t));
      else if (isListKey(key)) out.push(...splitListValue(f.raw));
      else out.push(f.raw);
    }
    return out;
  }

  /** True when at least one header line of that name is present. */
  hasHeader(name: string): boolean {
    const key = headerKey(name);
    return this.fields.some((f) => f.key === key);
  }

  /** How many header lines of that name the message has (a list header's values on one line count once). Reads no value. */
  headerLineCount(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const f of this.fields) if (f.key === key) n++;
    return n;
  }

  /** Every header line in order, names as written. */
  headerFields(): HeaderField[] {
    return this.fields.map((f) => ({ name: f.name, value: fieldText(f) }));
  }

  /**
   * Replaces every line of header `name` with one line holding `value` (several values of a list
   * header may be given as an array). The new line takes the place of the first old one.
   * Values of the headers the stack needs are validated: an invalid one throws {@link SipParseError}.
   */
  setHeader(name: string, value: HeaderValue | readonly HeaderValue[]): this {
    const field = makeField(name, value);
    const fields = this.fields;
    let first = -1;
    let count = 0;
    for (let j = 0; j < fields.length; j++) {
      if (fields[j]!.key !== field.key) continue;
      if (first < 0) first = j;
      count++;
    }
    // (the common cases, a new header or one line replaced, without building a new list)
    if (count === 0) fields.push(field);
    else if (count === 1) fields[first] = field;
    else {
      this.fields = fields.filter((f) => f.key !== field.key);
      this.fields.splice(first, 0, field);
    }
    return this;
  }

  /** Adds a header line after the last line of the same header (or at the end). */
  addHeader(name: string, value: HeaderValue | readonly HeaderValue[]): this {
    placeLast(this.fields, makeField(name, value));
    return this;
  }

  /**
   * Adds a header line before the first line of the same header, or first of all headers when
   * there is none (RFC 3261 §7.3.1 recommends Via near the top); use it to push a Via or
   * Record-Route.
   */
  prependHeader(name: string, value: HeaderValue | readonly HeaderValue[]): this {
    placeFirst(this.fields, makeField(name, value));
    return this;
  }

  /** Removes every line of header `name`; returns how many were removed. */
  removeHeader(name: string): number {
    const key = headerKey(name);
    const before = this.fields.length;
    this.fields = this.fields.filter((f) => f.key !== key);
    return before - this.fields.length;
  }

  /** The Via values, top first, across all Via lines. */
  get vias(): readonly Via[] {
    return this.typedList('via') as Via[];
  }

  /** The From header, or `undefined` when missing. */
  get from(): NameAddr | undefined {
    return this.typed('from') as NameAddr | undefined;
  }

  /** The To header, or `undefined` when missing. */
  get to(): NameAddr | undefined {
    return this.typed('to') as NameAddr | undefined;
  }

  /**
   * The `tag` parameter of the From header (`undefined` without a From or a tag): what `from?.tag`
   * gives, read without handing out the From (cheaper, and the message goes on being written as it
   * came).
   */
  get fromTag(): string | undefined {
    return peekTag(this, 'from');
  }

  /** The `tag` parameter of the To header (`undefined` without a To or a tag): `to?.tag`, read as {@link fromTag} is. */
  get toTag(): string | undefined {
    return peekTag(this, 'to');
  }

  /** The Call-ID, or `undefined` when missing. */
  get callId(): string | undefined {
    return this.typed('call-id') as string | undefined;
  }

  /** The CSeq, or `undefined` when missing. */
  get cseq(): CSeq | undefined {
    return this.typed('cseq') as CSeq | undefined;
  }

  /** The Contact values across all Contact lines (one {@link ContactWildcard} for `Contact: *`). */
  get contacts(): readonly Contact[] {
    return this.typedList('contact') as Contact[];
  }

  /** Max-Forwards, or `undefined` when missing. */
  get maxForwards(): number | undefined {
    return this.typed('max-forwards') as number | undefined;
  }

  /**
   * The Content-Length header as received, or `undefined` when missing. {@link serializeMessage}
   * always writes the real length of {@link body}.
   */
  get contentLength(): number | undefined {
    return this.typed('content-length') as number | undefined;
  }

  /** The Expires header in seconds, or `undefined`. */
  get expires(): number | undefined {
    return this.typed('expires') as number | undefined;
  }

  /** The Content-Type header text (`application/sdp`), or `undefined`. */
  get contentType(): string | undefined {
    return this.header('content-type');
  }

  /** Route values in order. */
  get routes(): readonly NameAddr[] {
    return this.typedList('route') as NameAddr[];
  }

  /** Record-Route values in order. */
  get recordRoutes(): readonly NameAddr[] {
    return this.typedList('record-route') as NameAddr[];
  }

  /** The body decoded as UTF-8 text. */
  get bodyText(): string {
    // A received (or stack-made) body held as latin1 text is its own UTF-8 decoding when it is
    // all ASCII (an SDP): no bytes are made for it. (A copy: a session keeps the remote SDP for
    // the length of a call, and the received text is a slice of the whole datagram's.)
    if (this.bodyBytes === undefined && ASCII_ONLY.test(this.wireBody)) return ownString(this.wireBody);
    const body = this.body;
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  }

  /** The body's length in bytes (what {@link body}`.byteLength` gives, without making the bytes). */
  get bodyLength(): number {
    return this.bodyBytes === undefined ? this.wireBody.length : this.bodyBytes.byteLength;
  }

  private typed(key: string): TypedValue {
    return firstTyped(this, key, resolve);
  }

  private typedList(key: string): unknown[] {
    return listTyped(this, key, resolve);
  }
}

/** Puts `field` after the last line of its header, or at the end (addHeader's place). */
function placeLast(fields: Field[], field: Field): void {
  let i = -1;
  for (let j = 0; j < fields.length; j++) if (fields[j]!.key === field.key) i = j;
  // (push at the end, as a built message's headers mostly go: splice makes an array of what it removed)
  if (i < 0 || i === fields.length - 1) fields.push(field);
  else fields.splice(i + 1, 0, field);
}

/** Puts `field` before the first line of its header, or first of all (prependHeader's place). */
function placeFirst(fields: Field[], field: Field): void {
  const i = fields.findIndex((f) => f.key === field.key);
  if (i <= 0) fields.unshift(field);
  else fields.splice(i, 0, field);
}

function firstTyped(msg: SipMessage, key: string, read: (f: Field) => TypedValue): TypedValue {
  for (const f of msg.fields) if (f.key === key) return read(f);
  return undefined;
}

function listTyped(msg: SipMessage, key: string, read: (f: Field) => TypedValue): unknown[] {
  let first: unknown[] | undefined;
  let all: unknown[] | undefined;
  for (const f of msg.fields) {
    if (f.key !== key) continue;
    const list = read(f) as unknown[];
    if (first === undefined) first = list;
    else {
      all ??= first.slice();
      all.push(...list);
    }
  }
  return all ?? first ?? [];
}

// The stack's own reads (see peekField): the same values as the public accessors give, which the
// stack only reads, so the message goes on being written from its texts. Code that may change a
// value, or hands one to a caller, uses the public accessors.

/** @internal The Via values, top first, for the stack's own reading. */
export function peekVias(msg: SipMessage): readonly Via[] {
  return listTyped(msg, 'via', peekField) as Via[];
}

/**
 * @internal Lets the stack change the top Via (`edit` returns whether it did) and writes the
 * changed line as text once, so the message goes on being written from its text: a received
 * request's stamped Via (RFC 3261 §18.2.1) goes into every response and into the skeleton its
 * transaction keeps.
 */
export function editTopVia(msg: SipMessage, edit: (top: Via) => boolean): void {
  const f = msg.fields.find((x) => x.key === 'via');
  if (f === undefined) return;
  const list = peekField(f) as Via[];
  const top = list[0];
  if (top === undefined || !edit(top) || f.exposed) return;
  f.raw = formatTyped(list);
}

/**
 * @internal Adds a header line whose text the stack made of parts it has checked (our Via with a
 * new branch, a From with a new tag, a CSeq of a number and a method): kept as that text, parsed
 * only if the stack reads it. The text must be valid: anything from outside goes through
 * setHeader, addHeader or prependHeader, which check it. It goes where addHeader puts a line, or
 * with `atTop` where prependHeader does. `typed`, when given, is the value parsing `text` gives
 * (made with it, cheaper than that parse): the stack's reads take it, a public accessor a copy.
 */
export function addMadeHeader(msg: SipMessage, name: string, key: string, text: string, atTop = false, typed: TypedValue | typeof PENDING = PENDING): void {
  const field: Field = { name, key, raw: text, typed, exposed: false };
  if (atTop) placeFirst(msg.fields, field);
  else placeLast(msg.fields, field);
}

/** @internal The From header for the stack's own reading. */
export function peekFrom(msg: SipMessage): NameAddr | undefined {
  return firstTyped(msg, 'from', peekField) as NameAddr | undefined;
}

/** @internal The To header for the stack's own reading. */
export function peekTo(msg: SipMessage): NameAddr | undefined {
  return firstTyped(msg, 'to', peekField) as NameAddr | undefined;
}

/**
 * @internal The `tag` of the From (`key` `from`) or To (`to`) header for the stack's own reading:
 * the same as `peekFrom(msg)?.tag`, without building the value when the text tells (a dialog's
 * tags are most of what the stack reads of From and To).
 */
export function peekTag(msg: SipMessage, key: 'from' | 'to'): string | undefined {
  for (const f of msg.fields) {
    if (f.key !== key) continue;
    // Pending: never handed out, so the text is what the field says.
    if (f.typed === PENDING) {
      const raw = f.raw;
      // (the same text as last time, as the stack reads one message's tags several times over:
      // the tag a text gives never changes)
      const memo = key === 'from' ? fromMemo : toMemo;
      if (raw === memo.text) return memo.tag;
      const tag = tagOfText(raw);
      if (tag !== null) {
        memo.text = raw;
        memo.tag = tag;
        return tag;
      }
    }
    return (peekField(f) as NameAddr).tag;
  }
  return undefined;
}

// The last From text and the last To text peekTag read a tag from, each with that tag (a memo of
// tagOfText, which depends on the text alone). Each holds one header's text, so one datagram's,
// until the next read.
const fromMemo: { text: string | undefined; tag: string | undefined } = { text: undefined, tag: undefined };
const toMemo: { text: string | undefined; tag: string | undefined } = { text: undefined, tag: undefined };

/** @internal The CSeq for the stack's own reading. */
export function peekCSeq(msg: SipMessage): CSeq | undefined {
  return firstTyped(msg, 'cseq', peekField) as CSeq | undefined;
}

/** @internal The Contact values for the stack's own reading. */
export function peekContacts(msg: SipMessage): readonly Contact[] {
  return listTyped(msg, 'contact', peekField) as Contact[];
}

/** @internal The Record-Route values, in order, for the stack's own reading. */
export function peekRecordRoutes(msg: SipMessage): readonly NameAddr[] {
  return listTyped(msg, 'record-route', peekField) as NameAddr[];
}

/** @internal The Route values, in order, for the stack's own reading. */
export function peekRoutes(msg: SipMessage): readonly NameAddr[] {
  return listTyped(msg, 'route', peekField) as NameAddr[];
}

/**
 * @internal The text of the first value of header `key` as it is written (the text as received or
 * set, unless the value was handed out and may have changed), or `undefined` when there is none.
 * For From, To or a Via: what an ACK or CANCEL copies from its INVITE.
 */
export function firstValueText(msg: SipMessage, key: string): string | undefined {
  for (const f of msg.fields) {
    if (f.key !== key) continue;
    // A line of a header that is not a list, or of a list without a comma, is one value: its text.
    // (Pending: never handed out, so the text is what the field says.)
    if (f.typed === PENDING && (!isListKey(key) || !f.raw.includes(','))) return f.raw;
    const t = peekField(f);
    // A list header's line may hold several values: the first one's, rendered.
    if (Array.isArray(t)) return t.length === 1 ? fieldText(f) : t.length > 0 ? String(t[0]) : undefined;
    return fieldText(f);
  }
  return undefined;
}

/**
 * A SIP request.
 *
 * @example
 * ```ts
 * const req = parseMessage(bytes);
 * if (req instanceof SipRequest && req.method === 'INVITE') report(String(req.uri), req.callId);
 * ```
 */
export class SipRequest extends SipMessage {
  readonly isRequest = true as const;
  // (`declare`: the constructor creates these, with no define-as-undefined pass first)
  /** Method, case-sensitive (`INVITE`, `BYE`, or an extension token). */
  declare method: string;
  private declare uriValue: Uri | undefined;
  private declare uriText: string;
  /**
   * Whether {@link uri} has been handed out (or given) and so may have changed: then it, not the
   * text, is what the request says. The stack's own reading ({@link peekUri}) does not count.
   */
  private declare uriExposed: boolean;

  constructor(method: string, uri: Uri) {
    super();
    // (the parser has validated the method already when it passes the placeholder)
    if (uri !== PLACEHOLDER_URI && !isToken(method)) throw new SipParseError(`method ${JSON.stringify(method)} is not a token`);
    this.method = method;
    this.uriValue = uri;
    this.uriText = '';
    // (a Uri given is the caller's, who may change it: the request is written from it)
    this.uriExposed = true;
  }

  /** The Request-URI (live: changes to it are serialized). */
  get uri(): Uri {
    this.uriExposed = true;
    return this.peekUri();
  }

  set uri(uri: Uri) {
    this.uriValue = uri;
    this.uriExposed = true;
  }

  /** The Request-URI as it will be written. */
  get uriString(): string {
    return this.uriExposed && this.uriValue !== undefined ? String(this.uriValue) : this.uriText;
  }

  /**
   * @internal The Request-URI for the stack's own reading, which never changes it (see
   * {@link peekField}): the request goes on being written from its text.
   */
  peekUri(): Uri {
    // A request with a validated text builds the URI on first access.
    return (this.uriValue ??= parseUri(this.uriText));
  }

  /** @internal A request off the wire whose Request-URI text was already validated. */
  static fromWire(method: string, uriText: string): SipRequest {
    const r = new SipRequest(method, PLACEHOLDER_URI);
    r.uriValue = undefined;
    r.uriText = uriText;
    r.uriExposed = false;
    return r;
  }

  /**
   * @internal A request whose Request-URI is `uriText`, valid (`uri`, when given, was parsed from
   * it); the method is checked. The request is written with the text as given.
   */
  static withUriText(method: string, uriText: string, uri: Uri | undefined): SipRequest {
    if (!isToken(method)) throw new SipParseError(`method ${JSON.stringify(method)} is not a token`);
    const r = SipRequest.fromWire(method, uriText);
    r.uriValue = uri;
    return r;
  }
}

/**
 * @internal A copy of `request` with only the header lines named by `keys` (lower-case keys, as
 * {@link headerKey} gives), as text, without a body: what a transaction that outlives its work
 * needs to go on matching, kept without the parse tree and the datagram the original holds. Typed
 * values are rendered now and built again only if read.
 */
export function requestSkeleton(request: SipRequest, keys: ReadonlySet<string>): SipRequest {
  const kept = request.fields.filter((f) => keys.has(f.key));
  const texts = [request.uriString, ...kept.map(fieldText)];
  // The texts as they are are slices of the datagram's text or trees of concatenated pieces, and
  // a slice keeps its whole datagram alive: copy them all into one new string (join builds it
  // flat) and keep slices of that.
  const joined = texts.join('\n');
  let at = 0;
  const next = (i: number): string => {
    const text = joined.slice(at, at + texts[i]!.length);
    at += texts[i]!.length + 1;
    return text;
  };
  const copy = SipRequest.fromWire(request.method, next(0));
  copy.version = request.version;
  kept.forEach((f, i) => copy.fields.push({ name: f.name, key: f.key, raw: next(i + 1), typed: PENDING, exposed: false }));
  return copy;
}

/**
 * @internal The skeleton of `request` (as {@link requestSkeleton} keeps it) as one string, for a
 * holder that keeps it long and reads it seldom: the smallest form there is, one flat string with
 * nothing of the datagram's. `undefined` when a kept value contains a line feed (the separator;
 * the parser unfolds header lines, so only an odd value built in code could): keep
 * {@link requestSkeleton} then. {@link requestFromSkeleton} builds the request again.
 */
export function skeletonText(request: SipRequest, keys: ReadonlySet<string>): string | undefined {
  const parts = [request.method, request.version, request.uriString];
  for (const f of request.fields) {
    if (!keys.has(f.key)) continue;
    const text = fieldText(f);
    if (text.includes('\n')) return undefined;
    parts.push(f.name, text);
  }
  return parts.join('\n');
}

/** @internal The request {@link skeletonText} wrote: method, Request-URI and the kept header lines as text, parsed when read. */
export function requestFromSkeleton(text: string): SipRequest {
  const parts = text.split('\n');
  const copy = SipRequest.fromWire(parts[0]!, parts[2]!);
  copy.version = parts[1]!;
  for (let i = 3; i + 1 < parts.length; i += 2) copy.fields.push({ name: parts[i]!, key: headerKey(parts[i]!), raw: parts[i + 1]!, typed: PENDING, exposed: false });
  return copy;
}

const PLACEHOLDER_URI = new AbsoluteUri('x', 'x');
// Set while the parser builds a response whose reason phrase it has checked already.
let trustedReason = false;
// Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
const BAD_REASON = /[\x00-\x08\x0a-\x1f\x7f]/;

/** A SIP response. */
export class SipResponse extends SipMessage {
  readonly isRequest = false as const;
  // (`declare`: the constructor creates these, with no define-as-undefined pass first)
  /** Status code, 100 to 699. */
  declare status: number;
  /** Reason phrase (may be empty). */
  declare reason: string;

  constructor(status: number, reason: string) {
    super();
    if (!Number.isInteger(status) || status < 100 || status > 699) throw new SipParseError(`status code ${status} is outside 100-699`);
    if (!trustedReason && BAD_REASON.test(reason)) throw new SipParseError('reason phrase cannot contain control characters other than HTAB');
    this.status = status;
    this.reason = reason;
  }

  /** @internal A response off the wire whose status and reason phrase were already validated. */
  static fromWire(status: number, reason: string): SipResponse {
    trustedReason = true;
    try {
      return new SipResponse(status, reason);
    } finally {
      trustedReason = false;
    }
  }
}

/** The text a field serializes to: its text as received or set, unless its typed value was handed out (and so may have changed). */
export function fieldText(f: Field): string {
  const t = f.typed;
  return !f.exposed || t === undefined || t === PENDING ? f.raw : formatTyped(t);
}

function makeField(name: string, value: HeaderValue | readonly HeaderValue[]): Field {
  // (a name in the key cache is a token already)
  let key = knownHeaderKey(name);
  if (key === undefined) {
    if (!isToken(name)) throw new SipParseError(`header name ${JSON.stringify(name)} is not a token`);
    key = headerKey(name);
  }
  let raw: string;
  if (isArrayOf(value)) {
    if (value.length === 0) throw new SipParseError('no header value given', { header: name });
    raw = value.map(valueText).join(', ');
  } else raw = valueText(value);
  if (/[\r\n]/.test(raw)) throw new SipParseError('header value cannot contain CR or LF', { header: name });
  // Validated now, built when first read (as the parser leaves a field): until then the field is
  // written as the validated text, without rendering a typed value again.
  const checked = CHECKED_ADDRESSES.get(key);
  if (checked?.has(raw)) return { name, key, raw, typed: PENDING, exposed: false };
  let typed: TypedValue | typeof PENDING;
  try {
    typed = parseKnownHeader(key, raw, true);
  } catch (err) {
    if (err instanceof SipParseError) throw new SipParseError(err.reason, { header: name });
    throw err;
  }
  checked?.add(raw);
  return { name, key, raw, typed, exposed: false };
}

/** A value's text, without the whitespace around it: that is not part of it on the wire (RFC 3261 §7.3.1), so it is not kept here either. */
function valueText(v: HeaderValue): string {
  const s = String(v);
  const last = s.length - 1;
  if (last < 0 || (s.charCodeAt(0) > 32 && s.charCodeAt(last) > 32)) return s;
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * Address header texts (From, To, Contact, Route) validated lately, per header: the same text is
 * valid again without a second parse. A call's requests repeat them (the dialog's From and To in
 * its ACK and BYE, the user agent's Contact in every INVITE and BYE); the parse of a name-addr was
 * the largest part of building a request. At least the last {@link CHECKED_KEPT} per header.
 */
const CHECKED_KEPT = 256;
const CHECKED_ADDRESSES = new Map<string, RecentSet<string>>(['from', 'to', 'contact', 'route'].map((k) => [k, new RecentSet<string>(CHECKED_KEPT)]));

function isArrayOf(v: HeaderValue | readonly HeaderValue[]): v is readonly HeaderValue[] {
  return Array.isArray(v);
}

export { CSeq };
