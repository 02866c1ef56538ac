// Which transaction a message belongs to: RFC 3261 §17.1.3 (client side), §17.2.3 (server side,
// with the RFC 2543 fallback for branches without the magic cookie), §8.2.2.2 (merged requests).

import { peekCSeq, peekTag, peekVias, type SipRequest, type SipResponse } from '../parser/message.js';
import { BRANCH_COOKIE, type Via } from '../parser/via.js';

/**
 * A table key from its parts. Joined, not concatenated: `join` builds one flat string, where a
 * template literal builds a tree of pieces, some of them slices of the datagram's text, which
 * would keep the whole datagram alive for as long as the key stays in a table (a transaction
 * lingers up to 64·T1).
 */
function keyOf(parts: readonly string[]): string {
  return parts.join('\u0000');
}

/**
 * §17.1.3: a response matches the client transaction whose request had the same top-Via branch
 * and whose method equals the response's CSeq method (so a CANCEL's 200 does not match the
 * INVITE it cancelled). `undefined` when the response has no branch or no CSeq.
 */
export function clientKeyOfResponse(response: SipResponse): string | undefined {
  const branch = peekVias(response)[0]?.branch;
  const method = peekCSeq(response)?.method;
  return branch === undefined || method === undefined ? undefined : keyOf([branch, method]);
}

/** The key a client transaction is filed under, from the request it sends. */
export function clientKeyOfRequest(request: SipRequest): string | undefined {
  const branch = peekVias(request)[0]?.branch;
  return branch === undefined ? undefined : keyOf([branch, request.method]);
}

/**
 * §18.1.2: a response whose top Via sent-by is not what we put in the request is discarded.
 * Host names compare case-insensitively; a missing port means 5060.
 */
export function sameSentBy(a: Via | undefined, b: Via | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.host.toLowerCase() === b.host.toLowerCase() && (a.port ?? 5060) === (b.port ?? 5060);
}

/**
 * §17.2.3: the key of the server transaction a request belongs to. With an RFC 3261 branch it
 * is branch + sent-by + method, where an ACK counts as INVITE (it belongs to the INVITE
 * transaction) and a CANCEL as itself. Without the cookie (RFC 2543 peers, RFC 4475 badbranch)
 * the key is built from the Request-URI, From tag, Call-ID, CSeq number and method (ACK as
 * INVITE) and the whole top Via; the To tag is compared separately (see {@link toTagMatches}).
 * `undefined` when the request lacks what a key needs (no Via, or no CSeq).
 */
export function serverKey(request: SipRequest, methodOverride?: string): string | undefined {
  const top = peekVias(request)[0];
  const cseq = peekCSeq(request);
  if (top === undefined || cseq === undefined) return undefined;
  const method = methodOverride ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const branch = top.branch;
  if (branch !== undefined && branch.startsWith(BRANCH_COOKIE) && branch.length > BRANCH_COOKIE.length) {
    return keyOf(['3261', branch, `${top.host.toLowerCase()}:${top.port ?? 5060}`, method]);
  }
  return keyOf(['2543', request.uriString, peekTag(request, 'from') ?? '', request.callId ?? '', String(cseq.seq), method, String(top)]);
}

/** True when the request's branch carries the RFC 3261 magic cookie (§8.1.1.7). */
export function hasRfc3261Branch(request: SipRequest): boolean {
  const branch = peekVias(request)[0]?.branch;
  return branch !== undefined && branch.startsWith(BRANCH_COOKIE) && branch.length > BRANCH_COOKIE.length;
}

/**
 * RFC 2543 matching also compares To tags: a retransmitted request carries the original's To tag;
 * an ACK carries the tag of the response it acknowledges. With an RFC 3261 branch this is not
 * needed (and always true).
 */
export function toTagMatches(request: SipRequest, original: SipRequest, responseToTag: string | undefined): boolean {
  if (hasRfc3261Branch(request)) return true;
  const tag = peekTag(request, 'to');
  return request.method === 'ACK' ? tag === responseToTag || tag === peekTag(original, 'to') : tag === peekTag(original, 'to');
}

/**
 * §8.2.2.2: requests outside a dialog (no To tag) with the same From tag, Call-ID and CSeq as an
 * ongoing transaction but not matching it are merged requests (a fork that came back by two
 * paths), answered 482. `undefined` when the request has a To tag (in a dialog) or lacks a field.
 */
export function mergeKey(request: SipRequest): string | undefined {
  if (peekTag(request, 'to') !== undefined || request.method === 'ACK' || request.method === 'CANCEL') return undefined;
  const fromTag = peekTag(request, 'from');
  const callId = request.callId;
  const cseq = peekCSeq(request);
  if (fromTag === undefined || callId === undefined || cseq === undefined) return undefined;
  return keyOf([fromTag, callId, String(cseq.seq), cseq.method]);
}
