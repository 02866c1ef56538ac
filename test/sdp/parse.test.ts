// parseSdp: the model it builds from real-world shapes, and what it tolerates.
import { describe, expect, it } from 'vitest';
import { directionAttribute, fmtpFor, fmtpParameters, parseSdp, payloadFormats, ptimeOf, rtpmapFor } from '../../src/sdp/index.js';
import { ASTERISK_ANSWER, EVERYTHING, IPV6_SENDONLY, LINPHONE_OFFER, sdp, VIDEO_OFFER, ZOIPER_OFFER } from './fixtures.js';

describe('session section', () => {
  it('reads v=, o=, s=, c= and t= of an Asterisk answer', () => {
    const sd = parseSdp(ASTERISK_ANSWER);
    expect(sd.version).toBe(0);
    expect(sd.origin).toEqual({
      username: '-',
      sessionId: '1234567890',
      sessionVersion: '1234567892',
      netType: 'IN',
      addrType: 'IP4',
      address: '203.0.113.5',
    });
    expect(sd.sessionName).toBe('Asterisk');
    expect(sd.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '203.0.113.5' });
    expect(sd.timing).toEqual([{ start: 0, stop: 0, repeats: [] }]);
    expect(sd.attributes).toEqual([]);
    expect(sd.media).toHaveLength(1);
  });

  it('keeps session ids and versions beyond 2^53 and 2^64 exactly, as decimal strings', () => {
    const sd = parseSdp(IPV6_SENDONLY);
    expect(sd.origin.sessionId).toBe('9223372036854775807');
    expect(sd.origin.sessionVersion).toBe('18446744073709551617');
    expect(BigInt(sd.origin.sessionVersion)).toBe(2n ** 64n + 1n);
  });

  it('reads IPv6 addresses and keeps "s= " (RFC 4566: a single space for no name)', () => {
    const sd = parseSdp(IPV6_SENDONLY);
    expect(sd.origin.addrType).toBe('IP6');
    expect(sd.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: '2001:db8::1' });
    expect(sd.sessionName).toBe(' ');
    expect(sd.attributes).toEqual([{ kind: 'direction', direction: 'sendonly' }]);
    expect(directionAttribute(sd.media[0]!.attributes)).toBeUndefined();
  });

  it('reads every RFC 4566 line type and keeps unknown lines and attributes verbatim, in order', () => {
    const sd = parseSdp(EVERYTHING);
    expect(sd.information).toBe('A Seminar on the session description protocol');
    expect(sd.uri).toBe('http://www.example.com/seminars/sdp.pdf');
    expect(sd.emails).toEqual(['j.doe@example.com (Jane Doe)']);
    expect(sd.phones).toEqual(['+1 617 555-6011']);
    expect(sd.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '224.2.17.12', ttl: 127, addressCount: 2 });
    expect(sd.bandwidths).toEqual([{ type: 'CT', value: 128 }]);
    expect(sd.timing).toEqual([
      { start: 2873397496, stop: 2873404696, repeats: ['604800 3600 0 90000'] },
      { start: 0, stop: 0, repeats: [] },
    ]);
    expect(sd.timeZones).toBe('2882844526 -1h 2898848070 0');
    expect(sd.key).toBe('prompt');
    expect(sd.otherLines).toEqual([{ type: 'y', value: 'a line type nobody defined' }]);
    expect(sd.attributes).toEqual([
      { kind: 'direction', direction: 'recvonly' },
      { kind: 'generic', name: 'X-custom', value: 'some value: with colons' },
      { kind: 'generic', name: 'rtcp-mux' },
      { kind: 'generic', name: 'tool', value: '' },
    ]);
  });
});

describe('media sections', () => {
  it('reads m= lines with port counts, non-RTP formats and rejected streams', () => {
    const sd = parseSdp(EVERYTHING);
    expect(sd.media.map((m) => [m.type, m.port, m.portCount, m.protocol, m.formats])).toEqual([
      ['audio', 49170, 2, 'RTP/AVP', ['0']],
      ['application', 5000, undefined, 'udp', ['wb']],
      ['image', 5004, undefined, 'udptl', ['t38']],
      ['video', 0, undefined, 'RTP/AVP', ['31']],
    ]);
    const audio = sd.media[0]!;
    expect(audio.information).toBe('main audio');
    expect(audio.connections).toEqual([{ netType: 'IN', addrType: 'IP4', address: '224.2.17.12', ttl: 127 }]);
    expect(audio.bandwidths).toEqual([{ type: 'AS', value: 64 }]);
    expect(audio.key).toBe('clear:secret');
    expect(audio.attributes).toEqual([
      { kind: 'generic', name: 'rtcp', value: '53020 IN IP4 126.16.64.4' },
      { kind: 'ptime', ptime: 30 },
      { kind: 'generic', name: 'maxptime', value: '60' },
    ]);
    expect(sd.media[2]!.attributes).toEqual([
      { kind: 'generic', name: 'T38FaxVersion', value: '0' },
      { kind: 'generic', name: 'T38MaxBitRate', value: '14400' },
    ]);
  });

  it('parses rtpmap, fmtp and ptime into typed values (Linphone-style offer)', () => {
    const audio = parseSdp(LINPHONE_OFFER).media[0]!;
    expect(audio.formats).toEqual(['96', '97', '98', '0', '8', '18', '101', '99', '100']);
    expect(rtpmapFor(audio.attributes, 96)).toEqual({ kind: 'rtpmap', payloadType: 96, encodingName: 'opus', clockRate: 48000, channels: 2 });
    expect(rtpmapFor(audio.attributes, 100)).toEqual({ kind: 'rtpmap', payloadType: 100, encodingName: 'telephone-event', clockRate: 8000 });
    expect(rtpmapFor(audio.attributes, 0)).toBeUndefined();
    expect(fmtpFor(audio.attributes, '18')).toEqual({ kind: 'fmtp', format: '18', parameters: 'annexb=yes' });
    expect(audio.attributes.at(-1)).toEqual({ kind: 'generic', name: 'rtcp-fb', value: '* ccm tmmbr' });
  });

  it('understands static payload types without rtpmap (RFC 3551)', () => {
    const audio = parseSdp(ZOIPER_OFFER).media[0]!;
    expect(payloadFormats(audio)).toEqual([
      { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1 },
      { payloadType: 8, encodingName: 'PCMA', clockRate: 8000, channels: 1 },
      { payloadType: 3, encodingName: 'GSM', clockRate: 8000, channels: 1 },
      { payloadType: 101, encodingName: 'telephone-event', clockRate: 8000, channels: 1, parameters: '0-16' },
    ]);
  });

  it('reads audio and video with their own bandwidths and fmtp', () => {
    const sd = parseSdp(VIDEO_OFFER);
    expect(sd.bandwidths).toEqual([{ type: 'AS', value: 2048 }]);
    expect(sd.media.map((m) => m.type)).toEqual(['audio', 'video']);
    const video = sd.media[1]!;
    expect(video.bandwidths).toEqual([{ type: 'AS', value: 1920 }]);
    expect(fmtpParameters(fmtpFor(video.attributes, '97')!.parameters)).toEqual(
      new Map([
        ['profile-level-id', '42e01f'],
        ['packetization-mode', '1'],
      ]),
    );
    expect(ptimeOf(sd.media[0]!.attributes)).toBe(20);
  });

  it('reads the four direction flags and leaves direction-like attributes with values alone', () => {
    for (const d of ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const) {
      const sd = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 't=0 0', 'm=audio 1 RTP/AVP 0', `a=${d}`));
      expect(sd.media[0]!.attributes).toEqual([{ kind: 'direction', direction: d }]);
    }
    const odd = parseSdp(sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 't=0 0', 'a=sendonly:x', 'a=SENDONLY'));
    expect(odd.attributes).toEqual([
      { kind: 'generic', name: 'sendonly', value: 'x' },
      { kind: 'generic', name: 'SENDONLY' },
    ]);
  });
});

describe('tolerance', () => {
  const base = ['v=0', 'o=- 7 7 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv'];

  it('accepts LF-only line endings, a missing final line end and mixed endings', () => {
    const expected = parseSdp(sdp(...base));
    expect(parseSdp(base.join('\n') + '\n')).toEqual(expected);
    expect(parseSdp(base.join('\n'))).toEqual(expected);
    expect(parseSdp(base.join('\r\n'))).toEqual(expected);
    expect(parseSdp(base.map((l, i) => l + (i % 2 ? '\n' : '\r\n')).join(''))).toEqual(expected);
  });

  it('ignores trailing whitespace (except in the free text of s= and i=) and blank lines', () => {
    const expected = parseSdp(sdp(...base));
    const padded = parseSdp(sdp(...base.map((l) => l + ' \t ')));
    expect(padded.sessionName).toBe('- \t ');
    expect({ ...padded, sessionName: '-' }).toEqual(expected);
    expect(parseSdp('\r\n' + sdp(...base.slice(0, 3), '', '   ', ...base.slice(3)) + '\r\n\r\n')).toEqual(expected);
  });

  it('accepts extra whitespace between fields', () => {
    const sd = parseSdp(sdp('v=0', 'o=-  7\t7 IN  IP4 h', 's=-', 't=0   0', 'm=audio  4000 RTP/AVP  0   8', 'a=rtpmap:8  PCMA/8000'));
    expect(sd.origin.sessionId).toBe('7');
    expect(sd.media[0]!.formats).toEqual(['0', '8']);
    expect(rtpmapFor(sd.media[0]!.attributes, 8)?.encodingName).toBe('PCMA');
  });

  it('accepts the optional session lines in any order (c= after t=, a= before c=)', () => {
    const sd = parseSdp(sdp('v=0', 'o=- 7 7 IN IP4 h', 's=-', 't=0 0', 'a=tool:x', 'c=IN IP4 192.0.2.1', 'b=AS:64', 'm=audio 4000 RTP/AVP 0'));
    expect(sd.connection?.address).toBe('192.0.2.1');
    expect(sd.bandwidths).toEqual([{ type: 'AS', value: 64 }]);
  });

  it('accepts bytes (UTF-8, BOM skipped) as well as text', () => {
    const text = sdp('v=0', 'o=- 7 7 IN IP4 h', 's=Café ☕', 't=0 0');
    expect(parseSdp(new TextEncoder().encode(text))).toEqual(parseSdp(text));
    expect(parseSdp(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)])).sessionName).toBe('Café ☕');
    expect(parseSdp('\uFEFF' + text).sessionName).toBe('Café ☕');
  });

  it('accepts a session without media and a rejected m= line without formats', () => {
    expect(parseSdp(sdp('v=0', 'o=- 7 7 IN IP4 h', 's=-', 't=0 0')).media).toEqual([]);
    expect(parseSdp(sdp('v=0', 'o=- 7 7 IN IP4 h', 's=-', 't=0 0', 'm=video 0 RTP/AVP')).media[0]!.formats).toEqual([]);
  });

  it('writes payload type numbers in canonical form and reads IPv6 multicast counts', () => {
    const sd = parseSdp(sdp('v=0', 'o=- 7 7 IN IP6 ::1', 's=-', 'c=IN IP6 ff15::101/3', 't=0 0', 'm=audio 04000 RTP/AVP 00 08'));
    expect(sd.media[0]!.formats).toEqual(['0', '8']);
    expect(sd.media[0]!.port).toBe(4000);
    expect(sd.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: 'ff15::101', addressCount: 3 });
  });
});
