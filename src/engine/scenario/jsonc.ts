// JSONC for scenario files: strict JSON (RFC 8259) plus comments (`//…`, `/*…*/`) and one trailing
// comma before `]` or `}`, as tsconfig.json allows. Next to the value, the parser returns a location
// tree mapping every JSON path to the source span of its value (and of its key, for object
// members), so every later check can report `file:line:column`.
//
// It never throws, whatever the text: the first syntax or limit error stops parsing and is returned
// as data. Parsing is iterative (an explicit stack of open containers), so no nesting depth can
// overflow the call stack; maxDepth bounds it for hostile files, and maxStringLength bounds strings.
//
// Positions: offsets index the text in UTF-16 code units; lines end at LF, CRLF or a lone CR;
// columns count UTF-16 code units from the line start. A leading byte-order mark is not part of
// line 1 (line 1 starts after it, as in an editor), though offsets still count it.

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A point in the text. `line` and `column` are 1-based; `column` counts UTF-16 code units from the
 * line start; `offset` is 0-based (an index into the text, BOM included).
 */
export interface SourcePoint {
  /** 0-based index into the text, in UTF-16 code units. */
  readonly offset: number;
  /** 1-based line number; lines end at LF, CRLF or a lone CR. */
  readonly line: number;
  /** 1-based column, in UTF-16 code units from the start of the line. */
  readonly column: number;
}

/** A range of the text; `end` is exclusive. */
export interface SourceSpan {
  /** The first code unit of the range. */
  readonly start: SourcePoint;
  /** Just past the last code unit of the range. */
  readonly end: SourcePoint;
}

/**
 * Where a value sits in the text, with the locations of its elements or members.
 *
 * `children` is set for arrays (keyed by index, a number) and objects (keyed by member name, a
 * string); for a duplicated key it holds the entry of the LAST occurrence, the one whose value is
 * kept. `keySpan` is set for object members: the span of the quoted key.
 */
export interface JsonLocation {
  /** The value's span: from its first character to just past its last (`"…"`, `[…]`, `{…}`, `12.5e3`, …). */
  readonly span: SourceSpan;
  /** For an object member, the span of its quoted key; otherwise undefined. */
  readonly keySpan?: SourceSpan;
  /** For an array or object, the locations of its elements or members; otherwise undefined. */
  readonly children?: ReadonlyMap<string | number, JsonLocation>;
}

/** Bounds the parser enforces against hostile files. */
export interface JsoncLimits {
  /** Deepest nesting allowed: the top-level value is depth 1, each array or object inside adds 1. */
  readonly maxDepth: number;
  /** Longest string (keys included) allowed, counted after unescaping, in UTF-16 code units. */
  readonly maxStringLength: number;
}

/** The limits {@link parseJsonc} applies when not told otherwise: depth 64, strings of 65,536 code units. */
export const DEFAULT_JSONC_LIMITS: JsoncLimits = Object.freeze({ maxDepth: 64, maxStringLength: 65536 });

/**
 * A problem found in the text.
 *
 * `syntax` and `limit` issues are errors (parsing stopped there); `duplicate-key` issues are
 * warnings. `message` is short and lower-case, says what was expected and what was found, and
 * carries no position: format `span.start` as `file:line:column` where it is shown.
 */
export interface JsoncIssue {
  /** `syntax`: the text is not JSONC; `limit`: a {@link JsoncLimits} bound was exceeded; `duplicate-key`: a member name repeats. */
  readonly kind: 'syntax' | 'limit' | 'duplicate-key';
  /** What was wrong, in words, without the position. */
  readonly message: string;
  /** The offending text; an empty span at the end of the text when the text ended too early. */
  readonly span: SourceSpan;
  /** For `duplicate-key`, the repeated member name. */
  readonly key?: string;
}

/** What {@link parseJsonc} returns; `value` and `location` are undefined exactly when `errors` is not empty. */
export interface JsoncResult {
  /** The parsed value (deep-equal to what `JSON.parse` gives for the same text without comments and trailing commas). */
  readonly value: JsonValue | undefined;
  /** The location tree of `value`. */
  readonly location: JsonLocation | undefined;
  /** Empty on success; otherwise exactly one `syntax` or `limit` issue, the first one found. */
  readonly errors: readonly JsoncIssue[];
  /** `duplicate-key` issues, in text order (on failure, those found before the error). */
  readonly warnings: readonly JsoncIssue[];
}

/**
 * Parses JSONC text into a value and a location tree. Never throws.
 *
 * Accepts strict JSON plus comments and one trailing comma before `]` or `}`; a leading BOM is
 * skipped. Objects are plain objects (prototype `Object.prototype`) on which every member, `__proto__`
 * included, is an own enumerable data property, as with `JSON.parse`; a duplicated key keeps the
 * last value, at the place of its last occurrence (JSON.parse keeps the first place), and yields a
 * `duplicate-key` warning at each later occurrence.
 *
 * @param text - the file's contents
 * @param limits - bounds overriding {@link DEFAULT_JSONC_LIMITS}
 *
 * @example
 * ```ts
 * const { value, location, errors } = parseJsonc(text);
 * if (errors.length > 0) {
 *   const { line, column } = errors[0]!.span.start;
 *   report(`${file}:${line}:${column}: ${errors[0]!.message}`);
 * } else {
 *   const at = locate(location, ['agents', 0, 'port'])!.location.span.start;
 * }
 * ```
 */
export function parseJsonc(text: string, limits?: Partial<JsoncLimits>): JsoncResult {
  const maxDepth = limitOf(limits?.maxDepth, DEFAULT_JSONC_LIMITS.maxDepth);
  const maxStringLength = limitOf(limits?.maxStringLength, DEFAULT_JSONC_LIMITS.maxStringLength);
  return new Parser(text, maxDepth, maxStringLength).parse();
}

/**
 * The location of the deepest value on `path` that exists, and how many path elements matched:
 * for a missing member it is the location of the object that lacks it (`matched` then counts the
 * elements before the missing one). `undefined` only when `root` is undefined.
 *
 * An array element is found by its index as a number or as its canonical decimal string (`"0"`,
 * `"12"`); an object member by its name, or by a number standing for that name.
 */
export function locate(
  root: JsonLocation | undefined,
  path: readonly (string | number)[],
): { location: JsonLocation; matched: number } | undefined {
  if (root === undefined) return undefined;
  let location = root;
  let matched = 0;
  for (const element of path) {
    const children = location.children;
    if (children === undefined) break;
    let child = children.get(element);
    if (child === undefined) {
      if (typeof element === 'number') child = children.get(String(element));
      else if (INDEX.test(element)) child = children.get(Number(element));
    }
    if (child === undefined) break;
    location = child;
    matched++;
  }
  return { location, matched };
}

/**
 * The {@link SourcePoint} of `offset` in `text`, under the parser's rules (lines end at LF, CRLF or
 * a lone CR; a leading BOM is not part of line 1). The offset is clamped to `[0, text.length]`.
 */
export function pointAt(text: string, offset: number): SourcePoint {
  const end = Number.isNaN(offset) ? 0 : Math.min(text.length, Math.max(0, Math.floor(offset)));
  let line = 1;
  let lineStart = text.charCodeAt(0) === BOM && end > 0 ? 1 : 0;
  for (let i = lineStart; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset: end, line, column: end - lineStart + 1 };
}

// ---------------------------------------------------------------------------------------------
// Internals

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LOWER_E = 0x65;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const STAR = 0x2a;
const BOM = 0xfeff;

/** A canonical array index written as a string. */
const INDEX = /^(?:0|[1-9][0-9]{0,15})$/;
/** Characters safe to show between quotes in a message. */
const PRINTABLE = /^[\p{L}\p{N}\p{P}\p{S}]$/u;
/** ASCII characters that continue a bare word (`NaN`, `undefined`, an unquoted key) in a message. */
const WORD = /^[A-Za-z0-9_$]$/;
/** Longest bare word or number shown in a message. */
const SHOWN_MAX = 32;
/** Integers with at most this many digits are exact in a double and are computed while scanning. */
const FAST_DIGITS = 15;

const OBJECT_PROTOTYPE: object = Object.prototype;

function limitOf(given: number | undefined, fallback: number): number {
  return typeof given === 'number' && !Number.isNaN(given) ? Math.max(0, Math.floor(given)) : fallback;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The one object kept per value: positions as numbers, the spans built on first access. Scalars
 * and keys never span lines, but containers do, so the end point carries its own line.
 */
class Loc implements JsonLocation {
  children: Map<string | number, Loc> | undefined;
  endOffset = 0;
  endLine = 0;
  endColumn = 0;
  private spanCache: SourceSpan | undefined = undefined;
  private keySpanCache: SourceSpan | undefined = undefined;

  constructor(
    readonly startOffset: number,
    readonly startLine: number,
    readonly startColumn: number,
    /** -1 when the value is not an object member. */
    readonly keyOffset: number,
    readonly keyLine: number,
    readonly keyColumn: number,
    readonly keyEndOffset: number,
  ) {
    // A container's Map is made when its first element is stored or, if it has none, when it
    // closes: an unclosed run of '[' then costs no Map per level.
    this.children = undefined;
  }

  get span(): SourceSpan {
    return (this.spanCache ??= Object.freeze({
      start: Object.freeze({ offset: this.startOffset, line: this.startLine, column: this.startColumn }),
      end: Object.freeze({ offset: this.endOffset, line: this.endLine, column: this.endColumn }),
    }));
  }

  get keySpan(): SourceSpan | undefined {
    if (this.keyOffset < 0) return undefined;
    return (this.keySpanCache ??= Object.freeze({
      start: Object.freeze({ offset: this.keyOffset, line: this.keyLine, column: this.keyColumn }),
      end: Object.freeze({
        offset: this.keyEndOffset,
        line: this.keyLine,
        column: this.keyColumn + (this.keyEndOffset - this.keyOffset),
      }),
    }));
  }
}

/** Thrown inside the parser to unwind to {@link Parser.parse}; never escapes it. */
const STOP: unique symbol = Symbol('jsonc stop');

type Container = JsonValue[] | { [key: string]: JsonValue };

/** Adds a member as an own enumerable data property, whatever its name (`__proto__` included). */
function setMember(object: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  if (key in OBJECT_PROTOTYPE) {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

class Parser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private error: JsoncIssue | undefined;
  private readonly warnings: JsoncIssue[] = [];
  // The pending object member: its name and key position, set by parseKey().
  private key = '';
  private keyOffset = -1;
  private keyLine = 0;
  private keyColumn = 0;
  private keyEnd = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly maxStringLength: number,
  ) {}

  parse(): JsoncResult {
    try {
      const [value, location] = this.run();
      return { value, location, errors: [], warnings: this.warnings };
    } catch (err) {
      if (err !== STOP || this.error === undefined) throw err;
      return { value: undefined, location: undefined, errors: [this.error], warnings: this.warnings };
    }
  }

  private run(): [JsonValue, Loc] {
    const text = this.text;
    const len = text.length;
    if (text.charCodeAt(0) === BOM) this.pos = this.lineStart = 1;
    // Open containers, innermost last, each with its location and the member name it will be
    // stored under in its parent (undefined in an array or at the top).
    const containers: Container[] = [];
    const locs: Loc[] = [];
    const memberKeys: (string | undefined)[] = [];
    let expected = 'a value';
    this.skip();

    for (;;) {
      // ---- a value starts at pos (whitespace and comments skipped)
      const depth = containers.length;
      const parent = depth === 0 ? undefined : containers[depth - 1]!;
      const inObject = parent !== undefined && !Array.isArray(parent);
      const start = this.pos;
      const c = text.charCodeAt(start);
      const line = this.line;
      const column = start - this.lineStart + 1;
      let value: JsonValue;
      let loc: Loc;
      let memberKey: string | undefined = inObject ? this.key : undefined;
      const keyOffset = inObject ? this.keyOffset : -1;

      if (c === LBRACE || c === LBRACKET) {
        if (depth + 1 > this.maxDepth) {
          this.fail('limit', start, start + 1, `nesting is deeper than ${plural(this.maxDepth, 'level')}`);
        }
        loc = new Loc(start, line, column, keyOffset, this.keyLine, this.keyColumn, this.keyEnd);
        this.pos++;
        this.skip();
        const next = text.charCodeAt(this.pos);
        if (c === LBRACE) {
          const object: { [key: string]: JsonValue } = {};
          if (next === RBRACE) {
            this.pos++;
            loc.children = new Map();
            value = object;
          } else {
            containers.push(object);
            locs.push(loc);
            memberKeys.push(memberKey);
            if (next !== QUOTE) this.expected("a property name in double quotes or '}'");
            this.parseKey();
            expected = 'a value';
            continue;
          }
        } else {
          const array: JsonValue[] = [];
          if (next === RBRACKET) {
            this.pos++;
            loc.children = new Map();
            value = array;
          } else {
            containers.push(array);
            locs.push(loc);
            memberKeys.push(memberKey);
            expected = "a value or ']'";
            continue;
          }
        }
      } else {
        if (depth === 0 && this.maxDepth < 1) {
          this.fail('limit', start, start + 1, `nesting is deeper than ${plural(this.maxDepth, 'level')}`);
        }
        if (c === QUOTE) value = this.parseString();
        else if (c === MINUS || (c >= ZERO && c <= NINE)) value = this.parseNumber();
        else if (text.startsWith('true', start)) value = this.literal(true, 4);
        else if (text.startsWith('false', start)) value = this.literal(false, 5);
        else if (text.startsWith('null', start)) value = this.literal(null, 4);
        else return this.expected(expected);
        loc = new Loc(start, line, column, keyOffset, this.keyLine, this.keyColumn, this.keyEnd);
      }
      // The value (a scalar or an empty container) ends at pos.
      loc.endOffset = this.pos;
      loc.endLine = this.line;
      loc.endColumn = this.pos - this.lineStart + 1;

      // ---- store the finished value in its parent, then close every container that ends here
      for (;;) {
        const d = containers.length;
        if (d === 0) {
          this.skip();
          if (this.pos < len) this.expected('the end of the text after the value');
          return [value, loc];
        }
        const into = containers[d - 1]!;
        const intoLoc = locs[d - 1]!;
        const children = (intoLoc.children ??= new Map());
        const isArray = Array.isArray(into);
        if (isArray) {
          children.set(into.length, loc);
          into.push(value);
        } else {
          const name = memberKey!;
          if (children.has(name)) {
            // The last occurrence is the one used: it also takes the last place, so that the
            // order of the members is the order in which a reader assigning them in turn ends.
            this.duplicate(name, loc);
            children.delete(name);
            delete (into as Record<string, unknown>)[name];
          }
          children.set(name, loc);
          setMember(into, name, value);
        }
        this.skip();
        let next = text.charCodeAt(this.pos);
        if (next === COMMA) {
          this.pos++;
          this.skip();
          next = text.charCodeAt(this.pos);
          if (next !== (isArray ? RBRACKET : RBRACE)) {
            if (isArray) {
              expected = "a value or ']'";
            } else {
              if (next !== QUOTE) this.expected("a property name in double quotes or '}'");
              this.parseKey();
              expected = 'a value';
            }
            break; // the next element or member value starts at pos
          }
        } else if (next !== (isArray ? RBRACKET : RBRACE)) {
          this.expected(isArray ? "',' or ']' after an array element" : "',' or '}' after a property value");
        }
        // ']' or '}' at pos: the container is finished and becomes the value to store.
        this.pos++;
        value = containers.pop()!;
        loc = locs.pop()!;
        memberKey = memberKeys.pop();
        loc.endOffset = this.pos;
        loc.endLine = this.line;
        loc.endColumn = this.pos - this.lineStart + 1;
      }
    }
  }

  /** Reads a member name at pos (a '"'), the ':' after it, and skips to the value. */
  private parseKey(): void {
    const start = this.pos;
    this.keyOffset = start;
    this.keyLine = this.line;
    this.keyColumn = start - this.lineStart + 1;
    this.key = this.parseString();
    this.keyEnd = this.pos;
    this.skip();
    if (this.text.charCodeAt(this.pos) !== COLON) this.expected("':' after a property name");
    this.pos++;
    this.skip();
  }

  private literal<T extends boolean | null>(value: T, length: number): T {
    this.pos += length;
    return value;
  }

  /** Reads a string at pos (a '"'); leaves pos after the closing quote. */
  private parseString(): string {
    const text = this.text;
    const len = text.length;
    const open = this.pos;
    let pos = open + 1;
    let runStart = pos;
    let out: string | undefined;
    for (;;) {
      if (pos >= len) this.fail('syntax', open, len, 'unterminated string: no closing "');
      const c = text.charCodeAt(pos);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        out = (out ?? '') + text.slice(runStart, pos);
        if (pos + 1 >= len) this.fail('syntax', open, len, 'unterminated string: no closing "');
        const e = text.charCodeAt(pos + 1);
        let decoded: string;
        let width = 2;
        switch (e) {
          case QUOTE: decoded = '"'; break;
          case BACKSLASH: decoded = '\\'; break;
          case SLASH: decoded = '/'; break;
          case 0x62: decoded = '\b'; break;
          case 0x66: decoded = '\f'; break;
          case 0x6e: decoded = '\n'; break;
          case 0x72: decoded = '\r'; break;
          case 0x74: decoded = '\t'; break;
          case 0x75: {
            let unit = 0;
            for (let i = pos + 2; i < pos + 6; i++) {
              if (i >= len) this.fail('syntax', open, len, 'unterminated string: no closing "');
              const h = hexValue(text.charCodeAt(i));
              if (h < 0) {
                const found = describeAt(text, i, false);
                this.fail('syntax', i, i + found.width, `expected 4 hex digits after '\\u' in a string, found ${found.text}`);
              }
              unit = unit * 16 + h;
            }
            decoded = String.fromCharCode(unit);
            width = 6;
            break;
          }
          default: {
            const found = describeAt(text, pos + 1, false);
            const shown = found.quoted ? `'\\${found.char}'` : `'\\' followed by ${found.text}`;
            this.fail('syntax', pos, pos + 1 + found.width, `invalid escape ${shown} in a string`);
          }
        }
        out += decoded;
        pos += width;
        runStart = pos;
        if (out.length > this.maxStringLength) this.tooLong(open, pos);
        continue;
      }
      if (c < SPACE) {
        this.fail('syntax', pos, pos + 1, `control character ${codePoint(c)} is not allowed in a string${c === LF || c === CR ? ' (is its closing " missing?)' : ''}`);
      }
      pos++;
    }
    const value = out === undefined ? text.slice(runStart, pos) : out + text.slice(runStart, pos);
    this.pos = pos + 1;
    if (value.length > this.maxStringLength) this.tooLong(open, pos + 1);
    return value;
  }

  private tooLong(start: number, end: number): never {
    return this.fail('limit', start, end, `string is longer than ${plural(this.maxStringLength, 'character')}`);
  }

  /** Reads a number at pos (a '-' or a digit); leaves pos after it. */
  private parseNumber(): number {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    let c = text.charCodeAt(pos);
    const negative = c === MINUS;
    if (negative) {
      c = text.charCodeAt(++pos);
      if (!(c >= ZERO && c <= NINE)) return this.expectedAt(pos, "a digit after '-'");
    }
    let integer = c - ZERO;
    pos++;
    if (c === ZERO) {
      c = text.charCodeAt(pos);
      if (c >= ZERO && c <= NINE) {
        return this.fail('syntax', pos, pos + 1, `leading zeros are not allowed in a number, found '${text[pos]}' after '0'`);
      }
    } else {
      while ((c = text.charCodeAt(pos)) >= ZERO && c <= NINE) {
        integer = integer * 10 + (c - ZERO);
        pos++;
      }
    }
    let simple = true;
    if (c === DOT) {
      simple = false;
      c = text.charCodeAt(++pos);
      if (!(c >= ZERO && c <= NINE)) return this.expectedAt(pos, 'a digit after the decimal point');
      while ((c = text.charCodeAt(pos)) >= ZERO && c <= NINE) pos++;
    }
    if (c === LOWER_E || c === UPPER_E) {
      simple = false;
      c = text.charCodeAt(++pos);
      if (c === PLUS || c === MINUS) c = text.charCodeAt(++pos);
      if (!(c >= ZERO && c <= NINE)) return this.expectedAt(pos, 'a digit in the exponent');
      while ((c = text.charCodeAt(pos)) >= ZERO && c <= NINE) pos++;
    }
    this.pos = pos;
    const digits = negative ? pos - start - 1 : pos - start;
    if (simple && digits <= FAST_DIGITS) return negative ? -integer : integer;
    const source = text.slice(start, pos);
    const value = Number(source);
    if (!Number.isFinite(value)) {
      const shown = source.length > SHOWN_MAX ? `${source.slice(0, SHOWN_MAX - 1)}…` : source;
      this.fail('syntax', start, pos, `number ${shown} is out of range`);
    }
    return value;
  }

  /** Skips whitespace and comments, counting lines. */
  private skip(): void {
    const text = this.text;
    const len = text.length;
    let pos = this.pos;
    while (pos < len) {
      const c = text.charCodeAt(pos);
      if (c === SPACE || c === TAB) {
        pos++;
      } else if (c === LF) {
        this.line++;
        this.lineStart = ++pos;
      } else if (c === CR) {
        if (text.charCodeAt(++pos) === LF) pos++;
        this.line++;
        this.lineStart = pos;
      } else if (c === SLASH) {
        const c2 = text.charCodeAt(pos + 1);
        if (c2 === SLASH) {
          pos += 2;
          while (pos < len) {
            const d = text.charCodeAt(pos);
            if (d === LF || d === CR) break;
            pos++;
          }
        } else if (c2 === STAR) {
          const opening = pos;
          pos += 2;
          for (;;) {
            if (pos >= len) {
              this.pos = pos;
              this.fail('syntax', opening, len, 'unterminated block comment: no closing */');
            }
            const d = text.charCodeAt(pos);
            if (d === STAR && text.charCodeAt(pos + 1) === SLASH) {
              pos += 2;
              break;
            }
            if (d === LF) {
              this.line++;
              this.lineStart = ++pos;
            } else if (d === CR) {
              if (text.charCodeAt(++pos) === LF) pos++;
              this.line++;
              this.lineStart = pos;
            } else {
              pos++;
            }
          }
        } else {
          break;
        }
      } else {
        break;
      }
    }
    this.pos = pos;
  }

  private duplicate(key: string, loc: Loc): void {
    const shown = key.length > SHOWN_MAX * 2 ? `${key.slice(0, SHOWN_MAX * 2 - 1)}…` : key;
    this.warnings.push({
      kind: 'duplicate-key',
      message: `duplicate key ${JSON.stringify(shown)}: the last value is used`,
      span: loc.keySpan!,
      key,
    });
  }

  /** Fails with "expected <what>, found <the text at pos>" (or the end-of-text form). */
  private expected(what: string): never {
    return this.expectedAt(this.pos, what);
  }

  private expectedAt(pos: number, what: string): never {
    const text = this.text;
    if (pos >= text.length) return this.fail('syntax', text.length, text.length, `unexpected end of text: expected ${what}`);
    const found = describeAt(text, pos, true);
    return this.fail('syntax', pos, pos + found.width, `expected ${what}, found ${found.text}`);
  }

  private fail(kind: 'syntax' | 'limit', start: number, end: number, message: string): never {
    const text = this.text;
    this.error = { kind, message, span: { start: pointAt(text, start), end: pointAt(text, end) } };
    throw STOP;
  }
}

function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

const codePoint = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A character of the text (a whole surrogate pair when there is one) as a message shows it:
 * quoted when printable, otherwise `U+XXXX`; with `words`, an ASCII word (`NaN`, `undefined`, an
 * unquoted key) is shown whole, up to a bound. `width` is how many code units of the text that covers.
 */
function describeAt(text: string, pos: number, words: boolean): { text: string; width: number; quoted: boolean; char: string } {
  const cp = text.codePointAt(pos)!;
  const char = String.fromCodePoint(cp);
  let width = char.length;
  if (!PRINTABLE.test(char)) return { text: codePoint(cp), width, quoted: false, char };
  if (words && WORD.test(char)) {
    while (width < SHOWN_MAX && pos + width < text.length && WORD.test(text[pos + width]!)) width++;
    const word = text.slice(pos, pos + width);
    return { text: `'${word}'`, width, quoted: true, char };
  }
  return { text: char === "'" ? `"'"` : `'${char}'`, width, quoted: true, char };
}
