// createOffer: our initial offer (RFC 3264 §5): one audio stream over RTP/AVP.

import { AUDIO_CODECS, TELEPHONE_EVENT } from './codecs.js';
import { audioSection, checkOptions, type LocalDescriptionOptions, type LocalFormat, localOrigin, telephoneEventFormat } from './local-description.js';
import type { SessionDescription } from './model.js';

/** Options of {@link createOffer}. */
export interface OfferOptions extends LocalDescriptionOptions {
  /** The dynamic payload type (96–127) for telephone-event. Default 101. */
  telephoneEventPayloadType?: number;
}

/**
 * An initial offer (RFC 3264 §5.1): session-level `c=` for `address` (IP4 or IP6 by its form),
 * `t=0 0`, and one `m=audio <port> RTP/AVP` with the codecs in the given order followed by
 * telephone-event/8000 (RFC 4733, always offered, `a=fmtp:<pt> 0-16`), an `a=rtpmap` for every
 * payload type, `a=ptime` and the direction attribute. The `o=` line gets a random session id
 * unless one is given; its version starts equal to the id unless given.
 *
 * Throws a TypeError or RangeError for bad options (unknown codec, port outside 1–65535,
 * telephone-event payload type outside 96–127 ...).
 *
 * @example
 * ```ts
 * const offer = createOffer({ address: '192.0.2.10', port: 40000, codecs: ['PCMA', 'PCMU'] });
 * invite.body = serializeSdp(offer);
 * // v=0 / o=- 1185920374 1185920374 IN IP4 192.0.2.10 / s=- / c=IN IP4 192.0.2.10 / t=0 0
 * // m=audio 40000 RTP/AVP 8 0 101 / a=rtpmap:8 PCMA/8000 / a=rtpmap:0 PCMU/8000
 * // a=rtpmap:101 telephone-event/8000 / a=fmtp:101 0-16 / a=ptime:20 / a=sendrecv
 * ```
 */
export function createOffer(options: OfferOptions): SessionDescription {
  const o = checkOptions(options);
  const tePt = options.telephoneEventPayloadType ?? TELEPHONE_EVENT.defaultPayloadType;
  if (!Number.isInteger(tePt) || tePt < 96 || tePt > 127) throw new RangeError(`telephoneEventPayloadType must be a dynamic payload type 96-127, not ${tePt}`);
  const formats: LocalFormat[] = o.codecs.map((name) => {
    const c = AUDIO_CODECS[name];
    return { payloadType: c.payloadType, encodingName: c.name, clockRate: c.clockRate };
  });
  formats.push(telephoneEventFormat(tePt));
  return {
    version: 0,
    origin: localOrigin(options, o.connection),
    sessionName: o.sessionName,
    emails: [],
    phones: [],
    connection: o.connection,
    bandwidths: [],
    timing: [{ start: 0, stop: 0, repeats: [] }],
    attributes: [],
    otherLines: [],
    media: [audioSection(o.port, 'RTP/AVP', formats, o.ptime, o.direction)],
  };
}
