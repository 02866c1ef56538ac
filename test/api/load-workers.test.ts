// What the parent of `sipflow load --workers n` computes without running any: each worker's share
// of a total and its command line, and their warm-ups as one (the load:ready line).

import { describe, expect, it } from 'vitest';
import { mergeWarmups, shareOf, workerArgs, type WorkerPlan } from '../../src/api/cli/load-workers.js';

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

  it("gives each worker its share of the rate, calls, concurrency and setup limit, and passes the rest on as given", () => {
    const plan: WorkerPlan = {
      file: 'call.json', workers: 3, rate: 300, calls: 2, concurrency: 10, setupLimit: 50, durationS: 5, rampS: undefined, settleS: 1, warmupCalls: 0,
      intervalS: 1, media: 'off', portBase: 20000, portsPerWorker: 10, vars: { TARGET: 'sip:x@127.0.0.1' }, allowOutsideFiles: true, env: {},
    };
    const flag = (args: string[] | undefined, name: string): string | undefined => (args === undefined ? undefined : args[args.indexOf(name) + 1]);
    const first = workerArgs(plan, 0);
    expect(first?.slice(0, 2)).toEqual(['load', 'call.json']);
    expect(['--rate', '--calls', '--concurrency', '--setup-limit', '--port-base', '--duration', '--settle', '--var'].map((f) => flag(first, f))).toEqual(['100', '1', '4', '17', '20000', '5', '1', 'TARGET=sip:x@127.0.0.1']);
    expect(first).toContain('--allow-outside-files');
    expect(flag(workerArgs(plan, 1), '--port-base')).toBe('20010');
    // Two calls for three workers: the third has none and does not run.
    expect(workerArgs(plan, 2)).toBeUndefined();
    expect(flag(workerArgs({ ...plan, setupLimit: Infinity }, 0), '--setup-limit')).toBe('off');
    expect(workerArgs({ ...plan, setupLimit: undefined }, 0)).not.toContain('--setup-limit');
    // The instance limits bound each worker's own instances: passed on whole, not shared out.
    const limited = workerArgs({ ...plan, maxDialogs: 30_000, maxTransactions: 250_000 }, 1);
    expect([flag(limited, '--max-dialogs'), flag(limited, '--max-transactions')]).toEqual(['30000', '250000']);
    expect(first).not.toContain('--max-dialogs');
  });
});
