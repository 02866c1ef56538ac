// analyzeFrame and spectralComponents: level, dominant frequency and energy share of a block.

import { describe, expect, it } from 'vitest';
import { analyzeFrame, SILENT_FRAME_DBFS, spectralComponents } from '../../../src/media/analysis/index.js';
import { concat, g711, noise, rng, silence, speechLike, tones } from './signals.js';

describe('analyzeFrame', () => {
  it('measures a pure tone in a 20 ms frame: level, frequency to ±1 Hz, share ≈ 1', () => {
    const r = rng(3);
    for (let i = 0; i < 50; i++) {
      const hz = 200 + r() * 3600;
      const dbfs = -45 + r() * 42;
      const a = analyzeFrame(g711(tones(20, [{ hz, dbfs, phase: r() * 6 }]), 'pcma'));
      expect(Math.abs(a.dominantHz! - hz)).toBeLessThan(1);
      expect(Math.abs(a.levelDbfs - dbfs)).toBeLessThan(0.6);
      expect(a.dominantShare).toBeGreaterThan(0.97);
    }
  });

  it('analyses a block inside a longer array', () => {
    const x = concat(silence(20), tones(40, [{ hz: 1000, dbfs: -20 }]), silence(20));
    const a = analyzeFrame(x, 160, 320);
    expect(a.dominantHz).toBeCloseTo(1000, 0);
    expect(a.levelDbfs).toBeCloseTo(-20, 1);
    expect(analyzeFrame(x, 0, 160)).toEqual({ levelDbfs: -100, dominantHz: undefined, dominantShare: 0 });
  });

  it('gives no frequency for a silent frame, and a low share for noise', () => {
    expect(analyzeFrame(new Int16Array(160)).dominantHz).toBeUndefined();
    const quiet = g711(noise(160, 2, 1), 'none'); // about −84 dBFS
    expect(analyzeFrame(quiet).levelDbfs).toBeLessThan(SILENT_FRAME_DBFS);
    expect(analyzeFrame(quiet).dominantHz).toBeUndefined();
    const white = analyzeFrame(g711(noise(160, 1e6, 2), 'none'));
    expect(white.levelDbfs).toBeCloseTo(-27.3, 0);
    expect(white.dominantShare).toBeLessThan(0.2);
    expect(analyzeFrame(new Int16Array(0))).toEqual({ levelDbfs: -100, dominantHz: undefined, dominantShare: 0 });
  });

  it('finds the stronger of two tones and its share', () => {
    const a = analyzeFrame(tones(40, [{ hz: 600, dbfs: -20 }, { hz: 1800, dbfs: -26 }]));
    expect(a.dominantHz).toBeCloseTo(600, 0);
    expect(a.dominantShare).toBeCloseTo(0.8, 1);
    expect(a.levelDbfs).toBeCloseTo(-19.03, 1);
  });

  it('throws RangeError for a block outside the samples', () => {
    expect(() => analyzeFrame(new Int16Array(10), 5, 10)).toThrow(RangeError);
    expect(() => analyzeFrame(new Int16Array(10), -1, 2)).toThrow(RangeError);
    expect(() => spectralComponents(new Int16Array(10), 0, 11)).toThrow(RangeError);
  });
});

describe('spectralComponents', () => {
  it('separates the dual call-progress tones in 100 ms, with levels and shares', () => {
    for (const [f1, f2] of [[440, 480], [350, 440], [400, 450], [480, 620]] as const) {
      const c = spectralComponents(tones(100, [{ hz: f1, dbfs: -20 }, { hz: f2, dbfs: -26, phase: 2 }]), 0, 800, 2);
      expect(c).toHaveLength(2);
      expect(c[0]!.frequencyHz).toBeCloseTo(f1, 0);
      expect(c[1]!.frequencyHz).toBeCloseTo(f2, 0);
      expect(c[0]!.levelDbfs).toBeCloseTo(-20, 0);
      expect(c[1]!.levelDbfs).toBeCloseTo(-26, 0);
      expect(c[0]!.share + c[1]!.share).toBeGreaterThan(0.99);
    }
  });

  it('returns nothing for silence or a tiny block, and at most `count` components', () => {
    expect(spectralComponents(new Int16Array(800))).toEqual([]);
    expect(spectralComponents(new Int16Array([1, 2, 3]))).toEqual([]);
    expect(spectralComponents(speechLike(200, 4), 0, 1600, 5).length).toBeLessThanOrEqual(5);
  });
});
