// createAnswer (RFC 3264 §6): codec selection in the offerer's order, payload types, rejected
// streams, and 488 when nothing can be served.
import { describe, expect, it } from 'vitest';
import { createAnswer, createOffer, parseSdp, SdpNegotiationError, serializeSdp, type AnswerOptions, type SessionDescription } from '../../src/sdp/index.js';
import { LINPHONE_OFFER, sdp, VIDEO_OFFER, ZOIPER_OFFER } from './fixtures.js';

const US: AnswerOptions = { address: '192.0.2.20', port: 50000, sessionId: '99' };
const HEAD = ['v=0', 'o=- 1 1 IN IP4 198.51.100.1', 's=-', 'c=IN IP4 198.51.100.1', 't=0 0'];
const offerOf = (...lines: string[]): SessionDescription => parseSdp(sdp(...HEAD, ...lines));

function negotiationError(offer: SessionDescription, options: AnswerOptions = US): SdpNegotiationError {
  try {
    createAnswer(offer, options);
  } catch (err) {
    expect(err).toBeInstanceOf(SdpNegotiationError);
    expect((err as SdpNegotiationError).name).toBe('SdpNegotiationError');
    return err as SdpNegotiationError;
  }
  throw new Error('expected an SdpNegotiationError');
}

describe('codec selection', () => {
  it('answers a Zoiper-style offer exactly', () => {
    expect(serializeSdp(createAnswer(parseSdp(ZOIPER_OFFER), US))).toBe(
      sdp(
        'v=0',
        'o=- 99 99 IN IP4 192.0.2.20',
        's=-',
        'c=IN IP4 192.0.2.20',
        't=0 0',
        'm=audio 50000 RTP/AVP 0 8 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ),
    );
  });

  it("keeps the offerer's order even against our preference", () => {
    const offer = offerOf('m=audio 4000 RTP/AVP 8 0', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000');
    expect(createAnswer(offer, { ...US, codecs: ['PCMU', 'PCMA'] }).media[0]!.formats).toEqual(['8', '0']);
    expect(createAnswer(offer, { ...US, codecs: ['PCMU'] }).media[0]!.formats).toEqual(['0']);
  });

  it("uses the offerer's dynamic telephone-event payload type and rejects video with port 0", () => {
    expect(serializeSdp(createAnswer(parseSdp(VIDEO_OFFER), US))).toBe(
      sdp(
        'v=0',
        'o=- 99 99 IN IP4 192.0.2.20',
        's=-',
        'c=IN IP4 192.0.2.20',
        't=0 0',
        'm=audio 50000 RTP/AVP 8 0 96',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:96 telephone-event/8000',
        'a=fmtp:96 0-16',
        'a=ptime:20',
        'a=sendrecv',
        'm=video 0 RTP/AVP 97',
      ),
    );
  });

  it('picks telephone-event at 8000 Hz among several clock rates (Linphone-style)', () => {
    const audio = createAnswer(parseSdp(LINPHONE_OFFER), US).media[0]!;
    expect(audio.formats).toEqual(['0', '8', '100']);
  });

  it('matches dynamic payload types by encoding name (any case) and clock rate', () => {
    const offer = offerOf('m=audio 4000 RTP/AVP 97 96 98', 'a=rtpmap:97 pcmu/16000', 'a=rtpmap:96 pcma/8000', 'a=rtpmap:98 Telephone-Event/8000');
    const audio = createAnswer(offer, US).media[0]!;
    expect(audio.formats).toEqual(['96', '98']);
    expect(audio.attributes.slice(0, 2)).toEqual([
      { kind: 'rtpmap', payloadType: 96, encodingName: 'PCMA', clockRate: 8000 },
      { kind: 'rtpmap', payloadType: 98, encodingName: 'telephone-event', clockRate: 8000 },
    ]);
  });

  it('does not match stereo G.711, a dynamic type without rtpmap, or a codec listed twice', () => {
    const offer = offerOf('m=audio 4000 RTP/AVP 96 97 0 98', 'a=rtpmap:96 PCMU/8000/2', 'a=rtpmap:98 PCMU/8000');
    expect(createAnswer(offer, US).media[0]!.formats).toEqual(['0']);
  });

  it('leaves telephone-event out when it was not offered', () => {
    expect(createAnswer(offerOf('m=audio 4000 RTP/AVP 0'), US).media[0]!.formats).toEqual(['0']);
  });

  it('copies t= from the offer (RFC 3264 §6) and echoes its protocol spelling', () => {
    const offer = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 198.51.100.1', 't=3000000000 0', 'm=audio 4000 rtp/avp 0'));
    const answer = createAnswer(offer, US);
    expect(answer.timing).toEqual([{ start: 3000000000, stop: 0, repeats: [] }]);
    expect(answer.media[0]!.protocol).toBe('rtp/avp');
  });
});

describe('streams', () => {
  it('answers every m= line in order, accepting only the first usable audio stream', () => {
    const offer = offerOf('m=video 5000 RTP/AVP 31', 'm=audio 4000 RTP/AVP 18', 'm=audio 4002 RTP/AVP 8', 'm=audio 4004 RTP/AVP 0', 'm=application 6000 udp wb');
    const answer = createAnswer(offer, US);
    expect(answer.media.map((m) => `${m.type} ${m.port} ${m.formats.join(' ')}`)).toEqual(['video 0 31', 'audio 0 18', 'audio 50000 8', 'audio 0 0', 'application 0 wb']);
    expect(answer.media.filter((m) => m.port === 0).every((m) => m.attributes.length === 0)).toBe(true);
  });

  it('keeps a stream the offer disabled disabled (port 0)', () => {
    const answer = createAnswer(offerOf('m=audio 0 RTP/AVP 0', 'm=audio 4000 RTP/AVP 0'), US);
    expect(answer.media.map((m) => m.port)).toEqual([0, 50000]);
  });

  it('answers an offer whose streams are all disabled with all ports 0', () => {
    const answer = createAnswer(offerOf('m=audio 0 RTP/AVP 0', 'm=video 0 RTP/AVP'), US);
    expect(serializeSdp(answer)).toContain('\r\nm=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP\r\n');
  });

  it('keeps o= from the previous answer, bumping the version only when something changed (RFC 3264 §8)', () => {
    const offer = parseSdp(ZOIPER_OFFER);
    const first = createAnswer(offer, US);
    const same = createAnswer(offer, { ...US, sessionId: '1', previous: first });
    expect(same.origin).toEqual(first.origin);
    expect(serializeSdp(same)).toBe(serializeSdp(first));
    const moved = createAnswer(offer, { ...US, port: 50002, previous: first });
    expect(moved.origin).toEqual({ ...first.origin, sessionVersion: '100' });
  });
});

describe('488 Not Acceptable Here', () => {
  it('throws SdpNegotiationError 488 naming what was offered and what we support', () => {
    const err = negotiationError(offerOf('m=audio 4000 RTP/AVP 18 96 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000'));
    expect(err.code).toBe(488);
    expect(err.offered).toEqual(['G729/8000 (PT 18)', '96 (no rtpmap)', 'telephone-event/8000 (PT 101)']);
    expect(err.supported).toEqual(['PCMU/8000', 'PCMA/8000']);
    expect(err.reason).toBe(
      'no acceptable audio stream (audio stream 1 has no codec in common): offered G729/8000 (PT 18), 96 (no rtpmap), telephone-event/8000 (PT 101); we support PCMU/8000, PCMA/8000 over RTP/AVP',
    );
    expect(err.message).toMatch(/\(488\)$/);
  });

  it('throws 488 for a codec we support only at another clock rate or left out by options', () => {
    expect(negotiationError(offerOf('m=audio 4000 RTP/AVP 96', 'a=rtpmap:96 PCMU/16000')).code).toBe(488);
    const err = negotiationError(offerOf('m=audio 4000 RTP/AVP 0'), { ...US, codecs: ['PCMA'] });
    expect(err.supported).toEqual(['PCMA/8000']);
  });

  it('throws 488 for an offer without audio', () => {
    const err = negotiationError(offerOf('m=video 5000 RTP/AVP 97', 'a=rtpmap:97 H264/90000'));
    expect(err.code).toBe(488);
    expect(err.reason).toBe('no audio stream offered (offered: video over RTP/AVP); we accept audio over RTP/AVP');
  });

  it('throws 488 for audio over SRTP only, or without any c= line', () => {
    expect(negotiationError(offerOf('m=audio 4000 RTP/SAVP 0')).reason).toMatch(/audio stream 1 uses RTP\/SAVP, not RTP\/AVP/);
    const noC = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0'));
    expect(negotiationError(noC).reason).toMatch(/audio stream 1 has no c= line/);
  });

  it('answers our own offer', () => {
    const offer = createOffer({ address: '192.0.2.10', port: 40000, codecs: ['PCMA', 'PCMU'], telephoneEventPayloadType: 110 });
    expect(createAnswer(offer, US).media[0]!.formats).toEqual(['8', '0', '110']);
  });
});
