// Session versions (RFC 3264 §8) and hold/resume re-offers (RFC 3264 §8.4) through full
// offer/answer exchanges.
import { describe, expect, it } from 'vitest';
import {
  createAnswer,
  createOffer,
  directionAttribute,
  holdOffer,
  negotiated,
  nextVersion,
  parseSdp,
  resumeOffer,
  serializeSdp,
  type SessionDescription,
} from '../../src/sdp/index.js';
import { IPV6_SENDONLY, sdp, VIDEO_OFFER } from './fixtures.js';

const ALICE = { address: '192.0.2.10', port: 40000, sessionId: '1000' };
const BOB = { address: '192.0.2.20', port: 50000, sessionId: '2000' };
const dir = (sd: SessionDescription, i = 0) => directionAttribute(sd.media[i]!.attributes);

describe('nextVersion', () => {
  it('increments the version and keeps everything else', () => {
    const offer = createOffer(ALICE);
    const next = nextVersion(offer);
    expect(next.origin).toEqual({ ...offer.origin, sessionVersion: '1001' });
    expect({ ...next, origin: offer.origin }).toEqual(offer);
    expect(offer.origin.sessionVersion).toBe('1000');
  });

  it('increments versions beyond 2^64 exactly and returns an independent copy', () => {
    const sd = parseSdp(IPV6_SENDONLY);
    const next = nextVersion(sd);
    expect(next.origin.sessionVersion).toBe('18446744073709551618');
    expect(next.origin.sessionId).toBe('9223372036854775807');
    next.media[0]!.port = 1;
    expect(sd.media[0]!.port).toBe(30000);
  });
});

describe('hold and resume', () => {
  it('holds with sendonly, is answered recvonly, and resumes to sendrecv, bumping versions', () => {
    const offer = createOffer(ALICE);
    const answer = createAnswer(offer, BOB);
    expect(negotiated(offer, answer)?.direction).toBe('sendrecv');

    const hold = holdOffer(offer);
    expect(hold.origin.sessionVersion).toBe('1001');
    expect(dir(hold)).toBe('sendonly');
    const holdAnswer = createAnswer(hold, { ...BOB, previous: answer });
    expect(dir(holdAnswer)).toBe('recvonly');
    expect(holdAnswer.origin.sessionVersion).toBe('2001');
    expect(negotiated(hold, holdAnswer, 'offerer')?.direction).toBe('sendonly');
    expect(negotiated(hold, holdAnswer, 'answerer')?.direction).toBe('recvonly');

    const resume = resumeOffer(hold);
    expect(resume.origin.sessionVersion).toBe('1002');
    expect(dir(resume)).toBe('sendrecv');
    const resumeAnswer = createAnswer(resume, { ...BOB, previous: holdAnswer });
    expect(dir(resumeAnswer)).toBe('sendrecv');
    expect(resumeAnswer.origin.sessionVersion).toBe('2002');
    expect(negotiated(resume, resumeAnswer)?.direction).toBe('sendrecv');
    // Apart from o= and the direction, the resumed offer is the original one.
    expect({ ...resume, origin: offer.origin }).toEqual(offer);
  });

  it('holds with inactive, answered inactive', () => {
    const offer = createOffer(ALICE);
    const hold = holdOffer(offer, 'inactive');
    expect(dir(hold)).toBe('inactive');
    const answer = createAnswer(hold, BOB);
    expect(dir(answer)).toBe('inactive');
    expect(negotiated(hold, answer)?.direction).toBe('inactive');
    expect(dir(resumeOffer(hold))).toBe('sendrecv');
  });

  it('writes the hold offer as the same SDP with only o= and a= direction changed', () => {
    const offer = createOffer(ALICE);
    const before = serializeSdp(offer).split('\r\n');
    const after = serializeSdp(holdOffer(offer)).split('\r\n');
    const changed = before.flatMap((line, i) => (line === after[i] ? [] : [[line, after[i]]]));
    expect(changed).toEqual([
      ['o=- 1000 1000 IN IP4 192.0.2.10', 'o=- 1000 1001 IN IP4 192.0.2.10'],
      ['a=sendrecv', 'a=sendonly'],
    ]);
  });

  it('replaces a session-level direction and leaves rejected streams alone', () => {
    const current = parseSdp(sdp('v=0', 'o=- 5 5 IN IP4 h', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'a=recvonly', 'a=tool:x', 'm=audio 4000 RTP/AVP 0', 'm=video 0 RTP/AVP 31'));
    const hold = holdOffer(current);
    expect(hold.attributes).toEqual([{ kind: 'generic', name: 'tool', value: 'x' }]);
    expect(dir(hold, 0)).toBe('sendonly');
    expect(hold.media[1]!.attributes).toEqual([]);
  });

  it('holds every active stream of a multi-stream session', () => {
    const hold = holdOffer(parseSdp(VIDEO_OFFER));
    expect([dir(hold, 0), dir(hold, 1)]).toEqual(['sendonly', 'sendonly']);
    expect(hold.origin.sessionVersion).toBe('3724394406');
  });
});
