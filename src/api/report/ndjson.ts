// Run events as NDJSON: one JSON object per line, the event's own fields plus `v` (the schema
// version) and `file` (the scenario it belongs to). `rtp` datagrams are base64. The lines follow
// schema/events.schema.json; tools can read them with any JSON parser, line by line.

import type { RunEvent } from '../../engine/run-events.js';

/** The version of the NDJSON event lines (the `v` of every line); raised on any incompatible change. */
export const EVENTS_SCHEMA_VERSION = 1;

/**
 * One run event as an NDJSON line (no newline). `file` names the scenario the event belongs to.
 * An `rtp` event's `data` is written as base64.
 *
 * @example
 * ```ts
 * engine.on((e) => process.stdout.write(eventLine(e, 'call.json') + '\n'));
 * ```
 */
export function eventLine(event: RunEvent, file: string): string {
  if (event.type === 'rtp') return JSON.stringify({ v: EVENTS_SCHEMA_VERSION, file, ...event, data: Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength).toString('base64') });
  return JSON.stringify({ v: EVENTS_SCHEMA_VERSION, file, ...event });
}

/**
 * A line of the CLI's own that is not a run event: a scenario that could not run at all, `invalid`
 * (it did not load: `diagnostics` says why, each with file, line, column, node and field) or
 * `failed` (its instances could not start). Same `v` and `file` keys as the event lines.
 */
export function notRunLine(file: string, status: 'invalid' | 'failed', error: string, timestamp: number, diagnostics: readonly object[] = []): string {
  return JSON.stringify({ v: EVENTS_SCHEMA_VERSION, file, type: 'scenario:not-run', status, error, timestamp, diagnostics });
}
