// RTCP packets (RFC 3550 §6.4 SR/RR, §6.5 SDES, §6.6 BYE, §6.7 APP) as data, their errors, and
// NTP timestamp helpers (RFC 3550 §4). rtcp-codec.ts turns them into bytes and back. Pure.

/** Why the RTCP codec refused a packet. Stable across versions. */
export type RtcpErrorCode =
  /** Shorter than a 4-byte RTCP header, or than the fixed part its packet type needs. */
  | 'too-short'
  /** Version field other than 2 (RFC 3550 §A.2). */
  | 'bad-version'
  /** The first packet of a compound packet is not SR or RR, or has the padding bit (RFC 3550 §A.2). */
  | 'bad-first-packet'
  /** A length field runs past the end, or the lengths do not add up to the datagram (RFC 3550 §A.2). */
  | 'bad-length'
  /** Padding on a packet other than the last, or a padding count that does not fit. */
  | 'bad-padding'
  /** The packet's content (report blocks, SDES items, BYE reason) does not fit its length. */
  | 'malformed'
  /** A field given to the encoder is out of range. */
  | 'bad-field'
  /** A compound packet to encode has no SDES CNAME item (required by RFC 3550 §6.1). */
  | 'missing-cname';

/**
 * The one error type of the RTCP codec: {@link decodeRtcpCompound} throws nothing else.
 *
 * @example
 * ```ts
 * try {
 *   for (const p of decodeRtcpCompound(datagram)) handle(p);
 * } catch (err) {
 *   if (err instanceof RtcpError) stats.malformedRtcp(err.code);
 * }
 * ```
 */
export class RtcpError extends Error {
  /** Always `"RtcpError"`, stable across versions. */
  override readonly name = 'RtcpError';
  /** What was wrong, as a stable code. */
  readonly code: RtcpErrorCode;

  constructor(code: RtcpErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/** RTCP packet types (RFC 3550 §12.1). */
export const RTCP_PT = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204 } as const;

/** SDES item types (RFC 3550 §6.5, §12.2). */
export const SDES_ITEM = { CNAME: 1, NAME: 2, EMAIL: 3, PHONE: 4, LOC: 5, TOOL: 6, NOTE: 7, PRIV: 8 } as const;

/** A 64-bit NTP timestamp (RFC 3550 §4): seconds since 1900-01-01 and a 32-bit binary fraction. */
export interface NtpTimestamp {
  /** Seconds since 1900 (32 bits, wrapping in 2036). */
  seconds: number;
  /** Fraction of a second in units of 2^−32 s. */
  fraction: number;
}

/** A reception report block (RFC 3550 §6.4.1), 24 bytes on the wire. */
export interface RtcpReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point number with the point at the left (0–255). */
  fractionLost: number;
  /** Cumulative number of packets lost, 24-bit signed (negative with duplicates). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | highest). */
  highestSequence: number;
  /** Interarrival jitter, in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from the source (LSR), 0 if none. */
  lastSr: number;
  /** Delay since that SR was received (DLSR), in units of 1/65536 s; 0 if none. */
  delaySinceLastSr: number;
}

/** Sender Report (RFC 3550 §6.4.1, PT 200). */
export interface RtcpSenderReport {
  type: 'SR';
  /** SSRC of the sender. */
  ssrc: number;
  /** Wallclock time when the report was sent. */
  ntp: NtpTimestamp;
  /** The same instant in the sender's RTP timestamp units. */
  rtpTimestamp: number;
  /** Sender's packet count since starting transmission. */
  packetCount: number;
  /** Sender's payload octet count since starting transmission. */
  octetCount: number;
  /** Up to 31 reception report blocks. */
  reports: RtcpReportBlock[];
  /** Profile-specific extension after the report blocks (multiple of 4 bytes). */
  extension?: Uint8Array;
}

/** Receiver Report (RFC 3550 §6.4.2, PT 201). */
export interface RtcpReceiverReport {
  type: 'RR';
  /** SSRC of the packet sender. */
  ssrc: number;
  /** Up to 31 reception report blocks. */
  reports: RtcpReportBlock[];
  /** Profile-specific extension after the report blocks (multiple of 4 bytes). */
  extension?: Uint8Array;
}

/** One SDES item (RFC 3550 §6.5): type 1–8 and up to 255 bytes of UTF-8 text. */
export interface SdesItem {
  /** Item type, see {@link SDES_ITEM}. */
  type: number;
  /** The item's text. */
  text: string;
}

/** Source description (RFC 3550 §6.5, PT 202): one chunk per source. */
export interface RtcpSourceDescription {
  type: 'SDES';
  /** Up to 31 chunks. */
  chunks: { ssrc: number; items: SdesItem[] }[];
}

/** Goodbye (RFC 3550 §6.6, PT 203). */
export interface RtcpBye {
  type: 'BYE';
  /** Up to 31 sources leaving. */
  ssrcs: number[];
  /** Optional reason for leaving. */
  reason?: string;
}

/** Application-defined packet (RFC 3550 §6.7, PT 204). */
export interface RtcpApp {
  type: 'APP';
  /** 5-bit subtype. */
  subtype: number;
  ssrc: number;
  /** Four ASCII characters. */
  name: string;
  /** Application data, a multiple of 4 bytes. */
  data: Uint8Array;
}

/** Any other packet type, passed through as it came (RFC 3550 §A.2 allows unknown types). */
export interface RtcpUnknown {
  type: 'unknown';
  packetType: number;
  /** The 5-bit count field. */
  count: number;
  /** Everything after the 4-byte header, without padding. */
  body: Uint8Array;
}

/** Any RTCP packet of a compound packet. */
export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSourceDescription | RtcpBye | RtcpApp | RtcpUnknown;

// ---------------------------------------------------------------------------------------------
// NTP helpers (RFC 3550 §4)

/** Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
const NTP_UNIX_OFFSET = 2_208_988_800;
const U32 = 0x1_0000_0000;

/** The NTP timestamp of a Unix time in milliseconds (RFC 3550 §4). */
export function ntpFromUnixMs(unixMs: number): NtpTimestamp {
  const wholeSeconds = Math.floor(unixMs / 1000);
  const fraction = Math.min(U32 - 1, Math.round(((unixMs - wholeSeconds * 1000) / 1000) * U32));
  return { seconds: (((wholeSeconds + NTP_UNIX_OFFSET) % U32) + U32) % U32, fraction };
}

/** Unix milliseconds of an NTP timestamp; seconds below 2^31 are read as after 2036 (RFC 4330 §3 convention). */
export function ntpToUnixMs(ntp: NtpTimestamp): number {
  const seconds = ntp.seconds >= 0x8000_0000 ? ntp.seconds : ntp.seconds + U32;
  return (seconds - NTP_UNIX_OFFSET) * 1000 + (ntp.fraction / U32) * 1000;
}

/** The middle 32 bits of an NTP timestamp: the LSR value of a report block (RFC 3550 §6.4.1). */
export function ntpMiddle32(ntp: NtpTimestamp): number {
  return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
}

/** A delay in milliseconds as DLSR units of 1/65536 s (RFC 3550 §6.4.1), clamped to 32 bits. */
export function dlsrFromMs(ms: number): number {
  return Math.min(U32 - 1, Math.max(0, Math.round((ms * 65536) / 1000)));
}

/**
 * Round-trip time in milliseconds from a report block about our own stream, received when the
 * wallclock read `arrival` (RFC 3550 §6.4.1: A − LSR − DLSR); `undefined` when the block has no LSR.
 */
export function roundTripMs(block: RtcpReportBlock, arrival: NtpTimestamp): number | undefined {
  if (block.lastSr === 0) return undefined;
  return (((ntpMiddle32(arrival) - block.lastSr - block.delaySinceLastSr) | 0) * 1000) / 65536;
}
