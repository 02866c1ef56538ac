// DescriptionCache: our descriptions made once per input and given out again with a new o= id.
import { describe, expect, it } from 'vitest';
import { DescriptionCache } from '../../src/sdp/description-cache.js';
import { createAnswer, createOffer, parseSdp, sdpOfferAnswer, SdpNegotiationError, serializeSdp } from '../../src/sdp/index.js';
import { LINPHONE_OFFER, VIDEO_OFFER } from './fixtures.js';

/** The text with its o= session id and version taken out. */
function withoutIds(text: string): string {
  return text.replace(/^(v=0\r\no=\S+) \d+ \d+ /, '$1 ID ID ');
}

describe('DescriptionCache', () => {
  it('makes a description once and gives it out again with a new o= id, version equal to it', () => {
    const cache = new DescriptionCache();
    let made = 0;
    const make = (): string => {
      made++;
      return serializeSdp(createOffer({ address: '192.0.2.1', port: 40000, username: 'sipflow' }));
    };
    const first = cache.get('k', make);
    const again = [cache.get('k', make), cache.get('k', make), cache.get('k', make)];
    expect(made).toBe(1);
    const ids = new Set([first, ...again].map((t) => parseSdp(t).origin.sessionId));
    expect(ids.size).toBe(4);
    for (const text of again) {
      expect(withoutIds(text)).toBe(withoutIds(first));
      const o = parseSdp(text).origin;
      expect(o.sessionVersion).toBe(o.sessionId);
      expect(o.username).toBe('sipflow');
      expect(serializeSdp(parseSdp(text))).toBe(text);
    }
  });

  it('keeps descriptions apart by key', () => {
    const cache = new DescriptionCache();
    const a = cache.get('a', () => serializeSdp(createOffer({ address: '192.0.2.1', port: 40000 })));
    const b = cache.get('b', () => serializeSdp(createOffer({ address: '192.0.2.1', port: 40002 })));
    expect(parseSdp(cache.get('a', () => 'unused')).media[0]?.port).toBe(parseSdp(a).media[0]?.port);
    expect(parseSdp(cache.get('b', () => 'unused')).media[0]?.port).toBe(40002);
  });

  it('keeps no error: the same key is made again next time', () => {
    const cache = new DescriptionCache();
    let tries = 0;
    const failing = (): string => {
      tries++;
      throw new SdpNegotiationError('no codec in common', { code: 488 });
    };
    expect(() => cache.get('x', failing)).toThrow(SdpNegotiationError);
    expect(() => cache.get('x', failing)).toThrow(SdpNegotiationError);
    expect(tries).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('holds at most its limit of keys, starting again empty past it', () => {
    const cache = new DescriptionCache(3);
    const make = (): string => serializeSdp(createOffer({ address: '192.0.2.1', port: 40000 }));
    for (const key of ['1', '2', '3']) cache.get(key, make);
    expect(cache.size).toBe(3);
    cache.get('4', make);
    expect(cache.size).toBe(1);
  });

  it('refuses text that does not start with v= and o= lines', () => {
    const cache = new DescriptionCache();
    expect(() => cache.get('x', () => 's=-\r\n')).toThrow(/v= and o= lines/);
    expect(() => cache.get('y', () => 'v=0\r\no=-\r\ns=-\r\n')).toThrow(/session id and version/);
  });
});

describe('sdpOfferAnswer reuses what it made', () => {
  it('answers the same offer the same way each time, each answer with its own o= id', () => {
    const bob = sdpOfferAnswer({ address: '192.0.2.2', port: 42000 });
    const answers = [1, 2, 3].map(() => bob.createAnswer(LINPHONE_OFFER, undefined));
    const expected = serializeSdp(createAnswer(parseSdp(LINPHONE_OFFER), { address: '192.0.2.2', port: 42000 }));
    for (const answer of answers) expect(withoutIds(answer)).toBe(withoutIds(expected));
    expect(new Set(answers.map((a) => parseSdp(a).origin.sessionId)).size).toBe(3);
    // A different offer gets its own answer.
    expect(withoutIds(bob.createAnswer(VIDEO_OFFER, undefined))).toBe(withoutIds(serializeSdp(createAnswer(parseSdp(VIDEO_OFFER), { address: '192.0.2.2', port: 42000 }))));
  });

  it('refuses an offer with no codec in common every time it comes', () => {
    const alaw = sdpOfferAnswer({ address: '192.0.2.2', port: 42000, codecs: ['PCMA'] });
    const ulawOnly = serializeSdp(createOffer({ address: '192.0.2.1', port: 40000, codecs: ['PCMU'] }));
    expect(() => alaw.createAnswer(ulawOnly, undefined)).toThrow(SdpNegotiationError);
    expect(() => alaw.createAnswer(ulawOnly, undefined)).toThrow(SdpNegotiationError);
  });

  it('keeps a fixed session id when the options give one', () => {
    const fixed = sdpOfferAnswer({ address: '192.0.2.2', port: 42000, sessionId: '4711' });
    expect(parseSdp(fixed.createOffer(undefined)).origin.sessionId).toBe('4711');
    expect(parseSdp(fixed.createOffer(undefined)).origin.sessionId).toBe('4711');
    expect(parseSdp(fixed.createAnswer(LINPHONE_OFFER, undefined)).origin.sessionId).toBe('4711');
    expect(parseSdp(fixed.createAnswer(LINPHONE_OFFER, undefined)).origin.sessionId).toBe('4711');
  });
});
