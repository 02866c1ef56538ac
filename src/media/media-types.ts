// The public shapes of a media session: its options, the negotiated stream it sends, its
// counters and its events.

import type { Clock } from '../sip/transport/clock.js';
import type { Endpoint } from '../sip/transport/transport.js';
import type { NegotiatedAudio } from '../sdp/negotiated.js';
import type { ReceivedDigit } from './dtmf-receiver.js';
import type { MediaError } from './errors.js';
import type { RtcpPacket } from './rtcp-packet.js';
import type { PortRange } from './rtp-socket.js';

/** Options of {@link MediaSession.open}. */
export interface MediaSessionOptions {
  /** Local address to bind (default `0.0.0.0`). */
  host?: string;
  /** RTP ports are even ports from this range; RTCP uses the next port. Default 10000–20000. */
  portRange?: PortRange;
  /** Time source (shared with the SIP stack); by default the process-wide `sharedRealClock()`, so that every session ticks on one timer. */
  clock?: Clock;
  /** RTCP report interval in ms, randomised ×0.5–1.5 (RFC 3550 §6.3.1). Default 5000. */
  rtcpIntervalMs?: number;
  /** CNAME for RTCP SDES (RFC 3550 §6.5.1). Default `sipflow@<host>`. */
  cname?: string;
  /** Send silence while nothing plays (keeps NAT bindings and peers' jitter buffers alive). Default true. */
  silence?: boolean;
  /** Random source for SSRC, sequence and timestamp starts and port choice. */
  random?: () => number;
  /**
   * Sees every RTP and RTCP datagram the session sends, and every one that reaches its sockets
   * (before any filtering), as it goes: for captures and traces. Keep it cheap; it runs per packet.
   * The `data` buffer must not be kept past the call without a copy.
   */
  packetTap?: (packet: MediaPacket) => void;
}

/** One RTP or RTCP datagram of a session, as its {@link MediaSessionOptions.packetTap} sees it. */
export interface MediaPacket {
  readonly direction: 'sent' | 'received';
  readonly protocol: 'rtp' | 'rtcp';
  /** Our socket. */
  readonly local: Endpoint;
  /** Where it went, or where it came from. */
  readonly remote: Endpoint;
  /** The datagram, as on the wire. */
  readonly data: Uint8Array;
}

/** What to send and where: a {@link NegotiatedAudio} from `src/sdp`, or the same fields by hand. */
export type MediaParameters = Pick<NegotiatedAudio, 'codec' | 'payloadType' | 'remoteAddress' | 'remotePort' | 'direction'> & {
  telephoneEventPayloadType?: number | undefined;
};

/** A digit detected in the received stream. */
export type DtmfEvent = ReceivedDigit;

/** Counters of a session (RFC 3550 §6.4 quantities, in friendly units). */
export interface MediaStats {
  packetsSent: number;
  bytesSent: number;
  /** RTP packets received and counted (RFC 3550 A.1 validation, duplicates excluded), from every source the session has heard. */
  packetsReceived: number;
  /** Their payload bytes. */
  bytesReceived: number;
  /** Packets lost in the received stream (expected − received, RFC 3550 A.3), of the current source: a new SSRC starts afresh. */
  lost: number;
  /** Interarrival jitter of the received stream, ms (RFC 3550 A.8), of the current source. */
  jitterMs: number;
  /**
   * Burst ratio of the received stream's losses (ITU-T G.107 §7.5): the mean length of its runs
   * of lost packets over the mean expected from random loss at the same rate, telephone-events
   * included. 1 when nothing (or everything) was lost; above 1 when losses cluster; below 1 when
   * they are more evenly spread than random (G.107 rates that as 1). Restarts with the source
   * (a new SSRC), as the other reception counters do. See `BurstEstimator`.
   */
  burstRatio: number;
  /**
   * Round-trip time to the peer, ms, from the latest RTCP report block about our stream that
   * carried an LSR (RFC 3550 §6.4.1: arrival − LSR − DLSR); undefined until the peer has reported
   * on one of our Sender Reports (it needs us to send, and the peer to send RTCP).
   */
  roundTripMs: number | undefined;
  duplicates: number;
  /** Datagrams that were not RTP, or RTP with a payload type we do not use. */
  ignored: number;
  dtmfSent: number;
  dtmfReceived: DtmfEvent[];
  /** What the peer last reported about our stream in RTCP (fraction lost 0–1, cumulative, jitter ms). */
  remoteReport: { fractionLost: number; cumulativeLost: number; jitterMs: number } | undefined;
}

/** Events of a {@link MediaSession}. */
export interface MediaSessionEvents {
  [event: string]: unknown;
  /** One per key press, however many packets carried it. */
  dtmf: DtmfEvent;
  /** Something worth telling: conversions of played files, a changed peer address. */
  note: string;
  /** The peer's packets come from another address than its SDP said: we now send there (symmetric RTP). */
  'remote-changed': Endpoint;
  /** An RTCP compound packet arrived. */
  rtcp: RtcpPacket[];
  /**
   * A received audio frame, decoded to 8 kHz 16-bit PCM (only while someone listens: decoding is
   * skipped otherwise), with its RTP timestamp: for detectors of tones, prompts and in-band DTMF.
   */
  audio: { readonly pcm: Int16Array; readonly timestamp: number };
  /** A socket error (the session goes on if it can), or a listener of yours that threw (code `listener`). */
  error: MediaError;
}
