// The statistics of load runs: counters, exact millisecond percentiles, failure groups (a
// timeout's details cut), the CSV row, and merging runs.

import { describe, expect, it } from 'vitest';
import { LOAD_CSV_COLUMNS, LoadStats, type LoopFigures, SETUP_HISTOGRAM_MS, loadCsvRow, mergeLoadSummaries, percentileOf } from '../../src/engine/index.js';

describe('percentileOf', () => {
  it('is the nearest rank over a millisecond histogram', () => {
    const h = new Uint32Array(10);
    h[1] = 50;
    h[5] = 45;
    h[9] = 5;
    expect(percentileOf(h, 100, 0.5)).toBe(1);
    expect(percentileOf(h, 100, 0.51)).toBe(5);
    expect(percentileOf(h, 100, 0.95)).toBe(5);
    expect(percentileOf(h, 100, 0.99)).toBe(9);
    expect(percentileOf(h, 0, 0.5)).toBeUndefined();
  });
});

describe('LoadStats', () => {
  it('counts calls, concurrency, setup times and failures grouped by node and reason', () => {
    const s = new LoadStats(1000);
    for (let i = 0; i < 4; i++) s.started();
    s.answered(12.4);
    s.answered(30);
    s.answered(SETUP_HISTOGRAM_MS * 2); // beyond the histogram: in its last bucket
    s.ended(undefined);
    s.ended({ nodeId: 'ring', instanceId: 'alice', message: 'RINGING event timeout after 10s: waiting for a 180 or 183; on call call-1 (calling)' });
    s.ended({ nodeId: 'ring', instanceId: 'alice', message: 'RINGING event timeout after 10s: waiting for a 180 or 183; on call call-1 (early)' });
    s.served();
    s.servedEnded({ nodeId: 'answer', instanceId: 'bob', message: 'Answer failed' });
    const snap = s.snapshot(3000);
    expect(snap).toMatchObject({ elapsedS: 2, started: 4, completed: 1, failed: 2, concurrent: 1, maxConcurrent: 4, served: 1, servedFailed: 1, rate: 2, averageRate: 2, setupP50Ms: 30, setupP99Ms: SETUP_HISTOGRAM_MS });
    expect(s.failureGroups()).toEqual([
      { nodeId: 'ring', instanceId: 'alice', reason: 'RINGING event timeout after 10s', count: 2 },
      { nodeId: 'answer', instanceId: 'bob', reason: 'Answer failed', count: 1 },
    ]);
    expect(s.setupHistogram()).toEqual([[12, 1], [30, 1], [SETUP_HISTOGRAM_MS, 1]]);
    // The interval rate is since the previous snapshot.
    expect(s.snapshot(4000).rate).toBe(0);
  });

  it('writes a CSV row per snapshot, with the columns of its header', () => {
    const s = new LoadStats(0);
    const row = loadCsvRow(s.snapshot(1500)).split(',');
    expect(row).toHaveLength(LOAD_CSV_COLUMNS.length);
    expect(row[LOAD_CSV_COLUMNS.indexOf('ElapsedS')]).toBe('1.500');
    expect(row[LOAD_CSV_COLUMNS.indexOf('SetupP50Ms')]).toBe('');
    expect([row[LOAD_CSV_COLUMNS.indexOf('LoopLagP99Ms')], row[LOAD_CSV_COLUMNS.indexOf('LoopLagMaxMs')]]).toEqual(['', '']);
  });

  it('adds up the time each limit held due calls back, in seconds, in the snapshot and the CSV row', () => {
    const s = new LoadStats(0);
    expect(s.snapshot(500)).toMatchObject({ heldByConcurrencyS: 0, heldBySetupLimitS: 0 });
    s.held('setup', 20);
    s.held('setup', 1250);
    s.held('concurrency', 5);
    const snap = s.snapshot(2000);
    expect(snap).toMatchObject({ heldByConcurrencyS: 0.005, heldBySetupLimitS: 1.27 });
    const row = loadCsvRow(snap).split(',');
    expect([row[LOAD_CSV_COLUMNS.indexOf('HeldByConcurrencyS')], row[LOAD_CSV_COLUMNS.indexOf('HeldBySetupLimitS')]]).toEqual(['0.005', '1.270']);
  });

  it('takes the event loop figures from what it is given: lag as given, busy share over the last interval and the busiest one', () => {
    let loop: LoopFigures | undefined;
    const s = new LoadStats(0, () => loop);
    expect(s.snapshot(1000)).toMatchObject({ loopLagP99Ms: undefined, loopLagMaxMs: undefined, loopBusy: undefined, maxLoopBusy: undefined });
    loop = { lagP99Ms: 1.5, lagMaxMs: 120, activeMs: 250, idleMs: 750 };
    expect(s.snapshot(2000)).toMatchObject({ loopLagP99Ms: 1.5, loopLagMaxMs: 120, loopBusy: 25, maxLoopBusy: 25 });
    loop = { lagP99Ms: 3, lagMaxMs: 120, activeMs: 250 + 950, idleMs: 750 + 50 };
    const snap = s.snapshot(3000);
    expect(snap).toMatchObject({ loopLagP99Ms: 3, loopBusy: 95, maxLoopBusy: 95 });
    // a quiet interval after it: the busiest stays
    loop = { lagP99Ms: 3, lagMaxMs: 120, activeMs: 1200 + 100, idleMs: 800 + 900 };
    expect(s.snapshot(4000)).toMatchObject({ loopBusy: 10, maxLoopBusy: 95 });
    const row = loadCsvRow(snap).split(',');
    const col = (name: (typeof LOAD_CSV_COLUMNS)[number]): string => row[LOAD_CSV_COLUMNS.indexOf(name)]!;
    expect([col('LoopLagP99Ms'), col('LoopLagMaxMs'), col('LoopBusyPercent'), col('MaxLoopBusyPercent')]).toEqual(['3.0', '120.0', '95.0', '95.0']);
  });
});

describe('mergeLoadSummaries', () => {
  it('adds counts and rates, merges histograms and failure groups, keeps the longest time', () => {
    const a = new LoadStats(0);
    const b = new LoadStats(0);
    for (const [stats, setups] of [[a, [10, 10, 10]], [b, [40]]] as const) {
      for (const ms of setups) {
        stats.started();
        stats.answered(ms);
        stats.ended(undefined);
      }
    }
    b.started();
    b.ended({ nodeId: 'x', instanceId: 'i', message: 'boom' });
    const part = (s: LoadStats, at: number) => ({ totals: s.snapshot(at), failures: s.failureGroups(), setupHistogram: s.setupHistogram() });
    const merged = mergeLoadSummaries([part(a, 1000), part(b, 2000)]);
    expect(merged.totals).toMatchObject({ elapsedS: 2, started: 5, completed: 4, failed: 1, averageRate: 3 + 1, setupP50Ms: 10, setupP95Ms: 40 });
    expect(merged.failures).toEqual([{ nodeId: 'x', instanceId: 'i', reason: 'boom', count: 1 }]);
    expect(merged.setupHistogram).toEqual([[10, 3], [40, 1]]);
    expect(() => mergeLoadSummaries([])).toThrow(RangeError);
  });

  it('keeps each event loop figure at its worst among the runs merged (each its own process), and none when no run had any', () => {
    const part = (loop: LoopFigures | undefined) => ({ totals: new LoadStats(0, () => loop).snapshot(1000), failures: [], setupHistogram: [] });
    const merged = mergeLoadSummaries([part({ lagP99Ms: 2, lagMaxMs: 300, activeMs: 900, idleMs: 100 }), part({ lagP99Ms: 80, lagMaxMs: 90, activeMs: 100, idleMs: 900 }), part(undefined)]);
    expect(merged.totals).toMatchObject({ loopLagP99Ms: 80, loopLagMaxMs: 300, loopBusy: 90, maxLoopBusy: 90 });
    expect(mergeLoadSummaries([part(undefined)]).totals).toMatchObject({ loopLagP99Ms: undefined, loopLagMaxMs: undefined, loopBusy: undefined, maxLoopBusy: undefined });
  });

  it('keeps the longest time a limit held calls back among the runs merged, and none from statistics written before those fields', () => {
    const held = (setupMs: number, concurrencyMs: number) => {
      const s = new LoadStats(0);
      s.held('setup', setupMs);
      s.held('concurrency', concurrencyMs);
      return { totals: s.snapshot(1000), failures: [], setupHistogram: [] };
    };
    expect(mergeLoadSummaries([held(300, 0), held(100, 40)]).totals).toMatchObject({ heldBySetupLimitS: 0.3, heldByConcurrencyS: 0.04 });
    const { heldBySetupLimitS: _s, heldByConcurrencyS: _c, ...older } = held(0, 0).totals;
    expect(mergeLoadSummaries([{ totals: older, failures: [], setupHistogram: [] }]).totals).toMatchObject({ heldBySetupLimitS: undefined, heldByConcurrencyS: undefined });
  });

  it('carries what the instances\' limits did so far into each snapshot and CSV row', () => {
    const s = new LoadStats(0);
    expect(s.snapshot(500)).toMatchObject({ refusedAtMaxDialogs: 0, refusedAtMaxTransactions: 0, lingeringEndedEarly: 0 });
    Object.assign(s.refused, { atMaxDialogs: 4, atMaxTransactions: 1, lingeringEnded: 2500 });
    const snap = s.snapshot(1000);
    expect(snap).toMatchObject({ refusedAtMaxDialogs: 4, refusedAtMaxTransactions: 1, lingeringEndedEarly: 2500 });
    const row = loadCsvRow(snap).split(',');
    expect(['RefusedAtMaxDialogs', 'RefusedAtMaxTransactions', 'LingeringEndedEarly'].map((c) => row[LOAD_CSV_COLUMNS.indexOf(c as (typeof LOAD_CSV_COLUMNS)[number])])).toEqual(['4', '1', '2500']);
    // An older snapshot without them: empty cells.
    const { refusedAtMaxDialogs: _d, refusedAtMaxTransactions: _t, lingeringEndedEarly: _l, ...older } = snap;
    expect(loadCsvRow(older).split(',').slice(-3)).toEqual(['', '', '']);
  });

  it('adds up the runs\' refusals in the merged snapshot too, a snapshot without them counting none', () => {
    const part = (d: number, t: number, l: number) => {
      const s = new LoadStats(0);
      Object.assign(s.refused, { atMaxDialogs: d, atMaxTransactions: t, lingeringEnded: l });
      return { totals: s.snapshot(1000), failures: [], setupHistogram: [] };
    };
    const { refusedAtMaxDialogs: _d, refusedAtMaxTransactions: _t, lingeringEndedEarly: _l, ...older } = part(9, 9, 9).totals;
    const merged = mergeLoadSummaries([part(3, 0, 100), part(2, 7, 50), { totals: older, failures: [], setupHistogram: [] }]);
    expect(merged.totals).toMatchObject({ refusedAtMaxDialogs: 5, refusedAtMaxTransactions: 7, lingeringEndedEarly: 150 });
  });

  it('reads the process\'s memory at each snapshot: resident set and heap in MB, and the most resident set so far', () => {
    expect(new LoadStats(0).snapshot(1000)).toMatchObject({ rssMB: undefined, maxRssMB: undefined, heapUsedMB: undefined });
    let memory = { rssBytes: 200_040_000, heapUsedBytes: 80_000_000 };
    const s = new LoadStats(0, undefined, () => memory);
    expect(s.snapshot(1000)).toMatchObject({ rssMB: 200, maxRssMB: 200, heapUsedMB: 80 });
    memory = { rssBytes: 512_345_678, heapUsedBytes: 300_000_000 };
    expect(s.snapshot(2000)).toMatchObject({ rssMB: 512.3, maxRssMB: 512.3, heapUsedMB: 300 });
    memory = { rssBytes: 400_000_000, heapUsedBytes: 90_000_000 };
    const snap = s.snapshot(3000);
    expect(snap).toMatchObject({ rssMB: 400, maxRssMB: 512.3, heapUsedMB: 90 });
    const row = loadCsvRow(snap).split(',');
    expect(['RssMB', 'MaxRssMB', 'HeapUsedMB'].map((c) => row[LOAD_CSV_COLUMNS.indexOf(c as (typeof LOAD_CSV_COLUMNS)[number])])).toEqual(['400.0', '512.3', '90.0']);
    expect(loadCsvRow(new LoadStats(0).snapshot(1000)).split(',').slice(-3)).toEqual(['', '', '']);
    // A reader that cannot say (the system refused) leaves them out, and the load goes on.
    expect(new LoadStats(0, undefined, () => undefined).snapshot(1000)).toMatchObject({ rssMB: undefined, maxRssMB: undefined, heapUsedMB: undefined });
  });

  it('adds up the memory of the runs merged (each its own process), and has none when no run had any', () => {
    const part = (rssBytes: number | undefined) => ({ totals: new LoadStats(0, undefined, rssBytes === undefined ? undefined : () => ({ rssBytes, heapUsedBytes: rssBytes / 2 })).snapshot(1000), failures: [], setupHistogram: [] });
    expect(mergeLoadSummaries([part(100e6), part(150.5e6), part(undefined)]).totals).toMatchObject({ rssMB: 250.5, maxRssMB: 250.5, heapUsedMB: 125.3 });
    expect(mergeLoadSummaries([part(undefined)]).totals).toMatchObject({ rssMB: undefined, maxRssMB: undefined, heapUsedMB: undefined });
  });

  it('adds up the refusals of the runs merged, a run without them (older NDJSON) counting none', () => {
    const totals = new LoadStats(0).snapshot(1000);
    const merged = mergeLoadSummaries([
      { totals, failures: [], setupHistogram: [], refusals: { atMaxDialogs: 3, atMaxTransactions: 0, lingeringEnded: 1200 } },
      { totals, failures: [], setupHistogram: [], refusals: { atMaxDialogs: 2, atMaxTransactions: 7, lingeringEnded: 800 } },
      { totals, failures: [], setupHistogram: [] },
    ]);
    expect(merged.refusals).toEqual({ atMaxDialogs: 5, atMaxTransactions: 7, lingeringEnded: 2000 });
    expect(mergeLoadSummaries([{ totals, failures: [], setupHistogram: [] }]).refusals).toEqual({ atMaxDialogs: 0, atMaxTransactions: 0, lingeringEnded: 0 });
  });
});
