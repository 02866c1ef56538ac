// parseSdp: text or bytes → SessionDescription (RFC 4566 §5).

import { decimal, parseAttribute, RTP_PROTOCOL, TOKEN } from './attributes.js';
import { SdpParseError } from './errors.js';
import type { MediaDescription, SdpBandwidth, SdpConnection, SdpOrigin, SdpTiming, SessionDescription } from './model.js';

/** One non-blank line: its type letter, its value and its 1-based line number. */
interface Line {
  type: string;
  value: string;
  number: number;
}

const utf8 = new TextDecoder('utf-8');
const WS = /[ \t]+/;
const DIGITS = /^[0-9]+$/;
/** Lines allowed only in the session section, and only there (RFC 4566 §5 ordering). */
const SESSION_ONLY = new Set(['v', 'o', 's', 'u', 'e', 'p', 't', 'r', 'z']);

/**
 * Parses a session description (RFC 4566).
 *
 * Strict about structure: `v=0`, `o=` and `s=` must be the first three lines, at least one `t=`
 * must come before the first `m=`, and session-only lines may not appear in a media section.
 * Tolerant of what real user agents send: LF-only line endings, trailing whitespace, blank lines,
 * the optional session lines in any order, unknown line types and attributes (kept verbatim and
 * in order), and a rejected `m=` line (port 0) without formats. Bytes are decoded as UTF-8, with
 * invalid sequences replaced rather than rejected.
 *
 * For any malformed input it throws {@link SdpParseError} and nothing else.
 *
 * @example
 * ```ts
 * const sd = parseSdp(invite.body);
 * const audio = sd.media.find((m) => m.type === 'audio');
 * report(audio?.port, audio?.formats);
 * ```
 */
export function parseSdp(text: string | Uint8Array): SessionDescription {
  try {
    return parseLines(splitLines(toText(text)));
  } catch (err) {
    if (err instanceof SdpParseError) throw err;
    // Defence in depth: the contract is that nothing but SdpParseError escapes.
    throw new SdpParseError(`unparseable session description (${err instanceof Error ? err.message : String(err)})`, 1);
  }
}

function toText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input.startsWith('\uFEFF') ? input.slice(1) : input;
  if (input instanceof Uint8Array) return utf8.decode(input);
  throw new SdpParseError('input must be a string or a Uint8Array', 1);
}

/** Splits on LF (dropping one CR before it), skipping blank lines and checking each line's shape. */
function splitLines(text: string): { lines: Line[]; end: number } {
  const raw = text.split('\n');
  const lines: Line[] = [];
  let end = 1;
  for (let i = 0; i < raw.length; i++) {
    let s = raw[i] ?? '';
    if (s.endsWith('\r')) s = s.slice(0, -1);
    if (/^[ \t]*$/.test(s)) continue;
    const number = i + 1;
    end = number + 1;
    if (/[\0\r]/.test(s)) throw new SdpParseError(s.includes('\0') ? 'NUL character in line' : 'bare CR in line', number);
    if (!/^[a-zA-Z]=/.test(s)) throw new SdpParseError(`malformed line ${JSON.stringify(s.slice(0, 40))}: expected <type>=<value>`, number);
    const type = s[0] ?? '';
    // s= and i= are free text, kept exactly (RFC 4566 even recommends "s= "); elsewhere trailing
    // whitespace is noise.
    const value = type === 's' || type === 'i' ? s.slice(2) : trimEnd(s.slice(2));
    lines.push({ type, value, number });
  }
  return { lines, end };
}

/** `s` without trailing SP and HTAB (a loop: the regex form is quadratic on long runs of spaces). */
function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  return s.slice(0, end);
}

function parseLines({ lines, end }: { lines: Line[]; end: number }): SessionDescription {
  const at = (i: number): number => lines[i]?.number ?? end;
  const need = (i: number, type: string, after: string): Line => {
    const line = lines[i];
    if (line?.type !== type) throw new SdpParseError(`missing ${type}= line${after}`, at(i));
    return line;
  };

  if (lines.length === 0) throw new SdpParseError('empty session description', 1);
  const v = need(0, 'v', ' (must be the first line)');
  if (v.value !== '0') throw new SdpParseError(`unsupported SDP version ${JSON.stringify(v.value)}`, v.number);
  const origin = parseOrigin(need(1, 'o', ' after v='));
  const sessionName = need(2, 's', ' after o=').value;

  const sd: SessionDescription = {
    version: 0,
    origin,
    sessionName,
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [],
    attributes: [],
    otherLines: [],
    media: [],
  };
  const once = (present: unknown, line: Line): void => {
    if (present !== undefined) throw new SdpParseError(`more than one ${line.type}= line`, line.number);
  };

  // Session section (RFC 4566 §5): the optional lines are accepted in any order.
  let i = 3;
  for (; i < lines.length; i++) {
    const line = lines[i] as Line;
    const { type, value } = line;
    if (type === 'm') break;
    switch (type) {
      case 'v':
      case 'o':
      case 's':
        throw new SdpParseError(`${type}= line out of place (only one, at the start)`, line.number);
      case 'i':
        once(sd.information, line);
        sd.information = value;
        break;
      case 'u':
        once(sd.uri, line);
        sd.uri = value;
        break;
      case 'e':
        sd.emails.push(value);
        break;
      case 'p':
        sd.phones.push(value);
        break;
      case 'c':
        once(sd.connection, line);
        sd.connection = parseConnection(line);
        break;
      case 'b':
        sd.bandwidths.push(parseBandwidth(line));
        break;
      case 't':
        sd.timing.push(parseTiming(line));
        break;
      case 'r': {
        const last = sd.timing[sd.timing.length - 1];
        if (last === undefined) throw new SdpParseError('r= line before any t= line', line.number);
        last.repeats.push(value);
        break;
      }
      case 'z':
        once(sd.timeZones, line);
        sd.timeZones = value;
        break;
      case 'k':
        once(sd.key, line);
        sd.key = value;
        break;
      case 'a':
        sd.attributes.push(parseAttribute(value, line.number));
        break;
      default:
        sd.otherLines.push({ type, value });
    }
  }
  if (sd.timing.length === 0) throw new SdpParseError('missing t= line (at least one is required before the first m=)', at(i));

  // Media sections (RFC 4566 §5.14).
  let media: MediaDescription | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i] as Line;
    const { type, value } = line;
    if (type === 'm') {
      media = parseMediaLine(line);
      sd.media.push(media);
      continue;
    }
    if (media === undefined) continue; // unreachable: the loop above stopped at an m= line
    if (SESSION_ONLY.has(type)) throw new SdpParseError(`${type}= line not allowed in a media description`, line.number);
    switch (type) {
      case 'i':
        once(media.information, line);
        media.information = value;
        break;
      case 'c':
        media.connections.push(parseConnection(line));
        break;
      case 'b':
        media.bandwidths.push(parseBandwidth(line));
        break;
      case 'k':
        once(media.key, line);
        media.key = value;
        break;
      case 'a':
        media.attributes.push(parseAttribute(value, line.number));
        break;
      default:
        media.otherLines.push({ type, value });
    }
  }
  return sd;
}

/** `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` */
function parseOrigin(line: Line): SdpOrigin {
  const f = line.value.split(WS);
  if (f.length !== 6 || f.some((x) => x === '')) {
    throw new SdpParseError('malformed o= line: expected "<username> <sess-id> <sess-version> <nettype> <addrtype> <address>"', line.number);
  }
  const [username, sessionId, sessionVersion, netType, addrType, address] = f as [string, string, string, string, string, string];
  if (!DIGITS.test(sessionId)) throw new SdpParseError(`malformed o= line: session id ${JSON.stringify(sessionId)} is not a number`, line.number);
  if (!DIGITS.test(sessionVersion)) throw new SdpParseError(`malformed o= line: session version ${JSON.stringify(sessionVersion)} is not a number`, line.number);
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

/** `c=<nettype> <addrtype> <connection-address>` with the multicast `/ttl` and `/count` suffixes. */
function parseConnection(line: Line): SdpConnection {
  const bad = (why: string): SdpParseError => new SdpParseError(`malformed c= line: ${why}`, line.number);
  const f = line.value.split(WS);
  if (f.length !== 3 || f.some((x) => x === '')) throw bad('expected "<nettype> <addrtype> <address>"');
  const [netType, addrType, full] = f as [string, string, string];
  const kind = addrType.toUpperCase();
  const parts = kind === 'IP4' || kind === 'IP6' ? full.split('/') : [full];
  const address = parts[0] ?? '';
  if (address === '') throw bad('empty address');
  const c: SdpConnection = { netType, addrType, address };
  const suffix = parts.slice(1).map((p) => decimal(p, 9));
  if (suffix.some((n) => n === undefined) || parts.length > (kind === 'IP4' ? 3 : 2)) throw bad(`bad multicast suffix in ${JSON.stringify(full)}`);
  if (kind === 'IP4' && suffix[0] !== undefined) {
    if (suffix[0] > 255) throw bad(`TTL ${suffix[0]} is over 255`);
    c.ttl = suffix[0];
    if (suffix[1] !== undefined) c.addressCount = suffix[1];
  } else if (suffix[0] !== undefined) {
    c.addressCount = suffix[0];
  }
  if (c.addressCount === 0) throw bad('address count 0');
  return c;
}

/** `b=<bwtype>:<bandwidth>` */
function parseBandwidth(line: Line): SdpBandwidth {
  const colon = line.value.indexOf(':');
  const type = line.value.slice(0, colon);
  const value = decimal(line.value.slice(colon + 1), 15);
  if (colon < 0 || !TOKEN.test(type) || value === undefined) throw new SdpParseError('malformed b= line: expected "<type>:<bandwidth>"', line.number);
  return { type, value };
}

/** `t=<start-time> <stop-time>` */
function parseTiming(line: Line): SdpTiming {
  const f = line.value.split(WS);
  const start = decimal(f[0] ?? '', 15);
  const stop = decimal(f[1] ?? '', 15);
  if (f.length !== 2 || start === undefined || stop === undefined) throw new SdpParseError('malformed t= line: expected "<start-time> <stop-time>"', line.number);
  return { start, stop, repeats: [] };
}

/** `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` */
function parseMediaLine(line: Line): MediaDescription {
  const bad = (why: string): SdpParseError => new SdpParseError(`malformed m= line: ${why}`, line.number);
  const f = line.value.split(WS);
  const [type = '', portText = '', protocol = '', ...formats] = f;
  if (f.some((x) => x === '') || protocol === '') throw bad('expected "<media> <port> <proto> <fmt> ..."');
  if (!TOKEN.test(type)) throw bad(`media type ${JSON.stringify(type)} is not a token`);
  const [p, count, ...extra] = portText.split('/');
  const port = decimal(p ?? '', 5);
  if (port === undefined || port > 65535 || extra.length > 0) throw bad(`port ${JSON.stringify(portText)} is not 0-65535`);
  if (!/^[!#-'*+\-./0-9A-Z^-~]+$/.test(protocol)) throw bad(`protocol ${JSON.stringify(protocol)} is malformed`);
  // RFC 4566 requires at least one format; a rejected stream (port 0) without any is tolerated.
  if (formats.length === 0 && port !== 0) throw bad('no media formats');
  if (RTP_PROTOCOL.test(protocol)) {
    for (const fmt of formats) {
      const pt = decimal(fmt, 3);
      if (pt === undefined || pt > 127) throw bad(`RTP payload type ${JSON.stringify(fmt)} is not 0-127`);
    }
  } else {
    for (const fmt of formats) if (!TOKEN.test(fmt)) throw bad(`format ${JSON.stringify(fmt)} is not a token`);
  }
  const media: MediaDescription = {
    type,
    port,
    protocol,
    // Payload type numbers in canonical form ("08" → "8"), so they compare as strings.
    formats: RTP_PROTOCOL.test(protocol) ? formats.map((fmt) => String(Number(fmt))) : formats,
    connections: [],
    bandwidths: [],
    attributes: [],
    otherLines: [],
  };
  if (count !== undefined) {
    const n = decimal(count, 5);
    if (n === undefined || n === 0) throw bad(`number of ports ${JSON.stringify(count)} is not a positive number`);
    media.portCount = n;
  }
  return media;
}
