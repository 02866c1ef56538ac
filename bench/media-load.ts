// Load check for the media target of issue 6: N concurrent MediaSessions (default 1,000) in pairs
// (N/2 calls on loopback), each playing a tone to its partner — 50 G.711 packets a second sent,
// encoded from real audio, and 50 received, decoded and counted — for a few seconds. Reports the
// CPU used by the process (user + system) as a share of one core, the packets sent and received,
// and how late a 20 ms timer ran meanwhile. Target: < 50 % of one core.
//
//   npm run bench:media-load            (MEDIA_SESSIONS=1000 MEDIA_SECONDS=5 by default)
//
// Both ends of every call are in this process, so the figure covers sending and receiving.

import { MediaSession } from '../src/media/media-session.js';

const SESSIONS = Number(process.env['MEDIA_SESSIONS'] ?? 1000);
const SECONDS = Number(process.env['MEDIA_SECONDS'] ?? 5);

function tone(ms: number): Int16Array {
  const n = (ms / 1000) * 8000;
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
}

async function main(): Promise<void> {
  const sessions: MediaSession[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    sessions.push(await MediaSession.open({ host: '127.0.0.1', portRange: { min: 20000, max: 60000 }, rtcpIntervalMs: 5000 }));
  }
  const audio = tone(SECONDS * 1000 + 2000);
  for (let i = 0; i < sessions.length; i++) {
    const partner = sessions[i ^ 1] ?? sessions[i]!;
    sessions[i]!.update({ codec: 'PCMU', payloadType: 0, remoteAddress: '127.0.0.1', remotePort: partner.local.port, direction: 'sendrecv' });
  }
  const plays = sessions.map((s) => s.play(audio));
  await new Promise((r) => setTimeout(r, 1000)); // warm up
  const before = sessions.reduce((n, s) => n + s.stats().packetsSent, 0);
  const receivedBefore = sessions.reduce((n, s) => n + s.stats().packetsReceived, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Ticker lateness: sample how late a 20 ms timer fires meanwhile.
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
  const after = sessions.reduce((n, s) => n + s.stats().packetsSent, 0);
  const received = sessions.reduce((n, s) => n + s.stats().packetsReceived, 0) - receivedBefore;
  const share = (cpu.user + cpu.system) / 1000 / elapsed;
  lateness.sort((a, b) => a - b);
  const p = (q: number): number => lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? 0;
  const packets = after - before;
  console.log(`${SESSIONS} sessions for ${(elapsed / 1000).toFixed(1)} s: ${packets} packets sent (${Math.round(packets / (elapsed / 1000))}/s, expected ${SESSIONS * 50}/s), ${received} received`);
  console.log(`CPU: ${(share * 100).toFixed(1)} % of one core (user ${(cpu.user / 1000 / elapsed * 100).toFixed(1)} %, system ${(cpu.system / 1000 / elapsed * 100).toFixed(1)} %)`);
  console.log(`timer lateness at 20 ms: p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms, max ${(lateness.at(-1) ?? 0).toFixed(1)} ms`);
  console.log(`Target (measured, not enforced): ${share < 0.5 ? 'MET ' : 'MISS'} < 50 % of one core for ${SESSIONS} playing sessions`);
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(plays);
}

await main();
