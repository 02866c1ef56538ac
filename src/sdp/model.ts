// The SDP data model (RFC 4566 §5): plain, JSON-friendly objects that parseSdp builds and
// serializeSdp writes. Lines the model does not name are kept verbatim, in order.

/** An `a=sendrecv` / `a=sendonly` / `a=recvonly` / `a=inactive` direction (RFC 3264 §5.1). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/**
 * The `o=` line (RFC 4566 §5.2).
 *
 * `sessionId` and `sessionVersion` are decimal strings: real user agents send values beyond
 * 2^53 (and beyond 2^64), and a string keeps leading zeros for an exact round trip. Use
 * `BigInt(origin.sessionVersion)` for arithmetic.
 */
export interface SdpOrigin {
  /** The user's login on the originating host, or `-`. */
  username: string;
  /** Digits only; with the other fields, a globally unique session identifier. */
  sessionId: string;
  /** Digits only; increases with each new offer of the session (RFC 3264 §8). */
  sessionVersion: string;
  /** `IN` for the Internet. */
  netType: string;
  /** `IP4` or `IP6`. */
  addrType: string;
  /** The originating host's address or name. */
  address: string;
}

/**
 * A `c=` line (RFC 4566 §5.7). For multicast, `c=IN IP4 224.2.1.1/127/3` has a TTL of 127 and
 * three addresses; `c=IN IP6 ff15::101/3` has three addresses and no TTL.
 */
export interface SdpConnection {
  /** `IN` for the Internet. */
  netType: string;
  /** `IP4` or `IP6`. */
  addrType: string;
  /** The address (or host name) without the `/ttl` and `/count` suffixes. */
  address: string;
  /** IPv4 multicast time-to-live. */
  ttl?: number;
  /** Number of consecutive multicast addresses. */
  addressCount?: number;
}

/** A `b=<type>:<kbps>` line (RFC 4566 §5.8), e.g. `AS:64` or `TIAS:64000`. */
export interface SdpBandwidth {
  type: string;
  value: number;
}

/** A `t=` line and the `r=` lines that follow it (RFC 4566 §5.9, §5.10). */
export interface SdpTiming {
  /** NTP start time in seconds, 0 for unbounded. */
  start: number;
  /** NTP stop time in seconds, 0 for unbounded. */
  stop: number;
  /** The values of the `r=` lines after this `t=`, verbatim. */
  repeats: string[];
}

/** A line whose type letter the model does not name, kept verbatim (e.g. `y=...`). */
export interface SdpLine {
  /** The type letter. */
  type: string;
  /** Everything after `=`. */
  value: string;
}

/** `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (RFC 4566 §6). */
export interface RtpmapAttribute {
  kind: 'rtpmap';
  /** 0–127. */
  payloadType: number;
  /** As written, e.g. `PCMU`, `telephone-event`; compare case-insensitively. */
  encodingName: string;
  /** Hz. */
  clockRate: number;
  /** The encoding parameters (channel count for audio), when given. */
  channels?: number;
}

/** `a=fmtp:<format> <format specific parameters>` (RFC 4566 §6). */
export interface FmtpAttribute {
  kind: 'fmtp';
  /** The format (payload type for RTP) the parameters apply to. */
  format: string;
  /** The parameters verbatim, e.g. `0-16` or `profile-level-id=42e01f;packetization-mode=1`. */
  parameters: string;
}

/** `a=ptime:<milliseconds>` (RFC 4566 §6): the packet time the sender of this SDP wants to receive. */
export interface PtimeAttribute {
  kind: 'ptime';
  ptime: number;
}

/** `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive`. */
export interface DirectionAttribute {
  kind: 'direction';
  direction: MediaDirection;
}

/** Any other attribute, verbatim: `a=<name>` (a flag, `value` undefined) or `a=<name>:<value>`. */
export interface GenericAttribute {
  kind: 'generic';
  name: string;
  value?: string;
}

/** One `a=` line. The typed kinds are recognised by their exact (lower-case) names. */
export type SdpAttribute = RtpmapAttribute | FmtpAttribute | PtimeAttribute | DirectionAttribute | GenericAttribute;

/** An `m=` line and the lines of its media section (RFC 4566 §5.14). */
export interface MediaDescription {
  /** `audio`, `video`, `text`, `application`, `message`, `image` ... */
  type: string;
  /** 0–65535; 0 means the stream is disabled or rejected (RFC 3264 §6). */
  port: number;
  /** The `/<number of ports>` suffix, when given. */
  portCount?: number;
  /** Transport protocol, e.g. `RTP/AVP`, `RTP/SAVP`, `udptl`. */
  protocol: string;
  /** Media formats in order; for RTP protocols, payload type numbers as decimal strings. */
  formats: string[];
  /** The `i=` line. */
  information?: string;
  /** `c=` lines of this section (usually none or one; several for layered multicast). */
  connections: SdpConnection[];
  bandwidths: SdpBandwidth[];
  /** The `k=` line, verbatim. */
  key?: string;
  /** The `a=` lines, in order. */
  attributes: SdpAttribute[];
  /** Lines with a type letter the model does not name, in order. */
  otherLines: SdpLine[];
}

/** A whole session description (RFC 4566 §5). */
export interface SessionDescription {
  /** `v=0`. */
  version: 0;
  origin: SdpOrigin;
  /** The `s=` text, verbatim (`-` or a single space when there is no name). */
  sessionName: string;
  /** The session-level `i=` line. */
  information?: string;
  /** The `u=` line. */
  uri?: string;
  /** `e=` lines. */
  emails: string[];
  /** `p=` lines. */
  phones: string[];
  /** The session-level `c=` line, the default for media sections without their own. */
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  /** One or more `t=` lines, each with its `r=` lines. */
  timing: SdpTiming[];
  /** The `z=` line, verbatim. */
  timeZones?: string;
  /** The session-level `k=` line, verbatim. */
  key?: string;
  /** Session-level `a=` lines, in order. */
  attributes: SdpAttribute[];
  /** Session-level lines with a type letter the model does not name, in order. */
  otherLines: SdpLine[];
  /** Media sections, in order. */
  media: MediaDescription[];
}
