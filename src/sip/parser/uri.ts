// URIs in SIP: sip/sips (RFC 3261 §19.1, §25.1), tel (RFC 3966) and any other absoluteURI (RFC 2396).

import { isIPv4, isIPv6 } from 'node:net';
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
  scheme?: 'sip' | 'sips';
  user?: string | undefined;
  password?: string | undefined;
  /** Domain name, IPv4 address, or IPv6 address (with or without the brackets). */
  host: string;
  port?: number | undefined;
  params?: Record<string, string | null>;
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

  /** @internal Builds from already-validated raw (escaped) parts. */
  static fromRaw(
    scheme: 'sip' | 'sips',
    rawUser: string | undefined,
    rawPassword: string | undefined,
    host: string,
    port: number | undefined,
    params: Params,
    headers: Params,
  ): SipUri {
    const u = Object.create(SipUri.prototype) as SipUri;
    u.scheme = scheme;
    u.rawUser = rawUser;
    u.rawPassword = rawPassword;
    u.host = host;
    u.port = port;
    (u as { params: Params }).params = params;
    (u as { headers: Params }).headers = headers;
    return u;
  }
}

/**
 * A `tel:` URI (RFC 3966). `number` is the subscriber number as written (visual separators kept);
 * `global` is true for numbers starting with `+`.
 */
export class TelUri {
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
  const colon = s.indexOf(':', start);
  if (colon < 0 || colon >= end || colon === start) throw new SipParseError(`not a URI: ${JSON.stringify(s.slice(start, end))}`);
  const len = colon - start;
  if (len === 3 || len === 4) {
    const scheme = s.slice(start, colon).toLowerCase();
    if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, scheme, colon + 1, end);
    if (scheme === 'tel') return parseTelUri(s, colon + 1, end);
  }
  return new AbsoluteUri(s.slice(start, colon), s.slice(colon + 1, end));
}

function parseSipUri(s: string, scheme: 'sip' | 'sips', start: number, end: number): SipUri {
  let rawUser: string | undefined;
  let rawPassword: string | undefined;
  let i = start;
  // RFC 3261 §25.1: userinfo = ( user / telephone-subscriber ) [ ":" password ] "@".
  // "@" can appear nowhere else in a SIP URI, so the first one ends the userinfo.
  const at = s.indexOf('@', start);
  if (at >= 0 && at < end) {
    const second = s.indexOf('@', at + 1);
    if (second >= 0 && second < end) throw new SipParseError('unescaped "@" in SIP URI');
    let pwColon = s.indexOf(':', start);
    if (pwColon > at) pwColon = -1;
    const userEnd = pwColon < 0 ? at : pwColon;
    if (!allOf(s, start, userEnd, USER)) throw new SipParseError(`invalid user part ${JSON.stringify(s.slice(start, userEnd))} in SIP URI`);
    rawUser = s.slice(start, userEnd);
    if (pwColon >= 0) {
      if (pwColon + 1 < at && !allOf(s, pwColon + 1, at, PASSWORD)) throw new SipParseError('invalid password in SIP URI');
      rawPassword = s.slice(pwColon + 1, at);
    }
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
  const host = s.slice(hostStart, i);
  if (classifyHost(host) === undefined) throw new SipParseError(`invalid host ${JSON.stringify(host)} in SIP URI`);
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
  let params: Params;
  let headers: Params;
  const q = s.indexOf('?', i);
  const paramsEnd = q >= 0 && q < end ? q : end;
  if (i < paramsEnd) {
    if (s.charCodeAt(i) !== 59 /* ; */) throw new SipParseError(`unexpected ${JSON.stringify(s[i])} after host in SIP URI`);
    params = parseUriParams(s, i, paramsEnd);
  } else {
    params = new Params('uri');
  }
  headers = paramsEnd < end ? parseUriHeaders(s, paramsEnd + 1, end) : new Params('uri-header');
  return SipUri.fromRaw(scheme, rawUser, rawPassword, host, port, params, headers);
}

function parseTelUri(s: string, start: number, end: number): TelUri {
  let semi = s.indexOf(';', start);
  if (semi < 0 || semi > end) semi = end;
  const number = percentDecode(s.slice(start, semi));
  if (!isTelNumber(number)) throw new SipParseError(`invalid telephone number ${JSON.stringify(s.slice(start, semi))} in tel URI`);
  const uri = new TelUri(number);
  if (semi < end) (uri as { params: Params }).params = parseUriParams(s, semi, end);
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
  const n = host.length;
  if (n === 0) return undefined;
  const first = host.charCodeAt(0);
  if (first === 91 /* [ */) {
    return host.charCodeAt(n - 1) === 93 && isIPv6(host.slice(1, -1)) ? 'ipv6' : undefined;
  }
  // RFC 3261 §25.1: toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum, so a host whose last
  // label starts with a digit can only be an IPv4 address.
  let last = host.lastIndexOf('.', host.charCodeAt(n - 1) === 46 ? n - 2 : n - 1);
  const top = host.charCodeAt(last + 1);
  if (top >= 48 && top <= 57) return isIPv4(host) ? 'ipv4' : undefined;
  return isHostname(host) ? 'name' : undefined;
}

function isHostname(h: string): boolean {
  let labelStart = 0;
  const n = h.charCodeAt(h.length - 1) === 46 ? h.length - 1 : h.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? h.charCodeAt(i) : 46;
    if (c === 46) {
      if (i === labelStart) return false;
      if (h.charCodeAt(labelStart) === 45 || h.charCodeAt(i - 1) === 45) return false;
      labelStart = i + 1;
    } else if (c >= 128 || (CLASS[c]! & HOST) === 0 || c === 46) {
      return false;
    }
  }
  return n > 0;
}
