// G.711 (ITU-T G.711, 11/1988): µ-law (PCMU, RTP payload type 0) and A-law (PCMA, payload type 8).
//
// The arithmetic follows ITU-T G.191's reference software (STL `g711.c`, ulaw_compress/expand and
// alaw_compress/expand), which implements G.711's Tables 1a/1b (A-law) and 2a/2b (µ-law) on 16-bit
// linear input:
// - µ-law works on the top 14 bits (sample >> 2); A-law on the top 13 bits, of which the lowest one
//   never matters, so on sample >> 4.
// - A negative sample is coded by its one's complement (~x = -x - 1), not by -x, so x and ~x get
//   mirror codes. That is G.711's view of the input as intervals [v, v + 1): -1 lies in [-1, 0) and
//   codes as "negative zero" (µ-law 0x7F, A-law 0x55). (Sun's widely copied g711.c negates instead,
//   and differs from G.191 on some negative inputs, e.g. µ-law -4: Sun 0x7E, G.191 0x7F.)
// - Each decoded value is the middle of its decision interval, so the round-trip error is at most
//   half the step of the segment, except µ-law overload: |x| above 32635 all decode to ±32124.
//
// Decoding uses two 256-entry Int16Array tables; encoding uses a 16384-entry (µ-law, indexed by
// x >> 2) and a 4096-entry (A-law, indexed by x >> 4) Uint8Array table, all built once at load.

import type { AudioCodecName } from '../sdp/codecs.js';

/** Packetization time sipflow sends G.711 with: 20 ms. */
export const G711_PTIME_MS = 20;

/** Samples (and bytes) in one 20 ms G.711 frame at 8000 Hz: 160. */
export const G711_FRAME_SAMPLES = 160;

// --- Reference arithmetic (used to build the tables) -------------------------------------------------

/** µ-law code of a 14-bit two's complement value `v` (= 16-bit sample >> 2), per G.191 ulaw_compress. */
function muLawCompress14(v: number): number {
  const negative = v < 0;
  // One's complement magnitude, plus the µ-law bias 33 (in 14-bit units; 132 in 16-bit units).
  let biased = (negative ? ~v : v) + 33;
  if (biased > 0x1fff) biased = 0x1fff;
  // Exponent = segment 0..7: the position of the highest set bit above bit 5.
  let exponent = 0;
  for (let t = biased >> 6; t !== 0; t >>= 1) exponent++;
  const mantissa = (biased >> (exponent + 1)) & 0x0f;
  // Codes are sent inverted (G.711 §3.2: "all bits inverted"); bit 7 set means positive.
  return ((exponent << 4) | mantissa) ^ (negative ? 0x7f : 0xff);
}

/** 16-bit value of a µ-law code, per G.191 ulaw_expand: the middle of the code's interval. */
function muLawExpand(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = ((132 + (mantissa << 3)) << exponent) - 132;
  return u & 0x80 ? -magnitude : magnitude;
}

/** A-law code of a 12-bit two's complement value `v` (= 16-bit sample >> 4), per G.191 alaw_compress. */
function aLawCompress12(v: number): number {
  const negative = v < 0;
  let ix = negative ? ~v : v; // 0..2047
  if (ix > 15) {
    let exponent = 1;
    while (ix > 31) {
      ix >>= 1;
      exponent++;
    }
    ix = (ix - 16) + (exponent << 4);
  }
  if (!negative) ix |= 0x80;
  // Even bits are inverted on the line (G.711 §2.3).
  return ix ^ 0x55;
}

/** 16-bit value of an A-law code, per G.191 alaw_expand: the middle of the code's interval. */
function aLawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 8;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code & 0x80 ? mantissa : -mantissa;
}

// --- Tables ------------------------------------------------------------------------------------------

const MU_DECODE = new Int16Array(256);
const A_DECODE = new Int16Array(256);
/** Indexed by (x >> 2) & 0x3fff, i.e. the 14-bit value in two's complement wrapped to 0..16383. */
const MU_ENCODE = new Uint8Array(1 << 14);
/** Indexed by (x >> 4) & 0x0fff. */
const A_ENCODE = new Uint8Array(1 << 12);

for (let c = 0; c < 256; c++) {
  MU_DECODE[c] = muLawExpand(c);
  A_DECODE[c] = aLawExpand(c);
}
for (let i = 0; i < 1 << 14; i++) MU_ENCODE[i] = muLawCompress14((i << 18) >> 18);
for (let i = 0; i < 1 << 12; i++) A_ENCODE[i] = aLawCompress12((i << 20) >> 20);

/** An integer sample clamped to the 16-bit range (NaN becomes 0, fractions truncate toward 0). */
function toInt16(sample: number): number {
  if (sample >= 32767) return 32767;
  if (sample <= -32768) return -32768;
  return sample | 0;
}

// --- Single samples ----------------------------------------------------------------------------------

/**
 * Encodes one 16-bit linear sample as a G.711 µ-law byte. Values outside -32768..32767 are clamped,
 * fractions truncated toward zero.
 *
 * @example
 * ```ts
 * linearToMuLaw(0);      // 0xff (positive zero)
 * linearToMuLaw(-1);     // 0x7f (negative zero)
 * linearToMuLaw(32767);  // 0x80
 * ```
 */
export function linearToMuLaw(sample: number): number {
  return MU_ENCODE[(toInt16(sample) >> 2) & 0x3fff]!;
}

/**
 * Decodes one G.711 µ-law byte to a 16-bit linear sample (-32124..32124). Only the low 8 bits of
 * `byte` are used.
 *
 * @example
 * ```ts
 * muLawToLinear(0x00); // -32124
 * muLawToLinear(0xff); // 0
 * ```
 */
export function muLawToLinear(byte: number): number {
  return MU_DECODE[byte & 0xff]!;
}

/**
 * Encodes one 16-bit linear sample as a G.711 A-law byte. Values outside -32768..32767 are clamped,
 * fractions truncated toward zero.
 *
 * @example
 * ```ts
 * linearToALaw(0);  // 0xd5
 * linearToALaw(-1); // 0x55
 * ```
 */
export function linearToALaw(sample: number): number {
  return A_ENCODE[(toInt16(sample) >> 4) & 0x0fff]!;
}

/**
 * Decodes one G.711 A-law byte to a 16-bit linear sample (-32256..32256). Only the low 8 bits of
 * `byte` are used.
 *
 * @example
 * ```ts
 * aLawToLinear(0xd5); // 8
 * aLawToLinear(0x2a); // -32256
 * ```
 */
export function aLawToLinear(byte: number): number {
  return A_DECODE[byte & 0xff]!;
}

// --- Buffers -----------------------------------------------------------------------------------------

function outputFor<T extends Uint8Array | Int16Array>(out: T | undefined, n: number, make: (n: number) => T, what: string): T {
  if (out === undefined) return make(n);
  if (out.length < n) throw new RangeError(`${what}: the output buffer holds ${out.length} samples but ${n} are needed`);
  return (out.length === n ? out : out.subarray(0, n)) as T;
}

/**
 * Encodes 16-bit linear samples as G.711 µ-law, one byte per sample.
 *
 * With `out`, writes into it (it must hold at least `pcm.length` bytes, else RangeError) and returns
 * `out` itself when the lengths match, else a view of its first `pcm.length` bytes; nothing is
 * allocated then except that view.
 *
 * @example
 * ```ts
 * const payload = new Uint8Array(G711_FRAME_SAMPLES);
 * encodeMuLaw(frame, payload); // frame: Int16Array(160) → 160 bytes of RTP payload
 * ```
 */
export function encodeMuLaw(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = outputFor(out, n, (k) => new Uint8Array(k), 'encodeMuLaw');
  for (let i = 0; i < n; i++) dst[i] = MU_ENCODE[(pcm[i]! >> 2) & 0x3fff]!;
  return dst;
}

/**
 * Decodes G.711 µ-law bytes to 16-bit linear samples. `out`, when given, works as for
 * {@link encodeMuLaw}.
 *
 * @example
 * ```ts
 * const pcm = decodeMuLaw(rtpPacket.payload); // Int16Array, one sample per byte
 * ```
 */
export function decodeMuLaw(bytes: Uint8Array, out?: Int16Array): Int16Array {
  const n = bytes.length;
  const dst = outputFor(out, n, (k) => new Int16Array(k), 'decodeMuLaw');
  for (let i = 0; i < n; i++) dst[i] = MU_DECODE[bytes[i]!]!;
  return dst;
}

/**
 * Encodes 16-bit linear samples as G.711 A-law, one byte per sample. `out`, when given, works as for
 * {@link encodeMuLaw}.
 *
 * @example
 * ```ts
 * const payload = encodeALaw(new Int16Array(160)); // 160 × 0xd5
 * ```
 */
export function encodeALaw(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = outputFor(out, n, (k) => new Uint8Array(k), 'encodeALaw');
  for (let i = 0; i < n; i++) dst[i] = A_ENCODE[(pcm[i]! >> 4) & 0x0fff]!;
  return dst;
}

/**
 * Decodes G.711 A-law bytes to 16-bit linear samples. `out`, when given, works as for
 * {@link encodeMuLaw}.
 *
 * @example
 * ```ts
 * decodeALaw(Uint8Array.of(0xd5, 0x55)); // Int16Array [8, -8]
 * ```
 */
export function decodeALaw(bytes: Uint8Array, out?: Int16Array): Int16Array {
  const n = bytes.length;
  const dst = outputFor(out, n, (k) => new Int16Array(k), 'decodeALaw');
  for (let i = 0; i < n; i++) dst[i] = A_DECODE[bytes[i]!]!;
  return dst;
}

// --- Codec objects -----------------------------------------------------------------------------------

/**
 * A G.711 codec as the media session uses it: RTP identity plus buffer encode/decode.
 *
 * @example
 * ```ts
 * const codec = codecFor(format.encodingName); // from the negotiated SDP
 * if (codec !== undefined) {
 *   const payload = codec.encode(frame, scratch); // 160 samples → 160 bytes, no allocation
 * }
 * ```
 */
export interface G711Codec {
  /** The RTP encoding name (RFC 3551 §4.5.14). */
  readonly name: AudioCodecName;
  /** The static RTP/AVP payload type: 0 for PCMU, 8 for PCMA (RFC 3551 table 4). */
  readonly payloadType: 0 | 8;
  /** Always 8000 Hz. */
  readonly clockRate: 8000;
  /** The byte that encodes silence (linear 0): 0xff for PCMU, 0xd5 for PCMA. */
  readonly silenceByte: number;
  /** Encodes linear samples; see {@link encodeMuLaw} for `out`. */
  encode(pcm: Int16Array, out?: Uint8Array): Uint8Array;
  /** Decodes to linear samples; see {@link decodeMuLaw} for `out`. */
  decode(bytes: Uint8Array, out?: Int16Array): Int16Array;
}

/** G.711 µ-law, RTP payload type 0. */
export const PCMU: G711Codec = Object.freeze({
  name: 'PCMU',
  payloadType: 0,
  clockRate: 8000,
  silenceByte: 0xff,
  encode: encodeMuLaw,
  decode: decodeMuLaw,
});

/** G.711 A-law, RTP payload type 8. */
export const PCMA: G711Codec = Object.freeze({
  name: 'PCMA',
  payloadType: 8,
  clockRate: 8000,
  silenceByte: 0xd5,
  encode: encodeALaw,
  decode: decodeALaw,
});

/**
 * The G.711 codec for an RTP encoding name (any case, surrounding blanks ignored), or undefined for
 * any other codec.
 *
 * @example
 * ```ts
 * codecFor('pcma');  // PCMA
 * codecFor('G729');  // undefined
 * ```
 */
export function codecFor(encodingName: string): G711Codec | undefined {
  switch (encodingName.trim().toUpperCase()) {
    case 'PCMU':
      return PCMU;
    case 'PCMA':
      return PCMA;
    default:
      return undefined;
  }
}
