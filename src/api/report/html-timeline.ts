// The node timeline of the HTML report: per instance, one row per node that ran, its bar from when
// it started running to when it ended, coloured by how it ended, with name, id and duration beside
// it and the error on hover or focus; then a media row with DTMF points and hold and playback
// periods. Plain HTML positioned in percent of the run's length, so it fits any width.

import type { NodeState } from '../../engine/run-events.js';
import { nodeHistories, type NodeHistory, type ScenarioRun } from './scenario-run.js';
import type { MediaMarks } from './html-media.js';
import { callClass } from './html-ladder.js';
import { escapeHtml as esc, formatDuration } from './html-util.js';

/**
 * One run of a node: from `running` to the state it ended in (`running` when it never ended).
 *
 * @example
 * ```ts
 * const slowest = nodeSpans(run).sort((a, b) => b.end - b.start - (a.end - a.start))[0];
 * ```
 */
export interface NodeSpan {
  readonly history: NodeHistory;
  readonly start: number;
  readonly end: number;
  readonly state: NodeState;
  readonly error: string | undefined;
}

/**
 * Each time each node ran: from its `running` state to the next state (completed, failed or
 * stopped), or to the end of the run when it never left `running`. Nodes that never ran have none.
 *
 * @example
 * ```ts
 * for (const s of nodeSpans(run)) console.log(s.history.node.id, s.state, s.end - s.start, 'ms');
 * ```
 */
export function nodeSpans(run: ScenarioRun): NodeSpan[] {
  const spans: NodeSpan[] = [];
  for (const history of nodeHistories(run)) {
    let start: number | undefined;
    for (const s of history.states) {
      if (s.state === 'running') {
        if (start !== undefined) spans.push({ history, start, end: s.at, state: 'running', error: undefined });
        start = s.at;
      } else if (s.state !== 'pending' && start !== undefined) {
        spans.push({ history, start, end: s.at, state: s.state, error: s.error });
        start = undefined;
      }
    }
    if (start !== undefined) spans.push({ history, start, end: Math.max(start, run.endedAt), state: 'running', error: undefined });
  }
  return spans;
}

/** A tick every 1, 2 or 5 × 10^n ms, about `count` of them over `span` ms. */
function tickStep(span: number, count: number): number {
  const raw = Math.max(span / count, 0.001);
  const mag = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
}

/**
 * The node timeline of one run as HTML. Each bar is focusable (`tabindex=0`) and has the id
 * `<prefix>-n<k>`; `barIds` maps a node id to its (first) bar's element id.
 *
 * @example
 * ```ts
 * const ladder = buildLadder(run);
 * const { html, barIds } = renderTimeline(run, mediaMarks(run, ladder), 'r0');
 * ```
 */
export function renderTimeline(run: ScenarioRun, media: MediaMarks, prefix: string): { html: string; barIds: ReadonlyMap<string, string> } {
  const spans = nodeSpans(run);
  const t0 = run.startedAt;
  const span = Math.max(1, run.endedAt - t0);
  const pct = (t: number): number => Math.min(100, Math.max(0, ((t - t0) / span) * 100));
  const step = tickStep(span, 8);
  const decimals = Math.max(0, -Math.floor(Math.log10(step / 1000)));
  const ticks: string[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) ticks.push(`<span style="left:${pct(t0 + t).toFixed(3)}%">${(t / 1000).toFixed(decimals)} s</span>`);

  const barIds = new Map<string, string>();
  const order = [...run.instances.map((i) => i.id)];
  for (const s of spans) if (!order.includes(s.history.node.instanceId)) order.push(s.history.node.instanceId);
  for (const m of run.media) if (!order.includes(m.instanceId)) order.push(m.instanceId);
  const rows: string[] = [];
  let k = 0;
  for (const instanceId of order) {
    const mine = spans.filter((s) => s.history.node.instanceId === instanceId);
    const inst = run.instances.find((i) => i.id === instanceId);
    const marks = media.events.filter((m) => m.event.instanceId === instanceId);
    if (mine.length === 0 && marks.length === 0) continue;
    rows.push(`<div class="tl-inst">${esc(inst !== undefined && inst.dn !== '' && inst.dn !== inst.id ? `${inst.id} (${inst.dn})` : instanceId)}</div>`);
    for (const s of mine) {
      const id = `${prefix}-n${k++}`;
      const node = s.history.node;
      if (!barIds.has(node.id)) barIds.set(node.id, id);
      const fatal = run.status === 'failed' && run.failure?.nodeId === node.id && s.state === 'failed';
      const dur = formatDuration(s.end - s.start);
      const ended = s.state === 'running' ? 'did not end' : s.state;
      const what = `${node.name}${node.label !== undefined ? ` “${node.label}”` : ''} ${node.id}: ${ended} after ${dur}${s.error !== undefined ? ` — ${s.error}` : ''}`;
      const left = pct(s.start);
      const tip =
        `<span class="tip${left > 55 ? ' tip-r' : ''}" role="tooltip"><b>${esc(node.name)}</b> <code>${esc(node.id)}</code><br>${esc(ended)} after ${esc(dur)} (+${((s.start - t0) / 1000).toFixed(3)} s → +${((s.end - t0) / 1000).toFixed(3)} s)` +
        `${node.callId !== '' ? `<br>call ${esc(node.callId)}` : ''}${s.error !== undefined ? `<br><span class="err">${esc(s.error)}</span>` : ''}</span>`;
      rows.push(
        `<div class="tl-row${fatal ? ' fatal' : ''}"><div class="tl-label"><b>${esc(node.name)}</b>${node.label !== undefined ? ` <i>${esc(node.label)}</i>` : ''} <code>${esc(node.id)}</code> <span class="dur">${esc(dur)}</span> <span class="st s-${s.state}">${esc(ended)}</span></div>` +
          `<div class="tl-track"><div class="bar s-${s.state}${fatal ? ' fatal' : ''}" id="${id}" tabindex="0" role="img" aria-label="${esc(what)}" style="left:${left.toFixed(3)}%;width:${Math.max(0, pct(s.end) - left).toFixed(3)}%">${tip}</div></div></div>`,
      );
    }
    if (marks.length > 0) {
      const items: string[] = [];
      for (const p of media.periods.filter((p) => p.instanceId === instanceId)) {
        const a = run.media[p.start]!;
        const b = p.end !== undefined ? run.media[p.end]! : undefined;
        const left = pct(a.timestamp);
        const text = `${p.text}: +${((a.timestamp - t0) / 1000).toFixed(3)} s → ${b !== undefined ? `+${((b.timestamp - t0) / 1000).toFixed(3)} s (${formatDuration(b.timestamp - a.timestamp)})` : 'end of the call'}`;
        items.push(
          `<div class="seg ${p.kind} ${callClass(media.events[p.start]!.call)}" tabindex="0" role="img" aria-label="${esc(`${instanceId}: ${text}`)}" style="left:${left.toFixed(3)}%;width:${Math.max(0, pct(b?.timestamp ?? run.endedAt) - left).toFixed(3)}%"><span class="tip${left > 55 ? ' tip-r' : ''}" role="tooltip">${esc(text)}</span></div>`,
        );
      }
      for (const m of marks) {
        if (!m.event.kind.startsWith('dtmf')) continue;
        const left = pct(m.event.timestamp);
        items.push(
          `<div class="pt ${m.event.kind} ${callClass(m.call)}" tabindex="0" role="img" aria-label="${esc(m.detail)}" style="left:${left.toFixed(3)}%"><span class="tip${left > 55 ? ' tip-r' : ''}" role="tooltip">${esc(m.detail)} at +${((m.event.timestamp - t0) / 1000).toFixed(3)} s</span></div>`,
        );
      }
      rows.push(`<div class="tl-row media"><div class="tl-label"><b>media</b> <span class="dur">DTMF ◆ sent ◇ received, hold, playback</span></div><div class="tl-track">${items.join('')}</div></div>`);
    }
  }
  const never = run.nodes.filter((n) => !spans.some((s) => s.history.node.id === n.id)).length;
  const html =
    rows.length === 0
      ? `<p class="empty">No node ran.</p>`
      : `<div class="tl" style="--tick:${((step / span) * 100).toFixed(4)}%"><div class="tl-row axis"><div class="tl-label">node (${formatDuration(span)} in all)</div><div class="tl-track">${ticks.join('')}</div></div>${rows.join('')}</div>` +
        `<p class="legend"><span class="key s-completed"></span> completed <span class="key s-failed"></span> failed <span class="key s-stopped"></span> stopped <span class="key s-running"></span> did not end` +
        `${never > 0 ? ` · ${never} node${never === 1 ? '' : 's'} never ran` : ''}</p>`;
  return { html, barIds };
}
