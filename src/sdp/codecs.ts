// The codec table: what sipflow's media layer can send and receive, and the RTP/AVP static
// payload types (RFC 3551 §6) so offers without a=rtpmap for them are understood.

import { decimal, fmtpFor, rtpmapFor } from './attributes.js';
import type { MediaDescription } from './model.js';

/** An audio codec sipflow can carry. */
export type AudioCodecName = 'PCMU' | 'PCMA';

/** An RTP payload format: what a payload type number stands for. */
export interface PayloadFormat {
  /** 0–127. */
  payloadType: number;
  /** As written in the SDP (or the RFC 3551 name for a static type without rtpmap). */
  encodingName: string;
  /** Hz. */
  clockRate: number;
  /** Audio channels; 1 when the SDP does not say. */
  channels: number;
  /** The `a=fmtp` parameters for this payload type, if any. */
  parameters?: string;
}

/** One entry of {@link AUDIO_CODECS}. */
export interface AudioCodec {
  name: AudioCodecName;
  /** The static RTP/AVP payload type (RFC 3551 table 4). */
  payloadType: number;
  clockRate: number;
  channels: number;
}

/**
 * The audio codecs sipflow supports, with their static payload types: G.711 µ-law (PCMU, PT 0)
 * and A-law (PCMA, PT 8), both 8000 Hz mono.
 */
export const AUDIO_CODECS: Readonly<Record<AudioCodecName, Readonly<AudioCodec>>> = {
  PCMU: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
  PCMA: { name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 },
};

/** The default codec preference for offers and answers. */
export const DEFAULT_CODECS: readonly AudioCodecName[] = ['PCMU', 'PCMA'];

/**
 * RFC 4733 telephone events (DTMF): a dynamic payload type, 101 by default, 8000 Hz, events 0–16
 * (digits 0–9, `*`, `#`, A–D and flash).
 */
export const TELEPHONE_EVENT = {
  encodingName: 'telephone-event',
  clockRate: 8000,
  defaultPayloadType: 101,
  events: '0-16',
} as const;

/** RFC 3551 §6 static payload types (audio table 4 and video table 5), for describing offers. */
export const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, { encodingName: string; clockRate: number; channels: number }> = new Map(
  (
    [
      [0, 'PCMU', 8000], [3, 'GSM', 8000], [4, 'G723', 8000], [5, 'DVI4', 8000], [6, 'DVI4', 16000], [7, 'LPC', 8000],
      [8, 'PCMA', 8000], [9, 'G722', 8000], [10, 'L16', 44100, 2], [11, 'L16', 44100], [12, 'QCELP', 8000], [13, 'CN', 8000],
      [14, 'MPA', 90000], [15, 'G728', 8000], [16, 'DVI4', 11025], [17, 'DVI4', 22050], [18, 'G729', 8000],
      [25, 'CelB', 90000], [26, 'JPEG', 90000], [28, 'nv', 90000], [31, 'H261', 90000], [32, 'MPV', 90000],
      [33, 'MP2T', 90000], [34, 'H263', 90000],
    ] as [number, string, number, number?][]
  ).map(([pt, encodingName, clockRate, channels]) => [pt, { encodingName, clockRate, channels: channels ?? 1 }]),
);

/**
 * What a payload type of an RTP media section stands for: its `a=rtpmap` if there is one, else the
 * static assignment of RFC 3551; undefined for a dynamic type without rtpmap.
 */
export function payloadFormat(media: MediaDescription, payloadType: number): PayloadFormat | undefined {
  const rtpmap = rtpmapFor(media.attributes, payloadType);
  const known = rtpmap ?? STATIC_PAYLOAD_TYPES.get(payloadType);
  if (known === undefined) return undefined;
  const f: PayloadFormat = { payloadType, encodingName: known.encodingName, clockRate: known.clockRate, channels: known.channels ?? 1 };
  const fmtp = fmtpFor(media.attributes, String(payloadType));
  if (fmtp !== undefined) f.parameters = fmtp.parameters;
  return f;
}

/**
 * The payload formats of an RTP media section, in `m=` order; formats whose meaning is unknown
 * (dynamic without rtpmap, or not a number) are left out.
 *
 * @example
 * ```ts
 * payloadFormats(sd.media[0]!).map((f) => `${f.encodingName}/${f.clockRate}`); // ['PCMU/8000', 'telephone-event/8000']
 * ```
 */
export function payloadFormats(media: MediaDescription): PayloadFormat[] {
  const out: PayloadFormat[] = [];
  for (const fmt of media.formats) {
    const pt = decimal(fmt, 3);
    const f = pt === undefined ? undefined : payloadFormat(media, pt);
    if (f !== undefined) out.push(f);
  }
  return out;
}

/** True when `f` is `codec` (encoding name case-insensitive, same clock rate and channels). */
export function isCodec(f: PayloadFormat, codec: { name?: string; encodingName?: string; clockRate: number; channels?: number }): boolean {
  const name = codec.encodingName ?? codec.name ?? '';
  return f.encodingName.toLowerCase() === name.toLowerCase() && f.clockRate === codec.clockRate && f.channels === (codec.channels ?? 1);
}

/** True when `f` is telephone-event at 8000 Hz. */
export function isTelephoneEvent(f: PayloadFormat): boolean {
  return isCodec(f, TELEPHONE_EVENT);
}

/** `PCMU/8000`, `L16/44100/2`: a payload format as rtpmap writes it. */
export function formatName(f: { encodingName: string; clockRate: number; channels?: number }): string {
  return `${f.encodingName}/${f.clockRate}${f.channels !== undefined && f.channels !== 1 ? `/${f.channels}` : ''}`;
}

/** The {@link AudioCodecName} of `name` (any case), or undefined when sipflow does not support it. */
export function audioCodecName(name: string): AudioCodecName | undefined {
  const upper = name.toUpperCase();
  return upper === 'PCMU' || upper === 'PCMA' ? upper : undefined;
}
