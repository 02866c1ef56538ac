// negotiated: what an offer/answer exchange gives the media layer.
import { describe, expect, it } from 'vitest';
import { createAnswer, createOffer, negotiated, parseSdp, SdpNegotiationError, type SessionDescription } from '../../src/sdp/index.js';
import { ASTERISK_ANSWER, LINPHONE_OFFER, sdp, VIDEO_OFFER } from './fixtures.js';

const US = { address: '192.0.2.20', port: 50000 };

function negotiationError(offer: SessionDescription, answer: SessionDescription): SdpNegotiationError {
  try {
    negotiated(offer, answer);
  } catch (err) {
    expect(err).toBeInstanceOf(SdpNegotiationError);
    return err as SdpNegotiationError;
  }
  throw new Error('expected an SdpNegotiationError');
}

describe('negotiated', () => {
  it('gives the offerer the answer’s codec, telephone-event, address, port, ptime and direction', () => {
    const offer = createOffer({ address: '192.0.2.10', port: 40000 });
    const answer = parseSdp(ASTERISK_ANSWER);
    expect(negotiated(offer, answer)).toEqual({
      mediaIndex: 0,
      codec: 'PCMU',
      payloadType: 0,
      clockRate: 8000,
      channels: 1,
      telephoneEventPayloadType: 101,
      remoteAddress: '203.0.113.5',
      remotePort: 14562,
      direction: 'sendrecv',
      ptime: 20,
    });
  });

  it('gives the answerer the offer’s address and payload numbers (dynamic telephone-event PT)', () => {
    const offer = parseSdp(VIDEO_OFFER);
    const answer = createAnswer(offer, US);
    expect(negotiated(offer, answer, 'answerer')).toEqual({
      mediaIndex: 0,
      codec: 'PCMA',
      payloadType: 8,
      clockRate: 8000,
      channels: 1,
      telephoneEventPayloadType: 96,
      remoteAddress: '198.51.100.7',
      remotePort: 49170,
      direction: 'sendrecv',
      ptime: 20,
    });
  });

  it('picks the first payload type of the answer that the offer has', () => {
    const offer = parseSdp(LINPHONE_OFFER);
    const answer = createAnswer(offer, { ...US, codecs: ['PCMA', 'PCMU'] });
    const audio = negotiated(offer, answer, 'answerer');
    expect([audio?.codec, audio?.payloadType, audio?.telephoneEventPayloadType, audio?.ptime]).toEqual(['PCMU', 0, 100, undefined]);
  });

  it('prefers a media-level c= over the session one', () => {
    const offer = createOffer({ address: '192.0.2.10', port: 40000 });
    const answer = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 203.0.113.1', 't=0 0', 'm=audio 7000 RTP/AVP 8', 'c=IN IP4 203.0.113.99'));
    expect(negotiated(offer, answer)).toMatchObject({ codec: 'PCMA', payloadType: 8, remoteAddress: '203.0.113.99', remotePort: 7000 });
    expect(negotiated(offer, answer)?.telephoneEventPayloadType).toBeUndefined();
  });

  it('finds the audio stream after a rejected one, and returns undefined when audio was rejected', () => {
    const offer = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 198.51.100.1', 't=0 0', 'm=audio 4000 RTP/AVP 18', 'm=audio 4002 RTP/AVP 0'));
    const answer = createAnswer(offer, US);
    expect(negotiated(offer, answer, 'answerer')).toMatchObject({ mediaIndex: 1, remotePort: 4002, codec: 'PCMU' });
    const rejected = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 203.0.113.1', 't=0 0', 'm=audio 0 RTP/AVP 18', 'm=audio 0 RTP/AVP 0'));
    expect(negotiated(offer, rejected)).toBeUndefined();
  });

  it('throws SdpNegotiationError when the answer does not fit the offer', () => {
    const offer = parseSdp(VIDEO_OFFER);
    const head = ['v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 203.0.113.1', 't=0 0'];
    expect(negotiationError(offer, parseSdp(sdp(...head, 'm=audio 7000 RTP/AVP 0'))).reason).toMatch(/1 m= lines but the offer has 2/);
    expect(negotiationError(offer, parseSdp(sdp(...head, 'm=audio 7000 RTP/AVP 18', 'm=video 0 RTP/AVP 97'))).reason).toMatch(/no codec in common/);
    expect(negotiationError(offer, parseSdp(sdp(...head, 'm=video 0 RTP/AVP 0', 'm=audio 7000 RTP/AVP 0'))).reason).toMatch(/uses for video/);
    const noC = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 't=0 0', 'm=audio 7000 RTP/AVP 0', 'm=video 0 RTP/AVP 97'));
    const err = negotiationError(offer, noC);
    expect([err.reason, err.code]).toEqual(['the answer has no c= line for its audio stream', undefined]);
  });
});
