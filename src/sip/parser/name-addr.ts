// name-addr / addr-spec values of From, To, Contact, Route, Record-Route, Reply-To, Refer-To ...
// RFC 3261 §20.10, §25.1.

import { CLASS, skipWs, TOKEN, trimWsEnd } from './chars.js';
import { quote, scanQuoted, unquote } from './escape.js';
import { SipParseError } from './errors.js';
import { type Param, type ParamCheck, Params, parseHeaderParams } from './params.js';
import { AbsoluteUri, checkUriRange, parseUri, parseUriRange, type Uri } from './uri.js';

const PLACEHOLDER_URI = new AbsoluteUri('x', 'x');

/**
 * Where the quick readings below may start in a From or To value's text: past a quoted display
 * name that opens it (the usual `"Alice" <sip:…>`), or 0 without one; -1 when a quote comes
 * anywhere else (a quoted parameter value, which may hold `;tag=` or `>`): then they cannot tell.
 */
function pastDisplayName(text: string): number {
  const quote = text.indexOf('"');
  if (quote < 0) return 0;
  if (skipWs(text, 0) !== quote) return -1;
  // quoted-string (RFC 3261 §25.1): a backslash escapes the character after it
  let i = quote + 1;
  for (const n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) break;
  }
  if (i >= text.length) return -1;
  return text.indexOf('"', i + 1) < 0 ? i + 1 : -1;
}

/**
 * @internal The URI of a From or To value's text, cut from it without parsing: `null` when this
 * quick reading cannot tell (a quoted string other than a display name that opens the text), and
 * the value must be parsed. Only for text already validated as a name-addr or addr-spec (as every field's text is):
 * a name-addr's URI is between its `<` and `>`, an addr-spec's runs to its first `;` (RFC 3261
 * §20.10: an addr-spec with a `;` of its own must be in angle brackets).
 */
export function uriTextOfText(text: string): string | null {
  const start = pastDisplayName(text);
  if (start < 0) return null;
  const open = text.indexOf('<', start);
  if (open >= 0) {
    const close = text.indexOf('>', open);
    return close > open ? text.slice(open + 1, close) : null;
  }
  // (a display name comes only with angle brackets: without them, not a text this reads)
  if (start > 0) return null;
  const semi = text.indexOf(';');
  return (semi >= 0 ? text.slice(0, semi) : text).trim();
}

/**
 * @internal The `tag` parameter of a From or To value's text, read without parsing it: the tag,
 * `undefined` when there is none, or `null` when this quick reading cannot tell (a quoted string
 * other than a display name that opens the text, a `tag` without a value) and the value must be parsed. Only for text already validated as a
 * name-addr or addr-spec with header parameters (as every field's text is): its parameters follow
 * the `>` of a name-addr, or the first `;` of an addr-spec (RFC 3261 §20.10: an addr-spec with a
 * `;` of its own must be in angle brackets). Gives what {@link NameAddr.tag} gives: the value of
 * the first parameter named `tag` (any case); `undefined` means there is no `tag` parameter at all.
 */
export function tagOfText(text: string): string | undefined | null {
  const start = pastDisplayName(text);
  if (start < 0) return null;
  const n = text.length;
  const close = text.indexOf('>', start);
  // (one pass, no string made but the tag's own)
  for (let at = text.indexOf(';', close >= 0 ? close : start); at >= 0; at = text.indexOf(';', at + 1)) {
    let i = skipWs(text, at + 1);
    if (i + 3 > n || (text.charCodeAt(i) | 0x20) !== 0x74 || (text.charCodeAt(i + 1) | 0x20) !== 0x61 || (text.charCodeAt(i + 2) | 0x20) !== 0x67) continue;
    i = skipWs(text, i + 3);
    const c = text.charCodeAt(i);
    if (i === n || c === 59) return null; // `;tag` without a value
    if (c !== 61) continue; // a longer name (`;tags=`)
    const v0 = skipWs(text, i + 1);
    let v1 = v0;
    while (v1 < n && (CLASS[text.charCodeAt(v1)]! & TOKEN) !== 0) v1++;
    return v1 > v0 ? text.slice(v0, v1) : null;
  }
  return undefined;
}

/** Fields accepted by the {@link NameAddr} constructor. */
export interface NameAddrInit {
  /** Display name, unquoted. */
  displayName?: string | undefined;
  /** The address, as a URI object or text. */
  uri: Uri | string;
  /** Header parameters (`tag`, `expires` ...); `null` for a parameter without value. */
  params?: Record<string, string | null>;
}

/**
 * A URI with an optional display name and header parameters, as in From, To, Contact, Route:
 * `"Alice" <sip:alice@example.com>;tag=1928301774`.
 *
 * @example
 * ```ts
 * const from = NameAddr.parse('"Alice" <sip:alice@example.com>;tag=88sja8x');
 * from.displayName; // "Alice"
 * from.tag;         // "88sja8x"
 * ```
 */
export class NameAddr {
  /** Distinguishes a name-addr from the Contact wildcard `*`. */
  readonly wildcard = false as const;
  /** Display name with quoting and quoted-pairs removed; `undefined` when there is none. */
  displayName: string | undefined;
  /** The address. */
  uri: Uri;
  /** Header parameters after the address (`tag`, `expires`, `q`, `lr` ...). */
  readonly params: Params;

  constructor(init: NameAddrInit) {
    this.displayName = init.displayName;
    this.params = new Params('header');
    if (init === RAW_INIT) {
      // parser path: uri and params are filled in by the parser
      this.uri = PLACEHOLDER_URI;
      return;
    }
    this.uri = typeof init.uri === 'string' ? parseUri(init.uri) : init.uri;
    for (const [k, v] of Object.entries(init.params ?? {})) this.params.set(k, v);
  }

  /** Parses one name-addr or addr-spec with its parameters. Throws {@link SipParseError}. */
  static parse(text: string): NameAddr {
    const out: Contact[] = [];
    const end = parseNameAddrAt(text, 0, text.length, out);
    if (skipWs(text, end) !== text.length) throw new SipParseError(`unexpected text after address: ${JSON.stringify(text.slice(end))}`);
    return out[0] as NameAddr;
  }

  /** The `tag` parameter (From/To), or `undefined`. */
  get tag(): string | undefined {
    return this.params.get('tag') ?? undefined;
  }

  set tag(v: string | undefined) {
    if (v === undefined) this.params.delete('tag');
    else this.params.set('tag', v);
  }

  /** A deep copy. */
  clone(): NameAddr {
    const c = Object.create(NameAddr.prototype) as NameAddr;
    Object.assign(c, this, { uri: this.uri.clone(), params: this.params.clone() });
    return c;
  }

  /** Always the `<uri>` form, which is safe whatever the URI contains. */
  toString(): string {
    const dn = this.displayName === undefined ? '' : quote(this.displayName) + ' ';
    return `${dn}<${String(this.uri)}>${this.params.toString()}`;
  }
}

/** The Contact wildcard `*` (used to remove all registrations, RFC 3261 §10.2.2). */
export class ContactWildcard {
  /** Distinguishes the wildcard from a {@link NameAddr}. */
  readonly wildcard = true as const;

  /** The header value as text. */
  toString(): string {
    return '*';
  }
}

/** One Contact header value: an address, or the wildcard `*`. */
export type Contact = NameAddr | ContactWildcard;

/**
 * Parses a name-addr or addr-spec, with its parameters, starting at `start` (leading whitespace
 * allowed), and returns the index after the parameters. With `out` null it only checks the text;
 * otherwise it pushes the value. `check` vets each header parameter.
 */
export function parseNameAddrAt(s: string, start: number, end: number, out: Contact[] | null, check?: ParamCheck): number {
  let i = skipWs(s, start, end);
  let dn0 = -1;
  let dn1 = -1;
  let quoted = false;
  const c = s.charCodeAt(i);
  if (c === 34 /* " */) {
    // display-name = quoted-string, then LAQUOT = SWS "<"
    const q = scanQuoted(s, i, end);
    dn0 = i;
    dn1 = q;
    quoted = true;
    i = skipWs(s, q, end);
    if (s.charCodeAt(i) !== 60 /* < */) throw new SipParseError('display name must be followed by <URI>');
  } else if (c !== 60) {
    // Either display-name = *(token LWS) followed by "<", or an addr-spec.
    let j = i;
    let spaced = false;
    while (j < end) {
      const d = s.charCodeAt(j);
      if (d === 32 || d === 9) spaced = true;
      else if (d >= 128 || (CLASS[d]! & TOKEN) === 0) break;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 60) {
      if (j > i) {
        dn0 = i;
        dn1 = trimWsEnd(s, i, j);
      }
      i = j;
    } else if (j < end && j > i && !spaced && s.charCodeAt(j) === 58 /* : */) {
      // addr-spec: RFC 3261 §20.10, the URI cannot contain ";", "," or whitespace here, and
      // any ";" that follows starts the header parameters.
      let k = j;
      while (k < end) {
        const d = s.charCodeAt(k);
        if (d === 59 || d === 44 || d === 32 || d === 9) break;
        k++;
      }
      return finish(s, i, k, k, end, undefined, out, check);
    } else {
      const what = j < end ? JSON.stringify(s[j]) : 'end of value';
      throw new SipParseError(`expected a display name and <URI> or a URI, found ${what}`);
    }
  }
  // s[i] === "<": addr-spec RAQUOT; no whitespace allowed inside the brackets
  const gt = s.indexOf('>', i + 1);
  if (gt < 0 || gt >= end) throw new SipParseError('missing > after <URI');
  const first = s.charCodeAt(i + 1);
  const last = s.charCodeAt(gt - 1);
  if (first === 32 || first === 9 || last === 32 || last === 9) throw new SipParseError('whitespace inside <URI>');
  const displayName = out === null || dn0 < 0 ? undefined : quoted ? unquote(s.slice(dn0, dn1)) : s.slice(dn0, dn1);
  return finish(s, i + 1, gt, gt + 1, end, displayName, out, check);
}

function finish(s: string, u0: number, u1: number, p0: number, end: number, displayName: string | undefined, out: Contact[] | null, check?: ParamCheck): number {
  if (out === null) {
    checkUriRange(s, u0, u1);
    return parseHeaderParams(s, p0, end, null, false, check);
  }
  const uri = parseUriRange(s, u0, u1);
  const list: Param[] = [];
  const after = parseHeaderParams(s, p0, end, list, false, check);
  const n = new NameAddr(RAW_INIT);
  n.displayName = displayName;
  n.uri = uri;
  (n as { params: Params }).params = new Params('header', list);
  out.push(n);
  return after;
}

/**
 * Parses a comma-separated list of name-addr/addr-spec values (Contact, Route, Record-Route ...)
 * into `out`, or only checks it when `out` is null. With `allowWildcard`, a lone `*` is accepted
 * (Contact).
 */
export function parseNameAddrList(s: string, allowWildcard: boolean, out: Contact[] | null, check?: ParamCheck): void {
  const end = s.length;
  let i = skipWs(s, 0, end);
  if (allowWildcard && s.charCodeAt(i) === 42 /* * */ && skipWs(s, i + 1, end) === end) {
    out?.push(WILDCARD);
    return;
  }
  for (;;) {
    if (i >= end || s.charCodeAt(i) === 44) throw new SipParseError('empty element in address list');
    i = skipWs(s, parseNameAddrAt(s, i, end, out, check), end);
    if (i >= end) return;
    if (s.charCodeAt(i) !== 44 /* , */) throw new SipParseError(`unexpected ${JSON.stringify(s[i])} after address`);
    i = skipWs(s, i + 1, end);
  }
}

const RAW_INIT: NameAddrInit = { uri: '' };
const WILDCARD = new ContactWildcard();
