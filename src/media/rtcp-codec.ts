// RTCP bytes (RFC 3550 §6.4–6.7): packets and compound packets encoded exactly, and decoded with
// the validity checks of RFC 3550 Appendix A.2. Pure.

import {
  RTCP_PT,
  RtcpError,
  SDES_ITEM,
  type RtcpBye,
  type RtcpPacket,
  type RtcpReceiverReport,
  type RtcpReportBlock,
  type RtcpSenderReport,
  type RtcpSourceDescription,
  type SdesItem,
} from './rtcp-packet.js';

// ---------------------------------------------------------------------------------------------
// Encoding

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

const isUint = (v: number, bits: number): boolean => Number.isInteger(v) && v >= 0 && v < 2 ** bits;

function check(ok: boolean, what: string): void {
  if (!ok) throw new RtcpError('bad-field', what);
}

/** Growable big-endian writer. */
class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }
  u16At(at: number, v: number): void {
    this.view.setUint16(at, v);
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  align4(): void {
    while (this.length % 4 !== 0) this.u8(0);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeReportBlock(w: Writer, b: RtcpReportBlock): void {
  check(isUint(b.ssrc, 32), `report block SSRC must be 32-bit unsigned, got ${b.ssrc}`);
  check(isUint(b.fractionLost, 8), `fraction lost must be 0..255, got ${b.fractionLost}`);
  check(Number.isInteger(b.cumulativeLost) && b.cumulativeLost >= -0x80_0000 && b.cumulativeLost <= 0x7f_ffff, `cumulative lost must be 24-bit signed, got ${b.cumulativeLost}`);
  for (const [k, v] of [['highest sequence', b.highestSequence], ['jitter', b.jitter], ['LSR', b.lastSr], ['DLSR', b.delaySinceLastSr]] as const) {
    check(isUint(v, 32), `${k} must be 32-bit unsigned, got ${v}`);
  }
  // RFC 3550 §6.4.1: fraction lost (8 bits) and cumulative lost (24 bits, signed) share a word.
  w.u32(b.ssrc);
  w.u32((b.fractionLost << 24) | (b.cumulativeLost & 0xff_ffff));
  w.u32(b.highestSequence);
  w.u32(b.jitter);
  w.u32(b.lastSr);
  w.u32(b.delaySinceLastSr);
}

function writeText(w: Writer, type: number, text: string): void {
  const bytes = utf8.encode(text);
  check(bytes.length <= 255, `SDES/BYE text is ${bytes.length} bytes, at most 255 fit`);
  if (type >= 0) w.u8(type);
  w.u8(bytes.length);
  w.bytes(bytes);
}

/** Appends one packet; the header's length is patched once the body is written. */
function writePacket(w: Writer, p: RtcpPacket): void {
  const start = w.length;
  const header = (count: number, pt: number): void => {
    check(isUint(count, 5), `RTCP count field holds 0..31, got ${count}`);
    w.u32(((0x80 | count) << 24) | (pt << 16));
  };
  switch (p.type) {
    case 'SR':
    case 'RR': {
      header(p.reports.length, p.type === 'SR' ? RTCP_PT.SR : RTCP_PT.RR);
      check(isUint(p.ssrc, 32), `SSRC must be 32-bit unsigned, got ${p.ssrc}`);
      w.u32(p.ssrc);
      if (p.type === 'SR') {
        // RFC 3550 §6.4.1: sender info.
        for (const v of [p.ntp.seconds, p.ntp.fraction, p.rtpTimestamp, p.packetCount, p.octetCount]) check(isUint(v, 32), `sender info fields are 32-bit unsigned, got ${v}`);
        w.u32(p.ntp.seconds);
        w.u32(p.ntp.fraction);
        w.u32(p.rtpTimestamp);
        w.u32(p.packetCount);
        w.u32(p.octetCount);
      }
      for (const b of p.reports) writeReportBlock(w, b);
      if (p.extension) {
        check(p.extension.length % 4 === 0, `profile extension must be a multiple of 4 bytes, got ${p.extension.length}`);
        w.bytes(p.extension);
      }
      break;
    }
    case 'SDES':
      header(p.chunks.length, RTCP_PT.SDES);
      for (const chunk of p.chunks) {
        // RFC 3550 §6.5: SSRC, items, then one or more null octets up to a 32-bit boundary.
        check(isUint(chunk.ssrc, 32), `SDES chunk SSRC must be 32-bit unsigned, got ${chunk.ssrc}`);
        w.u32(chunk.ssrc);
        for (const item of chunk.items) {
          check(isUint(item.type, 8) && item.type !== 0, `SDES item type must be 1..255, got ${item.type}`);
          writeText(w, item.type, item.text);
        }
        w.u8(0);
        w.align4();
      }
      break;
    case 'BYE':
      header(p.ssrcs.length, RTCP_PT.BYE);
      for (const s of p.ssrcs) {
        check(isUint(s, 32), `BYE SSRC must be 32-bit unsigned, got ${s}`);
        w.u32(s);
      }
      // RFC 3550 §6.6: optional length-prefixed reason, padded with nulls.
      if (p.reason !== undefined) writeText(w, -1, p.reason);
      w.align4();
      break;
    case 'APP': {
      header(p.subtype, RTCP_PT.APP);
      check(isUint(p.ssrc, 32), `SSRC must be 32-bit unsigned, got ${p.ssrc}`);
      const name = utf8.encode(p.name);
      check(name.length === 4 && /^[\x20-\x7e]{4}$/.test(p.name), `APP name must be 4 ASCII characters, got ${JSON.stringify(p.name)}`);
      check(p.data.length % 4 === 0, `APP data must be a multiple of 4 bytes, got ${p.data.length}`);
      w.u32(p.ssrc);
      w.bytes(name);
      w.bytes(p.data);
      break;
    }
    case 'unknown':
      check(isUint(p.packetType, 8), `packet type must be 0..255, got ${p.packetType}`);
      check(p.body.length % 4 === 0, `packet body must be a multiple of 4 bytes, got ${p.body.length}`);
      header(p.count, p.packetType);
      w.bytes(p.body);
      break;
  }
  const words = (w.length - start) / 4 - 1;
  check(words < 0x1_0000, `RTCP packet of ${w.length - start} bytes does not fit the length field`);
  w.u16At(start + 2, words);
}

/**
 * Serializes one RTCP packet (no compound checks). Mostly useful for tests and for
 * {@link encodeRtcpCompound}.
 *
 * @throws {@link RtcpError} `bad-field` for an out-of-range field.
 */
export function encodeRtcpPacket(packet: RtcpPacket): Uint8Array {
  const w = new Writer();
  writePacket(w, packet);
  return w.done();
}

/**
 * Serializes a compound RTCP packet (RFC 3550 §6.1): the first packet must be an SR or RR and,
 * unless `requireCname` is false, an SDES packet must carry a CNAME item.
 *
 * @throws {@link RtcpError} `bad-first-packet`, `missing-cname` or `bad-field`.
 * @example
 * ```ts
 * const bytes = encodeRtcpCompound([
 *   { type: 'RR', ssrc, reports: [stats.reportBlock(clock.now())] },
 *   { type: 'SDES', chunks: [{ ssrc, items: [{ type: SDES_ITEM.CNAME, text: 'alice@192.0.2.1' }] }] },
 * ]);
 * ```
 */
export function encodeRtcpCompound(packets: readonly RtcpPacket[], options: { requireCname?: boolean } = {}): Uint8Array {
  const first = packets[0];
  if (first === undefined || (first.type !== 'SR' && first.type !== 'RR')) {
    throw new RtcpError('bad-first-packet', `a compound RTCP packet must start with SR or RR, got ${first?.type ?? 'nothing'}`);
  }
  const hasCname = packets.some((p) => p.type === 'SDES' && p.chunks.some((c) => c.items.some((i) => i.type === SDES_ITEM.CNAME)));
  if (options.requireCname !== false && !hasCname) throw new RtcpError('missing-cname', 'every compound RTCP packet must carry an SDES CNAME (RFC 3550 §6.1)');
  const w = new Writer();
  for (const p of packets) writePacket(w, p);
  return w.done();
}

// ---------------------------------------------------------------------------------------------
// Decoding

function readReportBlocks(view: DataView, at: number, count: number): RtcpReportBlock[] {
  const blocks: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++, at += 24) {
    const word = view.getUint32(at + 4);
    blocks.push({
      ssrc: view.getUint32(at),
      fractionLost: word >>> 24,
      cumulativeLost: (word << 8) >> 8, // sign-extend the 24-bit field
      highestSequence: view.getUint32(at + 8),
      jitter: view.getUint32(at + 12),
      lastSr: view.getUint32(at + 16),
      delaySinceLastSr: view.getUint32(at + 20),
    });
  }
  return blocks;
}

/** Parses the body of one packet; `body` excludes the 4-byte header and any padding. */
function readPacket(pt: number, count: number, body: Uint8Array): RtcpPacket {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const need = (n: number, what: string): void => {
    if (body.length < n) throw new RtcpError('malformed', `${what} needs ${n} bytes, packet body has ${body.length}`);
  };
  switch (pt) {
    case RTCP_PT.SR: {
      need(24 + 24 * count, `SR with ${count} report blocks`);
      const ext = body.subarray(24 + 24 * count);
      const sr: RtcpSenderReport = {
        type: 'SR',
        ssrc: view.getUint32(0),
        ntp: { seconds: view.getUint32(4), fraction: view.getUint32(8) },
        rtpTimestamp: view.getUint32(12),
        packetCount: view.getUint32(16),
        octetCount: view.getUint32(20),
        reports: readReportBlocks(view, 24, count),
      };
      if (ext.length > 0) sr.extension = ext;
      return sr;
    }
    case RTCP_PT.RR: {
      need(4 + 24 * count, `RR with ${count} report blocks`);
      const ext = body.subarray(4 + 24 * count);
      const rr: RtcpReceiverReport = { type: 'RR', ssrc: view.getUint32(0), reports: readReportBlocks(view, 4, count) };
      if (ext.length > 0) rr.extension = ext;
      return rr;
    }
    case RTCP_PT.SDES: {
      const chunks: RtcpSourceDescription['chunks'] = [];
      let at = 0;
      for (let i = 0; i < count; i++) {
        need(at + 4, `SDES chunk ${i + 1}`);
        const ssrc = view.getUint32(at);
        at += 4;
        const items: SdesItem[] = [];
        // RFC 3550 §6.5: items until a null octet, then nulls up to the next 32-bit boundary.
        for (;;) {
          need(at + 1, `SDES chunk ${i + 1} item list`);
          const type = body[at]!;
          if (type === 0) break;
          need(at + 2, `SDES item`);
          const len = body[at + 1]!;
          need(at + 2 + len, `SDES item of ${len} bytes`);
          items.push({ type, text: fromUtf8.decode(body.subarray(at + 2, at + 2 + len)) });
          at += 2 + len;
        }
        at = (at + 4) & ~3; // past the terminating null and the padding
        need(at, `SDES chunk ${i + 1} padding`);
        chunks.push({ ssrc, items });
      }
      return { type: 'SDES', chunks };
    }
    case RTCP_PT.BYE: {
      need(4 * count, `BYE with ${count} sources`);
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(4 * i));
      const bye: RtcpBye = { type: 'BYE', ssrcs };
      const at = 4 * count;
      if (body.length > at) {
        const len = body[at]!;
        need(at + 1 + len, `BYE reason of ${len} bytes`);
        if (len > 0) bye.reason = fromUtf8.decode(body.subarray(at + 1, at + 1 + len));
      }
      return bye;
    }
    case RTCP_PT.APP:
      need(8, 'APP packet');
      return { type: 'APP', subtype: count, ssrc: view.getUint32(0), name: String.fromCharCode(...body.subarray(4, 8)), data: body.subarray(8) };
    default:
      return { type: 'unknown', packetType: pt, count, body };
  }
}

/**
 * Parses a compound RTCP packet with the validity checks of RFC 3550 Appendix A.2: every packet
 * version 2, the first an SR or RR without padding, padding only on the last packet, and packet
 * lengths adding up to the datagram. Byte fields (`extension`, `data`, `body`) are views into `bytes`.
 *
 * @throws {@link RtcpError} (and nothing else) when a check fails.
 */
export function decodeRtcpCompound(bytes: Uint8Array): RtcpPacket[] {
  if (bytes.length < 4) throw new RtcpError('too-short', `RTCP datagram of ${bytes.length} bytes is shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 4) throw new RtcpError('bad-length', `${bytes.length - at} stray bytes after the last RTCP packet`);
    const b0 = bytes[at]!;
    const pt = bytes[at + 1]!;
    const length = (view.getUint16(at + 2) + 1) * 4;
    // RFC 3550 §A.2: version 2 everywhere.
    if (b0 >> 6 !== 2) throw new RtcpError('bad-version', `RTCP version must be 2, got ${b0 >> 6}`);
    const padded = (b0 & 0x20) !== 0;
    // RFC 3550 §A.2: the first packet is SR or RR, and carries no padding.
    if (at === 0 && ((pt !== RTCP_PT.SR && pt !== RTCP_PT.RR) || padded)) {
      throw new RtcpError('bad-first-packet', `a compound RTCP packet must start with an unpadded SR or RR, got PT ${pt}${padded ? ' with padding' : ''}`);
    }
    // RFC 3550 §A.2: the lengths must add up to the datagram.
    if (at + length > bytes.length) throw new RtcpError('bad-length', `RTCP packet of ${length} bytes runs past the end of the datagram`);
    let end = at + length;
    if (padded) {
      // Padding only on the last packet; its last octet counts the padding (RFC 3550 §6.4.1 "P").
      if (end !== bytes.length) throw new RtcpError('bad-padding', 'padding on an RTCP packet that is not the last of the compound packet');
      const pad = bytes[end - 1]!;
      if (pad === 0 || pad > length - 4) throw new RtcpError('bad-padding', `padding count ${pad} does not fit a ${length}-byte RTCP packet`);
      end -= pad;
    }
    packets.push(readPacket(pt, b0 & 0x1f, bytes.subarray(at + 4, end)));
    at += length;
  }
  return packets;
}
