// `--format pretty`: what a person at a terminal sees. While a scenario runs, one line per instance
// with its current node and state, redrawn in place on a terminal (on a pipe, a line per node as
// it ends instead); `--verbose` adds every action log and every SIP message in full. At the end,
// the text ladder of the run, the verdict, and for a failure the node, the reason and the messages
// around it.

import type { ActionLogEvent, NodeState, NodeStateEvent, RunNode, RunReporter, ScenarioStartedEvent, SipEvent } from '../../engine/run-events.js';
import { buildLadder, type Ladder } from '../report/ladder.js';
import type { ScenarioRun } from '../report/scenario-run.js';
import { renderTextLadder } from '../report/text-ladder.js';
import { formatDuration } from '../report/html-util.js';
import type { OutputStream, Style } from './terminal.js';

/** Options of a {@link PrettyReporter}. */
export interface PrettyReporterOptions {
  readonly out: OutputStream;
  readonly style: Style;
  /** Every action log and every SIP message in full. */
  readonly verbose: boolean;
  /** Redraw the instance lines in place (a terminal); otherwise print a line per node as it ends. */
  readonly live: boolean;
  /** The most ladder lines printed at the end; beyond, the middle is left out (default 400). */
  readonly maxLadderLines?: number;
}

interface InstanceLine {
  readonly id: string;
  readonly dn: string;
  node: RunNode | undefined;
  state: NodeState | 'idle';
  since: number;
}

/** How many ladder messages to show on each side of a failure. */
const AROUND = 4;

/** The terminal view of scenario runs: a run reporter for the engine, plus {@link PrettyReporter.finish} for the end. */
export class PrettyReporter implements RunReporter {
  private readonly o: PrettyReporterOptions;
  private nodes = new Map<string, RunNode>();
  private lines: InstanceLine[] = [];
  private drawn = 0;
  private redraw: ReturnType<typeof setTimeout> | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(options: PrettyReporterOptions) {
    this.o = options;
  }

  /** A scenario is about to run. */
  begin(file: string, title: string | undefined): void {
    const { style } = this.o;
    this.o.out.write(`${style.bold(`▶ ${file}`)}${title !== undefined && title !== file ? style.dim(`  ${title}`) : ''}\n`);
  }

  onStarted(e: ScenarioStartedEvent): void {
    this.nodes = new Map(e.nodes.map((n) => [n.id, n]));
    this.lines = e.instances.map((i) => ({ id: i.id, dn: i.dn, node: undefined, state: 'idle', since: e.timestamp }));
    if (this.o.verbose) for (const i of e.instances) this.print(this.o.style.dim(`  ${i.id} listens on ${i.address.address}:${i.address.port} (${i.contact})`));
    if (this.o.live) {
      this.draw();
      this.ticker = setInterval(() => this.schedule(), 250);
      this.ticker.unref?.();
    }
  }

  onNodeState(e: NodeStateEvent): void {
    const line = this.lines.find((l) => l.id === e.instanceId);
    const node = this.nodes.get(e.nodeId);
    if (line !== undefined && (e.newState === 'running' || line.node?.id === e.nodeId)) {
      line.node = node ?? { id: e.nodeId, instanceId: e.instanceId, kind: 'command', name: e.nodeId, callId: '' };
      line.state = e.newState;
      line.since = e.timestamp;
    }
    if (this.o.live) this.schedule();
    else if (e.newState === 'completed' || e.newState === 'failed' || e.newState === 'stopped') {
      const started = this.startedAt.get(e.nodeId);
      this.print(`  ${this.describe(e.instanceId, node, e.nodeId)}  ${this.paintState(e.newState)}${started !== undefined ? this.o.style.dim(` ${formatDuration(e.timestamp - started)}`) : ''}${e.error !== undefined ? `  ${e.error}` : ''}`);
    }
    if (e.newState === 'running') this.startedAt.set(e.nodeId, e.timestamp);
  }
  private readonly startedAt = new Map<string, number>();

  onActionLog(e: ActionLogEvent): void {
    // Without --verbose, only what went wrong or looks wrong.
    if (!this.o.verbose && e.level !== 'warn' && e.level !== 'error') return;
    const { style } = this.o;
    const level = e.level === 'error' ? style.red('error') : e.level === 'warn' ? style.yellow('warn ') : style.dim(e.level.padEnd(5));
    const who = [e.instanceId, derivedId(e.nodeId, e.instanceId) ? '' : e.nodeId].filter((x) => x !== '').join(' ');
    this.print(`  ${style.dim(clock(e.timestamp))} ${level} ${who !== '' ? style.cyan(who) + ' ' : ''}${e.message}`);
  }

  onSip(e: SipEvent): void {
    if (!this.o.verbose) return;
    const { style } = this.o;
    const arrow = e.direction === 'sent' ? '→' : '←';
    const head = `  ${style.dim(clock(e.timestamp))} ${style.cyan(e.instanceId)} ${e.direction} ${arrow} ${e.remote.address}:${e.remote.port}${e.callId !== undefined ? style.dim(` (${e.callId})`) : ''}`;
    const body = e.raw.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n').map((l) => `      ${style.dim('│')} ${l}`).join('\n');
    this.print(`${head}\n${body}`);
  }

  /** The run is over: the ladder, the verdict and, for a failure, the messages around it. */
  finish(run: ScenarioRun): void {
    this.stopLive();
    const { style, out } = this.o;
    const ladder = buildLadder(run);
    if (run.status !== 'invalid') {
      out.write('\n' + this.ladderText(ladder) + '\n\n');
    }
    const took = formatDuration(run.endedAt - run.startedAt);
    const counts = `${run.instances.length} instance${run.instances.length === 1 ? '' : 's'}, ${ladder.arrows.length} SIP message${ladder.arrows.length === 1 ? '' : 's'}, ${took}`;
    if (run.status === 'passed') {
      out.write(`${style.green(style.bold('✔ PASSED'))} ${run.file} ${style.dim(`(${counts})`)}\n\n`);
      return;
    }
    const word = run.status === 'invalid' ? 'INVALID' : run.status === 'stopped' ? 'STOPPED' : 'FAILED';
    out.write(`${style.red(style.bold(`✘ ${word}`))} ${run.file}${run.status !== 'invalid' ? ' ' + style.dim(`(${counts})`) : ''}\n`);
    const f = run.failure;
    if (run.status === 'invalid') {
      out.write(`  ${f?.message.split(':')[0] ?? 'the scenario did not load'} (listed above)\n\n`);
      return;
    }
    if (f !== undefined) {
      const where = [f.nodeId !== undefined ? `node ${style.bold(f.nodeId)}` : '', f.instanceId !== undefined ? `instance ${f.instanceId}` : ''].filter((x) => x !== '').join(', ');
      // The engine says `instance <id>: <reason>`; the instance is named already.
      const reason = f.instanceId !== undefined && f.message.startsWith(`instance ${f.instanceId}: `) ? f.message.slice(`instance ${f.instanceId}: `.length) : f.message;
      out.write(`  ${where !== '' ? where + ': ' : ''}${reason}\n`);
      // With a short ladder, the whole of it is just above.
      const around = ladder.arrows.length > 2 * AROUND ? this.around(run, ladder) : undefined;
      if (around !== undefined) out.write(`\n  Messages around the failure:\n${indent(around)}\n`);
    }
    out.write('\n');
  }

  /** Stops redrawing (the run ended or was interrupted). */
  stopLive(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.redraw !== undefined) clearTimeout(this.redraw);
    this.ticker = undefined;
    this.redraw = undefined;
    if (this.o.live && this.lines.length > 0) this.draw();
    this.drawn = 0;
    this.lines = [];
  }

  private ladderText(ladder: Ladder): string {
    const max = this.o.maxLadderLines ?? 400;
    const paint = this.painter();
    if (ladder.arrows.length <= max) return renderTextLadder(ladder, { paint });
    const half = Math.floor(max / 2);
    const head = renderTextLadder(ladder, { paint, to: half });
    const tail = renderTextLadder(ladder, { paint, from: ladder.arrows.length - half }).split('\n').slice(2).join('\n');
    return `${head}\n${tail}\n${this.o.style.dim(`  (${ladder.arrows.length} messages; --report writes them all)`)}`;
  }

  /** The ladder lines around the failure: the messages just before and after it. */
  private around(run: ScenarioRun, ladder: Ladder): string | undefined {
    if (ladder.arrows.length === 0) return undefined;
    const failedAt = [...run.events].reverse().find((e) => e.type === 'scenario:node-state' && e.newState === 'failed' && (run.failure?.nodeId === undefined || e.nodeId === run.failure.nodeId))?.timestamp ?? run.endedAt;
    const us = failedAt * 1000;
    let i = ladder.arrows.findIndex((a) => a.timeUs > us);
    if (i < 0) i = ladder.arrows.length;
    return renderTextLadder(ladder, { paint: this.painter(), from: Math.max(0, i - AROUND), to: Math.min(ladder.arrows.length, i + AROUND) });
  }

  private painter(): (text: string, kind: 'header' | 'arrow' | 'retransmission' | 'time' | 'call') => string {
    const { style } = this.o;
    return (text, kind) => (kind === 'header' ? style.bold(text) : kind === 'time' || kind === 'call' ? style.dim(text) : kind === 'retransmission' ? style.yellow(text) : text);
  }

  private describe(instanceId: string, node: RunNode | undefined, nodeId: string): string {
    const { style } = this.o;
    // Ids the author gave are worth showing; ids derived from the step's place (alice.steps[2]) are not.
    const derived = nodeId === node?.name || derivedId(nodeId, instanceId);
    const name = node === undefined ? nodeId : derived ? node.name : `${node.name} ${style.dim(`[${nodeId}]`)}`;
    return `${style.cyan(instanceId)} ${name}${node !== undefined && node.callId !== 'call-1' && node.callId !== '' ? style.dim(` (${node.callId})`) : ''}`;
  }

  private paintState(state: NodeState | 'idle'): string {
    const { style } = this.o;
    switch (state) {
      case 'completed':
        return style.green('completed');
      case 'failed':
        return style.red('failed');
      case 'stopped':
        return style.yellow('stopped');
      case 'running':
        return style.blue('running');
      default:
        return style.dim(state);
    }
  }

  /** Prints a line above the live block. */
  private print(text: string): void {
    if (this.o.live && this.drawn > 0) {
      this.o.out.write(`\x1b[${this.drawn}F\x1b[J`);
      this.drawn = 0;
      this.o.out.write(text + '\n');
      this.draw();
      return;
    }
    this.o.out.write(text + '\n');
  }

  private schedule(): void {
    if (this.redraw !== undefined) return;
    this.redraw = setTimeout(() => {
      this.redraw = undefined;
      this.draw();
    }, 40);
    this.redraw.unref?.();
  }

  /** Draws the instance lines, replacing the ones drawn before. */
  private draw(): void {
    const columns = this.o.out.columns;
    const width = columns !== undefined && columns > 0 ? Math.max(40, columns - 1) : 100;
    const now = Date.now();
    const rows = this.lines.map((l) => {
      const who = `${l.id}${l.dn !== '' && l.dn !== l.id ? ` (${l.dn})` : ''}`.padEnd(16);
      const what = l.node === undefined ? this.o.style.dim('waiting to start') : `${this.describe(l.id, l.node, l.node.id).replace(/^\S+ /, '')}  ${this.paintState(l.state)}`;
      const elapsed = l.state === 'running' ? this.o.style.dim(` ${formatDuration(Math.max(0, now - l.since))}`) : '';
      return truncate(`  ${this.o.style.cyan(who)} ${what}${elapsed}`, width);
    });
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.o.out.write(clear + rows.map((r) => r + '\n').join(''));
    this.drawn = rows.length;
  }
}

/** An id made from the step's place (`alice.steps[2]`) or a per-instance copy (`x@bob`): not worth showing. */
function derivedId(nodeId: string, instanceId: string): boolean {
  return nodeId.startsWith(`${instanceId}.`) || nodeId.includes('@');
}

/** HH:MM:SS.mmm of a Unix ms time, in local time. */
function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}

/** Cuts a line with ANSI codes to `width` visible characters. */
function truncate(text: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\x1b') {
      const end = text.indexOf('m', i);
      if (end > 0) {
        out += text.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width) continue;
    out += text[i];
    visible++;
  }
  return out;
}
