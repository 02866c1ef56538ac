// Audio analysis properties: whatever the digits, levels (within Q.24's limits), timing (tones and
// pauses of 45 ms or more), G.711 law and frame size, the in-band DTMF receiver returns exactly
// the dialled digits in order; analyzeFrame measures any tone from 300 to 3400 Hz to within 5 Hz
// over 20–40 ms; AudioMatcher finds any tone of 300 ms or more, and a speech-like prompt at any
// offset and gain with a correlation of at least 0.9.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeFrame, type AudioMatch, AudioMatcher, type DetectedDtmfDigit, InbandDtmfDetector, inbandDtmf } from '../../src/media/analysis/index.js';
import { concat, frames, g711, gain, silence, speechLike, tones, toInt16 } from '../media/analysis/signals.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

const law = fc.constantFrom('none' as const, 'pcmu' as const, 'pcma' as const);
const frameSizes = fc.oneof(fc.constantFrom([160], [80], [240], [320]), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }));

/** One key press: the digit, its weaker tone's level, the twist (row minus column, dB), tone and pause lengths. */
const press = fc.record({
  digit: fc.constantFrom(...'0123456789*#ABCD'),
  weakerDbfs: fc.double({ min: -28, max: -12, noNaN: true }),
  twistDb: fc.double({ min: -4, max: 8, noNaN: true }),
  toneMs: fc.integer({ min: 45, max: 150 }),
  pauseMs: fc.integer({ min: 45, max: 150 }),
});

describe('in-band DTMF round trip', () => {
  it('returns exactly the dialled digits, in order', () => {
    fc.assert(
      fc.property(fc.array(press, { minLength: 1, maxLength: 8 }), law, frameSizes, fc.integer({ min: 0, max: 200 }), (presses, codec, sizes, leadMs) => {
        const parts: Float64Array[] = [silence(leadMs)];
        for (const p of presses) {
          const row = p.twistDb >= 0 ? p.weakerDbfs + p.twistDb : p.weakerDbfs;
          const column = p.twistDb >= 0 ? p.weakerDbfs : p.weakerDbfs - p.twistDb;
          parts.push(Float64Array.from(inbandDtmf(p.digit, { toneMs: p.toneMs, rowLevelDbfs: row, columnLevelDbfs: column })), silence(p.pauseMs));
        }
        const pcm = g711(concat(...parts), codec);
        const rx = new InbandDtmfDetector();
        const found: DetectedDtmfDigit[] = [];
        for (const f of frames(pcm, sizes)) found.push(...rx.push(f));
        found.push(...rx.flush());
        expect(found.map((d) => d.digit).join('')).toBe(presses.map((p) => p.digit).join(''));
      }),
      { numRuns: runs(40) },
    );
  });
});

describe('analyzeFrame', () => {
  it('measures a tone of 300–3400 Hz to within 5 Hz over 20–40 ms', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 300, max: 3400, noNaN: true }),
        fc.integer({ min: 160, max: 320 }),
        fc.double({ min: -40, max: -3, noNaN: true }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        law,
        (hz, length, dbfs, phase, codec) => {
          const a = analyzeFrame(g711(tones(length / 8, [{ hz, dbfs, phase }]), codec));
          expect(a.dominantHz).toBeDefined();
          expect(Math.abs(a.dominantHz! - hz)).toBeLessThan(5);
          expect(Math.abs(a.levelDbfs - dbfs)).toBeLessThan(1);
        },
      ),
      { numRuns: runs(300) },
    );
  });
});

describe('AudioMatcher', () => {
  it('finds any steady tone of 300 ms or more, at its frequency', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 300, max: 3400, noNaN: true }),
        fc.double({ min: -35, max: -6, noNaN: true }),
        fc.integer({ min: 300, max: 800 }),
        fc.integer({ min: 0, max: 500 }),
        law,
        (hz, dbfs, ms, leadMs, codec) => {
          const pcm = g711(concat(silence(leadMs), tones(ms, [{ hz, dbfs }]), silence(100)), codec);
          const m = new AudioMatcher({ kind: 'tone', frequencyHz: Math.round(hz), minDurationMs: ms - 60 });
          let hit: AudioMatch | undefined;
          for (const f of frames(pcm, [160])) hit ??= m.push(f);
          expect(hit).toBeDefined();
          expect(Math.abs(hit!.frequencyHz! - hz)).toBeLessThan(1);
          expect(Math.abs(hit!.startMs - leadMs)).toBeLessThanOrEqual(20);
        },
      ),
      { numRuns: runs(25) },
    );
  });

  it('finds a speech-like prompt at any offset and gain, correlation ≥ 0.9 (no noise)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 300, max: 1500 }),
        fc.integer({ min: 0, max: 24_000 }),
        fc.double({ min: -20, max: 6, noNaN: true }),
        law,
        (seed, promptMs, leadSamples, gainDb, codec) => {
          const prompt = toInt16(speechLike(promptMs, seed, -18));
          // A short speech-like stretch can be all pause: an empty prompt is refused, not searched.
          fc.pre(prompt.filter((v) => v !== 0).length >= prompt.length / 4);
          const stream = gain(concat(speechLike(leadSamples / 8, seed + 1, -18), prompt, silence(300)), gainDb);
          const m = new AudioMatcher({ kind: 'reference', samples: prompt });
          let hit: AudioMatch | undefined;
          for (const f of frames(g711(stream, codec), [160])) hit ??= m.push(f);
          expect(hit).toBeDefined();
          expect(hit!.correlation!).toBeGreaterThanOrEqual(0.9);
          expect(hit!.offsetMs!).toBeCloseTo(leadSamples / 8, 0);
        },
      ),
      { numRuns: runs(15) },
    );
  });
});
