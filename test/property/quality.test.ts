// Call-quality properties: the E-model's MOS stays within 1–4.5 and never rises (beyond
// floating-point rounding) with more loss, more burstiness or more delay, nor does assessQuality's
// with more jitter or a longer round trip; inputs it cannot use give a QualityError, never NaN; the
// burst ratio measured on seeded Gilbert-model loss patterns approaches the model's 1/(p + q)
// (about 1 for random loss), and BurstEstimator agrees exactly with lossPattern whatever the start,
// wrap, reordering or duplicates.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BurstEstimator, lossPattern, markovBurstRatio } from '../../src/media/quality/burst.js';
import { eModel, MAX_DELAY_MS, mosFromR, QualityError } from '../../src/media/quality/e-model.js';
import { assessQuality, type MediaMeasurement } from '../../src/media/quality/quality.js';
import { prng } from '../fuzz/mutate.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

const loss = fc.double({ min: 0, max: 100, noNaN: true });
const burst = fc.double({ min: 1, max: 50, noNaN: true });
const delay = fc.oneof(fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 0, max: MAX_DELAY_MS, noNaN: true }));
const plc = fc.boolean();
/** b ≤ a, but for floating-point rounding (the terms are computed separately; 1 ulp of R is 1e-14). */
const notAbove = (b: number, a: number): void => expect(b).toBeLessThanOrEqual(a + 1e-9);

/** Two values in order. */
const ordered = (a: fc.Arbitrary<number>): fc.Arbitrary<[number, number]> => fc.tuple(a, a).map(([x, y]) => (x <= y ? [x, y] : [y, x]));

/** A seeded 32-bit generator (mulberry32), uniform in [0, 1). */
const seeded = prng;

/** `n` packets of a Gilbert (two-state Markov) loss process: lost after received with p, received after lost with q. Starts and ends received. */
function gilbert(n: number, p: number, q: number, random: () => number): boolean[] {
  const lost: boolean[] = [false];
  let state = false;
  for (let i = 1; i < n - 1; i++) {
    state = state ? random() >= q : random() < p;
    lost.push(state);
  }
  lost.push(false);
  return lost;
}

describe('E-model properties', () => {
  it('MOS is within 1–4.5 and R finite for every valid input', () => {
    fc.assert(
      fc.property(loss, burst, delay, plc, (lossPercent, burstRatio, delayMs, p) => {
        const r = eModel({ codec: 'PCMU', plc: p, lossPercent, burstRatio, delayMs });
        expect(Number.isFinite(r.r)).toBe(true);
        expect(r.mos).toBeGreaterThanOrEqual(1);
        expect(r.mos).toBeLessThanOrEqual(4.5);
        expect(r.mos).toBe(mosFromR(r.r));
      }),
      { numRuns: runs(300) },
    );
  });

  it('MOS (and R) never rise with more loss', () => {
    fc.assert(
      fc.property(ordered(loss), burst, delay, plc, ([less, more], burstRatio, delayMs, p) => {
        const a = eModel({ codec: 'PCMU', plc: p, lossPercent: less, burstRatio, delayMs });
        const b = eModel({ codec: 'PCMU', plc: p, lossPercent: more, burstRatio, delayMs });
        notAbove(b.r, a.r);
        notAbove(b.mos, a.mos);
      }),
      { numRuns: runs(300) },
    );
  });

  it('MOS never rises with burstier loss', () => {
    fc.assert(
      fc.property(loss, ordered(fc.double({ min: 0.01, max: 50, noNaN: true })), delay, plc, (lossPercent, [less, more], delayMs, p) => {
        const a = eModel({ codec: 'PCMA', plc: p, lossPercent, burstRatio: less, delayMs });
        const b = eModel({ codec: 'PCMA', plc: p, lossPercent, burstRatio: more, delayMs });
        notAbove(b.r, a.r);
        notAbove(b.mos, a.mos);
      }),
      { numRuns: runs(300) },
    );
  });

  it('MOS never rises with more delay', () => {
    const delays = fc.oneof(ordered(fc.double({ min: 0, max: 10, noNaN: true })), ordered(fc.double({ min: 0, max: 600, noNaN: true })), ordered(delay));
    fc.assert(
      fc.property(loss, burst, delays, plc, (lossPercent, burstRatio, [less, more], p) => {
        const a = eModel({ codec: 'PCMU', plc: p, lossPercent, burstRatio, delayMs: less });
        const b = eModel({ codec: 'PCMU', plc: p, lossPercent, burstRatio, delayMs: more });
        notAbove(b.r, a.r);
        notAbove(b.mos, a.mos);
      }),
      { numRuns: runs(400) },
    );
  });

  it('assessQuality: MOS never rises with more jitter or a longer round trip', () => {
    const measured = (jitterMs: number, roundTripMs: number | undefined, lossPercent: number): MediaMeasurement => ({
      codec: 'PCMU', packetsReceived: 1000, packetsSent: 1000, lost: 0, lossPercent, jitterMs, burstRatio: 1.5, roundTripMs,
    });
    fc.assert(
      fc.property(ordered(fc.double({ min: 0, max: 2000, noNaN: true })), ordered(fc.double({ min: 0, max: 5000, noNaN: true })), loss, ([j1, j2], [rtt1, rtt2], l) => {
        notAbove(assessQuality(measured(j2, rtt1, l)).mos, assessQuality(measured(j1, rtt1, l)).mos);
        notAbove(assessQuality(measured(j1, rtt2, l)).mos, assessQuality(measured(j1, rtt1, l)).mos);
        notAbove(assessQuality(measured(j1, undefined, l), { assumedNetworkDelayMs: rtt2 }).mos, assessQuality(measured(j1, undefined, l), { assumedNetworkDelayMs: rtt1 }).mos);
      }),
      { numRuns: runs(200) },
    );
  });

  it('whatever numbers it is given, it answers a finite MOS or throws QualityError bad-input', () => {
    const anything = fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(-0), fc.integer({ min: -10, max: 200 }));
    fc.assert(
      fc.property(anything, anything, anything, (lossPercent, burstRatio, delayMs) => {
        try {
          const r = eModel({ codec: 'PCMU', lossPercent, burstRatio, delayMs });
          expect(Number.isFinite(r.r)).toBe(true);
          expect(r.mos >= 1 && r.mos <= 4.5).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(QualityError);
          expect((err as QualityError).code).toBe('bad-input');
        }
      }),
      { numRuns: runs(500) },
    );
  });
});

describe('burst ratio properties', () => {
  it('a seeded Gilbert-model pattern has a burst ratio near 1/(p + q)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.02, max: 0.2, noNaN: true }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.integer(), (p, q, seed) => {
        const lost = gilbert(100_000, p, q, seeded(seed));
        const measured = lossPattern(lost);
        const model = markovBurstRatio(p, q);
        // Over 1600 bursts: the mean burst length is within 2.3 % (one standard error) of 1/q, and
        // the loss rate within 2.8 % of p/(p + q).
        expect(Math.abs(measured.burstRatio / model - 1)).toBeLessThan(0.1);
        expect(Math.abs(measured.lossRate / (p / (p + q)) - 1)).toBeLessThan(0.15);
        // The estimator, fed only the received sequence numbers, sees the same pattern.
        const est = new BurstEstimator();
        const start = seed & 0xffff;
        for (let i = 0; i < lost.length; i++) if (!lost[i]) est.received((start + i) % 65536);
        expect(est.pattern()).toEqual(measured);
      }),
      { numRuns: runs(20) },
    );
  });

  it('random (independent) loss has a burst ratio near 1', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.005, max: 0.3, noNaN: true }), fc.integer(), (rate, seed) => {
        // Independent loss is the Gilbert model with p + q = 1.
        const lost = gilbert(100_000, rate, 1 - rate, seeded(seed));
        expect(Math.abs(lossPattern(lost).burstRatio - 1)).toBeLessThan(0.05);
      }),
      { numRuns: runs(20) },
    );
  });

  it('BurstEstimator agrees with lossPattern whatever the start, wrap, late packets (under 100 places) and duplicates', () => {
    const pattern = fc.array(fc.boolean(), { minLength: 1, maxLength: 1500 }).map((l) => [false, ...l, false]);
    const moves = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 60 })), { maxLength: 30 });
    const dups = fc.array(fc.nat(), { maxLength: 10 });
    fc.assert(
      fc.property(pattern, fc.integer({ min: 0, max: 65535 }), moves, dups, (lost, start, mv, dp) => {
        // Arrival order: extended sequence numbers (no wrap) moved later by up to 60 places.
        const arrivals = lost.flatMap((l, i) => (l ? [] : [start + i]));
        for (const [from, by] of mv) {
          const i = 1 + (from % Math.max(1, arrivals.length - 1)); // never the first packet
          const j = Math.min(arrivals.length - 1, i + by);
          const s = arrivals[i]!;
          if (i >= arrivals.length - 1) continue;
          // Late by fewer than 100 sequence numbers than the highest seen when it arrives (MAX_MISORDER).
          if (Math.max(...arrivals.slice(0, j + 1)) - s >= 100) continue;
          arrivals.splice(i, 1);
          arrivals.splice(j, 0, s);
        }
        for (const at of dp) {
          const i = at % arrivals.length;
          arrivals.splice(i + 1, 0, arrivals[i]!);
        }
        const est = new BurstEstimator();
        for (const s of arrivals) est.received(s % 65536);
        expect(est.pattern()).toEqual(lossPattern(lost));
        expect(est.ignored).toBe(dp.length);
      }),
      { numRuns: runs(200) },
    );
  });
});
