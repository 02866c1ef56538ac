// `sipflow load`: a scenario as a call template at a rate (the engine's LoadRunner), with a live
// view of the statistics (a redrawn line on a terminal, a line per interval otherwise, or NDJSON),
// a CSV statistics file, and a final summary with the failures grouped by reason. Exit 0 when the
// failures are at most --max-failures, 1 otherwise, 2 for an invalid scenario or bad usage.
// `sipflow stats merge`: the summaries of several load runs (their NDJSON output) as one.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { EngineError } from '../../engine/errors.js';
import { LoadRunner, type LoadReady, type LoadResult } from '../../engine/load-runner.js';
import { LOAD_CSV_COLUMNS, LOOP_BUSY_WARNING_PERCENT, LOOP_LAG_WARNING_MS, loadCsvRow, mergeLoadSummaries, type LoadFailureGroup, type LoadRefusals, type LoadSnapshot, type LoadSummaryPart } from '../../engine/load-stats.js';
import { formatDiagnostic } from '../../engine/scenario/diagnostics.js';
import { compileScenario, validateScenarioFile } from '../../engine/scenario/load.js';
import { flagValue, intFlag, UsageError, varsOf, type ParsedArgs } from './args.js';
import { runWorkers, WORKER_ENV, type WorkersResult } from './load-workers.js';
import { canRedraw, interruptOnCtrlC, styleOf, wantsColour, type CliIo, type Style } from './terminal.js';

/** `--warmup` when not given: calls of the built-in warm-up before the load (LoadRunOptions.warmupCalls). */
export const DEFAULT_WARMUP_CALLS = 3000;

/** The version of the `load:*` NDJSON lines. */
const LINE_VERSION = 1;

/** JSON text of a line: a value not measured yet (a percentile before the first answer) is null, not left out. */
function jsonLine(value: object): string {
  return JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v));
}

/** Flags of `sipflow load`. */
export const LOAD_FLAGS = {
  rate: { kind: 'value' },
  calls: { kind: 'value' },
  concurrency: { kind: 'value' },
  'setup-limit': { kind: 'value' },
  duration: { kind: 'value' },
  ramp: { kind: 'value' },
  settle: { kind: 'value' },
  warmup: { kind: 'value' },
  'stats-file': { kind: 'value' },
  'stats-interval': { kind: 'value' },
  'max-failures': { kind: 'value' },
  format: { kind: 'value' },
  media: { kind: 'value' },
  'port-base': { kind: 'value' },
  workers: { kind: 'value' },
  'max-dialogs': { kind: 'value' },
  'max-transactions': { kind: 'value' },
  var: { kind: 'list' },
  'allow-outside-files': { kind: 'switch' },
  help: { kind: 'switch', short: 'h' },
} as const;

/** Flags of `sipflow stats`. */
export const STATS_FLAGS = {
  format: { kind: 'value' },
  help: { kind: 'switch', short: 'h' },
} as const;

/** A positive number flag (decimals allowed), if given. */
function numberFlag(args: ParsedArgs, name: string, command: string, min = 0): number | undefined {
  const v = flagValue(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n > min)) throw new UsageError(`option --${name} must be a number above ${min}, not ${JSON.stringify(v)}`, command);
  return n;
}

/** One snapshot in words, for the live line and the log lines. */
export function describeSnapshot(s: LoadSnapshot, style: Style): string {
  const ms = (v: number | undefined): string => (v === undefined ? '-' : String(v));
  const parts = [
    `${s.elapsedS.toFixed(1)} s`,
    `started ${s.started}`,
    style.green(`completed ${s.completed}`),
    s.failed > 0 ? style.red(`failed ${s.failed}`) : `failed 0`,
    `concurrent ${s.concurrent} (max ${s.maxConcurrent})`,
    `rate ${s.rate.toFixed(1)}/s (avg ${s.averageRate.toFixed(1)})`,
    `setup p50 ${ms(s.setupP50Ms)} p95 ${ms(s.setupP95Ms)} p99 ${ms(s.setupP99Ms)} ms`,
    `retrans ${s.retransmissions}`,
    `4xx ${s.received4xx} 5xx ${s.received5xx} 6xx ${s.received6xx}`,
  ];
  if (s.loopBusy !== undefined) {
    const loop = `loop busy ${s.loopBusy}% lag p99 ${s.loopLagP99Ms ?? '-'} ms`;
    parts.push(selfOverloaded(s.loopBusy, s) ? style.yellow(loop) : loop);
  }
  if ((s.heldBySetupLimitS ?? 0) > 0 || (s.heldByConcurrencyS ?? 0) > 0) parts.push(style.yellow(`held ${((s.heldBySetupLimitS ?? 0) + (s.heldByConcurrencyS ?? 0)).toFixed(1)} s`));
  const refused = (s.refusedAtMaxDialogs ?? 0) + (s.refusedAtMaxTransactions ?? 0);
  if (refused > 0) parts.push(style.yellow(`refused ${refused} (503)`));
  if (s.rssMB !== undefined) parts.push(`rss ${Math.round(s.rssMB)} MB`);
  if (s.served > 0) parts.splice(5, 0, `served ${s.served}${s.servedFailed > 0 ? ` (${s.servedFailed} failed)` : ''}`);
  return parts.join('  ');
}

/** --setup-limit: a whole number, or `off` (Infinity); undefined when not given. */
function setupLimitFlag(args: ParsedArgs): number | undefined {
  const v = flagValue(args, 'setup-limit');
  if (v === undefined) return undefined;
  if (v === 'off') return Infinity;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000_000) throw new UsageError(`option --setup-limit must be a whole number from 1 to 10000000, or off, not ${JSON.stringify(v)}`, 'load');
  return Number(v);
}

/** How long the limits held due calls back, in words, or undefined when they never did. */
function heldText(s: LoadSnapshot): string | undefined {
  const parts: string[] = [];
  if ((s.heldBySetupLimitS ?? 0) > 0) parts.push(`${s.heldBySetupLimitS!.toFixed(1)} s held by --setup-limit (INVITEs without a response)`);
  if ((s.heldByConcurrencyS ?? 0) > 0) parts.push(`${s.heldByConcurrencyS!.toFixed(1)} s held by --concurrency`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** Whether sipflow was its own bottleneck: its event loop this busy, or its lag this high (see LOOP_BUSY_WARNING_PERCENT). */
function selfOverloaded(busy: number | undefined, s: LoadSnapshot): boolean {
  return (busy !== undefined && busy >= LOOP_BUSY_WARNING_PERCENT) || (s.loopLagP99Ms !== undefined && s.loopLagP99Ms >= LOOP_LAG_WARNING_MS);
}

/** The failure groups as lines: `  12 × node (instance): reason`. */
function failureLines(failures: readonly LoadFailureGroup[]): string[] {
  return failures.map((f) => `  ${String(f.count).padStart(6)} × ${f.nodeId === '' ? '(no node)' : f.nodeId}${f.instanceId !== '' ? ` (${f.instanceId})` : ''}: ${f.reason}`);
}

/** Runs `sipflow load`; resolves with the exit code. */
export async function loadCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError('sipflow load takes one scenario file', 'load');
  const file = args.positionals[0]!;
  const format = flagValue(args, 'format') ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') throw new UsageError(`--format must be pretty or json, not ${JSON.stringify(format)}`, 'load');
  const media = flagValue(args, 'media') ?? 'auto';
  if (media !== 'on' && media !== 'off' && media !== 'auto') throw new UsageError(`--media must be on, off or auto, not ${JSON.stringify(media)}`, 'load');
  const rate = numberFlag(args, 'rate', 'load');
  const calls = intFlag(args, 'calls', 1, Number.MAX_SAFE_INTEGER, 'load');
  const concurrency = intFlag(args, 'concurrency', 1, 10_000_000, 'load');
  const setupLimit = setupLimitFlag(args);
  const durationS = numberFlag(args, 'duration', 'load');
  const rampS = numberFlag(args, 'ramp', 'load', -1);
  const settleS = numberFlag(args, 'settle', 'load');
  const warmupCalls = intFlag(args, 'warmup', 0, 1_000_000, 'load') ?? DEFAULT_WARMUP_CALLS;
  const intervalS = numberFlag(args, 'stats-interval', 'load') ?? 1;
  const maxFailures = intFlag(args, 'max-failures', 0, Number.MAX_SAFE_INTEGER, 'load') ?? 0;
  const portBase = intFlag(args, 'port-base', 1, 65_000, 'load');
  const statsFile = flagValue(args, 'stats-file');
  const vars = varsOf(args, 'load');
  const workers = intFlag(args, 'workers', 1, 64, 'load') ?? 1;
  const maxDialogs = intFlag(args, 'max-dialogs', 1, 10_000_000, 'load');
  const maxTransactions = intFlag(args, 'max-transactions', 1, 100_000_000, 'load');
  const limits = { ...(maxDialogs !== undefined ? { maxDialogs } : {}), ...(maxTransactions !== undefined ? { maxTransactions } : {}) };
  const worker = io.env[WORKER_ENV] === '1';

  const style = styleOf(wantsColour(io.stdout, io.env));
  const errStyle = styleOf(wantsColour(io.stderr, io.env));
  const allowOutsideFiles = args.flags.get('allow-outside-files') === true;
  const checked = validateScenarioFile(file, { vars, env: io.env, allowOutsideFiles });
  for (const d of checked.warnings) io.stderr.write(`${errStyle.yellow(formatDiagnostic(d))}\n`);
  if (checked.scenario === undefined) {
    for (const d of checked.errors) io.stderr.write(`${errStyle.red(formatDiagnostic(d))}\n`);
    io.stderr.write(errStyle.red(`${checked.errors.length} error${checked.errors.length === 1 ? '' : 's'} in ${file}: not run\n`));
    return 2;
  }
  const instanceCount = checked.scenario.instances.length;
  if (workers > 1) {
    const fixed = compileScenario(checked.scenario).instances.find((i) => i.port !== undefined);
    if (fixed !== undefined) throw new UsageError(`--workers needs instances without a fixed port, since each worker binds its own: instance ${fixed.id} has port ${fixed.port}`, 'load');
  }

  let csv: number | undefined;
  if (statsFile !== undefined) {
    try {
      csv = openSync(statsFile, 'w');
      writeSync(csv, LOAD_CSV_COLUMNS.join(',') + '\n');
    } catch (err) {
      io.stderr.write(errStyle.red(`cannot write the statistics to ${statsFile}: ${(err as Error).message}\n`));
      return 2;
    }
  }
  const live = format === 'pretty' && canRedraw(io);
  const onStats = (s: LoadSnapshot, histogram?: () => [number, number][]): void => {
    if (csv !== undefined) writeSync(csv, loadCsvRow(s) + '\n');
    if (format === 'json') io.stdout.write(jsonLine({ v: LINE_VERSION, type: 'load:stats', file, ...s, ...(worker && histogram !== undefined ? { setupHistogram: histogram() } : {}) }) + '\n');
    else if (live) io.stdout.write(`\r\x1b[2K${describeSnapshot(s, style)}`);
    else io.stdout.write(describeSnapshot(s, style) + '\n');
  };

  const onReady = (ready: LoadReady): void => {
    const w = ready.warmup;
    if (format === 'json') io.stdout.write(jsonLine({ v: LINE_VERSION, type: 'load:ready', file, ...ready }) + '\n');
    else if (w !== undefined) {
      io.stdout.write(`warmed up: ${w.calls} call${w.calls === 1 ? '' : 's'}${w.foreign > 0 ? ` (${w.foreign} with other stacks' message forms)` : ''} in ${(w.durationMs / 1000).toFixed(1)} s, CPU ${(w.cpuUs / 1e6).toFixed(2)} s\n`);
      if (w.problem !== undefined) io.stderr.write(errStyle.yellow(`the warm-up ${w.failed > 0 ? `had ${w.failed} failed call${w.failed === 1 ? '' : 's'}` : 'did not run'}: ${w.problem}\n`));
    }
  };

  const { signal: interrupted, stop: stopListening } = interruptOnCtrlC(io, 'stopping the load and ending its calls');
  if (format === 'pretty') {
    const limits = [rate !== undefined ? `${rate} calls/s` : '10 calls/s', calls !== undefined ? `${calls} calls` : undefined, durationS !== undefined ? `${durationS} s` : undefined, concurrency !== undefined ? `at most ${concurrency} at once` : undefined, setupLimit !== undefined ? (setupLimit === Infinity ? 'no setup limit' : `at most ${setupLimit} INVITEs unanswered`) : undefined, rampS !== undefined ? `ramp ${rampS} s` : undefined, warmupCalls > 0 ? `after a warm-up of ${warmupCalls} calls` : undefined];
    io.stdout.write(`${style.bold('▶ load')} ${file}${checked.scenario.name !== undefined ? `  ${checked.scenario.name}` : ''}: ${limits.filter((x) => x !== undefined).join(', ')}${calls === undefined && durationS === undefined ? ' until Ctrl-C' : ''}${workers > 1 ? `, ${workers} workers` : ''}\n`);
  }
  let result: LoadResult | WorkersResult;
  try {
    if (workers > 1) {
      result = await runWorkers(
        { file, workers, rate: rate ?? 10, calls, concurrency, setupLimit, durationS, rampS, settleS, warmupCalls, intervalS, media, portBase: portBase ?? 15060, portsPerWorker: Math.max(10, instanceCount * 4), vars, env: io.env, allowOutsideFiles, maxDialogs, maxTransactions },
        onStats,
        interrupted,
        onReady,
      );
      for (const problem of result.problems) io.stderr.write(errStyle.red(`${problem}\n`));
    } else {
      result = await new LoadRunner({ ...(portBase !== undefined ? { portBase } : {}), ...(Object.keys(limits).length > 0 ? { limits } : {}) }).run(checked.scenario, {
        ...(rate !== undefined ? { rate } : {}),
        ...(calls !== undefined ? { calls } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(setupLimit !== undefined ? { setupLimit } : {}),
        ...(durationS !== undefined ? { durationS } : {}),
        ...(rampS !== undefined ? { rampS } : {}),
        ...(settleS !== undefined ? { settleMs: settleS * 1000 } : {}),
        warmupCalls,
        onReady,
        statsIntervalMs: intervalS * 1000,
        media,
        signal: interrupted,
        onStats,
      });
    }
  } catch (err) {
    if (err instanceof EngineError) {
      if (live) io.stdout.write('\n');
      io.stderr.write(errStyle.red(`${err.message}\n`));
      return err.code === 'bad-load' ? 2 : 1;
    }
    throw err;
  } finally {
    stopListening();
    if (csv !== undefined) closeSync(csv);
  }

  const failures = result.totals.failed + result.totals.servedFailed;
  const passed = failures <= maxFailures && result.status === 'completed' && ('problems' in result ? result.problems.length === 0 : true);
  if (format === 'json') {
    io.stdout.write(jsonLine({ v: LINE_VERSION, type: 'load:summary', file, passed, maxFailures, ...(workers > 1 ? { workers } : {}), ...result }) + '\n');
  } else {
    if (live) io.stdout.write('\n');
    io.stdout.write(summaryText(workers > 1 ? `${file} (${workers} workers)` : file, result, maxFailures, passed, style));
  }
  return passed ? 0 : 1;
}

/** @internal The final summary in words. */
export function summaryText(file: string, result: Pick<LoadResult, 'totals' | 'failures' | 'status'> & { cpu?: LoadResult['cpu']; refusals?: LoadRefusals }, maxFailures: number, passed: boolean, style: Style): string {
  const t = result.totals;
  const lines = [
    '',
    `${passed ? style.green('✔ PASSED') : style.red('✘ FAILED')} ${file}: ${t.started} calls in ${t.elapsedS.toFixed(1)} s, ${t.completed} completed, ${t.failed} failed${t.served > 0 ? `; ${t.served} served, ${t.servedFailed} failed` : ''}${result.status === 'stopped' ? ' (stopped)' : ''}`,
    `  rate ${t.averageRate.toFixed(1)} calls/s, at most ${t.maxConcurrent} at once; setup p50 ${t.setupP50Ms ?? '-'} p95 ${t.setupP95Ms ?? '-'} p99 ${t.setupP99Ms ?? '-'} ms; ${t.retransmissions} retransmissions; received 4xx ${t.received4xx}, 5xx ${t.received5xx}, 6xx ${t.received6xx}`,
  ];
  if (result.cpu?.perCallUs !== undefined) lines.push(`  CPU ${((result.cpu.userUs + result.cpu.systemUs) / 1e6).toFixed(2)} s, ${result.cpu.perCallUs} µs per call`);
  if (t.maxLoopBusy !== undefined) lines.push(`  event loop busy at most ${t.maxLoopBusy}% of an interval; lag p99 ${t.loopLagP99Ms ?? '-'} ms, max ${t.loopLagMaxMs ?? '-'} ms`);
  if (t.rssMB !== undefined) lines.push(`  memory: RSS ${Math.round(t.rssMB)} MB at the end, at most ${Math.round(t.maxRssMB ?? t.rssMB)} MB; JavaScript heap ${Math.round(t.heapUsedMB ?? 0)} MB in use`);
  if (selfOverloaded(t.maxLoopBusy, t)) {
    lines.push(
      style.yellow(`  sipflow itself was short of CPU (event loop busy up to ${t.maxLoopBusy ?? '-'}%, lag p99 ${t.loopLagP99Ms ?? '-'} ms): the times above include its own delay.`),
      style.yellow('  Lower --rate or --concurrency, or spread the calls over processes (--workers, or several sipflow load runs).'),
    );
  }
  const held = heldText(t);
  if (held !== undefined) lines.push(style.yellow(`  calls that were due waited: ${held}; the rate above is what ran.`));
  if ((t.heldBySetupLimitS ?? 0) > 0) lines.push(style.yellow('  The peer, or sipflow reading its responses, fell behind: see its CPU above, or raise --setup-limit for a peer that answers slowly.'));
  const r = result.refusals;
  if (r !== undefined && r.atMaxDialogs + r.atMaxTransactions > 0) {
    const at = [r.atMaxDialogs > 0 ? `${r.atMaxDialogs} at --max-dialogs (calls at once)` : '', r.atMaxTransactions > 0 ? `${r.atMaxTransactions} at --max-transactions (transactions at work)` : ''].filter((x) => x !== '');
    lines.push(style.yellow(`  the instances refused ${r.atMaxDialogs + r.atMaxTransactions} new requests with 503, which never became calls here: ${at.join(', ')}; raise the limit to take them.`));
  }
  if (r !== undefined && r.lingeringEnded > 0) lines.push(`  ${r.lingeringEnded} lingering transactions (answered, kept for retransmissions) ended early to make room (--max-transactions)`);
  if (result.failures.length > 0) lines.push('  failures by reason:', ...failureLines(result.failures));
  const failures = t.failed + t.servedFailed;
  if (!passed) lines.push(result.status === 'stopped' ? '  the load was stopped before its end' : `  ${failures} failure${failures === 1 ? '' : 's'}, more than --max-failures ${maxFailures}`);
  return lines.join('\n') + '\n';
}

/** Runs `sipflow stats merge <file>...`: the last load:summary line of each NDJSON file, merged. */
export function statsCommand(args: ParsedArgs, io: CliIo): number {
  const [sub, ...files] = args.positionals;
  if (sub !== 'merge') throw new UsageError(sub === undefined ? 'sipflow stats needs a subcommand: merge' : `unknown stats subcommand ${JSON.stringify(sub)}; the one there is: merge`, 'stats');
  if (files.length === 0) throw new UsageError('sipflow stats merge needs the NDJSON output (--format json) of one or more load runs', 'stats');
  const format = flagValue(args, 'format') ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') throw new UsageError(`--format must be pretty or json, not ${JSON.stringify(format)}`, 'stats');
  const errStyle = styleOf(wantsColour(io.stderr, io.env));
  const parts: (LoadSummaryPart & { passed: boolean; maxFailures: number })[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      io.stderr.write(errStyle.red(`cannot read ${file}: ${(err as Error).message}\n`));
      return 2;
    }
    const summary = text
      .split('\n')
      .reverse()
      .map((line) => {
        try {
          return JSON.parse(line) as { type?: string } & LoadSummaryPart & { passed: boolean; maxFailures: number };
        } catch {
          return undefined;
        }
      })
      .find((l) => l?.type === 'load:summary');
    if (summary === undefined) {
      io.stderr.write(errStyle.red(`${file} has no load:summary line: give the output of sipflow load --format json, whole\n`));
      return 2;
    }
    parts.push(summary);
  }
  const merged = mergeLoadSummaries(parts);
  const maxFailures = parts.reduce((n, p) => n + (p.maxFailures ?? 0), 0);
  const passed = parts.every((p) => p.passed);
  if (format === 'json') io.stdout.write(jsonLine({ v: LINE_VERSION, type: 'load:summary', file: files.join(','), merged: files.length, passed, maxFailures, ...merged }) + '\n');
  else io.stdout.write(summaryText(`${files.length} runs`, { ...merged, status: 'completed' }, maxFailures, passed, styleOf(wantsColour(io.stdout, io.env))));
  return passed ? 0 : 1;
}
