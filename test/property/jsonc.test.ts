// JSONC properties: parseJsonc agrees with JSON.parse on JSON; comments and trailing commas at legal
// places change nothing; every location slices the text to its value; and whatever string it is
// given, parseJsonc returns a value or exactly one error inside the text, and never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsoncResult, type JsonLocation, type JsonValue, locate, parseJsonc, pointAt } from '../../src/engine/scenario/jsonc.js';
import { prng } from './arbitraries.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

/**
 * Parses and checks the contract: either a value and a location with no error, or exactly one
 * error whose span lies inside the text, with points that agree with pointAt.
 */
function parseChecked(text: string): JsoncResult {
  const result = parseJsonc(text);
  if (result.errors.length === 0) {
    expect(result.value).not.toBeUndefined();
    expect(result.location).toBeDefined();
    return result;
  }
  expect(result.errors).toHaveLength(1);
  expect(result.value).toBeUndefined();
  expect(result.location).toBeUndefined();
  const [error] = result.errors;
  expect(['syntax', 'limit']).toContain(error!.kind);
  expect(error!.message.length).toBeGreaterThan(0);
  const { start, end } = error!.span;
  expect(start.offset).toBeGreaterThanOrEqual(0);
  expect(end.offset).toBeGreaterThanOrEqual(start.offset);
  expect(end.offset).toBeLessThanOrEqual(text.length);
  expect(start).toEqual(pointAt(text, start.offset));
  expect(end).toEqual(pointAt(text, end.offset));
  return result;
}

/** JSON.parse's verdict: the value, or undefined when it throws. */
function jsonParse(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** Equal as JSON values: same numbers by Object.is (so -0 is not 0), same keys in the same order. */
/**
 * The same value, members in the same order too, except after a duplicated key: parseJsonc puts
 * the member where it last occurs, JSON.parse where it first occurs (documented on parseJsonc).
 */
function expectSameJson(actual: unknown, expected: unknown, duplicates = false): void {
  expect(actual).toStrictEqual(expected);
  if (!duplicates) expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

type Path = (string | number)[];

/** Every path in `value`, with the value there (parents before children). */
function pathsOf(value: JsonValue, path: Path = [], out: [Path, JsonValue][] = []): [Path, JsonValue][] {
  out.push([path, value]);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) pathsOf(value[k]!, [...path, k], out);
  return out;
}

/**
 * For every path of the parsed value: locate finds it whole; its span slices the text to text that
 * `reparse` turns back into the value there; an object member's keySpan slices to its quoted
 * name; containers have one child per element or member; spans agree with pointAt.
 */
function checkLocations(text: string, result: JsoncResult, reparse: (slice: string) => unknown): void {
  for (const [path, value] of pathsOf(result.value!)) {
    const found = locate(result.location, path)!;
    expect(found.matched).toBe(path.length);
    const loc: JsonLocation = found.location;
    const { start, end } = loc.span;
    expect(start).toEqual(pointAt(text, start.offset));
    expect(end).toEqual(pointAt(text, end.offset));
    expectSameJson(reparse(text.slice(start.offset, end.offset)), value);
    const last = path[path.length - 1];
    if (typeof last === 'string') {
      expect(loc.keySpan).toBeDefined();
      expect(JSON.parse(text.slice(loc.keySpan!.start.offset, loc.keySpan!.end.offset))).toBe(last);
      expect(loc.keySpan!.start).toEqual(pointAt(text, loc.keySpan!.start.offset));
      expect(loc.keySpan!.end).toEqual(pointAt(text, loc.keySpan!.end.offset));
    } else {
      expect(loc.keySpan).toBeUndefined();
    }
    if (Array.isArray(value)) expect(loc.children?.size).toBe(value.length);
    else if (value !== null && typeof value === 'object') expect(loc.children?.size).toBe(Object.keys(value).length);
    else expect(loc.children).toBeUndefined();
  }
}


/** What may stand between tokens: whitespace and comments (a line comment always ends its line). */
const GAPS = [
  '', '', '', '', ' ', '  ', '\t', '\n', '\r\n', '\r', '\n\n  ',
  '// line comment with "quotes", [brackets], {braces}, /* and */ //\n',
  '//\r', '//\r\n', '// x\n', '/**/', '/* block */', '/* * / ** /* "x" [ */',
  '/* multi\r\n line\r comment\n */', ' /* a */ // b\n ', '\r\n/*\n*/\r\n',
];

/** Serializes `value` as JSONC, with random gaps between tokens and random trailing commas. */
function decorate(value: JsonValue, random: () => number): string {
  const gap = (): string => GAPS[Math.floor(random() * GAPS.length)]!;
  const trailing = (): string => (random() < 0.5 ? `${gap()},` : '');
  const print = (v: JsonValue): string => {
    if (Array.isArray(v)) {
      if (v.length === 0) return `[${gap()}]`;
      return `[${gap()}${v.map((e) => `${print(e)}${gap()}`).join(`,${gap()}`)}${trailing()}${gap()}]`;
    }
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length === 0) return `{${gap()}}`;
      const members = keys.map((k) => `${JSON.stringify(k)}${gap()}:${gap()}${print(v[k]!)}${gap()}`);
      return `{${gap()}${members.join(`,${gap()}`)}${trailing()}${gap()}}`;
    }
    return JSON.stringify(v);
  };
  const bom = random() < 0.1 ? '\uFEFF' : '';
  const tail = random() < 0.1 ? '// the end, no line end' : gap();
  return `${bom}${gap()}${print(value)}${tail}`;
}

/**
 * The JSON that a JSONC text stands for: the BOM, comments and trailing commas taken out (a block
 * comment becomes a space, as it separates tokens). Meant for text parseJsonc accepted.
 */
function stripJsonc(text: string): string {
  const len = text.length;
  let noComments = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < len) {
    if (text[i] === '"') {
      const j = skipString(text, i);
      noComments += text.slice(i, j);
      i = j;
    } else if (text.startsWith('//', i)) {
      while (i < len && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? len : end + 2;
      noComments += ' ';
    } else {
      noComments += text[i++];
    }
  }
  let out = '';
  i = 0;
  while (i < noComments.length) {
    const c = noComments[i]!;
    if (c === '"') {
      const j = skipString(noComments, i);
      out += noComments.slice(i, j);
      i = j;
      continue;
    }
    if (c === ',') {
      let j = i + 1;
      while (j < noComments.length && ' \t\r\n'.includes(noComments[j]!)) j++;
      if (noComments[j] === ']' || noComments[j] === '}') {
        i++;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** The index just past the string that starts at `i` (a '"'). */
function skipString(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return Math.min(text.length, j + 1);
}

/** True when a number in `value` is ±Infinity (what JSON.parse makes of `1e400`). */
function hasInfinity(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasInfinity);
  return false;
}

/** The verdicts of both parsers must agree as property (5) says; also checks the result contract. */
function checkAgainstJsonParse(text: string): void {
  const result = parseChecked(text);
  const reference = jsonParse(text);
  if (reference !== undefined && hasInfinity(reference.value)) {
    // by design, a number that overflows to ±Infinity is an error, not a value JSON cannot write
    expect(result.errors[0]?.message).toMatch(/^number .* is out of range$/);
  } else if (reference !== undefined) {
    // whatever JSON.parse accepts, parseJsonc accepts with the same value
    expect(result.errors).toEqual([]);
    expectSameJson(result.value, reference.value, result.warnings.length > 0);
  }
  if (result.errors.length === 0) {
    // whatever parseJsonc accepts is JSON once comments and trailing commas are taken out; so
    // without them JSON.parse accepts the text itself
    const plain = stripJsonc(text);
    const stripped = jsonParse(plain);
    expect(stripped, `JSON.parse rejects ${JSON.stringify(plain)}`).toBeDefined();
    expectSameJson(result.value, stripped!.value, result.warnings.length > 0);
    if (plain === text) expect(reference).toBeDefined();
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const jsonText = fc.oneof(fc.json({ maxDepth: 6 }), fc.json({ maxDepth: 6, stringUnit: 'binary' }));
const jsonValue: fc.Arbitrary<JsonValue> = fc
  .oneof(fc.jsonValue({ maxDepth: 6 }), fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }))
  .map((v) => v as JsonValue);
const prettyText = jsonValue.map((v) => JSON.stringify(v, null, 2));
const decorated = fc.tuple(jsonValue, fc.integer()).map(([v, seed]) => ({ value: v, text: decorate(v, prng(seed)) }));

/** Characters that matter to the grammar, and a few that only look like they might. */
const JSONISH = [...'{}[],:"\\/*\n\r \t0123456789-+.eEtruefalsn', '\uFEFF', '\u00a0', '\u2028', '😀', '\ud800', '\u0000', "'"];
const jsonishChar = fc.oneof(
  { arbitrary: fc.constantFrom(...JSONISH), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 },
);
const jsonishText = fc.string({ unit: jsonishChar, maxLength: 40 });

type Mutation = { op: 'delete' | 'insert' | 'duplicate'; at: number; char: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Mutation['op']>('delete', 'insert', 'duplicate'),
  at: fc.nat(),
  char: jsonishChar,
});
function mutate(text: string, mutations: readonly Mutation[]): string {
  let t = text;
  for (const m of mutations) {
    const at = m.at % (t.length + 1);
    if (m.op === 'delete') t = t.slice(0, at) + t.slice(at + 1);
    else if (m.op === 'insert') t = t.slice(0, at) + m.char + t.slice(at);
    else t = t.slice(0, at) + t.slice(at, at + 1) + t.slice(at);
  }
  return t;
}
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
const mutatedJson = fc.tuple(fc.oneof(jsonText, prettyText), mutations).map(([t, ms]) => mutate(t, ms));
const mutatedJsonc = fc.tuple(decorated, mutations).map(([d, ms]) => mutate(d.text, ms));

// ---------------------------------------------------------------------------------------------

describe('jsonc properties', () => {
  it('(1) parses fc.json() text to what JSON.parse gives, without errors or warnings', () => {
    fc.assert(
      fc.property(fc.oneof(jsonText, prettyText), (text) => {
        const result = parseChecked(text);
        expect(result.errors).toEqual([]);
        expect(result.warnings).toEqual([]);
        expectSameJson(result.value, JSON.parse(text));
      }),
      { numRuns: runs(1000) },
    );
  });

  it('(2) comments and trailing commas at legal places do not change the value', () => {
    fc.assert(
      fc.property(decorated, ({ value, text }) => {
        const result = parseChecked(text);
        expect(result.errors, text).toEqual([]);
        expectSameJson(result.value, JSON.parse(JSON.stringify(value)));
        // each location slices to JSONC text of the value there
        checkLocations(text, result, (slice) => parseJsonc(slice).value);
      }),
      { numRuns: runs(500) },
    );
  });

  it('(3) every location slices the text to JSON that JSON.parse turns into the value there', () => {
    fc.assert(
      fc.property(fc.oneof(jsonText, prettyText), (text) => {
        const result = parseChecked(text);
        checkLocations(text, result, (slice) => JSON.parse(slice) as unknown);
      }),
      { numRuns: runs(500) },
    );
  });

  it('(4) never throws: a value, or exactly one error inside the text, whatever the string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => void parseChecked(text)), { numRuns: runs(1000) });
    fc.assert(fc.property(jsonishText, (text) => void parseChecked(text)), { numRuns: runs(1000) });
    fc.assert(fc.property(fc.oneof(mutatedJson, mutatedJsonc), (text) => void parseChecked(text)), { numRuns: runs(1000) });
  });

  it('(5) accepts what JSON.parse accepts, and accepts nothing else but comments and trailing commas', () => {
    fc.assert(
      fc.property(fc.oneof(jsonishText, mutatedJson, mutatedJsonc, jsonText, decorated.map((d) => d.text)), checkAgainstJsonParse),
      { numRuns: runs(3000) },
    );
  });

  it('(5) agrees with JSON.parse on small texts of grammar characters', () => {
    // a dense alphabet so that both verdicts occur often
    const dense = fc.string({ unit: fc.constantFrom(...'[]{},:"1 0-.e/*\n'), maxLength: 12 });
    fc.assert(fc.property(dense, checkAgainstJsonParse), { numRuns: runs(3000) });
  });
});
