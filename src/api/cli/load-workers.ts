// `sipflow load --workers n`: the load spread over n processes, each a `sipflow load` of its own
// (its share of the rate, the calls, the concurrency and the setup limit, its own ports), their statistics merged
// as they come: the workers print NDJSON with their setup-time histograms, and the parent shows,
// writes and sums them as one load. Ctrl-C stops every worker, which ends its calls and reports.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadReady, LoadWarmup } from '../../engine/load-runner.js';
import { mergeLoadSummaries, type LoadFailureGroup, type LoadRefusals, type LoadSnapshot, type LoadSummaryPart } from '../../engine/load-stats.js';

/** The environment variable that makes a `sipflow load` a worker: its stats lines carry its histogram. */
export const WORKER_ENV = 'SIPFLOW_LOAD_WORKER';

/** What the parent asks of the workers. */
export interface WorkerPlan {
  readonly file: string;
  readonly workers: number;
  readonly rate: number;
  readonly calls: number | undefined;
  readonly concurrency: number | undefined;
  /** --setup-limit (Infinity for off), shared out like the concurrency. */
  readonly setupLimit: number | undefined;
  readonly durationS: number | undefined;
  readonly rampS: number | undefined;
  readonly settleS: number | undefined;
  /** --warmup, passed on: each worker warms up its own process. */
  readonly warmupCalls: number;
  readonly intervalS: number;
  readonly media: string;
  readonly portBase: number;
  /** Ports each worker's instances may take from its base on. */
  readonly portsPerWorker: number;
  readonly vars: Readonly<Record<string, string>>;
  /** --allow-outside-files, passed on. */
  readonly allowOutsideFiles: boolean;
  /** --max-dialogs and --max-transactions, passed on: they bound each instance, and each worker has its own. */
  readonly maxDialogs?: number | undefined;
  readonly maxTransactions?: number | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** @internal The command line (after the CLI's path) of worker `i`: its share of the plan; undefined when it has no calls to make. */
export function workerArgs(plan: WorkerPlan, i: number): string[] | undefined {
  const args = ['load', plan.file, '--format', 'json', '--rate', String(plan.rate / plan.workers), '--stats-interval', String(plan.intervalS), '--media', plan.media, '--port-base', String(plan.portBase + i * plan.portsPerWorker), '--max-failures', String(Number.MAX_SAFE_INTEGER)];
  if (plan.calls !== undefined) {
    const share = shareOf(plan.calls, plan.workers, i);
    if (share === 0) return undefined;
    args.push('--calls', String(share));
  }
  if (plan.concurrency !== undefined) args.push('--concurrency', String(Math.max(1, Math.ceil(plan.concurrency / plan.workers))));
  if (plan.setupLimit !== undefined) args.push('--setup-limit', plan.setupLimit === Infinity ? 'off' : String(Math.max(1, Math.ceil(plan.setupLimit / plan.workers))));
  if (plan.durationS !== undefined) args.push('--duration', String(plan.durationS));
  if (plan.rampS !== undefined) args.push('--ramp', String(plan.rampS));
  if (plan.settleS !== undefined) args.push('--settle', String(plan.settleS));
  args.push('--warmup', String(plan.warmupCalls));
  for (const [name, value] of Object.entries(plan.vars)) args.push('--var', `${name}=${value}`);
  if (plan.allowOutsideFiles) args.push('--allow-outside-files');
  if (plan.maxDialogs !== undefined) args.push('--max-dialogs', String(plan.maxDialogs));
  if (plan.maxTransactions !== undefined) args.push('--max-transactions', String(plan.maxTransactions));
  return args;
}

/** The merged load of the workers. */
export interface WorkersResult {
  readonly status: 'completed' | 'stopped';
  readonly totals: LoadSnapshot;
  readonly failures: readonly LoadFailureGroup[];
  readonly setupHistogram: readonly (readonly [number, number])[];
  /** The workers' refusals, summed. */
  readonly refusals: LoadRefusals;
  readonly cpu: { readonly userUs: number; readonly systemUs: number; readonly perCallUs: number | undefined };
  /** A worker that did not end with a summary, and what it said on stderr. */
  readonly problems: readonly string[];
}

/** A worker's share of a total: `total` split in `n` parts as evenly as whole numbers allow. */
export function shareOf(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/** The workers' load:ready lines as one: every worker's instances (with its number, from 1), their warm-ups summed. */
export interface WorkersReady extends LoadReady {
  readonly instances: readonly { readonly id: string; readonly address: string; readonly port: number; readonly worker: number }[];
}

/** The workers' warm-ups as one: calls (and foreign ones), failures and CPU add up, the longest duration, the first problem. */
export function mergeWarmups(parts: readonly (LoadWarmup | undefined | null)[]): LoadWarmup | undefined {
  const given = parts.filter((w): w is LoadWarmup => w !== undefined && w !== null);
  if (given.length === 0) return undefined;
  return {
    calls: given.reduce((n, w) => n + w.calls, 0),
    // (A worker of an older sipflow writes no `foreign`.)
    foreign: given.reduce((n, w) => n + (w.foreign ?? 0), 0),
    failed: given.reduce((n, w) => n + w.failed, 0),
    problem: given.map((w) => w.problem ?? undefined).find((p) => p !== undefined),
    durationMs: Math.max(...given.map((w) => w.durationMs)),
    cpuUs: given.reduce((n, w) => n + w.cpuUs, 0),
  };
}

interface WorkerState {
  readonly child: ChildProcess;
  ready: LoadReady | undefined;
  last: (LoadSummaryPart & { totals: LoadSnapshot }) | undefined;
  summary: (LoadSummaryPart & { status: string; cpu?: WorkersResult['cpu'] }) | undefined;
  stderr: string;
}

/**
 * Runs the plan's workers; `onStats` gets the merged statistics every interval (once every
 * worker has reported at least once) and, at the end, their final totals merged; `onReady` their
 * load:ready lines as one, once every worker has sent its own. `stop` aborts: each worker gets one SIGINT.
 */
export async function runWorkers(plan: WorkerPlan, onStats: (s: LoadSnapshot) => void, stop: AbortSignal, onReady?: (ready: WorkersReady) => void): Promise<WorkersResult> {
  // The built CLI next to this module; from the TypeScript sources (tests), the build in dist/.
  const here = fileURLToPath(import.meta.url);
  const cli = here.endsWith('.ts') ? fileURLToPath(new URL('../../../dist/api/cli.js', import.meta.url)) : fileURLToPath(new URL('../cli.js', import.meta.url));
  const states: WorkerState[] = [];
  let spawned = false;
  let told = false;
  // Once every worker is ready (warmed up, listening): their instances and warm-ups as one.
  const readyOne = (): void => {
    if (!spawned || told || states.some((s) => s.ready === undefined)) return;
    told = true;
    onReady?.({
      instances: states.flatMap((s, i) => s.ready!.instances.map((inst) => ({ id: inst.id, address: inst.address, port: inst.port, worker: i + 1 }))),
      warmup: mergeWarmups(states.map((s) => s.ready!.warmup)),
    });
  };
  for (let i = 0; i < plan.workers; i++) {
    const args = workerArgs(plan, i);
    if (args === undefined) continue;
    args.unshift(cli);
    // Its own process group: a Ctrl-C on the terminal reaches the parent only, which passes one on.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...plan.env, [WORKER_ENV]: '1' }, detached: true });
    const state: WorkerState = { child, ready: undefined, last: undefined, summary: undefined, stderr: '' };
    states.push(state);
    let pending = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let parsed: { type?: string } & Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          continue;
        }
        if (parsed.type === 'load:stats') state.last = { totals: parsed as unknown as LoadSnapshot, failures: [], setupHistogram: (parsed['setupHistogram'] as [number, number][] | undefined) ?? [] };
        else if (parsed.type === 'load:summary') state.summary = parsed as unknown as WorkerState['summary'];
        else if (parsed.type === 'load:ready' && state.ready === undefined) {
          state.ready = parsed as unknown as LoadReady;
          readyOne();
        }
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (state.stderr = (state.stderr + chunk).slice(-4000)));
  }
  spawned = true;
  readyOne();
  const killAll = (): void => {
    for (const s of states) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const onStop = (): void => {
    for (const s of states) if (s.child.exitCode === null) s.child.kill('SIGINT');
  };
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const timer = setInterval(() => {
    const parts = states.map((s) => s.last);
    if (parts.some((p) => p === undefined)) return;
    onStats(mergeLoadSummaries(parts as LoadSummaryPart[]).totals);
  }, plan.intervalS * 1000);
  try {
    await Promise.all(states.map((s) => new Promise<void>((resolve) => (s.child.exitCode !== null ? resolve() : s.child.once('close', () => resolve())))));
  } finally {
    clearInterval(timer);
    stop.removeEventListener('abort', onStop);
    process.off('exit', killAll);
  }
  const problems = states.filter((s) => s.summary === undefined).map((s) => `worker ${s.child.pid} ended (${s.child.exitCode ?? s.child.signalCode}) without a summary${s.stderr !== '' ? `: ${s.stderr.trim()}` : ''}`);
  const summaries = states.flatMap((s) => (s.summary !== undefined ? [s.summary] : []));
  // A worker that died without its summary still counts with its last statistics.
  const parts = states.flatMap((s): LoadSummaryPart[] => (s.summary !== undefined ? [s.summary] : s.last !== undefined ? [s.last] : []));
  const merged = mergeLoadSummaries(parts.length > 0 ? parts : [emptyPart()]);
  // The last statistics, as one process gives them at its end (the CSV's last row, the last
  // load:stats line): the workers' final totals merged; the interval timer above may not have
  // fired since their last intervals.
  if (parts.length > 0) onStats(merged.totals);
  const userUs = summaries.reduce((n, s) => n + (s.cpu?.userUs ?? 0), 0);
  const systemUs = summaries.reduce((n, s) => n + (s.cpu?.systemUs ?? 0), 0);
  const calls = merged.totals.started + merged.totals.served;
  return {
    status: stop.aborted || summaries.some((s) => s.status === 'stopped') ? 'stopped' : 'completed',
    totals: merged.totals,
    failures: merged.failures,
    setupHistogram: merged.setupHistogram,
    refusals: merged.refusals,
    cpu: { userUs, systemUs, perCallUs: calls > 0 ? Math.round((userUs + systemUs) / calls) : undefined },
    problems,
  };
}

function emptyPart(): LoadSummaryPart {
  const zero: LoadSnapshot = { elapsedS: 0, started: 0, completed: 0, failed: 0, concurrent: 0, maxConcurrent: 0, served: 0, servedFailed: 0, rate: 0, averageRate: 0, setupP50Ms: undefined, setupP95Ms: undefined, setupP99Ms: undefined, retransmissions: 0, received4xx: 0, received5xx: 0, received6xx: 0 };
  return { totals: zero, failures: [], setupHistogram: [] };
}
