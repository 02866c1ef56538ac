// Interop with SIPp (issue 3): SIPp sends OPTIONS to a TransactionLayer over UDP on 127.0.0.1 and
// retransmits into our server transactions, with and without packet loss (SIPp's -lost), and
// every exchange completes. The test writes its own scenario. Without sipp on PATH it is skipped,
// with a warning.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse, type SipRequest } from '../../src/sip/parser/index.js';
import { RealClock, type TimerHandle } from '../../src/sip/transport/clock.js';
import type { Endpoint } from '../../src/sip/transport/transport.js';
import { TransactionLayer, type TransactionLayerEvent } from '../../src/sip/transaction/layer.js';
import { describeRun, freePort, killLeftoverSipp, lastCsvRow, makeSippDir, removeSippDir, screenCount, sippArgs, sippMissing, startSipp, tappedLoopbackUdp, waitUntil } from './sipp.js';

const CALLS = 200;
/** SIPp's first retransmission interval for the OPTIONS (`<send retrans>`), in ms. */
const SIPP_RETRANS = 100;
/** SIPp's retransmissions per OPTIONS before it fails the call (its default, pinned). */
const SIPP_MAX_RETRANS = 7;
/** Our core answers each OPTIONS after 0–300 ms, so SIPp's retransmissions also land in Trying. */
const MAX_ANSWER_DELAY = 300;
/** Kill SIPp if it runs longer than this (its own -timeout is shorter). */
const SIPP_KILL_MS = 30_000;

/**
 * When SIPp sends its last retransmission, counted from the first send: it doubles the interval
 * each time and caps it at T2 = 4 s for non-INVITE requests (100, 200, … 3200, 4000 → 10.3 s).
 */
const SIPP_LAST_RETRANS_MS = Array.from({ length: SIPP_MAX_RETRANS }, (_, k) => Math.min(SIPP_RETRANS * 2 ** k, 4000)).reduce((s, d) => s + d, 0);

const SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="sipflow OPTIONS">
  <send retrans="${SIPP_RETRANS}">
    <![CDATA[

      OPTIONS sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "sipp" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Accept: application/sdp
      Content-Length: 0

    ]]>
  </send>

  <recv response="200" />
</scenario>
`;

const NO_SIPP = sippMissing(import.meta.url);
afterEach(killLeftoverSipp);

/** Our side: a TransactionLayer on 127.0.0.1 whose core answers OPTIONS 200 after a short delay. */
interface Server {
  layer: TransactionLayer;
  clock: RealClock;
  local: Endpoint;
  /** How many times the core saw each Call-ID. */
  seen: Map<string, number>;
  /** OPTIONS datagrams that reached the transport (SIPp's retransmissions included). */
  optionsIn: number;
  /** 200s our transport sent (the server transactions' re-sends included). */
  okOut: number;
  events: TransactionLayerEvent[];
  /** Anything the core did not expect, as text. */
  problems: string[];
  /** The sources and top Vias the core saw, one entry per distinct description. */
  shapes: Set<string>;
  close(): Promise<void>;
}

async function startServer(t1: number): Promise<Server> {
  const clock = new RealClock();
  const answers = new Set<TimerHandle>();
  let n = 0;
  const transport = await tappedLoopbackUdp({
    received: (m) => {
      if (m.message.isRequest && m.message.method === 'OPTIONS') server.optionsIn++;
    },
    sent: (data) => {
      if (Buffer.from(data.subarray(0, 12)).toString('latin1') === 'SIP/2.0 200 ') server.okOut++;
    },
  });
  const server: Omit<Server, 'layer' | 'close'> = { clock, local: transport.local, seen: new Map(), optionsIn: 0, okOut: 0, events: [], problems: [], shapes: new Set() };
  const layer = new TransactionLayer({
    transport,
    clock,
    timers: { t1 },
    core: {
      request: (req: SipRequest, tx, source) => {
        if (tx === undefined || req.method !== 'OPTIONS') {
          server.problems.push(`unexpected ${req.method} ${tx === undefined ? 'without' : 'with'} a transaction (Call-ID ${req.callId})`);
          return;
        }
        const id = req.callId ?? '(none)';
        server.seen.set(id, (server.seen.get(id) ?? 0) + 1);
        const top = req.vias[0];
        server.shapes.add(`from ${source.address}:${source.port} Via ${top?.host}:${top?.port} received=${top?.received} rport=${String(top?.rport)} branch=${top?.branch?.slice(0, 7)}`);
        // A spread of delays from 0 to 300 ms, the same on every run.
        const delay = (n * 53) % (MAX_ANSWER_DELAY + 1);
        const toTag = `sf${n++}`;
        const handle = clock.setTimer(delay, () => {
          answers.delete(handle);
          try {
            tx.respond(createResponse(req, 200, undefined, { toTag }));
          } catch (err) {
            server.problems.push(`respond failed for ${id}: ${String(err)}`);
          }
        });
        answers.add(handle);
      },
      event: (e) => void server.events.push(e),
    },
  });
  return Object.assign(server, {
    layer,
    async close() {
      try {
        for (const h of answers) clock.clearTimer(h);
        layer.close();
      } finally {
        await transport.close();
      }
    },
  });
}

/**
 * One SIPp run against a fresh server: `lost` is SIPp's -lost percentage (0: none), `t1` our T1.
 * Timer J (64·T1) must outlast SIPp's retransmissions, or a late one would start a new
 * transaction and reach the core a second time (correctly, but not what this test checks).
 */
async function sippOptions(lost: number, t1: number): Promise<void> {
  const timerJ = 64 * t1;
  expect(timerJ).toBeGreaterThan(lost > 0 ? SIPP_LAST_RETRANS_MS + MAX_ANSWER_DELAY : 2 * MAX_ANSWER_DELAY);
  const dir = await makeSippDir('sipflow-sipp-options-');
  let server: Server | undefined;
  try {
    const scenario = join(dir, 'options-uac.xml');
    const stats = join(dir, 'stats.csv');
    await writeFile(scenario, SCENARIO, 'latin1');
    server = await startServer(t1);
    const sippPort = await freePort();
    const args = [
      `127.0.0.1:${server.local.port}`,
      '-sf', scenario,
      '-r', '50',
      '-l', '20',
      '-bind_local',
      '-ci', '127.0.0.1',
      '-max_non_invite_retrans', String(SIPP_MAX_RETRANS),
      ...sippArgs({ port: sippPort, calls: CALLS, timeoutS: 25, statsFile: stats, lost }),
    ];
    const run = await startSipp(args, dir, SIPP_KILL_MS);
    const serverAtExit = server.layer.counts.server;
    const why = describeRun(run, [`problems: ${server.problems.join('; ')}`]);

    // SIPp: exit 0 means every call succeeded; the final statistics say 200 of 200.
    expect(run.code, why).toBe(0);
    const csv = await lastCsvRow(stats);
    expect(csv.get('SuccessfulCall(C)'), why).toBe(String(CALLS));
    expect(csv.get('FailedCall(C)'), why).toBe('0');
    expect(csv.get('OutgoingCall(C)'), why).toBe(String(CALLS));
    expect(screenCount(run.stdout, 'Successful call'), why).toBe(CALLS);
    expect(screenCount(run.stdout, 'Failed call'), why).toBe(0);

    // Our side: each Call-ID reached the core exactly once; every other copy was absorbed.
    expect(server.problems, why).toEqual([]);
    expect(server.seen.size, why).toBe(CALLS);
    expect([...server.seen.entries()].filter(([, count]) => count !== 1), why).toEqual([]);
    expect(server.events, why).toEqual([]);
    // SIPp did retransmit into our transactions (answers after 100 ms land in Trying).
    expect(Number(csv.get('Retransmissions(C)')), why).toBeGreaterThan(0);
    expect(server.optionsIn, why).toBeGreaterThan(CALLS);
    // With loss, some 200s were lost on the way in and re-sent by Completed transactions.
    if (lost > 0) expect(server.okOut, why).toBeGreaterThan(CALLS);
    else expect(server.okOut, why).toBeGreaterThanOrEqual(CALLS);
    // SIPp's Via names its real address and port (no rport asked): no received/rport stamped,
    // and the responses reached it at that port.
    expect([...server.shapes], why).toEqual([`from 127.0.0.1:${sippPort} Via 127.0.0.1:${sippPort} received=undefined rport=undefined branch=z9hG4bK`]);

    // The last transactions are still in Completed (Timer J); they end within J, and then none is left.
    expect(serverAtExit, why).toBeGreaterThan(0);
    const waited = await waitUntil(() => server!.layer.counts.server === 0, timerJ + 3000);
    expect(server.layer.counts, `${why}\nwaited ${Math.round(waited)} ms for Timer J (${timerJ} ms)`).toEqual({ client: 0, server: 0 });
    expect(server.clock.pendingTimers, why).toBe(0);
    console.info(`sipp -lost ${lost}: ${Math.round(run.ms)} ms, ${csv.get('Retransmissions(C)')} SIPp retransmissions, ${server.optionsIn} OPTIONS in, ${server.okOut} 200s out; server count 0 after ${Math.round(waited)} ms (Timer J ${timerJ} ms)`);
  } finally {
    await server?.close();
    await removeSippDir(dir);
  }
}

describe.skipIf(NO_SIPP)('SIPp interop: OPTIONS into our server transactions (UDP, 127.0.0.1)', () => {
  // Without loss SIPp stops retransmitting once the 200 arrives (≤ 300 ms): a short Timer J (3.2 s) will do.
  it(`${CALLS} OPTIONS at 50/s, no loss: every call succeeds, the core sees each Call-ID once`, async () => {
    await sippOptions(0, 50);
  }, 45_000);

  // With -lost 10 a call may need SIPp's last retransmission (10.3 s after its first send), so
  // Timer J must be longer than that: T1 = 175 ms gives J = 11.2 s.
  it(`${CALLS} OPTIONS at 50/s with SIPp dropping 10% of packets: every call still succeeds, once each at the core`, async () => {
    await sippOptions(10, Math.ceil((SIPP_LAST_RETRANS_MS + MAX_ANSWER_DELAY + 600) / 64));
  }, 55_000);
});
