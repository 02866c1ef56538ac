// The HTML report (`sipflow run --report run.html`): one self-contained page for one or more
// scenario runs. Each run shows its verdict first (and on failure the node, its instance, the reason,
// the messages around it and a jump to them), then its SIP ladder (SVG, one arrow per message, the
// whole message in a panel on click or Enter), then its node timeline with its media, then links to
// the recordings it made. The page
// loads nothing: inline CSS, SVG and one inline script, with a Content-Security-Policy that allows
// nothing else. Every text from the run is escaped; the JSON data blocks escape `<`.

import { createHash } from 'node:crypto';
import { basename, isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildLadder, type Ladder } from './ladder.js';
import { mediaMarks } from './html-media.js';
import { renderLadder } from './html-ladder.js';
import { REPORT_SCRIPT } from './html-script.js';
import { REPORT_CSS } from './html-style.js';
import { nodeSpans, renderTimeline } from './html-timeline.js';
import { clip, escapeHtml as esc, formatDuration, isoTime, jsonForScript } from './html-util.js';
import { recordingsOf, type ScenarioRun, type ScenarioRunStatus } from './scenario-run.js';
import { renderTextLadder } from './text-ladder.js';

/**
 * Options of {@link renderHtmlReport}.
 *
 * @example
 * ```ts
 * const options: HtmlReportOptions = { title: 'nightly regression', generatedAt: Date.now() };
 * ```
 */
export interface HtmlReportOptions {
  /** The page title (default `sipflow report`, with the scenario's name for a single run). */
  readonly title?: string;
  /** When the report was made, Unix ms (default now); shown under the title. */
  readonly generatedAt?: number;
  /**
   * The folder the report is written to: recordings are linked relative to it, so the report and
   * the output folder can be moved together. Without it they are linked by absolute `file:` URL.
   */
  readonly reportDir?: string;
}

const VERDICT: Readonly<Record<ScenarioRunStatus, string>> = { passed: 'PASSED', failed: 'FAILED', stopped: 'STOPPED', invalid: 'INVALID' };

let scriptHash: string | undefined;

/** The page's Content-Security-Policy: nothing but the inline style and this one inline script. */
function contentSecurityPolicy(): string {
  scriptHash ??= createHash('sha256').update(REPORT_SCRIPT).digest('base64');
  return `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
}

/**
 * The HTML report of scenario runs: one self-contained HTML page (no network access: inline CSS,
 * SVG and script only; recordings are linked, not embedded). Per run, in this order: the verdict (passed, failed, stopped, invalid) and
 * on failure the failing node, its instance, the reason, the messages around the failure and a
 * link to them on the ladder; the SIP ladder with a legend of the calls, filters and a panel showing
 * any message in full; the node timeline per instance, with DTMF, hold, playback and recording;
 * links to the call recordings.
 *
 * @param runs the recorded runs, in the order to show them
 * @returns the whole HTML document
 * @example
 * ```ts
 * const recorder = new ScenarioRecorder({ file: 'call.json' });
 * engine.addReporter(recorder);
 * await engine.run(loadScenarioFile('call.json'));
 * writeFileSync('run.html', renderHtmlReport([recorder.record()], { title: 'nightly' }));
 * ```
 */
export function renderHtmlReport(runs: readonly ScenarioRun[], options: HtmlReportOptions = {}): string {
  const title = options.title ?? (runs.length === 1 ? `sipflow: ${runs[0]!.scenarioId}` : 'sipflow report');
  const generatedAt = options.generatedAt ?? Date.now();
  const counts = new Map<ScenarioRunStatus, number>();
  for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const tally = (['failed', 'invalid', 'stopped', 'passed'] as const)
    .filter((s) => counts.has(s))
    .map((s) => `<span class="v-${s}"><span class="badge">${counts.get(s)} ${VERDICT[s]}</span></span>`)
    .join(' ');
  const list =
    runs.length > 1
      ? `<ol class="runs">${runs
          .map((r, i) => `<li class="v-${r.status}"><a href="#r${i}"><span class="badge">${VERDICT[r.status]}</span> ${esc(r.scenarioId)}</a>${r.file !== r.scenarioId ? ` <span class="file">${esc(r.file)}</span>` : ''}${r.failure !== undefined ? `<span class="why">${esc(clip(r.failure.message, 200))}</span>` : ''}</li>`)
          .join('')}</ol>`
      : '';
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="sipflow">` +
    `<title>${esc(title)}</title><style>${REPORT_CSS}</style></head>\n<body><main>` +
    `<header class="page-h"><h1>${esc(title)}</h1><div class="meta">${runs.length} run${runs.length === 1 ? '' : 's'} ${tally} · generated ${esc(isoTime(generatedAt))}</div>${list}</header>\n` +
    (runs.length === 0 ? `<p class="empty">No scenario ran.</p>` : runs.map((r, i) => renderRun(r, `r${i}`, options.reportDir)).join('\n')) +
    `\n</main><script>${REPORT_SCRIPT}</script></body></html>\n`
  );
}

/** One run's section: verdict, ladder, timeline, and the ladder's data for the script. */
function renderRun(run: ScenarioRun, prefix: string, reportDir: string | undefined): string {
  const ladder = buildLadder(run);
  const media = mediaMarks(run, ladder);
  const section = renderLadder(run, ladder, media, prefix);
  const timeline = renderTimeline(run, media, prefix);
  const data = {
    t0: run.startedAt * 1000,
    cols: ladder.columns.map((c) => c.title),
    calls: ladder.calls.map((c) => c.label),
    arrows: ladder.arrows.map((a) => ({ f: a.from, t: a.to, l: a.label, s: a.sdp ?? '', u: a.timeUs, c: a.call, r: a.retransmission ? 1 : 0, id: a.sipCallId, raw: a.raw })),
  };
  return (
    `<section class="run v-${run.status}" id="${prefix}" data-prefix="${prefix}" data-status="${run.status}" aria-labelledby="${prefix}-h">` +
    verdict(run, prefix, ladder, section.failureId, section.failureAt, timeline.barIds) +
    (run.status === 'invalid' && ladder.arrows.length === 0
      ? ''
      : `<h3 id="${prefix}-ladder">SIP ladder</h3>${section.html}<h3 id="${prefix}-timeline">Node timeline</h3>${timeline.html}`) +
    recordingList(run, prefix, reportDir) +
    (ladder.arrows.length > 0 ? `<script type="application/json" id="${prefix}-data">${jsonForScript(data)}</script>` : '') +
    `</section>`
  );
}

function verdict(run: ScenarioRun, prefix: string, ladder: Ladder, failureId: string | undefined, failureAt: number | undefined, barIds: ReadonlyMap<string, string>): string {
  const spans = nodeSpans(run);
  const ended = (s: string): number => spans.filter((x) => x.state === s).length;
  const instances = run.instances.map((i) => `${i.id}${i.dn !== '' && i.dn !== i.id ? ` (${i.dn})` : ''} ${i.address.address}:${i.address.port}`).join(', ');
  const retrans = ladder.arrows.filter((a) => a.retransmission).length;
  const facts: Array<[string, string]> = [
    ['started', isoTime(run.startedAt)],
    ['duration', formatDuration(run.endedAt - run.startedAt)],
    ['instances', instances !== '' ? instances : 'none'],
    ['SIP messages', `${ladder.arrows.length}${retrans > 0 ? ` (${retrans} retransmission${retrans === 1 ? '' : 's'})` : ''}`],
    ['calls', String(ladder.calls.length)],
    ['nodes', `${new Set(spans.map((s) => s.history.node.id)).size} of ${run.nodes.length} ran: ${ended('completed')} completed, ${ended('failed')} failed, ${ended('stopped')} stopped${ended('running') > 0 ? `, ${ended('running')} did not end` : ''}`],
  ];
  let outcome: string;
  if (run.status === 'failed' || run.status === 'invalid') {
    const f = run.failure;
    const node = f?.nodeId !== undefined ? run.nodes.find((n) => n.id === f.nodeId) : undefined;
    const inst = f?.instanceId !== undefined ? run.instances.find((i) => i.id === f.instanceId) : undefined;
    const where =
      f?.nodeId !== undefined
        ? `<p class="fwhat">Failed at node <code>${esc(f.nodeId)}</code>${node !== undefined ? ` <b>${esc(node.name)}</b>${node.label !== undefined ? ` “${esc(node.label)}”` : ''}` : ''}${f.instanceId !== undefined ? ` on instance <b>${esc(f.instanceId)}</b>${inst !== undefined && inst.dn !== '' && inst.dn !== inst.id ? ` (${esc(inst.dn)})` : ''}` : ''}</p>`
        : f?.instanceId !== undefined
          ? `<p class="fwhat">Failed on instance <b>${esc(f.instanceId)}</b></p>`
          : run.status === 'invalid'
            ? `<p class="fwhat">The scenario did not run.</p>`
            : `<p class="fwhat">The scenario failed before any node ran.</p>`;
    const links: string[] = [];
    if (failureId !== undefined) links.push(`<a class="jump" href="#${failureId}">Jump to the messages around the failure ↓</a>`);
    else if (ladder.arrows.length > 0) links.push(`<a class="jump" href="#${prefix}-a${ladder.arrows.length - 1}">Jump to the last message ↓</a>`);
    const bar = f?.nodeId !== undefined ? barIds.get(f.nodeId) : undefined;
    if (bar !== undefined) links.push(`<a class="jump" href="#${bar}">The node on the timeline ↓</a>`);
    let excerpt = '';
    if (ladder.arrows.length > 0) {
      const at = failureAt ?? ladder.arrows.length;
      const from = Math.max(0, at - 4);
      const to = Math.min(ladder.arrows.length, Math.max(at + 2, from + 1));
      excerpt = `<p class="exh">The messages around the failure (times from the first message):</p><pre class="excerpt">${esc(renderTextLadder(ladder, { from, to }))}${at >= to ? '\n' + ' '.repeat(11) + '× failure here' : ''}</pre>`;
    }
    outcome =
      `<div class="failure" role="alert" id="${prefix}-failure">${where}<p class="freason">${esc(f?.message ?? 'no reason recorded')}</p>` +
      `${links.length > 0 ? `<p class="flinks">${links.join(' · ')}</p>` : ''}${excerpt}</div>`;
  } else if (run.status === 'stopped') {
    const stopped = spans.filter((s) => s.state === 'stopped' || s.state === 'running').map((s) => `<code>${esc(s.history.node.id)}</code> ${esc(s.history.node.name)}`);
    outcome = `<p class="outcome">The run was stopped before its end${stopped.length > 0 ? `; nodes it stopped: ${stopped.join(', ')}` : ''}.</p>`;
  } else {
    const caught = spans.filter((s) => s.state === 'failed');
    outcome = `<p class="outcome">Every chain ended with no unhandled failure${caught.length > 0 ? `; ${caught.length} node failure${caught.length === 1 ? ' was' : 's were'} caught by a failure branch (${caught.map((s) => `<code>${esc(s.history.node.id)}</code>`).join(', ')})` : ''}.</p>`;
  }
  return (
    `<header class="verdict"><div class="vline"><span class="badge" id="${prefix}-verdict">${VERDICT[run.status]}</span><h2 id="${prefix}-h">${esc(run.scenarioId)}</h2><span class="file">${esc(run.file)}</span></div>` +
    `${outcome}<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl></header>`
  );
}

/** The run's recordings, each linked (relative to the report's folder when known) with its call and length. */
function recordingList(run: ScenarioRun, prefix: string, reportDir: string | undefined): string {
  const recordings = recordingsOf(run);
  if (recordings.length === 0) return '';
  const href = (file: string): string => {
    if (reportDir === undefined || !isAbsolute(file)) return pathToFileURL(file).href;
    return relative(reportDir, file).split(sep).map(encodeURIComponent).join('/');
  };
  const items = recordings.map((r) => {
    const what = [r.instanceId, r.callId ?? r.sipCallId ?? '', r.stereo ? 'both directions (stereo)' : 'received audio', r.durationMs !== undefined ? formatDuration(r.durationMs) : 'not completed'].filter((x) => x !== '');
    return `<li><a href="${esc(href(r.file))}">${esc(basename(r.file))}</a> <span class="file">${esc(what.join(' · '))}</span></li>`;
  });
  return `<h3 id="${prefix}-recordings">Recordings</h3><ul class="recs">${items.join('')}</ul>`;
}
