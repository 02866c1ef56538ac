// RTCP (RFC 3550 §6.4–6.7, A.2): exact bytes for SR/RR/SDES/BYE, compound validity checks, NTP.
import { describe, expect, it } from 'vitest';
import { decodeRtcpCompound, encodeRtcpCompound, encodeRtcpPacket } from '../../src/media/rtcp-codec.js';
import {
  dlsrFromMs,
  ntpFromUnixMs,
  ntpMiddle32,
  ntpToUnixMs,
  RtcpError,
  type RtcpPacket,
  type RtcpReportBlock,
  roundTripMs,
  SDES_ITEM,
} from '../../src/media/rtcp-packet.js';
import { bytes, hex, thrown } from './helpers.js';

const rtcpError = (fn: () => unknown): RtcpError => thrown(RtcpError, 'RtcpError', fn);

const block: RtcpReportBlock = { ssrc: 0x11111111, fractionLost: 51, cumulativeLost: -2, highestSequence: 0x0001_0002, jitter: 80, lastSr: 0xb7052000, delaySinceLastSr: 0x00054000 };
const cname = (ssrc: number, text = 'ab'): RtcpPacket => ({ type: 'SDES', chunks: [{ ssrc, items: [{ type: SDES_ITEM.CNAME, text }] }] });

describe('RTCP packets', () => {
  it('encodes an SR with sender info and a report block (cumulative lost 24-bit signed)', () => {
    const sr: RtcpPacket = { type: 'SR', ssrc: 0x22222222, ntp: { seconds: 0xe0000001, fraction: 0x80000000 }, rtpTimestamp: 160, packetCount: 3, octetCount: 480, reports: [block] };
    expect(hex(encodeRtcpPacket(sr))).toBe(
      '81c8000c' + '22222222' + 'e0000001' + '80000000' + '000000a0' + '00000003' + '000001e0' + '11111111' + '33fffffe' + '00010002' + '00000050' + 'b7052000' + '00054000',
    );
  });

  it('encodes an RR without blocks, SDES CNAME padded to a word, BYE with a reason', () => {
    expect(hex(encodeRtcpPacket({ type: 'RR', ssrc: 1, reports: [] }))).toBe('80c9000100000001');
    // chunk: SSRC, CNAME(1) len(2) "ab", null, padding → 12 bytes
    expect(hex(encodeRtcpPacket(cname(1)))).toBe('81ca0003' + '00000001' + '01026162' + '00000000');
    // a chunk whose items end on a word boundary still needs a whole null word
    expect(hex(encodeRtcpPacket(cname(1, 'abcdef')))).toBe('81ca0004' + '00000001' + '0106616263646566' + '00000000');
    expect(hex(encodeRtcpPacket({ type: 'BYE', ssrcs: [1], reason: 'bye' }))).toBe('81cb0002' + '00000001' + '03627965');
    expect(hex(encodeRtcpPacket({ type: 'BYE', ssrcs: [1, 2] }))).toBe('82cb0002' + '00000001' + '00000002');
  });

  it('round-trips a compound packet SR + SDES + BYE + APP', () => {
    const packets: RtcpPacket[] = [
      { type: 'SR', ssrc: 7, ntp: ntpFromUnixMs(1_700_000_000_250), rtpTimestamp: 8000, packetCount: 50, octetCount: 8000, reports: [block, { ...block, ssrc: 9, cumulativeLost: 0x7fffff }] },
      { type: 'SDES', chunks: [{ ssrc: 7, items: [{ type: SDES_ITEM.CNAME, text: 'alice@192.0.2.1' }, { type: SDES_ITEM.TOOL, text: 'sipflow' }] }, { ssrc: 8, items: [] }] },
      { type: 'BYE', ssrcs: [7], reason: 'done' },
      { type: 'APP', subtype: 3, ssrc: 7, name: 'TEST', data: Uint8Array.of(1, 2, 3, 4) },
    ];
    const decoded = decodeRtcpCompound(encodeRtcpCompound(packets));
    expect(decoded.map((p) => (p.type === 'APP' ? { ...p, data: [...p.data] } : p))).toEqual(
      packets.map((p) => (p.type === 'APP' ? { ...p, data: [...p.data] } : p)),
    );
  });

  it('passes unknown packet types through and keeps profile extensions', () => {
    const rr: RtcpPacket = { type: 'RR', ssrc: 1, reports: [], extension: Uint8Array.of(1, 2, 3, 4) };
    const other: RtcpPacket = { type: 'unknown', packetType: 207, count: 1, body: Uint8Array.of(5, 6, 7, 8) };
    const [a, b] = decodeRtcpCompound(encodeRtcpCompound([rr, cname(1), other]).subarray(0)).filter((p) => p.type !== 'SDES');
    expect(a?.type === 'RR' && [...a.extension!]).toEqual([1, 2, 3, 4]);
    expect(b?.type === 'unknown' && [b.packetType, b.count, [...b.body]]).toEqual([207, 1, [5, 6, 7, 8]]);
  });

  it('accepts padding on the last packet', () => {
    const compound = bytes('80c9000100000001' + 'a1ca0004' + '00000001' + '01026162' + '00000000' + '00000004');
    const [, sdes] = decodeRtcpCompound(compound);
    expect(sdes).toEqual(cname(1));
  });
});

describe('compound validity (RFC 3550 A.2)', () => {
  const rr = '80c9000100000001';
  const sdes = '81ca0003' + '00000001' + '01026162' + '00000000';
  it.each([
    ['too-short', '80c9'],
    ['bad-version', '40c9000100000001'],
    ['bad-version', rr + '41ca0003000000010102616200000000'],
    ['bad-first-packet', sdes],
    ['bad-first-packet', 'a0c9000100000001'],
    ['bad-length', '80c9000200000001'],
    ['bad-length', rr + '00'],
    ['bad-padding', rr + 'a1ca0003000000010102616200000004' + '80cb0000'],
    ['bad-padding', rr + 'a1ca0003000000010102616200000000'],
    ['bad-padding', rr + 'a1ca0003000000010102616200000010'],
    ['malformed', '81c9000100000001'],
    ['malformed', '80c8000100000001'],
    ['malformed', rr + '81ca000200000001010a6162'],
    ['malformed', rr + '82cb000100000001'],
  ])('refuses %s: %s', (code, h) => {
    expect(rtcpError(() => decodeRtcpCompound(bytes(h))).code).toBe(code);
  });

  it('encodes only compounds that start with SR/RR and carry a CNAME', () => {
    expect(rtcpError(() => encodeRtcpCompound([cname(1)])).code).toBe('bad-first-packet');
    expect(rtcpError(() => encodeRtcpCompound([])).code).toBe('bad-first-packet');
    expect(rtcpError(() => encodeRtcpCompound([{ type: 'RR', ssrc: 1, reports: [] }])).code).toBe('missing-cname');
    expect(encodeRtcpCompound([{ type: 'RR', ssrc: 1, reports: [] }], { requireCname: false }).length).toBe(8);
  });

  it('refuses out-of-range fields on encode', () => {
    for (const bad of [
      { ...block, cumulativeLost: 0x800000 },
      { ...block, fractionLost: 256 },
      { ...block, jitter: -1 },
    ]) {
      expect(rtcpError(() => encodeRtcpPacket({ type: 'RR', ssrc: 1, reports: [bad] })).code).toBe('bad-field');
    }
    expect(rtcpError(() => encodeRtcpPacket({ type: 'RR', ssrc: 1, reports: new Array<RtcpReportBlock>(32).fill(block) })).code).toBe('bad-field');
    expect(rtcpError(() => encodeRtcpPacket(cname(1, 'x'.repeat(256)))).code).toBe('bad-field');
    expect(rtcpError(() => encodeRtcpPacket({ type: 'APP', subtype: 0, ssrc: 1, name: 'TOOLONG', data: new Uint8Array() })).code).toBe('bad-field');
  });
});

describe('NTP helpers (RFC 3550 §4, §6.4.1)', () => {
  it('converts Unix milliseconds to and from NTP', () => {
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    expect(ntpFromUnixMs(1500)).toEqual({ seconds: 2_208_988_801, fraction: 0x8000_0000 });
    expect(ntpToUnixMs(ntpFromUnixMs(1_700_000_000_250))).toBeCloseTo(1_700_000_000_250, 3);
    // after the 2036 era rollover, seconds wrap and are read back as era 1
    const y2040 = Date.UTC(2040, 0, 1);
    expect(ntpFromUnixMs(y2040).seconds).toBeLessThan(0x8000_0000);
    expect(ntpToUnixMs(ntpFromUnixMs(y2040))).toBeCloseTo(y2040, 3);
  });

  it('takes the middle 32 bits for LSR and computes DLSR units', () => {
    expect(ntpMiddle32({ seconds: 0x1234b705, fraction: 0x2000ffff })).toBe(0xb7052000);
    expect(dlsrFromMs(5250)).toBe(0x00054000);
  });

  it('computes the round trip of the RFC 3550 §6.4.1 example: A − LSR − DLSR = 6.125 s', () => {
    // A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s)
    const arrival = { seconds: 0xb710, fraction: 0x8000_0000 };
    expect(roundTripMs({ ...block, lastSr: 0xb7052000, delaySinceLastSr: 0x00054000 }, arrival)).toBe(6125);
    expect(roundTripMs({ ...block, lastSr: 0 }, arrival)).toBeUndefined();
  });
});
