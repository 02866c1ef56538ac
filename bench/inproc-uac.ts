// sipflow's own work per placed call, with no socket in the way: `sipflow load`'s client chain
// (bench/scenarios/call.json's steps: MakeCall → Release) calls a scripted peer that answers as
// SIPp's uas does (180, then 200 with SDP; 200 to the BYE) through an in-process transport. The
// counterpart of bench/inproc-uas.ts for the calling side: both ends run in this process and
// nothing goes through the kernel, so the figure is the stack's and the engine's JavaScript (and
// garbage collection) alone. The peer's own share is small (string templates and a few regular
// expressions per call). The machine's noise still shows: compare two builds by alternating runs.
//
//   node --expose-gc .bench-out/bench/inproc-uac.js [calls=20000] [concurrency=50]
//
// Runs a load of WARMUP calls (default 5,000) first, so V8 has compiled the path, then a load of
// `calls` calls, `concurrency` at a time as fast as they go (the rate is set far above what one
// process does). Prints JSON: calls, CPU µs per call (user + system, the peer's share included),
// the wall time and, with --expose-gc, the heap used after a full collection once the load ended
// and `lingeringBytesPerCall`: what the heap (and array buffers) held per call after a full
// collection half a second after the last call ended, while its client transactions still linger
// (RFC 6026's Accepted state for the INVITE, Timer K for the BYE), against the heap before the load.
// That figure needs LINGER=1 (the forced collection would count in the CPU figure); with
// SNAPSHOT=<file> as well, a heap snapshot is written then.

import { writeHeapSnapshot } from 'node:v8';
import { LoadRunner, loadScenarioFile } from '../src/engine/index.js';
import type { Endpoint } from '../src/sip/transport/transport.js';
import { InProcessTransport } from './in-process-transport.js';

const CALLS = Number(process.argv[2] ?? 20000);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const WARMUP = Number(process.env.WARMUP ?? 5000);
const LINGER = process.env.LINGER === '1';

const PEER: Endpoint = { address: '127.0.0.1', port: 5060 };

/** SIPp's uas, scripted: 180 and 200 (with SDP) to an INVITE, nothing to the ACK, 200 to the BYE. */
class Answerer {
  private tag = 0;
  private readonly sdp = `v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;

  receive(data: Uint8Array, from: InProcessTransport): void {
    const text = Buffer.from(data).toString('latin1');
    const method = text.slice(0, text.indexOf(' '));
    if (method === 'ACK') return;
    const line = (name: string): string => {
      const at = text.indexOf(`\r\n${name}: `);
      return text.slice(at + 2, text.indexOf('\r\n', at + 2));
    };
    const vias = text.split('\r\n').filter((l) => l.startsWith('Via: ')).join('\r\n');
    const send = (reply: string): void => {
      const bytes = Buffer.from(reply, 'latin1');
      setImmediate(() => from.deliver(bytes));
    };
    if (method === 'INVITE') {
      const to = `${line('To')};tag=${++this.tag}SIPpTag01`;
      const head = `${vias}\r\n${line('From')}\r\n${to}\r\n${line('Call-ID')}\r\n${line('CSeq')}\r\nContact: <sip:127.0.0.1:5060;transport=UDP>\r\n`;
      send(`SIP/2.0 180 Ringing\r\n${head}Content-Length: 0\r\n\r\n`);
      send(`SIP/2.0 200 OK\r\n${head}Content-Type: application/sdp\r\nContent-Length: ${this.sdp.length}\r\n\r\n${this.sdp}`);
    } else {
      send(`SIP/2.0 200 OK\r\n${vias}\r\n${line('From')}\r\n${line('To')}\r\n${line('Call-ID')}\r\n${line('CSeq')}\r\nContent-Length: 0\r\n\r\n`);
    }
  }
}

const peer = new Answerer();
const graph = loadScenarioFile('bench/scenarios/call.json', { vars: { TARGET: `sip:service@${PEER.address}:${PEER.port}` } });

let lingering: number | undefined;

async function load(calls: number, heapBefore?: number): Promise<void> {
  const runner = new LoadRunner({ bindTransport: async (local) => new InProcessTransport(local, PEER, (data, from) => peer.receive(data, from)), closeTimeoutMs: 100 });
  const measuring = LINGER && heapBefore !== undefined && globalThis.gc !== undefined;
  let ended = false;
  // Once every call has ended (the run then settles a second with its instances open), the heap
  // half a second later: what the ended calls leave while their transactions linger.
  const onStats = (s: { completed: number; failed: number }): void => {
    if (!measuring || ended || s.completed + s.failed < calls) return;
    ended = true;
    setTimeout(() => {
      globalThis.gc!();
      const m = process.memoryUsage();
      lingering = Math.round((m.heapUsed + m.arrayBuffers - heapBefore!) / calls);
      // SNAPSHOT=file: a heap snapshot now, to see what the lingering calls keep.
      if (process.env.SNAPSHOT !== undefined) writeHeapSnapshot(process.env.SNAPSHOT);
    }, 500);
  };
  const result = await runner.run(graph, { rate: 1_000_000, calls, concurrency: CONCURRENCY, ...(measuring ? { settleMs: 1000, statsIntervalMs: 100, onStats } : {}) });
  if (result.totals.completed !== calls) throw new Error(`${calls - result.totals.completed} calls did not complete: ${JSON.stringify(result.failures)}`);
}

if (WARMUP > 0) await load(WARMUP);
globalThis.gc?.();
const before = process.memoryUsage();
const cpu = process.cpuUsage();
const t0 = performance.now();
await load(CALLS, before.heapUsed + before.arrayBuffers);
const wall = performance.now() - t0;
const used = process.cpuUsage(cpu);
globalThis.gc?.();
const mem = process.memoryUsage();
console.log(
  JSON.stringify({
    variant: 'load-uac',
    calls: CALLS,
    perCallUs: Math.round((used.user + used.system) / CALLS),
    wallMs: Math.round(wall),
    ...(globalThis.gc !== undefined ? { heapMB: Math.round((mem.heapUsed + mem.arrayBuffers) / 1048576), lingeringBytesPerCall: lingering } : {}),
  }),
);
process.exit(0);
