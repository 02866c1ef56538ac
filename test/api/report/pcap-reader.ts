// The pcap tests' own reader: written apart from src/api/report/pcap.ts (no code shared), so the
// tests check the file against the formats themselves: the libpcap global header and record
// headers, Ethernet II (and LINKTYPE_RAW, for files other tools write), IPv4 (RFC 791) and IPv6
// (RFC 8200) with UDP (RFC 768). It verifies the IPv4 header checksum and the UDP checksum of every
// whole packet and throws, naming the record, when one is wrong or the file is malformed.

/** A read capture. */
export interface PcapFile {
  /** True when the file was written little-endian. */
  readonly littleEndian: boolean;
  /** True for the nanosecond variant (magic 0xa1b23c4d). */
  readonly nanoseconds: boolean;
  readonly version: string;
  readonly snaplen: number;
  readonly linkType: number;
  readonly records: readonly PcapRecord[];
}

/** One record: its header and the UDP datagram inside. */
export interface PcapRecord {
  readonly seconds: number;
  /** Microseconds (or nanoseconds, for the nanosecond variant). */
  readonly fraction: number;
  /** The time in Unix µs. */
  readonly timeUs: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  /** Ethernet only: the MACs as `02:00:7f:00:00:01`. */
  readonly sourceMac: string | undefined;
  readonly destinationMac: string | undefined;
  readonly ipVersion: 4 | 6;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: number;
  /** IPv4 flags and fragment offset (0 for IPv6). */
  readonly fragmentField: number;
  /** The IP packet's total length as its header gives it. */
  readonly ipLength: number;
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** The UDP checksum field as written. */
  readonly udpChecksum: number;
  /** The UDP payload (cut short when the record was). */
  readonly payload: Uint8Array;
  /** The record was cut to the snaplen: its UDP checksum could not be verified. */
  readonly truncated: boolean;
}

/** Reads a classic pcap file of UDP over IPv4/IPv6, checking lengths and checksums. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw new Error(`not a pcap file: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = view.getUint32(0, true);
  const magicBe = view.getUint32(0, false);
  const magics = [0xa1b2c3d4, 0xa1b23c4d];
  let le: boolean;
  if (magics.includes(magicLe)) le = true;
  else if (magics.includes(magicBe)) le = false;
  else throw new Error(`bad pcap magic 0x${magicLe.toString(16)}`);
  const nanoseconds = (le ? magicLe : magicBe) === 0xa1b23c4d;
  const version = `${view.getUint16(4, le)}.${view.getUint16(6, le)}`;
  const snaplen = view.getUint32(16, le);
  const linkType = view.getUint32(20, le);
  if (linkType !== 1 && linkType !== 101) throw new Error(`link type ${linkType} not read here`);
  const records: PcapRecord[] = [];
  let at = 24;
  while (at < bytes.length) {
    const n = records.length;
    if (at + 16 > bytes.length) throw new Error(`record ${n}: header cut short`);
    const seconds = view.getUint32(at, le);
    const fraction = view.getUint32(at + 4, le);
    const capturedLength = view.getUint32(at + 8, le);
    const originalLength = view.getUint32(at + 12, le);
    if (capturedLength > snaplen) throw new Error(`record ${n}: ${capturedLength} bytes captured, over the snaplen ${snaplen}`);
    if (capturedLength > originalLength) throw new Error(`record ${n}: captured ${capturedLength} > original ${originalLength}`);
    if (at + 16 + capturedLength > bytes.length) throw new Error(`record ${n}: data cut short`);
    const frame = bytes.subarray(at + 16, at + 16 + capturedLength);
    const timeUs = seconds * 1_000_000 + (nanoseconds ? Math.floor(fraction / 1000) : fraction);
    records.push({ seconds, fraction, timeUs, capturedLength, originalLength, ...decodeFrame(frame, linkType, capturedLength < originalLength, n) });
    at += 16 + capturedLength;
  }
  return { littleEndian: le, nanoseconds, version, snaplen, linkType, records };
}

type Decoded = Omit<PcapRecord, 'seconds' | 'fraction' | 'timeUs' | 'capturedLength' | 'originalLength'>;

function decodeFrame(frame: Uint8Array, linkType: number, truncated: boolean, n: number): Decoded {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let ip = 0;
  let sourceMac: string | undefined;
  let destinationMac: string | undefined;
  if (linkType === 1) {
    if (frame.length < 14) throw new Error(`record ${n}: Ethernet header cut short`);
    destinationMac = mac(frame.subarray(0, 6));
    sourceMac = mac(frame.subarray(6, 12));
    const etherType = v.getUint16(12);
    if (etherType !== 0x0800 && etherType !== 0x86dd) throw new Error(`record ${n}: EtherType 0x${etherType.toString(16)} is not IP`);
    ip = 14;
  }
  const version = frame[ip]! >> 4;
  let udp: number;
  let ipLength: number;
  let ttl: number;
  let fragmentField = 0;
  let source: string;
  let destination: string;
  let pseudo: number;
  if (version === 4) {
    const ihl = (frame[ip]! & 0x0f) * 4;
    ipLength = v.getUint16(ip + 2);
    if (ihl < 20) throw new Error(`record ${n}: IPv4 header length ${ihl}`);
    if (!truncated && ip + ipLength !== frame.length) throw new Error(`record ${n}: IPv4 total length ${ipLength} but ${frame.length - ip} bytes`);
    if (onesComplementSum(frame.subarray(ip, ip + ihl)) !== 0xffff) throw new Error(`record ${n}: bad IPv4 header checksum`);
    if (frame[ip + 9] !== 17) throw new Error(`record ${n}: IPv4 protocol ${frame[ip + 9]} is not UDP`);
    fragmentField = v.getUint16(ip + 6);
    ttl = frame[ip + 8]!;
    source = frame.subarray(ip + 12, ip + 16).join('.');
    destination = frame.subarray(ip + 16, ip + 20).join('.');
    udp = ip + ihl;
    // RFC 768 pseudo-header: source, destination, zero, protocol, UDP length.
    pseudo = onesComplementSum(frame.subarray(ip + 12, ip + 20)) + 17 + (ipLength - ihl);
  } else if (version === 6) {
    const payloadLength = v.getUint16(ip + 4);
    ipLength = 40 + payloadLength;
    if (!truncated && ip + ipLength !== frame.length) throw new Error(`record ${n}: IPv6 payload length ${payloadLength} but ${frame.length - ip - 40} bytes`);
    if (frame[ip + 6] !== 17) throw new Error(`record ${n}: IPv6 next header ${frame[ip + 6]} is not UDP`);
    ttl = frame[ip + 7]!;
    source = ipv6Text(frame.subarray(ip + 8, ip + 24));
    destination = ipv6Text(frame.subarray(ip + 24, ip + 40));
    udp = ip + 40;
    // RFC 8200 §8.1 pseudo-header: source, destination, upper-layer length, next header.
    pseudo = onesComplementSum(frame.subarray(ip + 8, ip + 40)) + 17 + payloadLength;
  } else {
    throw new Error(`record ${n}: IP version ${version}`);
  }
  const udpLength = v.getUint16(udp + 4);
  if (!truncated && udp + udpLength !== frame.length) throw new Error(`record ${n}: UDP length ${udpLength} but ${frame.length - udp} bytes`);
  const udpChecksum = v.getUint16(udp + 6);
  if (!truncated) {
    if (udpChecksum === 0 && version === 6) throw new Error(`record ${n}: IPv6 UDP without checksum`);
    if (udpChecksum !== 0 && fold(pseudo + onesComplementSum(frame.subarray(udp, udp + udpLength))) !== 0xffff) throw new Error(`record ${n}: bad UDP checksum`);
  }
  return {
    sourceMac,
    destinationMac,
    ipVersion: version as 4 | 6,
    ttl,
    fragmentField,
    ipLength,
    source,
    destination,
    sourcePort: v.getUint16(udp),
    destinationPort: v.getUint16(udp + 2),
    udpChecksum,
    payload: frame.subarray(udp + 8, Math.min(frame.length, udp + udpLength)),
    truncated,
  };
}

/** The folded 16-bit one's complement sum of big-endian words (odd tail padded). */
function onesComplementSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += b[i]! * 256 + (b[i + 1] ?? 0);
  return fold(s);
}

function fold(n: number): number {
  let s = n;
  while (s > 0xffff) s = Math.floor(s / 65536) + (s & 0xffff);
  return s;
}

function mac(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero words as `::`. */
function ipv6Text(b: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => b[2 * i]! * 256 + b[2 * i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${[...b.subarray(12)].join('.')}`;
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}
