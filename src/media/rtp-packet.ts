// RTP fixed header, CSRC list, header extension and padding (RFC 3550 §5.1, §5.3.1), plus the
// serial-number arithmetic the rest of the media layer needs for 16-bit sequence numbers and
// 32-bit timestamps (RFC 3550 §5.1, arithmetic in the style of RFC 1982). Pure: no sockets.

/** Why {@link decodeRtp} or {@link encodeRtp} refused a packet. Stable across versions. */
export type RtpErrorCode =
  /** Fewer than the 12 bytes of the fixed header (RFC 3550 §5.1). */
  | 'too-short'
  /** Version field other than 2 (RFC 3550 §5.1). */
  | 'bad-version'
  /** The CSRC list (CC × 4 bytes) runs past the end of the packet. */
  | 'csrc-overrun'
  /** The header extension (RFC 3550 §5.3.1) runs past the end of the packet. */
  | 'extension-overrun'
  /** Padding bit set but the padding count is 0 or larger than what is left after the header. */
  | 'bad-padding'
  /** A field given to {@link encodeRtp} is out of range (e.g. payload type 128). */
  | 'bad-field'
  /** The `out` buffer given to {@link encodeRtp} cannot hold the packet. */
  | 'buffer-too-small';

/**
 * The one error type of the RTP packet codec: {@link decodeRtp} throws nothing else, whatever bytes
 * it is given.
 *
 * @example
 * ```ts
 * try {
 *   const packet = decodeRtp(datagram);
 * } catch (err) {
 *   if (err instanceof RtpError) stats.malformed(err.code);
 * }
 * ```
 */
export class RtpError extends Error {
  /** Always `"RtpError"`, stable across versions. */
  override readonly name = 'RtpError';
  /** What was wrong, as a stable code. */
  readonly code: RtpErrorCode;

  constructor(code: RtpErrorCode, message: string) {
    super(`${message} (${code})`);
    this.code = code;
  }
}

/** An RTP header extension (RFC 3550 §5.3.1): 16 profile-defined bits and a body of 32-bit words. */
export interface RtpHeaderExtension {
  /** "defined by profile", 16 bits. */
  profile: number;
  /** The extension body; its length must be a multiple of 4 bytes. */
  data: Uint8Array;
}

/**
 * One RTP data packet (RFC 3550 §5.1). Integers are unsigned: `sequence` 16 bits, `timestamp`
 * and `ssrc` and each CSRC 32 bits, `payloadType` 7 bits. {@link decodeRtp} fills every field
 * (`version` 2, `csrcs` possibly empty) and `payload` is a view into the decoded bytes, without
 * the padding.
 */
export interface RtpPacket {
  /** Always 2 (RFC 3550 §5.1); optional when encoding. */
  version?: 2;
  /** The P bit. On encode, when set, padding is added ({@link RtpPacket.paddingLength} bytes, or up to a multiple of 4). */
  padding?: boolean;
  /**
   * Bytes of padding including the final count byte (1–255) when `padding` is set. Filled by
   * {@link decodeRtp}; on encode, defaults to what brings the packet to a multiple of 4 bytes.
   */
  paddingLength?: number;
  /** The X bit and its extension header (RFC 3550 §5.3.1). */
  extension?: RtpHeaderExtension;
  /** The M bit; its meaning is set by the profile (for audio: first packet of a talkspurt). */
  marker: boolean;
  /** 7-bit payload type (RFC 3551 for the static ones). */
  payloadType: number;
  /** 16-bit sequence number. */
  sequence: number;
  /** 32-bit media timestamp, in units of the payload's clock rate. */
  timestamp: number;
  /** 32-bit synchronization source. */
  ssrc: number;
  /** Up to 15 contributing sources (the CC field). */
  csrcs?: number[];
  /** The payload (without padding). */
  payload: Uint8Array;
}

/** Length of the fixed RTP header (RFC 3550 §5.1). */
export const RTP_HEADER_LENGTH = 12;

const U16 = 0x1_0000;
const U32 = 0x1_0000_0000;

const isUint = (v: number, bits: number): boolean => Number.isInteger(v) && v >= 0 && v < 2 ** bits;

/** Throws the `bad-field` error; callers build the message only when a check fails (encodeRtp runs 50 times a second per stream). */
function fail(what: string): never {
  throw new RtpError('bad-field', what);
}

function putUint32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

/** Number of bytes {@link encodeRtp} will write for `packet`. */
export function rtpEncodedLength(packet: RtpPacket): number {
  const base = RTP_HEADER_LENGTH + 4 * (packet.csrcs?.length ?? 0) + (packet.extension ? 4 + packet.extension.data.length : 0) + packet.payload.length;
  return base + paddingOf(packet, base);
}

function paddingOf(packet: RtpPacket, unpadded: number): number {
  if (packet.padding !== true) return 0;
  if (packet.paddingLength !== undefined) return packet.paddingLength;
  const toWord = (4 - (unpadded % 4)) % 4;
  return toWord === 0 ? 4 : toWord;
}

const NO_CSRCS: readonly number[] = Object.freeze([]);

/**
 * Serializes an RTP packet (RFC 3550 §5.1). Writes into `out` when given (returning the filled
 * prefix view of it), otherwise into a new buffer.
 *
 * @throws {@link RtpError} `bad-field` for an out-of-range field, `buffer-too-small` when `out` is too short.
 * @example
 * ```ts
 * const bytes = encodeRtp({ marker: false, payloadType: 0, sequence: 1, timestamp: 160, ssrc: 0x1234, payload });
 * ```
 */
export function encodeRtp(packet: RtpPacket, out?: Uint8Array): Uint8Array {
  const csrcs = packet.csrcs ?? NO_CSRCS;
  if (!(packet.version === undefined || packet.version === 2)) fail(`RTP version must be 2, got ${String(packet.version)}`);
  if (!(isUint(packet.payloadType, 7))) fail(`payload type must be 0..127, got ${packet.payloadType}`);
  if (!(isUint(packet.sequence, 16))) fail(`sequence must be a 16-bit unsigned integer, got ${packet.sequence}`);
  if (!(isUint(packet.timestamp, 32))) fail(`timestamp must be a 32-bit unsigned integer, got ${packet.timestamp}`);
  if (!(isUint(packet.ssrc, 32))) fail(`SSRC must be a 32-bit unsigned integer, got ${packet.ssrc}`);
  if (!(csrcs.length <= 15)) fail(`at most 15 CSRCs fit the CC field, got ${csrcs.length}`);
  for (const c of csrcs) if (!(isUint(c, 32))) fail(`CSRC must be a 32-bit unsigned integer, got ${c}`);
  if (packet.extension) {
    if (!(isUint(packet.extension.profile, 16))) fail(`extension profile must be 16 bits, got ${packet.extension.profile}`);
    const len = packet.extension.data.length;
    if (!(len % 4 === 0 && len / 4 < U16)) fail(`extension data must be a multiple of 4 bytes and under 262144, got ${len}`);
  }
  if (packet.padding === true && packet.paddingLength !== undefined) {
    if (!(isUint(packet.paddingLength, 8) && packet.paddingLength >= 1)) fail(`padding length must be 1..255, got ${packet.paddingLength}`);
  }
  const length = rtpEncodedLength(packet);
  if (out !== undefined && out.length < length) throw new RtpError('buffer-too-small', `packet needs ${length} bytes, buffer has ${out.length}`);
  // Buffer.allocUnsafe takes small buffers from Node's pool: much cheaper than a fresh
  // Uint8Array, and every byte is written below.
  const buf = out === undefined ? Buffer.allocUnsafe(length) : out.subarray(0, length);
  // RFC 3550 §5.1: V=2 | P | X | CC, then M | PT, sequence, timestamp, SSRC (network order).
  buf[0] = 0x80 | (packet.padding === true ? 0x20 : 0) | (packet.extension ? 0x10 : 0) | csrcs.length;
  buf[1] = (packet.marker ? 0x80 : 0) | packet.payloadType;
  buf[2] = packet.sequence >>> 8;
  buf[3] = packet.sequence & 0xff;
  putUint32(buf, 4, packet.timestamp);
  putUint32(buf, 8, packet.ssrc);
  let at = RTP_HEADER_LENGTH;
  for (const c of csrcs) {
    putUint32(buf, at, c);
    at += 4;
  }
  if (packet.extension) {
    // RFC 3550 §5.3.1: profile-defined 16 bits, then the length in 32-bit words excluding this header.
    const words = packet.extension.data.length / 4;
    buf[at] = packet.extension.profile >>> 8;
    buf[at + 1] = packet.extension.profile & 0xff;
    buf[at + 2] = words >>> 8;
    buf[at + 3] = words & 0xff;
    buf.set(packet.extension.data, at + 4);
    at += 4 + packet.extension.data.length;
  }
  buf.set(packet.payload, at);
  at += packet.payload.length;
  const pad = length - at;
  if (pad > 0) {
    // RFC 3550 §5.1: padding octets, the last of which counts how many to ignore (itself included).
    buf.fill(0, at, length - 1);
    buf[length - 1] = pad;
  }
  return buf;
}

// Network-order reads straight from the bytes: a DataView per packet costs an allocation and more
// than the header it reads.
function uint16At(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function uint32At(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Parses an RTP packet (RFC 3550 §5.1). The returned `payload` and extension `data` are views
 * into `bytes`, not copies.
 *
 * @throws {@link RtpError} (and nothing else) when the bytes are not a well-formed RTP packet.
 * @example
 * ```ts
 * const { sequence, timestamp, payload } = decodeRtp(datagram);
 * ```
 */
export function decodeRtp(bytes: Uint8Array): RtpPacket {
  if (bytes.length < RTP_HEADER_LENGTH) throw new RtpError('too-short', `RTP packet of ${bytes.length} bytes is shorter than the 12-byte header`);
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  const version = b0 >> 6;
  if (version !== 2) throw new RtpError('bad-version', `RTP version must be 2, got ${version}`);
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  let at = RTP_HEADER_LENGTH;
  if (at + 4 * cc > bytes.length) throw new RtpError('csrc-overrun', `${cc} CSRCs run past the end of a ${bytes.length}-byte packet`);
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++, at += 4) csrcs.push(uint32At(bytes, at));
  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    // RFC 3550 §5.3.1
    if (at + 4 > bytes.length) throw new RtpError('extension-overrun', 'header extension header runs past the end of the packet');
    const profile = uint16At(bytes, at);
    const words = uint16At(bytes, at + 2);
    const end = at + 4 + 4 * words;
    if (end > bytes.length) throw new RtpError('extension-overrun', `header extension of ${words} words runs past the end of the packet`);
    extension = { profile, data: bytes.subarray(at + 4, end) };
    at = end;
  }
  let end = bytes.length;
  let paddingLength: number | undefined;
  if (padding) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
    paddingLength = bytes[bytes.length - 1]!;
    if (paddingLength === 0 || paddingLength > bytes.length - at) {
      throw new RtpError('bad-padding', `padding count ${paddingLength} does not fit the ${bytes.length - at} bytes after the header`);
    }
    end -= paddingLength;
  }
  const packet: RtpPacket = {
    version: 2,
    padding,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: uint16At(bytes, 2),
    timestamp: uint32At(bytes, 4),
    ssrc: uint32At(bytes, 8),
    csrcs,
    payload: bytes.subarray(at, end),
  };
  if (extension) packet.extension = extension;
  if (paddingLength !== undefined) packet.paddingLength = paddingLength;
  return packet;
}

// ---------------------------------------------------------------------------------------------
// Serial-number arithmetic (RFC 3550 §5.1: sequence numbers and timestamps wrap around).

/**
 * Signed distance from sequence number `b` to `a` (`a − b`), modulo 2^16, in −32768..32767:
 * positive when `a` is newer than `b`.
 *
 * @example
 * ```ts
 * seqDelta(2, 65534); // 4
 * seqDelta(65534, 2); // -4
 * ```
 */
export function seqDelta(a: number, b: number): number {
  return ((((a - b) % U16) + U16 + 0x8000) % U16) - 0x8000;
}

/** `seq + n` modulo 2^16 (n may be negative). */
export function seqAdd(seq: number, n: number): number {
  return (((seq + n) % U16) + U16) % U16;
}

/** True when sequence number `a` is newer than `b` (within half the number space). */
export function seqNewer(a: number, b: number): boolean {
  return seqDelta(a, b) > 0;
}

/**
 * Signed distance from timestamp `b` to `a` (`a − b`), modulo 2^32, in −2^31..2^31−1.
 *
 * @example
 * ```ts
 * tsDelta(80, 0xffff_ffb0); // 160
 * ```
 */
export function tsDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** `ts + n` modulo 2^32 (n may be negative). */
export function tsAdd(ts: number, n: number): number {
  return (((ts + n) % U32) + U32) % U32;
}

/** True when timestamp `a` is later than `b` (within half the number space). */
export function tsNewer(a: number, b: number): boolean {
  return tsDelta(a, b) > 0;
}
