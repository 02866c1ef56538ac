// The SVG ladder of the HTML report: a column per instance and remote party (sticky HTML headers
// above the SVG), one row per SIP message with its arrow, and rows between them for what happened
// at that point of the run: DTMF, holds, playbacks (bars beside the column while they last) and node
// failures. Rows follow the run's event order, so a mark sits between the messages it came between.
// Drawn from `buildLadder` and `mediaMarks` alone; the inline script (html-script.ts) only reads it.

import type { SipEvent } from '../../engine/run-events.js';
import type { Ladder, LadderArrow } from './ladder.js';
import type { MediaMarks } from './html-media.js';
import type { ScenarioRun } from './scenario-run.js';
import { clip, escapeHtml as esc, formatOffset } from './html-util.js';

/**
 * Height of a message row of the ladder, in px (fixed, so a long run scrolls evenly).
 *
 * @example
 * ```ts
 * const top = 12 * LADDER_ROW_HEIGHT; // where the 13th message is, with no mark above it
 * ```
 */
export const LADDER_ROW_HEIGHT = 40;
/**
 * Height of a mark row of the ladder (DTMF, hold, playback, node failure), in px.
 *
 * @example
 * ```ts
 * const marks = rows.filter((r) => r.kind !== 'arrow').length * LADDER_MARK_HEIGHT;
 * ```
 */
export const LADDER_MARK_HEIGHT = 24;
/**
 * How many call colours the style sheet has (`c0` … `c9`); calls beyond reuse them in turn.
 *
 * @example
 * ```ts
 * const colour = `c${callIndex % CALL_COLOURS}`;
 * ```
 */
export const CALL_COLOURS = 10;

const GUTTER_L = 76;
const GUTTER_R = 170;
const CHAR_W = 6.8;
const SMALL_CHAR_W = 6.7;

/**
 * A row of the ladder: a message, a media event (index in `run.media`), or a node that failed
 * (`fatal` for the one that failed the run).
 *
 * @example
 * ```ts
 * const text = (r: LadderRow): string => (r.kind === 'arrow' ? r.arrow.label : r.kind === 'media' ? run.media[r.media]!.kind : `${r.nodeId} failed`);
 * ```
 */
export type LadderRow =
  | { readonly kind: 'arrow'; readonly arrow: LadderArrow }
  | { readonly kind: 'media'; readonly media: number }
  | { readonly kind: 'fail'; readonly nodeId: string; readonly instanceId: string; readonly error: string; readonly timestamp: number; readonly fatal: boolean };

/**
 * The ladder section's HTML and where the run's failure is on it.
 *
 * @example
 * ```ts
 * const { html, failureId } = renderLadder(run, ladder, mediaMarks(run, ladder), 'r0');
 * const link = failureId !== undefined ? `<a href="#${failureId}">the failure</a>` : '';
 * ```
 */
export interface LadderSection {
  /** Filters and legend, sticky headers and the SVG (no panel, no data). */
  readonly html: string;
  /** The rows, top to bottom. */
  readonly rows: readonly LadderRow[];
  /** Element id of the mark of the node that failed the run, if it has one. */
  readonly failureId: string | undefined;
  /** How many messages come before the failure (for an excerpt of the messages around it). */
  readonly failureAt: number | undefined;
}

/**
 * The CSS class of a call's colour (`c3`), or `cx` for no call.
 *
 * @example
 * ```ts
 * callClass(13); // 'c3'
 * callClass(undefined); // 'cx'
 * ```
 */
export const callClass = (call: number | undefined): string => (call === undefined ? 'cx' : `c${call % CALL_COLOURS}`);

/**
 * The ladder's rows in the run's order: each message, with the media events and node failures
 * placed between the messages they happened between (by event order; by time for events the run's
 * stream does not hold).
 *
 * @example
 * ```ts
 * const rows = ladderRows(run, buildLadder(run));
 * rows.filter((r) => r.kind === 'arrow').length; // the number of messages
 * ```
 */
export function ladderRows(run: Pick<ScenarioRun, 'events' | 'sip' | 'media' | 'failure' | 'status'>, ladder: Ladder): LadderRow[] {
  const arrows = ladder.arrows;
  // The ladder's arrows are run.sip in order, less the receiving half of messages between instances.
  const arrowOf = new Map<SipEvent, number>();
  let k = 0;
  for (const e of run.sip) {
    const a = arrows[k];
    if (a !== undefined && a.timeUs === e.timeUs && a.raw === e.raw) arrowOf.set(e, k++);
  }
  // How many messages came before `us` (the arrows are in time order, give or take a few µs).
  const before = (us: number): number => {
    let lo = 0;
    let hi = arrows.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (arrows[m]!.timeUs < us) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  // A mark goes where the event stream put it, kept within its time: `timestamp` is the µs clock rounded to ms.
  const place = (at: number, ms: number): number => Math.min(Math.max(at, before(ms * 1000 - 500)), before(ms * 1000 + 500));
  const mediaIndex = new Map(run.media.map((m, i) => [m, i] as const));
  const placed = new Set<number>();
  const marks: Array<{ at: number; row: LadderRow }> = [];
  let fatalSeen = false;
  let next = 0;
  for (const e of run.events) {
    if (e.type === 'sip') {
      const a = arrowOf.get(e);
      if (a !== undefined) next = Math.max(next, a + 1);
    } else if (e.type === 'media') {
      const i = mediaIndex.get(e);
      if (i !== undefined && !placed.has(i)) {
        placed.add(i);
        marks.push({ at: place(next, e.timestamp), row: { kind: 'media', media: i } });
      }
    } else if (e.type === 'scenario:node-state' && e.newState === 'failed') {
      const fatal: boolean = !fatalSeen && run.status === 'failed' && run.failure?.nodeId === e.nodeId;
      fatalSeen ||= fatal;
      marks.push({ at: place(next, e.timestamp), row: { kind: 'fail', nodeId: e.nodeId, instanceId: e.instanceId, error: e.error ?? '', timestamp: e.timestamp, fatal } });
    } else if (e.type === 'scenario:failed' && !fatalSeen) {
      fatalSeen = true;
      marks.push({ at: place(next, e.timestamp), row: { kind: 'fail', nodeId: e.nodeId ?? '', instanceId: e.instanceId ?? '', error: e.error, timestamp: e.timestamp, fatal: true } });
    }
  }
  run.media.forEach((m, i) => {
    if (!placed.has(i)) marks.push({ at: before(m.timestamp * 1000 + 500), row: { kind: 'media', media: i } });
  });
  marks.sort((a, b) => a.at - b.at);
  const rows: LadderRow[] = [];
  let m = 0;
  for (let i = 0; i <= arrows.length; i++) {
    while (m < marks.length && marks[m]!.at <= i) rows.push(marks[m++]!.row);
    if (i < arrows.length) rows.push({ kind: 'arrow', arrow: arrows[i]! });
  }
  return rows;
}

/**
 * The ladder of one run as HTML: call legend and filters, sticky column headers, and an SVG with
 * one focusable `g.arrow` per message (`id` = `<prefix>-a<index>`, `data-i` = its index in
 * `ladder.arrows`), media marks and failure marks between them.
 *
 * @example
 * ```ts
 * const ladder = buildLadder(run);
 * const section = renderLadder(run, ladder, mediaMarks(run, ladder), 'r0');
 * // section.html goes inside the run's <section>; section.failureId is the failure's element id
 * ```
 */
export function renderLadder(run: ScenarioRun, ladder: Ladder, media: MediaMarks, prefix: string): LadderSection {
  const rows = ladderRows(run, ladder);
  const cols = ladder.columns;
  const longest = Math.max(8, ...ladder.arrows.map((a) => Math.max(a.label.length + 2, (a.sdp?.length ?? 0) * (SMALL_CHAR_W / CHAR_W))), ...cols.map((c) => Math.max(c.title.length, c.address.length) * 0.9));
  const colW = Math.round(Math.min(300, Math.max(150, longest * CHAR_W + 40)));
  const width = GUTTER_L + Math.max(1, cols.length) * colW + GUTTER_R;
  const cx = (c: number): number => GUTTER_L + c * colW + colW / 2;
  const columnOf = new Map(cols.filter((c) => c.kind === 'instance').map((c) => [c.key, cols.indexOf(c)] as const));
  const t0 = (run.startedAt || (ladder.arrows[0]?.timeUs ?? 0) / 1000) * 1000;

  const ys: number[] = [];
  let height = 0;
  for (const r of rows) {
    ys.push(height);
    height += r.kind === 'arrow' ? LADDER_ROW_HEIGHT : LADDER_MARK_HEIGHT;
  }
  height = Math.max(height, LADDER_MARK_HEIGHT);
  const mid = (i: number): number => ys[i]! + (rows[i]!.kind === 'arrow' ? 26 : LADDER_MARK_HEIGHT / 2);

  const out: string[] = [];
  let failureId: string | undefined;
  let failureAt: number | undefined;
  let arrowsBefore = 0;
  const rowOfMedia = new Map<number, number>();
  rows.forEach((row, r) => {
    const y = ys[r]!;
    if (row.kind === 'arrow') {
      out.push(arrowRow(row.arrow, r, y, prefix, cx, colW, width, ladder, t0));
      arrowsBefore++;
    } else if (row.kind === 'media') {
      rowOfMedia.set(row.media, r);
      const m = media.events[row.media]!;
      const col = columnOf.get(m.event.instanceId) ?? 0;
      out.push(mediaRow(m, r, y, cx(col), t0, width));
    } else {
      const id = row.fatal && failureId === undefined ? `${prefix}-fail` : undefined;
      if (id !== undefined) {
        failureId = id;
        failureAt = arrowsBefore;
      }
      out.push(failRow(row, r, y, id, columnOf.has(row.instanceId) ? cx(columnOf.get(row.instanceId)!) : undefined, width, t0));
    }
  });

  // Hold and playback bars beside the instance's column, from the row that began them to the one that ended them.
  const lastRowOfCall = new Map<number | undefined, number>();
  rows.forEach((row, r) => lastRowOfCall.set(row.kind === 'arrow' ? row.arrow.call : row.kind === 'media' ? media.events[row.media]!.call : undefined, r));
  const bars: string[] = [];
  for (const p of media.periods) {
    const a = rowOfMedia.get(p.start);
    if (a === undefined) continue;
    const call = media.events[p.start]!.call;
    const b = p.end !== undefined ? (rowOfMedia.get(p.end) ?? rows.length - 1) : Math.max(a, lastRowOfCall.get(call) ?? rows.length - 1);
    const x = cx(columnOf.get(p.instanceId) ?? 0) + (p.kind === 'hold' ? 4 : 11);
    bars.push(
      `<rect class="period ${p.kind} ${callClass(call)}${p.end === undefined ? ' open' : ''}" data-a="${a}" data-b="${b}" data-call="${call ?? ''}" x="${x}" y="${mid(a)}" width="5" height="${Math.max(2, mid(b) - mid(a))}"><title>${esc(`${p.instanceId}: ${p.text}${p.end === undefined ? ' (not ended before the call did)' : ''}`)}</title></rect>`,
    );
  }
  const lifelines = cols.map((c, i) => `<line class="life ${c.kind}" x1="${cx(i)}" y1="0" x2="${cx(i)}" y2="100%"/>`).join('');
  const svg =
    `<svg class="ladder" id="${prefix}-svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="group" aria-label="SIP ladder: ${ladder.arrows.length} messages">` +
    `<g class="lifelines">${lifelines}</g><g class="periods">${bars.join('')}</g><g class="rows">${out.join('')}</g></svg>`;

  const head =
    `<div class="lhead" style="width:${width}px"><div class="lh-time" style="width:${GUTTER_L - 8}px">time (s)</div>` +
    cols.map((c, i) => `<div class="lh-col ${c.kind}" style="left:${cx(i) - colW / 2 + 6}px;width:${colW - 12}px" title="${esc(`${c.title} ${c.address}`)}"><b>${esc(c.title)}</b><span>${esc(c.kind === 'remote' ? 'outside the run' : c.address)}</span></div>`).join('') +
    `<div class="lh-call" style="left:${width - GUTTER_R + 8}px">call</div></div>`;

  const html =
    legend(ladder, prefix) +
    (ladder.arrows.length === 0 ? `<p class="empty">No SIP messages in this run.</p>` : '') +
    `<div class="lwrap"><div class="lscroll" id="${prefix}-scroll" tabindex="-1">${head}${svg}</div>` +
    `<aside class="panel" id="${prefix}-panel" aria-live="polite" aria-label="SIP message"><div class="ph">Click a message (or focus it with Tab and press Enter) to see it here. ↑/↓ move between messages.</div><pre class="raw"></pre></aside></div>`;
  return { html, rows, failureId, failureAt };
}

function arrowRow(a: LadderArrow, r: number, y: number, prefix: string, cx: (c: number) => number, colW: number, width: number, ladder: Ladder, t0: number): string {
  const x1 = cx(a.from);
  const x2 = cx(a.to);
  const ly = 26;
  const call = ladder.calls[a.call];
  const label = a.retransmission ? `${a.label} ↻` : a.label;
  const time = formatOffset(a.timeUs - t0);
  const from = ladder.columns[a.from]?.title ?? '?';
  const to = ladder.columns[a.to]?.title ?? '?';
  const aria = `#${a.index + 1} ${a.label}${a.sdp !== undefined ? ` (${a.sdp})` : ''} from ${from} to ${to} at ${time} s, call ${call?.label ?? '?'}${a.retransmission ? ', retransmission' : ''}`;
  let shape: string;
  let lx: number;
  let span: number;
  if (a.from === a.to) {
    // A message an instance sent to itself: a loop to the right of its column.
    shape = `<path class="ln" d="M${x1},${ly - 6}h34v12h-30"/><path class="hd" d="M${x1},${ly + 6}l8,-4v8z"/>`;
    lx = x1 + 40;
    span = colW / 2 - 44;
    shape += `<rect class="hit" x="${x1}" y="0" width="${colW / 2}" height="${LADDER_ROW_HEIGHT}"/>`;
  } else {
    const dir = x2 > x1 ? 1 : -1;
    shape =
      `<rect class="hit" x="${Math.min(x1, x2)}" y="0" width="${Math.abs(x2 - x1)}" height="${LADDER_ROW_HEIGHT}"/>` +
      `<line class="ln" x1="${x1}" y1="${ly}" x2="${x2 - dir * 9}" y2="${ly}"/><path class="hd" d="M${x2},${ly}l${-dir * 10},-5v10z"/>`;
    lx = (x1 + x2) / 2;
    span = Math.abs(x2 - x1) - 16;
  }
  const anchor = a.from === a.to ? 'start' : 'middle';
  const sdp = a.sdp !== undefined ? `<text class="sdp" x="${lx}" y="${ly + 12}" text-anchor="${anchor}">${esc(clip(a.sdp, Math.floor(span / SMALL_CHAR_W)))}</text>` : '';
  return (
    `<g class="row arrow ${callClass(a.call)}${a.retransmission ? ' retrans' : ''}" id="${prefix}-a${a.index}" data-i="${a.index}" data-r="${r}" data-h="${LADDER_ROW_HEIGHT}" data-call="${a.call}" transform="translate(0,${y})" tabindex="0" role="button" aria-label="${esc(aria)}">` +
    `${shape}<text class="tm" x="${GUTTER_L - 10}" y="${ly + 4}" text-anchor="end">${time}</text>` +
    `<text class="lb" x="${lx}" y="${ly - 6}" text-anchor="${anchor}">${esc(clip(label, Math.floor(span / CHAR_W)))}</text>${sdp}` +
    `<text class="ck" x="${width - GUTTER_R + 8}" y="${ly + 4}">${esc(clip(call?.label ?? '', 24))}</text></g>`
  );
}

function mediaRow(m: MediaMarks['events'][number], r: number, y: number, x: number, t0: number, width: number): string {
  const h = LADDER_MARK_HEIGHT;
  const my = h / 2;
  const kind = m.event.kind;
  const cls = kind.startsWith('dtmf') ? 'dtmf' : kind === 'held' || kind === 'resumed' ? 'hold' : 'playback';
  let glyph: string;
  if (cls === 'dtmf') glyph = `<path class="gl" d="M${x},${my - 6}l6,6l-6,6l-6,-6z"/>`;
  else if (kind === 'held') glyph = `<rect class="gl" x="${x - 6}" y="${my - 5}" width="4" height="10"/><rect class="gl" x="${x + 2}" y="${my - 5}" width="4" height="10"/>`;
  else if (kind === 'playback-started' || kind === 'resumed') glyph = `<path class="gl" d="M${x - 4},${my - 6}l10,6l-10,6z"/>`;
  else glyph = `<rect class="gl" x="${x - 5}" y="${my - 5}" width="10" height="10"/>`;
  return (
    `<g class="row mark ${cls} ${kind} ${callClass(m.call)}" data-r="${r}" data-h="${h}" data-call="${m.call ?? ''}" data-kind="${kind}" transform="translate(0,${y})"><title>${esc(m.detail)}</title>` +
    `<text class="tm" x="${GUTTER_L - 10}" y="${my + 4}" text-anchor="end">${formatOffset(m.event.timestamp * 1000 - t0)}</text>${glyph}` +
    `<text class="mt" x="${x + 20}" y="${my + 4}">${esc(clip(`${m.event.instanceId}: ${m.text}`, Math.floor((width - x - 26) / SMALL_CHAR_W)))}</text></g>`
  );
}

function failRow(row: Extract<LadderRow, { kind: 'fail' }>, r: number, y: number, id: string | undefined, x: number | undefined, width: number, t0: number): string {
  const my = LADDER_MARK_HEIGHT / 2;
  const text = `${row.fatal ? 'FAILED THE RUN' : 'failed'}: ${row.nodeId !== '' ? `${row.nodeId} ` : ''}${row.instanceId !== '' ? `(${row.instanceId}) ` : ''}${row.error}`;
  const cross = x !== undefined ? `<path class="gl" d="M${x - 5},${my - 5}l10,10m0,-10l-10,10"/>` : '';
  return (
    `<g class="row mark fail${row.fatal ? ' fatal' : ''}"${id !== undefined ? ` id="${id}"` : ''} data-r="${r}" data-h="${LADDER_MARK_HEIGHT}" data-call="" transform="translate(0,${y})"${id !== undefined ? ' tabindex="-1"' : ''}><title>${esc(text)}</title>` +
    `<line class="fl" x1="${GUTTER_L}" y1="${my}" x2="${width - GUTTER_R}" y2="${my}"/>` +
    `<text class="tm" x="${GUTTER_L - 10}" y="${my + 4}" text-anchor="end">${formatOffset(row.timestamp * 1000 - t0)}</text>${cross}` +
    `<text class="mt" x="${(x ?? GUTTER_L) + 14}" y="${my - 3}">${esc(clip(text, Math.floor((width - (x ?? GUTTER_L) - 26) / SMALL_CHAR_W)))}</text></g>`
  );
}

function legend(ladder: Ladder, prefix: string): string {
  const counts = ladder.calls.map(() => 0);
  let retrans = 0;
  for (const a of ladder.arrows) {
    counts[a.call] = (counts[a.call] ?? 0) + 1;
    if (a.retransmission) retrans++;
  }
  const calls = ladder.calls
    .map(
      (c, i) =>
        `<label class="lg ${callClass(i)}" title="${esc(`Call-ID ${c.sipCallId}`)}"><input type="checkbox" class="f-call" value="${i}" checked><i class="sw"></i><b>${esc(c.label)}</b> <small>${esc(clip(c.sipCallId, 28))} · ${counts[i]} msg${counts[i] === 1 ? '' : 's'}</small></label>`,
    )
    .join('');
  return (
    `<div class="ltools" role="group" aria-label="Calls and filters" id="${prefix}-tools"><span class="lt-title">Calls (${ladder.calls.length})</span><div class="lg-calls">${calls}</div>` +
    `<label class="lg"><input type="checkbox" class="f-retrans" checked> retransmissions (${retrans})</label>` +
    `<button type="button" class="f-all">show all</button><button type="button" class="f-none">hide all calls</button><span class="f-count" aria-live="polite"></span>` +
    `<span class="keys"><svg width="30" height="10" aria-hidden="true"><line class="k-ln" x1="0" y1="5" x2="30" y2="5"/></svg> message ` +
    `<svg width="30" height="10" aria-hidden="true"><line class="k-ln k-re" x1="0" y1="5" x2="30" y2="5"/></svg> retransmission ↻ ` +
    `<svg width="12" height="12" aria-hidden="true"><path class="k-gl" d="M6,0l6,6l-6,6l-6,-6z"/></svg> DTMF sent ` +
    `<svg width="12" height="12" aria-hidden="true"><path class="k-gl k-rx" d="M6,1l5,5l-5,5l-5,-5z"/></svg> received ` +
    `<svg width="8" height="14" aria-hidden="true"><rect class="k-hold" x="1" y="0" width="5" height="14"/></svg> on hold ` +
    `<svg width="8" height="14" aria-hidden="true"><rect class="k-play" x="1" y="0" width="5" height="14"/></svg> playback</span></div>`
  );
}
