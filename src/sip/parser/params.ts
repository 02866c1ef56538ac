// Ordered parameter lists: header params (generic-param, RFC 3261 §25.1) and URI params.

import { allOf, CLASS, HNV, isToken, PARAM, skipWs, TOKEN } from './chars.js';
import { percentDecode, percentEncode, quote, scanQuoted, unquote } from './escape.js';
import { SipParseError } from './errors.js';

/** One parameter: its value is `null` when the parameter has no `=value` (e.g. `;lr`). */
export interface Param {
  /** Name as written (for URI parameters, with %-escapes decoded). */
  readonly name: string;
  /** Value with quoting or %-escapes removed; `null` when the parameter has no value. */
  readonly value: string | null;
  /** The exact text written on the wire for `name[=value]`. */
  readonly raw: string;
}

/** How a parameter list is written: header params use quoted strings, URI params %-escapes. */
export type ParamStyle = 'header' | 'uri' | 'uri-header';

/**
 * An ordered, case-insensitive list of parameters (`;name=value` in headers and URIs, or
 * `?name=value&...` URI headers). Values are decoded on access and the original text is kept,
 * so an unmodified list serializes exactly as it was received.
 */
export class Params {
  private readonly list: Param[];
  /** Which syntax the list uses; decides how `set` writes new values. */
  readonly style: ParamStyle;

  constructor(style: ParamStyle = 'header', list: Param[] = []) {
    this.style = style;
    this.list = list;
  }

  /** Number of parameters. */
  get size(): number {
    return this.list.length;
  }

  /**
   * Value of the first parameter called `name` (case-insensitive): a string, `null` when present
   * without a value, `undefined` when absent.
   */
  get(name: string): string | null | undefined {
    const p = this.find(name);
    return p === undefined ? undefined : p.value;
  }

  /** True when a parameter called `name` is present. */
  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  /**
   * Sets `name` to `value` (`null` for a parameter without value), replacing the first existing
   * parameter of that name in place, or appending. Values are quoted or escaped as needed.
   */
  set(name: string, value: string | null = null): this {
    const p = makeParam(this.style, name, value);
    const i = this.indexOf(name);
    if (i < 0) this.list.push(p);
    else this.list[i] = p;
    return this;
  }

  /** Removes every parameter called `name`; returns whether any was removed. */
  delete(name: string): boolean {
    const before = this.list.length;
    const key = name.toLowerCase();
    for (let i = this.list.length - 1; i >= 0; i--) {
      if (this.list[i]!.name.toLowerCase() === key) this.list.splice(i, 1);
    }
    return this.list.length !== before;
  }

  /** The parameters in order. */
  entries(): readonly Param[] {
    return this.list;
  }

  [Symbol.iterator](): Iterator<Param> {
    return this.list[Symbol.iterator]();
  }

  /** An independent copy. */
  clone(): Params {
    return new Params(this.style, this.list.slice());
  }

  /** The list as written: `;a=b;c` for parameters, `?a=b&c=d` for URI headers; empty when none. */
  toString(): string {
    if (this.list.length === 0) return '';
    if (this.style === 'uri-header') return '?' + this.list.map((p) => p.raw).join('&');
    let out = '';
    for (const p of this.list) out += ';' + p.raw;
    return out;
  }

  private find(name: string): Param | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.list[i];
  }

  private indexOf(name: string): number {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const n = list[i]!.name;
      if (n === name || (n.length === name.length && n.toLowerCase() === name.toLowerCase())) return i;
    }
    return -1;
  }
}

function makeParam(style: ParamStyle, name: string, value: string | null): Param {
  if (style === 'header') {
    if (!isToken(name)) throw new SipParseError(`parameter name ${JSON.stringify(name)} is not a token`);
    if (value === null) return { name, value, raw: name };
    const raw = isToken(value) || isBracketedHost(value) ? value : quote(value);
    return { name, value, raw: `${name}=${raw}` };
  }
  const mask = style === 'uri' ? PARAM : HNV;
  const rawName = percentEncode(name, mask);
  if (rawName.length === 0) throw new SipParseError('empty URI parameter name');
  if (value === null) {
    if (style === 'uri-header') throw new SipParseError('URI header needs a value');
    return { name, value, raw: rawName };
  }
  return { name, value, raw: `${rawName}=${percentEncode(value, mask)}` };
}

function isBracketedHost(v: string): boolean {
  return v.length > 2 && v.charCodeAt(0) === 91 && v.charCodeAt(v.length - 1) === 93 && /^\[[0-9A-Fa-f:.]+\]$/.test(v);
}

/**
 * Parses header parameters `*( SEMI generic-param )` from `s` starting at `i`, appending them to
 * `list`. Stops at `end` or at the first character after optional whitespace that is not `;`, and
 * returns that index. `colonInValues` admits `:` in unquoted values, for Via's `received` and
 * `maddr`, whose IPv6 addresses are written without brackets (RFC 3261 §25.1 via-received).
 */
export function parseHeaderParams(s: string, i: number, end: number, list: Param[], colonInValues = false): number {
  for (;;) {
    i = skipWs(s, i, end);
    if (i >= end || s.charCodeAt(i) !== 59 /* ; */) return i;
    i = skipWs(s, i + 1, end);
    // generic-param = token [ EQUAL gen-value ]
    const nameStart = i;
    while (i < end && isTokenCode(s.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError('empty or malformed parameter');
    const name = s.slice(nameStart, i);
    let j = skipWs(s, i, end);
    if (j < end && s.charCodeAt(j) === 61 /* = */) {
      j = skipWs(s, j + 1, end);
      const vStart = j;
      let value: string;
      const c = s.charCodeAt(j);
      if (c === 34 /* " */) {
        j = scanQuoted(s, j, end);
        value = unquote(s.slice(vStart, j));
      } else if (c === 91 /* [ */) {
        // host as an IPv6 reference
        const close = s.indexOf(']', j);
        if (close < 0 || close >= end) throw new SipParseError(`unterminated IPv6 reference in parameter ${name}`);
        j = close + 1;
        value = s.slice(vStart, j);
        if (!isBracketedHost(value)) throw new SipParseError(`malformed IPv6 reference in parameter ${name}`);
      } else {
        while (j < end && (isTokenCode(s.charCodeAt(j)) || (colonInValues && s.charCodeAt(j) === 58))) j++;
        if (j === vStart) throw new SipParseError(`parameter ${name} has an empty or malformed value`);
        value = s.slice(vStart, j);
      }
      list.push({ name, value, raw: `${name}=${s.slice(vStart, j)}` });
      i = j;
    } else {
      list.push({ name, value: null, raw: name });
    }
  }
}

function isTokenCode(c: number): boolean {
  return c < 128 && (CLASS[c]! & TOKEN) !== 0;
}

/**
 * Parses URI parameters (`;pname[=pvalue]`, RFC 3261 §19.1.1) from `s[start, end)`, where
 * `s[start]` is the first `;`.
 */
export function parseUriParams(s: string, start: number, end: number): Params {
  const list: Param[] = [];
  let i = start;
  while (i < end) {
    // s[i] is ';'
    let j = s.indexOf(';', i + 1);
    if (j < 0 || j > end) j = end;
    const eq = s.indexOf('=', i + 1);
    const hasValue = eq >= 0 && eq < j;
    const nameEnd = hasValue ? eq : j;
    if (!allOf(s, i + 1, nameEnd, PARAM)) throw new SipParseError(`malformed URI parameter ${JSON.stringify(s.slice(i + 1, j))}`);
    const name = percentDecode(s.slice(i + 1, nameEnd));
    let value: string | null = null;
    if (hasValue) {
      if (!allOf(s, eq + 1, j, PARAM)) throw new SipParseError(`malformed value of URI parameter ${name}`);
      value = percentDecode(s.slice(eq + 1, j));
    }
    list.push({ name, value, raw: s.slice(i + 1, j) });
    i = j;
  }
  return new Params('uri', list);
}

/** Parses URI headers (`hname=hvalue *( "&" hname=hvalue )`) from `s[start, end)`, after the `?`. */
export function parseUriHeaders(s: string, start: number, end: number): Params {
  const list: Param[] = [];
  let i = start;
  for (;;) {
    let j = s.indexOf('&', i);
    if (j < 0 || j > end) j = end;
    const eq = s.indexOf('=', i);
    if (eq < 0 || eq >= j) throw new SipParseError(`URI header ${JSON.stringify(s.slice(i, j))} has no "="`);
    if (!allOf(s, i, eq, HNV)) throw new SipParseError(`malformed URI header name ${JSON.stringify(s.slice(i, eq))}`);
    if (eq + 1 < j && !allOf(s, eq + 1, j, HNV)) throw new SipParseError(`malformed URI header value in ${JSON.stringify(s.slice(i, j))}`);
    list.push({ name: percentDecode(s.slice(i, eq)), value: percentDecode(s.slice(eq + 1, j)), raw: s.slice(i, j) });
    if (j >= end) break;
    i = j + 1;
  }
  return new Params('uri-header', list);
}
