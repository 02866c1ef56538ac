// Transaction properties (issue 3): over a MemoryNetwork with loss up to 30 %, duplication and
// reordering, every INVITE and non-INVITE transaction ends with the same final response on both
// sides, and nothing (timer, transaction, datagram) is left once the last timer has fired.
//
// A run is virtual time: stack A sends the planned requests, stack B's core answers them, and the
// clock runs until idle. A 408 is accepted only where the network trace proves it legitimate.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TransactionLayerEvent } from '../../src/sip/transaction/layer.js';
import type { LinkConditions } from '../../src/sip/transport/memory-network.js';
import {
  type Datagram,
  datagrams,
  deliveredBefore,
  deliveredCopies,
  type Method,
  type Outcome,
  type PlannedTransaction,
  type Run,
  type Scenario,
  startScenario,
  T1,
  T2,
  withRunContext,
} from './transaction-network.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs (`SIPFLOW_FC_SCALE=20 npx vitest run …`). */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

const NON_INVITE: readonly Method[] = ['OPTIONS', 'MESSAGE', 'REGISTER', 'INFO'];
const INVITE_FINALS = [200, 302, 404, 486, 487, 500, 503, 603] as const;
const NON_INVITE_FINALS = [200, 202, 404, 405, 481, 486, 500, 503, 603] as const;

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** A probability in [0, max], with both ends drawn often (fast-check favours small values). */
const probability = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof({ arbitrary: fc.constant(max), weight: 2 }, { arbitrary: fc.constant(min), weight: 1 }, { arbitrary: fc.double({ min, max, noNaN: true }), weight: 3 });

const link = (o: { loss: [number, number]; duplicate: [number, number]; delay: number; jitter: number }): fc.Arbitrary<LinkConditions> =>
  fc.record({
    loss: probability(...o.loss),
    duplicate: probability(...o.duplicate),
    delay: fc.integer({ min: 0, max: o.delay }),
    jitter: fc.integer({ min: 0, max: o.jitter }),
  });

const answerDelay = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 }));
const startAt = fc.integer({ min: 0, max: 2000 });

const nonInvite: fc.Arbitrary<PlannedTransaction> = fc.record({
  method: fc.constantFrom(...NON_INVITE),
  final: fc.constantFrom(...NON_INVITE_FINALS),
  provisional: fc.option(fc.constant(100), { nil: undefined }),
  answerDelay,
  startAt,
});

const invite: fc.Arbitrary<PlannedTransaction> = fc.record({
  method: fc.constant('INVITE' as const),
  final: fc.constantFrom(...INVITE_FINALS),
  provisional: fc.option(fc.constantFrom(180, 183), { nil: undefined }),
  answerDelay,
  startAt,
});

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

const lossyScenario: fc.Arbitrary<Scenario> = fc.record({
  seed,
  aToB: link({ loss: [0, 0.3], duplicate: [0, 0.3], delay: 200, jitter: 300 }),
  bToA: link({ loss: [0, 0.3], duplicate: [0, 0.3], delay: 200, jitter: 300 }),
  transactions: fc.array(fc.oneof(nonInvite, invite), { minLength: 1, maxLength: 8 }),
});

const duplicatingScenario: fc.Arbitrary<Scenario> = fc.record({
  seed,
  aToB: link({ loss: [0, 0], duplicate: [0.3, 1], delay: 200, jitter: 1000 }),
  bToA: link({ loss: [0, 0], duplicate: [0.3, 1], delay: 200, jitter: 1000 }),
  transactions: fc.array(nonInvite, { minLength: 1, maxLength: 8 }),
});

/**
 * B→A goes down for good at some moment: every timeout, Timer H and INVITE client left waiting
 * in Proceeding that follows is legitimate, and the checker must prove each from the trace.
 */
const outageScenario: fc.Arbitrary<Scenario> = fc
  .record({
    seed,
    aToB: link({ loss: [0, 0.3], duplicate: [0, 0.3], delay: 200, jitter: 300 }),
    bToA: link({ loss: [0, 0.3], duplicate: [0, 0.3], delay: 200, jitter: 300 }),
    transactions: fc.array(fc.oneof(nonInvite, invite), { minLength: 1, maxLength: 8 }),
    outageAt: fc.integer({ min: 0, max: 5000 }),
  })
  .map(({ outageAt, ...s }) => ({ ...s, changes: [{ at: outageAt, direction: 'bToA' as const, conditions: { ...s.bToA, loss: 1 } }] }));

/** Requests B's core never answers with a final (a non-INVITE may get a 100 from it). */
const unanswered: fc.Arbitrary<PlannedTransaction> = fc.record({
  method: fc.constantFrom<Method>(...NON_INVITE, 'INVITE'),
  final: fc.constant(undefined),
  provisional: fc.constant(undefined),
  answerDelay: fc.constant(0),
  startAt,
});

/**
 * Where an unanswered request goes: `nowhere` (no listener), `blackhole` (A→B loses everything),
 * or `silent` (B gets it and its core never sends a final; a non-INVITE may get the core's 100,
 * while an INVITE's automatic 100 must be lost — B→A loses everything — since a provisional
 * stops Timer B and an INVITE client in Proceeding has no timer at all, RFC 3261 §17.1.1.2).
 */
const unansweredScenario: fc.Arbitrary<Scenario & { variant: string }> = fc
  .record({
    seed,
    variant: fc.constantFrom('nowhere', 'blackhole', 'silent'),
    aToB: link({ loss: [0, 0.3], duplicate: [0, 0.3], delay: 200, jitter: 300 }),
    bToA: link({ loss: [0, 0.3], duplicate: [0, 0.3], delay: 200, jitter: 300 }),
    transactions: fc.array(
      fc.tuple(unanswered, fc.boolean()).map(([t, trying]) => ({ ...t, provisional: trying && t.method !== 'INVITE' ? 100 : undefined })),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map((s) => ({
    ...s,
    toNowhere: s.variant === 'nowhere',
    aToB: s.variant === 'blackhole' ? { ...s.aToB, loss: 1 } : s.aToB,
    bToA: s.variant === 'silent' && s.transactions.some((t) => t.method === 'INVITE') ? { ...s.bToA, loss: 1 } : s.bToA,
  }));

// ---------------------------------------------------------------------------------------------
// Checks

function run(scenario: Scenario): Run {
  const r = startScenario(scenario);
  withRunContext(r, () => {
    r.clock.runUntilIdle();
  });
  return r;
}

/** Tallies over all runs of a property, to show that the network and the rare paths were exercised. */
interface Tally {
  transactions: number;
  timeouts: number;
  stuckInProceeding: number;
  timerH: number;
  dropped: number;
  duplicated: number;
  /** Datagrams that arrived before one sent earlier on the same link. */
  reordered: number;
}
const newTally = (): Tally => ({ transactions: 0, timeouts: 0, stuckInProceeding: 0, timerH: 0, dropped: 0, duplicated: 0, reordered: 0 });

function tallyNetwork(r: Run, tally: Tally): void {
  tally.dropped += r.network.counters.dropped;
  tally.duplicated += r.network.counters.duplicated;
  const latest = new Map<string, number>();
  for (const d of r.network.trace) {
    const link = `${d.from.address}>${d.to.address}`;
    if (d.arrivals.length === 0) continue;
    const arrival = Math.min(...d.arrivals);
    if (arrival < (latest.get(link) ?? -Infinity)) tally.reordered++;
    latest.set(link, Math.max(arrival, latest.get(link) ?? -Infinity));
  }
}

/**
 * Every transaction ends with the planned final on both sides, or with a timeout that the trace
 * proves legitimate; nothing is left afterwards. With `strict`, no timeout is legitimate.
 */
function checkCompleted(r: Run, strict: boolean, tally: Tally): void {
  const trace = datagrams(r);
  let stuck = 0;
  tallyNetwork(r, tally);
  for (const o of r.outcomes) {
    tally.transactions++;
    const mine = trace.filter((d) => d.callId === o.callId);
    const requests = mine.filter((d) => d.status === undefined && d.method === o.plan.method);
    const responses = mine.filter((d) => d.status !== undefined && d.method === o.plan.method);
    const finalsOnWire = responses.filter((d) => d.status! >= 200);
    const label = `${o.callId} (${o.plan.method} → ${o.plan.final})`;

    // The server core saw the request exactly once if any copy reached B (retransmissions and
    // duplicates absorbed), and never otherwise; and then it sent the planned final.
    const reachedB = deliveredCopies(requests) > 0;
    expect(o.serverSeen, `${label}: times B's core saw the request (a copy reached B: ${reachedB})`).toBe(reachedB ? 1 : 0);
    if (reachedB) expect(o.serverFinal?.status, `${label}: B's final`).toBe(o.plan.final);

    const finals = o.client.filter((c) => c.status >= 200);
    const firstFinal = finals[0];
    if (firstFinal === undefined) {
      // RFC 3261 §17.1.1.2: an INVITE client in Proceeding has no timer, so if every copy of every
      // final is lost it waits (its TU would CANCEL). Legitimate only if the trace shows that.
      expect(o.plan.method, `${label}: a client transaction without any final`).toBe('INVITE');
      expect(finalsOnWire.every((d) => d.record.deliveredAt.length === 0), `${label}: no final reached A, yet a final was delivered`).toBe(true);
      expect(deliveredCopies(responses), `${label}: a provisional reached A (so the INVITE client is Proceeding)`).toBeGreaterThan(0);
      stuck++;
      continue;
    }

    // Provisionals come only before the first final (later ones are absorbed), and only the
    // planned one, or the INVITE server transaction's own 100 when the core planned none.
    const allowed = o.plan.provisional !== undefined ? [o.plan.provisional] : o.plan.method === 'INVITE' ? [100] : [];
    const firstFinalIndex = o.client.indexOf(firstFinal);
    for (const [i, c] of o.client.entries()) {
      if (i < firstFinalIndex) expect(allowed, `${label}: provisional ${c.status} passed to the TU`).toContain(c.status);
      else expect(c.status, `${label}: response #${i} to the TU after the first final`).toBeGreaterThanOrEqual(200);
    }

    if (firstFinal.failure !== undefined) {
      // A timeout: Timer F (non-INVITE) or B (INVITE, still Calling) at exactly 64·T1 after the
      // send. Legitimate only if the trace shows nothing that should have stopped it reached A:
      // no final (non-INVITE), no response at all (INVITE: a provisional stops Timer B).
      const timer = o.plan.method === 'INVITE' ? 'B' : 'F';
      expect(strict, `${label}: a timeout where none is possible:\n${JSON.stringify(firstFinal)}`).toBe(false);
      expect(firstFinal.failure, `${label}: failure`).toEqual({ kind: 'timeout', timer });
      expect(firstFinal.status, `${label}: synthetic status`).toBe(408);
      expect(firstFinal.at, `${label}: Timer ${timer} fires 64·T1 after the send`).toBe(o.sentAt! + 64 * T1);
      const stoppers = o.plan.method === 'INVITE' ? responses : finalsOnWire;
      expect(deliveredBefore(stoppers, firstFinal.at), `${label}: 408 although a response reached A before Timer ${timer}`).toBe(false);
      expect(finals, `${label}: nothing after the 408`).toHaveLength(1);
      tally.timeouts++;
    } else {
      expect(firstFinal.status, `${label}: the client's final`).toBe(o.plan.final);
      if (o.plan.method === 'INVITE' && firstFinal.status < 300) {
        // RFC 6026 §7.2: every 2xx copy in Accepted goes to the TU; each is the planned status.
        expect(finals.every((c) => c.status === o.plan.final && c.failure === undefined), `${label}: 2xx to the TU`).toBe(true);
      } else {
        expect(finals, `${label}: finals passed to the TU (retransmissions and duplicates absorbed)`).toHaveLength(1);
      }
    }

    checkClientSends(o, requests, responses, label);
    if (reachedB) checkServerSends(o, mine, requests, label);
    if (o.plan.method === 'INVITE' && o.plan.final! < 300) check2xxAck(o, mine, label);
    if (o.plan.method === 'INVITE' && o.plan.final! >= 300 && firstFinal.failure === undefined) {
      // RFC 3261 §17.1.1.2/3: the INVITE client ACKs the 300–699 and every copy of it that follows.
      const acks = mine.filter((d) => d.method === 'ACK');
      expect(acks, `${label}: ACKs for the ${o.plan.final} vs copies of it that reached A`).toHaveLength(deliveredCopies(finalsOnWire));
    }
    for (const f of o.serverFailures) {
      // Timer H: the 300–699 was never ACKed. Legitimate only if no ACK reached B in time.
      expect(f.failure, `${label}: failure of B's server transaction`).toEqual({ kind: 'timeout', timer: 'H' });
      const acks = mine.filter((d) => d.method === 'ACK');
      expect(deliveredBefore(acks, f.at), `${label}: Timer H although an ACK reached B`).toBe(false);
      tally.timerH++;
    }
  }
  tally.stuckInProceeding += stuck;

  // Nothing left behind.
  expect(r.a.counts, 'A: live transactions').toEqual({ client: stuck, server: 0 });
  expect(r.b.counts, 'B: live transactions').toEqual({ client: 0, server: 0 });
  expect(r.clock.pendingTimers, 'timers pending').toBe(0);
  expect(r.network.pending, 'datagrams in flight').toBe(0);
  expect(r.unexpected, 'unexpected messages at a core').toEqual([]);
  // The layers discarded nothing, except at A responses that came after their transaction had
  // timed out (a late final, or a late 100 to an INVITE after Timer B).
  const timedOut = new Set(r.outcomes.filter((o) => o.client.some((c) => c.failure !== undefined)).map((o) => o.callId));
  const explained = (e: TransactionLayerEvent): boolean => e.type === 'discarded' && !e.message.isRequest && timedOut.has(e.message.callId ?? '');
  const events = [...r.eventsA.filter((e) => !explained(e)).map((e) => ['A', e] as const), ...r.eventsB.map((e) => ['B', e] as const)];
  expect(events.map(([side, e]) => `${side}: ${describeEvent(e)}`), 'layer events').toEqual([]);
}

function describeEvent(e: TransactionLayerEvent): string {
  switch (e.type) {
    case 'discarded':
      return `discarded ${e.message.isRequest ? e.message.method : e.message.status} ${e.message.callId}: ${e.reason}`;
    case 'transport-error':
      return `transport error: ${e.error.message}`;
    case 'malformed':
      return `malformed: ${e.datagram.error.message}`;
    case 'merged':
      return `merged ${e.request.method} ${e.request.callId}`;
    case 'overload':
      return `overload: ${e.request.method} ${e.request.callId} refused at ${e.live} live transactions`;
    case 'retired':
      return `retired ${e.count} lingering transactions, ${e.live} left`;
  }
}

const count = (xs: readonly number[], p: (x: number) => boolean): number => xs.filter(p).length;
const arrivalsAt = (ds: readonly Datagram[]): number[] => ds.flatMap((d) => [...d.record.deliveredAt]).sort((x, y) => x - y);
const firstArrival = (ds: readonly Datagram[]): number => Math.min(Infinity, ...arrivalsAt(ds));

/** `n` lies in [lo, hi]: the bounds differ only where two events fall on the same instant. */
function expectWithin(n: number, lo: number, hi: number, what: string): void {
  expect(n >= lo && n <= hi, `${what}: ${n}, expected ${lo === hi ? lo : `${lo}..${hi}`}`).toBe(true);
}

/**
 * When the client transaction sends its request (RFC 3261 §17.1.1.2 Timer A, §17.1.2.2 Timer E),
 * given when the first response that stops it (`stopAt`: any response for INVITE, a final for
 * non-INVITE) and the first provisional (`provAt`) reached it. A response arriving on the very
 * instant a timer fires may be handled before or after it; `stopFirst` / `provFirst` pick which.
 */
function expectedSends(method: Method, sentAt: number, stopAt: number, provAt: number, stopFirst: boolean, provFirst: boolean): number[] {
  const before = (x: number, t: number, first: boolean): boolean => (first ? x <= t : x < t);
  const out = [sentAt];
  let interval = T1;
  let t = sentAt + T1;
  while (t < sentAt + 64 * T1 && !before(stopAt, t, stopFirst)) {
    out.push(t);
    if (method === 'INVITE') interval *= 2; // Timer A: doubles, no cap
    else interval = before(provAt, t, provFirst) ? T2 : Math.min(2 * interval, T2); // Timer E
    t += interval;
  }
  return out;
}

/** The client retransmitted exactly on schedule until a response stopped it (or Timer B/F). */
function checkClientSends(o: Outcome, requests: readonly Datagram[], responses: readonly Datagram[], label: string): void {
  const sends = requests.map((d) => d.record.sentAt);
  const provisionals = responses.filter((d) => d.status! < 200);
  const stopAt = firstArrival(o.plan.method === 'INVITE' ? responses : responses.filter((d) => d.status! >= 200));
  const provAt = firstArrival(provisionals);
  const variants = [true, false].flatMap((s) => [true, false].map((p) => expectedSends(o.plan.method, o.sentAt!, stopAt, provAt, s, p)));
  expect(variants, `${label}: request sent at ${sends.join(', ')}`).toContainEqual(sends);
}

/**
 * B's server transaction answered every copy of the request it got as RFC 3261 §17.2 says: a copy
 * in Proceeding gets the latest provisional again, one in Completed the final (non-INVITE, and
 * INVITE 300–699, which Timer G also retransmits until the ACK); INVITE copies in Accepted are
 * absorbed and only the core's 2xx retransmissions go out.
 */
function checkServerSends(o: Outcome, mine: readonly Datagram[], requests: readonly Datagram[], label: string): void {
  const plan = o.plan;
  const fromB = mine.filter((d) => d.status !== undefined && d.method === plan.method);
  const finalSends = fromB.filter((d) => d.status! >= 200).length;
  const provSends = fromB.filter((d) => d.status! < 200).length;
  const arrivals = arrivalsAt(requests);
  const first = arrivals[0]!;
  const rest = arrivals.slice(1); // retransmissions and duplicates
  const fA = o.serverFinal!.at;
  // The latest provisional: the core's (sent on arrival), or the INVITE transaction's own 100
  // when the core has sent nothing within 200 ms.
  const autoTrying = plan.method === 'INVITE' && plan.provisional === undefined && plan.answerDelay >= 200;
  const provFrom = plan.provisional !== undefined ? first : autoTrying ? first + 200 : undefined;
  if (provFrom === undefined) expect(provSends, `${label}: provisionals sent by B`).toBe(0);
  else expectWithin(provSends, 1 + count(rest, (a) => a > provFrom && a < fA), 1 + count(rest, (a) => a >= provFrom && a <= fA), `${label}: provisionals sent by B`);

  if (plan.method !== 'INVITE') {
    expectWithin(finalSends, 1 + count(rest, (a) => a > fA), 1 + count(rest, (a) => a >= fA), `${label}: finals sent by B`);
  } else if (plan.final! < 300) {
    expect(finalSends, `${label}: 2xx sent by B (the core's, none by the transaction)`).toBe(1 + o.server2xxRetransmissions);
  } else {
    const ackAt = firstArrival(mine.filter((d) => d.method === 'ACK'));
    const g: number[] = [];
    for (let t = fA + T1, interval = T1; t < fA + 64 * T1; interval = Math.min(2 * interval, T2), t += interval) g.push(t);
    const lo = count(g, (t) => t < ackAt) + count(rest, (a) => a > fA && a < ackAt);
    const hi = count(g, (t) => t <= ackAt) + count(rest, (a) => a >= fA && a <= ackAt);
    expectWithin(finalSends, 1 + lo, 1 + hi, `${label}: finals sent by B (once, then on Timer G and INVITE copies until the ACK)`);
    const timerH = o.serverFailures.some((f) => f.failure.kind === 'timeout' && f.failure.timer === 'H');
    if (ackAt > fA + 64 * T1) expect(timerH, `${label}: no ACK reached B within 64·T1, yet no Timer H`).toBe(true);
  }
}

/** INVITE/2xx: every ACK copy that reached B went to its core, and the 2xx stopped at the first. */
function check2xxAck(o: Outcome, mine: readonly Datagram[], label: string): void {
  const acks = mine.filter((d) => d.method === 'ACK');
  expect(o.serverAcks, `${label}: ACKs at B's core vs ACK copies delivered`).toHaveLength(deliveredCopies(acks));
  const firstAck = o.serverAcks[0];
  if (firstAck !== undefined) {
    const late = mine.filter((d) => d.status !== undefined && d.status >= 200 && d.record.sentAt > firstAck);
    expect(late.map((d) => d.record.seq), `${label}: 2xx sent after the ACK arrived`).toEqual([]);
  }
  // RFC 3261 §13.2.2.4 with RFC 6026 §7.2: every copy of the 2xx that reached A went up (to the
  // TU while the transaction was Accepted, else to the core as a stray) and was ACKed.
  const twoXX = [...o.client, ...o.strays].filter((c) => c.status >= 200 && c.status < 300 && c.failure === undefined);
  const okCopies = deliveredCopies(mine.filter((d) => d.status !== undefined && d.status >= 200 && d.status < 300));
  expect(twoXX, `${label}: 2xx passed up at A vs 2xx copies that reached A`).toHaveLength(okCopies);
  expect(o.acksSent, `${label}: ACKs sent by A`).toBe(okCopies);
  expect(acks, `${label}: ACKs on the wire`).toHaveLength(okCopies);
}

/**
 * An unanswered request times out with a synthetic 408 exactly 64·T1 after it was sent (Timer F,
 * or Timer B for an INVITE that heard nothing), after retransmitting on schedule; nothing is
 * left on A. B's server transactions that got a request wait for their TU, which never answers
 * (no timer runs in Trying/Proceeding, RFC 3261 §17.2.1–2), until B is closed.
 */
function checkTimedOut(r: Run): void {
  const trace = datagrams(r);
  let atB = 0;
  for (const o of r.outcomes) {
    const mine = trace.filter((d) => d.callId === o.callId);
    const requests = mine.filter((d) => d.status === undefined && d.method === o.plan.method);
    const responses = mine.filter((d) => d.status !== undefined);
    const label = `${o.callId} (${o.plan.method}, unanswered)`;
    const timer = o.plan.method === 'INVITE' ? 'B' : 'F';
    const last = o.client.at(-1);
    expect(last, `${label}: the client's last response`).toEqual({ status: 408, at: o.sentAt! + 64 * T1, failure: { kind: 'timeout', timer } });
    const provisionals = o.client.slice(0, -1);
    expect(provisionals.every((c) => c.status === 100 && c.failure === undefined), `${label}: only 100s before the 408`).toBe(true);
    // Every 100 that reached A before Timer F went to the TU; later ones find no transaction.
    const hundreds = arrivalsAt(responses);
    const timeout = o.sentAt! + 64 * T1;
    expectWithin(provisionals.length, count(hundreds, (t) => t < timeout), count(hundreds, (t) => t <= timeout), `${label}: 100s passed to the TU`);
    expect(responses.every((d) => d.status === 100), `${label}: only 100s from B`).toBe(true);
    checkClientSends(o, requests, responses, label);
    if (responses.length === 0) {
      // Nothing came back: the plain schedule of RFC 3261 Figures 5 and 6.
      const offsets = requests.map((d) => d.record.sentAt - o.sentAt!);
      expect(offsets, `${label}: retransmission times`).toEqual(o.plan.method === 'INVITE' ? INVITE_SCHEDULE : NON_INVITE_SCHEDULE);
    }
    const reachedB = deliveredCopies(requests) > 0;
    expect(o.serverSeen, `${label}: times B's core saw the request`).toBe(reachedB ? 1 : 0);
    if (reachedB) atB++;
  }
  expect(r.a.counts, 'A: live transactions').toEqual({ client: 0, server: 0 });
  expect(r.b.counts, 'B: server transactions waiting for their TU').toEqual({ client: 0, server: atB });
  expect(r.clock.pendingTimers, 'timers pending').toBe(0);
  expect(r.network.pending, 'datagrams in flight').toBe(0);
  expect(r.unexpected, 'unexpected messages at a core').toEqual([]);
  r.b.close();
  expect(r.b.counts, 'B after close()').toEqual({ client: 0, server: 0 });
  expect(r.clock.pendingTimers, 'timers pending after close()').toBe(0);
}

/** RFC 3261 Figure 5 (Timer A doubling from T1 until Timer B at 64·T1), offsets from the send. */
const INVITE_SCHEDULE = [0, 500, 1500, 3500, 7500, 15500, 31500];
/** RFC 3261 Figure 6 (Timer E doubling from T1, capped at T2, until Timer F at 64·T1). */
const NON_INVITE_SCHEDULE = [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500];

// ---------------------------------------------------------------------------------------------
// Properties

describe('transaction properties over a MemoryNetwork', { timeout: 60_000 }, () => {
  it('the retransmission model used below follows RFC 3261 Figures 5 and 6', () => {
    expect(expectedSends('INVITE', 0, Infinity, Infinity, true, true)).toEqual(INVITE_SCHEDULE);
    expect(expectedSends('OPTIONS', 0, Infinity, Infinity, true, true)).toEqual(NON_INVITE_SCHEDULE);
    expect(expectedSends('INVITE', 1000, 1600, Infinity, true, true)).toEqual([1000, 1500]);
    // A 100 at 1 s: the E firing at 1.5 s finds Proceeding, so from then on every T2.
    expect(expectedSends('MESSAGE', 0, 10_000, 1000, true, true)).toEqual([0, 500, 1500, 5500, 9500]);
    // A final on the very instant E fires: either order is possible.
    expect(expectedSends('INFO', 0, 1500, Infinity, true, true)).toEqual([0, 500]);
    expect(expectedSends('INFO', 0, 1500, Infinity, false, true)).toEqual([0, 500, 1500]);
  });

  it('loss ≤ 30 %, duplication, reordering: the same final on both sides, nothing left behind', () => {
    const tally = newTally();
    fc.assert(
      fc.property(lossyScenario, (scenario) => {
        const r = run(scenario);
        withRunContext(r, () => checkCompleted(r, false, tally));
      }),
      { numRuns: runs(1500) },
    );
    // Not vacuous: the network lost, duplicated and reordered datagrams.
    expect(tally.dropped * tally.duplicated * tally.reordered, JSON.stringify(tally)).toBeGreaterThan(0);
  });

  it('no loss, heavy duplication and reordering: every non-INVITE succeeds with its exact status', () => {
    const tally = newTally();
    fc.assert(
      fc.property(duplicatingScenario, (scenario) => {
        const r = run(scenario);
        withRunContext(r, () => checkCompleted(r, true, tally));
      }),
      { numRuns: runs(500) },
    );
    expect(tally.dropped, JSON.stringify(tally)).toBe(0);
    expect(tally.duplicated * tally.reordered, JSON.stringify(tally)).toBeGreaterThan(0);
  });

  it('after an outage, every 408, Timer H and waiting INVITE client is one the trace proves legitimate', () => {
    const tally = newTally();
    fc.assert(
      fc.property(outageScenario, (scenario) => {
        const r = run(scenario);
        withRunContext(r, () => checkCompleted(r, false, tally));
      }),
      { numRuns: runs(300) },
    );
    // The acceptance paths were taken, not just the happy one.
    expect(tally.timeouts * tally.timerH * tally.stuckInProceeding, JSON.stringify(tally)).toBeGreaterThan(0);
  });

  it('rejects a 408 that the trace does not explain', () => {
    const r = run({ seed: 1, aToB: {}, bToA: {}, transactions: [{ method: 'OPTIONS', final: 200, answerDelay: 0, startAt: 0 }] });
    checkCompleted(r, false, newTally());
    const o = r.outcomes[0]!;
    o.client.splice(0, o.client.length, { status: 408, at: o.sentAt! + 64 * T1, failure: { kind: 'timeout', timer: 'F' } });
    expect(() => checkCompleted(r, false, newTally())).toThrow(/408 although a response reached A/);
  });

  it('an unanswered request times out with a 408 exactly 64·T1 after it was sent, and nothing leaks', () => {
    fc.assert(
      fc.property(unansweredScenario, (scenario) => {
        const r = run(scenario);
        withRunContext(r, () => checkTimedOut(r));
      }),
      { numRuns: runs(300) },
    );
  });
});
