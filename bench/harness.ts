// What the tinybench benchmarks share: the environment knobs, batched task bodies that time many
// operations per sample, round statistics (medians over rounds, spread), and plain-text tables.

import os from 'node:os';
import type { FnReturnedObject, Task } from 'tinybench';

/** Time per task, warmup and rounds, from BENCH_TIME_MS, BENCH_WARMUP_MS and BENCH_ROUNDS. */
export interface BenchSettings {
  timeMs: number;
  warmupMs: number;
  rounds: number;
}

/** Reads the knobs, falling back to this benchmark's defaults. */
export function benchSettings(defaults: BenchSettings): BenchSettings {
  const num = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
    return v;
  };
  return {
    timeMs: num('BENCH_TIME_MS', defaults.timeMs),
    warmupMs: num('BENCH_WARMUP_MS', defaults.warmupMs),
    rounds: Math.max(1, Math.round(num('BENCH_ROUNDS', defaults.rounds))),
  };
}

// Results are folded into this so the JIT cannot drop the work.
let sink = 0;

/**
 * A tinybench task body that runs `run` `batch` times per sample and reports the mean per
 * operation, `perRun` operations making one `run` (the timer call is amortised over the batch).
 */
export function batched(run: () => number, batch: number, perRun = 1): () => FnReturnedObject {
  return () => {
    const t0 = process.hrtime.bigint();
    let acc = 0;
    for (let i = 0; i < batch; i++) acc += run();
    const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    sink ^= acc;
    return { overriddenDuration: elapsedMs / (batch * perRun), overriddenIterationCost: elapsedMs };
  };
}

/** Keeps the folded results observable (prints nothing: the sink is an integer). */
export function keepResults(): void {
  if (sink === 0.5) console.log(sink);
}

/** One round of one task. */
export interface RoundStat {
  /** Mean ns per operation. */
  mean: number;
  /** Median (of per-batch means) ns per operation. */
  p50: number;
  samples: number;
}

/** The figures of a completed task, in ns per operation. */
export function statOf(task: Task | undefined): RoundStat {
  if (task === undefined) throw new Error('missing task');
  const r = task.result;
  if (r.state !== 'completed') {
    throw new Error(`task ${task.name} did not complete (${r.state}${r.state === 'errored' ? `: ${r.error.message}` : ''})`);
  }
  return { mean: r.latency.mean * 1e6, p50: r.latency.p50 * 1e6, samples: r.latency.samplesCount };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Medians over rounds for one task, plus the round-to-round spread. */
export interface Aggregate {
  mean: number;
  p50: number;
  /** Half the range of the round means, as % of their median. */
  spread: number;
  samples: number;
}

export function aggregate(rounds: readonly RoundStat[]): Aggregate {
  const means = rounds.map((r) => r.mean);
  const med = median(means);
  return {
    mean: med,
    p50: median(rounds.map((r) => r.p50)),
    spread: (50 * (Math.max(...means) - Math.min(...means))) / med,
    samples: rounds.reduce((s, r) => s + r.samples, 0),
  };
}

/** A row of dashes in a {@link printTable} body. */
export const SEPARATOR: readonly string[] = [];

/** Prints an aligned table: columns before `rightFrom` left-aligned, the rest right-aligned. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[], rightFrom = 1): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c >= rightFrom ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  console.log(line(header));
  console.log(rule);
  for (const r of rows) console.log(r === SEPARATOR ? rule : line(r));
}

/** Node version, platform and CPU, for the first lines of a report. */
export function machine(): string {
  return `Node ${process.version} (${process.platform}/${process.arch}), ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} CPUs`;
}
