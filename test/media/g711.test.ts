// G.711 against the standard. Every expected value below is derived by hand from ITU-T G.711's
// segment tables (Table 1 A-law, Table 2 µ-law) with the 16-bit conventions of ITU-T G.191's reference
// software; the comment next to each value shows the derivation. The exhaustive checks compare the
// codec with an independent model built from the tables' decision values, not with its own arithmetic.

import { describe, expect, it } from 'vitest';
import {
  aLawToLinear,
  codecFor,
  decodeALaw,
  decodeMuLaw,
  encodeALaw,
  encodeMuLaw,
  G711_FRAME_SAMPLES,
  G711_PTIME_MS,
  linearToALaw,
  linearToMuLaw,
  muLawToLinear,
  PCMA,
  PCMU,
} from '../../src/media/g711.js';

// --- The independent model ----------------------------------------------------------------------------
//
// G.711 µ-law (Table 2a) quantises a 14-bit magnitude (max 8159) in 8 segments of 16 intervals; the
// decision values are 0, 1, 3, 5, …, 31 (step 2, but the first interval is [0, 1)), then 35 … 95 (step
// 4), 103 … 223 (8), … 4319 … 8159 (256). A-law (Table 1a) quantises a 13-bit magnitude (max 4096):
// 0, 2, …, 64 (step 2: the first two segments), 68 … 128 (4), … 2176 … 4096 (128). The decoded value is
// the middle of the interval (µ-law interval 0 decodes to 0); codes count intervals from the smallest,
// µ-law sent with all bits inverted, A-law with even bits inverted (0x55), bit 7 = 1 for positive.
//
// A 16-bit sample x is x/4 (µ-law) or x/8 (A-law) on those scales. G.191 codes a negative x by its
// one's complement (~x = −x − 1), which is the same as reading the integer x as the amplitude x + ½
// (the middle of [x, x + 1)): then no sample falls on a decision value and both signs are symmetric.

function boundaries(first: number[], segments: number, start: number, firstStep: number): number[] {
  const b = [...first];
  let at = start;
  for (let s = 0, step = firstStep; s < segments; s++, step *= 2) {
    for (let k = 0; k < 16; k++) b.push((at += step));
  }
  return b;
}
/** µ-law decision values, 129 of them: [0, 1, 3, …, 31] then 7 segments starting at 31 with steps 4 … 256. */
const MU_B = boundaries([0, ...Array.from({ length: 16 }, (_, k) => 1 + 2 * k)], 7, 31, 4);
/** A-law decision values, 129 of them: 0, 2, …, 64 then 6 segments starting at 64 with steps 4 … 128. */
const A_B = boundaries(Array.from({ length: 33 }, (_, k) => 2 * k), 6, 64, 4);

/** Index of the interval holding magnitude m (the last one for overload). */
function interval(b: readonly number[], m: number): number {
  let j = 0;
  while (j < 127 && m >= b[j + 1]!) j++;
  return j;
}

function modelMuLaw(x: number): number {
  const j = interval(MU_B, Math.abs(x + 0.5) / 4);
  return (x >= 0 ? 0xff : 0x7f) - j;
}
function modelMuLawDecode(code: number): number {
  const j = 0x7f - (code & 0x7f);
  const y = j === 0 ? 0 : (MU_B[j]! + MU_B[j + 1]!) / 2;
  return (code & 0x80 ? 4 : -4) * y;
}
function modelALaw(x: number): number {
  const j = interval(A_B, Math.abs(x + 0.5) / 8);
  return ((x >= 0 ? 0x80 : 0) | j) ^ 0x55;
}
function modelALawDecode(code: number): number {
  const c = code ^ 0x55;
  const j = c & 0x7f;
  return (c & 0x80 ? 8 : -8) * ((A_B[j]! + A_B[j + 1]!) / 2);
}

describe('the model itself', () => {
  it('has the table shapes of G.711', () => {
    expect(MU_B).toHaveLength(129);
    expect(MU_B.slice(0, 4)).toEqual([0, 1, 3, 5]);
    // Segment ends of Table 2a.
    expect([16, 32, 48, 64, 80, 96, 112, 128].map((j) => MU_B[j])).toEqual([31, 95, 223, 479, 991, 2015, 4063, 8159]);
    expect(A_B).toHaveLength(129);
    expect([32, 48, 64, 80, 96, 112, 128].map((j) => A_B[j])).toEqual([64, 128, 256, 512, 1024, 2048, 4096]);
  });
});

// --- Hand-derived reference values -------------------------------------------------------------------

/** Test titles with the code in hex. */
const titled = <T extends [number, number, string]>(cases: T[], codeFirst: boolean): [string, number, number][] =>
  cases.map(([a, b, why]) => {
    const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;
    return [codeFirst ? `${hex(a)} → ${b}: ${why}` : `${a} → ${hex(b)}: ${why}`, a, b];
  });

describe('µ-law (PCMU) reference values', () => {
  // [16-bit input, code, why]
  const encodeCases: [number, number, string][] = [
    [0, 0xff, 'positive zero: interval 0, all bits inverted'],
    [-1, 0x7f, 'negative zero (one\'s complement of -1 is 0)'],
    [3, 0xff, '3/4 < 1: still interval 0'],
    [4, 0xfe, '4/4 = 1: interval [1, 3), code 1'],
    [-4, 0x7f, '~(-4) = 3 → 0.75: negative interval 0'],
    [-5, 0x7e, '~(-5) = 4 → 1: negative interval 1'],
    [123, 0xf0, '30.75 in [29, 31): last interval of segment 0 (15)'],
    [124, 0xef, '31 starts segment 1: interval 16 = 0x10'],
    [1000, 0xce, '250 in [239, 255): segment 3, step 16, interval 0x31'],
    [-1000, 0x4e, '~(-1000) = 999 → 249.75: same interval, sign bit clear'],
    [16251, 0x90, '4062.75 in [3935, 4063): last interval of segment 6 (0x6f)'],
    [16252, 0x8f, '4063 starts segment 7 (0x70)'],
    [32635, 0x80, '8158.75 in [7903, 8159): the top interval 0x7f'],
    [32636, 0x80, '8159 and beyond: overload, still the top code'],
    [32767, 0x80, 'largest positive'],
    [-32768, 0x00, 'largest negative'],
  ];
  it.each(titled(encodeCases, false))('linearToMuLaw %s', (_, x, code) => {
    expect(linearToMuLaw(x)).toBe(code);
  });

  // [code, 16-bit value, why]
  const decodeCases: [number, number, string][] = [
    [0xff, 0, 'positive zero'],
    [0x7f, 0, 'negative zero'],
    [0xfe, 8, 'middle of [1, 3) = 2, × 4'],
    [0x7e, -8, 'mirror'],
    [0xf0, 120, 'middle of [29, 31) = 30, × 4'],
    [0xef, 132, 'middle of [31, 35) = 33, × 4'],
    [0xce, 988, 'middle of [239, 255) = 247, × 4'],
    [0x4e, -988, 'mirror'],
    [0x8f, 16764, 'middle of [4063, 4319) = 4191, × 4'],
    [0x80, 32124, 'middle of [7903, 8159) = 8031, × 4'],
    [0x00, -32124, 'mirror'],
  ];
  it.each(titled(decodeCases, true))('muLawToLinear %s', (_, code, value) => {
    expect(muLawToLinear(code)).toBe(value);
  });

  it('matches the start of the classic published µ-law decode table', () => {
    // The widely reprinted 256-entry table (codes 0x00…) begins -32124, -31100, -30076, -29052, …
    // (step 1024 in the top segment).
    expect(Array.from(decodeMuLaw(Uint8Array.of(0, 1, 2, 3)))).toEqual([-32124, -31100, -30076, -29052]);
    expect(Array.from(decodeMuLaw(Uint8Array.of(0x80, 0x81, 0xfd, 0xfe)))).toEqual([32124, 31100, 16, 8]);
  });
});

describe('A-law (PCMA) reference values', () => {
  const encodeCases: [number, number, string][] = [
    [0, 0xd5, 'positive interval 0: 0x80 ^ 0x55'],
    [-1, 0x55, 'negative interval 0: 0x00 ^ 0x55'],
    [15, 0xd5, '15.5/8 < 2: interval 0'],
    [16, 0xd4, '16.5/8 in [2, 4): interval 1 → 0x81 ^ 0x55'],
    [-16, 0x55, '~(-16) = 15: negative interval 0'],
    [-17, 0x54, '~(-17) = 16: negative interval 1'],
    [255, 0xda, '31.9 in [30, 32): interval 15 → 0x8f ^ 0x55'],
    [256, 0xc5, '32 starts segment 2 (still step 2): interval 16 → 0x90 ^ 0x55'],
    [512, 0xf5, '64 starts segment 3 (step 4): interval 32 → 0xa0 ^ 0x55'],
    [1000, 0xfa, '125 in [124, 128): interval 47 → 0xaf ^ 0x55'],
    [-1000, 0x7a, '~(-1000) = 999: same interval, sign bit clear → 0x2f ^ 0x55'],
    [32767, 0xaa, 'top interval [3968, 4096): 0xff ^ 0x55'],
    [-32768, 0x2a, 'top negative interval: 0x7f ^ 0x55'],
  ];
  it.each(titled(encodeCases, false))('linearToALaw %s', (_, x, code) => {
    expect(linearToALaw(x)).toBe(code);
  });

  const decodeCases: [number, number, string][] = [
    [0xd5, 8, 'middle of [0, 2) = 1, × 8'],
    [0x55, -8, 'mirror'],
    [0xd4, 24, 'middle of [2, 4) = 3, × 8'],
    [0xda, 248, 'middle of [30, 32) = 31, × 8'],
    [0xc5, 264, 'middle of [32, 34) = 33, × 8'],
    [0xf5, 528, 'middle of [64, 68) = 66, × 8'],
    [0xfa, 1008, 'middle of [124, 128) = 126, × 8'],
    [0x7a, -1008, 'mirror'],
    [0xaa, 32256, 'middle of [3968, 4096) = 4032, × 8'],
    [0x2a, -32256, 'mirror'],
  ];
  it.each(titled(decodeCases, true))('aLawToLinear %s', (_, code, value) => {
    expect(aLawToLinear(code)).toBe(value);
  });

  it('matches the start of the classic published A-law decode table', () => {
    // Codes 0x00… (0x55 after un-inverting: segment 5) begin -5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736.
    expect(Array.from(decodeALaw(Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7)))).toEqual([-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736]);
  });
});

// --- Exhaustive checks against the model ------------------------------------------------------------

describe('every input against the table model', () => {
  it('decodes all 256 codes of both laws as the tables say', () => {
    for (let c = 0; c < 256; c++) {
      expect(muLawToLinear(c), `µ-law 0x${c.toString(16)}`).toBe(modelMuLawDecode(c) || 0);
      expect(aLawToLinear(c), `A-law 0x${c.toString(16)}`).toBe(modelALawDecode(c));
    }
  });

  it('encodes all 65536 16-bit samples of both laws as the tables say', () => {
    const muBad: string[] = [];
    const aBad: string[] = [];
    for (let x = -32768; x <= 32767; x++) {
      if (linearToMuLaw(x) !== modelMuLaw(x) && muBad.length < 5) muBad.push(`${x}: ${linearToMuLaw(x)} vs ${modelMuLaw(x)}`);
      if (linearToALaw(x) !== modelALaw(x) && aBad.length < 5) aBad.push(`${x}: ${linearToALaw(x)} vs ${modelALaw(x)}`);
    }
    expect(muBad).toEqual([]);
    expect(aBad).toEqual([]);
  });

  it('re-encodes every decoded value to its code (except µ-law negative zero, which decodes to 0)', () => {
    for (let c = 0; c < 256; c++) {
      expect(linearToALaw(aLawToLinear(c))).toBe(c);
      expect(linearToMuLaw(muLawToLinear(c))).toBe(c === 0x7f ? 0xff : c);
    }
  });
});

// --- Buffers and codec objects ------------------------------------------------------------------------

describe('buffer API', () => {
  const pcm = Int16Array.from({ length: 400 }, (_, i) => Math.round(30000 * Math.sin(i / 7)) - (i % 3));

  it('encodes and decodes whole buffers like the single-sample functions', () => {
    const mu = encodeMuLaw(pcm);
    const a = encodeALaw(pcm);
    expect(mu).toBeInstanceOf(Uint8Array);
    expect(Array.from(mu)).toEqual(Array.from(pcm, linearToMuLaw));
    expect(Array.from(a)).toEqual(Array.from(pcm, linearToALaw));
    expect(Array.from(decodeMuLaw(mu))).toEqual(Array.from(mu, muLawToLinear));
    expect(Array.from(decodeALaw(a))).toEqual(Array.from(a, aLawToLinear));
  });

  it('writes into a preallocated buffer and returns it', () => {
    const frame = pcm.subarray(0, G711_FRAME_SAMPLES);
    const payload = new Uint8Array(G711_FRAME_SAMPLES);
    const back = new Int16Array(G711_FRAME_SAMPLES);
    for (const codec of [PCMU, PCMA]) {
      expect(codec.encode(frame, payload)).toBe(payload);
      expect(codec.decode(payload, back)).toBe(back);
      expect(Array.from(back)).toEqual(Array.from(codec.decode(codec.encode(frame))));
    }
  });

  it('returns a view of the written part of a larger buffer', () => {
    const big = new Uint8Array(1000).fill(0x11);
    const view = encodeMuLaw(pcm.subarray(0, 160), big);
    expect(view.length).toBe(160);
    expect(view.buffer).toBe(big.buffer);
    expect(big[160]).toBe(0x11);
    const out = new Int16Array(500);
    expect(decodeALaw(new Uint8Array(3), out)).toHaveLength(3);
  });

  it('throws a RangeError for an output buffer that is too small', () => {
    expect(() => encodeMuLaw(pcm, new Uint8Array(10))).toThrow(RangeError);
    expect(() => decodeALaw(new Uint8Array(10), new Int16Array(9))).toThrow(/holds 9 samples but 10 are needed/);
  });

  it('handles empty input', () => {
    expect(encodeALaw(new Int16Array(0))).toHaveLength(0);
    expect(decodeMuLaw(new Uint8Array(0))).toHaveLength(0);
  });

  it('clamps and truncates out-of-range single samples', () => {
    expect(linearToMuLaw(1e9)).toBe(0x80);
    expect(linearToMuLaw(-1e9)).toBe(0x00);
    expect(linearToALaw(Number.NaN)).toBe(0xd5);
    expect(linearToALaw(15.9)).toBe(linearToALaw(15));
    expect(muLawToLinear(0x1ff)).toBe(muLawToLinear(0xff));
  });
});

describe('codec objects', () => {
  it('describe PCMU and PCMA as RFC 3551 does', () => {
    expect(PCMU).toMatchObject({ name: 'PCMU', payloadType: 0, clockRate: 8000, silenceByte: 0xff });
    expect(PCMA).toMatchObject({ name: 'PCMA', payloadType: 8, clockRate: 8000, silenceByte: 0xd5 });
    expect(PCMU.encode(new Int16Array(2))).toEqual(Uint8Array.of(PCMU.silenceByte, PCMU.silenceByte));
    expect(PCMA.encode(new Int16Array(2))).toEqual(Uint8Array.of(PCMA.silenceByte, PCMA.silenceByte));
    expect(Object.isFrozen(PCMU)).toBe(true);
    expect(G711_PTIME_MS * 8).toBe(G711_FRAME_SAMPLES);
  });

  it('are found by encoding name, in any case', () => {
    expect(codecFor('PCMU')).toBe(PCMU);
    expect(codecFor('pcmu')).toBe(PCMU);
    expect(codecFor(' PcMa ')).toBe(PCMA);
    expect(codecFor('G729')).toBeUndefined();
    expect(codecFor('telephone-event')).toBeUndefined();
    expect(codecFor('')).toBeUndefined();
    expect(codecFor('PCMU/8000')).toBeUndefined();
  });
});
