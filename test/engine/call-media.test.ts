// call-media: the engine's offers and answers, made once per plan, port and offer and reused.
import { describe, expect, it } from 'vitest';
import { answerFor, type MediaPlan, offerFor } from '../../src/engine/call-media.js';
import { parseSdp, SdpNegotiationError } from '../../src/sdp/index.js';
import { RealClock } from '../../src/sip/transport/clock.js';

const plan: MediaPlan = { bindHost: '127.0.0.1', sdpAddress: '192.0.2.7', codecs: ['PCMA', 'PCMU'], portRange: undefined, clock: new RealClock() };
const SIPP_OFFER = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

describe('offerFor and answerFor', () => {
  it('answer each call of a repeated offer alike, on the call\'s port, each with its own o= id', () => {
    const a = parseSdp(answerFor(plan, SIPP_OFFER, 40000));
    const b = parseSdp(answerFor(plan, SIPP_OFFER, 40000));
    const c = parseSdp(answerFor(plan, SIPP_OFFER, 40002));
    expect(a.origin.sessionId).not.toBe(b.origin.sessionId);
    expect({ ...b, origin: a.origin }).toEqual(a);
    expect(a.media[0]?.formats).toEqual(['0']);
    expect(a.connection?.address).toBe('192.0.2.7');
    expect([a.media[0]?.port, c.media[0]?.port]).toEqual([40000, 40002]);
  });

  it('offer each call alike on its port, each with its own o= id', () => {
    const a = parseSdp(offerFor(plan, 40000));
    const b = parseSdp(offerFor(plan, 40000));
    expect(a.origin.sessionId).not.toBe(b.origin.sessionId);
    expect({ ...b, origin: a.origin }).toEqual(a);
    expect(a.media[0]?.formats).toEqual(['8', '0', '101']);
    expect(parseSdp(offerFor(plan, 40010)).media[0]?.port).toBe(40010);
  });

  it('refuse an offer with no codec in common each time, and keep o= across a re-offer (RFC 3264 §8)', () => {
    const g722 = SIPP_OFFER.replace('RTP/AVP 0', 'RTP/AVP 9').replace('rtpmap:0 PCMU', 'rtpmap:9 G722');
    expect(() => answerFor(plan, g722, 40000)).toThrow(SdpNegotiationError);
    expect(() => answerFor(plan, g722, 40000)).toThrow(SdpNegotiationError);
    const first = answerFor(plan, SIPP_OFFER, 40000);
    const again = parseSdp(answerFor(plan, SIPP_OFFER, 40000, first));
    expect(again.origin).toEqual(parseSdp(first).origin);
  });
});
