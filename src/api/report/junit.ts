// Scenario runs as a JUnit XML report, the format CI servers (Jenkins, GitLab, the Ant JUnit task
// and the tools that copied it) read: one <testsuite> per scenario file, one <testcase> per run of
// it. A failed run is a <failure> (the node, its instance, the reason, and the SIP messages around
// it); a stopped run, or one that could not run, is an <error>. Each run's whole text ladder is its
// <system-out>, followed by a [[ATTACHMENT|file]] line per call recording. The document follows
// schema/junit.xsd.

import { hostname as osHostname } from 'node:os';
import type { ActionLogEvent, NodeStateEvent } from '../../engine/run-events.js';
import { buildLadder, type Ladder } from './ladder.js';
import { recordingsOf, type ScenarioRun } from './scenario-run.js';
import { renderTextLadder } from './text-ladder.js';

/**
 * Options of {@link renderJunit}.
 *
 * @example
 * ```ts
 * // A stable document for snapshots: the host name fixed, the report named after the job.
 * const xml = renderJunit(runs, { name: 'pbx-regression', hostname: 'ci' });
 * ```
 */
export interface JunitOptions {
  /** The `name` of the `<testsuites>` element. Default `sipflow`. */
  readonly name?: string;
  /** The `hostname` of every `<testsuite>`. Default the machine's host name (`os.hostname()`). */
  readonly hostname?: string;
}

/** SIP messages shown before and after the moment a run failed or was stopped. */
const BEFORE = 8;
const AFTER = 4;
const SINCE = '(times count from the first SIP message, as on the ladder)';

/** What a run comes to as a test case: nothing to say (passed), a `<failure>` or an `<error>`. */
type Verdict =
  | { readonly kind: 'passed' }
  | { readonly kind: 'failure' | 'error'; readonly type: string; readonly message: string; readonly text: string };

/**
 * The runs as a JUnit XML document (UTF-8, with its XML declaration and a final newline). Runs of
 * the same file share a `<testsuite>` named after the file, in the order the files first appear;
 * each run is a `<testcase>` named after its scenario (numbered when a file ran more than once).
 *
 * - `passed`: an empty test case (its ladder in `<system-out>`).
 * - `failed`: a `<failure type="failed">` whose `message` names the failed node, its instance and the
 *   reason, and whose text shows the SIP messages around the failure and the node's action log.
 * - `stopped`: an `<error type="stopped">`: the run did not finish; the text names the nodes it
 *   stopped and shows the last messages.
 * - `invalid`: an `<error type="invalid">` with the reason the scenario did not load.
 * - `failed` with no event at all (the instances could not start: `ScenarioRecorder.refuse`):
 *   an `<error type="not-started">`.
 *
 * Times are seconds with three decimals, timestamps ISO 8601 in UTC. Every text is escaped, and
 * characters XML 1.0 cannot carry (control characters other than tab, line feed and carriage
 * return, lone surrogates, U+FFFE and U+FFFF) are dropped.
 *
 * @example
 * ```ts
 * const recorder = new ScenarioRecorder({ file: 'examples/basic-call.json' });
 * engine.addReporter(recorder);
 * await engine.run(loadScenarioFile('examples/basic-call.json'));
 * writeFileSync('junit.xml', renderJunit([recorder.record()], { name: 'nightly' }));
 * ```
 */
export function renderJunit(runs: readonly ScenarioRun[], options: JunitOptions = {}): string {
  const host = options.hostname ?? osHostname();
  const suites = new Map<string, ScenarioRun[]>();
  for (const run of runs) {
    const list = suites.get(run.file);
    if (list === undefined) suites.set(run.file, [run]);
    else list.push(run);
  }
  const totals = { tests: 0, failures: 0, errors: 0, ms: 0 };
  const body: string[] = [];
  let id = 0;
  for (const [file, fileRuns] of suites) {
    const cases = fileRuns.map((run, i) => ({ run, verdict: verdictOf(run), name: named(fileRuns.length > 1 ? `${run.scenarioId} (run ${i + 1})` : run.scenarioId) }));
    const failures = cases.filter((c) => c.verdict.kind === 'failure').length;
    const errors = cases.filter((c) => c.verdict.kind === 'error').length;
    const ms = fileRuns.reduce((sum, r) => sum + durationMs(r), 0);
    totals.tests += cases.length;
    totals.failures += failures;
    totals.errors += errors;
    totals.ms += ms;
    const startedAt = Math.min(...fileRuns.map((r) => r.startedAt));
    body.push(
      `  <testsuite${attrs({ name: named(file), tests: cases.length, failures, errors, skipped: 0, time: seconds(ms), timestamp: iso(startedAt), hostname: host, id: id++, package: 'sipflow' })}>`,
    );
    const props = propertiesOf(file, fileRuns);
    body.push('    <properties>', ...props.map(([name, value]) => `      <property${attrs({ name, value })}/>`), '    </properties>');
    for (const c of cases) body.push(...testcase(c.run, c.name, c.verdict));
    body.push('  </testsuite>');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: options.name ?? 'sipflow', tests: totals.tests, failures: totals.failures, errors: totals.errors, skipped: 0, time: seconds(totals.ms), ...(runs.length > 0 ? { timestamp: iso(Math.min(...runs.map((r) => r.startedAt))) } : {}) })}>`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

function testcase(run: ScenarioRun, name: string, verdict: Verdict): string[] {
  const lines = [`    <testcase${attrs({ name, classname: classnameOf(run.file), time: seconds(durationMs(run)), file: run.file })}>`];
  if (verdict.kind !== 'passed') lines.push(`      <${verdict.kind}${attrs({ type: verdict.type, message: verdict.message })}>${text(verdict.text)}</${verdict.kind}>`);
  // A run that never started has no wire to show.
  // Recordings as attachments, in the form CI servers read ([[ATTACHMENT|path]], Jenkins' JUnit Attachments).
  const attachments = recordingsOf(run).map((r) => `\n[[ATTACHMENT|${r.file}]]`).join('');
  if (run.events.length > 0) lines.push(`      <system-out>${text(renderTextLadder(buildLadder(run)) + attachments)}</system-out>`);
  lines.push('    </testcase>');
  return lines;
}

function verdictOf(run: ScenarioRun): Verdict {
  switch (run.status) {
    case 'passed':
      return { kind: 'passed' };
    case 'invalid': {
      const message = run.failure?.message ?? 'the scenario is not valid';
      return { kind: 'error', type: 'invalid', message: firstLine(message), text: message };
    }
    case 'stopped':
      return stoppedVerdict(run);
    case 'failed':
      if (run.events.length === 0) {
        const message = run.failure?.message ?? 'the scenario could not start';
        return { kind: 'error', type: 'not-started', message: firstLine(message), text: message };
      }
      return failedVerdict(run);
  }
}

function failedVerdict(run: ScenarioRun): Verdict {
  const failure = run.failure ?? { message: 'the run failed' };
  const node = failure.nodeId !== undefined ? run.nodes.find((n) => n.id === failure.nodeId) : undefined;
  const instanceId = failure.instanceId ?? node?.instanceId;
  // The engine says `instance <id>: <reason>`; the message names the instance itself.
  const reason = instanceId !== undefined && failure.message.startsWith(`instance ${instanceId}: `) ? failure.message.slice(`instance ${instanceId}: `.length) : failure.message;
  const message =
    failure.nodeId !== undefined
      ? `node ${failure.nodeId}${node !== undefined ? ` (${node.name})` : ''}${instanceId !== undefined ? ` on instance ${instanceId}` : ''} failed: ${reason}`
      : failure.message;
  const failedAt = run.events.find((e): e is NodeStateEvent => e.type === 'scenario:node-state' && e.nodeId === failure.nodeId && e.newState === 'failed')?.timestamp ?? run.endedAt;
  const ladder = buildLadder(run);
  const t0 = origin(run, ladder);
  const parts = [message, `at ${offset(failedAt, t0)} ${SINCE}`, '', around(ladder, failedAt)];
  if (failure.nodeId !== undefined) {
    const logs = run.events.filter((e): e is ActionLogEvent => e.type === 'scenario:action-log' && e.nodeId === failure.nodeId);
    if (logs.length > 0) parts.push('', `Action log of node ${failure.nodeId}:`, ...logs.map((e) => `  ${offset(e.timestamp, t0)} ${e.level.padEnd(5)} ${e.message}`));
  }
  return { kind: 'failure', type: 'failed', message, text: parts.join('\n') };
}

function stoppedVerdict(run: ScenarioRun): Verdict {
  const stopped = run.events.filter((e): e is NodeStateEvent => e.type === 'scenario:node-state' && e.newState === 'stopped');
  const nameOf = (nodeId: string): string => run.nodes.find((n) => n.id === nodeId)?.name ?? nodeId;
  const list = stopped.map((e) => `${e.instanceId}/${e.nodeId} (${nameOf(e.nodeId)})`);
  const message = `the run was stopped before it finished${list.length > 0 ? `; stopped: ${list.join(', ')}` : ''}`;
  const ladder = buildLadder(run);
  const at = stopped[0]?.timestamp ?? run.endedAt;
  const parts = [message, `at ${offset(at, origin(run, ladder))} ${SINCE}`];
  for (const e of stopped) if (e.error !== undefined) parts.push(`  ${e.instanceId}/${e.nodeId}: ${e.error}`);
  parts.push('', around(ladder, at));
  return { kind: 'error', type: 'stopped', message, text: parts.join('\n') };
}

/** Unix ms that times in a failure's text count from: the first SIP message, as on the ladder (else the run's start). */
function origin(run: ScenarioRun, ladder: Ladder): number {
  const first = ladder.arrows[0];
  return first !== undefined ? first.timeUs / 1000 : run.startedAt;
}

/** `+1.234s` after `t0`, as the text ladder writes times (`-0.002s` before it). */
function offset(at: number, t0: number): string {
  const v = (at - t0) / 1000;
  const s = Math.abs(v) < 0.0005 ? '0.000' : v.toFixed(3);
  return s.startsWith('-') ? `${s}s` : `+${s}s`;
}

/** The text ladder of the messages around `at` (Unix ms): a few before, a few after. */
function around(ladder: Ladder, at: number): string {
  const n = ladder.arrows.length;
  if (n === 0) return '(no SIP messages)';
  // Timestamps are whole ms: a message of the same millisecond counts as before.
  const index = ladder.arrows.filter((a) => a.timeUs / 1000 <= at + 0.5).length;
  const from = Math.max(0, index - BEFORE);
  const to = Math.min(n, index + AFTER);
  return `SIP messages around it (${from + 1} to ${to} of ${n}):\n${renderTextLadder(ladder, { from, to })}`;
}

function propertiesOf(file: string, runs: readonly ScenarioRun[]): Array<[string, string]> {
  const props: Array<[string, string]> = [['file', file]];
  const ids = [...new Set(runs.map((r) => r.scenarioId))];
  props.push(['scenario', ids.join(', ')]);
  const started = runs.find((r) => r.instances.length > 0);
  for (const i of started?.instances ?? []) {
    props.push([`instance.${i.id}`, `DN ${i.dn} at ${i.address.address}:${i.address.port} (${i.mode})`]);
  }
  return props;
}

/**
 * The `classname` CI servers group by. Jenkins splits it at its last dot into package and class,
 * so the file's `.json` goes and other dots become `_`: `examples/basic-call.json` →
 * `examples/basic-call`.
 */
function classnameOf(file: string): string {
  return file.replace(/\.json$/i, '').replace(/\./g, '_');
}

/** A name readers require to be non-empty: `(unnamed)` when nothing XML can carry is left of it. */
function named(name: string): string {
  return name.replace(NOT_XML_CHAR, '') === '' ? '(unnamed)' : name;
}

function durationMs(run: ScenarioRun): number {
  return Math.max(0, run.endedAt - run.startedAt);
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : `${s.slice(0, i)} …`;
}

/** Characters XML 1.0 allows (its Char production); everything else is dropped. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Element text: `&`, `<` and `>` escaped (so no `]]>` survives), CR kept as a reference. */
function text(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** A double-quoted attribute value: as text, plus quotes and whitespace kept as references (parsers normalise raw ones to spaces). */
function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

function attrs(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${attr(String(v))}"`)
    .join('');
}
