// sdpOfferAnswer: the standard OfferAnswerHandler for a UserAgent (RFC 3264 over text SDP).
import { describe, expect, it } from 'vitest';
import { holdOffer, parseSdp, resumeOffer, SdpNegotiationError, SdpParseError, sdpOfferAnswer, serializeSdp } from '../../src/sdp/index.js';
import { statusOfNegotiationError } from '../../src/sip/dialog/offer-answer.js';

const alice = sdpOfferAnswer({ address: '192.0.2.1', port: 40000 });
const bob = sdpOfferAnswer({ address: '192.0.2.2', port: 42000, codecs: ['PCMA', 'PCMU'] });

describe('sdpOfferAnswer', () => {
  it('offers our codecs and telephone-event, and reuses the current description unchanged', () => {
    const offer = alice.createOffer(undefined);
    const sd = parseSdp(offer);
    expect(sd.media[0]?.port).toBe(40000);
    expect(sd.media[0]?.formats).toEqual(['0', '8', '101']);
    expect(alice.createOffer(offer)).toBe(offer);
  });

  it("answers in the offerer's codec order (RFC 3264 §6.1)", () => {
    const answer = parseSdp(bob.createAnswer(alice.createOffer(undefined), undefined));
    expect(answer.media[0]?.formats).toEqual(['0', '8', '101']);
    expect(answer.media[0]?.port).toBe(42000);
    expect(answer.connection?.address).toBe('192.0.2.2');
  });

  it('answers hold with recvonly and resume with sendrecv, keeping o= and raising its version (RFC 3264 §8)', () => {
    const offer = alice.createOffer(undefined);
    const first = bob.createAnswer(offer, undefined);
    const held = bob.createAnswer(serializeSdp(holdOffer(parseSdp(offer))), first);
    expect(held).toContain('a=recvonly');
    const o1 = parseSdp(first).origin;
    const o2 = parseSdp(held).origin;
    expect(o2.sessionId).toBe(o1.sessionId);
    expect(BigInt(o2.sessionVersion)).toBe(BigInt(o1.sessionVersion) + 1n);
    const resumed = bob.createAnswer(serializeSdp(resumeOffer(holdOffer(parseSdp(offer)))), held);
    expect(resumed).toContain('a=sendrecv');
  });

  it('answers an inactive offer inactive', () => {
    const offer = alice.createOffer(undefined);
    expect(bob.createAnswer(serializeSdp(holdOffer(parseSdp(offer), 'inactive')), undefined)).toContain('a=inactive');
  });

  it('throws typed errors the user agent maps to 488', () => {
    const g729 = alice.createOffer(undefined).replace('m=audio 40000 RTP/AVP 0 8 101', 'm=audio 40000 RTP/AVP 18').replace(/a=rtpmap:(0|8|101) .*\r\n/g, '').replace(/a=fmtp:101 .*\r\n/, '');
    let err: unknown;
    try {
      bob.createAnswer(g729, undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SdpNegotiationError);
    expect(statusOfNegotiationError(err)).toBe(488);
    let parseErr: unknown;
    try {
      bob.createAnswer('not sdp', undefined);
    } catch (e) {
      parseErr = e;
    }
    expect(parseErr).toBeInstanceOf(SdpParseError);
    expect(statusOfNegotiationError(parseErr)).toBe(488);
  });

  it('checks its options when created', () => {
    expect(() => sdpOfferAnswer({ address: '192.0.2.1', port: 0 })).toThrow(RangeError);
  });
});
