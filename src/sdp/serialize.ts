// serializeSdp: SessionDescription → text, in RFC 4566 §5 line order, CRLF line endings.

import { attributeText, isDirection, RTP_PROTOCOL, TOKEN } from './attributes.js';
import type { MediaDescription, SdpAttribute, SdpBandwidth, SdpConnection, SdpLine, SessionDescription } from './model.js';

/**
 * Writes a session description as SDP text with CRLF line endings (a CRLF ends the last line too).
 *
 * Lines come out in the order RFC 4566 §5 prescribes (`v o s i u e p c b t r z k a`, then each
 * media section as `m i c b k a`); lines of unknown type go just before the section's `a=` lines.
 * Attributes, media sections and repeated lines keep their order, so
 * `serializeSdp(parseSdp(x))` has the meaning of `x`, and is `x` itself when `x` was already in
 * this form.
 *
 * Throws a `TypeError` when a field could not be read back as written: a line break or NUL in
 * any value, whitespace inside a field that is space-separated on the wire, or a number out of
 * range.
 *
 * @example
 * ```ts
 * const body = serializeSdp(createOffer({ address: '192.0.2.10', port: 40000 }));
 * ```
 */
export function serializeSdp(sd: SessionDescription): string {
  const out: string[] = [];
  const add = (type: string, value: string, field: string): void => {
    if (/[\r\n\0]/.test(value)) fail(field, 'contains a line break or NUL');
    // The parser drops trailing whitespace everywhere but in the free text of s= and i=.
    if (type !== 's' && type !== 'i' && /[ \t]$/.test(value)) fail(field, 'must not end with whitespace');
    out.push(`${type}=${value}`);
  };
  const o = sd.origin;
  if (sd.version !== 0) fail('version', 'must be 0');
  add('v', '0', 'version');
  for (const [k, v] of Object.entries(o)) word(String(v), `origin.${k}`);
  if (!/^[0-9]+$/.test(o.sessionId)) fail('origin.sessionId', 'must be digits');
  if (!/^[0-9]+$/.test(o.sessionVersion)) fail('origin.sessionVersion', 'must be digits');
  add('o', `${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`, 'origin');
  add('s', sd.sessionName, 'sessionName');
  if (sd.information !== undefined) add('i', sd.information, 'information');
  if (sd.uri !== undefined) add('u', sd.uri, 'uri');
  for (const e of sd.emails) add('e', e, 'emails');
  for (const p of sd.phones) add('p', p, 'phones');
  if (sd.connection !== undefined) add('c', connectionText(sd.connection, 'connection'), 'connection');
  for (const b of sd.bandwidths) add('b', bandwidthText(b, 'bandwidths'), 'bandwidths');
  if (sd.timing.length === 0) fail('timing', 'needs at least one t= line');
  for (const t of sd.timing) {
    count(t.start, 'timing.start', Number.MAX_SAFE_INTEGER);
    count(t.stop, 'timing.stop', Number.MAX_SAFE_INTEGER);
    add('t', `${t.start} ${t.stop}`, 'timing');
    for (const r of t.repeats) add('r', r, 'timing.repeats');
  }
  if (sd.timeZones !== undefined) add('z', sd.timeZones, 'timeZones');
  if (sd.key !== undefined) add('k', sd.key, 'key');
  for (const l of sd.otherLines) add(lineType(l, 'otherLines'), l.value, 'otherLines');
  for (const a of sd.attributes) add('a', checkedAttribute(a, 'attributes'), 'attributes');
  sd.media.forEach((m, i) => media(m, `media[${i}]`, add));
  return out.join('\r\n') + '\r\n';
}

function media(m: MediaDescription, at: string, add: (type: string, value: string, field: string) => void): void {
  if (!TOKEN.test(m.type)) fail(`${at}.type`, 'must be a token');
  count(m.port, `${at}.port`, 65535);
  if (m.portCount !== undefined) count(m.portCount, `${at}.portCount`, 99999, 1);
  word(m.protocol, `${at}.protocol`);
  if (m.formats.length === 0 && m.port !== 0) fail(`${at}.formats`, 'needs at least one format');
  const rtp = RTP_PROTOCOL.test(m.protocol);
  for (const f of m.formats) {
    if (rtp ? !/^(?:0|[1-9][0-9]?|1[01][0-9]|12[0-7])$/.test(f) : !TOKEN.test(f)) fail(`${at}.formats`, `${JSON.stringify(f)} is not ${rtp ? 'an RTP payload type 0-127' : 'a token'}`);
  }
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  add('m', [m.type, port, m.protocol, ...m.formats].join(' '), at);
  if (m.information !== undefined) add('i', m.information, `${at}.information`);
  for (const c of m.connections) add('c', connectionText(c, `${at}.connections`), `${at}.connections`);
  for (const b of m.bandwidths) add('b', bandwidthText(b, `${at}.bandwidths`), `${at}.bandwidths`);
  if (m.key !== undefined) add('k', m.key, `${at}.key`);
  for (const l of m.otherLines) add(lineType(l, `${at}.otherLines`), l.value, `${at}.otherLines`);
  for (const a of m.attributes) add('a', checkedAttribute(a, `${at}.attributes`), `${at}.attributes`);
}

function connectionText(c: SdpConnection, at: string): string {
  word(c.netType, `${at}.netType`);
  word(c.addrType, `${at}.addrType`);
  word(c.address, `${at}.address`);
  const ip = c.addrType.toUpperCase() === 'IP4' || c.addrType.toUpperCase() === 'IP6';
  // RFC 4566 §5.7: only IP4 and IP6 addresses carry "/ttl" and "/count"; any other address type's
  // address is opaque and kept verbatim, slashes included, as the parser reads it.
  if (ip && c.address.includes('/')) fail(`${at}.address`, 'must not contain "/" (IP4 and IP6 put the TTL and count there)');
  let address = c.address;
  if (c.ttl !== undefined) {
    if (c.addrType.toUpperCase() !== 'IP4') fail(`${at}.ttl`, 'only IP4 addresses have a TTL');
    count(c.ttl, `${at}.ttl`, 255);
    address += `/${c.ttl}`;
  } else if (c.addressCount !== undefined && c.addrType.toUpperCase() === 'IP4') {
    fail(`${at}.addressCount`, 'an IP4 address count needs a TTL');
  }
  if (c.addressCount !== undefined) {
    if (!ip) fail(`${at}.addressCount`, 'only IP4 and IP6 addresses have a count');
    count(c.addressCount, `${at}.addressCount`, 999_999_999, 1);
    address += `/${c.addressCount}`;
  }
  return `${c.netType} ${c.addrType} ${address}`;
}

function bandwidthText(b: SdpBandwidth, at: string): string {
  if (!TOKEN.test(b.type)) fail(`${at}.type`, 'must be a token');
  count(b.value, `${at}.value`, Number.MAX_SAFE_INTEGER);
  return `${b.type}:${b.value}`;
}

function checkedAttribute(a: SdpAttribute, at: string): string {
  switch (a.kind) {
    case 'rtpmap':
      count(a.payloadType, `${at}.payloadType`, 127);
      word(a.encodingName, `${at}.encodingName`);
      if (a.encodingName.includes('/')) fail(`${at}.encodingName`, 'must not contain "/"');
      count(a.clockRate, `${at}.clockRate`, 999_999_999, 1);
      if (a.channels !== undefined) count(a.channels, `${at}.channels`, 999_999_999, 1);
      break;
    case 'fmtp':
      word(a.format, `${at}.format`);
      if (/^[ \t]|[ \t]$/.test(a.parameters)) fail(`${at}.parameters`, 'must not start or end with whitespace');
      break;
    case 'ptime':
      if (!(a.ptime > 0) || !/^[0-9]{1,9}(\.[0-9]{1,3})?$/.test(String(a.ptime))) fail(`${at}.ptime`, 'must be a positive number of milliseconds');
      break;
    case 'direction':
      if (!isDirection(a.direction)) fail(`${at}.direction`, 'must be sendrecv, sendonly, recvonly or inactive');
      break;
    case 'generic':
      if (!TOKEN.test(a.name)) fail(`${at}.name`, `${JSON.stringify(a.name)} is not a token`);
      break;
    default:
      fail(at, 'unknown attribute kind');
  }
  return attributeText(a);
}

function lineType(l: SdpLine, at: string): string {
  if (!/^[a-zA-Z]$/.test(l.type) || 'vosiuepcbtrzkam'.includes(l.type)) fail(`${at}.type`, `${JSON.stringify(l.type)} is not an unknown type letter`);
  return l.type;
}

function word(value: string, field: string): void {
  if (value === '' || /[ \t\r\n\0]/.test(value)) fail(field, 'must be non-empty without spaces or tabs');
}

function count(n: number, field: string, max: number, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min || n > max) fail(field, `must be an integer ${min}-${max}`);
}

function fail(field: string, why: string): never {
  throw new TypeError(`cannot serialize SDP: ${field} ${why}`);
}
