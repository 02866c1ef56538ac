// The standard offer/answer handler for a user agent: RFC 3264 offers and answers made with
// createOffer/createAnswer, carried as text. It satisfies the dialog layer's
// OfferAnswerHandler structurally (src/sdp does not import the dialog layer).

import { createAnswer } from './answer.js';
import { DescriptionCache } from './description-cache.js';
import type { LocalDescriptionOptions } from './local-description.js';
import { createOffer } from './offer.js';
import { parseSdp } from './parse.js';
import { serializeSdp } from './serialize.js';

/** An offer/answer handler over text SDP: what `UserAgentOptions.offerAnswer` takes. */
export interface SdpOfferAnswer {
  /** Our current description unchanged (RFC 3264 §8: an unchanged offer keeps its version), or a new offer. */
  createOffer(current: string | undefined): string;
  /** Our answer to `offer` (RFC 3264 §6), keeping our `o=` line when there is a current description (§8). */
  createAnswer(offer: string, current: string | undefined): string;
}

/**
 * An offer/answer handler for `new UserAgent({ offerAnswer })`: answers with our media address,
 * port and codecs (RFC 3264 §6, directions per §6.1, so a `sendonly` hold offer is answered
 * `recvonly`), and offers them when an offer is needed. Throws {@link SdpParseError} for an offer
 * that is not SDP and {@link SdpNegotiationError} (code 488) when no codec is in common; the user
 * agent answers those with 488.
 *
 * @example
 * ```ts
 * const ua = new UserAgent({ bind, identity, offerAnswer: sdpOfferAnswer({ address: '192.0.2.1', port: 40000 }) });
 * ```
 */
export function sdpOfferAnswer(options: LocalDescriptionOptions): SdpOfferAnswer {
  // Validate the options once, now, rather than on the first call.
  createOffer(options);
  // Without a fixed session id, a first offer or answer differs from the last one made from the
  // same input only in its random o= id: each is made once and reused with a new id.
  const cache = options.sessionId === undefined && options.sessionVersion === undefined ? new DescriptionCache() : undefined;
  const offer = (): string => serializeSdp(createOffer(options));
  return {
    createOffer(current) {
      return current ?? (cache === undefined ? offer() : cache.get('', offer));
    },
    createAnswer(offer, current) {
      if (current !== undefined) return serializeSdp(createAnswer(parseSdp(offer), { ...options, previous: parseSdp(current) }));
      const answer = (): string => serializeSdp(createAnswer(parseSdp(offer), options));
      return cache === undefined ? answer() : cache.get(`a ${offer}`, answer);
    },
  };
}
