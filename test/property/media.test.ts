// Media properties: the G.711 round trip stays within half a quantisation step, WAV files written by
// encodeWav read back identically, and parseWav fails only with a WavError whatever it is given.
//
// The G.711 bound, derived from the segment tables (see test/media/g711.test.ts for the tables):
// a sample x is coded by the magnitude m = x for x ≥ 0 and m = ~x = −x − 1 for x < 0. m falls in a
// decision interval [lo, lo + W) of its segment and decodes to the middle lo + W/2, so for x ≥ 0 the
// error is in [−W/2, W/2 − 1], and for x < 0 (decoded as −(lo + W/2), with x = −m − 1) in
// [−W/2 + 1, W/2]: |decode(encode(x)) − x| ≤ W/2, with no extra bias term. In 16-bit units
//   µ-law: W = 8·2^e for segment e = 0…7, where m + 132 ∈ [128·2^e, 256·2^e) (132 = 4 × the bias 33),
//   A-law: W = 16 for m < 512 (the two first segments), else W = 16·2^(e−1) with m ∈ [256·2^(e−1), 512·2^(e−1)).
// The one exception is µ-law overload: m ≥ 32636 (above the last decision value 8159 × 4) all decode
// to ±32124, an error of m − 32124 + (x < 0 ? 1 : 0) ≤ 644. A-law has no overload region in 16 bits.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw, linearToALaw, linearToMuLaw, aLawToLinear, muLawToLinear } from '../../src/media/g711.js';
import { encodeWav, parseWav, WavError } from '../../src/media/wav.js';

const int16 = fc.integer({ min: -32768, max: 32767 });
const magnitude = (x: number): number => (x >= 0 ? x : -x - 1);

/** Half the µ-law step of x's segment, or undefined in the overload region. */
function muLawHalfStep(x: number): number | undefined {
  const m = magnitude(x);
  if (m >= 32636) return undefined;
  let e = 0;
  while (m + 132 >= 256 << e) e++;
  return 4 << e;
}

function aLawHalfStep(x: number): number {
  const m = magnitude(x);
  if (m < 512) return 8;
  let e = 2;
  while (m >= 512 << (e - 1)) e++;
  return 4 << e;
}

describe('G.711 round trip', () => {
  it('µ-law: error within half the step of the segment (or the overload error)', () => {
    fc.assert(
      fc.property(int16, (x) => {
        const y = muLawToLinear(linearToMuLaw(x));
        const half = muLawHalfStep(x);
        if (half === undefined) {
          expect(y).toBe(x >= 0 ? 32124 : -32124);
          expect(Math.abs(y - x)).toBeLessThanOrEqual(644);
        } else {
          expect(Math.abs(y - x)).toBeLessThanOrEqual(half);
        }
      }),
      { numRuns: 5000, examples: [[0], [-1], [32767], [-32768], [32635], [32636], [-32636], [-32637], [123], [124], [-125]] },
    );
  });

  it('A-law: error within half the step of the segment', () => {
    fc.assert(
      fc.property(int16, (x) => {
        expect(Math.abs(aLawToLinear(linearToALaw(x)) - x)).toBeLessThanOrEqual(aLawHalfStep(x));
      }),
      { numRuns: 5000, examples: [[0], [-1], [32767], [-32768], [511], [512], [-513], [255], [256]] },
    );
  });

  it('the bounds are tight and hold for every sample (exhaustive)', () => {
    const over: string[] = [];
    let muMax = -Infinity;
    let aMax = -Infinity;
    for (let x = -32768; x <= 32767; x++) {
      const mu = Math.abs(muLawToLinear(linearToMuLaw(x)) - x);
      const half = muLawHalfStep(x);
      if (half !== undefined) muMax = Math.max(muMax, mu - half);
      if (half !== undefined && mu > half) over.push(`µ-law ${x}: error ${mu} > ${half}`);
      const a = Math.abs(aLawToLinear(linearToALaw(x)) - x);
      aMax = Math.max(aMax, a - aLawHalfStep(x));
      if (a > aLawHalfStep(x)) over.push(`A-law ${x}: error ${a} > ${aLawHalfStep(x)}`);
    }
    expect(over.slice(0, 5)).toEqual([]);
    // Some sample reaches each bound exactly.
    expect(muMax).toBe(0);
    expect(aMax).toBe(0);
  });

  it('is odd-symmetric: ~x codes as x with the sign bit flipped', () => {
    fc.assert(
      fc.property(int16, (x) => {
        expect(linearToMuLaw(~x)).toBe(linearToMuLaw(x) ^ 0x80);
        expect(linearToALaw(~x)).toBe(linearToALaw(x) ^ 0x80);
      }),
    );
  });

  it('is monotonic', () => {
    fc.assert(
      fc.property(int16, int16, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(muLawToLinear(linearToMuLaw(lo))).toBeLessThanOrEqual(muLawToLinear(linearToMuLaw(hi)));
        expect(aLawToLinear(linearToALaw(lo))).toBeLessThanOrEqual(aLawToLinear(linearToALaw(hi)));
      }),
    );
  });

  it('buffer functions agree with the single-sample ones, with or without an output buffer', () => {
    fc.assert(
      fc.property(fc.array(int16, { maxLength: 400 }), fc.nat({ max: 16 }), (xs, spare) => {
        const pcm = Int16Array.from(xs);
        const out = new Uint8Array(pcm.length + spare);
        expect(Array.from(encodeMuLaw(pcm, out))).toEqual(xs.map(linearToMuLaw));
        expect(Array.from(encodeALaw(pcm))).toEqual(xs.map(linearToALaw));
        const codes = Uint8Array.from(xs, (x) => x & 0xff);
        expect(Array.from(decodeMuLaw(codes, new Int16Array(codes.length + spare)))).toEqual(Array.from(codes, muLawToLinear));
        expect(Array.from(decodeALaw(codes))).toEqual(Array.from(codes, aLawToLinear));
      }),
    );
  });
});

describe('WAV', () => {
  it('encodeWav → parseWav returns the same samples and layout', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(8000, 11025, 16000, 22050, 44100, 48000, 96000),
        fc.array(int16, { maxLength: 600 }),
        (channels, rate, xs) => {
          const samples = Int16Array.from(xs.slice(0, xs.length - (xs.length % channels)));
          const audio = parseWav(encodeWav(samples, rate, channels));
          expect(audio).toMatchObject({ sampleRate: rate, channels, bitsPerSample: 16, format: 'pcm', frames: samples.length / channels, notes: [] });
          expect(Array.from(audio.samples)).toEqual(Array.from(samples));
        },
      ),
    );
  });

  /** parseWav's contract: WavAudio or WavError, nothing else. */
  function parsesOrWavError(bytes: Uint8Array): void {
    try {
      const audio = parseWav(bytes);
      expect(audio.samples.length).toBe(audio.frames * audio.channels);
    } catch (err) {
      if (!(err instanceof WavError)) throw new Error(`parseWav threw a non-WavError: ${String(err)}`, { cause: err });
      expect(err.message.length).toBeGreaterThan(0);
    }
  }

  it('parseWav throws only WavError, for arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), parsesOrWavError), { numRuns: 2000 });
  });

  it('parseWav throws only WavError, for valid files with bytes changed, cut or appended', () => {
    const valid = encodeWav(Int16Array.from({ length: 64 }, (_, i) => i * 997), 16000, 2);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 60 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat({ max: valid.length }),
        fc.uint8Array({ maxLength: 20 }),
        (edits, cut, tail) => {
          const bytes = new Uint8Array([...valid.subarray(0, cut), ...tail]);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          parsesOrWavError(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
