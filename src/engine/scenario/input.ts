// Turning what a caller gives (JSON text, bytes, or a JavaScript value) into a checked JSON value,
// within the limits against hostile files, with a way back from JSON paths to line:column.

import type { JsonPath, DiagnosticSink } from './diagnostics.js';
import { type JsonLocation, type JsonValue, locate, parseJsonc } from './jsonc.js';
import { defineMember } from './placeholders.js';

/** Limits against hostile scenario files; each exceeded limit is a clear error, never a hang or a crash. */
export interface ScenarioLimits {
  /** Size of the text in bytes (for a JavaScript value, of the JSON it would be, roughly). Default 5 MiB. */
  readonly maxBytes: number;
  /** Nodes plus edges (sipflow JSON), or instances plus steps (compact). Default 10,000. */
  readonly maxNodes: number;
  /** Nesting of arrays and objects. Default 64. */
  readonly maxDepth: number;
  /** Length of any one string, keys included. Default 65,536. */
  readonly maxStringLength: number;
}

/** The limits used when none are given. */
export const DEFAULT_SCENARIO_LIMITS: ScenarioLimits = Object.freeze({
  maxBytes: 5 * 1024 * 1024,
  maxNodes: 10_000,
  maxDepth: 64,
  maxStringLength: 65_536,
});

/** A checked JSON document, and where its parts are in the text when it came as text. */
export interface InputDocument {
  readonly value: JsonValue;
  readonly location: JsonLocation | undefined;
  readonly text: string | undefined;
}

/** Reads text, bytes or a value into a JSON document; problems go to `sink`. */
export function readInput(input: unknown, limits: ScenarioLimits, sink: DiagnosticSink): InputDocument | undefined {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
    if (bytes > limits.maxBytes) {
      sink.error('limit', `the scenario is ${bytes} bytes, more than the limit of ${limits.maxBytes}`, { path: [] });
      return undefined;
    }
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
    const parsed = parseJsonc(text, { maxDepth: limits.maxDepth, maxStringLength: limits.maxStringLength });
    // A file name given where the scenario's text belongs is an easy slip: say so.
    const path = parsed.value === undefined && looksLikePath(text) ? ` (this looks like a file name: the scenario's text or value goes here; read a file with loadScenarioFile(${JSON.stringify(text.trim())}))` : '';
    for (const issue of parsed.errors) {
      sink.error(issue.kind === 'limit' ? 'limit' : 'syntax', issue.message + path, { path: [], line: issue.span.start.line, column: issue.span.start.column });
    }
    for (const issue of parsed.warnings) {
      sink.warning('duplicate-key', issue.message, { path: [], line: issue.span.start.line, column: issue.span.start.column, ...(issue.key !== undefined ? { field: issue.key } : {}) });
    }
    if (parsed.value === undefined) return undefined;
    return { value: parsed.value, location: parsed.location, text };
  }
  const value = toJson(input, limits, sink);
  return value === undefined ? undefined : { value, location: undefined, text: undefined };
}

/** One short line with no JSON punctuation that ends like a file name or has a slash in it. */
function looksLikePath(text: string): boolean {
  const t = text.trim();
  return t.length > 0 && t.length < 4096 && !/[\r\n{}\[\]"]/.test(t) && (/\.jsonc?$/i.test(t) || t.includes('/') || t.includes('\\'));
}

/**
 * Copies a JavaScript value into a JSON value, refusing what JSON cannot hold (functions, symbols,
 * bigints, NaN, class instances, cycles) and anything beyond the limits. Object members that are
 * `undefined` are left out, as JSON.stringify does.
 */
function toJson(input: unknown, limits: ScenarioLimits, sink: DiagnosticSink): JsonValue | undefined {
  let size = 0;
  let failed = false;
  const fail = (message: string, path: JsonPath, code: 'limit' | 'not-a-scenario' = 'not-a-scenario'): undefined => {
    if (!failed) sink.error(code, message, { path: [...path] });
    failed = true;
    return undefined;
  };
  const ancestors = new Set<object>();
  const visit = (v: unknown, path: (string | number)[], depth: number): JsonValue | undefined => {
    if (failed) return undefined;
    size += 8;
    if (size > limits.maxBytes) return fail(`the scenario is larger than the limit of ${limits.maxBytes} bytes`, path, 'limit');
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : fail(`${v} is not a JSON number`, path);
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) return fail(`string is longer than ${limits.maxStringLength} characters`, path, 'limit');
      size += v.length;
      if (size > limits.maxBytes) return fail(`the scenario is larger than the limit of ${limits.maxBytes} bytes`, path, 'limit');
      return v;
    }
    if (v === undefined) return fail('undefined is not a JSON value', path);
    if (typeof v !== 'object') return fail(`${withArticle(typeof v)} is not a JSON value`, path);
    if (depth >= limits.maxDepth) return fail(`nesting is deeper than ${limits.maxDepth} levels`, path, 'limit');
    if (ancestors.has(v)) return fail('the value contains itself (a cycle), which JSON cannot hold', path);
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        const out: JsonValue[] = [];
        for (let i = 0; i < v.length; i++) {
          path.push(i);
          const item = v[i] === undefined ? fail('undefined is not a JSON value', path) : visit(v[i], path, depth + 1);
          path.pop();
          if (item === undefined) return undefined;
          out.push(item);
        }
        return out;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return fail(`${withArticle((v as object).constructor?.name || 'class instance')} is not a JSON value`, path);
      const out: Record<string, JsonValue> = {};
      for (const [key, item] of Object.entries(v)) {
        if (item === undefined) continue;
        if (key.length > limits.maxStringLength) return fail(`a key is longer than ${limits.maxStringLength} characters`, path, 'limit');
        path.push(key);
        const json = visit(item, path, depth + 1);
        path.pop();
        if (json === undefined) return undefined;
        defineMember(out, key, json);
      }
      return out;
    } finally {
      ancestors.delete(v);
    }
  };
  return visit(input, [], 0);
}

/** "a Date", "an Object", "a function". */
function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** Whether a diagnostic about a key (rather than a value) should point at the key. */
const KEY_CODES = new Set(['unknown-field', 'ignored-field', 'duplicate-key']);

/** Fills `line` and `column` of each diagnostic from the document's locations. */
export function positionDiagnostics<T extends { path: JsonPath; code: string; line?: number; column?: number }>(
  list: readonly T[],
  location: JsonLocation | undefined,
): T[] {
  if (location === undefined) return [...list];
  return list.map((d) => {
    if (d.line !== undefined) return d;
    const found = locate(location, d.path);
    if (found === undefined) return d;
    const span = found.matched === d.path.length && KEY_CODES.has(d.code) && found.location.keySpan ? found.location.keySpan : found.location.span;
    return { ...d, line: span.start.line, column: span.start.column };
  });
}

/** The JSON path → source position function for the graph. */
export function locator(location: JsonLocation | undefined, file: string | undefined): (path: JsonPath) => { path: JsonPath; file?: string; line?: number; column?: number } {
  return (path) => {
    const found = location === undefined ? undefined : locate(location, path);
    return {
      path,
      ...(file !== undefined ? { file } : {}),
      ...(found !== undefined ? { line: found.location.span.start.line, column: found.location.span.start.column } : {}),
    };
  };
}
