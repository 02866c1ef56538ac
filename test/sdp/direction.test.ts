// Directions (RFC 3264 §6.1): every offer/preference pair, session-level directions, and the
// RFC 2543 hold address 0.0.0.0.
import { describe, expect, it } from 'vitest';
import {
  answerDirection,
  createAnswer,
  directionAttribute,
  DIRECTIONS,
  type MediaDirection,
  mediaDirection,
  negotiated,
  parseSdp,
  reverseDirection,
  withDirection,
} from '../../src/sdp/index.js';
import { sdp } from './fixtures.js';

const US = { address: '192.0.2.20', port: 50000 };
const offerWith = (media: string[], session: string[] = [], c = 'c=IN IP4 198.51.100.1') =>
  parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 198.51.100.1', 's=-', c, 't=0 0', ...session, 'm=audio 4000 RTP/AVP 0', ...media));

/** RFC 3264 §6.1, with our preference narrowing sendrecv. Rows: offer; columns: our preference. */
const TABLE: Record<MediaDirection, Record<MediaDirection, MediaDirection>> = {
  sendrecv: { sendrecv: 'sendrecv', sendonly: 'sendonly', recvonly: 'recvonly', inactive: 'inactive' },
  sendonly: { sendrecv: 'recvonly', sendonly: 'inactive', recvonly: 'recvonly', inactive: 'inactive' },
  recvonly: { sendrecv: 'sendonly', sendonly: 'sendonly', recvonly: 'inactive', inactive: 'inactive' },
  inactive: { sendrecv: 'inactive', sendonly: 'inactive', recvonly: 'inactive', inactive: 'inactive' },
};

describe('answer direction (RFC 3264 §6.1)', () => {
  for (const offered of DIRECTIONS) {
    for (const preferred of DIRECTIONS) {
      const expected = TABLE[offered][preferred];
      it(`offer ${offered}, we prefer ${preferred} → answer ${expected}`, () => {
        expect(answerDirection(offered, preferred)).toBe(expected);
        const offer = offerWith([`a=${offered}`]);
        const answer = createAnswer(offer, { ...US, direction: preferred });
        expect(directionAttribute(answer.media[0]!.attributes)).toBe(expected);
        // Both sides then agree on what flows: our side per the answer, theirs per the offer.
        expect(negotiated(offer, answer, 'answerer')?.direction).toBe(expected);
        expect(negotiated(offer, answer, 'offerer')?.direction).toBe(reverseDirection(expected));
      });
    }
  }

  it('answers an offer without a direction attribute as sendrecv', () => {
    expect(directionAttribute(createAnswer(offerWith([]), US).media[0]!.attributes)).toBe('sendrecv');
  });

  it('reverses sendonly and recvonly, keeps sendrecv and inactive', () => {
    expect(DIRECTIONS.map(reverseDirection)).toEqual(['sendrecv', 'recvonly', 'sendonly', 'inactive']);
  });
});

describe('session-level direction', () => {
  it('applies when the media section has none', () => {
    const offer = offerWith([], ['a=sendonly']);
    expect(mediaDirection(offer, offer.media[0]!)).toBe('sendonly');
    expect(directionAttribute(createAnswer(offer, US).media[0]!.attributes)).toBe('recvonly');
  });

  it('gives way to a media-level direction', () => {
    const offer = offerWith(['a=sendrecv'], ['a=inactive']);
    expect(mediaDirection(offer, offer.media[0]!)).toBe('sendrecv');
    expect(directionAttribute(createAnswer(offer, US).media[0]!.attributes)).toBe('sendrecv');
  });
});

describe('RFC 2543 hold: c=IN IP4 0.0.0.0 (RFC 3264 §8.4)', () => {
  it('treats a session-level 0.0.0.0 as inactive and answers inactive', () => {
    const offer = offerWith([], [], 'c=IN IP4 0.0.0.0');
    expect(mediaDirection(offer, offer.media[0]!)).toBe('inactive');
    const answer = createAnswer(offer, US);
    expect(directionAttribute(answer.media[0]!.attributes)).toBe('inactive');
    expect(answer.connection?.address).toBe('192.0.2.20');
    const audio = negotiated(offer, answer, 'answerer');
    expect([audio?.direction, audio?.remoteAddress]).toEqual(['inactive', '0.0.0.0']);
  });

  it('treats a media-level 0.0.0.0 as inactive even with a=sendrecv', () => {
    const offer = offerWith(['c=IN IP4 0.0.0.0', 'a=sendrecv']);
    expect(directionAttribute(createAnswer(offer, US).media[0]!.attributes)).toBe('inactive');
  });

  it('does not take 0.0.0.0 as an IPv6 hold, nor other addresses', () => {
    const offer = offerWith(['c=IN IP6 ::']);
    expect(mediaDirection(offer, offer.media[0]!)).toBe('sendrecv');
  });
});

describe('withDirection', () => {
  it('replaces the first direction in place, drops others, or appends', () => {
    expect(
      withDirection(
        [
          { kind: 'generic', name: 'a' },
          { kind: 'direction', direction: 'sendrecv' },
          { kind: 'generic', name: 'b' },
          { kind: 'direction', direction: 'recvonly' },
        ],
        'inactive',
      ),
    ).toEqual([{ kind: 'generic', name: 'a' }, { kind: 'direction', direction: 'inactive' }, { kind: 'generic', name: 'b' }]);
    expect(withDirection([{ kind: 'ptime', ptime: 20 }], 'sendonly')).toEqual([
      { kind: 'ptime', ptime: 20 },
      { kind: 'direction', direction: 'sendonly' },
    ]);
  });
});
