// sipflow load and sipflow stats merge end to end, in-process: exact counts between two local
// instances, the live line, the CSV statistics file, the NDJSON lines, --max-failures and the exit
// codes, Ctrl-C, usage errors, and merging two runs' summaries. Ports: 29100–29199.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';
import { LOAD_CSV_COLUMNS, LOOP_BUSY_WARNING_PERCENT, LOOP_LAG_WARNING_MS, type LoadSnapshot } from '../../src/engine/index.js';
import { describeSnapshot, summaryText } from '../../src/api/cli/load-command.js';
import { styleOf } from '../../src/api/cli/terminal.js';

const dir = mkdtempSync(join(tmpdir(), 'sipflow-cli-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenario = (file: string, value: unknown): string => {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(value));
  return path;
};
const CALL = scenario('call.json', {
  name: 'call and answer',
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
});
const BUSY = scenario('busy.json', {
  instances: {
    alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: '200' }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 486 }] },
  },
});


interface Json {
  type: string;
  [key: string]: unknown;
}
const lines = (stdout: string): Json[] => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Json);

describe('sipflow load', () => {
  it('runs the calls, shows a line per interval and a summary, writes the CSV, exits 0', async () => {
    const csv = join(dir, 'stats.csv');
    const r = await cli(['load', CALL, '--rate', '50', '--calls', '40', '--stats-interval', '0.25', '--stats-file', csv, '--port-base', '29100', '--warmup', '30']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^▶ load .*call\.json {2}call and answer: 50 calls\/s, 40 calls, after a warm-up of 30 calls\nwarmed up: 30 calls \(14 with other stacks' message forms\) in [\d.]+ s, CPU [\d.]+ s\n/);
    expect(r.stdout).toMatch(/\n[\d.]+ s {2}started \d+ {2}completed \d+ {2}failed 0 {2}concurrent \d+ \(max \d+\) {2}served \d+ {2}rate [\d.]+\/s \(avg [\d.]+\) {2}setup p50 \d+ p95 \d+ p99 \d+ ms {2}retrans 0 {2}4xx 0 5xx 0 6xx 0 {2}loop busy [\d.]+% lag p99 [\d.]+ ms {2}rss \d+ MB\n/);
    expect(r.stdout).toMatch(/✔ PASSED .*call\.json: 40 calls in [\d.]+ s, 40 completed, 0 failed; 40 served, 0 failed\n/);
    const rows = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe(LOAD_CSV_COLUMNS.join(','));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const last = rows.at(-1)!.split(',');
    expect(last).toHaveLength(LOAD_CSV_COLUMNS.length);
    const col = (name: (typeof LOAD_CSV_COLUMNS)[number]): string => last[LOAD_CSV_COLUMNS.indexOf(name)]!;
    expect([col('CallsStarted'), col('CallsCompleted'), col('CallsFailed'), col('Concurrent'), col('Served')]).toEqual(['40', '40', '0', '0', '40']);
  }, 30_000);

  it('redraws one live line on a terminal', async () => {
    const r = await cli(['load', CALL, '--rate', '40', '--calls', '20', '--stats-interval', '0.2', '--port-base', '29120', '--warmup', '0'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\r\x1b[2K');
  }, 30_000);

  it('with --format json: load:ready (after the default warm-up), load:stats lines and a load:summary with the failures grouped; --max-failures sets the exit code', async () => {
    const failing = await cli(['load', BUSY, '--rate', '50', '--calls', '10', '--format', 'json', '--port-base', '29140']);
    expect(failing.code).toBe(1);
    const all = lines(failing.stdout);
    const warmup = { calls: 3000, foreign: 1500, failed: 0, problem: null, durationMs: expect.any(Number), cpuUs: expect.any(Number) };
    expect(all[0]).toEqual({ v: 1, type: 'load:ready', file: BUSY, instances: [expect.objectContaining({ id: 'alice', address: '127.0.0.1' }), expect.objectContaining({ id: 'bob', address: '127.0.0.1' })], warmup });
    expect(all.slice(1, -1).every((l) => l.type === 'load:stats' && l['v'] === 1)).toBe(true);
    const summary = all.at(-1)!;
    expect(summary).toMatchObject({ type: 'load:summary', v: 1, passed: false, maxFailures: 0, status: 'completed', totals: { started: 10, failed: 10, received4xx: 10 }, warmup });
    // sipflow's own memory in every statistics line: a resident set of tens of MB at least, the most so far not below it.
    for (const l of all.slice(1, -1)) {
      expect(l['rssMB']).toBeGreaterThan(20);
      expect(l['maxRssMB']).toBeGreaterThanOrEqual(l['rssMB'] as number);
      expect(l['heapUsedMB']).toBeGreaterThan(1);
    }
    expect(summary['failures']).toEqual([{ nodeId: 'dial', instanceId: 'alice', reason: 'MakeCall failed: 486 Busy Here', count: 10 }]);
    writeFileSync(join(dir, 'busy.ndjson'), failing.stdout);

    const tolerated = await cli(['load', BUSY, '--rate', '50', '--calls', '10', '--max-failures', '10', '--port-base', '29140', '--warmup', '0']);
    expect(tolerated.code).toBe(0);
    expect(tolerated.stdout).toMatch(/✔ PASSED .*busy\.json: 10 calls in [\d.]+ s, 0 completed, 10 failed; 10 served, 0 failed\n[^\n]*\n {2}CPU [\d.]+ s, \d+ µs per call\n {2}event loop busy at most [\d.]+% of an interval; lag p99 [\d.]+ ms, max [\d.]+ ms\n {2}memory: RSS \d+ MB at the end, at most \d+ MB; JavaScript heap \d+ MB in use\n {2}failures by reason:\n {6}10 × dial \(alice\): MakeCall failed: 486 Busy Here\n$/);
  }, 30_000);

  it('stops on Ctrl-C, ends its calls, prints the summary, writes the statistics so far and exits 1', async () => {
    const csv = join(dir, 'interrupted.csv');
    const r = await cli(['load', CALL, '--rate', '20', '--port-base', '29160', '--stats-file', csv, '--stats-interval', '0.2', '--warmup', '0'], { interruptAfter: 600 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Interrupted: stopping the load');
    expect(r.stdout).toMatch(/✘ FAILED .*\(stopped\)\n[\s\S]*the load was stopped before its end\n$/);
    // The CSV ends with the final row: every call started was ended (none left concurrent).
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe(LOAD_CSV_COLUMNS.join(','));
    const last = Object.fromEntries(LOAD_CSV_COLUMNS.map((c, i) => [c, rows.at(-1)!.split(',')[i]]));
    expect(Number(last['CallsStarted'])).toBeGreaterThan(0);
    expect(last['Concurrent']).toBe('0');
  }, 30_000);

  it('--workers 2: two processes share the calls and the rate; their statistics merge, and one load:ready says when both are up', async () => {
    const r = await cli(['load', CALL, '--rate', '40', '--calls', '30', '--workers', '2', '--format', 'json', '--port-base', '29190', '--warmup', '20']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // One load:ready line once both workers are: their instances, their warm-ups (20 calls each) summed.
    const ready = lines(r.stdout)[0]!;
    expect(ready).toMatchObject({ type: 'load:ready', warmup: { calls: 40, failed: 0, problem: null } });
    expect((ready['instances'] as { id: string; worker: number }[]).map((i) => `${i.worker} ${i.id}`).sort()).toEqual(['1 alice', '1 bob', '2 alice', '2 bob']);
    expect(lines(r.stdout).filter((l) => l.type === 'load:ready')).toHaveLength(1);
    const summary = lines(r.stdout).at(-1)!;
    expect(summary).toMatchObject({ type: 'load:summary', workers: 2, passed: true, status: 'completed', totals: { started: 30, completed: 30, failed: 0, served: 30 }, problems: [] });
    // As with one process, the last statistics line is the end's: the summary's totals.
    const lastStats = lines(r.stdout).filter((l) => l.type === 'load:stats').at(-1)!;
    const { v: _v, type: _t, file: _f, ...figures } = lastStats;
    expect(figures).toEqual(summary['totals']);
    expect((summary['setupHistogram'] as [number, number][]).reduce((n, [, c]) => n + c, 0)).toBe(30);
    const fixed = scenario('fixed.json', { instances: { bob: { dn: '200', port: 29199, steps: ['INCOMING', 'Answer', 'DISCONNECTED'] } } });
    const refused = await cli(['load', fixed, '--workers', '2']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--workers needs instances without a fixed port, since each worker binds its own: instance bob has port 29199');
  }, 30_000);

  it('--max-dialogs bounds the calls each instance keeps at once: beyond it, new INVITEs get 503', async () => {
    const hold = scenario('hold.json', {
      instances: {
        alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 400 }, 'Release'] },
        bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
      },
    });
    // 20 calls at 100 a second, each held 0.4 s: about 40 would be up at once, bob keeps 3.
    const r = await cli(['load', hold, '--rate', '100', '--calls', '20', '--max-dialogs', '3', '--max-failures', '20', '--format', 'json', '--port-base', '29200', '--warmup', '0']);
    expect(r.code).toBe(0);
    const summary = lines(r.stdout).find((l) => l.type === 'load:summary')!;
    const totals = summary.totals as LoadSnapshot;
    expect(totals.completed + totals.failed).toBe(20);
    expect(totals.completed).toBeGreaterThanOrEqual(3);
    expect(totals.failed).toBeGreaterThan(0);
    expect(totals.received5xx).toBe(totals.failed);
    expect(summary.failures).toEqual([{ nodeId: 'dial', instanceId: 'alice', reason: 'MakeCall failed: 503 Service Unavailable', count: totals.failed }]);
    // Bob's side of it: the INVITEs he refused, which never became calls he served.
    expect(summary.refusals).toEqual({ atMaxDialogs: totals.failed, atMaxTransactions: 0, lingeringEnded: 0 });
    // The same counts in the statistics, interval by interval: never falling, the last one the summary's.
    const refusedSoFar = lines(r.stdout).filter((l) => l.type === 'load:stats').map((l) => l.refusedAtMaxDialogs as number);
    expect(refusedSoFar.length).toBeGreaterThan(0);
    expect(refusedSoFar).toEqual([...refusedSoFar].sort((a, b) => a - b));
    expect(totals.refusedAtMaxDialogs).toBe(totals.failed);
    expect(totals.served).toBe(20 - totals.failed);
  }, 30_000);

  it('refuses bad usage and invalid scenarios with exit 2', async () => {
    expect((await cli(['load'])).code).toBe(2);
    expect((await cli(['load', CALL, '--rate', 'fast'])).stderr).toContain('option --rate must be a number above 0, not "fast"');
    expect((await cli(['load', CALL, '--media', 'maybe'])).code).toBe(2);
    expect((await cli(['load', CALL, '--calls', '0'])).code).toBe(2);
    expect((await cli(['load', CALL, '--warmup', '-1'])).stderr).toContain('option --warmup must be a whole number from 0 to 1000000, not "-1"');
    expect((await cli(['load', CALL, '--setup-limit', '0'])).stderr).toContain('option --setup-limit must be a whole number from 1 to 10000000, or off, not "0"');
    expect((await cli(['load', CALL, '--max-dialogs', '0'])).stderr).toContain('option --max-dialogs must be a whole number from 1 to 10000000, not "0"');
    expect((await cli(['load', CALL, '--max-transactions', 'lots'])).stderr).toContain('option --max-transactions must be a whole number from 1 to 100000000, not "lots"');
    const none = await cli(['load', CALL, '--setup-limit', 'none']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('or off, not "none"');
    const bad = scenario('bad.json', { instances: { a: { steps: [{ command: 'MakeCall' }] } } });
    const r = await cli(['load', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MakeCall requires a targetUri');
  });
});

describe('sipflow stats merge', () => {
  it('merges the summaries of two runs: counts add up, percentiles from the merged histograms, failures grouped', async () => {
    const ok = await cli(['load', CALL, '--rate', '50', '--calls', '20', '--format', 'json', '--port-base', '29180', '--warmup', '0']);
    expect(ok.code).toBe(0);
    writeFileSync(join(dir, 'ok.ndjson'), ok.stdout);
    const merged = await cli(['stats', 'merge', join(dir, 'ok.ndjson'), join(dir, 'busy.ndjson'), '--format', 'json']);
    expect(merged.code).toBe(1); // the busy run did not pass
    const m = lines(merged.stdout)[0]!;
    expect(m).toMatchObject({ type: 'load:summary', merged: 2, passed: false, totals: { started: 30, completed: 20, failed: 10, served: 30, received4xx: 10 } });
    expect(m['failures']).toEqual([{ nodeId: 'dial', instanceId: 'alice', reason: 'MakeCall failed: 486 Busy Here', count: 10 }]);
    const okSummary = lines(ok.stdout).at(-1)!;
    expect((m['totals'] as { setupP50Ms: number }).setupP50Ms).toBe((okSummary['totals'] as { setupP50Ms: number }).setupP50Ms);
    const pretty = await cli(['stats', 'merge', join(dir, 'ok.ndjson'), join(dir, 'ok.ndjson')]);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/✔ PASSED 2 runs: 40 calls in [\d.]+ s, 40 completed, 0 failed/);
  }, 30_000);

  it('says what is wrong with its input', async () => {
    expect((await cli(['stats'])).code).toBe(2);
    expect((await cli(['stats', 'sum', 'x'])).stderr).toContain('unknown stats subcommand "sum"');
    writeFileSync(join(dir, 'empty.ndjson'), '{"type":"load:stats"}\n');
    const r = await cli(['stats', 'merge', join(dir, 'empty.ndjson')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no load:summary line');
  });
});

describe('sipflow load: when sipflow itself is the bottleneck', () => {
  const base: LoadSnapshot = { elapsedS: 5, started: 100, completed: 100, failed: 0, concurrent: 0, maxConcurrent: 9, served: 0, servedFailed: 0, rate: 20, averageRate: 20, setupP50Ms: 3, setupP95Ms: 5, setupP99Ms: 9, retransmissions: 0, received4xx: 0, received5xx: 0, received6xx: 0 };
  const style = styleOf(true);
  const yellow = (text: string): string => `\x1b[33m${text}`;
  const summary = (totals: LoadSnapshot): string => summaryText('x.json', { totals, failures: [], status: 'completed' }, 0, true, style);

  it('shows how busy and late its event loop ran: plainly below the warning levels, in yellow from either, with what to do', () => {
    const calm = { ...base, loopLagP99Ms: 2.5, loopLagMaxMs: 40, loopBusy: 60, maxLoopBusy: 75.5 };
    expect(describeSnapshot(calm, style)).toContain('loop busy 60% lag p99 2.5 ms');
    expect(describeSnapshot(calm, style)).not.toContain(yellow('loop busy'));
    expect(summary(calm)).toContain('event loop busy at most 75.5% of an interval; lag p99 2.5 ms, max 40 ms');
    expect(summary(calm)).not.toContain('short of CPU');

    // Busy: the backlog waits in the socket buffer while the loop still turns every few ms.
    const busy = { ...calm, loopBusy: LOOP_BUSY_WARNING_PERCENT, maxLoopBusy: 97 };
    expect(describeSnapshot(busy, style)).toContain(yellow(`loop busy ${LOOP_BUSY_WARNING_PERCENT}%`));
    expect(summary(busy)).toContain(yellow('  sipflow itself was short of CPU (event loop busy up to 97%, lag p99 2.5 ms)'));
    expect(summary(busy)).toContain('--workers');
    // Late: long stalls, however busy.
    const late = { ...calm, loopLagP99Ms: LOOP_LAG_WARNING_MS };
    expect(describeSnapshot(late, style)).toContain(yellow('loop busy 60%'));
    expect(summary(late)).toContain('short of CPU');
  });

  it('says nothing of the event loop for statistics without it (older NDJSON merged by sipflow stats merge)', () => {
    expect(describeSnapshot(base, style)).not.toContain('loop');
    expect(summary(base)).not.toContain('event loop');
  });

  it('says in yellow when a limit held due calls back, and which, with what to do for the setup limit', () => {
    const never = { ...base, heldByConcurrencyS: 0, heldBySetupLimitS: 0 };
    expect(describeSnapshot(never, style)).not.toContain('held');
    expect(summary(never)).not.toContain('waited');
    const held = { ...base, heldByConcurrencyS: 0.25, heldBySetupLimitS: 1.5 };
    expect(describeSnapshot(held, style)).toContain(yellow('held 1.8 s'));
    expect(summary(held)).toContain(yellow('  calls that were due waited: 1.5 s held by --setup-limit (INVITEs without a response), 0.3 s held by --concurrency; the rate above is what ran.'));
    expect(summary(held)).toContain('raise --setup-limit for a peer that answers slowly');
    const byConcurrency = { ...base, heldByConcurrencyS: 2, heldBySetupLimitS: 0 };
    expect(summary(byConcurrency)).toContain('2.0 s held by --concurrency;');
    expect(summary(byConcurrency)).not.toContain('--setup-limit');
  });

  it('says in yellow how many requests the instances refused with 503 at their limits, and plainly how many lingering transactions ended early', () => {
    const text = (refusals: { atMaxDialogs: number; atMaxTransactions: number; lingeringEnded: number }): string =>
      summaryText('x.json', { totals: base, failures: [], status: 'completed', refusals }, 0, true, style);
    expect(text({ atMaxDialogs: 0, atMaxTransactions: 0, lingeringEnded: 0 })).not.toMatch(/refused|lingering/);
    expect(text({ atMaxDialogs: 12, atMaxTransactions: 3, lingeringEnded: 0 })).toContain(
      yellow('  the instances refused 15 new requests with 503, which never became calls here: 12 at --max-dialogs (calls at once), 3 at --max-transactions (transactions at work); raise the limit to take them.'),
    );
    expect(describeSnapshot({ ...base, refusedAtMaxDialogs: 0, refusedAtMaxTransactions: 0 }, style)).not.toContain('refused');
    expect(describeSnapshot(base, style)).not.toContain('rss');
    expect(describeSnapshot({ ...base, rssMB: 431.6, maxRssMB: 590, heapUsedMB: 120.2 }, style)).toContain('rss 432 MB');
    expect(summaryText('x.json', { totals: { ...base, rssMB: 431.6, maxRssMB: 590, heapUsedMB: 120.2 }, failures: [], status: 'completed' }, 0, true, style)).toContain('\n  memory: RSS 432 MB at the end, at most 590 MB; JavaScript heap 120 MB in use\n');
    expect(summaryText('x.json', { totals: base, failures: [], status: 'completed' }, 0, true, style)).not.toContain('memory');
    expect(describeSnapshot({ ...base, refusedAtMaxDialogs: 12, refusedAtMaxTransactions: 3 }, style)).toContain(yellow('refused 15 (503)'));
    expect(text({ atMaxDialogs: 0, atMaxTransactions: 0, lingeringEnded: 4000 })).toContain('\n  4000 lingering transactions (answered, kept for retransmissions) ended early to make room (--max-transactions)\n');
  });
});
