// createAnswer: our answer to an offer (RFC 3264 §6): accept one audio stream, reject the rest.

import { decimal } from './attributes.js';
import { AUDIO_CODECS, type AudioCodec, formatName, isCodec, isTelephoneEvent, payloadFormat, payloadFormats } from './codecs.js';
import { answerDirection, connectionFor, mediaDirection } from './direction.js';
import { SdpNegotiationError } from './errors.js';
import { audioSection, type CheckedOptions, checkOptions, type LocalDescriptionOptions, type LocalFormat, localOrigin, telephoneEventFormat } from './local-description.js';
import type { MediaDescription, SessionDescription } from './model.js';
import { serializeSdp } from './serialize.js';

/** Options of {@link createAnswer}. */
export interface AnswerOptions extends LocalDescriptionOptions {
  /**
   * Our previous description in this session, when answering a re-offer: the answer keeps its
   * `o=` line, with the version incremented only if anything else changed (RFC 3264 §8).
   * `sessionId`, `sessionVersion` and `username` are then ignored, and `sessionName` defaults to
   * the previous one.
   */
  previous?: SessionDescription;
}

/** The only transport profile sipflow's media layer speaks. */
const PROFILE = 'RTP/AVP';

/**
 * The answer to `offer` (RFC 3264 §6).
 *
 * Every offered `m=` line is answered, in order. The first audio stream over RTP/AVP that has a
 * codec in common is accepted: its formats are the common codecs in the *offerer's* order with
 * the offerer's payload type numbers (dynamic ones included; codecs match by encoding name, case
 * aside, clock rate and channels), plus telephone-event/8000 with the offerer's payload type when
 * offered; then rtpmap, fmtp, ptime and the direction (RFC 3264 §6.1: sendonly → recvonly,
 * recvonly → sendonly, inactive → inactive, sendrecv → `direction`, default sendrecv; an offer
 * with `c=` 0.0.0.0, the RFC 2543 hold, is answered inactive). Every other stream — video, more
 * audio, SRTP, streams the offer disabled — is rejected with port 0, keeping its `m=` line.
 * `t=` is copied from the offer; `c=` is ours, at session level.
 *
 * Throws {@link SdpNegotiationError} with `code` 488 when the offer has active streams but no
 * audio stream we can accept, naming what was offered and what we support; a TypeError or
 * RangeError for bad options.
 *
 * @example
 * ```ts
 * const answer = createAnswer(parseSdp(invite.body), { address: '192.0.2.20', port: 50000 });
 * ok.body = serializeSdp(answer);
 * ```
 */
export function createAnswer(offer: SessionDescription, options: AnswerOptions): SessionDescription {
  const previous = options.previous;
  const o = checkOptions(previous === undefined || options.sessionName !== undefined ? options : { ...options, sessionName: previous.sessionName });
  const supported = o.codecs.map((name) => AUDIO_CODECS[name]);
  const refusals: string[] = [];
  let accepted = false;
  const media = offer.media.map((m, index) => {
    if (!accepted && m.type.toLowerCase() === 'audio' && m.port !== 0) {
      const answer = answerAudio(offer, m, index, o, supported);
      if (typeof answer !== 'string') {
        accepted = true;
        return answer;
      }
      refusals.push(answer);
    }
    return rejected(m);
  });
  if (!accepted && offer.media.some((m) => m.port !== 0)) throw noAudio(offer, refusals, supported);

  const answer: SessionDescription = {
    version: 0,
    origin: previous === undefined ? localOrigin(options, o.connection) : { ...previous.origin },
    sessionName: o.sessionName,
    emails: [],
    phones: [],
    connection: o.connection,
    bandwidths: [],
    // RFC 3264 §6: "The "t=" line in the answer MUST equal that of the offer."
    timing: offer.timing.map((t) => ({ start: t.start, stop: t.stop, repeats: [...t.repeats] })),
    attributes: [],
    otherLines: [],
    media,
  };
  // RFC 3264 §8: same o= as before; the version goes up by one if the description changed.
  if (previous !== undefined && serializeSdp(answer) !== serializeSdp(previous)) {
    answer.origin.sessionVersion = (BigInt(previous.origin.sessionVersion) + 1n).toString();
  }
  return answer;
}

/** Our answer to one offered audio stream, or why we cannot accept it. */
function answerAudio(offer: SessionDescription, m: MediaDescription, index: number, o: CheckedOptions, supported: readonly AudioCodec[]): MediaDescription | string {
  const where = `audio stream ${index + 1}`;
  if (m.protocol.toUpperCase() !== PROFILE) return `${where} uses ${m.protocol}, not ${PROFILE}`;
  if (connectionFor(offer, m) === undefined) return `${where} has no c= line`;
  const formats: LocalFormat[] = [];
  let telephoneEvent: LocalFormat | undefined;
  for (const f of payloadFormats(m)) {
    if (isTelephoneEvent(f)) {
      telephoneEvent ??= telephoneEventFormat(f.payloadType);
      continue;
    }
    const codec = supported.find((c) => isCodec(f, c));
    if (codec !== undefined && !formats.some((x) => x.encodingName === codec.name)) {
      formats.push({ payloadType: f.payloadType, encodingName: codec.name, clockRate: codec.clockRate });
    }
  }
  if (formats.length === 0) return `${where} has no codec in common`;
  if (telephoneEvent !== undefined) formats.push(telephoneEvent);
  // RFC 3264 §6.1: the answer's direction follows from the offer's.
  const direction = answerDirection(mediaDirection(offer, m), o.direction);
  return audioSection(o.port, m.protocol, formats, o.ptime, direction);
}

/** RFC 3264 §6: a rejected stream keeps its m= line with port 0 (and at least its formats). */
function rejected(m: MediaDescription): MediaDescription {
  return { type: m.type, port: 0, protocol: m.protocol, formats: [...m.formats], connections: [], bandwidths: [], attributes: [], otherLines: [] };
}

function noAudio(offer: SessionDescription, refusals: readonly string[], supported: readonly AudioCodec[]): SdpNegotiationError {
  const ours = supported.map((c) => formatName({ encodingName: c.name, clockRate: c.clockRate }));
  const offered: string[] = [];
  for (const m of offer.media) {
    if (m.type.toLowerCase() !== 'audio' || m.port === 0) continue;
    for (const fmt of m.formats) {
      const pt = decimal(fmt, 3);
      const f = pt === undefined ? undefined : payloadFormat(m, pt);
      offered.push(f === undefined ? `${fmt} (${pt === undefined ? 'not a payload type' : 'no rtpmap'})` : `${formatName(f)} (PT ${f.payloadType})`);
    }
  }
  const active = offer.media.filter((m) => m.port !== 0).map((m) => `${m.type} over ${m.protocol}`);
  const reason =
    refusals.length === 0
      ? `no audio stream offered (offered: ${active.join(', ')}); we accept audio over ${PROFILE}`
      : `no acceptable audio stream (${refusals.join('; ')}): offered ${offered.join(', ')}; we support ${ours.join(', ')} over ${PROFILE}`;
  return new SdpNegotiationError(reason, { code: 488, offered, supported: ours });
}
