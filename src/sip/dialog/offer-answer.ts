// The seam between the dialog layer and SDP. The dialog layer carries session descriptions as
// opaque text; what goes in them is decided by an OfferAnswerHandler the application (or the
// engine) supplies. `sdpOfferAnswer()` in src/sdp is the standard one (RFC 3264).

import type { SipResponse } from '../parser/message.js';
import { RequestFailedError } from './errors.js';

/**
 * Makes offers and answers for the INVITE sessions of a user agent (RFC 3264). Used when the peer
 * sends an offer we must answer without the application being asked (a re-INVITE; the offer in a
 * 2xx to our offerless INVITE; `call.answer()` without SDP), and when we must make an offer on
 * our own (a 2xx to an offerless INVITE or re-INVITE).
 *
 * A method that cannot do its job throws; an error with a numeric `code` of 400–699 (such as an
 * `SdpNegotiationError`, 488) is answered with that status, anything else with 488.
 */
export interface OfferAnswerHandler {
  /** Our offer. `current` is our latest description in this session, if any (reuse it to change nothing). */
  createOffer(current: string | undefined): string;
  /** Our answer to `offer`. `current` is our latest description in this session, if any. */
  createAnswer(offer: string, current: string | undefined): string;
}

/** The status for an error thrown by an {@link OfferAnswerHandler}: its `code` if it is 400–699, else 488. */
export function statusOfNegotiationError(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 699 ? code : 488;
}

/** A body's text when it is an SDP body (Content-Type application/sdp, or none with a non-empty body). */
export function sdpBody(message: { bodyLength: number; contentType: string | undefined; bodyText: string }): string | undefined {
  if (message.bodyLength === 0) return undefined;
  const type = message.contentType;
  // (the usual spelling first: the general comparison split and lower-cased the text on every call)
  if (type !== undefined && type !== 'application/sdp' && type.split(';')[0]!.trim().toLowerCase() !== 'application/sdp') return undefined;
  return message.bodyText;
}

/**
 * Our answer to the offer a 2xx carries when our INVITE (or re-INVITE) had none (RFC 3264 §5,
 * RFC 3261 §13.2.1: the answer goes in the ACK), or the refusal to report when we cannot make one
 * (no handler, or the handler threw; RFC 3261 §13.2.2.4 then ACKs and BYEs).
 */
export function answerOfferIn2xx(
  handler: OfferAnswerHandler | undefined,
  offer: string,
  current: string | undefined,
  ok: SipResponse,
): { answer: string; refusal?: undefined } | { answer?: undefined; refusal: RequestFailedError } {
  try {
    if (handler === undefined) throw new Error('the 2xx carries an offer and the user agent has no offerAnswer handler');
    return { answer: handler.createAnswer(offer, current) };
  } catch (err) {
    const why = `cannot answer the offer in the 2xx: ${err instanceof Error ? err.message : String(err)}`;
    return { refusal: new RequestFailedError('rejected', 'INVITE', statusOfNegotiationError(err), why, ok, { cause: err }) };
  }
}

