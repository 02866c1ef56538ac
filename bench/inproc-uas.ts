// sipflow's own work per answered call, with no socket in the way: `sipflow load`'s server chain
// (bench/scenarios/answer.json's steps: INCOMING → Answer → DISCONNECTED), or a bare UserAgent,
// answers calls from a scripted caller that sends SIPp's uac messages (INVITE, ACK, BYE; the same
// forms as `sipp -sn uac`) through an in-process transport. Both ends run in this process and
// nothing goes through the kernel, so the figure is the stack's and the engine's JavaScript (and
// garbage collection) alone: the figure to watch while making the message path cheaper. The
// caller's own share is small (string templates and a few regular expressions per call) and the
// same for every variant. The machine's noise still shows (±20 % from run to run here): compare
// two builds by alternating their runs.
//
//   node --expose-gc .bench-out/bench/inproc-uas.js [load|bare] [calls=20000] [concurrency=50]
//
// Warms up with WARMUP calls (default 5,000) first, then runs `calls` calls, `concurrency` at a
// time as fast as they go, or with RATE=n paced at n calls a second (a timer every millisecond
// starts the calls due; the process then sleeps between them, as a server does between a real
// caller's datagrams, and each wake-up costs CPU of its own). Prints JSON: calls, CPU µs per call
// (user + system, the caller's share included), the wall time and, with --expose-gc, the heap used
// (array buffers' memory included) after a full collection and what each call adds to it while
// its transactions linger (64·T1). With SNAPSHOT=<file>, also writes a heap snapshot then.

import { setImmediate as tick } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { LoadRunner, loadScenarioFile } from '../src/engine/index.js';
import { sdpOfferAnswer } from '../src/sdp/index.js';
import { UserAgent } from '../src/sip/dialog/user-agent.js';
import type { Endpoint, Transport } from '../src/sip/transport/transport.js';
import { InProcessTransport } from './in-process-transport.js';

const variant = process.argv[2] ?? 'load';
const CALLS = Number(process.argv[3] ?? 20000);
const CONCURRENCY = Number(process.argv[4] ?? 50);
const WARMUP = Number(process.env.WARMUP ?? 5000);
/** RATE=n: the measured calls start n a second, paced as SIPp paces them (the warm-up still runs flat out). */
const RATE = Number(process.env.RATE ?? 0);
if (variant !== 'load' && variant !== 'bare') throw new Error('usage: inproc-uas [load|bare] [calls] [concurrency]');

const SERVER: Endpoint = { address: '127.0.0.1', port: 5060 };
const CALLER: Endpoint = { address: '127.0.0.1', port: 5061 };

/** SIPp's uac, scripted: INVITE, then ACK and BYE once the 200 comes, CONCURRENCY calls at a time. */
class Caller {
  private next = 0;
  private ended = 0;
  private target = 0;
  private done: (() => void) | undefined;
  /** Calls a second (0: CONCURRENCY at a time, each ended call starting the next). */
  private rate = 0;
  server: InProcessTransport | undefined;

  run(calls: number, rate = 0): Promise<void> {
    this.target = this.ended + calls;
    this.rate = rate;
    return new Promise((resolve) => {
      this.done = resolve;
      if (rate > 0) {
        // paced: one call every 1/rate s (as SIPp's uac does), whatever is in flight
        const every = 1000 / rate;
        const started = performance.now();
        const before = this.next;
        const pace = setInterval(() => {
          const due = Math.min(this.target, before + Math.floor((performance.now() - started) / every));
          while (this.next < due) this.start();
          if (this.next >= this.target) clearInterval(pace);
        }, 1);
        return;
      }
      for (let i = 0; i < CONCURRENCY && this.next < this.target; i++) this.start();
    });
  }

  private send(text: string): void {
    const data = Buffer.from(text, 'latin1');
    setImmediate(() => this.server!.deliver(data));
  }

  private start(): void {
    const n = ++this.next;
    const sdp = `v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
    this.send(
      `INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-${n}-0\r\nFrom: sipp <sip:sipp@127.0.0.1:5061>;tag=1SIPpTag00${n}\r\n` +
        `To: service <sip:service@127.0.0.1:5060>\r\nCall-ID: ${n}-1@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards: 70\r\n` +
        `Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
    );
  }

  receive(data: Uint8Array): void {
    const text = Buffer.from(data).toString('latin1');
    const status = Number(text.slice(8, 11));
    const method = /\r\nCSeq: \d+ (\w+)/.exec(text)![1];
    const n = Number(/\r\nCall-ID: (\d+)-/.exec(text)![1]);
    if (method === 'INVITE' && status === 200) {
      const to = /\r\nTo: ([^\r]*)/.exec(text)![1];
      const common = `From: sipp <sip:sipp@127.0.0.1:5061>;tag=1SIPpTag00${n}\r\nTo: ${to}\r\nCall-ID: ${n}-1@127.0.0.1\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Length: 0\r\n\r\n`;
      this.send(`ACK sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-${n}-5\r\n${common.replace('Max-Forwards', 'CSeq: 1 ACK\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards')}`);
      this.send(`BYE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-${n}-7\r\n${common.replace('Max-Forwards', 'CSeq: 2 BYE\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards')}`);
    } else if (method === 'BYE' && status === 200) {
      this.ended++;
      if (this.rate === 0 && this.next < this.target) this.start();
      if (this.ended === this.target) this.done?.();
    }
  }
}

const caller = new Caller();
const bind = async (local: Endpoint): Promise<Transport> => {
  const t = new InProcessTransport(local, CALLER, (data) => caller.receive(data));
  caller.server = t;
  return t;
};

async function measure(): Promise<void> {
  if (WARMUP > 0) await caller.run(WARMUP);
  globalThis.gc?.();
  const memBefore = process.memoryUsage();
  const heapBefore = memBefore.heapUsed + memBefore.arrayBuffers;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await caller.run(CALLS, RATE);
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  await tick();
  globalThis.gc?.();
  const memAfter = process.memoryUsage();
  const heapAfter = memAfter.heapUsed + memAfter.arrayBuffers;
  // SNAPSHOT=file: a heap snapshot now, while the calls' transactions linger, to see what they keep.
  if (process.env.SNAPSHOT !== undefined) writeHeapSnapshot(process.env.SNAPSHOT);
  console.log(
    JSON.stringify({
      variant,
      calls: CALLS,
      perCallUs: Math.round((used.user + used.system) / CALLS),
      wallMs: Math.round(wall),
      ...(globalThis.gc !== undefined ? { heapMB: Math.round(heapAfter / 1048576), lingeringBytesPerCall: Math.round((heapAfter - heapBefore) / CALLS) } : {}),
    }),
  );
}

if (variant === 'bare') {
  const ua = new UserAgent({ transport: await bind(SERVER), identity: { user: 'service' }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: 9 }) });
  await ua.ready;
  ua.on('invite', (call) => {
    call.ringing();
    void call.answer().catch(() => undefined);
  });
  await measure();
  process.exit(0);
} else {
  // The scenario bench/sipp-uas.sh gives `sipflow load` (the bench runs from the repository's root, as npm runs it).
  const graph = loadScenarioFile('bench/scenarios/answer.json', { vars: { PORT: String(SERVER.port) } });
  const runner = new LoadRunner({ bindTransport: bind, closeTimeoutMs: 100, ...(process.env.T1 !== undefined ? { timers: { t1: Number(process.env.T1) } } : {}) });
  const controller = new AbortController();
  const running = runner.run(graph, { signal: controller.signal, onReady: () => void measure().then(() => controller.abort()) });
  await running.catch(() => undefined);
  process.exit(0);
}
