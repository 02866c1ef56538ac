// Load check for the media target of issue 6: N concurrent MediaSessions (default 1,000), each
// playing a tone to a partner session — 50 G.711 packets a second sent, encoded from real audio,
// and 50 received, decoded and counted — for a few seconds on loopback. Target: < 50 % of one
// core for the N sessions.
//
//   npm run bench:media-load                    N sessions here, N partners in a child process
//   MEDIA_PEERS=same npm run bench:media-load   partners in this process too (twice the work)
//   MEDIA_SESSIONS=1000 MEDIA_SECONDS=5         the defaults
//
// Reports this process's CPU (user + system) as a share of one core, the packets sent and
// received, and how late a 20 ms timer ran meanwhile. On loopback the kernel delivers each
// datagram inside the sender's send call, so the sending side also pays for the receiving
// socket's kernel work.

import { fork } from 'node:child_process';
import { MediaSession } from '../src/media/media-session.js';

const SESSIONS = Number(process.env['MEDIA_SESSIONS'] ?? 1000);
const SECONDS = Number(process.env['MEDIA_SECONDS'] ?? 5);
const SAME_PROCESS = process.env['MEDIA_PEERS'] === 'same';

function tone(ms: number): Int16Array {
  const n = (ms / 1000) * 8000;
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
}

async function openSessions(n: number, range: { min: number; max: number }): Promise<MediaSession[]> {
  const out: MediaSession[] = [];
  for (let i = 0; i < n; i++) out.push(await MediaSession.open({ host: '127.0.0.1', portRange: range }));
  return out;
}

function connect(sessions: MediaSession[], ports: number[]): Array<Promise<unknown>> {
  const audio = tone(SECONDS * 1000 + 4000);
  return sessions.map((s, i) => {
    s.update({ codec: 'PCMU', payloadType: 0, remoteAddress: '127.0.0.1', remotePort: ports[i]!, direction: 'sendrecv' });
    return s.play(audio);
  });
}

/** The child: opens N partner sessions, reports their ports, plays to the ports it is given. */
async function peer(): Promise<void> {
  const sessions = await openSessions(SESSIONS, { min: 40000, max: 60000 });
  process.send!({ ports: sessions.map((s) => s.local.port) });
  process.on('message', (m: { ports?: number[]; stop?: boolean }) => {
    if (m.ports) void Promise.all(connect(sessions, m.ports));
    if (m.stop) void Promise.all(sessions.map((s) => s.close())).then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  const sessions = await openSessions(SESSIONS, { min: 20000, max: 39998 });
  let plays: Array<Promise<unknown>>;
  let stopPeer = (): void => undefined;
  if (SAME_PROCESS) {
    const partners = await openSessions(SESSIONS, { min: 40000, max: 60000 });
    plays = [...connect(sessions, partners.map((s) => s.local.port)), ...connect(partners, sessions.map((s) => s.local.port))];
    stopPeer = () => void Promise.all(partners.map((s) => s.close()));
  } else {
    const child = fork(new URL(import.meta.url), [], { env: { ...process.env, MEDIA_ROLE: 'peer' } });
    const ports = await new Promise<number[]>((resolve) => child.once('message', (m: { ports: number[] }) => resolve(m.ports)));
    plays = connect(sessions, ports);
    child.send({ ports: sessions.map((s) => s.local.port) });
    stopPeer = () => child.send({ stop: true });
  }
  await new Promise((r) => setTimeout(r, 1500)); // warm up, and let every session latch
  const sent0 = sessions.reduce((n, s) => n + s.stats().packetsSent, 0);
  const recv0 = sessions.reduce((n, s) => n + s.stats().packetsReceived, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lateness: number[] = [];
  let expected = performance.now() + 20;
  const probe = setInterval(() => {
    const now = performance.now();
    lateness.push(now - expected);
    expected = now + 20;
  }, 20);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(probe);
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sent = sessions.reduce((n, s) => n + s.stats().packetsSent, 0) - sent0;
  const received = sessions.reduce((n, s) => n + s.stats().packetsReceived, 0) - recv0;
  const share = (cpu.user + cpu.system) / 1000 / elapsed;
  lateness.sort((a, b) => a - b);
  const q = (p: number): number => lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))] ?? 0;
  const perS = (n: number): number => Math.round(n / (elapsed / 1000));
  console.log(`${SESSIONS} sessions (partners ${SAME_PROCESS ? 'in this process too' : 'in a child process'}) for ${(elapsed / 1000).toFixed(1)} s: sent ${perS(sent)}/s, received ${perS(received)}/s (expected ${SESSIONS * 50}/s each)`);
  console.log(`CPU of this process: ${(share * 100).toFixed(1)} % of one core (user ${((cpu.user / 1000 / elapsed) * 100).toFixed(1)} %, system ${((cpu.system / 1000 / elapsed) * 100).toFixed(1)} %)`);
  console.log(`timer lateness at 20 ms: p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${(lateness.at(-1) ?? 0).toFixed(1)} ms`);
  console.log(`Target (measured, not enforced): ${share < 0.5 ? 'MET ' : 'MISS'} < 50 % of one core for ${SESSIONS} playing sessions`);
  stopPeer();
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(plays);
}

if (process.env['MEDIA_ROLE'] === 'peer') await peer();
else await main();
