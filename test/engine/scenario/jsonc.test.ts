// parseJsonc: strict JSON plus comments and one trailing comma, with every value's position kept;
// typed issues (never a throw) for everything else, at exact line:column positions.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JSONC_LIMITS,
  type JsoncIssue,
  type JsoncResult,
  type JsonLocation,
  locate,
  parseJsonc,
  pointAt,
  type SourcePoint,
  type SourceSpan,
} from '../../../src/engine/scenario/jsonc.js';

const at = (p: SourcePoint): string => `${p.line}:${p.column}`;
const range = (s: SourceSpan): string => `${at(s.start)}-${at(s.end)}`;

/** Parses text that must be valid and returns the result. */
function ok(text: string): JsoncResult {
  const result = parseJsonc(text);
  expect(result.errors, JSON.stringify(text)).toEqual([]);
  expect(result.location).toBeDefined();
  return result;
}

/** Parses text that must fail and returns its one error, checking the failed result's shape. */
function fail(text: string, limits?: Parameters<typeof parseJsonc>[1]): JsoncIssue {
  const result = parseJsonc(text, limits);
  expect(result.value, JSON.stringify(text)).toBeUndefined();
  expect(result.location).toBeUndefined();
  expect(result.errors).toHaveLength(1);
  const error = result.errors[0]!;
  expect(error.span.start.offset).toBeGreaterThanOrEqual(0);
  expect(error.span.end.offset).toBeGreaterThanOrEqual(error.span.start.offset);
  expect(error.span.end.offset).toBeLessThanOrEqual(text.length);
  expect(error.span.start).toEqual(pointAt(text, error.span.start.offset));
  expect(error.span.end).toEqual(pointAt(text, error.span.end.offset));
  return error;
}

/** The span of the value at `path`, which must exist. */
function spanAt(result: JsoncResult, path: (string | number)[]): JsonLocation {
  const found = locate(result.location, path);
  expect(found?.matched, `path ${JSON.stringify(path)}`).toBe(path.length);
  return found!.location;
}

describe('parseJsonc: values', () => {
  it('parses what JSON.parse parses, to an equal value', () => {
    const text = '{"a": [1, -2.5e3, 0, -0, 1E+2, 1e-2, true, false, null, "x"], "b": {"c": {}, "d": []}, "": ""}';
    const { value, warnings } = ok(text);
    expect(value).toStrictEqual(JSON.parse(text));
    expect(Object.is((value as { a: number[] }).a[3], -0)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('parses every kind of top-level value', () => {
    for (const text of ['0', '-1', '3.25', '"s"', 'true', 'false', 'null', '[]', '{}', ' \t\r\n 7 \n']) {
      expect(ok(text).value).toStrictEqual(JSON.parse(text));
    }
  });

  it('converts numbers as JSON.parse does', () => {
    for (const text of [
      '12345678901234567890',
      '9007199254740993',
      '123456789012345',
      '1234567890123456',
      '-1234567890123456789',
      '0.1',
      '1e-400',
      '-1e-400',
      '2.2250738585072014e-308',
      '1.7976931348623157e308',
      '0e0',
      '-0.0',
      '100E-2',
    ]) {
      expect(Object.is(ok(text).value, JSON.parse(text)), text).toBe(true);
    }
  });

  it('decodes every escape, surrogate pairs and lone surrogates as JSON.parse does', () => {
    const text = String.raw`["\" \\ \/ \b \f \n \r \t", "\u0041\u00e9\uFFFF", "\uD83D\uDE00", "\uD800", "x\uDC00y", "\u0000"]`;
    expect(ok(text).value).toStrictEqual(JSON.parse(text));
    // raw non-ASCII, DEL and lone surrogates in the text are kept
    const raw = '["é😀\u007f", "\ud800", "\u2028"]';
    expect(ok(raw).value).toStrictEqual(JSON.parse(raw));
  });

  it('skips a leading byte-order mark', () => {
    expect(ok('\uFEFF{"a": 1}').value).toEqual({ a: 1 });
    expect(ok('\uFEFF // c\n[]').value).toEqual([]);
  });

  it('accepts comments wherever whitespace may stand', () => {
    const text = [
      '// leading line comment',
      '/* block */ { /* after { */ "a" /* before : */ : /* after : */ 1 /* before , */ , // end of line',
      '  "b": [ /**/ 1 /* * / ** */, /* "not a string" */ 2 // ] } , still a comment',
      '  ], /* multi',
      '  line { [ " */ "c": "// not a comment", "d": "/* nor this */"',
      '} // trailing comment without a line end',
    ].join('\n');
    expect(ok(text).value).toEqual({ a: 1, b: [1, 2], c: '// not a comment', d: '/* nor this */' });
  });

  it('ends a line comment at CR, CRLF or LF', () => {
    expect(ok('[1, // c\r2]').value).toEqual([1, 2]);
    expect(ok('[1, // c\r\n2]').value).toEqual([1, 2]);
    expect(ok('[1, // c\n2]').value).toEqual([1, 2]);
  });

  it('accepts one trailing comma before ] or }', () => {
    expect(ok('[1,]').value).toEqual([1]);
    expect(ok('[1, 2 , ]').value).toEqual([1, 2]);
    expect(ok('{"a": 1,}').value).toEqual({ a: 1 });
    expect(ok('{"a": [1,], "b": {"c": 2,},}').value).toEqual({ a: [1], b: { c: 2 } });
    expect(ok('[1, // why not\n /* here */ ]').value).toEqual([1]);
  });

  it('keeps the last value of a duplicated key and warns at each later occurrence', () => {
    const text = '{"a": 1, "b": 2,\n "a": 3, "a": {"x": 4}}';
    const result = ok(text);
    expect(result.value).toEqual({ a: { x: 4 }, b: 2 });
    // Unlike JSON.parse, the member takes the place of its last occurrence (the order a reader assigning in turn ends with).
    expect(Object.keys(result.value as object)).toEqual(['b', 'a']);
    expect(result.warnings.map((w) => [w.kind, w.key, w.message, range(w.span)])).toEqual([
      ['duplicate-key', 'a', 'duplicate key "a": the last value is used', '2:2-2:5'],
      ['duplicate-key', 'a', 'duplicate key "a": the last value is used', '2:10-2:13'],
    ]);
    // the location is that of the last occurrence
    const a = spanAt(result, ['a']);
    expect(range(a.keySpan!)).toBe('2:10-2:13');
    expect(range(a.span)).toBe('2:15-2:23');
    expect(range(spanAt(result, ['a', 'x']).span)).toBe('2:21-2:22');
  });

  it('names a duplicated key safely in the message', () => {
    const result = ok('{"a\\n\\"b": 1, "a\\n\\"b": 2}');
    expect(result.warnings[0]!.message).toBe('duplicate key "a\\n\\"b": the last value is used');
    expect(result.warnings[0]!.key).toBe('a\n"b');
    const long = 'k'.repeat(500);
    const message = ok(`{"${long}": 1, "${long}": 2}`).warnings[0]!.message;
    expect(message.length).toBeLessThan(120);
    expect(message).toMatch(/^duplicate key "k+…": the last value is used$/);
  });

  it('keeps warnings found before an error', () => {
    const result = parseJsonc('{"a": 1, "a": 2, x}');
    expect(result.errors).toHaveLength(1);
    expect(result.warnings).toHaveLength(1);
  });

  it('makes every key an own data property of a plain object, __proto__ included', () => {
    const text =
      '{"__proto__": {"polluted": true}, "constructor": 1, "prototype": 2, "toString": 3, "hasOwnProperty": 4, "__proto__": [5]}';
    const result = ok(text);
    const value = result.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['constructor', 'prototype', 'toString', 'hasOwnProperty', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')).toEqual({
      value: [5],
      writable: true,
      enumerable: true,
      configurable: true,
    });
    expect(value.constructor).toBe(1);
    expect(value).toStrictEqual(JSON.parse(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.toString).toBeTypeOf('function');
    expect(result.warnings).toHaveLength(1);

    const nested = ok('{"a": {"__proto__": {"polluted": 1}}}').value as { a: object };
    expect(Object.getPrototypeOf(nested.a)).toBe(Object.prototype);
    expect(Object.hasOwn(nested.a, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseJsonc: positions', () => {
  // line 1 '{'; 2 (CRLF) '  "a": 1,'; 3 (lone CR) '  "b": [true,'; 4 (CRLF) '  null],'; 5 '  /* multi';
  // 6 (CRLF) ' line'; 7 ' comment */ "c": "😀x", "d": 2'; 8 '}'
  const text = '{\n  "a": 1,\r\n  "b": [true,\r  null],\r\n  /* multi\n line\r\n comment */ "c": "😀x", "d": 2\n}';
  const result = ok(text);

  it('finds values and keys after LF, CRLF, a lone CR and a multi-line block comment', () => {
    expect(range(result.location!.span)).toBe('1:1-8:2');
    expect(result.location!.keySpan).toBeUndefined();
    expect(range(spanAt(result, ['a']).keySpan!)).toBe('2:3-2:6');
    expect(range(spanAt(result, ['a']).span)).toBe('2:8-2:9');
    expect(range(spanAt(result, ['b']).keySpan!)).toBe('3:3-3:6');
    expect(range(spanAt(result, ['b']).span)).toBe('3:8-4:8');
    expect(range(spanAt(result, ['b', 0]).span)).toBe('3:9-3:13');
    expect(spanAt(result, ['b', 0]).keySpan).toBeUndefined();
    expect(range(spanAt(result, ['b', 1]).span)).toBe('4:3-4:7');
    expect(range(spanAt(result, ['c']).keySpan!)).toBe('7:13-7:16');
    expect(range(spanAt(result, ['c']).span)).toBe('7:18-7:23');
  });

  it('counts a surrogate pair as two columns', () => {
    expect(range(spanAt(result, ['d']).keySpan!)).toBe('7:25-7:28');
    expect(range(spanAt(result, ['d']).span)).toBe('7:30-7:31');
    const pair = ok('["😀", 1]');
    expect(range(spanAt(pair, [1]).span)).toBe('1:8-1:9');
    expect(at(fail('["😀" x]').span.start)).toBe('1:7');
  });

  it('gives offsets that slice the text', () => {
    for (const path of [['a'], ['b'], ['b', 1], ['c'], ['d']]) {
      const { span } = spanAt(result, path);
      const slice = text.slice(span.start.offset, span.end.offset);
      expect(JSON.parse(slice.replace(/\r/g, ' '))).toEqual(locateValue(result.value, path));
      expect(span.start).toEqual(pointAt(text, span.start.offset));
      expect(span.end).toEqual(pointAt(text, span.end.offset));
    }
    const { keySpan } = spanAt(result, ['c']);
    expect(text.slice(keySpan!.start.offset, keySpan!.end.offset)).toBe('"c"');
  });

  it('starts line 1 after a byte-order mark, and counts the mark in offsets', () => {
    const bom = ok('\uFEFF{"a": 1}');
    expect(bom.location!.span.start).toEqual({ offset: 1, line: 1, column: 1 });
    expect(spanAt(bom, ['a']).span.start).toEqual({ offset: 7, line: 1, column: 7 });
    expect(spanAt(bom, ['a']).keySpan!.start).toEqual({ offset: 2, line: 1, column: 2 });
    const second = ok('\uFEFF[\n 1]');
    expect(spanAt(second, [0]).span.start).toEqual({ offset: 4, line: 2, column: 2 });
    expect(fail('\uFEFF x').span.start).toEqual({ offset: 2, line: 1, column: 2 });
  });

  it('ends spans of containers that run over lines on their closing line', () => {
    const r = ok('{\r\n"x": {\r\n"y": [\r\r1\n]}}');
    expect(range(spanAt(r, ['x']).span)).toBe('2:6-6:3');
    expect(range(spanAt(r, ['x', 'y']).span)).toBe('3:6-6:2');
    expect(range(spanAt(r, ['x', 'y', 0]).span)).toBe('5:1-5:2');
  });

  it('locates empty containers with empty children', () => {
    const r = ok('{"a": [], "b": {}}');
    expect(spanAt(r, ['a']).children?.size).toBe(0);
    expect(spanAt(r, ['b']).children?.size).toBe(0);
    expect(range(spanAt(r, ['b']).span)).toBe('1:16-1:18');
    expect(ok('1').location!.children).toBeUndefined();
  });
});

/** The value at `path` inside `value`. */
function locateValue(value: unknown, path: (string | number)[]): unknown {
  let v = value;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v;
}

describe('locate', () => {
  const result = ok('{\n  "agents": [\n    {"name": "alice", "port": 5060},\n    {"name": "bob"}\n  ],\n  "7": "seven"\n}');

  it('finds nested members and elements', () => {
    const port = locate(result.location, ['agents', 0, 'port'])!;
    expect(port.matched).toBe(3);
    expect(range(port.location.span)).toBe('3:31-3:35');
    expect(range(port.location.keySpan!)).toBe('3:23-3:29');
    expect(range(locate(result.location, ['agents', 1, 'name'])!.location.span)).toBe('4:14-4:19');
  });

  it('returns the root for an empty path', () => {
    expect(locate(result.location, [])).toEqual({ location: result.location, matched: 0 });
  });

  it('returns the deepest existing value for a missing member, with how many elements matched', () => {
    const missing = locate(result.location, ['agents', 1, 'port'])!;
    expect(missing.matched).toBe(2);
    expect(range(missing.location.span)).toBe('4:5-4:20');
    const outOfRange = locate(result.location, ['agents', 5, 'name'])!;
    expect(outOfRange.matched).toBe(1);
    expect(range(outOfRange.location.span)).toBe('2:13-5:4');
    expect(locate(result.location, ['nope'])!.matched).toBe(0);
    expect(locate(result.location, ['nope'])!.location).toBe(result.location);
    // a path going on below a scalar stops at the scalar
    const below = locate(result.location, ['agents', 0, 'port', 'x'])!;
    expect(below.matched).toBe(3);
  });

  it('accepts an index as a numeric string and a member name as a number', () => {
    expect(locate(result.location, ['agents', '1', 'name'])!.matched).toBe(3);
    expect(locate(result.location, ['agents', '01'])!.matched).toBe(1);
    expect(locate(result.location, [7])!.matched).toBe(1);
    expect(range(locate(result.location, [7])!.location.span)).toBe('6:8-6:15');
  });

  it('returns undefined only without a root', () => {
    expect(locate(undefined, ['a'])).toBeUndefined();
    expect(locate(parseJsonc('[').location, [])).toBeUndefined();
  });
});

describe('pointAt', () => {
  it('counts LF, CRLF and lone CR as one line end each', () => {
    expect(pointAt('a\nb', 2)).toEqual({ offset: 2, line: 2, column: 1 });
    expect(pointAt('a\r\nb', 2)).toEqual({ offset: 2, line: 1, column: 3 });
    expect(pointAt('a\r\nb', 3)).toEqual({ offset: 3, line: 2, column: 1 });
    expect(pointAt('a\rb', 2)).toEqual({ offset: 2, line: 2, column: 1 });
    expect(pointAt('a\r\rb', 3)).toEqual({ offset: 3, line: 3, column: 1 });
    expect(pointAt('a\n\r\n\rbc', 6)).toEqual({ offset: 6, line: 4, column: 2 });
    expect(pointAt('😀x', 2)).toEqual({ offset: 2, line: 1, column: 3 });
  });

  it('clamps the offset to the text', () => {
    expect(pointAt('ab', -3)).toEqual({ offset: 0, line: 1, column: 1 });
    expect(pointAt('ab', 99)).toEqual({ offset: 2, line: 1, column: 3 });
    expect(pointAt('ab', Number.NaN)).toEqual({ offset: 0, line: 1, column: 1 });
    expect(pointAt('', 0)).toEqual({ offset: 0, line: 1, column: 1 });
  });

  it('does not count a leading byte-order mark as a column', () => {
    expect(pointAt('\uFEFFab', 0)).toEqual({ offset: 0, line: 1, column: 1 });
    expect(pointAt('\uFEFFab', 1)).toEqual({ offset: 1, line: 1, column: 1 });
    expect(pointAt('\uFEFFab', 2)).toEqual({ offset: 2, line: 1, column: 2 });
    expect(pointAt('a\uFEFFb', 2)).toEqual({ offset: 2, line: 1, column: 3 });
  });
});

describe('parseJsonc: syntax errors', () => {
  // [text, message, start line:column]
  const cases: [string, string, string][] = [
    // unexpected end: the span is empty, at the end of the text
    ['', 'unexpected end of text: expected a value', '1:1'],
    ['  // only a comment\n/* and another */ ', 'unexpected end of text: expected a value', '2:19'],
    ['[', "unexpected end of text: expected a value or ']'", '1:2'],
    ['[1', "unexpected end of text: expected ',' or ']' after an array element", '1:3'],
    ['[1,\n', "unexpected end of text: expected a value or ']'", '2:1'],
    ['{', "unexpected end of text: expected a property name in double quotes or '}'", '1:2'],
    ['{"a"', "unexpected end of text: expected ':' after a property name", '1:5'],
    ['{"a":', 'unexpected end of text: expected a value', '1:6'],
    ['{"a":1', "unexpected end of text: expected ',' or '}' after a property value", '1:7'],
    ['{"a":1,', "unexpected end of text: expected a property name in double quotes or '}'", '1:8'],
    ['-', "unexpected end of text: expected a digit after '-'", '1:2'],
    ['1.', 'unexpected end of text: expected a digit after the decimal point', '1:3'],
    ['1e', 'unexpected end of text: expected a digit in the exponent', '1:3'],
    ['1E+', 'unexpected end of text: expected a digit in the exponent', '1:4'],
    ['"abc', 'unterminated string: no closing "', '1:1'],
    ['"abc\\', 'unterminated string: no closing "', '1:1'],
    ['"\\u12', 'unterminated string: no closing "', '1:1'],
    ['{"a', 'unterminated string: no closing "', '1:2'],
    ['/* open', 'unterminated block comment: no closing */', '1:1'],
    ['[1, /* x */ 2 /* y\r\n', 'unterminated block comment: no closing */', '1:15'],
    // commas
    ['[,]', "expected a value or ']', found ','", '1:2'],
    ['{,}', "expected a property name in double quotes or '}', found ','", '1:2'],
    ['[1,,2]', "expected a value or ']', found ','", '1:4'],
    ['[1,2,,]', "expected a value or ']', found ','", '1:6'],
    ['{"a":1,,}', "expected a property name in double quotes or '}', found ','", '1:8'],
    ['[1]\n,', "expected the end of the text after the value, found ','", '2:1'],
    // structure
    ["{'a': 1}", `expected a property name in double quotes or '}', found "'"`, '1:2'],
    ['{a: 1}', "expected a property name in double quotes or '}', found 'a'", '1:2'],
    ['{"a": 1, b: 2}', "expected a property name in double quotes or '}', found 'b'", '1:10'],
    ['{"a" 1}', "expected ':' after a property name, found '1'", '1:6'],
    ['{"a"=1}', "expected ':' after a property name, found '='", '1:5'],
    ['{"a": 1 "b": 2}', `expected ',' or '}' after a property value, found '"'`, '1:9'],
    ['{"a": 1 x}', "expected ',' or '}' after a property value, found 'x'", '1:9'],
    ['{"a": 1]', "expected ',' or '}' after a property value, found ']'", '1:8'],
    ['[1 2]', "expected ',' or ']' after an array element, found '2'", '1:4'],
    ['[1}', "expected ',' or ']' after an array element, found '}'", '1:3'],
    ['[true false]', "expected ',' or ']' after an array element, found 'false'", '1:7'],
    ['{"a":}', "expected a value, found '}'", '1:6'],
    ['[}', "expected a value or ']', found '}'", '1:2'],
    ['1 2', "expected the end of the text after the value, found '2'", '1:3'],
    ['[1] // c\n x', "expected the end of the text after the value, found 'x'", '2:2'],
    ['{}}', "expected the end of the text after the value, found '}'", '1:3'],
    ['[1]/', "expected the end of the text after the value, found '/'", '1:4'],
    ['[/ 1]', "expected a value or ']', found '/'", '1:2'],
    ['/ 1', "expected a value, found '/'", '1:1'],
    // literals and numbers
    ['NaN', "expected a value, found 'NaN'", '1:1'],
    ['Infinity', "expected a value, found 'Infinity'", '1:1'],
    ['-Infinity', "expected a digit after '-', found 'Infinity'", '1:2'],
    ['undefined', "expected a value, found 'undefined'", '1:1'],
    ['tru', "expected a value, found 'tru'", '1:1'],
    ['True', "expected a value, found 'True'", '1:1'],
    ['nul', "expected a value, found 'nul'", '1:1'],
    ["'a'", `expected a value, found "'"`, '1:1'],
    ['01', "leading zeros are not allowed in a number, found '1' after '0'", '1:2'],
    ['[-007]', "leading zeros are not allowed in a number, found '0' after '0'", '1:4'],
    ['+1', "expected a value, found '+'", '1:1'],
    ['0x1F', "expected the end of the text after the value, found 'x1F'", '1:2'],
    ['.5', "expected a value, found '.'", '1:1'],
    ['1.e3', "expected a digit after the decimal point, found 'e3'", '1:3'],
    ['1.5.', "expected the end of the text after the value, found '.'", '1:4'],
    ['1ex', "expected a digit in the exponent, found 'x'", '1:3'],
    ['- 1', "expected a digit after '-', found U+0020", '1:2'],
    // strings
    ['"a\nb"', 'control character U+000A is not allowed in a string (is its closing " missing?)', '1:3'],
    ['"a\tb"', 'control character U+0009 is not allowed in a string', '1:3'],
    ['["\0"]', 'control character U+0000 is not allowed in a string', '1:3'],
    ['"\u001f"', 'control character U+001F is not allowed in a string', '1:2'],
    ['"😀\r"', 'control character U+000D is not allowed in a string (is its closing " missing?)', '1:4'],
    ['"\\q"', "invalid escape '\\q' in a string", '1:2'],
    ['"ab\\x41"', "invalid escape '\\x' in a string", '1:4'],
    ['"\\U0041"', "invalid escape '\\U' in a string", '1:2'],
    ["\"\\'\"", "invalid escape '\\'' in a string", '1:2'],
    ['"\\\u0001"', "invalid escape '\\' followed by U+0001 in a string", '1:2'],
    ['"\\\n"', "invalid escape '\\' followed by U+000A in a string", '1:2'],
    ['"\\u12G4"', "expected 4 hex digits after '\\u' in a string, found 'G'", '1:6'],
    ['"\\u 123"', "expected 4 hex digits after '\\u' in a string, found U+0020", '1:4'],
    // characters that are not JSON whitespace, shown safely
    ['\u000b1', 'expected a value, found U+000B', '1:1'],
    ['\u000c1', 'expected a value, found U+000C', '1:1'],
    ['\u00a01', 'expected a value, found U+00A0', '1:1'],
    ['[1,\u20282]', "expected a value or ']', found U+2028", '1:4'],
    ['\u200b1', 'expected a value, found U+200B', '1:1'],
    ['\u202e1', 'expected a value, found U+202E', '1:1'],
    ['[\uFEFF1]', "expected a value or ']', found U+FEFF", '1:2'],
    ['[\ud800]', "expected a value or ']', found U+D800", '1:2'],
    ['[😀]', "expected a value or ']', found '😀'", '1:2'],
    ['[é]', "expected a value or ']', found 'é'", '1:2'],
    ['\u0001', 'expected a value, found U+0001', '1:1'],
  ];

  it.each(cases)('%j: %s at %s', (text, message, start) => {
    const error = fail(text);
    expect(error.kind).toBe('syntax');
    expect(error.message).toBe(message);
    expect(at(error.span.start)).toBe(start);
    if (message.startsWith('unexpected end of text')) {
      expect(error.span.start.offset).toBe(text.length);
      expect(error.span.end.offset).toBe(text.length);
    } else if (message.startsWith('unterminated')) {
      // From the opening quote or /* to the end of the text.
      expect(error.span.end.offset).toBe(text.length);
    } else {
      expect(error.span.end.offset).toBeGreaterThan(error.span.start.offset);
    }
  });

  it('spans the offending character or word', () => {
    expect(range(fail('[😀]').span)).toBe('1:2-1:4');
    expect(range(fail('{"a": nope}').span)).toBe('1:7-1:11');
    expect(range(fail('"\\q"').span)).toBe('1:2-1:4');
    expect(range(fail('"\\😀"').span)).toBe('1:2-1:5');
    expect(range(fail('01').span)).toBe('1:2-1:3');
    expect(range(fail('"a\nb"').span)).toBe('1:3-2:1');
    expect(range(fail('"a\r\nb"').span)).toBe('1:3-1:4');
  });

  it('bounds the word shown in a message', () => {
    const error = fail(`[${'x'.repeat(1000)}]`);
    expect(error.message).toBe(`expected a value or ']', found '${'x'.repeat(32)}'`);
    expect(error.span.end.offset - error.span.start.offset).toBe(32);
  });

  it('reports a number that overflows to infinity over its whole span', () => {
    const error = fail('[0,\n 1e400]');
    expect(error.message).toBe('number 1e400 is out of range');
    expect(range(error.span)).toBe('2:2-2:7');
    expect(fail('-1e400').message).toBe('number -1e400 is out of range');
    expect(fail('2e308').message).toBe('number 2e308 is out of range');
    const huge = `${'9'.repeat(400)}`;
    const long = fail(huge);
    expect(long.message).toBe(`number ${'9'.repeat(31)}… is out of range`);
    expect(long.span.end.offset).toBe(400);
    // just below the overflow boundary is fine, as in JSON.parse
    expect(ok('1.7976931348623158e308').value).toBe(JSON.parse('1.7976931348623158e308'));
  });
});

describe('parseJsonc: limits', () => {
  const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
  const nestedObjects = (depth: number): string => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

  it('has the documented defaults', () => {
    expect(DEFAULT_JSONC_LIMITS).toEqual({ maxDepth: 64, maxStringLength: 65536 });
  });

  it('accepts nesting of exactly maxDepth and rejects maxDepth + 1 at the opening bracket', () => {
    expect(ok(nested(64)).errors).toEqual([]);
    expect(ok(nested(64).replace('[]', '[1, "x"]')).errors).toEqual([]);
    expect(ok(nested(63).replace('[]', '[1, {}, []]')).errors).toEqual([]);
    const error = fail(nested(65));
    expect(error.kind).toBe('limit');
    expect(error.message).toBe('nesting is deeper than 64 levels');
    expect(range(error.span)).toBe('1:65-1:66');
    expect(parseJsonc(nestedObjects(64)).errors).toEqual([]);
    expect(fail(nestedObjects(65)).message).toBe('nesting is deeper than 64 levels');
  });

  it('takes maxDepth from the caller', () => {
    expect(parseJsonc(nested(3), { maxDepth: 3 }).errors).toEqual([]);
    expect(fail(nested(4), { maxDepth: 3 }).message).toBe('nesting is deeper than 3 levels');
    expect(parseJsonc('[1, [2]]', { maxDepth: 2 }).errors).toEqual([]);
    expect(parseJsonc('[1]', { maxDepth: 1 }).errors).toEqual([]);
    expect(fail('[[]]', { maxDepth: 1 }).message).toBe('nesting is deeper than 1 level');
    expect(parseJsonc('1', { maxDepth: 1 }).errors).toEqual([]);
    expect(fail('1', { maxDepth: 0 }).message).toBe('nesting is deeper than 0 levels');
    expect(parseJsonc(nested(100), { maxDepth: 100 }).errors).toEqual([]);
    expect(parseJsonc(nested(100), { maxStringLength: 10 }).errors[0]!.kind).toBe('limit');
  });

  it('never overflows the call stack, however deep the nesting', () => {
    const deep = '['.repeat(5_000_000);
    const limited = fail(deep, { maxDepth: 1_000_000 });
    expect(limited.kind).toBe('limit');
    expect(limited.span.start.offset).toBe(1_000_000);
    const ended = parseJsonc(`${'['.repeat(200_000)}1${']'.repeat(200_000)}`, { maxDepth: Infinity });
    expect(ended.errors).toEqual([]);
    expect(range(locate(ended.location, new Array<number>(200_000).fill(0))!.location.span)).toBe('1:200001-1:200002');
    expect(fail('{"a":'.repeat(100_000), { maxDepth: Infinity }).message).toBe('unexpected end of text: expected a value');
  }, 30_000);

  it('accepts strings of exactly maxStringLength and rejects longer ones, keys included', () => {
    const max = DEFAULT_JSONC_LIMITS.maxStringLength;
    expect((ok(`"${'a'.repeat(max)}"`).value as string).length).toBe(max);
    const error = fail(`[\n "${'a'.repeat(max + 1)}"]`);
    expect(error.kind).toBe('limit');
    expect(error.message).toBe('string is longer than 65536 characters');
    expect(error.span.start).toEqual({ offset: 3, line: 2, column: 2 });
    expect(error.span.end.offset).toBe(3 + max + 3);
    expect(fail(`{"${'k'.repeat(max + 1)}": 1}`).kind).toBe('limit');
  });

  it('counts a string after unescaping, in UTF-16 units', () => {
    const limits = { maxStringLength: 4 };
    expect(parseJsonc('"\\u0041\\u0042\\n\\t"', limits).value).toBe('AB\n\t');
    expect(fail('"\\u0041\\u0042\\n\\t\\\\"', limits).message).toBe('string is longer than 4 characters');
    expect(parseJsonc('"😀😀"', limits).value).toBe('😀😀');
    expect(fail('"😀😀x"', limits).kind).toBe('limit');
    expect(fail('"\\uD83D\\uDE00\\uD83D\\uDE00\\uD83D"', limits).kind).toBe('limit');
    expect(fail('"ab"', { maxStringLength: 1 }).message).toBe('string is longer than 1 character');
  });
});

describe('parseJsonc: robustness and size', () => {
  it('never throws on odd input', () => {
    const odd = ['\uFEFF', '\uFEFF\uFEFF', '/', '/*', '*/', '"', '\\', '\ud800', `[${'{'.repeat(10)}`, ']', '}', ',', ':', '\0', '-0-', '1e+-1', '"\\u'];
    for (const text of odd) {
      const result = parseJsonc(text);
      expect(result.errors.length + (result.value === undefined ? 0 : 1)).toBe(1);
    }
  });

  it('parses a 5 MB document', () => {
    const items = Array.from({ length: 14_000 }, (_, i) => ({
      id: i,
      name: `user ${i}`,
      email: `user${i}@example.com`,
      active: i % 3 === 0,
      score: i * 1.25 - 7,
      tags: ['a', 'b\n"c"', 'é😀'],
      nested: { x: i, y: null, z: [1, 2, 3, { deep: -i }] },
    }));
    const json = JSON.stringify(items, null, 2);
    // some comments and trailing commas, as a hand-edited file has
    const text = `// generated\n${json.replace(/\n(\s*)"id"/g, '\n$1/* item */ "id"').replace(/\]\n/g, ',\n]\n')}`;
    expect(text.length).toBeGreaterThan(5_000_000);
    const result = parseJsonc(text);
    expect(result.errors).toEqual([]);
    expect(result.value).toStrictEqual(JSON.parse(json));
    const last = locate(result.location, [items.length - 1, 'nested', 'z', 3, 'deep'])!;
    expect(last.matched).toBe(5);
    expect(text.slice(last.location.span.start.offset, last.location.span.end.offset)).toBe(String(-(items.length - 1)));
    expect(last.location.span.start).toEqual(pointAt(text, last.location.span.start.offset));
  }, 30_000);
});
