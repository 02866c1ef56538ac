// RTP/RTCP codec properties: encode/decode round trips, decoders that throw only their typed
// error whatever the bytes, and serial arithmetic that inverts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRtcpCompound, encodeRtcpCompound } from '../../src/media/rtcp-codec.js';
import { RtcpError, type RtcpPacket, type RtcpReportBlock, SDES_ITEM } from '../../src/media/rtcp-packet.js';
import { decodeRtp, encodeRtp, RtpError, type RtpPacket, seqAdd, seqDelta, tsAdd, tsDelta } from '../../src/media/rtp-packet.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const words = (max: number): fc.Arbitrary<Uint8Array> => fc.integer({ min: 0, max }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n }));

const rtpPacket: fc.Arbitrary<RtpPacket> = fc
  .record({
    marker: fc.boolean(),
    payloadType: fc.integer({ min: 0, max: 127 }),
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: fc.array(u32, { maxLength: 15 }),
    extension: fc.option(fc.record({ profile: u16, data: words(6) }), { nil: undefined }),
    paddingLength: fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
    payload: fc.uint8Array({ maxLength: 200 }),
  })
  .map(({ extension, paddingLength, ...rest }) => {
    const p: RtpPacket = { ...rest, padding: paddingLength !== undefined };
    if (extension) p.extension = extension;
    if (paddingLength !== undefined) p.paddingLength = paddingLength;
    return p;
  });

/** Typed arrays as plain arrays, so equality does not depend on views. */
const plain = (v: unknown): unknown =>
  v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(plain) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;

/** Flips, truncates or extends a valid encoding. */
const mutated = (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: -8, max: 4 })).map(([bytes, flips, resize]) => {
    const out = new Uint8Array(Math.max(0, bytes.length + resize));
    out.set(bytes.subarray(0, out.length));
    if (out.length > 0) for (const [at, v] of flips) out[at % out.length] = v;
    return out;
  });

function decodesOrRtpError(bytes: Uint8Array): RtpPacket | undefined {
  try {
    return decodeRtp(bytes);
  } catch (err) {
    if (!(err instanceof RtpError)) throw new Error(`decodeRtp threw a non-RtpError for ${Buffer.from(bytes).toString('hex')}`, { cause: err });
    return undefined;
  }
}

describe('RTP packet properties', () => {
  it('decode(encode(p)) gives p back', () => {
    fc.assert(
      fc.property(rtpPacket, (p) => {
        const decoded = decodeRtp(encodeRtp(p));
        expect(plain(decoded)).toEqual(plain({ version: 2, ...p }));
      }),
      { numRuns: runs(500) },
    );
  });

  it('decodeRtp on arbitrary bytes returns a packet or throws RtpError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated(rtpPacket.map((p) => encodeRtp(p)))), (bytes) => {
        const p = decodesOrRtpError(bytes);
        // without padding (whose filler bytes are free), what decodes re-encodes to the same bytes
        if (p !== undefined && p.padding !== true) expect(Buffer.from(encodeRtp(p)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('serial arithmetic inverts: b + (a − b) = a', () => {
    fc.assert(
      fc.property(u16, u16, (a, b) => {
        const d = seqDelta(a, b);
        expect(d).toBeGreaterThanOrEqual(-32768);
        expect(d).toBeLessThanOrEqual(32767);
        expect(seqAdd(b, d)).toBe(a);
      }),
      { numRuns: runs(500) },
    );
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        const d = tsDelta(a, b);
        expect(Math.abs(d)).toBeLessThanOrEqual(2 ** 31);
        expect(tsAdd(b, d)).toBe(a);
      }),
      { numRuns: runs(500) },
    );
  });
});

const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => new TextEncoder().encode(s).length <= 255);
const reportBlock: fc.Arbitrary<RtcpReportBlock> = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x80_0000, max: 0x7f_ffff }),
  highestSequence: u32,
  jitter: u32,
  lastSr: u32,
  delaySinceLastSr: u32,
});
const withExtension = <T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.tuple(arb, words(3)).map(([p, ext]) => (ext.length > 0 ? { ...p, extension: ext } : p));
const sr = withExtension(
  fc.record({ type: fc.constant('SR' as const), ssrc: u32, ntp: fc.record({ seconds: u32, fraction: u32 }), rtpTimestamp: u32, packetCount: u32, octetCount: u32, reports: fc.array(reportBlock, { maxLength: 31 }) }),
);
const rr = withExtension(fc.record({ type: fc.constant('RR' as const), ssrc: u32, reports: fc.array(reportBlock, { maxLength: 31 }) }));
const sdes = fc.record({
  type: fc.constant('SDES' as const),
  chunks: fc.array(fc.record({ ssrc: u32, items: fc.array(fc.record({ type: fc.integer({ min: 1, max: 8 }), text }), { maxLength: 4 }) }), { minLength: 1, maxLength: 4 }),
});
const bye = fc
  .record({ type: fc.constant('BYE' as const), ssrcs: fc.array(u32, { maxLength: 31 }), reason: fc.option(text.filter((s) => s.length > 0), { nil: undefined }) })
  .map(({ reason, ...b }) => (reason === undefined ? b : { ...b, reason }));
const app = fc.record({ type: fc.constant('APP' as const), subtype: fc.integer({ min: 0, max: 31 }), ssrc: u32, name: fc.string({ unit: fc.constantFrom(...'ABCDXYZ019 '), minLength: 4, maxLength: 4 }), data: words(4) });
const compound: fc.Arbitrary<RtcpPacket[]> = fc
  .tuple(fc.oneof(sr, rr), u32, fc.array(fc.oneof(rr, sdes, bye, app), { maxLength: 4 }))
  .map(([first, ssrc, rest]) => [first, ...rest, { type: 'SDES', chunks: [{ ssrc, items: [{ type: SDES_ITEM.CNAME, text: 'x@192.0.2.1' }] }] }]);

describe('RTCP compound properties', () => {
  it('decode(encode(packets)) gives the packets back', () => {
    fc.assert(
      fc.property(compound, (packets) => {
        expect(plain(decodeRtcpCompound(encodeRtcpCompound(packets)))).toEqual(plain(packets));
      }),
      { numRuns: runs(300) },
    );
  });

  it('decodeRtcpCompound on arbitrary bytes returns packets or throws RtcpError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated(compound.map((c) => encodeRtcpCompound(c)))), (bytes) => {
        try {
          decodeRtcpCompound(bytes);
        } catch (err) {
          if (!(err instanceof RtcpError)) throw new Error(`decodeRtcpCompound threw a non-RtcpError for ${Buffer.from(bytes).toString('hex')}`, { cause: err });
        }
      }),
      { numRuns: runs(2000) },
    );
  });
});
