// The pcap report (`sipflow run --pcap run.pcap`): every SIP message and every RTP/RTCP datagram
// of the recorded runs as a classic libpcap capture, with their real addresses, ports and times,
// for Wireshark, tshark and sngrep. Each datagram becomes one Ethernet frame holding one IPv4 (or
// IPv6) packet holding one UDP datagram, with correct IP and UDP checksums. Built from the run
// records alone (`run.sip` and `run.packets`); nothing is captured live.

import type { RtpEvent, SipEvent } from '../../engine/run-events.js';
import type { Endpoint } from '../../sip/transport/transport.js';
import { isIP } from 'node:net';
import { isWildcard, loopbackOf, plainAddress, realHost, runSockets } from './run-sockets.js';
import type { ScenarioRun } from './scenario-run.js';

/**
 * One datagram of the capture, as it went over the wire: what {@link capturedPackets} lists and
 * {@link writePcap} writes.
 *
 * @example
 * ```ts
 * const sip = capturedPackets([run]).filter((p: CapturedPacket) => p.protocol === 'sip');
 * console.log(new TextDecoder().decode(sip[0]!.data)); // INVITE sip:200@127.0.0.1:15062 SIP/2.0 …
 * ```
 */
export interface CapturedPacket {
  /** When it was sent (or received, when only its arrival was seen), Unix µs. */
  readonly timeUs: number;
  readonly protocol: 'sip' | 'rtp' | 'rtcp';
  /** The sender's address and port (an instance's real address, never 0.0.0.0 when it is known). */
  readonly source: Endpoint;
  /** The receiver's address and port. */
  readonly destination: Endpoint;
  /** The UDP payload: the SIP message as UTF-8, or the RTP/RTCP datagram. */
  readonly data: Uint8Array;
  /** The run event it was drawn from. */
  readonly event: SipEvent | RtpEvent;
}

/** The link type written: LINKTYPE_ETHERNET (1), which Wireshark, tshark and sngrep 1.6 all read. */
const PCAP_LINK_TYPE = 1;
/** The capture's snapshot length: longer frames (a UDP payload over 65479 bytes) are cut to it. */
const PCAP_SNAPLEN = 65535;

const ETHERNET = 14;
const IPV4 = 20;
const IPV6 = 40;
const UDP = 8;
const UDP_PROTOCOL = 17;
const utf8 = new TextEncoder();

/**
 * Every datagram of the runs, in time order (stable for equal times: a run's SIP messages, then
 * its RTP/RTCP, runs in the order given), de-duplicated as the ladder is: a datagram between two
 * sockets of the same run appears in its events twice (the sender's `sent` event and the
 * receiver's `received` one) and once here, from its `sent` half. A `received` event is that other
 * half when its remote endpoint is a socket of the run: an instance's SIP socket, or the local
 * socket of any of the run's `rtp` events. A datagram to or from a party outside the run (a PBX,
 * SIPp) has one event and is kept.
 *
 * Instances bound to a wildcard address (PBX mode binds 0.0.0.0, and its RTP sockets may be too)
 * have `local.address` '0.0.0.0' (or '::') in their events: the packet gets the instance's real
 * address instead, the host of its Contact URI (`sip:dn@HOST:port`), which is the address it
 * advertises and peers send to; with a peer on loopback, 127.0.0.1 (or ::1), the address the
 * kernel uses there. A datagram sent to a wildcard address (which reaches this host) is written to
 * loopback. A wildcard socket matches, for the de-duplication, a remote endpoint on its port whose
 * address is the Contact host or a loopback address. When the Contact host is not an IP address
 * the wildcard stays.
 *
 * @example
 * ```ts
 * for (const p of capturedPackets([recorder.record()])) {
 *   console.log(p.timeUs, p.protocol, `${p.source.address}:${p.source.port} → ${p.destination.address}:${p.destination.port}`);
 * }
 * ```
 */
export function capturedPackets(runs: readonly ScenarioRun[]): CapturedPacket[] {
  const all = runs.flatMap(packetsOf);
  // Array.prototype.sort is stable (ES2019): equal times keep the order above.
  return all.sort((a, b) => a.timeUs - b.timeUs);
}

/**
 * One classic libpcap capture file of all the runs (magic 0xa1b2c3d4, little-endian, microsecond
 * timestamps, version 2.4, snaplen 65535, LINKTYPE_ETHERNET): every packet of
 * {@link capturedPackets}, in that order, stamped with its event's `timeUs`.
 *
 * Each datagram is one Ethernet II frame (locally administered MACs `02:00:` + the last four
 * bytes of the IP address, so each host keeps its own) carrying one IPv4 packet (RFC 791, header
 * checksum computed, Don't Fragment set, TTL 64) or, when either address is IPv6, one IPv6 packet
 * (RFC 8200, hop limit 64; IPv4 addresses then written IPv4-mapped), carrying one UDP datagram
 * (RFC 768) whose checksum is computed over the pseudo-header (RFC 768; RFC 8200 §8.1 for IPv6,
 * where it is mandatory). An address that is not an IP literal is written as 0.0.0.0 (or ::).
 *
 * A datagram larger than a link's MTU is written whole in one IP packet, not fragmented, as on
 * loopback (whose MTU is 64 KiB) where the runs take place. A payload longer than one IP packet can
 * hold at all (65507 bytes over IPv4, 65527 over IPv6; no real UDP datagram is) is cut to fit, and
 * a frame longer than the snaplen is recorded cut to it with its full length as `orig_len`, as
 * libpcap does.
 *
 * @example
 * ```ts
 * const recorder = new ScenarioRecorder({ file: 'examples/basic-call.json', packets: true });
 * engine.addReporter(recorder);
 * await engine.run(loadScenarioFile('examples/basic-call.json'));
 * writeFileSync('run.pcap', writePcap([recorder.record()]));
 * // tshark -r run.pcap -Y sip   ·   sngrep -I run.pcap
 * ```
 */
export function writePcap(runs: readonly ScenarioRun[]): Uint8Array {
  const frames = capturedPackets(runs).map((p, i) => ({ timeUs: p.timeUs, frame: frameOf(p, i) }));
  let size = 24;
  for (const f of frames) size += 16 + Math.min(f.frame.length, PCAP_SNAPLEN);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true); // magic: microsecond timestamps, our byte order
  view.setUint16(4, 2, true); // version 2.4
  view.setUint16(6, 4, true);
  view.setInt32(8, 0, true); // thiszone: times are UTC
  view.setUint32(12, 0, true); // sigfigs
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, PCAP_LINK_TYPE, true);
  let at = 24;
  for (const { timeUs, frame } of frames) {
    const us = Number.isFinite(timeUs) && timeUs > 0 ? Math.floor(timeUs) : 0;
    const kept = Math.min(frame.length, PCAP_SNAPLEN);
    view.setUint32(at, Math.floor(us / 1e6) >>> 0, true);
    view.setUint32(at + 4, us % 1e6, true);
    view.setUint32(at + 8, kept, true);
    view.setUint32(at + 12, frame.length, true);
    out.set(frame.subarray(0, kept), at + 16);
    at += 16 + kept;
  }
  return out;
}

// ---- which datagrams --------------------------------------------------------------------------

function packetsOf(run: ScenarioRun): CapturedPacket[] {
  const sockets = runSockets(run);

  const out: CapturedPacket[] = [];
  const take = (event: SipEvent | RtpEvent, protocol: CapturedPacket['protocol'], data: Uint8Array): void => {
    // The receiving half of a datagram between two sockets of the run: its sent half is kept.
    if (event.direction === 'received' && sockets.owner(event.remote) !== undefined) return;
    const remote = isWildcard(event.remote.address) ? { address: loopbackOf(event.remote.address), port: event.remote.port } : event.remote;
    const local = isWildcard(event.local.address) ? { address: realHost(event.local.address, remote.address, sockets.host(event.instanceId)), port: event.local.port } : event.local;
    const [source, destination] = event.direction === 'sent' ? [local, remote] : [remote, local];
    out.push({ timeUs: event.timeUs, protocol, source, destination, data, event });
  };
  for (const e of run.sip) take(e, 'sip', utf8.encode(e.raw));
  for (const p of run.packets) take(p, p.protocol, p.data);
  return out;
}

// ---- the frames -------------------------------------------------------------------------------

/** The packet as one Ethernet frame; `id` numbers IPv4 packets. */
function frameOf(p: CapturedPacket, id: number): Uint8Array {
  let src = ipBytes(p.source.address);
  let dst = ipBytes(p.destination.address);
  const v6 = src?.length === 16 || dst?.length === 16;
  src = widen(src, v6);
  dst = widen(dst, v6);
  const ipHeader = v6 ? IPV6 : IPV4;
  // IPv4 Total Length and IPv6 Payload Length are 16 bits: cut what cannot fit (see writePcap).
  const room = v6 ? 0xffff - UDP : 0xffff - IPV4 - UDP;
  const data = p.data.length > room ? p.data.subarray(0, room) : p.data;
  const udpLength = UDP + data.length;
  const frame = new Uint8Array(ETHERNET + ipHeader + udpLength);
  const view = new DataView(frame.buffer);

  // Ethernet II: destination MAC, source MAC, EtherType.
  frame.set(macOf(dst), 0);
  frame.set(macOf(src), 6);
  view.setUint16(12, v6 ? 0x86dd : 0x0800);

  const ip = ETHERNET;
  if (v6) {
    // RFC 8200 §3: version 6, traffic class 0, flow label 0; payload length; next header; hop limit.
    view.setUint32(ip, 0x60000000);
    view.setUint16(ip + 4, udpLength);
    frame[ip + 6] = UDP_PROTOCOL;
    frame[ip + 7] = 64;
    frame.set(src, ip + 8);
    frame.set(dst, ip + 24);
  } else {
    // RFC 791 §3.1: version 4, IHL 5 (no options); total length; identification; flags (DF) and
    // fragment offset 0; TTL; protocol; header checksum; source; destination.
    frame[ip] = 0x45;
    view.setUint16(ip + 2, IPV4 + udpLength);
    view.setUint16(ip + 4, id & 0xffff);
    view.setUint16(ip + 6, 0x4000);
    frame[ip + 8] = 64;
    frame[ip + 9] = UDP_PROTOCOL;
    frame.set(src, ip + 12);
    frame.set(dst, ip + 16);
    // The one's complement of the one's complement sum of the header's 16-bit words (checksum 0).
    view.setUint16(ip + 10, ~fold(sum16(frame, ip, ip + IPV4, 0)) & 0xffff);
  }

  // RFC 768: source port, destination port, length, checksum; then the data.
  const udp = ip + ipHeader;
  view.setUint16(udp, p.source.port & 0xffff);
  view.setUint16(udp + 2, p.destination.port & 0xffff);
  view.setUint16(udp + 4, udpLength);
  frame.set(data, udp + UDP);
  // The pseudo-header: addresses, protocol and UDP length (RFC 768; RFC 8200 §8.1 orders it
  // addresses, 32-bit length, zeros, next header: the same 16-bit sum).
  let sum = sum16(frame, v6 ? ip + 8 : ip + 12, v6 ? ip + 40 : ip + 20, 0);
  sum += UDP_PROTOCOL + udpLength;
  sum = sum16(frame, udp, udp + udpLength, sum);
  const checksum = ~fold(sum) & 0xffff;
  // A computed 0 is sent as all ones (RFC 768; 0 means "no checksum", which IPv6 forbids).
  view.setUint16(udp + 6, checksum === 0 ? 0xffff : checksum);
  return frame;
}

/** The sum of `bytes[from..to)` as big-endian 16-bit words (an odd last byte padded with 0), added to `sum`. */
function sum16(bytes: Uint8Array, from: number, to: number, sum: number): number {
  let s = sum;
  let i = from;
  for (; i + 1 < to; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < to) s += bytes[i]! << 8;
  return s;
}

/** Folds the carries of a sum back in: the 16-bit one's complement sum. */
function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** A MAC for an address: locally administered, unicast (`02:00:` + its last four bytes). */
function macOf(ip: Uint8Array): Uint8Array {
  return Uint8Array.of(0x02, 0x00, ...ip.subarray(ip.length - 4));
}

/** The address as 4 or 16 bytes, made 16 (IPv4-mapped) for an IPv6 packet; an unknown one all zeros. */
function widen(ip: Uint8Array | undefined, v6: boolean): Uint8Array {
  if (!v6) return ip ?? new Uint8Array(4);
  if (ip === undefined) return new Uint8Array(16);
  if (ip.length === 16) return ip;
  return Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip);
}

/** An IP literal's bytes: 4 for IPv4 (and IPv4-mapped IPv6), 16 for IPv6; undefined for a host name. */
function ipBytes(address: string): Uint8Array | undefined {
  const a = plainAddress(address);
  const family = isIP(a);
  if (family === 4) return Uint8Array.from(a.split('.').map(Number));
  if (family !== 6) return undefined;
  const [head, tail] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const words = (part: string | undefined): number[] => {
    if (part === undefined || part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [b0, b1, b2, b3] = g.split('.').map(Number) as [number, number, number, number];
      return [(b0 << 8) | b1, (b2 << 8) | b3];
    });
  };
  const left = words(head);
  const right = words(tail);
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
