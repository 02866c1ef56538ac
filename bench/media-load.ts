// Load check for the media target of issue 6: N concurrent MediaSessions (default 1,000), each
// playing a tone to a partner — 50 G.711 packets a second sent, encoded from real audio — for a
// few seconds on loopback. Target: < 50 % of one core for the N sessions.
//
//   npm run bench:media-load                    N sessions here, N partners in a child process
//   MEDIA_PEERS=sink npm run bench:media-load   the partners only listen (one-way: we play, nothing comes back)
//   MEDIA_PEERS=same npm run bench:media-load   partners in this process too (twice the work)
//   MEDIA_SESSIONS=1000 MEDIA_SECONDS=5         the defaults
//   MEDIA_FLOOR=0 | only                        skip the bare-dgram run | run only that
//
// Each configuration runs twice: first with bare node:dgram sockets doing the same traffic (one
// 172-byte datagram per socket every 20 ms, the received ones counted and dropped, sockets
// connected to the partner once it has been heard from, as MediaSession does) — the floor that
// Node and the kernel set, which no JavaScript above them can go under — and then with
// MediaSessions. It reports this process's CPU (user + system) as a share of one core, the packets
// sent and received, and how late a 20 ms timer ran meanwhile. On loopback the kernel delivers
// each datagram inside the sender's send call, so the sending side also pays for the receiving
// socket's kernel work (and for waking the receiving process).

import { fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { MediaSession } from '../src/media/media-session.js';

const SESSIONS = Number(process.env['MEDIA_SESSIONS'] ?? 1000);
const SECONDS = Number(process.env['MEDIA_SECONDS'] ?? 5);
const PEERS = process.env['MEDIA_PEERS'] ?? 'child';
const FLOOR = process.env['MEDIA_FLOOR'] !== '0';
const FRAME_MS = 20;
const RTP_BYTES = 172; // 12-byte RTP header + 160 bytes of G.711
/** Set once the measurement is over: errors from partners going away are expected then. */
let stopping = false;

/** N endpoints of one kind: where they listen, how to start them, what they counted. */
interface Endpoints {
  ports: number[];
  /** Starts sending to `ports` (one each), or only listening when `send` is false. */
  start(ports: number[], send: boolean): void;
  sent(): number;
  received(): number;
  close(): Promise<void>;
}

function tone(ms: number): Int16Array {
  const n = (ms / 1000) * 8000;
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
}

async function openSessions(n: number, range: { min: number; max: number }): Promise<Endpoints> {
  const sessions: MediaSession[] = [];
  for (let i = 0; i < n; i++) sessions.push(await MediaSession.open({ host: '127.0.0.1', portRange: range }));
  return {
    ports: sessions.map((s) => s.local.port),
    start(ports, send) {
      const audio = tone(SECONDS * 1000 + 10_000);
      sessions.forEach((s, i) => {
        s.update({ codec: 'PCMU', payloadType: 0, remoteAddress: '127.0.0.1', remotePort: ports[i]!, direction: send ? 'sendrecv' : 'recvonly' });
        if (send) void s.play(audio);
      });
    },
    sent: () => sessions.reduce((n, s) => n + s.stats().packetsSent, 0),
    received: () => sessions.reduce((n, s) => n + s.stats().packetsReceived, 0),
    close: async () => void (await Promise.all(sessions.map((s) => s.close()))),
  };
}

/** The floor: the same datagrams through bare sockets, with no RTP, codec or statistics work. */
async function openBare(n: number, range: { min: number; max: number }): Promise<Endpoints> {
  const sockets: Socket[] = [];
  for (let port = range.min; sockets.length < n && port <= range.max; port += 2) {
    const s = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) sockets.push(s);
    else s.close();
  }
  let sent = 0;
  let received = 0;
  const connected = new Set<Socket>();
  let timer: NodeJS.Timeout | undefined;
  for (const s of sockets) {
    // A connected socket hears of its partner's closing (ICMP port unreachable) at teardown.
    s.on('error', (err) => void (stopping || console.error(`bare socket ${s.address().port}: ${err.message}`)));
    s.on('message', (_msg, rinfo) => {
      received++;
      if (!connected.has(s)) {
        connected.add(s);
        s.connect(rinfo.port, rinfo.address);
      }
    });
  }
  return {
    ports: sockets.map((s) => s.address().port),
    start(ports, send) {
      if (!send) return;
      const payload = Buffer.alloc(RTP_BYTES, 0xff);
      const t0 = performance.now();
      let k = 0;
      const tick = (): void => {
        sockets.forEach((s, i) => {
          if (connected.has(s)) s.send(payload);
          else s.send(payload, ports[i]!, '127.0.0.1');
        });
        sent += sockets.length;
        timer = setTimeout(tick, Math.max(0, t0 + ++k * FRAME_MS - performance.now()));
      };
      tick();
    },
    sent: () => sent,
    received: () => received,
    async close() {
      clearTimeout(timer);
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

type Kind = 'bare' | 'sessions';
const open = (kind: Kind, n: number, range: { min: number; max: number }): Promise<Endpoints> => (kind === 'bare' ? openBare(n, range) : openSessions(n, range));

/** The child: opens N partners, reports their ports, starts when given ours. */
async function peer(kind: Kind): Promise<void> {
  const partners = await open(kind, SESSIONS, { min: 40000, max: 60000 });
  process.send!({ ports: partners.ports });
  process.on('message', (m: { ports?: number[]; stop?: boolean }) => {
    if (m.ports) partners.start(m.ports, PEERS !== 'sink');
    if (m.stop) {
      stopping = true;
      void partners.close().then(() => process.exit(0));
    }
  });
}

interface Result {
  share: number;
  line: string;
}

async function measure(kind: Kind): Promise<Result> {
  const ours = await open(kind, SESSIONS, { min: 20000, max: 39998 });
  let stopPeer: () => Promise<unknown>;
  if (PEERS === 'same') {
    const partners = await open(kind, SESSIONS, { min: 40000, max: 60000 });
    ours.start(partners.ports, true);
    partners.start(ours.ports, true);
    stopPeer = () => partners.close();
  } else {
    const child = fork(new URL(import.meta.url), [], { env: { ...process.env, MEDIA_ROLE: kind } });
    const ports = await new Promise<number[]>((resolve) => child.once('message', (m: { ports: number[] }) => resolve(m.ports)));
    ours.start(ports, true);
    child.send({ ports: ours.ports });
    stopPeer = () => new Promise((resolve) => child.once('exit', resolve).send({ stop: true }));
  }
  await new Promise((r) => setTimeout(r, 1500)); // warm up, and let every socket latch and connect
  const sent0 = ours.sent();
  const recv0 = ours.received();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lateness: number[] = [];
  let due = performance.now() + FRAME_MS;
  const probe = setInterval(() => {
    const now = performance.now();
    lateness.push(now - due);
    due = now + FRAME_MS;
  }, FRAME_MS);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(probe);
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sent = ours.sent() - sent0;
  const received = ours.received() - recv0;
  stopping = true;
  await stopPeer();
  await ours.close();
  const measured = (cpu.user + cpu.system) / 1000 / elapsed;
  // On a busy machine the process can fall behind the 20 ms schedule and then uses less CPU than
  // the full rate needs: scale by the packets it actually handled (sent, plus received unless the
  // partners only listen) to get the share at the full rate.
  const expected = (SESSIONS * (1000 / FRAME_MS) * elapsed) / 1000;
  const handled = (sent + (PEERS === 'sink' ? 0 : received)) / (PEERS === 'sink' ? expected : 2 * expected);
  const share = handled > 0 ? measured / Math.min(1, handled) : measured;
  lateness.sort((a, b) => a - b);
  const q = (p: number): string => (lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))] ?? 0).toFixed(1);
  const perS = (n: number): string => `${Math.round(n / (elapsed / 1000))}/s`;
  const pct = (us: number): string => `${((us / 1000 / elapsed) * 100).toFixed(1)} %`;
  const what = kind === 'bare' ? 'bare node:dgram (floor)' : 'MediaSession';
  const line =
    `${what.padEnd(24)} CPU ${pct(cpu.user + cpu.system).padStart(7)} (user ${pct(cpu.user)}, system ${pct(cpu.system)}); ` +
    `sent ${perS(sent)}, received ${perS(received)}; 20 ms timer late by p50 ${q(0.5)} / p99 ${q(0.99)} ms`;
  console.log(line);
  if (handled < 0.97) console.log(`${' '.repeat(24)} fell behind (${(100 * handled).toFixed(0)} % of the packets): at the full rate that is ${(100 * share).toFixed(1)} % of one core`);
  return { share, line };
}

async function main(): Promise<void> {
  const peers = { child: 'partners in a child process', sink: 'partners in a child process, sending nothing back', same: 'partners in this process too' }[PEERS];
  if (peers === undefined) throw new Error(`MEDIA_PEERS must be child, sink or same, not ${PEERS}`);
  const each = PEERS === 'sink' ? 'sent' : 'sent and received';
  console.log(`${SESSIONS} sessions, ${peers}, ${SECONDS} s measured: expect ${SESSIONS * (1000 / FRAME_MS)}/s ${each}; CPU is this process's, as a share of one core`);
  const floor = FLOOR ? await measure('bare') : undefined;
  if (process.env['MEDIA_FLOOR'] === 'only') return;
  stopping = false;
  const ours = await measure('sessions');
  if (floor !== undefined) console.log(`MediaSession above the floor: ${((ours.share - floor.share) * 100).toFixed(1)} points of one core`);
  console.log(`Target (measured, not enforced): ${ours.share < 0.5 ? 'MET ' : 'MISS'} < 50 % of one core for ${SESSIONS} playing sessions`);
}

const role = process.env['MEDIA_ROLE'];
if (role === 'bare' || role === 'sessions') await peer(role);
else await main();
