// A call's audio: its own MediaSession and RTP port, our SDP offers and answers made from the
// instance's codecs and that port, and the negotiated stream applied to the media after every
// offer/answer exchange (RFC 3264), re-INVITEs and transfers included.

import { MediaSession, type MediaPacket } from '../media/media-session.js';
import type { PortRange } from '../media/rtp-socket.js';
import type { AudioCodecName } from '../sdp/codecs.js';
import { createAnswer } from '../sdp/answer.js';
import { DescriptionCache } from '../sdp/description-cache.js';
import { mediaDirection } from '../sdp/direction.js';
import type { MediaDirection } from '../sdp/model.js';
import { negotiated, type NegotiatedAudio, type SdpRole } from '../sdp/negotiated.js';
import { createOffer } from '../sdp/offer.js';
import { parseSdp } from '../sdp/parse.js';
import { serializeSdp } from '../sdp/serialize.js';
import type { OfferAnswerHandler } from '../sip/dialog/offer-answer.js';
import type { Clock } from '../sip/transport/clock.js';

/** How an instance's calls get their media. */
export interface MediaPlan {
  /** Where RTP sockets bind. */
  readonly bindHost: string;
  /** The address our SDP announces (reachable by the peer). */
  readonly sdpAddress: string;
  /** Our codecs in order of preference (telephone-event is always offered too). */
  readonly codecs: readonly AudioCodecName[];
  readonly portRange: PortRange | undefined;
  readonly clock: Clock;
}

/** Opens a call's RTP session on a free even port; `packetTap` sees its datagrams (for `rtp` events). */
export function openMedia(plan: MediaPlan, packetTap?: (packet: MediaPacket) => void): Promise<MediaSession> {
  return MediaSession.open({
    host: plan.bindHost,
    clock: plan.clock,
    ...(plan.portRange !== undefined ? { portRange: plan.portRange } : {}),
    ...(packetTap !== undefined ? { packetTap } : {}),
  });
}

/**
 * The offers and first answers made for each plan: they depend on the plan, the port and the
 * offer only, apart from the `o=` session id, so a load run answering the same offer on every call
 * (SIPp's) or offering on a fixed port (media off) makes each one once.
 */
const made = new WeakMap<MediaPlan, DescriptionCache>();

function cacheOf(plan: MediaPlan): DescriptionCache {
  let cache = made.get(plan);
  if (cache === undefined) made.set(plan, (cache = new DescriptionCache()));
  return cache;
}

/** Our offer for a call whose RTP is on `port`. */
export function offerFor(plan: MediaPlan, port: number): string {
  return cacheOf(plan).get(`o ${port}`, () => serializeSdp(createOffer({ address: plan.sdpAddress, port, codecs: plan.codecs })));
}

/**
 * Our answer to `offer` for a call whose RTP is on `port`, keeping our `o=` line when there is a
 * previous description (RFC 3264 §8). Throws SdpNegotiationError (488) when no codec is common.
 */
export function answerFor(plan: MediaPlan, offer: string, port: number, previous?: string): string {
  if (previous !== undefined) {
    return serializeSdp(createAnswer(parseSdp(offer), { address: plan.sdpAddress, port, codecs: plan.codecs, previous: parseSdp(previous) }));
  }
  return cacheOf(plan).get(`a ${port} ${offer}`, () => serializeSdp(createAnswer(parseSdp(offer), { address: plan.sdpAddress, port, codecs: plan.codecs })));
}

/**
 * The instance's handler for offers and answers the stack must make on its own (a peer's
 * re-INVITE): it answers on the port of the call's current description, so a call keeps its RTP
 * port across re-INVITEs.
 */
export function instanceOfferAnswer(plan: MediaPlan): OfferAnswerHandler {
  return {
    createOffer(current) {
      if (current === undefined) throw new Error('no description to offer: the engine always offers with its INVITEs');
      return current;
    },
    createAnswer(offer, current) {
      const port = current === undefined ? undefined : audioPort(current);
      if (port === undefined) throw new Error('no description of ours to answer from');
      return answerFor(plan, offer, port, current);
    },
  };
}

/** The port of the first audio stream of a description, if it has one. */
function audioPort(sdp: string): number | undefined {
  const audio = parseSdp(sdp).media.find((m) => m.type.toLowerCase() === 'audio' && m.port !== 0);
  return audio?.port;
}

/**
 * Applies a completed exchange to the call's media: codec, payload types, where to send, and the
 * direction (so a held call stops sending). `role` is ours: `offerer` when `local` was the offer.
 * Returns what was agreed, or undefined when no audio stream was.
 */
export function applyNegotiation(media: MediaSession, local: string, remote: string, role: SdpRole): NegotiatedAudio | undefined {
  const offer = role === 'offerer' ? local : remote;
  const answer = role === 'offerer' ? remote : local;
  const audio = negotiated(parseSdp(offer), parseSdp(answer), role);
  if (audio !== undefined) media.update(audio);
  return audio;
}

/** The direction a description gives its first audio stream (`sendrecv` when it has none). */
export function audioDirection(sdp: string): MediaDirection {
  const sd = parseSdp(sdp);
  const audio = sd.media.find((m) => m.type.toLowerCase() === 'audio' && m.port !== 0);
  return audio === undefined ? 'inactive' : mediaDirection(sd, audio);
}
