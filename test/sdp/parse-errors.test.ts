// parseSdp on malformed input: always an SdpParseError, with a reason and the line it is about.
import { describe, expect, it } from 'vitest';
import { parseSdp, SdpParseError } from '../../src/sdp/index.js';
import { sdp } from './fixtures.js';

function parseError(input: string | Uint8Array): SdpParseError {
  try {
    parseSdp(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SdpParseError);
    expect((err as SdpParseError).name).toBe('SdpParseError');
    return err as SdpParseError;
  }
  throw new Error('expected an SdpParseError');
}

const V = 'v=0';
const O = 'o=- 1 1 IN IP4 192.0.2.1';
const S = 's=-';
const C = 'c=IN IP4 192.0.2.1';
const T = 't=0 0';
const M = 'm=audio 4000 RTP/AVP 0';

describe('mandatory lines', () => {
  it('rejects empty input', () => {
    expect(parseError('').reason).toBe('empty session description');
    expect(parseError('\r\n  \r\n').line).toBe(1);
  });

  it('requires v= first', () => {
    const err = parseError(sdp(O, S, T));
    expect([err.reason, err.line]).toEqual(['missing v= line (must be the first line)', 1]);
    expect(parseError(sdp('v=1', O, S, T)).reason).toMatch(/unsupported SDP version "1"/);
  });

  it('requires o= second', () => {
    const err = parseError(sdp(V, S, T, M));
    expect([err.reason, err.line]).toEqual(['missing o= line after v=', 2]);
  });

  it('requires s= third', () => {
    const err = parseError(sdp(V, O, C, T, M));
    expect([err.reason, err.line]).toEqual(['missing s= line after o=', 3]);
  });

  it('requires a t= line before the first m=', () => {
    const err = parseError(sdp(V, O, S, C, M, T));
    expect(err.reason).toMatch(/missing t= line/);
    expect(err.line).toBe(5);
    expect(parseError(sdp(V, O, S, C)).line).toBe(5);
  });

  it('reports the line where a missing line was expected when the input ends early', () => {
    expect(parseError(sdp(V)).line).toBe(2);
    expect(parseError(sdp(V, O)).line).toBe(3);
    expect(parseError(V + '\n' + O + '\n\n\n').line).toBe(3);
  });

  it('rejects mandatory lines out of order or repeated', () => {
    expect(parseError(sdp(O, V, S, T)).line).toBe(1);
    expect(parseError(sdp(V, S, O, T)).line).toBe(2);
    const twice = parseError(sdp(V, O, S, T, 'v=0'));
    expect([twice.reason, twice.line]).toEqual(['v= line out of place (only one, at the start)', 5]);
    expect(parseError(sdp(V, O, S, T, S)).line).toBe(5);
    expect(parseError(sdp(V, O, S, T, M, 't=0 0')).reason).toBe('t= line not allowed in a media description');
    expect(parseError(sdp(V, O, S, T, M, O)).line).toBe(6);
    expect(parseError(sdp(V, O, S, 'r=1 2 3', T)).reason).toBe('r= line before any t= line');
  });

  it('rejects repeated single lines', () => {
    expect(parseError(sdp(V, O, S, C, C, T)).reason).toBe('more than one c= line');
    expect(parseError(sdp(V, O, S, 'i=a', 'i=b', T)).line).toBe(5);
    expect(parseError(sdp(V, O, S, T, M, 'k=a', 'k=b')).line).toBe(7);
  });
});

describe('malformed lines', () => {
  it('rejects a bad o= line', () => {
    expect(parseError(sdp(V, 'o=- 1 IN IP4 h', S, T)).line).toBe(2);
    expect(parseError(sdp(V, 'o=- x1 1 IN IP4 h', S, T)).reason).toMatch(/session id "x1"/);
    expect(parseError(sdp(V, 'o=- 1 -1 IN IP4 h', S, T)).reason).toMatch(/session version "-1"/);
  });

  it('rejects a bad c= line', () => {
    expect(parseError(sdp(V, O, S, 'c=IN IP4', T)).line).toBe(4);
    expect(parseError(sdp(V, O, S, 'c=IN IP4 224.0.0.1/256', T)).reason).toMatch(/TTL 256/);
    expect(parseError(sdp(V, O, S, 'c=IN IP4 224.0.0.1/1/2/3', T)).reason).toMatch(/multicast suffix/);
    expect(parseError(sdp(V, O, S, 'c=IN IP6 ff15::1/x', T)).line).toBe(4);
  });

  it('rejects bad b= and t= lines', () => {
    expect(parseError(sdp(V, O, S, 'b=AS', T)).reason).toMatch(/malformed b= line/);
    expect(parseError(sdp(V, O, S, 'b=AS:fast', T)).line).toBe(4);
    expect(parseError(sdp(V, O, S, 't=0')).reason).toMatch(/malformed t= line/);
    expect(parseError(sdp(V, O, S, 't=now later')).line).toBe(4);
  });

  it('rejects bad m= lines', () => {
    const bad: [string, RegExp][] = [
      ['m=audio', /expected/],
      ['m=audio 4000', /expected/],
      ['m=audio 4000 RTP/AVP', /no media formats/],
      ['m=audio abc RTP/AVP 0', /port "abc"/],
      ['m=audio -1 RTP/AVP 0', /port "-1"/],
      ['m= audio 4000 RTP/AVP 0', /expected/],
      ['m=audio 4000/0 RTP/AVP 0', /number of ports/],
      ['m=audio 4000/2/3 RTP/AVP 0', /port/],
      ['m=audio 4000 RTP/AVP PCMU', /payload type "PCMU"/],
      ['m=audio 4000 RTP/AVP 128', /payload type "128"/],
      ['m=au<dio 4000 RTP/AVP 0', /media type/],
    ];
    for (const [line, reason] of bad) {
      const err = parseError(sdp(V, O, S, T, line));
      expect(err.reason, line).toMatch(reason);
      expect(err.line, line).toBe(5);
    }
  });

  it('rejects ports out of range', () => {
    for (const port of ['65536', '99999', '100000', '4294967296']) {
      const err = parseError(sdp(V, O, S, T, `m=audio ${port} RTP/AVP 0`));
      expect(err.reason).toMatch(/is not 0-65535/);
    }
    expect(parseSdp(sdp(V, O, S, T, 'm=audio 65535 RTP/AVP 0')).media[0]!.port).toBe(65535);
  });

  it('rejects malformed rtpmap, fmtp and ptime attributes with their line number', () => {
    const bad = ['a=rtpmap', 'a=rtpmap:0', 'a=rtpmap:0 PCMU', 'a=rtpmap:0 PCMU/', 'a=rtpmap:200 X/8000', 'a=rtpmap:0 PCMU/8000/x', 'a=rtpmap:0 PCMU/0', 'a=rtpmap:0 PCMU/8000 extra', 'a=fmtp', 'a=fmtp:', 'a=ptime', 'a=ptime:fast', 'a=ptime:0'];
    for (const line of bad) {
      const err = parseError(sdp(V, O, S, T, M, 'a=sendrecv', line));
      expect(err.reason, line).toMatch(/malformed a=(rtpmap|fmtp|ptime)/);
      expect(err.line, line).toBe(7);
    }
  });

  it('rejects attribute names that are not tokens', () => {
    expect(parseError(sdp(V, O, S, T, 'a=')).reason).toBe('malformed attribute name ""');
    expect(parseError(sdp(V, O, S, T, 'a=:x')).line).toBe(5);
    expect(parseError(sdp(V, O, S, T, 'a=two words')).line).toBe(5);
  });
});

describe('garbage', () => {
  it('rejects lines that are not <type>=<value>', () => {
    const err = parseError('hello world\r\n');
    expect([err.reason, err.line]).toEqual(['malformed line "hello world": expected <type>=<value>', 1]);
    expect(parseError(sdp(V, O, S, T, ' a=leading-space')).line).toBe(5);
    expect(parseError(sdp(V, O, S, T, 'a =x')).line).toBe(5);
    expect(parseError(sdp(V, O, S, T, '1=x')).line).toBe(5);
    expect(parseError('INVITE sip:bob@example.com SIP/2.0\r\n').line).toBe(1);
  });

  it('rejects NUL and bare CR inside lines', () => {
    expect(parseError(sdp(V, O, 's=a\0b', T)).reason).toBe('NUL character in line');
    expect(parseError(sdp(V, O, 's=a\rb', T)).reason).toBe('bare CR in line');
    expect(parseError('v=0\ro=- 1 1 IN IP4 h\rs=-\rt=0 0\r').line).toBe(1);
  });

  it('counts blank lines in line numbers', () => {
    expect(parseError(['', V, '', O, S, T, 'm=audio x RTP/AVP 0'].join('\n')).line).toBe(7);
  });

  it('rejects inputs that are neither text nor bytes', () => {
    expect(parseError(42 as unknown as string).reason).toBe('input must be a string or a Uint8Array');
    expect(parseError(null as unknown as string)).toBeInstanceOf(SdpParseError);
  });

  it('takes linear time on long lines and long runs of whitespace', () => {
    const pad = ' '.repeat(200_000);
    const inputs = [
      sdp(V, O, S, T, `a=x:${pad}y${pad}`, `a=fmtp:96${pad}x`),
      sdp(V, O, S, T, 'm=audio 4000 RTP/AVP' + ' 0'.repeat(100_000)),
      sdp(V, O, S, T, `m=audio 4000 RTP/AVP 0${pad}x`),
      sdp(V, O, S, T, ...Array.from({ length: 50_000 }, () => 'a=rtpmap:0 PCMU/8000')),
    ];
    for (const input of inputs) {
      const started = performance.now();
      try {
        parseSdp(input);
      } catch (err) {
        expect(err).toBeInstanceOf(SdpParseError);
      }
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('describes the problem and the line in the message', () => {
    expect(parseError(sdp(V, O, S, T, 'm=audio 70000 RTP/AVP 0')).message).toBe('malformed m= line: port "70000" is not 0-65535 (SDP line 5)');
  });
});
