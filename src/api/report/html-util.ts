// Small helpers of the HTML report: escaping of untrusted run text for HTML and for JSON inside a
// <script> element, and the way the report writes times and durations.

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and for quoted attribute values (`&`, `<`, `>`, `"`, `'`).
 * Everything a run carries (SIP messages, node names, errors, file names) goes through it.
 *
 * @example
 * ```ts
 * escapeHtml('<script>alert("x")</script>'); // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON for the inside of a `<script type="application/json">` element: `<`, `>` and `&` are
 * written as `\u003c`, `\u003e`, `\u0026` (so `</script>` or `<!--` in a SIP message cannot end
 * or change the element), and U+2028 / U+2029 as escapes too. `JSON.parse` reads it back unchanged.
 *
 * @example
 * ```ts
 * jsonForScript({ raw: '</script>' }); // '{"raw":"\\u003c/script\\u003e"}'
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A duration for people: `0.4 ms`, `23 ms`, `1.234 s`, `2 min 3.4 s`.
 *
 * @example
 * ```ts
 * formatDuration(1234); // '1.234 s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`;
  const min = Math.floor(ms / 60_000);
  return `${min} min ${((ms - min * 60_000) / 1000).toFixed(1)} s`;
}

/**
 * A time from the start of the run, in seconds with milliseconds: `+1.234`.
 *
 * @example
 * ```ts
 * formatOffset(1_234_567); // '+1.235' (µs in, seconds out)
 * ```
 */
export function formatOffset(us: number): string {
  return `${us < 0 ? '-' : '+'}${(Math.abs(us) / 1e6).toFixed(3)}`;
}

/**
 * A Unix time in ms as ISO 8601 (UTC), or `?` when it is not a valid time.
 *
 * @example
 * ```ts
 * isoTime(0); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '?' : d.toISOString();
}

/**
 * `text` cut to `max` characters with a trailing `…`.
 *
 * @example
 * ```ts
 * clip('SDP sendrecv PCMU,PCMA', 10); // 'SDP sendr…'
 * ```
 */
export function clip(text: string, max: number): string {
  if (max <= 1) return max === 1 && text.length > 0 ? '…' : '';
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}
