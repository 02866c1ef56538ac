// Two transaction layers over a MemoryNetwork on a VirtualClock, driven by a plan (issue 3's
// property tests): stack A sends requests, stack B's core answers them as planned and acts as a
// minimal UA core for INVITE/2xx (retransmits the 2xx until the ACK, RFC 3261 §13.3.1.4), A's
// TU ACKs every 2xx it gets (§13.2.2.4). Everything seen on either side and on the wire is
// recorded so that the properties can check outcomes against the network trace.

import {
  createRequest,
  createResponse,
  parseMessage,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/parser/index.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';
import { type DatagramRecord, type LinkConditions, MemoryNetwork } from '../../src/sip/transport/memory-network.js';
import type { Endpoint } from '../../src/sip/transport/transport.js';
import { TransactionLayer, type TransactionLayerEvent } from '../../src/sip/transaction/layer.js';
import type { TransactionFailure } from '../../src/sip/transaction/transaction.js';

export const A: Endpoint = { address: '10.0.0.1', port: 5060 };
export const B: Endpoint = { address: '10.0.0.2', port: 5060 };
/** An address nothing listens on. */
export const NOWHERE: Endpoint = { address: '10.0.0.3', port: 5060 };

export const T1 = 500;
export const T2 = 4000;

export type Method = 'OPTIONS' | 'MESSAGE' | 'REGISTER' | 'INFO' | 'INVITE';

/** One transaction of a run, as planned. */
export interface PlannedTransaction {
  method: Method;
  /** The final status B's core answers; undefined: it never sends a final. */
  final?: number | undefined;
  /** A provisional B's core sends as soon as the request reaches it (100 for non-INVITE, 180/183 for INVITE). */
  provisional?: number | undefined;
  /** Time from the request reaching B's core to its final (0: answered inside `core.request`). */
  answerDelay: number;
  /** When A sends the request. */
  startAt: number;
}

export interface Scenario {
  /** Seed of the MemoryNetwork's PRNG. */
  seed: number;
  aToB: LinkConditions;
  bToA: LinkConditions;
  transactions: PlannedTransaction[];
  /** Send every request to an address where nothing listens. */
  toNowhere?: boolean;
  /** Changes of link conditions during the run (an outage, say), applied at `at` ms. */
  changes?: Array<{ at: number; direction: 'aToB' | 'bToA'; conditions: LinkConditions }>;
}

export interface ClientEvent {
  status: number;
  at: number;
  failure?: TransactionFailure | undefined;
}

/** What happened to one planned transaction, as seen by the TUs and cores. */
export interface Outcome {
  plan: PlannedTransaction;
  callId: string;
  /** When A handed the request to its transaction layer. */
  sentAt: number | undefined;
  /** Every response A's client TU got, in order. */
  client: ClientEvent[];
  /** 2xx responses that reached A's core as strays (after the INVITE client transaction ended). */
  strays: ClientEvent[];
  /** ACKs A sent for 2xx responses. */
  acksSent: number;
  /** Times B's core got the request in a new server transaction. */
  serverSeen: number;
  /** The final B's core sent, and when. */
  serverFinal: { status: number; at: number } | undefined;
  /** 2xx retransmissions B's core made. */
  server2xxRetransmissions: number;
  /** Times an ACK that matched no transaction reached B's core. */
  serverAcks: number[];
  /** Failures B's server transaction reported. */
  serverFailures: Array<{ failure: TransactionFailure; at: number }>;
}

export interface Run {
  scenario: Scenario;
  clock: VirtualClock;
  network: MemoryNetwork;
  a: TransactionLayer;
  b: TransactionLayer;
  outcomes: Outcome[];
  eventsA: TransactionLayerEvent[];
  eventsB: TransactionLayerEvent[];
  /** Requests or ACKs that reached B's core but belong to no planned transaction. */
  unexpected: string[];
}

/** Sets up both stacks, schedules every request and returns before the clock is run. */
export function startScenario(scenario: Scenario): Run {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, seed: scenario.seed });
  network.setLink(A, B, scenario.aToB);
  network.setLink(B, A, scenario.bToA);
  for (const c of scenario.changes ?? []) {
    clock.setTimer(c.at, () => (c.direction === 'aToB' ? network.setLink(A, B, c.conditions) : network.setLink(B, A, c.conditions)));
  }
  const destination = scenario.toNowhere === true ? NOWHERE : B;
  const timers = { t1: T1, t2: T2 };
  const outcomes: Outcome[] = scenario.transactions.map((plan, i) => ({
    plan,
    callId: `call-${i}@10.0.0.1`,
    sentAt: undefined,
    client: [],
    strays: [],
    acksSent: 0,
    serverSeen: 0,
    serverFinal: undefined,
    server2xxRetransmissions: 0,
    serverAcks: [],
    serverFailures: [],
  }));
  const byCallId = new Map(outcomes.map((o) => [o.callId, o]));
  const stop2xx = new Map<string, () => void>();
  const eventsA: TransactionLayerEvent[] = [];
  const eventsB: TransactionLayerEvent[] = [];
  const unexpected: string[] = [];

  let a: TransactionLayer;
  // RFC 3261 §13.2.2.4: the UAC core ACKs every 2xx to its INVITE, each retransmission included.
  const sendAck = (o: Outcome, request: SipRequest, ok: SipResponse): void => {
    const ack = createRequest({
      method: 'ACK',
      uri: request.uriString,
      from: String(request.from),
      to: String(ok.to),
      callId: o.callId,
      cseq: request.cseq!.seq,
    });
    o.acksSent++;
    void a.sendStateless(ack, destination);
  };

  const requests = new Map<string, SipRequest>();
  a = new TransactionLayer({
    transport: network.transport(A),
    clock,
    timers,
    core: {
      request: (req) => void unexpected.push(`A got a request: ${req.method} ${req.callId}`),
      strayResponse: (res) => {
        const o = byCallId.get(res.callId ?? '');
        const req = requests.get(res.callId ?? '');
        if (o === undefined || req === undefined) {
          unexpected.push(`A got a stray ${res.status} for ${res.callId}`);
          return;
        }
        o.strays.push({ status: res.status, at: clock.now() });
        sendAck(o, req, res);
      },
      event: (e) => eventsA.push(e),
    },
  });

  const b = new TransactionLayer({
    transport: network.transport(B),
    clock,
    timers,
    core: {
      request: (req, tx) => {
        const o = byCallId.get(req.callId ?? '');
        if (o === undefined) {
          unexpected.push(`B got a request for an unknown Call-ID: ${req.method} ${req.callId}`);
          return undefined;
        }
        if (tx === undefined) {
          // An ACK that matched no transaction: the ACK for a 2xx (or a late ACK for a non-2xx
          // final, once the INVITE server transaction has ended).
          if (req.method !== 'ACK') unexpected.push(`B's core got a ${req.method} without a transaction`);
          o.serverAcks.push(clock.now());
          stop2xx.get(o.callId)?.();
          return undefined;
        }
        o.serverSeen++;
        const plan = o.plan;
        const toTag = `b${outcomes.indexOf(o)}`;
        if (plan.provisional !== undefined) {
          tx.respond(createResponse(req, plan.provisional, undefined, plan.provisional === 100 ? {} : { toTag }));
        }
        const final = plan.final;
        if (final !== undefined) {
          const answer = (): void => {
            const res = createResponse(req, final, undefined, { toTag });
            tx.respond(res);
            o.serverFinal = { status: final, at: clock.now() };
            if (req.method === 'INVITE' && final < 300) retransmit2xx(o, () => tx.respond(res));
          };
          if (plan.answerDelay === 0) answer();
          else clock.setTimer(plan.answerDelay, answer);
        }
        return { failed: (failure) => void o.serverFailures.push({ failure, at: clock.now() }) };
      },
      event: (e) => eventsB.push(e),
    },
  });

  // RFC 3261 §13.3.1.4: the UAS core retransmits the 2xx at T1, 2·T1 … capped at T2 until the ACK
  // arrives, and gives up 64·T1 after the first send.
  function retransmit2xx(o: Outcome, resend: () => void): void {
    let interval = T1;
    let elapsed = 0;
    let handle: ReturnType<VirtualClock['setTimer']> | undefined;
    const arm = (): void => {
      elapsed += interval;
      if (elapsed >= 64 * T1) return;
      handle = clock.setTimer(interval, () => {
        handle = undefined;
        o.server2xxRetransmissions++;
        resend();
        interval = Math.min(2 * interval, T2);
        arm();
      });
    };
    stop2xx.set(o.callId, () => {
      if (handle !== undefined) clock.clearTimer(handle);
      handle = undefined;
    });
    arm();
  }

  outcomes.forEach((o, i) => {
    const plan = o.plan;
    clock.setTimer(plan.startAt, () => {
      const request = createRequest({
        method: plan.method,
        uri: 'sip:bob@10.0.0.2',
        from: `<sip:alice@10.0.0.1>;tag=a${i}`,
        to: '<sip:bob@10.0.0.2>',
        callId: o.callId,
        cseq: i + 1,
      });
      requests.set(o.callId, request);
      o.sentAt = clock.now();
      a.sendRequest(request, destination, {
        response: (res, failure) => {
          o.client.push({ status: res.status, at: clock.now(), ...(failure !== undefined ? { failure } : {}) });
          if (plan.method === 'INVITE' && res.status >= 200 && res.status < 300 && failure === undefined) sendAck(o, request, res);
        },
      });
    });
  });

  return { scenario, clock, network, a, b, outcomes, eventsA, eventsB, unexpected };
}

/** A datagram of the trace with the message it carried. */
export interface Datagram {
  record: DatagramRecord;
  message: SipRequest | SipResponse;
  callId: string;
  /** The request method, or the CSeq method of a response. */
  method: string;
  /** The response status; undefined for a request. */
  status: number | undefined;
}

/** The trace, parsed once. */
export function datagrams(run: Run): Datagram[] {
  return run.network.trace.map((record) => {
    const message = parseMessage(record.data);
    return {
      record,
      message,
      callId: message.callId ?? '',
      method: message.isRequest ? message.method : (message.cseq?.method ?? ''),
      status: message.isRequest ? undefined : message.status,
    };
  });
}

/** True when some copy of one of `ds` reached a listening transport before `t`. */
export function deliveredBefore(ds: readonly Datagram[], t: number): boolean {
  return ds.some((d) => d.record.deliveredAt.some((at) => at < t));
}

/** Copies of `ds` that reached a listening transport. */
export function deliveredCopies(ds: readonly Datagram[]): number {
  return ds.reduce((n, d) => n + d.record.deliveredAt.length, 0);
}

const where = (e: Endpoint): string => (e.address === A.address ? 'A' : e.address === B.address ? 'B' : e.address);
const ms = (t: number): string => (Number.isInteger(t) ? String(t) : t.toFixed(1));

/** A readable account of a run for failure messages: plan, outcomes, and the trace. */
export function describeRun(run: Run, maxLines = 160): string {
  const lines: string[] = [];
  const s = run.scenario;
  lines.push(`network seed ${s.seed}; A→B ${JSON.stringify(s.aToB)}; B→A ${JSON.stringify(s.bToA)}${s.toNowhere === true ? '; to nowhere' : ''}` +
      `${(s.changes ?? []).map((c) => `; at ${c.at} ${c.direction} ${JSON.stringify(c.conditions)}`).join('')}`);
  lines.push(`end: t=${ms(run.clock.now())} a.counts=${JSON.stringify(run.a.counts)} b.counts=${JSON.stringify(run.b.counts)} timers=${run.clock.pendingTimers} in-flight=${run.network.pending}`);
  for (const o of run.outcomes) {
    const client = o.client.map((c) => `${c.status}@${ms(c.at)}${c.failure ? `(${c.failure.kind}${c.failure.kind === 'timeout' ? ` ${c.failure.timer}` : ''})` : ''}`).join(' ');
    lines.push(
      `${o.callId} ${JSON.stringify(o.plan)} sent@${o.sentAt ?? '-'} | client: ${client || '-'}` +
        `${o.strays.length > 0 ? ` strays: ${o.strays.map((c) => `${c.status}@${ms(c.at)}`).join(' ')}` : ''}` +
        ` | server seen ${o.serverSeen}, final ${o.serverFinal ? `${o.serverFinal.status}@${ms(o.serverFinal.at)}` : '-'}` +
        `, 2xx rtx ${o.server2xxRetransmissions}, ACKs@core ${o.serverAcks.map(ms).join(',') || '-'}` +
        `${o.serverFailures.length > 0 ? `, failures ${o.serverFailures.map((f) => `${f.failure.kind}@${ms(f.at)}`).join(',')}` : ''}`,
    );
  }
  const other = [...run.eventsA.map((e) => `A ${e.type}`), ...run.eventsB.map((e) => `B ${e.type}`)];
  if (other.length > 0) lines.push(`layer events: ${other.join(', ')}`);
  if (run.unexpected.length > 0) lines.push(`unexpected: ${run.unexpected.join('; ')}`);
  const trace = datagrams(run);
  lines.push(`trace (${trace.length} datagrams):`);
  for (const d of trace.slice(0, maxLines)) {
    const r = d.record;
    const what = d.status === undefined ? d.method : `${d.status} ${d.method}`;
    const fate = r.fate === 'dropped' ? 'DROPPED' : `${r.fate} @${r.deliveredAt.map(ms).join(',') || r.arrivals.map(ms).join(',')}`;
    lines.push(`  #${r.seq} t=${ms(r.sentAt)} ${where(r.from)}→${where(r.to)} ${what} ${d.callId} ${fate}`);
  }
  if (trace.length > maxLines) lines.push(`  … ${trace.length - maxLines} more`);
  return lines.join('\n');
}

/** Runs `check`; if it throws, the error message gets the account of the run appended. */
export function withRunContext(run: Run, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof Error) {
      err.message = `${err.message}\n--- run ---\n${describeRun(run)}`;
      throw err;
    }
    throw new Error(`${String(err)}\n--- run ---\n${describeRun(run)}`);
  }
}
