// a= lines (RFC 4566 §5.13, §6): reading them into typed values, writing them back, and
// looking them up in a section.

import { SdpParseError } from './errors.js';
import type { FmtpAttribute, MediaDirection, PtimeAttribute, RtpmapAttribute, SdpAttribute } from './model.js';

/** RFC 4566 §9 `token`: the characters an attribute name may use. */
export const TOKEN = /^[!#-'*+\-.0-9A-Z^-~]+$/;

/** A protocol carrying RTP, whose formats are payload type numbers (RFC 4566 §5.14). */
export const RTP_PROTOCOL = /(?:^|\/)RTP(?:\/|$)/i;

const DIGITS = /^[0-9]+$/;
const PTIME = /^[0-9]{1,9}(?:\.[0-9]{1,3})?$/;
const WS = /[ \t]+/;

/** The four direction attributes of RFC 3264 §5.1. */
export const DIRECTIONS: readonly MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** True when `s` is one of the four direction attribute names. */
export function isDirection(s: unknown): s is MediaDirection {
  return s === 'sendrecv' || s === 'sendonly' || s === 'recvonly' || s === 'inactive';
}

/**
 * Reads a decimal number of at most `maxDigits` digits (leading zeros allowed); undefined when
 * `text` is not one.
 */
export function decimal(text: string, maxDigits: number): number | undefined {
  if (!DIGITS.test(text)) return undefined;
  const digits = text.replace(/^0+(?=[0-9])/, '');
  return digits.length > maxDigits ? undefined : Number(digits);
}

/**
 * Parses the value of an `a=` line (everything after `a=`, trailing whitespace removed).
 * `rtpmap`, `fmtp`, `ptime` and the direction flags become typed values and must be well formed;
 * any other attribute is kept verbatim.
 */
export function parseAttribute(text: string, line: number): SdpAttribute {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const value = colon < 0 ? undefined : text.slice(colon + 1);
  if (!TOKEN.test(name)) throw new SdpParseError(`malformed attribute name ${JSON.stringify(name)}`, line);
  switch (name) {
    case 'rtpmap':
      return parseRtpmap(value, line);
    case 'fmtp':
      return parseFmtp(value, line);
    case 'ptime':
      return parsePtime(value, line);
    default:
      if (isDirection(name) && value === undefined) return { kind: 'direction', direction: name };
      return value === undefined ? { kind: 'generic', name } : { kind: 'generic', name, value };
  }
}

function parseRtpmap(value: string | undefined, line: number): RtpmapAttribute {
  const bad = (why: string): SdpParseError => new SdpParseError(`malformed a=rtpmap: ${why}`, line);
  if (value === undefined) throw bad('no value');
  const parts = value.split(WS);
  if (parts.length !== 2) throw bad('expected "<payload type> <encoding name>/<clock rate>"');
  const payloadType = decimal(parts[0] ?? '', 3);
  if (payloadType === undefined || payloadType > 127) throw bad(`payload type ${JSON.stringify(parts[0])} is not 0-127`);
  const encoding = (parts[1] ?? '').split('/');
  const encodingName = encoding[0] ?? '';
  if (encodingName === '' || encoding.length > 3) throw bad('expected "<encoding name>/<clock rate>[/<channels>]"');
  const clockRate = decimal(encoding[1] ?? '', 9);
  if (clockRate === undefined || clockRate === 0) throw bad(`clock rate ${JSON.stringify(encoding[1] ?? '')} is not a positive number`);
  const attr: RtpmapAttribute = { kind: 'rtpmap', payloadType, encodingName, clockRate };
  if (encoding.length === 3) {
    const channels = decimal(encoding[2] ?? '', 9);
    if (channels === undefined || channels === 0) throw bad(`channel count ${JSON.stringify(encoding[2])} is not a positive number`);
    attr.channels = channels;
  }
  return attr;
}

function parseFmtp(value: string | undefined, line: number): FmtpAttribute {
  const format = value === undefined ? '' : (/^[^ \t]*/.exec(value)?.[0] ?? '');
  if (value === undefined || format === '') throw new SdpParseError('malformed a=fmtp: expected "<format> <parameters>"', line);
  let start = format.length;
  while (value[start] === ' ' || value[start] === '\t') start++;
  return { kind: 'fmtp', format, parameters: value.slice(start) };
}

function parsePtime(value: string | undefined, line: number): PtimeAttribute {
  const ptime = value !== undefined && PTIME.test(value) ? Number(value) : 0;
  if (!(ptime > 0)) throw new SdpParseError(`malformed a=ptime: ${JSON.stringify(value ?? '')} is not a positive number of milliseconds`, line);
  return { kind: 'ptime', ptime };
}

/** The text of an `a=` line without the `a=` prefix. */
export function attributeText(attr: SdpAttribute): string {
  switch (attr.kind) {
    case 'rtpmap':
      return `rtpmap:${attr.payloadType} ${attr.encodingName}/${attr.clockRate}${attr.channels === undefined ? '' : `/${attr.channels}`}`;
    case 'fmtp':
      return attr.parameters === '' ? `fmtp:${attr.format}` : `fmtp:${attr.format} ${attr.parameters}`;
    case 'ptime':
      return `ptime:${attr.ptime}`;
    case 'direction':
      return attr.direction;
    case 'generic':
      return attr.value === undefined ? attr.name : `${attr.name}:${attr.value}`;
  }
}

/** The name of an attribute as it appears on the wire (`rtpmap`, `sendonly`, `rtcp` ...). */
export function attributeName(attr: SdpAttribute): string {
  switch (attr.kind) {
    case 'direction':
      return attr.direction;
    case 'generic':
      return attr.name;
    default:
      return attr.kind;
  }
}

/**
 * The first direction attribute among `attributes`, or undefined when there is none.
 *
 * @example
 * ```ts
 * directionAttribute(sd.media[0]!.attributes) ?? directionAttribute(sd.attributes) ?? 'sendrecv';
 * ```
 */
export function directionAttribute(attributes: readonly SdpAttribute[]): MediaDirection | undefined {
  for (const a of attributes) if (a.kind === 'direction') return a.direction;
  return undefined;
}

/** The `a=rtpmap` for `payloadType` among `attributes`, if any. */
export function rtpmapFor(attributes: readonly SdpAttribute[], payloadType: number): RtpmapAttribute | undefined {
  for (const a of attributes) if (a.kind === 'rtpmap' && a.payloadType === payloadType) return a;
  return undefined;
}

/** The `a=fmtp` for `format` among `attributes`, if any. */
export function fmtpFor(attributes: readonly SdpAttribute[], format: string): FmtpAttribute | undefined {
  for (const a of attributes) if (a.kind === 'fmtp' && a.format === format) return a;
  return undefined;
}

/** The `a=ptime` value among `attributes`, if any. */
export function ptimeOf(attributes: readonly SdpAttribute[]): number | undefined {
  for (const a of attributes) if (a.kind === 'ptime') return a.ptime;
  return undefined;
}

/**
 * Splits `key=value;key=value` fmtp parameters into a map (keys lower-cased, values verbatim; a
 * part without `=` maps to `''`). Parameters that are not key=value lists, such as
 * telephone-event's `0-16`, come back as one key.
 *
 * @example
 * ```ts
 * fmtpParameters('profile-level-id=42e01f; packetization-mode=1').get('packetization-mode'); // '1'
 * ```
 */
export function fmtpParameters(parameters: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of parameters.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) map.set(p.toLowerCase(), '');
    else map.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return map;
}
