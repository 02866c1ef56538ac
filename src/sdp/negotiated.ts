// negotiated: what a completed offer/answer exchange means for the media layer.

import { ptimeOf } from './attributes.js';
import { isCodec, isTelephoneEvent, type PayloadFormat, payloadFormats } from './codecs.js';
import { connectionFor, intersectDirections, mediaDirection, reverseDirection } from './direction.js';
import { SdpNegotiationError } from './errors.js';
import type { MediaDirection } from './model.js';
import type { SessionDescription } from './model.js';

/** Which side of the exchange we were: the one that sent the offer or the one that answered. */
export type SdpRole = 'offerer' | 'answerer';

/** The audio session an offer/answer exchange set up, seen from our side. */
export interface NegotiatedAudio {
  /** Index of the audio `m=` line in both descriptions. */
  mediaIndex: number;
  /** Encoding name of the chosen codec, as the remote side wrote it (e.g. `PCMU`). */
  codec: string;
  /** Payload type to send the codec with: the number in the remote side's description. */
  payloadType: number;
  /** Clock rate of the codec, Hz. */
  clockRate: number;
  /** Audio channels (1 unless the rtpmap says otherwise). */
  channels: number;
  /** Payload type for RFC 4733 telephone-event, when both sides have it (the remote's number). */
  telephoneEventPayloadType?: number;
  /** Where to send RTP: the remote stream's `c=` address, or the remote session's. */
  remoteAddress: string;
  /** Where to send RTP: the remote stream's port. */
  remotePort: number;
  /**
   * What our side may do: our declared direction narrowed by the remote's (RFC 3264 §6.1), e.g.
   * `sendonly` while we hold the call, `recvonly` while the remote holds it, `inactive` when
   * either side uses the RFC 2543 hold address 0.0.0.0.
   */
  direction: MediaDirection;
  /** The packet time the remote wants to receive (its `a=ptime`), ms. */
  ptime?: number;
}

/**
 * The audio stream an offer and its answer agreed on, for the media layer: the first audio `m=`
 * line the answer accepted (port not 0). The codec is the first payload type in the answer
 * that the offer also has (same encoding name, clock rate and channels), telephone-event is
 * reported when both list it, and address, port and ptime come from the remote side — the
 * answer when `role` is `'offerer'` (the default), the offer when it is `'answerer'`.
 *
 * Returns undefined when no audio stream was accepted (none offered, or rejected with port 0,
 * e.g. after a re-INVITE that disabled it). Throws {@link SdpNegotiationError} (without a code)
 * when the answer does not fit the offer: a different number of `m=` lines, an accepted stream
 * the offer disabled, no codec in common, or no `c=` for the remote stream.
 *
 * @example
 * ```ts
 * const audio = negotiated(localOffer, remoteAnswer, 'offerer');
 * if (audio) media.start({ to: [audio.remoteAddress, audio.remotePort], pt: audio.payloadType, direction: audio.direction });
 * ```
 */
export function negotiated(offer: SessionDescription, answer: SessionDescription, role: SdpRole = 'offerer'): NegotiatedAudio | undefined {
  if (answer.media.length !== offer.media.length) {
    throw new SdpNegotiationError(`the answer has ${answer.media.length} m= lines but the offer has ${offer.media.length} (RFC 3264 §6)`);
  }
  const mediaIndex = answer.media.findIndex((m) => m.type.toLowerCase() === 'audio' && m.port !== 0);
  if (mediaIndex < 0) return undefined;
  const answered = answer.media[mediaIndex];
  const offered = offer.media[mediaIndex];
  if (answered === undefined || offered === undefined) return undefined;
  if (offered.type.toLowerCase() !== 'audio' || offered.port === 0) {
    throw new SdpNegotiationError(`the answer accepts audio in m= line ${mediaIndex + 1}, which the offer ${offered.port === 0 ? 'disabled' : `uses for ${offered.type}`}`);
  }

  const offerFormats = payloadFormats(offered);
  const answerFormats = payloadFormats(answered);
  let chosen: { offer: PayloadFormat; answer: PayloadFormat } | undefined;
  for (const a of answerFormats) {
    if (isTelephoneEvent(a)) continue;
    const o = offerFormats.find((f) => isCodec(f, a));
    if (o !== undefined) {
      chosen = { offer: o, answer: a };
      break;
    }
  }
  if (chosen === undefined) {
    throw new SdpNegotiationError(`the answer's audio stream (m= line ${mediaIndex + 1}) has no codec in common with the offer`);
  }

  const weOffered = role === 'offerer';
  const [localSd, localMedia, remoteSd, remoteMedia] = weOffered ? [offer, offered, answer, answered] : [answer, answered, offer, offered];
  const remoteCodec = weOffered ? chosen.answer : chosen.offer;
  const connection = connectionFor(remoteSd, remoteMedia);
  if (connection === undefined) throw new SdpNegotiationError(`the ${weOffered ? 'answer' : 'offer'} has no c= line for its audio stream`);

  const result: NegotiatedAudio = {
    mediaIndex,
    codec: remoteCodec.encodingName,
    payloadType: remoteCodec.payloadType,
    clockRate: remoteCodec.clockRate,
    channels: remoteCodec.channels,
    remoteAddress: connection.address,
    remotePort: remoteMedia.port,
    // RFC 3264 §6.1: each side's direction is from its own point of view.
    direction: intersectDirections(mediaDirection(localSd, localMedia), reverseDirection(mediaDirection(remoteSd, remoteMedia))),
  };
  const remoteEvents = payloadFormats(remoteMedia).find(isTelephoneEvent);
  if (remoteEvents !== undefined && payloadFormats(localMedia).some(isTelephoneEvent)) result.telephoneEventPayloadType = remoteEvents.payloadType;
  const ptime = ptimeOf(remoteMedia.attributes);
  if (ptime !== undefined) result.ptime = ptime;
  return result;
}
