// AudioMatcher: tones (single, dual, cadenced) among noise and speech, silence and sound runs, a
// reference prompt found after G.711, gain, noise and loss at any offset, the failure summary
// (heard/describe) and the checks on the expectation.

import { describe, expect, it } from 'vitest';
import { AudioAnalysisError, type AudioExpectation, type AudioMatch, AudioMatcher } from '../../../src/media/analysis/index.js';
import { addNoise, concat, frames, g711, gain, loseFrames, lossPattern, noise, power, rng, silence, speechLike, tones, toInt16 } from './signals.js';

/** Pushes `x` in 20 ms frames (optionally timed from `startMs`); returns the first match. */
function run(m: AudioMatcher, x: ArrayLike<number>, startMs?: number, sizes: number[] = [160]): AudioMatch | undefined {
  const pcm = x instanceof Int16Array ? x : g711(x, 'none');
  let hit: AudioMatch | undefined;
  let at = 0;
  for (const f of frames(pcm, sizes)) {
    const r = m.push(f, startMs === undefined ? undefined : startMs + at / 8);
    if (hit === undefined) hit = r;
    else expect(r).toBe(hit); // keeps returning the first match
    at += f.length;
  }
  return hit;
}

const match = (e: AudioExpectation, x: ArrayLike<number>, startMs?: number): AudioMatch | undefined => run(new AudioMatcher(e), x, startMs);

/** White noise at a level, dBFS (mean square of a sine at that level). */
const noiseAt = (ms: number, dbfs: number, seed: number): Float64Array => noise(ms * 8, (32768 * 10 ** (dbfs / 20)) ** 2 / 2, seed);

describe('AudioMatcher: tone', () => {
  it('finds 425 Hz ringback among noise (10 dB S/N, A-law) with its start, frequency and level', () => {
    const x = concat(noiseAt(700, -35, 1), tones(1000, [{ hz: 425, dbfs: -25 }]), noiseAt(500, -35, 2));
    addNoise(x, (32768 * 10 ** (-35 / 20)) ** 2 / 2, 3);
    const hit = match({ kind: 'tone', frequencyHz: 425 }, g711(x, 'pcma'), 2000);
    expect(hit).toBeDefined();
    expect(hit!.kind).toBe('tone');
    expect(Math.abs(hit!.startMs - 2700)).toBeLessThanOrEqual(20);
    expect(hit!.durationMs).toBe(200);
    expect(Math.abs(hit!.frequencyHz! - 425)).toBeLessThan(1);
    expect(hit!.levelDbfs!).toBeGreaterThan(-25);
    expect(hit!.levelDbfs!).toBeLessThan(-24);
  });

  it('matches a cadenced tone on one burst (1 s on, 4 s off)', () => {
    const x = concat(silence(4000), tones(1000, [{ hz: 425, dbfs: -20 }]), silence(4000), tones(1000, [{ hz: 425, dbfs: -20 }]));
    const hit = match({ kind: 'tone', frequencyHz: 425, minDurationMs: 800 }, g711(x, 'pcmu'));
    expect(hit?.startMs).toBeCloseTo(4000, -2);
    expect(hit?.durationMs).toBe(800);
  });

  it('matches either frequency of a dual tone (US ringback 440 + 480 Hz), not the middle', () => {
    const x = concat(silence(300), tones(2000, [{ hz: 440, dbfs: -22 }, { hz: 480, dbfs: -22, phase: 1 }]), silence(4000));
    const pcm = g711(x, 'pcmu');
    expect(match({ kind: 'tone', frequencyHz: 440 }, pcm)?.frequencyHz).toBeCloseTo(440, 0);
    expect(match({ kind: 'tone', frequencyHz: 480 }, pcm)?.frequencyHz).toBeCloseTo(480, 0);
    expect(match({ kind: 'tone', frequencyHz: 460, toleranceHz: 5 }, pcm)).toBeUndefined();
  });

  it('rejects another frequency, and says what it heard', () => {
    const x = concat(tones(2000, [{ hz: 440, dbfs: -20 }]));
    const m = new AudioMatcher({ kind: 'tone', frequencyHz: 525 });
    expect(run(m, g711(x, 'pcmu'))).toBeUndefined();
    expect(m.describe()).toMatch(/^heard 2\.0 s: level -20\.\d dBFS \(peak -(19|20)\.\d\), mostly 440 Hz; longest 525±20 Hz run 0 ms \(needs 200 ms at ≥ -40 dBFS\)$/);
    expect(match({ kind: 'tone', frequencyHz: 425, toleranceHz: 10 }, g711(x, 'pcmu'))).toBeUndefined();
    expect(match({ kind: 'tone', frequencyHz: 425 }, g711(x, 'pcmu'))).toBeDefined(); // 15 Hz off, within the default 20
  });

  it('needs the level and the duration', () => {
    const quiet = tones(1000, [{ hz: 1000, dbfs: -45 }]);
    expect(match({ kind: 'tone', frequencyHz: 1000 }, quiet)).toBeUndefined();
    expect(match({ kind: 'tone', frequencyHz: 1000, minLevelDbfs: -50 }, quiet)).toBeDefined();
    const short = concat(silence(200), tones(150, [{ hz: 1000, dbfs: -20 }]), silence(200));
    const m = new AudioMatcher({ kind: 'tone', frequencyHz: 1000 });
    expect(run(m, short)).toBeUndefined();
    expect(m.heard().longestRunMs).toBeGreaterThanOrEqual(140);
    expect(m.heard().longestRunMs).toBeLessThanOrEqual(180);
  });

  it('bridges one lost frame inside a tone, not two', () => {
    const x = g711(concat(silence(100), tones(300, [{ hz: 800, dbfs: -20 }]), silence(200)), 'none');
    expect(match({ kind: 'tone', frequencyHz: 800, minDurationMs: 280 }, loseFrames(x, [10]))).toBeDefined();
    expect(match({ kind: 'tone', frequencyHz: 800, minDurationMs: 280 }, loseFrames(x, [10, 11]))).toBeUndefined();
  });

  it('does not take a note with harmonics, or speech, for a tone', () => {
    const note = tones(1000, [{ hz: 440, dbfs: -20 }, { hz: 880, dbfs: -26 }, { hz: 1320, dbfs: -30 }]);
    expect(match({ kind: 'tone', frequencyHz: 440 }, note)).toBeUndefined();
    const speech = g711(speechLike(40_000, 31, -15), 'pcmu');
    for (const hz of [350, 425, 440]) expect(match({ kind: 'tone', frequencyHz: hz }, speech)).toBeUndefined();
  });
});

describe('AudioMatcher: silence and sound', () => {
  it('finds silence below −50 dBFS after speech, with its level', () => {
    const x = concat(tones(1000, [{ hz: 300, dbfs: -15 }]), noiseAt(800, -60, 4));
    const hit = match({ kind: 'silence' }, g711(x, 'pcmu'));
    expect(hit?.startMs).toBe(1000);
    expect(hit?.durationMs).toBe(500);
    expect(hit!.levelDbfs!).toBeCloseTo(-60, 0);
    expect(match({ kind: 'silence' }, g711(concat(tones(1000, [{ hz: 300, dbfs: -15 }]), noiseAt(800, -45, 4)), 'pcmu'))).toBeUndefined();
    expect(match({ kind: 'silence', levelDbfs: -40 }, g711(concat(tones(1000, [{ hz: 300, dbfs: -15 }]), noiseAt(800, -45, 4)), 'pcmu'))).toBeDefined();
  });

  it('does not bridge a loud frame inside silence', () => {
    const x = concat(silence(300), tones(20, [{ hz: 1000, dbfs: -10 }]), silence(300));
    const m = new AudioMatcher({ kind: 'silence' });
    expect(run(m, x)).toBeUndefined();
    expect(m.heard().longestRunMs).toBe(300);
  });

  it('finds sound at or above −40 dBFS, bridging one lost frame', () => {
    const x = g711(concat(silence(1000), noiseAt(240, -30, 5), silence(500)), 'none');
    const hit = match({ kind: 'sound' }, loseFrames(x, [56]));
    expect(hit?.startMs).toBe(1000);
    expect(hit?.durationMs).toBe(200);
    expect(match({ kind: 'sound', minDurationMs: 300 }, x)).toBeUndefined();
    expect(match({ kind: 'sound' }, g711(noiseAt(1000, -45, 6), 'none'))).toBeUndefined();
  });

  it('counts a jump of atMs as silence, and restarts after a jump over 10 s', () => {
    const m = new AudioMatcher({ kind: 'silence', minDurationMs: 500 });
    const tone = g711(tones(100, [{ hz: 500, dbfs: -20 }]), 'none');
    run(m, tone, 0);
    expect(run(m, tone, 700)?.startMs).toBe(100); // 100–700 ms was not received: silence
    const r = new AudioMatcher({ kind: 'silence', minDurationMs: 500 });
    run(r, new Int16Array(2400), 0);
    run(r, new Int16Array(2400), 30_000);
    expect(r.heard().longestRunMs).toBe(300);
    expect(r.heard().durationMs).toBe(600);
  });
});

describe('AudioMatcher: reference prompt', () => {
  it('finds the prompt at any offset after G.711, −20…+6 dB gain, 20 dB S/N and 3 % lost frames', () => {
    const r = rng(77);
    for (let t = 0; t < 6; t++) {
      const prompt = toInt16(speechLike([400, 1500, 3000][t % 3]!, 40 + t, -18));
      const leadSamples = Math.floor(r() * 24_000);
      const g = [-20, 6, -8, 0, -14, 3][t]!;
      const stream = gain(concat(speechLike(leadSamples / 8, 50 + t, -18), prompt, speechLike(800, 60 + t, -18)), g);
      addNoise(stream, (power(prompt) * 10 ** (g / 10)) / 100, 70 + t);
      const received = loseFrames(g711(stream, t % 2 === 0 ? 'pcmu' : 'pcma'), lossPattern(stream.length, 0.03, t));
      const m = new AudioMatcher({ kind: 'reference', samples: prompt });
      const hit = run(m, received, 500);
      expect(hit, `trial ${t}`).toBeDefined();
      expect(hit!.kind).toBe('reference');
      expect(hit!.correlation!).toBeGreaterThan(0.85);
      expect(hit!.offsetMs!).toBeCloseTo(leadSamples / 8, 0);
      expect(hit!.startMs).toBeCloseTo(500 + leadSamples / 8, 0);
      expect(hit!.durationMs).toBe(prompt.length / 8);
    }
  });

  it('rejects a different prompt and a tone, and reports the best correlation', () => {
    const prompt = toInt16(speechLike(1500, 81, -18));
    const other = g711(concat(speechLike(4000, 82, -18)), 'pcmu');
    const m = new AudioMatcher({ kind: 'reference', samples: prompt });
    expect(run(m, other)).toBeUndefined();
    const h = m.heard();
    expect(h.bestCorrelation!).toBeLessThan(0.4);
    expect(h.longestRunMs).toBe(0);
    expect(m.describe()).toMatch(/; best correlation 0\.\d\d at \+\d+ ms \(needs 0\.70\)$/);
    const beep = toInt16(tones(500, [{ hz: 1000, dbfs: -10 }]));
    expect(match({ kind: 'reference', samples: beep }, g711(tones(3000, [{ hz: 1200, dbfs: -10 }]), 'pcmu'))).toBeUndefined();
    expect(match({ kind: 'reference', samples: prompt }, g711(tones(3000, [{ hz: 400, dbfs: -10 }]), 'pcmu'))).toBeUndefined();
  });

  it('says when the stream is still shorter than the prompt', () => {
    const m = new AudioMatcher({ kind: 'reference', samples: toInt16(speechLike(2000, 83)) });
    run(m, new Int16Array(800));
    expect(m.heard().bestCorrelation).toBeUndefined();
    expect(m.describe()).toMatch(/shorter than the 2\.0 s reference: no correlation$/);
  });

  it('finds a prompt that ends the stream (heard() searches the last offsets)', () => {
    const prompt = toInt16(speechLike(1000, 84, -18));
    const m = new AudioMatcher({ kind: 'reference', samples: prompt });
    expect(run(m, concat(silence(330), prompt))).toBeUndefined(); // the last offsets wait for a full block
    expect(m.heard().bestCorrelation!).toBeGreaterThan(0.99);
    expect(m.push(new Int16Array(0))?.offsetMs).toBeCloseTo(330, 0);
  });

  it('costs well under 3 ms per 20 ms frame for a 5 s prompt', () => {
    const prompt = toInt16(speechLike(5000, 85, -18));
    const stream = g711(concat(speechLike(25_000, 86, -18), prompt, silence(300)), 'pcmu');
    const m = new AudioMatcher({ kind: 'reference', samples: prompt });
    const t0 = performance.now();
    const hit = run(m, stream);
    const perFrame = (performance.now() - t0) / (stream.length / 160);
    expect(hit?.offsetMs).toBeCloseTo(25_000, 0);
    expect(perFrame).toBeLessThan(3);
  });
});

describe('AudioMatcher: heard() and describe()', () => {
  it('sums up what was heard', () => {
    const m = new AudioMatcher({ kind: 'silence', minDurationMs: 5000 });
    run(m, g711(concat(tones(1000, [{ hz: 440, dbfs: -20 }]), silence(1000)), 'none'));
    const h = m.heard();
    expect(h.durationMs).toBe(2000);
    expect(h.levelDbfs).toBeCloseTo(-23.01, 1);
    expect(h.peakLevelDbfs).toBeCloseTo(-20, 0);
    expect(h.dominantHz).toBeCloseTo(440, 0);
    expect(h.longestRunMs).toBe(1000);
    expect(m.describe()).toBe('heard 2.0 s: level -23.0 dBFS (peak -19.9), mostly 440 Hz; longest run below -50 dBFS 1000 ms (needs 5000 ms)');
  });

  it('reports silence as silent, and a match first', () => {
    const m = new AudioMatcher({ kind: 'sound', minDurationMs: 100 });
    run(m, new Int16Array(1600));
    expect(m.heard()).toEqual({ durationMs: 200, levelDbfs: -100, peakLevelDbfs: -100, dominantHz: undefined, longestRunMs: 0 });
    expect(m.describe()).toBe('heard 0.2 s: level -100.0 dBFS (peak -100.0), silent; longest run at or above -40 dBFS 0 ms (needs 100 ms)');
    run(m, g711(tones(200, [{ hz: 700, dbfs: -10 }]), 'none'));
    expect(m.describe()).toMatch(/^matched at 0\.20 s for 100 ms; heard 0\.4 s/);
  });
});

describe('AudioMatcher: expectations', () => {
  const bad: [string, unknown][] = [
    ['negative duration', { kind: 'tone', frequencyHz: 425, minDurationMs: -1 }],
    ['negative tolerance', { kind: 'tone', frequencyHz: 425, toleranceHz: -5 }],
    ['frequency below 50 Hz', { kind: 'tone', frequencyHz: 40 }],
    ['frequency above 3950 Hz', { kind: 'tone', frequencyHz: 4000 }],
    ['no frequency', { kind: 'tone' }],
    ['NaN level', { kind: 'sound', levelDbfs: Number.NaN }],
    ['positive level', { kind: 'silence', levelDbfs: 3 }],
    ['negative silence duration', { kind: 'silence', minDurationMs: -10 }],
    ['empty reference', { kind: 'reference', samples: new Int16Array(0) }],
    ['reference under 100 ms', { kind: 'reference', samples: new Int16Array(799).fill(100) }],
    ['silent reference', { kind: 'reference', samples: new Int16Array(8000) }],
    ['not samples', { kind: 'reference', samples: [1, 2, 3] }],
    ['correlation above 1', { kind: 'reference', samples: toInt16(speechLike(500, 1)), minCorrelation: 1.2 }],
    ['correlation below 0', { kind: 'reference', samples: toInt16(speechLike(500, 1)), minCorrelation: -0.1 }],
    ['unknown kind', { kind: 'music' }],
    ['not an object', null],
  ];
  for (const [what, e] of bad) {
    it(`refuses ${what} with AudioAnalysisError bad-expectation`, () => {
      try {
        new AudioMatcher(e as AudioExpectation);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(AudioAnalysisError);
        expect((err as AudioAnalysisError).name).toBe('AudioAnalysisError');
        expect((err as AudioAnalysisError).code).toBe('bad-expectation');
      }
    });
  }
});
