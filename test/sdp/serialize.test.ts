// serializeSdp: exact round trips, canonical line order, and refusing what could not be read back.
import { describe, expect, it } from 'vitest';
import { parseSdp, serializeSdp, type SessionDescription } from '../../src/sdp/index.js';
import { ALL_FIXTURES, EVERYTHING, sdp } from './fixtures.js';

describe('round trip', () => {
  for (const [name, text] of Object.entries(ALL_FIXTURES)) {
    it(`serializeSdp(parseSdp(x)) === x for ${name}`, () => {
      expect(serializeSdp(parseSdp(text))).toBe(text);
    });
  }

  it('writes CRLF for LF-only input, with the same lines', () => {
    for (const text of Object.values(ALL_FIXTURES)) {
      expect(serializeSdp(parseSdp(text.replace(/\r\n/g, '\n')))).toBe(text);
    }
  });

  it('puts optional session lines back in RFC 4566 order, keeping attribute and media order', () => {
    const shuffled = sdp(
      'v=0',
      'o=- 7 7 IN IP4 h',
      's=-',
      'a=second',
      't=0 0',
      'y=unknown',
      'b=AS:64',
      'a=first:1',
      'c=IN IP4 192.0.2.1',
      'm=video 0 RTP/AVP 31',
      'a=z',
      'c=IN IP4 192.0.2.2',
      'm=audio 4000 RTP/AVP 0',
    );
    expect(serializeSdp(parseSdp(shuffled))).toBe(
      sdp(
        'v=0',
        'o=- 7 7 IN IP4 h',
        's=-',
        'c=IN IP4 192.0.2.1',
        'b=AS:64',
        't=0 0',
        'y=unknown',
        'a=second',
        'a=first:1',
        'm=video 0 RTP/AVP 31',
        'c=IN IP4 192.0.2.2',
        'a=z',
        'm=audio 4000 RTP/AVP 0',
      ),
    );
  });

  it('writes numbers in canonical form and drops trailing whitespace, keeping the meaning', () => {
    const text = sdp('v=0', 'o=- 007 7 IN IP4 h', 's=-', 't=00 0', 'm=audio 04000 RTP/AVP 00', 'a=rtpmap:00  PCMU/08000 ', 'a=ptime:020', 'a=fmtp:0   x=1  ');
    expect(serializeSdp(parseSdp(text))).toBe(
      sdp('v=0', 'o=- 007 7 IN IP4 h', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=fmtp:0 x=1'),
    );
  });

  // Found by the mutated-descriptions property (seed 1837210045): `c=IN !IP4 a/0/1` parsed, as an
  // address type the model does not know, with its address verbatim, and then would not serialize.
  it('keeps the slashes of an address whose type is not IP4 or IP6', () => {
    const text = sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 't=0 0', 'm=audio 0 udptl t38', 'c=IN !IP4 a/0/1', 'c=ATM NSAP 47.0005/x');
    const sd = parseSdp(text);
    expect(sd.media[0]!.connections).toEqual([
      { netType: 'IN', addrType: '!IP4', address: 'a/0/1' },
      { netType: 'ATM', addrType: 'NSAP', address: '47.0005/x' },
    ]);
    expect(serializeSdp(sd)).toBe(text);
  });

  it('keeps an attribute with an empty value apart from a flag', () => {
    const text = sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 't=0 0', 'a=tool:', 'a=tool', 'a=fmtp:96');
    expect(serializeSdp(parseSdp(text))).toBe(text);
  });
});

describe('refusing descriptions that could not be read back', () => {
  const good = (): SessionDescription => parseSdp(EVERYTHING);
  const cases: [string, (sd: SessionDescription) => void][] = [
    ['a line break in s=', (sd) => void (sd.sessionName = 'a\r\nm=audio 1 RTP/AVP 0')],
    ['a NUL in an attribute', (sd) => void sd.attributes.push({ kind: 'generic', name: 'x', value: 'a\0b' })],
    ['a space in the username', (sd) => void (sd.origin.username = 'j doe')],
    ['a non-numeric session version', (sd) => void (sd.origin.sessionVersion = '1.5')],
    ['port 65536', (sd) => void (sd.media[0]!.port = 65536)],
    ['a payload type over 127', (sd) => void (sd.media[0]!.formats = ['128'])],
    ['an active stream without formats', (sd) => void (sd.media[0]!.formats = [])],
    ['no t= line', (sd) => void (sd.timing = [])],
    ['an attribute name that is not a token', (sd) => void sd.attributes.push({ kind: 'generic', name: 'a b' })],
    ['a value ending in whitespace', (sd) => void (sd.uri = 'http://x ')],
    ['an IP4 address count without TTL', (sd) => void (sd.connection = { netType: 'IN', addrType: 'IP4', address: '224.0.0.1', addressCount: 2 })],
    ['a slash in an IP6 address', (sd) => void (sd.connection = { netType: 'IN', addrType: 'IP6', address: 'ff15::1/3' })],
    ['an address count on an address type other than IP4 and IP6', (sd) => void (sd.connection = { netType: 'IN', addrType: 'X', address: 'h', addressCount: 2 })],
    ['a known letter as an unknown line', (sd) => void sd.otherLines.push({ type: 'm', value: 'audio 1 RTP/AVP 0' })],
    ['a zero clock rate', (sd) => void sd.media[0]!.attributes.push({ kind: 'rtpmap', payloadType: 0, encodingName: 'PCMU', clockRate: 0 })],
  ];
  for (const [what, spoil] of cases) {
    it(`throws a TypeError for ${what}`, () => {
      const sd = good();
      spoil(sd);
      expect(() => serializeSdp(sd)).toThrow(TypeError);
    });
  }
});
