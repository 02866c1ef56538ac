// RTP packet codec (RFC 3550 §5.1, §5.3.1): exact bytes, every refusal, serial arithmetic.
import { describe, expect, it } from 'vitest';
import { decodeRtp, encodeRtp, RtpError, rtpEncodedLength, type RtpPacket, seqAdd, seqDelta, seqNewer, tsAdd, tsDelta, tsNewer } from '../../src/media/rtp-packet.js';
import { bytes, hex, thrown } from './helpers.js';

const rtpError = (fn: () => unknown): RtpError => thrown(RtpError, 'RtpError', fn);

const basic: RtpPacket = { marker: true, payloadType: 0, sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, payload: Uint8Array.of(1, 2, 3) };

describe('encodeRtp', () => {
  it('writes the fixed header (V=2, M, PT, sequence, timestamp, SSRC) and the payload', () => {
    expect(hex(encodeRtp(basic))).toBe('80801234deadbeef01020304010203');
  });

  it('writes CSRCs, the extension and padding up to a 32-bit boundary', () => {
    const p: RtpPacket = { ...basic, marker: false, payloadType: 8, csrcs: [0xaabbccdd], extension: { profile: 0xbede, data: Uint8Array.of(9, 9, 9, 9) }, padding: true };
    // 12 + 4 + 8 + 3 = 27 → one byte of padding (count 1)
    expect(hex(encodeRtp(p))).toBe('b1081234deadbeef01020304' + 'aabbccdd' + 'bede000109090909' + '010203' + '01');
    expect(rtpEncodedLength(p)).toBe(28);
  });

  it('pads a whole word when already aligned, or the explicit paddingLength', () => {
    const aligned: RtpPacket = { ...basic, payload: new Uint8Array(4), padding: true };
    expect(hex(encodeRtp(aligned)).slice(-8)).toBe('00000004');
    expect(hex(encodeRtp({ ...aligned, paddingLength: 2 })).slice(-4)).toBe('0002');
  });

  it('writes into a given buffer and returns the filled prefix', () => {
    const out = new Uint8Array(64);
    const got = encodeRtp(basic, out);
    expect(got.buffer).toBe(out.buffer);
    expect(got.length).toBe(15);
    expect(rtpError(() => encodeRtp(basic, new Uint8Array(14))).code).toBe('buffer-too-small');
  });

  it('refuses out-of-range fields', () => {
    for (const bad of [
      { payloadType: 128 },
      { sequence: 65536 },
      { sequence: -1 },
      { timestamp: 2 ** 32 },
      { ssrc: 1.5 },
      { csrcs: new Array<number>(16).fill(1) },
      { extension: { profile: 1, data: new Uint8Array(3) } },
      { padding: true, paddingLength: 0 },
    ] as Partial<RtpPacket>[]) {
      expect(rtpError(() => encodeRtp({ ...basic, ...bad })).code).toBe('bad-field');
    }
  });
});

describe('decodeRtp', () => {
  it('reads every field, payload as a view without padding', () => {
    const input = bytes('b1081234deadbeef01020304 aabbccdd bede000109090909 010203 01');
    const p = decodeRtp(input);
    expect(p).toMatchObject({ version: 2, padding: true, paddingLength: 1, marker: false, payloadType: 8, sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, csrcs: [0xaabbccdd] });
    expect(p.extension?.profile).toBe(0xbede);
    expect([...p.extension!.data]).toEqual([9, 9, 9, 9]);
    expect([...p.payload]).toEqual([1, 2, 3]);
    expect(p.payload.buffer).toBe(input.buffer);
  });

  it('reads a packet at an offset inside a larger buffer', () => {
    const big = new Uint8Array(100);
    big.set(encodeRtp(basic), 40);
    const p = decodeRtp(big.subarray(40, 55));
    expect(p.sequence).toBe(0x1234);
    expect([...p.payload]).toEqual([1, 2, 3]);
  });

  it('accepts an empty payload and padding that eats everything after the header', () => {
    expect(decodeRtp(bytes('80001234deadbeef01020304')).payload.length).toBe(0);
    expect(decodeRtp(bytes('a0001234deadbeef01020304 000003')).payload.length).toBe(0);
  });

  it.each([
    ['too-short', '80001234deadbeef010203'],
    ['bad-version', '40001234deadbeef01020304'],
    ['bad-version', 'c0001234deadbeef01020304'],
    ['csrc-overrun', '82001234deadbeef01020304aabbccdd'],
    ['extension-overrun', '90001234deadbeef01020304bede'],
    ['extension-overrun', '90001234deadbeef01020304bede000209090909'],
    ['bad-padding', 'a0001234deadbeef0102030400'],
    ['bad-padding', 'a0001234deadbeef0102030405'],
  ])('throws %s', (code, h) => {
    expect(rtpError(() => decodeRtp(bytes(h))).code).toBe(code);
  });
});

describe('serial arithmetic', () => {
  it('seqDelta is a − b, signed, modulo 2^16', () => {
    expect(seqDelta(5, 3)).toBe(2);
    expect(seqDelta(3, 5)).toBe(-2);
    expect(seqDelta(2, 65534)).toBe(4);
    expect(seqDelta(65534, 2)).toBe(-4);
    expect(seqDelta(32767, 0)).toBe(32767);
    expect(seqDelta(32768, 0)).toBe(-32768);
    expect(seqAdd(65535, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(65535);
    expect(seqNewer(0, 65535)).toBe(true);
    expect(seqNewer(65535, 0)).toBe(false);
  });

  it('tsDelta is a − b, signed, modulo 2^32', () => {
    expect(tsDelta(80, 0xffff_ffb0)).toBe(160);
    expect(tsDelta(0xffff_ffb0, 80)).toBe(-160);
    expect(tsDelta(0x8000_0000, 0)).toBe(-0x8000_0000);
    expect(tsAdd(0xffff_ffff, 1)).toBe(0);
    expect(tsAdd(0, -160)).toBe(0xffff_ff60);
    expect(tsNewer(10, 0xffff_fff0)).toBe(true);
  });
});
