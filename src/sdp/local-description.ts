// Building blocks shared by createOffer and createAnswer: our o= and c= lines and our audio
// media section, and the checks on the options that feed them.

import { isDirection } from './attributes.js';
import { AUDIO_CODECS, audioCodecName, type AudioCodecName, TELEPHONE_EVENT } from './codecs.js';
import type { MediaDescription, MediaDirection, SdpAttribute, SdpConnection, SdpOrigin } from './model.js';
import { newSessionId, sessionNumber } from './session-version.js';

/** Options both {@link createOffer} and {@link createAnswer} take. */
export interface LocalDescriptionOptions {
  /** Our media address: an IPv4 or IPv6 literal (brackets allowed) or a host name. */
  address: string;
  /** Our RTP port, 1–65535. */
  port: number;
  /** The codecs we support, in order of preference. Default `['PCMU', 'PCMA']`. */
  codecs?: readonly AudioCodecName[];
  /** The direction we want. Default `'sendrecv'`. */
  direction?: MediaDirection;
  /** The packet time we want to receive, in ms (`a=ptime`). Default 20. */
  ptime?: number;
  /** The `o=` session id. Default: a new random one. */
  sessionId?: string | bigint;
  /** The `o=` session version. Default: the session id. */
  sessionVersion?: string | bigint;
  /** The `o=` username. Default `-`. */
  username?: string;
  /** The `s=` text. Default `-`. */
  sessionName?: string;
}

/** `c=IN IP6 <address>` when the address has a colon, else `c=IN IP4 <address>`. */
export function localConnection(address: string): SdpConnection {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (bare === '' || /[\s\0/]/.test(bare)) throw new TypeError(`address must be an IP address or host name, not ${JSON.stringify(address)}`);
  return { netType: 'IN', addrType: bare.includes(':') ? 'IP6' : 'IP4', address: bare };
}

/** Our `o=` line from the options. */
export function localOrigin(options: LocalDescriptionOptions, c: SdpConnection): SdpOrigin {
  const username = options.username ?? '-';
  if (username === '' || /[\s\0]/.test(username)) throw new TypeError(`username must be non-empty without whitespace, not ${JSON.stringify(username)}`);
  const sessionId = options.sessionId === undefined ? newSessionId() : sessionNumber(options.sessionId, 'sessionId');
  const sessionVersion = options.sessionVersion === undefined ? sessionId : sessionNumber(options.sessionVersion, 'sessionVersion');
  return { username, sessionId, sessionVersion, netType: c.netType, addrType: c.addrType, address: c.address };
}

/** The checked common options, with defaults applied. */
export interface CheckedOptions {
  connection: SdpConnection;
  port: number;
  codecs: AudioCodecName[];
  direction: MediaDirection;
  ptime: number;
  sessionName: string;
}

/** Checks the common options (TypeError or RangeError for bad ones) and applies the defaults. */
export function checkOptions(options: LocalDescriptionOptions): CheckedOptions {
  const connection = localConnection(options.address);
  const { port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`port must be an integer 1-65535, not ${port}`);
  const codecs = (options.codecs ?? ['PCMU', 'PCMA']).map((name) => {
    const codec = audioCodecName(String(name));
    if (codec === undefined) throw new TypeError(`unsupported codec ${JSON.stringify(name)} (supported: ${Object.keys(AUDIO_CODECS).join(', ')})`);
    return codec;
  });
  if (codecs.length === 0) throw new TypeError('codecs must name at least one codec');
  if (new Set(codecs).size !== codecs.length) throw new TypeError(`codecs lists a codec twice: ${codecs.join(', ')}`);
  const direction = options.direction ?? 'sendrecv';
  if (!isDirection(direction)) throw new TypeError(`direction must be sendrecv, sendonly, recvonly or inactive, not ${JSON.stringify(direction)}`);
  const ptime = options.ptime ?? 20;
  if (!Number.isInteger(ptime) || ptime < 1 || ptime > 1000) throw new RangeError(`ptime must be an integer 1-1000 ms, not ${ptime}`);
  const sessionName = options.sessionName ?? '-';
  if (/[\r\n\0]/.test(sessionName)) throw new TypeError('sessionName must not contain a line break or NUL');
  return { connection, port, codecs, direction, ptime, sessionName };
}

/** One format of our audio section: a payload type and what it stands for. */
export interface LocalFormat {
  payloadType: number;
  encodingName: string;
  clockRate: number;
  /** fmtp parameters to send, if any. */
  parameters?: string;
}

/** The telephone-event format at `payloadType` with the events we handle (RFC 4733, 0-16). */
export function telephoneEventFormat(payloadType: number): LocalFormat {
  return { payloadType, encodingName: TELEPHONE_EVENT.encodingName, clockRate: TELEPHONE_EVENT.clockRate, parameters: TELEPHONE_EVENT.events };
}

/**
 * Our audio media section: `m=audio <port> <protocol> <pts>`, then an rtpmap for every format
 * (static ones too, as most user agents do), fmtp lines, ptime and the direction.
 */
export function audioSection(port: number, protocol: string, formats: readonly LocalFormat[], ptime: number, direction: MediaDirection): MediaDescription {
  const attributes: SdpAttribute[] = formats.map((f) => ({ kind: 'rtpmap', payloadType: f.payloadType, encodingName: f.encodingName, clockRate: f.clockRate }));
  for (const f of formats) {
    if (f.parameters !== undefined) attributes.push({ kind: 'fmtp', format: String(f.payloadType), parameters: f.parameters });
  }
  attributes.push({ kind: 'ptime', ptime }, { kind: 'direction', direction });
  return {
    type: 'audio',
    port,
    protocol,
    formats: formats.map((f) => String(f.payloadType)),
    connections: [],
    bandwidths: [],
    attributes,
    otherLines: [],
  };
}
