// Reading one field value against its spec, the same way for both formats except where sipflow
// is lenient: in sipflow JSON a value of the wrong JSON type is replaced by the default, as
// sipflow does, with a warning; in the compact format (and for our own additions) it is an error.

import type { FieldKind, FieldSpec } from './catalog.js';
import type { DiagnosticPlace, DiagnosticSink, JsonPath } from './diagnostics.js';
import { suggest } from './did-you-mean.js';
import type { JsonValue } from './jsonc.js';
import type { ScenarioFormat } from './model.js';
import { pathKey } from './placeholders.js';

/** What a reader knows while it reads fields. */
export interface FieldContext {
  readonly format: ScenarioFormat;
  readonly sink: DiagnosticSink;
  /** String values that were exactly one placeholder (see `FilledDocument.whole`). */
  readonly whole: ReadonlySet<string>;
  /** String values whose text is not final (see `FilledDocument.opaque`). */
  readonly opaque: ReadonlySet<string>;
  /** `keep`: placeholders are left in place (converting), so a whole-placeholder value is kept as text. */
  readonly placeholders: 'fill' | 'keep';
}

/** A field value that was given and is usable. */
export interface FieldValue {
  readonly value: unknown;
}

/** The JSON type a field's value must have in this format. */
export function expectedKind(spec: FieldSpec, format: ScenarioFormat): FieldKind {
  return format === 'sipflow' && spec.sipflowKind !== undefined ? spec.sipflowKind : spec.kind;
}

/**
 * Reads `raw` for the field `name`. Returns the value when it can be used, `undefined` when the
 * field is to be treated as left out (a wrong type), reporting why at `path`.
 */
export function readField(
  raw: JsonValue,
  spec: FieldSpec,
  name: string,
  path: JsonPath,
  place: DiagnosticPlace,
  ctx: FieldContext,
): FieldValue | undefined {
  const kind = expectedKind(spec, ctx.format);
  const at = { ...place, field: name, path };
  if (typeof raw === 'string' && kind !== 'string' && ctx.whole.has(pathKey(path))) {
    if (ctx.placeholders === 'keep') return { value: raw };
    if (ctx.opaque.has(pathKey(path))) return undefined; // a variable that is not set: already reported
    const coerced = coerce(raw, kind);
    if (coerced === undefined) {
      ctx.sink.error('variable', `${name} must be ${describeKind(kind)}, but its placeholder gave ${JSON.stringify(raw)}`, at);
      return undefined;
    }
    raw = coerced;
  }
  const lenient = ctx.format === 'sipflow' && spec.ours !== true;
  const mismatch = (): undefined => {
    if (lenient) {
      const fallback = spec.default === undefined ? 'leaves it unset' : `uses the default ${JSON.stringify(spec.default)}`;
      ctx.sink.warning('wrong-type', `${name} should be ${describeKind(kind)}, not ${describeJson(raw)}; sipflow ignores the value and ${fallback}`, at);
    } else {
      ctx.sink.error('wrong-type', `${name} must be ${describeKind(kind)}, not ${describeJson(raw)}`, at);
    }
    return undefined;
  };
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? { value: raw } : mismatch();
    case 'boolean':
      return typeof raw === 'boolean' ? { value: raw } : mismatch();
    case 'number':
      return typeof raw === 'number' ? { value: raw } : mismatch();
    case 'port':
      return typeof raw === 'number' || typeof raw === 'string' ? { value: raw } : mismatch();
    case 'string-list':
      return readStringList(raw, spec, name, path, at, lenient, ctx, mismatch);
    case 'port-range':
      return readPortRange(raw, name, path, at, ctx, mismatch);
  }
}

/** The fields of an object that were given and are usable, and where each one is. */
export interface ReadFields {
  readonly values: Record<string, unknown>;
  readonly paths: Record<string, JsonPath>;
}

/**
 * Reads every field of `specs` that `obj` has, with {@link readField}; `pathOf` gives each field's
 * path in the document.
 */
export function readFields(
  obj: Readonly<Record<string, JsonValue>>,
  specs: Readonly<Record<string, FieldSpec>>,
  pathOf: (field: string) => JsonPath,
  place: DiagnosticPlace,
  ctx: FieldContext,
): ReadFields {
  const values: Record<string, unknown> = {};
  const paths: Record<string, JsonPath> = {};
  for (const [field, spec] of Object.entries(specs)) {
    if (!Object.hasOwn(obj, field)) continue;
    const path = pathOf(field);
    const read = readField(obj[field]!, spec, field, path, place, ctx);
    if (read !== undefined) {
      values[field] = read.value;
      paths[field] = path;
    }
  }
  return { values, paths };
}

function readStringList(
  raw: JsonValue,
  spec: FieldSpec,
  name: string,
  path: JsonPath,
  at: DiagnosticPlace,
  lenient: boolean,
  ctx: FieldContext,
  mismatch: () => undefined,
): FieldValue | undefined {
  if (!Array.isArray(raw)) return mismatch();
  const strings: string[] = [];
  raw.forEach((item, i) => {
    if (typeof item === 'string') strings.push(item);
    else if (lenient) ctx.sink.warning('wrong-type', `${name}[${i}] is ${describeJson(item)}, not a string; sipflow drops it`, { ...at, path: [...path, i] });
    else ctx.sink.error('wrong-type', `${name}[${i}] must be a string, not ${describeJson(item)}`, { ...at, path: [...path, i] });
  });
  if (strings.length > 0) return { value: strings };
  if (lenient) {
    ctx.sink.warning('default-used', `${name} names nothing; sipflow uses the default ${JSON.stringify(spec.default)}`, at);
  } else if (raw.length === 0) {
    ctx.sink.error('invalid-value', `${name} must not be empty`, at);
  }
  return undefined;
}

function readPortRange(
  raw: JsonValue,
  name: string,
  path: JsonPath,
  at: DiagnosticPlace,
  ctx: FieldContext,
  mismatch: () => undefined,
): FieldValue | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return mismatch();
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (key !== 'min' && key !== 'max') {
      ctx.sink.warning('unknown-field', `${name} has an unknown member ${JSON.stringify(key)}, which is ignored; it takes min and max`, { ...at, path: [...path, key] });
    }
  }
  const ends: number[] = [];
  for (const key of ['min', 'max'] as const) {
    const given = raw[key];
    let v = given;
    const keyPath = [...path, key];
    if (typeof v === 'string' && ctx.whole.has(pathKey(keyPath))) {
      if (ctx.placeholders === 'keep') continue;
      if (ctx.opaque.has(pathKey(keyPath))) {
        ok = false; // not set: already reported
        continue;
      }
      v = coerce(v, 'number');
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65_535) {
      const what = given === undefined ? 'missing' : v === undefined ? `${JSON.stringify(given)} (from its placeholder)` : describeJson(given);
      ctx.sink.error('invalid-value', `${name}.${key} must be a port number (1-65535), not ${what}`, { ...at, path: keyPath });
      ok = false;
    } else ends.push(v);
  }
  if (ok && ends.length === 2) {
    const [min, max] = ends as [number, number];
    if (max - min < 1) {
      ctx.sink.error('invalid-value', `${name} must hold at least two ports (an RTP port and its RTCP port): min ${min}, max ${max}`, at);
      return undefined;
    }
    return { value: { min, max } };
  }
  return ok ? { value: { min: raw['min'], max: raw['max'] } } : undefined;
}

/** Turns a placeholder's text into the JSON value a non-string field needs. */
function coerce(text: string, kind: FieldKind): JsonValue | undefined {
  const t = text.trim();
  if (kind === 'boolean') return t === 'true' ? true : t === 'false' ? false : undefined;
  if (kind === 'number' || kind === 'port') return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t) ? Number(t) : undefined;
  return undefined;
}

/** "a string", "a number" … for messages. */
export function describeKind(kind: FieldKind): string {
  switch (kind) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'number':
      return 'a number';
    case 'string-list':
      return 'a list of strings';
    case 'port':
      return 'a port number';
    case 'port-range':
      return 'an object { "min": port, "max": port }';
  }
}

/** What a JSON value is, for messages: `the number 5060`, `a list`, `null`. */
export function describeJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  switch (typeof value) {
    case 'string':
      return value === '' ? 'an empty string' : `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    default:
      return 'an object';
  }
}

/**
 * Reports each key of `obj` that is not in `known` (and not in `silent`) as an unknown field,
 * with the nearest known name as a suggestion.
 */
export function reportUnknownKeys(
  obj: Readonly<Record<string, unknown>>,
  known: readonly string[],
  silent: readonly string[],
  path: JsonPath,
  place: Omit<DiagnosticPlace, 'path'>,
  sink: DiagnosticSink,
  what: string,
): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key) || silent.includes(key)) continue;
    const suggestion = suggest(key, known);
    sink.warning(
      'unknown-field',
      `${what} has an unknown field ${JSON.stringify(key)}, which is ignored${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`,
      { ...place, field: key, path: [...path, key], ...(suggestion ? { suggestion } : {}) },
    );
  }
}

/** Whether a JSON value is a plain object (not null, not a list). */
export function isObject(value: unknown): value is Record<string, JsonValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
