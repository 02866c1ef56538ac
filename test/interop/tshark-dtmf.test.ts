// Interop with Wireshark's dissectors (issue 6): the RTP a MediaSession sends for DTMF, captured
// on loopback and written as a pcap file, decodes with tshark's `rtpevent` dissector to exactly
// the digits sent. The capture is taken by a UDP socket that receives the packets (a live tshark
// capture would need capture privileges); each datagram is wrapped in IPv4/UDP headers as it
// arrived. Without tshark on PATH the test is skipped with a warning.
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaSession } from '../../src/media/media-session.js';

const TSHARK = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0 ? 'tshark' : undefined;
if (TSHARK === undefined) {
  console.warn('tshark not found: skipping test/interop/tshark-dtmf.test.ts (install Wireshark\'s tshark, e.g. apt-get install tshark, to run it)');
}

interface Captured {
  at: number;
  srcPort: number;
  dstPort: number;
  data: Buffer;
}

/** A pcap file (LINKTYPE_RAW: each record an IPv4 packet) of UDP datagrams on 127.0.0.1. */
function pcap(records: readonly Captured[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16); // snaplen
  header.writeUInt32LE(101, 20); // LINKTYPE_RAW
  const parts: Buffer[] = [header];
  for (const r of records) {
    const ip = Buffer.alloc(20);
    const total = 20 + 8 + r.data.length;
    ip.writeUInt8(0x45, 0);
    ip.writeUInt16BE(total, 2);
    ip.writeUInt8(64, 8); // TTL
    ip.writeUInt8(17, 9); // UDP
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(r.srcPort, 0);
    udp.writeUInt16BE(r.dstPort, 2);
    udp.writeUInt16BE(8 + r.data.length, 4); // checksum 0: not computed (allowed for IPv4)
    const rec = Buffer.alloc(16);
    const micros = Math.round(r.at * 1000);
    rec.writeUInt32LE(Math.floor(micros / 1e6), 0);
    rec.writeUInt32LE(micros % 1e6, 4);
    rec.writeUInt32LE(total, 8);
    rec.writeUInt32LE(total, 12);
    parts.push(rec, ip, udp, r.data);
  }
  return Buffer.concat(parts);
}

const sessions: MediaSession[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  for (const s of sockets.splice(0)) s.close();
});

describe.skipIf(TSHARK === undefined)('tshark decodes our RFC 4733 DTMF (rtpevent)', () => {
  it('the digits sent are the digits Wireshark sees, once each', async () => {
    const sender = await MediaSession.open({ host: '127.0.0.1', silence: false, portRange: { min: 40000, max: 49999 } });
    sessions.push(sender);
    const sink = createSocket('udp4');
    sockets.push(sink);
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
    const port = sink.address().port;
    const captured: Captured[] = [];
    const t0 = performance.now();
    sink.on('message', (msg, rinfo) => captured.push({ at: performance.timeOrigin + performance.now() - t0, srcPort: rinfo.port, dstPort: port, data: Buffer.from(msg) }));
    sender.update({ codec: 'PCMU', payloadType: 0, telephoneEventPayloadType: 101, remoteAddress: '127.0.0.1', remotePort: port, direction: 'sendrecv' });
    const digits = '159*#0D';
    await sender.sendDtmf(digits, { durationMs: 80, gapMs: 60 });
    await new Promise((r) => setTimeout(r, 50));
    const dir = await mkdtemp(join(tmpdir(), 'sipflow-tshark-'));
    try {
      const file = join(dir, 'dtmf.pcap');
      await writeFile(file, pcap(captured));
      const out = spawnSync(TSHARK!, ['-r', file, '-d', `udp.port==${port},rtp`, '-o', 'rtpevent.event_payload_type_value:101', '-T', 'fields', '-E', 'separator=,', '-e', 'rtp.timestamp', '-e', 'rtpevent.event_id', '-e', 'rtpevent.end_of_event', '-e', 'rtp.marker'], { encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      const rows = out.stdout.trim().split('\n').map((l) => l.split(','));
      expect(rows.length).toBe(captured.length);
      // One key press per RTP timestamp (RFC 4733 §2.5.1.2); the marker bit only on its first packet.
      const byTimestamp = new Map<string, string[][]>();
      for (const row of rows) byTimestamp.set(row[0]!, [...(byTimestamp.get(row[0]!) ?? []), row]);
      const names = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];
      const seen = [...byTimestamp.values()].map((packets) => {
        expect(packets.filter((p) => p[3] === '1' || p[3] === 'True').length).toBe(1);
        expect(packets.filter((p) => p[2] === '1' || p[2] === 'True').length).toBe(3);
        return names[Number(packets[0]![1])];
      });
      expect(seen.join('')).toBe(digits);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
