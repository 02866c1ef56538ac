// URIs in SIP: sip/sips (RFC 3261 §19.1, §25.1), tel (RFC 3966) and any other absoluteURI (RFC 2396).

import { isIPv6 } from 'node:net';
import { allOf, CLASS, HOST, PARAM, PASSWORD, URIC, USER } from './chars.js';
import { percentDecode, percentEncode } from './escape.js';
import { SipParseError } from './errors.js';
import { Params, parseUriHeaders, parseUriParams } from './params.js';

/** Any URI a SIP message can carry. Narrow on `scheme` (or `instanceof`). */
export type Uri = SipUri | TelUri | AbsoluteUri;

/** What a host is written as: a domain name, an IPv4 address, or an IPv6 reference `[...]`. */
export type HostType = 'name' | 'ipv4' | 'ipv6';

/** Fields accepted by the {@link SipUri} constructor. User, password, parameters and headers are given unescaped. */
export interface SipUriInit {
  /** `sip` (default) or `sips`. */
  scheme?: 'sip' | 'sips';
  /** User part, unescaped. */
  user?: string | undefined;
  /** Password, unescaped (deprecated by RFC 3261, still parsed). */
  password?: string | undefined;
  /** Domain name, IPv4 address, or IPv6 address (with or without the brackets). */
  host: string;
  /** Port number. */
  port?: number | undefined;
  /** URI parameters; `null` for a parameter without value (`lr`). */
  params?: Record<string, string | null>;
  /** URI headers (`?name=value`). */
  headers?: Record<string, string>;
}

/**
 * A `sip:` or `sips:` URI. `user`, `password`, parameter and header values are %-decoded on
 * access; `toString()` writes them with the escapes they arrived with.
 *
 * @example
 * ```ts
 * const uri = parseUri('sip:alice%40home@example.com:5070;transport=udp') as SipUri;
 * uri.user;                      // "alice@home"
 * uri.params.get('transport');   // "udp"
 * String(uri);                   // "sip:alice%40home@example.com:5070;transport=udp"
 * ```
 */
export class SipUri {
  /** `"sip"` or `"sips"` (lower case whatever the input). */
  scheme: 'sip' | 'sips';
  /** Host as written: a name, IPv4 address, or IPv6 reference including its brackets. */
  host: string;
  /** Port, when the URI names one. */
  port: number | undefined;
  /** URI parameters (`;transport=tcp;lr`). */
  readonly params: Params;
  /** URI headers (`?Subject=hi&Replaces=...`). */
  readonly headers: Params;
  private rawUser: string | undefined;
  private rawPassword: string | undefined;

  constructor(init: SipUriInit) {
    this.scheme = init.scheme ?? 'sip';
    if (init === RAW_INIT) {
      // parser path: the parser fills in already-validated parts
      this.host = '';
      this.port = undefined;
      this.params = EMPTY_PARAMS;
      this.headers = EMPTY_PARAMS;
      return;
    }
    let host = init.host;
    if (isIPv6(host)) host = `[${host}]`;
    if (classifyHost(host) === undefined) throw new SipParseError(`invalid host ${JSON.stringify(init.host)}`);
    this.host = host;
    if (init.port !== undefined && !(Number.isInteger(init.port) && init.port >= 0 && init.port <= 65535)) {
      throw new SipParseError(`invalid port ${init.port}`);
    }
    this.port = init.port;
    this.params = new Params('uri');
    for (const [k, v] of Object.entries(init.params ?? {})) this.params.set(k, v);
    this.headers = new Params('uri-header');
    for (const [k, v] of Object.entries(init.headers ?? {})) this.headers.set(k, v);
    this.user = init.user;
    this.password = init.password;
  }

  /** The user part, %-decoded; `undefined` when the URI has no user. */
  get user(): string | undefined {
    return this.rawUser === undefined ? undefined : percentDecode(this.rawUser);
  }

  set user(v: string | undefined) {
    if (v === '') throw new SipParseError('the user part of a SIP URI cannot be empty');
    this.rawUser = v === undefined ? undefined : percentEncode(v, USER);
  }

  /** The password, %-decoded; `undefined` when absent. */
  get password(): string | undefined {
    return this.rawPassword === undefined ? undefined : percentDecode(this.rawPassword);
  }

  set password(v: string | undefined) {
    this.rawPassword = v === undefined ? undefined : percentEncode(v, PASSWORD);
  }

  /** Whether {@link host} is a domain name, an IPv4 address or an IPv6 reference. */
  get hostType(): HostType {
    return classifyHost(this.host) ?? 'name';
  }

  /** A deep copy. */
  clone(): SipUri {
    const c = Object.create(SipUri.prototype) as SipUri;
    Object.assign(c, this, { params: this.params.clone(), headers: this.headers.clone() });
    return c;
  }

  /** The URI as text, with the escapes it arrived with. */
  toString(): string {
    let s = this.scheme + ':';
    if (this.rawUser !== undefined) {
      s += this.rawUser;
      if (this.rawPassword !== undefined) s += ':' + this.rawPassword;
      s += '@';
    }
    s += this.host;
    if (this.port !== undefined) s += ':' + this.port;
    return s + this.params.toString() + this.headers.toString();
  }

  /** @internal Sets user and password as already-escaped text. */
  setRaw(rawUser: string | undefined, rawPassword: string | undefined): void {
    this.rawUser = rawUser;
    this.rawPassword = rawPassword;
  }
}

const RAW_INIT: SipUriInit = { host: '' };
const EMPTY_PARAMS = new Params('uri');

/**
 * A `tel:` URI (RFC 3966). `number` is the subscriber number as written (visual separators kept);
 * `global` is true for numbers starting with `+`.
 */
export class TelUri {
  /** Always `tel`. */
  readonly scheme = 'tel' as const;
  /** The telephone number, %-decoded, e.g. `+1-201-555-0123` or `7042`. */
  number: string;
  /** URI parameters such as `phone-context` or `ext`. */
  readonly params: Params;

  constructor(number: string, params: Record<string, string | null> = {}) {
    if (!isTelNumber(number)) throw new SipParseError(`invalid telephone number ${JSON.stringify(number)}`);
    this.number = number;
    this.params = new Params('uri');
    for (const [k, v] of Object.entries(params)) this.params.set(k, v);
  }

  /** True for a global number (`+` followed by digits). */
  get global(): boolean {
    return this.number.startsWith('+');
  }

  /** A deep copy. */
  clone(): TelUri {
    const c = new TelUri(this.number);
    (c as { params: Params }).params = this.params.clone();
    return c;
  }

  /** The URI as text, with the escapes it arrived with. */
  toString(): string {
    return 'tel:' + percentEncode(this.number, PARAM) + this.params.toString();
  }
}

/** A URI of a scheme SIP does not interpret (`http:`, `urn:`, `mailto:` ...), kept verbatim. */
export class AbsoluteUri {
  /** The scheme, lower case. */
  readonly scheme: string;
  /** Everything after the first `:`, exactly as written. */
  readonly opaque: string;

  constructor(scheme: string, opaque: string) {
    if (!/^[A-Za-z][A-Za-z0-9+\-.]*$/.test(scheme)) throw new SipParseError(`invalid URI scheme ${JSON.stringify(scheme)}`);
    if (!allOf(opaque, 0, opaque.length, URIC)) throw new SipParseError(`invalid characters in ${scheme}: URI`);
    this.scheme = scheme.toLowerCase();
    this.opaque = opaque;
  }

  /** A copy (the URI is immutable, so this is for symmetry with the other URI classes). */
  clone(): AbsoluteUri {
    return this;
  }

  /** The URI as text, with the escapes it arrived with. */
  toString(): string {
    return this.scheme + ':' + this.opaque;
  }
}

/**
 * Parses a URI. `sip:`/`sips:` and `tel:` are parsed into their parts; any other syntactically
 * valid absolute URI becomes an {@link AbsoluteUri}. Throws {@link SipParseError} otherwise.
 */
export function parseUri(text: string): Uri {
  return parseUriRange(text, 0, text.length);
}

/** Parses the URI in `s[start, end)`. */
export function parseUriRange(s: string, start: number, end: number): Uri {
  return scanUri(s, start, end, true)!;
}

/** Checks the URI in `s[start, end)` exactly as {@link parseUriRange} would, without building it. */
export function checkUriRange(s: string, start: number, end: number): void {
  scanUri(s, start, end, false);
}

function scanUri(s: string, start: number, end: number, build: boolean): Uri | undefined {
  const colon = s.indexOf(':', start);
  if (colon < 0 || colon >= end || colon === start) throw new SipParseError(`not a URI: ${JSON.stringify(s.slice(start, end))}`);
  const len = colon - start;
  if ((len === 3 || len === 4) && lowerAt(s, start) === 115 /* s */ && lowerAt(s, start + 1) === 105 /* i */ && lowerAt(s, start + 2) === 112 /* p */) {
    if (len === 3) return scanSipUri(s, 'sip', colon + 1, end, build);
    if (lowerAt(s, start + 3) === 115) return scanSipUri(s, 'sips', colon + 1, end, build);
  }
  if (len === 3 && lowerAt(s, start) === 116 /* t */ && lowerAt(s, start + 1) === 101 /* e */ && lowerAt(s, start + 2) === 108 /* l */) {
    return parseTelUri(s, colon + 1, end);
  }
  return new AbsoluteUri(s.slice(start, colon), s.slice(colon + 1, end));
}

function lowerAt(s: string, i: number): number {
  return s.charCodeAt(i) | 0x20;
}

function scanSipUri(s: string, scheme: 'sip' | 'sips', start: number, end: number, build: boolean): SipUri | undefined {
  let i = start;
  let userEnd = -1;
  let at = -1;
  // RFC 3261 §25.1: userinfo = ( user / telephone-subscriber ) [ ":" password ] "@".
  // "@" can appear nowhere else in a SIP URI, so the first one ends the userinfo.
  at = s.indexOf('@', start);
  if (at >= end) at = -1;
  if (at >= 0) {
    const second = s.indexOf('@', at + 1);
    if (second >= 0 && second < end) throw new SipParseError('unescaped "@" in SIP URI');
    let pwColon = s.indexOf(':', start);
    if (pwColon > at) pwColon = -1;
    userEnd = pwColon < 0 ? at : pwColon;
    if (!allOf(s, start, userEnd, USER)) throw new SipParseError(`invalid user part ${JSON.stringify(s.slice(start, userEnd))} in SIP URI`);
    if (pwColon >= 0 && pwColon + 1 < at && !allOf(s, pwColon + 1, at, PASSWORD)) throw new SipParseError('invalid password in SIP URI');
    i = at + 1;
  }
  // hostport = host [ ":" port ]
  const hostStart = i;
  if (s.charCodeAt(i) === 91 /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0 || close >= end) throw new SipParseError('unterminated IPv6 reference in SIP URI');
    i = close + 1;
  } else {
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c >= 128 || (CLASS[c]! & HOST) === 0) break;
      i++;
    }
  }
  const hostEnd = i;
  if (classifyHostRange(s, hostStart, hostEnd) === undefined) throw new SipParseError(`invalid host ${JSON.stringify(s.slice(hostStart, hostEnd))} in SIP URI`);
  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 58 /* : */) {
    const portStart = ++i;
    let p = 0;
    while (i < end) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      p = p * 10 + c;
      i++;
    }
    if (i === portStart || p > 65535 || i - portStart > 5) throw new SipParseError('invalid port in SIP URI');
    port = p;
  }
  let q = s.indexOf('?', i);
  if (q < 0 || q >= end) q = end;
  if (i < q && s.charCodeAt(i) !== 59 /* ; */) throw new SipParseError(`unexpected ${JSON.stringify(s[i])} after host in SIP URI`);
  const params = i < q ? parseUriParams(s, i, q, build) : undefined;
  const headers = q < end ? parseUriHeaders(s, q + 1, end, build) : undefined;
  if (!build) return undefined;
  const u = new SipUri(RAW_INIT);
  u.scheme = scheme;
  u.setRaw(at < 0 ? undefined : s.slice(start, userEnd), at < 0 || userEnd === at ? undefined : s.slice(userEnd + 1, at));
  u.host = s.slice(hostStart, hostEnd);
  u.port = port;
  (u as { params: Params }).params = params ?? new Params('uri');
  (u as { headers: Params }).headers = headers ?? new Params('uri-header');
  return u;
}

function parseTelUri(s: string, start: number, end: number): TelUri {
  let semi = s.indexOf(';', start);
  if (semi < 0 || semi > end) semi = end;
  const number = percentDecode(s.slice(start, semi));
  if (!isTelNumber(number)) throw new SipParseError(`invalid telephone number ${JSON.stringify(s.slice(start, semi))} in tel URI`);
  const uri = new TelUri(number);
  if (semi < end) (uri as { params: Params }).params = parseUriParams(s, semi, end)!;
  return uri;
}

// RFC 3966: global-number-digits = "+" *phonedigit DIGIT *phonedigit;
// local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex
function isTelNumber(n: string): boolean {
  return /^\+[0-9\-.()]*[0-9][0-9\-.()]*$/.test(n) || /^[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*$/.test(n);
}

/**
 * Classifies a host as written in a URI or Via (`[v6]`, dotted IPv4, or a domain name);
 * `undefined` when it is none of them.
 */
export function classifyHost(host: string): HostType | undefined {
  return classifyHostRange(host, 0, host.length);
}

/** {@link classifyHost} on `s[start, end)`. */
export function classifyHostRange(s: string, start: number, end: number): HostType | undefined {
  if (end <= start) return undefined;
  const first = s.charCodeAt(start);
  if (first === 91 /* [ */) {
    return s.charCodeAt(end - 1) === 93 && isIPv6(s.slice(start + 1, end - 1)) ? 'ipv6' : undefined;
  }
  // RFC 3261 §25.1: toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum, so a host whose last
  // label starts with a digit can only be an IPv4 address.
  const last = s.lastIndexOf('.', s.charCodeAt(end - 1) === 46 ? end - 2 : end - 1);
  const top = s.charCodeAt(last >= start ? last + 1 : start);
  if (top >= 48 && top <= 57) return isIPv4Range(s, start, end) ? 'ipv4' : undefined;
  return isHostname(s, start, end) ? 'name' : undefined;
}

function isHostname(h: string, start: number, end: number): boolean {
  let labelStart = start;
  const n = h.charCodeAt(end - 1) === 46 ? end - 1 : end;
  for (let i = start; i <= n; i++) {
    const c = i < n ? h.charCodeAt(i) : 46;
    if (c === 46) {
      if (i === labelStart) return false;
      if (h.charCodeAt(labelStart) === 45 || h.charCodeAt(i - 1) === 45) return false;
      labelStart = i + 1;
    } else if (c >= 128 || (CLASS[c]! & HOST) === 0) {
      return false;
    }
  }
  return n > start;
}

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each 0-255 (no leading zeros beyond the value). */
export function isIPv4Address(h: string): boolean {
  return isIPv4Range(h, 0, h.length);
}

function isIPv4Range(h: string, start: number, end: number): boolean {
  let dots = 0;
  let digits = 0;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = h.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return false;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero, as node:net rejects
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return dots === 3 && digits > 0;
}
