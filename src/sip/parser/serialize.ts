// Building and writing messages: createRequest, createResponse (RFC 3261 §8.1.1, §8.2.6) and
// serializeMessage.

import { isToken } from './chars.js';
import { SipParseError } from './errors.js';
import { canonicalHeaderName, headerKey } from './header-names.js';
import { type NameAddr, tagOfText } from './name-addr.js';
import { addMadeHeader, cloneTyped, type Field, fieldText, type HeaderValue, peekField, type SipMessage, SipRequest, SipResponse } from './message.js';
import { reasonPhrase } from './reason-phrases.js';
import { RecentSet } from './recent-set.js';
import { CSeq, PENDING } from './typed-headers.js';
import { parseUri, type Uri } from './uri.js';
import { Via } from './via.js';

/** Extra headers: `[name, value]` pairs (order kept, names may repeat) or an object of name → value(s). */
export type HeaderInit = Iterable<readonly [string, HeaderValue | readonly HeaderValue[]]> | Record<string, HeaderValue | readonly HeaderValue[]>;

/** What {@link createRequest} needs. */
export interface RequestInit {
  /** Method token, e.g. `INVITE`; also used as the CSeq method. */
  method: string;
  /** Request-URI. */
  uri: Uri | string;
  /** From header, with its tag (RFC 3261 §8.1.1.3). */
  from: NameAddr | string;
  /** To header (no tag on a request outside a dialog). */
  to: NameAddr | string;
  /** Call-ID (RFC 3261 §8.1.1.4). */
  callId: string;
  /** CSeq number; the CSeq method is the request method. */
  cseq: number;
  /** Via values, top first. Usually left out and added by the transport when sending. */
  via?: Via | string | ReadonlyArray<Via | string>;
  /** Max-Forwards; 70 when not given (RFC 3261 §8.1.1.6). */
  maxForwards?: number;
  /** Contact value(s), e.g. `<sip:alice@192.0.2.1:5060>`. */
  contact?: NameAddr | string | ReadonlyArray<NameAddr | string>;
  /** Further headers, written after the standard ones in the order given. */
  headers?: HeaderInit;
  /** Body bytes, or text written as UTF-8. */
  body?: Uint8Array | string;
  /** Content-Type of the body (required when there is a body). */
  contentType?: string;
}

/** Request-URI texts validated lately (see createRequest); one that failed is never kept. */
const CHECKED_URIS = new RecentSet<string>(256);
/** Contact texts validated lately (see createMadeRequest); one that failed is never kept. */
const CHECKED_CONTACTS = new RecentSet<string>(64);

/**
 * Builds a request with the mandatory headers of RFC 3261 §8.1.1 (To, From, CSeq, Call-ID,
 * Max-Forwards and, when given, Via). Invalid values throw {@link SipParseError} naming the header.
 *
 * @example
 * ```ts
 * const invite = createRequest({
 *   method: 'INVITE',
 *   uri: 'sip:bob@example.com',
 *   from: '"Alice" <sip:alice@example.com>;tag=1928301774',
 *   to: '<sip:bob@example.com>',
 *   callId: 'a84b4c76e66710',
 *   cseq: 1,
 *   contact: '<sip:alice@192.0.2.1:5060>',
 *   body: sdpText,
 *   contentType: 'application/sdp',
 * });
 * ```
 */
export function createRequest(init: RequestInit): SipRequest {
  const req = typeof init.uri === 'string' ? requestTo(init.method, init.uri) : new SipRequest(init.method, init.uri);
  if (init.via !== undefined) req.setHeader('Via', asList(init.via));
  req.setHeader('Max-Forwards', init.maxForwards ?? 70);
  req.setHeader('To', init.to);
  req.setHeader('From', init.from);
  req.setHeader('Call-ID', init.callId);
  req.setHeader('CSeq', new CSeq(init.cseq, init.method));
  if (init.contact !== undefined) req.setHeader('Contact', asList(init.contact));
  addHeaders(req, init.headers);
  setBody(req, init.body, init.contentType);
  return req;
}

/**
 * A request to the Request-URI `text`, written as given and not rendered again. A dialog's requests
 * repeat its target: a text validated lately is valid again without a parse (the URI is built if
 * the stack reads it).
 */
function requestTo(method: string, text: string): SipRequest {
  let uri: Uri | undefined;
  if (!CHECKED_URIS.has(text)) {
    try {
      uri = parseUri(text);
    } catch (err) {
      if (err instanceof SipParseError) throw new SipParseError(`Request-URI: ${err.reason}`);
      throw err;
    }
    CHECKED_URIS.add(text);
  }
  return SipRequest.withUriText(method, text, uri);
}

/**
 * @internal What {@link createRequest} takes, for {@link createMadeRequest}: the From, To and
 * (when given) Via texts the stack made of checked parts; the Request-URI, Call-ID and Contact
 * are checked all the same (a Request-URI or Contact text checked lately is not parsed again).
 */
export interface MadeRequestInit {
  method: string;
  uri: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  via?: string;
  contact?: string;
  headers?: HeaderInit;
  body?: Uint8Array | string;
  /** Content-Type; `application/sdp`, the stack's own, is not checked again. */
  contentType?: string;
}

/**
 * @internal {@link createRequest} for the stack's own requests (a user agent's requests outside a
 * dialog, a dialog's requests): From, To, Via, CSeq and Max-Forwards are texts it made of parts it
 * has checked (a From checked once per identity with a new tag; a dialog's addresses as validated
 * messages wrote them), written as they are without a parse. The Request-URI, Call-ID, Contact
 * and extra headers are checked as createRequest checks them (those repeat: checked lately, they
 * are not parsed again).
 */
export function createMadeRequest(init: MadeRequestInit): SipRequest {
  if (!Number.isInteger(init.cseq) || init.cseq < 0 || init.cseq > 0xffffffff) throw new SipParseError(`CSeq number ${init.cseq} is out of range`, { header: 'CSeq' });
  const req = requestTo(init.method, init.uri);
  if (init.via !== undefined) addMadeHeader(req, 'Via', 'via', init.via);
  addMadeHeader(req, 'Max-Forwards', 'max-forwards', '70');
  addMadeHeader(req, 'To', 'to', init.to);
  addMadeHeader(req, 'From', 'from', init.from);
  req.addHeader('Call-ID', init.callId);
  // (the method is a token: requestTo checked it)
  addMadeHeader(req, 'CSeq', 'cseq', `${init.cseq} ${init.method}`, false, new CSeq(init.cseq, init.method));
  if (init.contact !== undefined) {
    // (a user agent's Contact, the same text on each of its requests: checked lately, not again)
    if (CHECKED_CONTACTS.has(init.contact)) addMadeHeader(req, 'Contact', 'contact', init.contact);
    else {
      req.addHeader('Contact', init.contact);
      CHECKED_CONTACTS.add(init.contact);
    }
  }
  addHeaders(req, init.headers);
  if (init.contentType === 'application/sdp' && !req.hasHeader('content-type')) {
    addMadeHeader(req, 'Content-Type', 'content-type', init.contentType);
    setBody(req, init.body, undefined);
  } else setBody(req, init.body, init.contentType);
  return req;
}

/** Options for {@link createResponse}. */
export interface ResponseOptions {
  /** Tag to add to the To header when it has none (RFC 3261 §8.2.6.2). */
  toTag?: string;
  /** Further headers, written after the copied ones. */
  headers?: HeaderInit;
  /** Body bytes, or text written as UTF-8. */
  body?: Uint8Array | string;
  /** Content-Type of the body (required when there is a body). */
  contentType?: string;
}

/**
 * Builds a response to `request`, copying Via (all values, in order), From, To, Call-ID and CSeq
 * as RFC 3261 §8.2.6 requires, and Timestamp into a 100 (§8.2.6.1). The reason phrase defaults to
 * the standard one for the status.
 *
 * @example
 * ```ts
 * const ringing = createResponse(invite, 180, undefined, { toTag: 'a6c85cf' });
 * ```
 */
export function createResponse(request: SipRequest, status: number, reason?: string, options: ResponseOptions = {}): SipResponse {
  const res = new SipResponse(status, reason ?? reasonPhrase(status));
  for (const f of request.fields) {
    if (f.key === 'via' || f.key === 'from' || f.key === 'to' || f.key === 'call-id' || f.key === 'cseq' || (status === 100 && f.key === 'timestamp')) {
      res.fields.push(copyField(f));
    }
  }
  if (options.toTag !== undefined) addToTag(res, options.toTag);
  addHeaders(res, options.headers);
  setBody(res, options.body, options.contentType);
  return res;
}

/**
 * Writes a message as bytes: the start line, headers with canonical names (`v` → `Via`), a
 * Content-Length equal to the body's real length, the empty line and the body. Values of headers
 * without a typed form are written exactly as received.
 */
export function serializeMessage(msg: SipMessage): Uint8Array {
  let head: string;
  if (msg instanceof SipRequest) head = `${msg.method} ${msg.uriString} ${msg.version}\r\n`;
  else if (msg instanceof SipResponse) head = `${msg.version} ${msg.status} ${msg.reason}\r\n`;
  else throw new TypeError('serializeMessage needs a SipRequest or SipResponse');
  // (a body held as latin1 text is written from it, one char per byte, without its bytes made)
  const latin1 = msg.wireBodyText;
  const bodyLength = latin1 !== undefined ? latin1.length : msg.bodyLength;
  const length = `Content-Length: ${bodyLength}\r\n`;
  let wroteLength = false;
  for (const f of msg.fields) {
    if (f.key === 'content-length') {
      if (!wroteLength) head += length;
      wroteLength = true;
      continue;
    }
    head += `${canonicalHeaderName(f.name)}: ${fieldText(f)}\r\n`;
  }
  if (!wroteLength) head += length;
  head += '\r\n';
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + bodyLength);
  out.write(head, 0, 'utf8');
  if (latin1 !== undefined) out.write(latin1, headBytes, bodyLength, 'latin1');
  else out.set(msg.body, headBytes);
  return out;
}

/** Adds `tag` to the response's To unless it has one; to the text while the To is its text. */
function addToTag(res: SipResponse, tag: string): void {
  const f = res.fields.find((x) => x.key === 'to');
  if (f === undefined) throw new SipParseError('cannot add a To tag: the request has no To header');
  // Not read yet: its text may tell whether it has a tag, and then the value is not built.
  const quick = f.typed === PENDING ? tagOfText(f.raw) : null;
  const to = quick === null ? (peekField(f) as NameAddr) : undefined;
  if ((to === undefined ? quick : to.tag) !== undefined) return;
  if (f.exposed) {
    to!.tag = tag;
    return;
  }
  // The tag is a header parameter, last on the line in either form (RFC 3261 §20: a URI with
  // parameters is in <>, so `;tag=` after the address is never the URI's). tag = token (§25.1):
  // the text must stay valid, since the value is built from it when read.
  if (!isToken(tag)) throw new SipParseError(`To tag ${JSON.stringify(tag)} is not a token`);
  f.raw = `${f.raw};tag=${tag}`;
  if (to === undefined) return; // (still unread)
  // (the value, which the request's field may share, is not changed: the response gets its own)
  const own = to.clone();
  own.tag = tag;
  f.typed = own;
}

function copyField(f: Field): Field {
  // A value only the stack has read is its text still: the copy takes the text and shares the value
  // (which nobody changes: one handed out from either field is a copy of its own, see resolve).
  // One handed out already may have changed: the copy takes a copy of it.
  if (!f.exposed) return { name: canonicalHeaderName(f.name), key: f.key, raw: f.raw, typed: f.typed, exposed: false };
  return { name: canonicalHeaderName(f.name), key: f.key, raw: f.raw, typed: cloneTyped(f.typed), exposed: true };
}

function asList<T>(v: T | ReadonlyArray<T>): T[] {
  return Array.isArray(v) ? [...(v as T[])] : [v as T];
}

function addHeaders(msg: SipMessage, headers: HeaderInit | undefined): void {
  if (headers === undefined) return;
  const entries = Symbol.iterator in headers ? headers : Object.entries(headers);
  for (const [name, value] of entries as Iterable<readonly [string, HeaderValue | readonly HeaderValue[]]>) {
    const key = headerKey(name);
    if (key === 'content-length') continue; // always computed from the body
    msg.addHeader(name, value);
  }
}

const textEncoder = new TextEncoder();
const NOT_ASCII = /[^\x00-\x7f]/;

function setBody(msg: SipMessage, body: Uint8Array | string | undefined, contentType: string | undefined): void {
  if (contentType !== undefined) msg.setHeader('Content-Type', contentType);
  if (body === undefined) return;
  if (typeof body !== 'string') msg.body = body;
  // ASCII text (an SDP) is its own UTF-8 bytes: kept as text and written as it is (no bytes made
  // for it, see serializeMessage); other text as UTF-8 bytes of their own (no pooled Buffer's slab
  // kept with them).
  else if (!NOT_ASCII.test(body)) msg.setWireBody(body);
  else msg.body = textEncoder.encode(body);
  if (body.length > 0 && !msg.hasHeader('content-type')) {
    throw new SipParseError('a body needs a Content-Type', { header: 'Content-Type' });
  }
}
