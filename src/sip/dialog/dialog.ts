// A SIP dialog (RFC 3261 §12): its identity, sequence numbers, remote target and route set, how
// it is created on either side, and how requests inside it are built and checked.

import { isToken } from '../parser/chars.js';
import { firstValueText, peekContacts, peekCSeq, peekRecordRoutes, peekTag, type SipRequest, type SipResponse } from '../parser/message.js';
import { NameAddr, tagOfText } from '../parser/name-addr.js';
import { ownString } from '../parser/own-string.js';
import { createMadeRequest, type HeaderInit } from '../parser/serialize.js';
import { parseUri, SipUri, type Uri } from '../parser/uri.js';
import { DialogStateError } from './errors.js';

/** A dialog's identity (RFC 3261 §12): Call-ID, local tag and remote tag. */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

/** The key a user agent files a dialog under: Call-ID, local tag, remote tag. */
export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  // Joined, not concatenated: one flat string, where a template literal would make a tree of its
  // parts, and a Call-ID or tag sliced from a datagram would keep that datagram's whole text alive
  // for as long as the key is kept.
  return [callId, localTag, remoteTag].join('\n');
}

/** `early` after a 1xx with a To tag, `confirmed` after a 2xx, `terminated` at the end (RFC 3261 §12). */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** A request built inside a dialog, with the URI its first hop is taken from (RFC 3261 §8.1.2). */
export interface DialogRequest {
  readonly request: SipRequest;
  /** The first Route's URI when there is a route set, else the Request-URI. */
  readonly nextHop: Uri;
}

/** What {@link Dialog.createRequest} takes besides the method. */
export interface DialogRequestInit {
  /** CSeq number to use instead of the next one (ACK and CANCEL reuse the INVITE's, RFC 3261 §12.2.1.1). */
  cseq?: number;
  headers?: HeaderInit;
  body?: Uint8Array | string;
  contentType?: string;
}

/** Fields of a {@link Dialog}, as the two factories compute them (the addresses are kept as text). */
interface DialogInit {
  id: DialogId;
  state: DialogState;
  /** Our address with our tag, as text. */
  localUri: string;
  /** The peer's address with its tag, as text. */
  remoteUri: string;
  localSeq: number;
  remoteSeq: number | undefined;
  remoteTarget: Uri;
  routeSet: NameAddr[];
  localContact: string;
  secure: boolean;
}

/**
 * The state of one dialog. Built with {@link Dialog.fromUac} (from the request we sent and a 1xx
 * or 2xx with a To tag, RFC 3261 §12.1.2) or {@link Dialog.fromUas} (from the request we
 * received and the tag we put in our response, §12.1.1).
 *
 * @example
 * ```ts
 * const dialog = Dialog.fromUac(invite, ok, '<sip:alice@192.0.2.1:5060>');
 * const { request: bye, nextHop } = dialog.createRequest('BYE');
 * ```
 */
export class Dialog {
  /** Call-ID, local and remote tag. */
  readonly id: DialogId;
  /** `early`, `confirmed` or `terminated`. */
  state: DialogState;

  /** CSeq of the last request we sent in the dialog. */
  localSeq: number;
  /** CSeq of the last request the peer sent, `undefined` until it sends one (RFC 3261 §12.1.2). */
  remoteSeq: number | undefined;
  /** Route set (RFC 3261 §12.1.1, §12.1.2): Route headers of our requests, first hop first. */
  routeSet: NameAddr[];
  /** Our Contact value, sent in target refresh requests and their responses. */
  readonly localContact: string;
  /** Whether the dialog was set up over sips (RFC 3261 §12.1.1). */
  readonly secure: boolean;
  // The addresses as text, not parse trees: a dialog may last hours, and thousands are held at
  // once; they are read when a request is built in the dialog, which writes them as they are.
  private readonly localText: string;
  private readonly remoteText: string;
  private targetText: string;
  /** {@link key}, once asked for (the id does not change). */
  private keyText: string | undefined = undefined;

  private constructor(init: DialogInit) {
    this.id = { callId: ownString(init.id.callId), localTag: ownString(init.id.localTag), remoteTag: ownString(init.id.remoteTag) };
    this.state = init.state;
    this.localText = ownString(init.localUri);
    this.remoteText = ownString(init.remoteUri);
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.targetText = ownString(String(init.remoteTarget));
    this.routeSet = init.routeSet;
    this.localContact = init.localContact;
    this.secure = init.secure;
  }

  /**
   * The UAC's dialog, from the request it sent and a response with a To tag (RFC 3261 §12.1.2):
   * route set = Record-Route of the response reversed, remote target = its Contact, local CSeq =
   * the request's, remote CSeq empty. Early for a 1xx, confirmed for a 2xx.
   *
   * @throws DialogStateError when the response has no To tag or the request lacks From/Call-ID/CSeq.
   */
  static fromUac(request: SipRequest, response: SipResponse, localContact: string): Dialog {
    // (the texts as the request and the response write them, and their tags)
    const from = firstValueText(request, 'from');
    const to = firstValueText(response, 'to');
    const callId = request.callId;
    const cseq = peekCSeq(request);
    const localTag = peekTag(request, 'from');
    const remoteTag = peekTag(response, 'to');
    if (from === undefined || to === undefined || callId === undefined || cseq === undefined || localTag === undefined || remoteTag === undefined) {
      throw new DialogStateError('a UAC dialog needs From with a tag, Call-ID and CSeq in the request and a To tag in the response');
    }
    return new Dialog({
      id: { callId, localTag, remoteTag },
      state: response.status < 200 ? 'early' : 'confirmed',
      localUri: from,
      remoteUri: to,
      localSeq: cseq.seq,
      remoteSeq: undefined,
      remoteTarget: targetOf(response) ?? request.peekUri(),
      routeSet: [...peekRecordRoutes(response)].reverse().map((r) => r.clone()),
      localContact,
      secure: isSecure(request),
    });
  }

  /**
   * The UAS's dialog, from the request it received and the tag it puts in its responses (RFC 3261
   * §12.1.1): route set = Record-Route of the request in order, remote target = its Contact,
   * remote CSeq = the request's, local CSeq empty (we start from a random number below 2^31,
   * §8.1.1.5).
   */
  static fromUas(request: SipRequest, localTag: string, localContact: string, state: DialogState = 'early'): Dialog {
    // (the texts as the request writes them, and the From tag)
    const from = firstValueText(request, 'from');
    const to = firstValueText(request, 'to');
    const callId = request.callId;
    const cseq = peekCSeq(request);
    // RFC 3261 §12.1.1: "A UAS MUST be prepared to receive a request without a tag in the From
    // field, in which case the tag is considered to have a value of null" (RFC 2543 peers).
    const remoteTag = peekTag(request, 'from') ?? '';
    if (from === undefined || to === undefined || callId === undefined || cseq === undefined) {
      throw new DialogStateError('a UAS dialog needs From, To, Call-ID and CSeq in the request');
    }
    return new Dialog({
      id: { callId, localTag, remoteTag },
      state,
      localUri: withTag(to, localTag),
      remoteUri: from,
      localSeq: initialSeq(),
      remoteSeq: cseq.seq,
      remoteTarget: targetOf(request) ?? request.peekUri(),
      routeSet: peekRecordRoutes(request).map((r) => r.clone()),
      localContact,
      secure: isSecure(request),
    });
  }

  /** Our address with our tag: From on the requests we send. A copy: changing it changes nothing. */
  get localUri(): NameAddr {
    return NameAddr.parse(this.localText);
  }

  /** The peer's address with its tag: To on the requests we send. A copy: changing it changes nothing. */
  get remoteUri(): NameAddr {
    return NameAddr.parse(this.remoteText);
  }

  /**
   * The peer's Contact URI: the Request-URI of our requests (RFC 3261 §12.1). A copy: set it to
   * change it (a target refresh does).
   */
  get remoteTarget(): Uri {
    return parseUri(this.targetText);
  }

  set remoteTarget(uri: Uri) {
    this.targetText = ownString(String(uri));
  }

  /** The key the user agent files this dialog under. */
  get key(): string {
    // (made once: the user agent's table keeps the same string, whose hash is then computed once)
    return (this.keyText ??= dialogKey(this.id.callId, this.id.localTag, this.id.remoteTag));
  }

  /**
   * Early → confirmed on a 2xx (RFC 3261 §13.2.2.4: for a UAC the route set is recomputed from
   * the 2xx and the remote target taken from its Contact).
   */
  confirm(response?: SipResponse): void {
    if (this.state === 'terminated') throw new DialogStateError('cannot confirm a terminated dialog');
    if (response !== undefined) {
      this.routeSet = [...peekRecordRoutes(response)].reverse().map((r) => r.clone());
      this.refreshTarget(response);
    }
    this.state = 'confirmed';
  }

  /** Ends the dialog; idempotent. */
  terminate(): void {
    this.state = 'terminated';
  }

  /**
   * RFC 3261 §12.2.1.2 and §12.2.2: a target refresh request (re-INVITE) or its 2xx replaces the
   * remote target with its Contact URI. A message without a usable Contact leaves it unchanged.
   */
  refreshTarget(message: SipRequest | SipResponse): void {
    const target = targetOf(message);
    if (target !== undefined) this.remoteTarget = target;
  }

  /**
   * RFC 3261 §12.2.2: a request whose CSeq is lower than (or, for a new request, equal to) the
   * remote sequence number is out of order and gets 500. Returns false for such a request;
   * otherwise records its CSeq and returns true. ACK and CANCEL reuse their INVITE's number and are
   * not checked here.
   */
  acceptRemoteSeq(request: SipRequest): boolean {
    const seq = peekCSeq(request)?.seq;
    if (seq === undefined) return false;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /**
   * Builds a request inside the dialog (RFC 3261 §12.2.1.1): To = remote URI and tag, From =
   * local URI and tag, the Call-ID, the next local CSeq (unless `cseq` is given), Contact, and the
   * Request-URI and Route from the remote target and route set — loose routing when the first
   * route has `lr`, else the strict-routing rewrite of §12.2.1.1.
   */
  createRequest(method: string, init: DialogRequestInit = {}): DialogRequest {
    if (this.state === 'terminated' && method !== 'ACK') throw new DialogStateError(`cannot send ${method}: the dialog has ended`);
    const cseq = init.cseq ?? ++this.localSeq;
    // (the target as text: validated when it was set, and written as it is)
    let uri = this.targetText;
    let routes = this.routeSet.map(String);
    const first = this.routeSet[0];
    let nextHop: Uri;
    if (first === undefined) nextHop = this.remoteTarget;
    else {
      nextHop = first.uri;
      if (!(first.uri instanceof SipUri) || !first.uri.params.has('lr')) {
        // RFC 3261 §12.2.1.1: strict routing — the first route becomes the Request-URI (its
        // parameters other than those allowed in a Request-URI kept as they are), and the
        // remote target goes to the end of the Route list.
        uri = String(first.uri);
        routes = [...this.routeSet.slice(1).map(String), `<${this.targetText}>`];
      }
    }
    const headers: Array<readonly [string, string | readonly string[]]> = [];
    if (routes.length > 0) headers.push(['Route', routes]);
    // (From and To as validated messages wrote them, or as we made them with our tag: written unparsed)
    const request = createMadeRequest({
      method,
      uri,
      from: this.localText,
      to: this.remoteText,
      callId: this.id.callId,
      cseq,
      // RFC 3261 §12.2.1.1 asks for Contact in target refresh requests; we send it on every
      // request but ACK and CANCEL, which never carry one of their own.
      ...(method === 'ACK' || method === 'CANCEL' ? {} : { contact: this.localContact }),
      headers: [...headers, ...headerPairs(init.headers)] as HeaderInit,
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.contentType !== undefined ? { contentType: init.contentType } : {}),
    });
    return { request, nextHop };
  }
}

/** The first Contact's URI of a message, when it has one that is not `*`. */
function targetOf(message: SipRequest | SipResponse): Uri | undefined {
  const c = peekContacts(message)[0];
  return c === undefined || c.wildcard ? undefined : c.uri;
}

/** Whether the request's Request-URI is a sips URI (the scheme is case-insensitive, RFC 3261 §19.1.4). */
function isSecure(request: SipRequest): boolean {
  const u = request.uriString;
  return u.length > 5 && u.charCodeAt(4) === 58 /* : */ && u.slice(0, 4).toLowerCase() === 'sips';
}

/** A random first CSeq below 2^31 (RFC 3261 §8.1.1.5), leaving room for many requests. */
function initialSeq(): number {
  return 1 + Math.floor(Math.random() * 0x3fffffff);
}

/** The `[name, value]` pairs of a {@link HeaderInit}, in order. */
export function headerPairs(headers: HeaderInit | undefined): Array<readonly [string, unknown]> {
  if (headers === undefined) return [];
  if (Symbol.iterator in headers) return [...(headers as Iterable<readonly [string, unknown]>)];
  return Object.entries(headers);
}

/**
 * A To value's text with our `tag` (RFC 3261 §12.1.1: the local URI of a UAS's dialog is the
 * request's To with the tag of our responses): added to the text as written when it has no tag
 * parameter, else through its value.
 */
function withTag(text: string, tag: string): string {
  if (tagOfText(text) === undefined && isToken(tag)) return `${text};tag=${tag}`;
  const value = NameAddr.parse(text);
  value.tag = tag;
  return String(value);
}
