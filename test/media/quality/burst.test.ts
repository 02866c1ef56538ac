// The burst ratio (G.107 §7.5): from counts, from a Gilbert model, from a loss pattern, and kept
// packet by packet by BurstEstimator across wraparound, late and duplicate packets, sender
// restarts and source changes. The statistical checks (Gilbert patterns approach 1/(p + q)) are in
// test/property/quality.test.ts.
import { describe, expect, it } from 'vitest';
import { BurstEstimator, burstRatioOf, lossPattern, markovBurstRatio } from '../../../src/media/quality/burst.js';
import { QualityError } from '../../../src/media/quality/e-model.js';
import { thrown } from '../helpers.js';

/** Feeds the estimator and returns it. */
const fed = (seqs: number[], est = new BurstEstimator()): BurstEstimator => {
  for (const s of seqs) est.received(s);
  return est;
};
/** Sequence numbers from `start`, `n` of them, wrapping at 65536, without those at the given offsets. */
const stream = (start: number, n: number, dropped: number[] = []): number[] => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!dropped.includes(i)) out.push((start + i) % 65536);
  return out;
};

describe('burstRatioOf, markovBurstRatio, lossPattern', () => {
  it('the TSDoc examples', () => {
    expect(burstRatioOf(100, 10, 2)).toBeCloseTo(4.5, 12);
    expect(markovBurstRatio(0.01, 0.99)).toBe(1);
    expect(markovBurstRatio(0.01, 0.25)).toBeCloseTo(3.846, 3);
    expect(lossPattern([false, true, true, false, false, true, false, false])).toEqual({ packets: 8, lost: 3, bursts: 2, lossRate: 0.375, meanBurstLength: 1.5, burstRatio: 0.9375 });
    expect(fed([1, 2, 5, 6, 7, 9]).pattern()).toEqual({ packets: 9, lost: 3, bursts: 2, lossRate: 1 / 3, meanBurstLength: 1.5, burstRatio: 1 });
  });

  it('is 1 with nothing or everything lost, and (lost/bursts)·(1 − lost/packets) otherwise', () => {
    expect(burstRatioOf(0, 0, 0)).toBe(1);
    expect(burstRatioOf(50, 0, 0)).toBe(1);
    expect(burstRatioOf(50, 50, 1)).toBe(1);
    expect(burstRatioOf(100, 5, 5)).toBeCloseTo(0.95, 12); // isolated losses: evener than random
    expect(burstRatioOf(100, 5, 1)).toBeCloseTo(4.75, 12);
    expect(lossPattern([]).burstRatio).toBe(1);
    expect(lossPattern([true, true, false]).meanBurstLength).toBe(2);
  });

  it('refuses counts that cannot describe a pattern, and probabilities outside 0–1', () => {
    const code = (fn: () => unknown): string => thrown(QualityError, 'QualityError', fn).code;
    expect(code(() => burstRatioOf(-1, 0, 0))).toBe('bad-input');
    expect(code(() => burstRatioOf(10, 1.5, 1))).toBe('bad-input');
    expect(code(() => burstRatioOf(10, 11, 1))).toBe('bad-input');
    expect(code(() => burstRatioOf(10, 3, 4))).toBe('bad-input'); // more bursts than losses
    expect(code(() => burstRatioOf(10, 3, 0))).toBe('bad-input');
    expect(code(() => burstRatioOf(10, 0, 1))).toBe('bad-input');
    expect(code(() => burstRatioOf(4, 3, 3))).toBe('bad-input'); // 3 runs need 2 received between them
    expect(burstRatioOf(5, 3, 3)).toBeCloseTo(0.4, 12);
    expect(code(() => markovBurstRatio(-0.1, 0.5))).toBe('bad-input');
    expect(code(() => markovBurstRatio(0.5, Number.NaN))).toBe('bad-input');
    expect(code(() => markovBurstRatio(0, 0))).toBe('bad-input');
  });
});

describe('BurstEstimator', () => {
  it('counts the losses in runs, as lossPattern does', () => {
    const est = fed(stream(1000, 100, [20, 21, 22, 50, 51, 52, 80, 81, 82]));
    const p = est.pattern();
    expect(p).toMatchObject({ packets: 100, lost: 9, bursts: 3 });
    expect(p.burstRatio).toBeCloseTo(3 * (1 - 0.09), 12);
    expect(est.burstRatio).toBe(p.burstRatio);
  });

  it('follows the sequence numbers across their wrap at 65536', () => {
    const est = fed(stream(65500, 300, [30, 35, 36, 37, 200]));
    expect(est.pattern()).toMatchObject({ packets: 300, lost: 5, bursts: 3 });
  });

  it('counts a packet up to 100 places late as received, and ignores duplicates', () => {
    const seqs = stream(10, 200);
    // packet 50 arrives 90 places late, packet 120 twice
    seqs.splice(50, 1);
    seqs.splice(139, 0, 60);
    seqs.splice(160, 0, 120);
    const est = fed(seqs);
    expect(est.pattern()).toMatchObject({ packets: 200, lost: 0, bursts: 0 });
    expect(est.ignored).toBe(1);
  });

  it('a packet more than 128 places late stays lost, and is ignored', () => {
    const seqs = stream(10, 300);
    seqs.splice(5, 1);
    seqs.push(15); // back by 294
    const est = fed(seqs);
    expect(est.pattern()).toMatchObject({ packets: 300, lost: 1, bursts: 1 });
    expect(est.ignored).toBe(1);
  });

  it('counts the packets not judged yet as they stand (the last 128)', () => {
    const est = fed(stream(0, 10, [7]));
    expect(est.pattern()).toMatchObject({ packets: 10, lost: 1, bursts: 1 });
    est.received(7); // late, within the window: no longer lost
    expect(est.pattern()).toMatchObject({ packets: 10, lost: 0, bursts: 0 });
  });

  it('ignores a single large jump, and restarts (keeping its counts) when the next packet follows it', () => {
    const est = fed([...stream(100, 50, [10]), 40000, ...stream(150, 10)]);
    expect(est.pattern()).toMatchObject({ packets: 60, lost: 1 });
    expect(est.ignored).toBe(1);
    fed([30000, 30001, 30003], est);
    expect(est.pattern()).toMatchObject({ packets: 64, lost: 2, bursts: 2 });
    expect(est.ignored).toBe(1); // 40000 stays ignored; 30000 was confirmed by 30001
  });

  it('a restart keeps the runs before it and counts those after it on their own', () => {
    // 1–3 with 2 lost; the sender restarts at 5000 (confirmed by 5001); 5002 lost.
    const est = fed([1, 3, 5000, 5001, 5003]);
    expect(est.pattern()).toMatchObject({ packets: 7, lost: 2, bursts: 2 });
  });

  it('reset forgets everything: a new source', () => {
    const est = fed(stream(0, 20, [3, 4]));
    est.reset();
    expect(est.pattern()).toEqual({ packets: 0, lost: 0, bursts: 0, lossRate: 0, meanBurstLength: 0, burstRatio: 1 });
    fed(stream(500, 5), est);
    expect(est.pattern()).toMatchObject({ packets: 5, lost: 0 });
  });

  it('refuses what is not a 16-bit sequence number', () => {
    const est = new BurstEstimator();
    for (const s of [-1, 65536, 1.5, Number.NaN]) expect(thrown(QualityError, 'QualityError', () => est.received(s)).code).toBe('bad-input');
  });
});
