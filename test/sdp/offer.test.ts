// createOffer: the exact offer, its options, and refusing bad options.
import { describe, expect, it } from 'vitest';
import { createOffer, parseSdp, serializeSdp } from '../../src/sdp/index.js';
import { sdp } from './fixtures.js';

describe('createOffer', () => {
  it('writes the default offer exactly', () => {
    const offer = createOffer({ address: '192.0.2.10', port: 40000, sessionId: '4711' });
    expect(serializeSdp(offer)).toBe(
      sdp(
        'v=0',
        'o=- 4711 4711 IN IP4 192.0.2.10',
        's=-',
        'c=IN IP4 192.0.2.10',
        't=0 0',
        'm=audio 40000 RTP/AVP 0 8 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ),
    );
  });

  it('follows the codec order, telephone-event payload type, ptime, direction and o= options', () => {
    const offer = createOffer({
      address: '192.0.2.10',
      port: 40002,
      codecs: ['PCMA'],
      telephoneEventPayloadType: 96,
      ptime: 30,
      direction: 'recvonly',
      sessionId: 12345678901234567890n,
      sessionVersion: '7',
      username: 'sipflow',
      sessionName: 'call',
    });
    expect(serializeSdp(offer)).toBe(
      sdp(
        'v=0',
        'o=sipflow 12345678901234567890 7 IN IP4 192.0.2.10',
        's=call',
        'c=IN IP4 192.0.2.10',
        't=0 0',
        'm=audio 40002 RTP/AVP 8 96',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:96 telephone-event/8000',
        'a=fmtp:96 0-16',
        'a=ptime:30',
        'a=recvonly',
      ),
    );
    expect(createOffer({ address: 'h', port: 1, codecs: ['PCMA', 'PCMU'] }).media[0]!.formats).toEqual(['8', '0', '101']);
  });

  it('uses IN IP6 for IPv6 addresses, with or without brackets', () => {
    for (const address of ['2001:db8::10', '[2001:db8::10]']) {
      const offer = createOffer({ address, port: 40000 });
      expect(offer.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: '2001:db8::10' });
      expect(offer.origin.addrType).toBe('IP6');
      expect(serializeSdp(offer)).toContain('\r\nc=IN IP6 2001:db8::10\r\n');
    }
  });

  it('picks a random session id below 2^31, with the version equal to it', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { origin } = createOffer({ address: '192.0.2.10', port: 40000 });
      expect(origin.sessionId).toMatch(/^[1-9][0-9]*$/);
      expect(Number(origin.sessionId)).toBeLessThan(2 ** 31);
      expect(origin.sessionVersion).toBe(origin.sessionId);
      ids.add(origin.sessionId);
    }
    expect(ids.size).toBeGreaterThan(15);
  });

  it('writes SDP that parses back to the same description', () => {
    const offer = createOffer({ address: '192.0.2.10', port: 40000 });
    expect(parseSdp(serializeSdp(offer))).toEqual(offer);
  });

  it('refuses bad options', () => {
    const ok = { address: '192.0.2.10', port: 40000 };
    expect(() => createOffer({ ...ok, port: 0 })).toThrow(RangeError);
    expect(() => createOffer({ ...ok, port: 65536 })).toThrow(RangeError);
    expect(() => createOffer({ ...ok, port: 1.5 })).toThrow(RangeError);
    expect(() => createOffer({ ...ok, codecs: [] })).toThrow(TypeError);
    expect(() => createOffer({ ...ok, codecs: ['PCMU', 'PCMU'] })).toThrow(TypeError);
    expect(() => createOffer({ ...ok, codecs: ['G729' as 'PCMU'] })).toThrow(/unsupported codec "G729"/);
    expect(() => createOffer({ ...ok, telephoneEventPayloadType: 8 })).toThrow(RangeError);
    expect(() => createOffer({ ...ok, telephoneEventPayloadType: 128 })).toThrow(RangeError);
    expect(() => createOffer({ ...ok, direction: 'both' as 'sendrecv' })).toThrow(TypeError);
    expect(() => createOffer({ ...ok, ptime: 0 })).toThrow(RangeError);
    expect(() => createOffer({ ...ok, address: '' })).toThrow(TypeError);
    expect(() => createOffer({ ...ok, address: '1.2.3.4 5' })).toThrow(TypeError);
    expect(() => createOffer({ ...ok, sessionId: '-1' })).toThrow(TypeError);
    expect(() => createOffer({ ...ok, username: 'a b' })).toThrow(TypeError);
    expect(() => createOffer({ ...ok, sessionName: 'a\r\nb' })).toThrow(TypeError);
  });
});
