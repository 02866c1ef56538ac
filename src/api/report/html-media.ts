// What the HTML report draws of a run's media: each `media` event in words, hold and playback
// periods (a `held` with its `resumed`, a `playback-started` with its `playback-ended`), and which
// call of the ladder (SIP Call-ID) each event belongs to. The ladder and the node timeline both
// draw from this.

import type { MediaEvent } from '../../engine/run-events.js';
import type { Ladder } from './ladder.js';
import type { ScenarioRun } from './scenario-run.js';

/**
 * A hold or playback period of one instance on one call.
 *
 * @example
 * ```ts
 * const ended = (p: MediaPeriod): number | undefined => (p.end !== undefined ? run.media[p.end]!.timestamp : undefined);
 * ```
 */
export interface MediaPeriod {
  readonly kind: 'hold' | 'playback';
  readonly instanceId: string;
  /** Index in `run.media` of the event that began it. */
  readonly start: number;
  /** Index in `run.media` of the event that ended it, or undefined when nothing did (the call ended). */
  readonly end: number | undefined;
  /** What the period is, e.g. `on hold (by us, sendonly)` or `playing prompt.wav`. */
  readonly text: string;
}

/**
 * A run's media, ready to draw.
 *
 * @example
 * ```ts
 * const marks: MediaMarks = mediaMarks(run, buildLadder(run));
 * marks.events.filter((m) => m.event.kind === 'dtmf-sent').map((m) => m.text); // ['DTMF 1 sent', …]
 * ```
 */
export interface MediaMarks {
  /** One entry per `run.media` event: its words and its ladder call (index in `ladder.calls`), if known. */
  readonly events: ReadonlyArray<{ readonly event: MediaEvent; readonly text: string; readonly detail: string; readonly call: number | undefined }>;
  readonly periods: readonly MediaPeriod[];
}

const baseName = (file: string): string => file.split(/[\\/]/).pop() ?? file;

/**
 * A media event in a few words (`DTMF 5 sent`, `held by peer (sendonly)`, `playing prompt.wav` …)
 * and in full (with node, call key and file path).
 *
 * @example
 * ```ts
 * describeMedia({ type: 'media', kind: 'dtmf-sent', digits: '5', instanceId: 'alice', timestamp: 0 }).text; // 'DTMF 5 sent'
 * ```
 */
export function describeMedia(e: MediaEvent): { text: string; detail: string } {
  let text: string;
  switch (e.kind) {
    case 'dtmf-sent':
      text = `DTMF ${e.digits ?? '?'} sent${e.form !== undefined && e.form !== 'rfc4733' ? ` (${e.form === 'inband' ? 'in-band' : 'SIP INFO'})` : ''}`;
      break;
    case 'dtmf-received':
      text = `DTMF ${e.digits ?? '?'} received${e.form !== undefined && e.form !== 'rfc4733' ? ` (${e.form === 'inband' ? 'in-band' : 'SIP INFO'})` : ''}`;
      break;
    case 'held':
      text = e.by === 'peer' ? `held by peer${e.direction !== undefined ? ` (${e.direction})` : ''}` : `on hold (by us${e.direction !== undefined ? `, ${e.direction}` : ''})`;
      break;
    case 'resumed':
      text = e.by === 'peer' ? `resumed by peer` : `resumed (by us)`;
      break;
    case 'playback-started':
      text = `playing ${baseName(e.audioFile ?? '?')}`;
      break;
    case 'playback-ended':
      text = `playback ended${e.outcome !== undefined ? ` (${e.outcome})` : ''}`;
      break;
    case 'recording-started':
      text = `recording ${e.stereo === true ? 'both directions' : 'received audio'} to ${baseName(e.audioFile ?? '?')}`;
      break;
    case 'recording-stopped':
      text = `recording completed${e.durationMs !== undefined ? ` (${(e.durationMs / 1000).toFixed(1)} s)` : ''}`;
      break;
    default:
      text = String((e as { kind?: unknown }).kind);
  }
  const extra = [`instance ${e.instanceId}`, e.callId !== undefined ? `call ${e.callId}` : '', e.nodeId !== undefined ? `node ${e.nodeId}` : '', e.audioFile !== undefined ? `file ${e.audioFile}` : ''].filter((x) => x !== '');
  return { text, detail: `${text} — ${extra.join(', ')}` };
}

/**
 * The run's media events in words, their hold and playback periods, and the ladder call of each
 * (found from the SIP messages the same instance sent or received under the same call key, the
 * latest one before the event; keys are per instance, so `call-1` of two instances may be two calls).
 *
 * @example
 * ```ts
 * const marks = mediaMarks(run, buildLadder(run));
 * for (const p of marks.periods) console.log(p.instanceId, p.text);
 * ```
 */
export function mediaMarks(run: Pick<ScenarioRun, 'events' | 'sip' | 'media'>, ladder: Ladder): MediaMarks {
  const callIndex = new Map<string, number>();
  ladder.calls.forEach((c, i) => callIndex.set(c.sipCallId, i));
  const mediaIndex = new Map<MediaEvent, number>();
  run.media.forEach((m, i) => mediaIndex.set(m, i));
  const calls: Array<number | undefined> = run.media.map(() => undefined);
  // The SIP call each instance's key named last, in event order.
  const latest = new Map<string, string>();
  const keyOf = (instanceId: string, callId: string | undefined): string => `${instanceId}\n${callId ?? ''}`;
  for (const e of run.events) {
    if (e.type === 'sip' && e.callId !== undefined) latest.set(keyOf(e.instanceId, e.callId), e.sipCallId);
    else if (e.type === 'media') {
      const i = mediaIndex.get(e);
      // The event names its call on the wire when it knows it; else the key's latest call.
      const sipCallId = e.sipCallId ?? latest.get(keyOf(e.instanceId, e.callId));
      if (i !== undefined && sipCallId !== undefined) calls[i] = callIndex.get(sipCallId);
    }
  }
  // Events the stream did not place (a media event before any message of its key): the first message of the key.
  run.media.forEach((m, i) => {
    if (calls[i] !== undefined || m.callId === undefined) return;
    const first = run.sip.find((s) => s.instanceId === m.instanceId && s.callId === m.callId);
    if (first !== undefined) calls[i] = callIndex.get(first.sipCallId);
  });

  const periods: MediaPeriod[] = [];
  const open = new Map<string, { kind: 'hold' | 'playback'; start: number; text: string }>();
  const close = (key: string, end: number | undefined): void => {
    const p = open.get(key);
    if (p === undefined) return;
    open.delete(key);
    periods.push({ kind: p.kind, instanceId: run.media[p.start]!.instanceId, start: p.start, end, text: p.text });
  };
  const events = run.media.map((event, i) => {
    const { text, detail } = describeMedia(event);
    const base = keyOf(event.instanceId, event.callId);
    if (event.kind === 'held') {
      close(`hold\n${base}`, i);
      open.set(`hold\n${base}`, { kind: 'hold', start: i, text });
    } else if (event.kind === 'resumed') close(`hold\n${base}`, i);
    else if (event.kind === 'playback-started') {
      close(`playback\n${base}`, i);
      open.set(`playback\n${base}`, { kind: 'playback', start: i, text });
    } else if (event.kind === 'playback-ended') close(`playback\n${base}`, i);
    return { event, text, detail, call: calls[i] };
  });
  for (const key of [...open.keys()]) close(key, undefined);
  periods.sort((a, b) => a.start - b.start);
  return { events, periods };
}
