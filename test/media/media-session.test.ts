// Two MediaSessions over real UDP on 127.0.0.1: playback arrives with the right packets,
// timestamps and payload and is recorded faithfully; DTMF arrives exactly once per digit through a
// lossy, duplicating, reordering relay; direction changes stop and resume sending; the peer's
// real source address is followed (symmetric RTP); RTCP reports flow.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.js';
import { decodeMuLaw, encodeMuLaw } from '../../src/media/g711.js';
import { MediaSession, type MediaPacket, type MediaParameters } from '../../src/media/media-session.js';
import { decodeRtp, type RtpPacket } from '../../src/media/rtp-packet.js';
import { encodeWav, readWavFile } from '../../src/media/wav.js';
import { writeFile } from 'node:fs/promises';
import { decodeRtcpCompound, encodeRtcpCompound } from '../../src/media/rtcp-codec.js';
import { dlsrFromMs, ntpMiddle32, ntpToUnixMs, type RtcpSenderReport } from '../../src/media/rtcp-packet.js';
import { bindRtpPair } from '../../src/media/rtp-socket.js';
import { burstRatioOf } from '../../src/media/quality/burst.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';

const open: MediaSession[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const s of sockets.splice(0)) s.close();
});

async function session(options: Parameters<typeof MediaSession.open>[0] = {}): Promise<MediaSession> {
  const s = await MediaSession.open({ host: '127.0.0.1', portRange: { min: 30000, max: 39999 }, ...options });
  open.push(s);
  return s;
}

const to = (s: MediaSession, extra: Partial<MediaParameters> = {}): MediaParameters => ({
  codec: 'PCMU',
  payloadType: 0,
  telephoneEventPayloadType: 101,
  remoteAddress: '127.0.0.1',
  remotePort: s.local.port,
  direction: 'sendrecv',
  ...extra,
});

function tone(ms: number, hz = 440, amplitude = 8000): Int16Array {
  const n = (ms / 1000) * 8000;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

/** A UDP socket that records every RTP packet sent to it. */
async function sniffer(): Promise<{ socket: Socket; port: number; packets: RtpPacket[]; arrivals: number[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const packets: RtpPacket[] = [];
  const arrivals: number[] = [];
  socket.on('message', (msg) => {
    const copy = Buffer.from(msg);
    packets.push(decodeRtp(copy));
    arrivals.push(performance.now());
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { socket, port: socket.address().port, packets, arrivals };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (in real time) until `cond` holds, polling every millisecond; fails after `ms`. */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await wait(1);
  }
}

describe('MediaSession on loopback', () => {
  it('binds RTP on an even port with RTCP on the next one', async () => {
    const s = await session();
    expect(s.local.port % 2).toBe(0);
    expect(s.local.port).toBeGreaterThanOrEqual(30000);
    expect(s.local.port).toBeLessThanOrEqual(39998);
  });

  it('plays a file-length tone as 50 packets of 160 samples, paced 20 ms apart, with consecutive sequence numbers and timestamps', async () => {
    const a = await session({ silence: false });
    const sniff = await sniffer();
    a.update({ ...to(a), remotePort: sniff.port });
    const source = tone(1000);
    const result = await a.play(source);
    await wait(50);
    expect(result).toEqual({ packets: 50, durationMs: 1000, cancelled: false });
    expect(sniff.packets).toHaveLength(50);
    const first = sniff.packets[0]!;
    expect(first.marker).toBe(true);
    expect(first.payloadType).toBe(0);
    sniff.packets.forEach((p, i) => {
      expect(p.sequence).toBe((first.sequence + i) % 65536);
      expect(p.timestamp).toBe((first.timestamp + 160 * i) >>> 0);
      expect(p.ssrc).toBe(first.ssrc);
      expect(Array.from(p.payload)).toEqual(Array.from(encodeMuLaw(source.subarray(160 * i, 160 * (i + 1)))));
      if (i > 0) expect(p.marker).toBe(false);
    });
    // Paced by the clock: 49 intervals of 20 ms. The ticker schedules each tick from the start
    // time, so late timers do not add up: the span stays near 980 ms (a loaded machine may delay
    // the last packets by a timer's lateness, hence the margin, but not by 49 of them).
    const span = sniff.arrivals.at(-1)! - sniff.arrivals[0]!;
    expect(span).toBeGreaterThan(980 - 40);
    expect(span).toBeLessThan(980 + 150);
    expect(a.stats().packetsSent).toBe(50);
  });

  it('sends to a host name as well as to an IP literal (a c= line may carry an FQDN)', async () => {
    const a = await session({ silence: false });
    const sniff = await sniffer();
    a.update({ ...to(a), remoteAddress: 'localhost', remotePort: sniff.port });
    await a.play(tone(100));
    await wait(50);
    expect(sniff.packets).toHaveLength(5);
  });

  it('records what arrives; the copy matches the source within G.711 precision', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sipflow-rec-'));
    try {
      const a = await session({ silence: false });
      const b = await session({ silence: false });
      a.update(to(b));
      b.update({ ...to(a), direction: 'recvonly' });
      const path = join(dir, 'rx.wav');
      await b.record(path);
      const source = tone(400, 1000, 12000);
      await a.play(source);
      await wait(60);
      const rec = await b.stopRecording();
      expect(rec?.samples).toBe(source.length);
      const wav = await readWavFile(path);
      expect(wav.sampleRate).toBe(8000);
      expect(wav.channels).toBe(1);
      expect(wav.samples.length).toBe(source.length);
      const expected = decodeMuLaw(encodeMuLaw(source));
      expect(Array.from(wav.samples)).toEqual(Array.from(expected));
      expect(b.stats().packetsReceived).toBe(20);
      expect(b.stats().lost).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('records both directions as stereo: received on the left, sent on the right, in time with each other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sipflow-rec-'));
    /** Frequency from zero crossings (a clean tone). */
    const hz = (x: Int16Array): number => {
      let crossings = 0;
      for (let i = 1; i < x.length; i++) if (x[i - 1]! < 0 !== x[i]! < 0) crossings++;
      return crossings / 2 / (x.length / 8000);
    };
    try {
      const a = await session({ silence: false });
      const b = await session({ silence: false });
      a.update(to(b));
      b.update(to(a));
      const path = join(dir, 'both.wav');
      await a.record(path, { stereo: true });
      await Promise.all([a.play(tone(600, 440, 8000)), b.play(tone(600, 1000, 8000))]);
      await wait(60);
      const rec = await a.stopRecording();
      const wav = await readWavFile(path);
      expect(wav.channels).toBe(2);
      expect(rec!.samples).toBe(wav.samples.length / 2);
      expect(rec!.durationMs).toBeGreaterThanOrEqual(600);
      const left = new Int16Array(wav.samples.length / 2);
      const right = new Int16Array(wav.samples.length / 2);
      for (let i = 0; i < left.length; i++) {
        left[i] = wav.samples[2 * i]!;
        right[i] = wav.samples[2 * i + 1]!;
      }
      // The middle 400 ms of each channel: the tone b sent on the left, ours on the right.
      const mid = (x: Int16Array): Int16Array => x.subarray(1200, 1200 + 3200);
      expect(hz(mid(left))).toBeGreaterThan(980);
      expect(hz(mid(left))).toBeLessThan(1020);
      expect(hz(mid(right))).toBeGreaterThan(430);
      expect(hz(mid(right))).toBeLessThan(450);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('hands decoded received frames to audio listeners, with their RTP timestamps', async () => {
    const a = await session({ silence: false });
    const b = await session({ silence: false });
    a.update(to(b));
    b.update(to(a));
    const frames: Array<{ pcm: Int16Array; timestamp: number }> = [];
    b.on('audio', (f) => frames.push(f));
    const source = tone(200, 1000, 12000);
    await a.play(source);
    await wait(60);
    expect(frames).toHaveLength(10);
    for (let i = 1; i < frames.length; i++) expect((frames[i]!.timestamp - frames[i - 1]!.timestamp) >>> 0).toBe(160);
    expect(Array.from(frames[0]!.pcm)).toEqual(Array.from(decodeMuLaw(encodeMuLaw(source.subarray(0, 160)))));
  });

  it('plays a 16 kHz stereo WAV file converted to 8 kHz mono, saying so, and a signal cancels a playback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sipflow-play-'));
    try {
      const frames = 16000 * 0.3; // 300 ms
      const stereo = new Int16Array(frames * 2);
      for (let i = 0; i < frames; i++) stereo[2 * i] = stereo[2 * i + 1] = Math.round(6000 * Math.sin((2 * Math.PI * 500 * i) / 16000));
      const path = join(dir, 'prompt.wav');
      await writeFile(path, encodeWav(stereo, 16000, 2));
      const a = await session({ silence: false });
      const sniff = await sniffer();
      a.update({ ...to(a), remotePort: sniff.port });
      const notes: string[] = [];
      a.on('note', (n) => notes.push(n));
      const result = await a.play(path);
      expect(result).toEqual({ packets: 15, durationMs: 300, cancelled: false });
      expect(notes).toEqual(expect.arrayContaining(['mixed 2 channels down to mono', 'resampled from 16000 Hz to 8000 Hz']));
      // Cancelled after ~100 ms of a 2 s tone: it reports what it sent.
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const cut = await a.play(tone(2000), { signal: controller.signal });
      expect(cut.cancelled).toBe(true);
      expect(cut.packets).toBeGreaterThan(2);
      expect(cut.packets).toBeLessThan(20);
      expect(cut.durationMs).toBe(cut.packets * 20);
      await expect(a.play(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'ENOENT' });
      await writeFile(join(dir, 'bad.wav'), Buffer.from('ID3\u0004not a wave file at all'));
      await expect(a.play(join(dir, 'bad.wav'))).rejects.toMatchObject({ name: 'WavError', code: 'not-riff' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sends nothing while the direction forbids it and resumes with the marker bit', async () => {
    const a = await session();
    const sniff = await sniffer();
    a.update({ ...to(a), remotePort: sniff.port, direction: 'sendonly' });
    await wait(100);
    const before = sniff.packets.length;
    expect(before).toBeGreaterThan(2);
    a.update({ ...to(a), remotePort: sniff.port, direction: 'recvonly' }); // the peer put us on hold
    await wait(30);
    const held = sniff.packets.length;
    await wait(150);
    expect(sniff.packets.length).toBe(held);
    a.update({ ...to(a), remotePort: sniff.port, direction: 'sendrecv' });
    await wait(100);
    expect(sniff.packets.length).toBeGreaterThan(held + 2);
    expect(sniff.packets[held]!.marker).toBe(true);
    // The timestamp kept running while we were silent (RFC 3550 §5.1).
    const gap = (sniff.packets[held]!.timestamp - sniff.packets[held - 1]!.timestamp) >>> 0;
    expect(gap).toBeGreaterThan(160 * 5);
  });

  it('sends DTMF as RFC 4733 events and the peer reports each digit once, in order', async () => {
    const a = await session({ silence: false });
    const b = await session({ silence: false });
    a.update(to(b));
    b.update(to(a));
    const digits: string[] = [];
    b.on('dtmf', (d) => digits.push(d.digit));
    await a.sendDtmf('123#*0ABCD');
    await wait(300);
    expect(digits.join('')).toBe('123#*0ABCD');
    expect(a.stats().dtmfSent).toBe(10);
    const got = b.stats().dtmfReceived;
    expect(got.map((d) => d.durationMs)).toEqual(Array(10).fill(100));
  });

  it('DTMF through a relay that drops, duplicates and reorders still arrives exactly once per digit', async () => {
    const a = await session({ silence: false });
    const b = await session({ silence: false });
    // Relay: a → relay → b, seeded loss 15 %, duplication 20 %, and a 30 ms delay for every 4th packet.
    const relay = createSocket('udp4');
    sockets.push(relay);
    await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', () => resolve()));
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    let n = 0;
    const dropped: number[] = [];
    relay.on('message', (msg) => {
      const p = decodeRtp(msg);
      const k = n++;
      // never drop every packet of a digit: keep the first end packet of each
      const end = (p.payload[1]! & 0x80) !== 0;
      if (!end && rnd() < 0.15) {
        dropped.push(k);
        return;
      }
      const send = (): void => relay.send(msg, b.local.port, '127.0.0.1');
      if (k % 4 === 1) setTimeout(send, 30);
      else send();
      if (rnd() < 0.2) send();
    });
    a.update({ ...to(b), remotePort: relay.address().port });
    b.update(to(a));
    const digits: string[] = [];
    b.on('dtmf', (d) => digits.push(d.digit));
    await a.sendDtmf('5551234#', { durationMs: 80, gapMs: 60 });
    await wait(400);
    expect(dropped.length).toBeGreaterThan(0);
    expect(digits.join('')).toBe('5551234#');
  });

  it('follows the source of incoming packets (symmetric RTP) and exchanges RTCP reports', async () => {
    const a = await session({ rtcpIntervalMs: 100 });
    const b = await session({ rtcpIntervalMs: 100 });
    const sniff = await sniffer();
    // B was told (wrongly) to send to the sniffer; A's packets show where A really is.
    b.update({ ...to(a), remotePort: sniff.port });
    a.update(to(b));
    const changed = new Promise((resolve) => b.once('remote-changed', resolve));
    expect(await changed).toEqual({ address: '127.0.0.1', port: a.local.port });
    await wait(400);
    expect(a.stats().packetsReceived).toBeGreaterThan(5);
    expect(a.stats().remoteReport).toBeDefined();
    expect(b.stats().remoteReport).toBeDefined();
    expect(b.stats().remoteReport!.cumulativeLost).toBe(0);
  });

  it('a packet tap sees every RTP and RTCP datagram sent and received, with both addresses, as on the wire', async () => {
    const seenA: MediaPacket[] = [];
    const a = await session({ rtcpIntervalMs: 100, packetTap: (p) => seenA.push({ ...p, data: Uint8Array.from(p.data) }) });
    const b = await session({ rtcpIntervalMs: 100 });
    a.update(to(b));
    b.update(to(a));
    await wait(300);
    await a.sendDtmf('5');
    await a.close();
    const sentRtp = seenA.filter((p) => p.direction === 'sent' && p.protocol === 'rtp');
    const gotRtp = seenA.filter((p) => p.direction === 'received' && p.protocol === 'rtp');
    // Every packet the stats counted went through the tap, and decodes as the RTP it was.
    expect(sentRtp.length).toBe(a.stats().packetsSent);
    expect(gotRtp.length).toBeGreaterThanOrEqual(a.stats().packetsReceived);
    expect(sentRtp.some((p) => decodeRtp(p.data).payloadType === 101)).toBe(true);
    expect(sentRtp[0]).toMatchObject({ local: a.local, remote: { address: '127.0.0.1', port: b.local.port } });
    expect(gotRtp[0]).toMatchObject({ local: a.local, remote: { address: '127.0.0.1', port: b.local.port } });
    // RTCP both ways on port + 1; the last one we sent is the BYE compound of close() (RFC 3550 §6.6, PT 203).
    const rtcp = seenA.filter((p) => p.protocol === 'rtcp');
    expect(rtcp.some((p) => p.direction === 'received')).toBe(true);
    const lastSent = rtcp.filter((p) => p.direction === 'sent').at(-1)!;
    expect(lastSent).toMatchObject({ local: { address: '127.0.0.1', port: a.local.port + 1 }, remote: { address: '127.0.0.1', port: b.local.port + 1 } });
    const types: number[] = [];
    for (let i = 0; i < lastSent.data.length; i += 4 * (((lastSent.data[i + 2]! << 8) | lastSent.data[i + 3]!) + 1)) types.push(lastSent.data[i + 1]!);
    expect(types.at(-1)).toBe(203);
  });

  it('when the stream moves to another peer, the previous peer still sending does not pull it back', async () => {
    const a = await session();
    const old = await session();
    const next = await sniffer();
    old.update(to(a));
    a.update(to(old));
    await old.play(tone(100));
    expect(a.stats().packetsReceived).toBeGreaterThan(2);
    // A transfer: A now talks to `next`; the old peer keeps sending (until its BYE).
    a.update({ ...to(a), remotePort: next.port });
    const lingering = old.play(tone(200));
    const before = next.packets.length;
    await a.play(tone(200));
    await lingering;
    expect(next.packets.length - before).toBeGreaterThanOrEqual(9);
    expect(a.stats().ignored).toBeGreaterThan(5);
  });

  it('reports a listener that throws as an error event, and the other listeners and the session go on', async () => {
    const a = await session({ silence: false });
    const b = await session({ silence: false });
    a.update(to(b));
    b.update(to(a));
    const digits: string[] = [];
    const errors: MediaError[] = [];
    b.on('dtmf', () => {
      throw new Error('listener bug');
    });
    b.on('dtmf', (d) => digits.push(d.digit));
    b.on('error', (e) => errors.push(e));
    await a.sendDtmf('12');
    await wait(300);
    expect(digits.join('')).toBe('12');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(MediaError);
    expect(errors[0]!.code).toBe('listener');
    expect(errors[0]!.message).toContain("'dtmf' listener threw: listener bug");
    expect((errors[0]!.cause as Error).message).toBe('listener bug');
  });
});

describe('MediaSession quality measurements', () => {
  it('measures the burst ratio of what a relay drops, telephone-events included, and starts it afresh with a new source (the packets received add up)', async () => {
    const clock = new VirtualClock();
    const a = await session({ clock });
    const b = await session({ clock });
    // a → relay → b, dropping three runs of three among the first 100 packets: 9 lost in 3 bursts.
    const relay = createSocket('udp4');
    sockets.push(relay);
    await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', () => resolve()));
    const dropped = new Set([20, 21, 22, 50, 51, 52, 80, 81, 82]);
    let relayed = 0;
    const types: number[] = [];
    relay.on('message', (msg) => {
      const k = relayed++;
      if (k < 100) types.push(decodeRtp(msg).payloadType);
      if (!dropped.has(k)) relay.send(msg, b.local.port, '127.0.0.1');
    });
    a.update({ ...to(b), remotePort: relay.address().port });
    b.update({ ...to(a), direction: 'recvonly' });
    expect(b.stats()).toMatchObject({ burstRatio: 1, roundTripMs: undefined });
    let digit: Promise<void> | undefined;
    // One packet a tick (the digit's last tick carries its three end packets); packets 50–52 are in the digit.
    for (let tick = 0; tick < 100; tick++) {
      if (tick === 46) digit = a.sendDtmf('5');
      clock.advance(20);
      await wait(2);
    }
    await until(() => b.stats().packetsReceived === 91);
    expect(relayed).toBe(100);
    expect(types.filter((t) => t === 101).length).toBeGreaterThan(3);
    expect(types.slice(50, 53)).toEqual([101, 101, 101]); // the second run lost is telephone-events
    const stats = b.stats();
    expect(stats.lost).toBe(9);
    expect(stats.burstRatio).toBeCloseTo(burstRatioOf(100, 9, 3), 12); // 3 × (1 − 0.09) = 2.73
    expect(stats.burstRatio).toBeCloseTo(2.73, 12);
    a.update({ ...to(b), direction: 'inactive' });
    await digit;

    // Another source (a new SSRC) sends through the relay without loss: the pattern restarts with it.
    // (b's RTP socket is connected to the relay since its first packet: symmetric RTP.)
    const c = await session({ clock });
    c.update({ ...to(b), remotePort: relay.address().port });
    for (let tick = 0; tick < 10; tick++) {
      clock.advance(20);
      await wait(2);
    }
    // Loss restarts with the new source; the packets received count every source of the session.
    await until(() => b.stats().packetsReceived === 91 + 10);
    expect(b.stats()).toMatchObject({ lost: 0, burstRatio: 1 });
  });

  it('RTCP between two sessions gives each a finite round-trip time of at least 0', async () => {
    const a = await session({ rtcpIntervalMs: 100 });
    const b = await session({ rtcpIntervalMs: 100 });
    a.update(to(b));
    b.update(to(a));
    expect(a.stats().roundTripMs).toBeUndefined();
    // Each needs an SR of its own answered by the peer's next report: a few intervals.
    await until(() => a.stats().roundTripMs !== undefined && b.stats().roundTripMs !== undefined, 3000);
    for (const s of [a, b]) {
      const rtt = s.stats().roundTripMs!;
      expect(Number.isFinite(rtt)).toBe(true);
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(rtt).toBeLessThan(100); // loopback
    }
  });

  it('the round-trip time is arrival − LSR − DLSR of a report about our stream (RFC 3550 §6.4.1), on the session clock', async () => {
    const clock = new VirtualClock();
    const a = await session({ clock, rtcpIntervalMs: 100 });
    // A hand-made peer: its RTP and RTCP sockets; it answers one of our SRs with an RR.
    const peer = await bindRtpPair('127.0.0.1', { min: 40000, max: 49999 });
    sockets.push(peer.rtp, peer.rtcp);
    const srs: RtcpSenderReport[] = [];
    peer.rtcp.on('message', (msg) => {
      for (const p of decodeRtcpCompound(msg)) if (p.type === 'SR') srs.push(p);
    });
    a.update({ ...to(a), remotePort: peer.port });
    while (srs.length === 0) {
      clock.advance(20);
      await wait(2);
    }
    const sr = srs[0]!;
    // When a sent it, on its clock (its SRs are stamped performance.timeOrigin + clock.now()).
    const sentAt = ntpToUnixMs(sr.ntp) - performance.timeOrigin;
    const rr = (lastSr: number, dlsrMs: number): Uint8Array =>
      encodeRtcpCompound([
        { type: 'RR', ssrc: 0xabcdef, reports: [{ ssrc: sr.ssrc, fractionLost: 0, cumulativeLost: 0, highestSequence: 0, jitter: 0, lastSr, delaySinceLastSr: dlsrFromMs(dlsrMs) }] },
        { type: 'SDES', chunks: [{ ssrc: 0xabcdef, items: [{ type: 1, text: 'peer@127.0.0.1' }] }] },
      ]);
    const reply = async (data: Uint8Array): Promise<void> => {
      const before = a.listenerCount('rtcp');
      const got = new Promise((resolve) => a.once('rtcp', resolve));
      peer.rtcp.send(data, a.local.port + 1, '127.0.0.1');
      await got;
      expect(a.listenerCount('rtcp')).toBe(before);
    };
    // No LSR yet (the peer had no SR of ours): no round trip.
    await reply(rr(0, 0));
    expect(a.stats().roundTripMs).toBeUndefined();
    // The RR arrives 35 ms after the SR left, 10 ms of which the peer held it: 25 ms on the wire.
    clock.advanceTo(Math.max(clock.now(), sentAt) + 35);
    const expected = clock.now() - sentAt - 10;
    await reply(rr(ntpMiddle32(sr.ntp), 10));
    expect(a.stats().roundTripMs).toBeCloseTo(expected, 1); // within the 1/65536 s of LSR and DLSR
    expect(a.stats().roundTripMs).toBeGreaterThanOrEqual(25 - 0.1);
    // A DLSR longer than the time since the SR is a peer's error: ignored, the last value stays.
    await reply(rr(ntpMiddle32(sr.ntp), 1000));
    expect(a.stats().roundTripMs).toBeCloseTo(expected, 1);
  });
});
