// `sipflow run`: runs scenario files one after the other on a fresh engine each, shows them as the
// format asks (pretty or NDJSON), and writes the reports asked for (HTML, JUnit, pcap) from what
// ran, even after Ctrl-C. Exit 0 when every scenario passed, 1 when one failed or was stopped, 2
// when one was invalid (or the command line was).

import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Engine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { formatDiagnostic } from '../../engine/scenario/diagnostics.js';
import { validateScenarioFile } from '../../engine/scenario/load.js';
import { renderHtmlReport } from '../report/html-report.js';
import { renderJunit } from '../report/junit.js';
import { eventLine, notRunLine } from '../report/ndjson.js';
import { writePcap } from '../report/pcap.js';
import { ScenarioRecorder, type ScenarioRun } from '../report/scenario-run.js';
import { flagValue, intFlag, UsageError, varsOf, type ParsedArgs } from './args.js';
import { PrettyReporter } from './pretty-reporter.js';
import { canRedraw, interruptOnCtrlC, styleOf, wantsColour, type CliIo } from './terminal.js';

/** What `sipflow run` was asked to do. */
interface RunRequest {
  readonly files: readonly string[];
  readonly format: 'pretty' | 'json';
  readonly report: string | undefined;
  readonly junit: string | undefined;
  readonly pcap: string | undefined;
  readonly vars: Readonly<Record<string, string>>;
  readonly portBase: number | undefined;
  readonly timeoutMs: number | undefined;
  /** Where recordings go (the engine's default, `sipflow-output`, when not given). */
  readonly outputDir: string | undefined;
  readonly verbose: boolean;
  /** With --format json: a line per RTP/RTCP packet too. */
  readonly rtp: boolean;
  /** --unsafe-show-secrets: credentials left readable in events, reports and pcaps. */
  readonly unsafeShowSecrets: boolean;
  /** --allow-outside-files: PlayAudio/ExpectAudio files outside the scenario's directory accepted. */
  readonly allowOutsideFiles: boolean;
}

/** Flags of `sipflow run`. */
export const RUN_FLAGS = {
  format: { kind: 'value' },
  report: { kind: 'value' },
  junit: { kind: 'value' },
  pcap: { kind: 'value' },
  var: { kind: 'list' },
  'port-base': { kind: 'value' },
  timeout: { kind: 'value' },
  'output-dir': { kind: 'value' },
  verbose: { kind: 'switch', short: 'v' },
  rtp: { kind: 'switch' },
  'unsafe-show-secrets': { kind: 'switch' },
  'allow-outside-files': { kind: 'switch' },
  help: { kind: 'switch', short: 'h' },
} as const;

/** The scenario files a directory holds: its `.json` and `.jsonc` files, by name. */
export function scenarioFiles(paths: readonly string[], command: string): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (err) {
      throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, command);
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const inside = readdirSync(path, { withFileTypes: true })
      .filter((d) => d.isFile() && /\.jsonc?$/i.test(d.name))
      .map((d) => join(path, d.name))
      .sort();
    if (inside.length === 0) throw new UsageError(`${path} holds no scenario files (.json or .jsonc)`, command);
    files.push(...inside);
  }
  return files;
}

function requestOf(args: ParsedArgs): RunRequest {
  if (args.positionals.length === 0) throw new UsageError('sipflow run needs at least one scenario file or directory', 'run');
  const format = flagValue(args, 'format') ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') throw new UsageError(`--format must be pretty or json, not ${JSON.stringify(format)}`, 'run');
  if (args.flags.get('rtp') === true && format !== 'json') throw new UsageError('--rtp adds packet lines to --format json, and needs it', 'run');
  return {
    files: scenarioFiles(args.positionals, 'run'),
    format,
    report: flagValue(args, 'report'),
    junit: flagValue(args, 'junit'),
    pcap: flagValue(args, 'pcap'),
    vars: varsOf(args, 'run'),
    portBase: intFlag(args, 'port-base', 1, 65_000, 'run'),
    timeoutMs: intFlag(args, 'timeout', 1, 86_400_000, 'run'),
    outputDir: flagValue(args, 'output-dir'),
    verbose: args.flags.get('verbose') === true,
    rtp: args.flags.get('rtp') === true,
    unsafeShowSecrets: args.flags.get('unsafe-show-secrets') === true,
    allowOutsideFiles: args.flags.get('allow-outside-files') === true,
  };
}

/** Runs `sipflow run`; resolves with the exit code. */
export async function runCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const request = requestOf(args);
  const style = styleOf(wantsColour(io.stdout, io.env));
  const errStyle = styleOf(wantsColour(io.stderr, io.env));
  const pretty = request.format === 'pretty' ? new PrettyReporter({ out: io.stdout, style, verbose: request.verbose, live: canRedraw(io) }) : undefined;
  const { signal: interrupted, stop: stopListening } = interruptOnCtrlC(io, 'stopping the run and cleaning up');
  const runs: ScenarioRun[] = [];
  let exit = 0;
  try {
    for (const file of request.files) {
      if (interrupted.aborted) break;
      const run = await runOne(file, request, io, pretty, interrupted, errStyle);
      runs.push(run);
      exit = Math.max(exit, run.status === 'passed' ? 0 : run.status === 'invalid' ? 2 : 1);
    }
  } finally {
    stopListening();
    pretty?.stopLive();
  }
  if (interrupted.aborted) exit = Math.max(exit, 1);
  if (pretty !== undefined && runs.length > 1) {
    const count = (s: ScenarioRun['status']): number => runs.filter((r) => r.status === s).length;
    const parts = [`${count('passed')} passed`, ...(['failed', 'stopped', 'invalid'] as const).filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`)];
    io.stdout.write(`${style.bold(`${runs.length} scenarios:`)} ${parts.join(', ')}\n`);
  }
  exit = Math.max(exit, writeReports(runs, request, io, errStyle));
  return exit;
}

/** Loads and runs one scenario file; returns its record (invalid ones included). */
async function runOne(file: string, request: RunRequest, io: CliIo, pretty: PrettyReporter | undefined, interrupted: AbortSignal, errStyle: ReturnType<typeof styleOf>): Promise<ScenarioRun> {
  const recorder = new ScenarioRecorder({ file, packets: request.pcap !== undefined });
  const checked = validateScenarioFile(file, { vars: request.vars, env: io.env, allowOutsideFiles: request.allowOutsideFiles });
  for (const d of checked.warnings) io.stderr.write(`${errStyle.yellow(formatDiagnostic(d))}\n`);
  if (checked.scenario === undefined) {
    const message = `${checked.errors.length} error${checked.errors.length === 1 ? '' : 's'} in the scenario`;
    if (pretty !== undefined) {
      pretty.begin(file, undefined);
      for (const d of checked.errors) io.stderr.write(`${errStyle.red(formatDiagnostic(d))}\n`);
    } else {
      io.stdout.write(notRunLine(file, 'invalid', message, Date.now(), checked.diagnostics) + '\n');
    }
    recorder.refuse('invalid', `${message}: ${checked.errors.map((d) => formatDiagnostic(d)).join('; ')}`);
    const run = recorder.record();
    pretty?.finish(run);
    return run;
  }
  pretty?.begin(file, checked.scenario.name);
  const engine = new Engine({ ...(request.portBase !== undefined ? { portBase: request.portBase } : {}), ...(request.outputDir !== undefined ? { outputDir: request.outputDir } : {}), unsafeShowSecrets: request.unsafeShowSecrets });
  const removers = [engine.addReporter(recorder)];
  if (pretty !== undefined) removers.push(engine.addReporter(pretty));
  else {
    removers.push(engine.on((e) => io.stdout.write(eventLine(e, file) + '\n')));
    if (request.rtp) removers.push(engine.addReporter({ onRtp: (e) => io.stdout.write(eventLine(e, file) + '\n') }));
  }
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  interrupted.addEventListener('abort', onInterrupt, { once: true });
  let timedOut = false;
  const timer =
    request.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          stop.abort();
        }, request.timeoutMs);
  try {
    await engine.run(checked.scenario, { signal: stop.signal });
  } catch (err) {
    // The instances could not start (a port taken, a registration refused): the scenario did not run.
    const message = err instanceof EngineError ? err.message : String(err);
    recorder.refuse('failed', message);
    if (pretty === undefined) io.stdout.write(notRunLine(file, 'failed', message, Date.now()) + '\n');
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    interrupted.removeEventListener('abort', onInterrupt);
    for (const remove of removers) remove();
  }
  let run = recorder.record();
  if (timedOut && run.status === 'stopped') run = { ...run, status: 'failed', failure: { message: `the run did not finish within --timeout ${request.timeoutMs} ms` } };
  pretty?.finish(run);
  return run;
}

/** Writes the reports asked for; returns 2 when one could not be written, else 0. */
function writeReports(runs: readonly ScenarioRun[], request: RunRequest, io: CliIo, errStyle: ReturnType<typeof styleOf>): number {
  let exit = 0;
  const write = (what: string, path: string | undefined, make: () => string | Uint8Array): void => {
    if (path === undefined) return;
    try {
      writeFileSync(path, make());
      if (request.format === 'pretty') io.stdout.write(`${what} written to ${path}\n`);
    } catch (err) {
      io.stderr.write(errStyle.red(`cannot write the ${what} to ${path}: ${(err as Error).message}\n`));
      exit = 2;
    }
  };
  write('HTML report', request.report, () => renderHtmlReport(runs, { reportDir: dirname(resolve(request.report!)) }));
  write('JUnit report', request.junit, () => renderJunit(runs));
  write('capture', request.pcap, () => writePcap(runs));
  return exit;
}
