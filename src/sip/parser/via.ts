// Via header values, RFC 3261 §20.42 and §25.1; rport from RFC 3581.

import { isIPv6 } from 'node:net';
import { CLASS, parseDecimal, skipWs, TOKEN } from './chars.js';
import { SipParseError } from './errors.js';
import { type Param, Params, parseHeaderParams } from './params.js';
import { classifyHost, isIPv4Address } from './uri.js';

/** The RFC 3261 branch cookie (§8.1.1.7). */
export const BRANCH_COOKIE = 'z9hG4bK';

/** Fields accepted by the {@link Via} constructor. */
export interface ViaInit {
  /** Transport token, e.g. `UDP`, `TCP`, `TLS`. */
  transport: string;
  /** sent-by host: name, IPv4 address, or IPv6 address (brackets optional). */
  host: string;
  /** sent-by port. */
  port?: number | undefined;
  /** Branch parameter; RFC 3261 branches start with `z9hG4bK`. */
  branch?: string | undefined;
  /** Further parameters (`rport`: null to request it, RFC 3581). */
  params?: Record<string, string | null>;
  /** Protocol name; `SIP` by default. */
  protocolName?: string;
  /** Protocol version; `2.0` by default. */
  protocolVersion?: string;
}

/**
 * One Via header value: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`.
 *
 * @example
 * ```ts
 * const via = Via.parse('SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK776asdhds;rport');
 * via.transport; // "UDP"
 * via.rport;     // true (requested, no value yet)
 * ```
 */
export class Via {
  // (`declare`: the constructor creates every field, in this order, with no define-as-undefined pass first)
  /** Protocol name, `SIP` in practice. */
  declare protocolName: string;
  /** Protocol version, `2.0` in practice. */
  declare protocolVersion: string;
  /** Transport as written (compare case-insensitively), e.g. `UDP`. */
  declare transport: string;
  /** sent-by host as written (an IPv6 reference keeps its brackets). */
  declare host: string;
  /** sent-by port, when given. */
  declare port: number | undefined;
  /** All parameters, in order (branch, received, rport, maddr, ttl, extensions). */
  declare readonly params: Params;

  constructor(init: ViaInit) {
    this.protocolName = init.protocolName ?? 'SIP';
    this.protocolVersion = init.protocolVersion ?? '2.0';
    this.transport = init.transport;
    if (init === RAW_INIT) {
      // parser path: the parser fills in already-validated parts
      this.host = '';
      this.port = undefined;
      this.params = EMPTY_PARAMS;
      return;
    }
    let host = init.host;
    if (isIPv6(host)) host = `[${host}]`;
    if (classifyHost(host) === undefined) throw new SipParseError(`invalid Via host ${JSON.stringify(init.host)}`);
    this.host = host;
    this.port = init.port;
    this.params = new Params('header');
    if (init.branch !== undefined) this.params.set('branch', init.branch);
    for (const [k, v] of Object.entries(init.params ?? {})) this.params.set(k, v);
  }

  /** Parses a single Via value. Throws {@link SipParseError}. */
  static parse(text: string): Via {
    const out: Via[] = [];
    parseViaList(text, out);
    if (out.length !== 1) throw new SipParseError('expected exactly one Via value');
    return out[0]!;
  }

  /** The `branch` parameter. */
  get branch(): string | undefined {
    return this.params.get('branch') ?? undefined;
  }

  set branch(v: string | undefined) {
    setOrDelete(this.params, 'branch', v);
  }

  /** The `received` parameter (RFC 3261 §18.2.1). */
  get received(): string | undefined {
    return this.params.get('received') ?? undefined;
  }

  set received(v: string | undefined) {
    setOrDelete(this.params, 'received', v);
  }

  /**
   * The `rport` parameter (RFC 3581): a port number when filled in, `true` when present without
   * a value (the client asks for it), `undefined` when absent.
   */
  get rport(): number | true | undefined {
    const v = this.params.get('rport');
    if (v === undefined) return undefined;
    if (v === null) return true;
    return Number(v);
  }

  set rport(v: number | true | undefined) {
    if (v === undefined) this.params.delete('rport');
    else this.params.set('rport', v === true ? null : String(v));
  }

  /** The `maddr` parameter. */
  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }

  /** The `ttl` parameter. */
  get ttl(): number | undefined {
    const v = this.params.get('ttl');
    return v == null ? undefined : Number(v);
  }

  /** True when the branch starts with the RFC 3261 magic cookie `z9hG4bK`. */
  get rfc3261Branch(): boolean {
    return this.branch?.startsWith(BRANCH_COOKIE) ?? false;
  }

  /** A deep copy. */
  clone(): Via {
    const c = Object.create(Via.prototype) as Via;
    Object.assign(c, this, { params: this.params.clone() });
    return c;
  }

  /** The Via value as text (`SIP/2.0/UDP host:port;branch=…`). */
  toString(): string {
    const port = this.port === undefined ? '' : ':' + this.port;
    return `${this.protocolName}/${this.protocolVersion}/${this.transport} ${this.host}${port}${this.params.toString()}`;
  }
}

function setOrDelete(p: Params, name: string, v: string | undefined): void {
  if (v === undefined) p.delete(name);
  else p.set(name, v);
}

function scanToken(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c]! & TOKEN) === 0) break;
    i++;
  }
  return i;
}

/** Parses `via-parm *(COMMA via-parm)` (RFC 3261 §25.1), appending to `out`. */
export function parseViaList(s: string, out: Via[]): void {
  const end = s.length;
  let i = skipWs(s, 0, end);
  for (;;) {
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport; SLASH = SWS "/" SWS
    let protocolName: string;
    let protocolVersion: string;
    let transport: string;
    if (s.startsWith('SIP/2.0/', i)) {
      // the form nearly every Via has: no slicing for the constant parts
      protocolName = 'SIP';
      protocolVersion = '2.0';
      i = skipWs(s, i + 8, end); // SLASH = SWS "/" SWS
    } else {
      const p0 = i;
      i = scanToken(s, i, end);
      if (i === p0) throw new SipParseError('Via: missing protocol name');
      protocolName = s.slice(p0, i);
      i = expectSlash(s, i, end);
      const v0 = i;
      i = scanToken(s, i, end);
      if (i === v0) throw new SipParseError('Via: missing protocol version');
      protocolVersion = s.slice(v0, i);
      i = expectSlash(s, i, end);
    }
    const t0 = i;
    i = scanToken(s, i, end);
    if (i === t0) throw new SipParseError('Via: missing transport');
    transport = commonTransport(s, t0, i) ?? s.slice(t0, i);
    // LWS sent-by
    const h0 = skipWs(s, i, end);
    if (h0 === i) throw new SipParseError('Via: missing whitespace before sent-by');
    i = h0;
    if (s.charCodeAt(i) === 91 /* [ */) {
      const close = s.indexOf(']', i);
      if (close < 0) throw new SipParseError('Via: unterminated IPv6 reference');
      i = close + 1;
    } else {
      i = scanToken(s, i, end);
    }
    const host = s.slice(h0, i);
    if (classifyHost(host) === undefined) throw new SipParseError(`Via: invalid sent-by host ${JSON.stringify(host)}`);
    let port: number | undefined;
    let j = skipWs(s, i, end);
    if (s.charCodeAt(j) === 58 /* : */) {
      j = skipWs(s, j + 1, end);
      const d0 = j;
      while (j < end && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
      port = parseDecimal(s, d0, j, 65535);
      if (port < 0) throw new SipParseError('Via: invalid sent-by port');
      i = j;
    }
    const list: Param[] = [];
    i = parseHeaderParams(s, i, end, list, true);
    const params = new Params('header', list);
    checkViaParams(params);
    const via = new Via(RAW_INIT);
    via.protocolName = protocolName;
    via.protocolVersion = protocolVersion;
    via.transport = transport;
    via.host = host;
    via.port = port;
    (via as { params: Params }).params = params;
    out.push(via);
    i = skipWs(s, i, end);
    if (i >= end) return;
    if (s.charCodeAt(i) !== 44 /* , */) throw new SipParseError(`Via: unexpected ${JSON.stringify(s[i])}`);
    i = skipWs(s, i + 1, end);
    if (i >= end || s.charCodeAt(i) === 44) throw new SipParseError('Via: empty element');
  }
}

/** @internal Builds a Via from parts the parser has validated. */
export function viaFromParts(transport: string, host: string, port: number | undefined, params: Params): Via {
  const via = new Via(RAW_INIT);
  via.transport = transport;
  via.host = host;
  via.port = port;
  (via as { params: Params }).params = params;
  return via;
}

/**
 * @internal Our own Via for a request we send, as its text and as the value parsing that text
 * gives: `SIP/2.0/<transport> <host>[:<port>];branch=<branch>;rport` (RFC 3261 §18.1.1, RFC 3581
 * §3), from a sent-by checked once (`host` and `port` as the parse of that check gave them) and a
 * branch of token characters. The stack reads a Via's branch and sent-by for every request it sends
 * and every response that comes back: made together, the value is not parsed from the text again.
 */
export function madeVia(transport: string, host: string, port: number | undefined, branch: string): { text: string; via: Via } {
  const sentBy = port === undefined ? host : `${host}:${port}`;
  const branchRaw = `branch=${branch}`;
  const via = viaFromParts(transport, host, port, new Params('header', [{ name: 'branch', value: branch, raw: branchRaw }, RPORT_PARAM]));
  return { text: `SIP/2.0/${transport} ${sentBy};${branchRaw};rport`, via };
}

/** `rport` without a value (RFC 3581 §3), as our requests' Vias carry it (a Param is never changed in place). */
const RPORT_PARAM: Param = Object.freeze({ name: 'rport', value: null, raw: 'rport' });

const RAW_INIT: ViaInit = { transport: '', host: '' };
const EMPTY_PARAMS = new Params('header');
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'];

/** The constant string for a common transport written exactly so in `s[start, end)`. */
function commonTransport(s: string, start: number, end: number): string | undefined {
  for (const t of TRANSPORTS) if (t.length === end - start && s.startsWith(t, start)) return t;
  return undefined;
}

function expectSlash(s: string, i: number, end: number): number {
  i = skipWs(s, i, end);
  if (s.charCodeAt(i) !== 47 /* / */) throw new SipParseError('Via: expected "/" in sent-protocol');
  return skipWs(s, i + 1, end);
}

// via-params (RFC 3261 §25.1, RFC 3581): typed checks for the parameters the stack relies on.
function checkViaParams(params: Params): void {
  const list = params.entries();
  for (let k = 0; k < list.length; k++) {
    const p = list[k]!;
    const n = p.name;
    switch (n === 'branch' || n === 'received' || n === 'rport' || n === 'ttl' || n === 'maddr' ? n : n.toLowerCase()) {
      case 'branch':
        if (p.value === null || p.raw.endsWith('"')) throw new SipParseError('Via: branch must be a token');
        break;
      case 'received':
        // RFC 5118 §4.5: accept an IPv6 received value with or without brackets.
        if (p.value === null || !(isIPv4Address(p.value) || isIPv6(p.value.replace(/^\[(.*)\]$/, '$1')))) {
          throw new SipParseError('Via: received must be an IP address');
        }
        break;
      case 'rport':
        if (p.value !== null && parseDecimal(p.value, 0, p.value.length, 65535) < 0) throw new SipParseError('Via: invalid rport');
        break;
      case 'ttl':
        if (p.value === null || parseDecimal(p.value, 0, p.value.length, 255) < 0) throw new SipParseError('Via: ttl must be 0-255');
        break;
      case 'maddr':
        if (p.value === null || classifyHost(p.value) === undefined) throw new SipParseError('Via: invalid maddr');
        break;
    }
  }
}
