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
  // (`declare`: the constructor creates both fields, with no define-as-undefined pass first)
  private declare readonly list: Param[];
  /** Which syntax the list uses; decides how `set` writes new values. */
  declare readonly style: ParamStyle;

  constructor(style: ParamStyle = 'header', list: Param[] = []) {
    this.list = list;
    this.style = style;
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

  /** The parameters in order. */
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
  // pvalue = 1*paramchar: a URI parameter is either valueless or has a non-empty value.
  if (value === '' && style === 'uri') throw new SipParseError(`URI parameter ${name} cannot have an empty value (use null for no value)`);
  return { name, value, raw: `${rawName}=${percentEncode(value, mask)}` };
}

function isBracketedHost(v: string): boolean {
  return v.length > 2 && v.charCodeAt(0) === 91 && v.charCodeAt(v.length - 1) === 93 && /^\[[0-9A-Fa-f:.]+\]$/.test(v);
}

/**
 * Checks one parameter by position: the name is `s[n0, n1)`, the value `s[v0, v1)` (`v0 < 0` when
 * the parameter has no value). Throws {@link SipParseError} to reject it.
 */
export type ParamCheck = (s: string, n0: number, n1: number, v0: number, v1: number) => void;

/**
 * Parses header parameters `*( SEMI generic-param )` from `s` starting at `i`, appending them to
 * `list` (or only checking them when `list` is null). Stops at `end` or at the first character
 * after optional whitespace that is not `;`, and returns that index. `colonInValues` admits `:` in
 * unquoted values, for Via's `received`, whose IPv6 address is written without brackets (RFC 3261
 * §25.1 via-received). `check`, when given, vets each parameter.
 */
export function parseHeaderParams(s: string, i: number, end: number, list: Param[] | null, colonInValues = false, check?: ParamCheck): number {
  for (;;) {
    i = skipWs(s, i, end);
    if (i >= end || s.charCodeAt(i) !== 59 /* ; */) return i;
    i = skipWs(s, i + 1, end);
    // generic-param = token [ EQUAL gen-value ]
    const nameStart = i;
    while (i < end && isTokenCode(s.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError('empty or malformed parameter');
    const nameEnd = i;
    let j = skipWs(s, i, end);
    if (j < end && s.charCodeAt(j) === 61 /* = */) {
      j = skipWs(s, j + 1, end);
      const vStart = j;
      const c = s.charCodeAt(j);
      if (c === 34 /* " */) {
        j = scanQuoted(s, j, end);
      } else if (c === 91 /* [ */) {
        // host as an IPv6 reference
        const close = s.indexOf(']', j);
        if (close < 0 || close >= end || !isBracketedHost(s.slice(vStart, close + 1))) {
          throw new SipParseError(`malformed IPv6 reference in parameter ${s.slice(nameStart, nameEnd)}`);
        }
        j = close + 1;
      } else {
        while (j < end && (isTokenCode(s.charCodeAt(j)) || (colonInValues && s.charCodeAt(j) === 58))) j++;
        if (j === vStart) throw new SipParseError(`parameter ${s.slice(nameStart, nameEnd)} has an empty or malformed value`);
      }
      if (check !== undefined) check(s, nameStart, nameEnd, vStart, j);
      if (list !== null) {
        const name = s.slice(nameStart, nameEnd);
        const rawValue = s.slice(vStart, j);
        list.push({ name, value: c === 34 ? unquote(rawValue) : rawValue, raw: j - nameStart === nameEnd - nameStart + 1 + (j - vStart) ? s.slice(nameStart, j) : `${name}=${rawValue}` });
      }
      i = j;
    } else {
      if (check !== undefined) check(s, nameStart, nameEnd, -1, -1);
      if (list !== null) {
        const name = s.slice(nameStart, nameEnd);
        list.push({ name, value: null, raw: name });
      }
    }
  }
}

function isTokenCode(c: number): boolean {
  return c < 128 && (CLASS[c]! & TOKEN) !== 0;
}

/**
 * Parses URI parameters (`;pname[=pvalue]`, RFC 3261 §19.1.1) from `s[start, end)`, where
 * `s[start]` is the first `;`. With `build` false it only checks them and returns undefined.
 */
export function parseUriParams(s: string, start: number, end: number, build = true): Params | undefined {
  const list: Param[] | null = build ? [] : null;
  let i = start;
  while (i < end) {
    // s[i] is ';'
    let j = s.indexOf(';', i + 1);
    if (j < 0 || j > end) j = end;
    let eq = s.indexOf('=', i + 1);
    if (eq >= j) eq = -1;
    const nameEnd = eq >= 0 ? eq : j;
    if (!allOf(s, i + 1, nameEnd, PARAM)) throw new SipParseError(`malformed URI parameter ${JSON.stringify(s.slice(i + 1, j))}`);
    if (eq >= 0 && !allOf(s, eq + 1, j, PARAM)) throw new SipParseError(`malformed value of URI parameter ${JSON.stringify(s.slice(i + 1, eq))}`);
    if (list !== null) {
      const name = percentDecode(s.slice(i + 1, nameEnd));
      const value = eq >= 0 ? percentDecode(s.slice(eq + 1, j)) : null;
      list.push({ name, value, raw: s.slice(i + 1, j) });
    }
    i = j;
  }
  return list === null ? undefined : new Params('uri', list);
}

/**
 * Parses URI headers (`hname=hvalue *( "&" hname=hvalue )`) from `s[start, end)`, after the `?`.
 * With `build` false it only checks them and returns undefined.
 */
export function parseUriHeaders(s: string, start: number, end: number, build = true): Params | undefined {
  const list: Param[] | null = build ? [] : null;
  let i = start;
  for (;;) {
    let j = s.indexOf('&', i);
    if (j < 0 || j > end) j = end;
    const eq = s.indexOf('=', i);
    if (eq < 0 || eq >= j) throw new SipParseError(`URI header ${JSON.stringify(s.slice(i, j))} has no "="`);
    if (!allOf(s, i, eq, HNV)) throw new SipParseError(`malformed URI header name ${JSON.stringify(s.slice(i, eq))}`);
    if (eq + 1 < j && !allOf(s, eq + 1, j, HNV)) throw new SipParseError(`malformed URI header value in ${JSON.stringify(s.slice(i, j))}`);
    if (list !== null) list.push({ name: percentDecode(s.slice(i, eq)), value: percentDecode(s.slice(eq + 1, j)), raw: s.slice(i, j) });
    if (j >= end) break;
    i = j + 1;
  }
  return list === null ? undefined : new Params('uri-header', list);
}
