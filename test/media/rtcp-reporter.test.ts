// A session's RTCP over real UDP on 127.0.0.1, on the virtual clock: reports at the randomised
// interval, RR until we send and SR after, replies going where the peer's RTCP comes from, what
// the peer says about our stream, and BYE on stop.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRtcpCompound, encodeRtcpCompound } from '../../src/media/rtcp-codec.js';
import type { RtcpPacket } from '../../src/media/rtcp-packet.js';
import { RtcpReporter } from '../../src/media/rtcp-reporter.js';
import { ReceptionStats, SendStats } from '../../src/media/rtp-stats.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function udp(): Promise<{ socket: Socket; port: number; got: RtcpPacket[][]; next: () => Promise<RtcpPacket[]> }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const got: RtcpPacket[][] = [];
  const waiting: Array<(p: RtcpPacket[]) => void> = [];
  socket.on('message', (msg) => {
    const packets = decodeRtcpCompound(msg);
    const w = waiting.shift();
    if (w) w(packets);
    else got.push(packets);
  });
  const next = (): Promise<RtcpPacket[]> => new Promise((resolve) => (got.length > 0 ? resolve(got.shift()!) : waiting.push(resolve)));
  return { socket, port: (socket.address() as { port: number }).port, got, next };
}

async function setup(): Promise<{ clock: VirtualClock; reporter: RtcpReporter; ours: Awaited<ReturnType<typeof udp>>; peer: Awaited<ReturnType<typeof udp>>; send: SendStats; received: RtcpPacket[][] }> {
  const clock = new VirtualClock();
  const ours = await udp();
  const peer = await udp();
  const send = new SendStats();
  const received: RtcpPacket[][] = [];
  const reporter = new RtcpReporter({
    socket: ours.socket,
    clock,
    ssrc: 0x1234,
    sendStats: send,
    recvStats: new ReceptionStats(),
    cname: 'test@127.0.0.1',
    intervalMs: 1000,
    random: () => 0.5, // ×1.0: reports exactly every second
    onPackets: (p) => received.push(p),
    onIgnored: () => undefined,
  });
  return { clock, reporter, ours, peer, send, received };
}

describe('RtcpReporter', () => {
  it('sends nothing before it knows where, then an RR with SDES CNAME every interval', async () => {
    const { clock, reporter, peer } = await setup();
    clock.advance(1000);
    reporter.sendTo({ address: '127.0.0.1', port: peer.port });
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 30));
    expect(peer.got).toHaveLength(0);
    clock.advance(1);
    const first = await peer.next();
    expect(first.map((p) => p.type)).toEqual(['RR', 'SDES']);
    expect(first[0]).toMatchObject({ type: 'RR', ssrc: 0x1234, reports: [] });
    expect(first[1]).toMatchObject({ chunks: [{ ssrc: 0x1234, items: [{ type: 1, text: 'test@127.0.0.1' }] }] });
    reporter.stop();
  });

  it('sends an SR once packets went out, answers where the peer RTCP comes from, keeps its report of us, and ends with BYE', async () => {
    const { clock, reporter, peer, ours, send, received } = await setup();
    const elsewhere = await udp();
    reporter.sendTo({ address: '127.0.0.1', port: elsewhere.port });
    // The peer's RR about our SSRC, from its real RTCP port.
    const rr: RtcpPacket = { type: 'RR', ssrc: 0x9999, reports: [{ ssrc: 0x1234, fractionLost: 64, cumulativeLost: 3, highestSequence: 100, jitter: 80, lastSr: 0, delaySinceLastSr: 0 }] };
    peer.socket.send(encodeRtcpCompound([rr, { type: 'SDES', chunks: [{ ssrc: 0x9999, items: [{ type: 1, text: 'peer' }] }] }]), ours.port, '127.0.0.1');
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(received).toHaveLength(1);
    expect(reporter.remoteReport).toEqual({ fractionLost: 0.25, cumulativeLost: 3, jitterMs: 10 });
    send.sent({ timestamp: 160, payload: new Uint8Array(160) }, clock.now());
    clock.advance(1000);
    const sr = await peer.next();
    expect(sr[0]).toMatchObject({ type: 'SR', ssrc: 0x1234, packetCount: 1, octetCount: 160 });
    reporter.stop();
    const last = await peer.next();
    expect(last.map((p) => p.type)).toEqual(['SR', 'SDES', 'BYE']);
    expect(last[2]).toMatchObject({ ssrcs: [0x1234] });
    clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(peer.got).toHaveLength(0);
    expect(elsewhere.got).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
