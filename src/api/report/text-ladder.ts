// The ladder as plain text, for terminals and CI logs (JUnit system-out): a header with each
// column's title and address, then one line per SIP message with its time from the first message,
// the arrow with the method or status on it, and the logical call key.
//
//                   alice (100)            bob (200)
//                 127.0.0.1:15060       127.0.0.1:15062
//   +0.000s             |-------INVITE-------->|            call-1  SDP sendrecv PCMU
//   +0.002s             |<----180 Ringing------|            call-1

import type { Ladder, LadderArrow } from './ladder.js';

/** Options of {@link renderTextLadder}. */
export interface TextLadderOptions {
  /** Width of each column in characters (default: fits the longest label, 18 to 34). */
  readonly columnWidth?: number;
  /** Only the arrows `from` ≤ index < `to` (for the messages around a failure). */
  readonly from?: number;
  readonly to?: number;
  /** Colour a line (ANSI on a TTY); default none. `kind` says what the text is. */
  readonly paint?: (text: string, kind: 'header' | 'arrow' | 'retransmission' | 'time' | 'call') => string;
}

const TIME_WIDTH = 11;

/** Renders the ladder as text lines (no trailing newline). An empty ladder says so. */
export function renderTextLadder(ladder: Ladder, options: TextLadderOptions = {}): string {
  if (ladder.arrows.length === 0) return '(no SIP messages)';
  const paint = options.paint ?? ((t: string) => t);
  const longest = Math.max(...ladder.arrows.map((a) => a.label.length + (a.retransmission ? 2 : 0)), ...ladder.columns.map((c) => Math.max(c.title.length, c.address.length)));
  const width = options.columnWidth ?? Math.min(34, Math.max(18, longest + 6));
  const centre = (c: number): number => TIME_WIDTH + c * width + Math.floor(width / 2);
  const total = TIME_WIDTH + ladder.columns.length * width;
  const lines: string[] = [];
  const header = (pick: (i: number) => string): string => {
    const row = Array.from({ length: total }, () => ' ');
    ladder.columns.forEach((_, i) => put(row, centre(i) - Math.floor(fit(pick(i), width - 1).length / 2), fit(pick(i), width - 1)));
    return row.join('').trimEnd();
  };
  lines.push(paint(header((i) => ladder.columns[i]!.title), 'header'));
  lines.push(paint(header((i) => ladder.columns[i]!.address), 'header'));
  const t0 = ladder.arrows[0]!.timeUs;
  const first = options.from ?? 0;
  const last = options.to ?? ladder.arrows.length;
  if (first > 0) lines.push(' '.repeat(TIME_WIDTH) + `… ${first} earlier message${first === 1 ? '' : 's'}`);
  for (const arrow of ladder.arrows.slice(first, last)) {
    const row = Array.from({ length: total }, () => ' ');
    ladder.columns.forEach((_, i) => (row[centre(i)] = '|'));
    drawArrow(row, arrow, centre(arrow.from), centre(arrow.to));
    const time = `+${((arrow.timeUs - t0) / 1e6).toFixed(3)}s`.padStart(TIME_WIDTH - 2).padEnd(TIME_WIDTH);
    const tail = [ladder.calls[arrow.call]?.label ?? '', arrow.sdp ?? ''].filter((x) => x !== '').join('  ');
    lines.push(paint(time, 'time') + paint(row.join('').slice(TIME_WIDTH).trimEnd(), arrow.retransmission ? 'retransmission' : 'arrow') + (tail !== '' ? '  ' + paint(tail, 'call') : ''));
  }
  if (last < ladder.arrows.length) lines.push(' '.repeat(TIME_WIDTH) + `… ${ladder.arrows.length - last} later message${ladder.arrows.length - last === 1 ? '' : 's'}`);
  return lines.join('\n');
}

function drawArrow(row: string[], arrow: LadderArrow, a: number, b: number): void {
  const label = (arrow.retransmission ? `${arrow.label} ↻` : arrow.label);
  if (a === b) {
    // A message an instance sent to itself: a loop beside its column.
    put(row, a + 1, `<-${label}`);
    return;
  }
  const [lo, hi] = a < b ? [a, b] : [b, a];
  for (let x = lo + 1; x < hi; x++) row[x] = '-';
  if (a < b) row[hi - 1] = '>';
  else row[lo + 1] = '<';
  const room = hi - lo - 3;
  const text = fit(label, room);
  put(row, lo + 2 + Math.floor((room - text.length) / 2), text);
}

function put(row: string[], at: number, text: string): void {
  for (let i = 0; i < text.length; i++) if (at + i >= 0 && at + i < row.length) row[at + i] = text[i]!;
}

/** `text`, cut with … to `max` characters. */
function fit(text: string, max: number): string {
  if (max <= 0) return '';
  return text.length <= max ? text : text.slice(0, Math.max(0, max - 1)) + '…';
}
