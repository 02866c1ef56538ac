// What the parent of `sipflow load --workers n` computes from its workers' lines without running
// any: each worker's share of a total, and their warm-ups as one (the load:ready line).

import { describe, expect, it } from 'vitest';
import { mergeWarmups, shareOf } from '../../src/api/cli/load-workers.js';

describe('load workers', () => {
  it('splits a total as evenly as whole numbers allow, the remainder to the first workers', () => {
    expect([0, 1, 2].map((i) => shareOf(10, 3, i))).toEqual([4, 3, 3]);
    expect([0, 1, 2].map((i) => shareOf(2, 3, i))).toEqual([1, 1, 0]);
  });

  it('merges warm-ups: calls (and foreign ones), failures and CPU add up, the longest duration, the first problem; none when no worker warmed up', () => {
    const a = { calls: 1000, foreign: 500, failed: 0, problem: undefined, durationMs: 1600, cpuUs: 2_400_000 };
    const b = { calls: 1000, foreign: 500, failed: 2, problem: 'MakeCall failed: 503 Service Unavailable', durationMs: 1900, cpuUs: 2_600_000 };
    expect(mergeWarmups([a, b])).toEqual({ calls: 2000, foreign: 1000, failed: 2, problem: 'MakeCall failed: 503 Service Unavailable', durationMs: 1900, cpuUs: 5_000_000 });
    // JSON gives null for a value left out
    expect(mergeWarmups([{ ...a, problem: null as unknown as undefined }, null])).toEqual(a);
    // a worker of an older sipflow writes no foreign count
    const { foreign: _, ...old } = a;
    expect(mergeWarmups([old as typeof a, b])).toMatchObject({ calls: 2000, foreign: 500 });
    expect(mergeWarmups([undefined, null])).toBeUndefined();
  });
});
