// What every transport does with a datagram, in one place so UDP and the in-memory network
// behave the same: parse, stamp received/rport on requests, answer malformed requests with a
// stateless 400 when they can be answered, and pick where responses go.

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { SipParseError } from '../parser/errors.js';
import { canonicalHeaderName, headerKey } from '../parser/header-names.js';
import { editTopVia, type SipRequest, type SipResponse } from '../parser/message.js';
import type { NameAddr } from '../parser/name-addr.js';
import { parseMessage } from '../parser/parse.js';
import { parseKnownHeader } from '../parser/typed-headers.js';
import { classifyHost } from '../parser/uri.js';
import type { Via } from '../parser/via.js';
import type { Endpoint, InboundMessage, MalformedDatagram } from './transport.js';

/** The default SIP port for UDP and TCP (RFC 3261 §19.1.2). */
export const DEFAULT_SIP_PORT = 5060;

/** What became of one datagram. */
export type DatagramOutcome =
  | { kind: 'message'; inbound: InboundMessage }
  /** Only CRLFs: a keep-alive (RFC 5626 §4.4.1, and what many UAs send over UDP); ignored. */
  | { kind: 'keepalive' }
  | { kind: 'malformed'; datagram: MalformedDatagram; reply: { data: Uint8Array; destination: Endpoint } | undefined };

/**
 * Parses a datagram. A request gets `received` and `rport` on its top Via (RFC 3261 §18.2.1,
 * RFC 3581 §4). A datagram that does not parse is reported, with a stateless `400` to send back
 * when it is a request whose top Via, Call-ID, CSeq, From and To can still be read.
 */
export function receiveDatagram(data: Uint8Array, source: Endpoint): DatagramOutcome {
  if (isKeepAlive(data)) return { kind: 'keepalive' };
  let message: SipRequest | SipResponse;
  try {
    message = parseMessage(data);
  } catch (err) {
    const error = err instanceof SipParseError ? err : new SipParseError(String(err));
    const reply = badRequestFor(data, error, source);
    return { kind: 'malformed', datagram: { error, source, data, answered: reply !== undefined }, reply };
  }
  if (message.isRequest) editTopVia(message, (top) => stampReceived(top, source));
  return { kind: 'message', inbound: { message, source, bytes: data.byteLength, data } };
}

/**
 * RFC 3261 §18.2.1: add `received` when the sent-by host is a name or an address other than the
 * packet's source. RFC 3581 §4: when `rport` is present without a value, fill in the source port,
 * and add `received` even if the address matches. Returns whether it changed the Via.
 */
export function stampReceived(top: Via, source: Endpoint): boolean {
  const address = withoutZone(source.address);
  const rportRequested = top.rport === true;
  if (rportRequested) top.rport = source.port;
  if (!rportRequested && sameAddress(top.host, address)) return false;
  top.received = address;
  return true;
}

/** A link-local IPv6 source comes as `fe80::1%eth0`; the zone is local and never goes in a message. */
function withoutZone(address: string): string {
  const pct = address.indexOf('%');
  return pct < 0 ? address : address.slice(0, pct);
}

function isKeepAlive(data: Uint8Array): boolean {
  if (data.byteLength === 0) return false;
  for (let i = 0; i < data.byteLength; i++) if (data[i] !== 13 && data[i] !== 10) return false;
  return true;
}

/**
 * Where a response goes over an unreliable unicast transport (RFC 3261 §18.2.2, RFC 3581 §4),
 * from its top Via: `maddr` if present; else the `received` address (with the `rport` port when
 * it has one, else the sent-by port, else 5060); else the sent-by host and port. Returns
 * `undefined` when the Via is missing or names a host that would need DNS (RFC 3263 §5), which
 * this transport does not resolve.
 */
export function responseDestination(response: SipResponse): Endpoint | undefined {
  const top = response.vias[0];
  return top === undefined ? undefined : viaDestination(top);
}

/** {@link responseDestination} for a given top Via (a request's, once received/rport are stamped). */
export function viaDestination(top: Via): Endpoint | undefined {
  const port = top.port ?? DEFAULT_SIP_PORT;
  const maddr = top.maddr;
  if (maddr !== undefined) return literalEndpoint(maddr, port);
  const received = top.received;
  if (received !== undefined) {
    const rport = top.rport;
    return { address: unbracket(received), port: typeof rport === 'number' ? rport : port };
  }
  return literalEndpoint(top.host, port);
}

function literalEndpoint(host: string, port: number): Endpoint | undefined {
  const type = classifyHost(host);
  return type === 'ipv4' || type === 'ipv6' ? { address: unbracket(host), port } : undefined;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function sameAddress(sentBy: string, source: string): boolean {
  const a = unbracket(sentBy);
  if (a === source) return true;
  // IPv6 can be written several ways; compare in one canonical form.
  const canonical = canonicalAddress(a);
  return canonical !== undefined && canonical === canonicalAddress(source);
}

/**
 * An IP literal in one canonical form (IPv6 lower case and zero-compressed, no brackets), or
 * `undefined` when it is not an IP literal (a host name, or an IPv6 address with a zone id).
 */
export function canonicalAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  try {
    // new URL normalises an IPv6 literal; it rejects zone ids
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

// Headers a stateless 400 must copy (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq).
const ECHOED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/**
 * A stateless `400` for a request that failed to parse, when its top Via, Call-ID, CSeq, From and
 * To can still be read, sent where the response would go. The reason phrase names the problem.
 */
function badRequestFor(data: Uint8Array, error: SipParseError, source: Endpoint): { data: Uint8Array; destination: Endpoint } | undefined {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  const headEnd = text.search(/\r?\n\r?\n/);
  const lines = (headEnd >= 0 ? text.slice(0, headEnd) : text).split(/\r?\n/);
  const startLine = lines[0] ?? '';
  // A request is a method token first and a SIP version last, even when the Request-Line between
  // them is malformed (RFC 4475 lwsruri, lwsstart): those still get their 400.
  if (/^SIP\//i.test(startLine) || !/^[A-Za-z0-9.!%*_+`'~-]+[ \t]+\S.*[ \t]+SIP\/\d+\.\d+$/i.test(startLine.trim())) return undefined; // not a request
  if (/^ACK /.test(startLine)) return undefined; // RFC 3261 §17.2.3: an ACK is never answered
  const found = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      const values = found.get(last)!;
      values[values.length - 1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = headerKey(line.slice(0, colon).trim());
    last = (ECHOED as readonly string[]).includes(key) ? key : undefined;
    if (last !== undefined) {
      const values = found.get(last) ?? [];
      values.push(line.slice(colon + 1).trim());
      found.set(last, values);
    }
  }
  const out: string[] = [];
  let firstVias: Via[] | undefined;
  let to: NameAddr | undefined;
  for (const key of ECHOED) {
    const values = found.get(key);
    if (values === undefined) return undefined;
    // Only the values the response needs must be readable: the top Via, and the first of the others.
    try {
      const typed = parseKnownHeader(key, values[0]!);
      if (key === 'via') firstVias = typed as Via[];
      if (key === 'to') to = typed as NameAddr;
    } catch {
      return undefined;
    }
    const name = canonicalHeaderName(key);
    for (const v of key === 'via' ? values : values.slice(0, 1)) out.push(`${name}: ${v}`);
  }
  const topVia = firstVias?.[0];
  if (topVia === undefined || to === undefined) return undefined;
  stampReceived(topVia, source);
  out[0] = `Via: ${firstVias!.map(String).join(', ')}`;
  // RFC 3261 §8.2.6.2 and §8.2.7: a To tag, generated statelessly (the same request gets the same tag).
  if (to.tag === undefined) {
    to.tag = createHash('sha1').update(`${found.get('call-id')![0]}|${found.get('from')![0]}|${found.get('cseq')![0]}`).digest('hex').slice(0, 16);
    out[out.findIndex((l) => l.startsWith('To: '))] = `To: ${String(to)}`;
  }
  // The reply reuses the request's header bytes (read as latin1, written as latin1, so UTF-8 in a
  // display name survives); the reason phrase is kept to printable ASCII.
  const reason = `Bad Request (${error.header !== undefined ? `${error.header}: ` : ''}${error.reason})`.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  const response = `SIP/2.0 400 ${reason}\r\n${out.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
  const bytes = Buffer.from(response, 'latin1');
  let parsed: SipResponse;
  try {
    parsed = parseMessage(bytes) as SipResponse;
  } catch {
    return undefined;
  }
  // Back where the request came from (received, with the rport or sent-by port, §18.2.2): never to
  // a maddr named by a request that did not even parse.
  const rport = topVia.rport;
  const destination = { address: withoutZone(source.address), port: typeof rport === 'number' ? rport : (topVia.port ?? DEFAULT_SIP_PORT) };
  if (parsed.status !== 400) return undefined;
  return { data: bytes, destination };
}
