// The seam between the dialog layer and SDP. The dialog layer carries session descriptions as
// opaque text; what goes in them is decided by an OfferAnswerHandler the application (or the
// engine) supplies. `sdpOfferAnswer()` in src/sdp is the standard one (RFC 3264).

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
export function sdpBody(message: { body: Uint8Array; contentType: string | undefined; bodyText: string }): string | undefined {
  if (message.body.byteLength === 0) return undefined;
  const type = message.contentType;
  if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== 'application/sdp') return undefined;
  return message.bodyText;
}
