// Call properties (issue 5): over a MemoryNetwork with loss up to 20 % in each direction,
// duplication and jitter, every call (invite → answer → maybe re-INVITE, from either side or both
// at once → BYE) completes, the two sides agree on the session descriptions, no user agent
// reports an error, and once both have closed no timer is left.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdOffer, parseSdp, serializeSdp } from '../../src/sdp/index.js';
import { type DialogEndedError, type DialogSession, DialogStateError, type IncomingCall, RequestFailedError } from '../../src/sip/dialog/index.js';
import type { LinkConditions } from '../../src/sip/transport/memory-network.js';
import type { SipResponse } from '../../src/sip/parser/index.js';
import type { Endpoint } from '../../src/sip/transport/transport.js';
import { ALICE, BOB, BOB_URI, drain, errorsOf, layerOf, offerFor, pass, settle, type UaWorld, wire, world } from '../sip/dialog/ua-harness.js';
import { prng } from './arbitraries.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

type Reinvite = 'none' | 'alice' | 'bob' | 'both' | 'late-offer';
interface PlannedCall {
  startAt: number;
  answerAfter: number;
  ring: boolean;
  reinvite: Reinvite;
  /** Who hangs up. */
  bye: 'alice' | 'bob';
}
interface Scenario {
  seed: number;
  aToB: LinkConditions;
  bToA: LinkConditions;
  calls: PlannedCall[];
}

const link: fc.Arbitrary<LinkConditions> = fc.record({
  loss: fc.oneof(fc.constant(0.2), fc.double({ min: 0, max: 0.2, noNaN: true })),
  duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  delay: fc.integer({ min: 0, max: 50 }),
  jitter: fc.integer({ min: 0, max: 100 }),
});

const scenario: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  aToB: link,
  bToA: link,
  calls: fc.array(
    fc.record({
      startAt: fc.integer({ min: 0, max: 1000 }),
      answerAfter: fc.integer({ min: 0, max: 1500 }),
      ring: fc.boolean(),
      reinvite: fc.constantFrom<Reinvite>('none', 'alice', 'bob', 'both', 'late-offer'),
      bye: fc.constantFrom<'alice' | 'bob'>('alice', 'bob'),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});


/**
 * The world of a scenario: seeded with `sc.seed`, `sc`'s links between Alice and Bob, and a sleep
 * on its virtual clock. `options`: more for {@link world} (e.g. the user agents' random sources).
 */
function scenarioWorld(sc: { seed: number; aToB: LinkConditions; bToA: LinkConditions }, options: Parameters<typeof world>[0] = {}): { w: UaWorld; sleep: (ms: number) => Promise<void> } {
  const w = world({ seed: sc.seed, ...options });
  w.network.setLink(ALICE, BOB, sc.aToB);
  w.network.setLink(BOB, ALICE, sc.bToA);
  return { w, sleep: (ms) => new Promise((resolve) => w.clock.setTimer(ms, resolve)) };
}

/** A re-INVITE, retried after Retry-After when it lands while the peer still waits for an ACK (RFC 3261 §14.2). */
async function reinvite(session: DialogSession, sdp: string | undefined, sleep: (ms: number) => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await session.reinvite(sdp);
      return;
    } catch (err) {
      const retryAfter = err instanceof RequestFailedError && err.status === 500 ? Number(err.response?.header('Retry-After')) : NaN;
      if (!Number.isFinite(retryAfter) || attempt >= 10) throw err;
      await sleep(Math.max(retryAfter * 1000, 1000));
    }
  }
}

async function run(sc: Scenario): Promise<void> {
  const { w, sleep } = scenarioWorld(sc, { alice: { random: prng(sc.seed) }, bob: { random: prng(sc.seed ^ 0x5bd1e995) } });
  w.bob.on('invite', (call) => {
    const plan = sc.calls[Number(call.request.header('X-Call'))]!;
    if (plan.ring) call.ringing();
    w.clock.setTimer(plan.answerAfter, () => void call.answer().catch(() => undefined));
  });
  // the answering side learns of the session from the UA's `session` event (answer() may reject
  // with remote-bye when the BYE overtakes every ACK retransmission; that is fine)
  const bobBySession = new Map<string, DialogSession>();
  w.bob.on('session', (s) => bobBySession.set(s.callId, s));

  let lostByes = 0;
  const oneCall = async (plan: PlannedCall, index: number): Promise<void> => {
    await sleep(plan.startAt);
    const a = await w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000 + 2 * index), headers: { 'X-Call': String(index) } });
    expect(a.state).toBe('confirmed');
    const waitForBob = async (): Promise<DialogSession> => {
      for (;;) {
        const b = bobBySession.get(a.callId);
        if (b !== undefined) return b;
        await sleep(100);
      }
    };
    if (plan.reinvite !== 'none') {
      const b = plan.reinvite === 'alice' || plan.reinvite === 'late-offer' ? undefined : await waitForBob();
      const jobs: Array<Promise<void>> = [];
      if (plan.reinvite === 'alice' || plan.reinvite === 'both') jobs.push(reinvite(a, serializeSdp(holdOffer(parseSdp(a.localSdp!))), sleep));
      if (plan.reinvite === 'late-offer') jobs.push(reinvite(a, undefined, sleep));
      if (b !== undefined) jobs.push(reinvite(b, serializeSdp(holdOffer(parseSdp(b.localSdp!), 'inactive')), sleep));
      await Promise.all(jobs);
    }
    if (plan.bye === 'alice') {
      const res = await a.bye();
      expect(a.signal.reason.reason).toBe('local-bye');
      if (res?.status !== 200) expect(legitTimeout(res, ALICE, a.callId)).toBe(true);
    } else {
      const b = await waitForBob();
      // both descriptions agree once every offer/answer exchange is over (the ACK may still be on its way)
      await sleep(64 * 500);
      expect(b.remoteSdp).toBe(a.localSdp);
      expect(b.localSdp).toBe(a.remoteSdp);
      const res = await b.bye();
      if (res?.status !== 200) expect(legitTimeout(res, BOB, a.callId)).toBe(true);
      else {
        await sleep(10);
        expect(a.signal.reason.reason).toBe('remote-bye');
      }
    }
  };
  /** A BYE may time out (408) only when the trace shows none of its 200s reached `sender`. */
  const legitTimeout = (res: SipResponse | undefined, sender: Endpoint, callId: string): boolean => {
    lostByes++;
    return (
      res?.status === 408 &&
      wire(w.network).every((r) => r.label !== '200 BYE' || r.message.callId !== callId || r.to.address !== sender.address || r.fate === 'dropped')
    );
  };

  await settle(w.clock, Promise.all(sc.calls.map((plan, i) => oneCall(plan, i))), 1_000_000);
  // bob's session may have ended already, or ends when alice's BYE (or a retransmission) arrives
  await pass(w.clock, 100);
  if (lostByes === 0) {
    expect(w.alice.activeSessions).toEqual([]);
    expect(w.bob.activeSessions).toEqual([]);
  }
  expect(errorsOf(w.events.alice)).toEqual([]);
  expect(errorsOf(w.events.bob)).toEqual([]);
  await closeAndCheck(w);
}

/** Closes both user agents; afterwards no timer (but datagrams in flight) and no transaction is left. */
async function closeAndCheck(w: ReturnType<typeof world>): Promise<void> {
  await settle(w.clock, Promise.all([w.alice.close(), w.bob.close()]));
  // the only timers left are datagrams still in flight (nobody listens for them any more)
  expect(w.clock.pendingTimers).toBe(w.network.pending);
  await drain(w.clock);
  expect(w.clock.pendingTimers).toBe(0);
  expect(layerOf(w.alice).counts).toEqual({ client: 0, server: 0 });
  expect(layerOf(w.bob).counts).toEqual({ client: 0, server: 0 });
}

interface CancelScenario {
  seed: number;
  aToB: LinkConditions;
  bToA: LinkConditions;
  calls: Array<{ startAt: number; abortAt: number; answerAfter: number; ring: boolean }>;
}

const cancelScenario: fc.Arbitrary<CancelScenario> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  aToB: link,
  bToA: link,
  calls: fc.array(
    fc.record({
      startAt: fc.integer({ min: 0, max: 500 }),
      abortAt: fc.integer({ min: 0, max: 2500 }),
      answerAfter: fc.integer({ min: 0, max: 2500 }),
      ring: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/**
 * Calls that the caller abandons at a random moment, racing the callee's answer: each either
 * comes up (and is hung up) or rejects `cancelled`; then the callee's side is over too — the call
 * was cancelled (487), or answered and hung up with BYE (RFC 3261 §9.1: a CANCEL that crosses
 * the 2xx has no effect; the caller ACKs and BYEs).
 */
async function runCancel(sc: CancelScenario): Promise<void> {
  const { w, sleep } = scenarioWorld(sc);
  const incoming: IncomingCall[] = [];
  const bobEnded = new Map<string, string>();
  w.bob.on('invite', (call) => {
    const plan = sc.calls[Number(call.request.header('X-Call'))]!;
    incoming.push(call);
    if (plan.ring) call.ringing();
    w.clock.setTimer(plan.answerAfter, () => {
      if (call.state !== 'pending') return;
      call.answer().then(
        (s) => {
          // the BYE may have arrived right behind the ACK, before this callback ran
          const ended = (): void => void bobEnded.set(s.callId, s.signal.reason.reason);
          if (s.signal.aborted) ended();
          else s.signal.addEventListener('abort', ended);
        },
        (e: DialogEndedError) => bobEnded.set(call.callId!, e.reason),
      );
    });
  });
  const outcomes = await settle(
    w.clock,
    Promise.all(
      sc.calls.map(async (plan, i) => {
        await sleep(plan.startAt);
        const ac = new AbortController();
        w.clock.setTimer(plan.abortAt, () => ac.abort());
        try {
          const s = await w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000 + 2 * i), signal: ac.signal, headers: { 'X-Call': String(i) } });
          await s.bye();
          return 'up';
        } catch (err) {
          expect(err).toBeInstanceOf(RequestFailedError);
          expect((err as RequestFailedError).kind).toBe('cancelled');
          return 'cancelled';
        }
      }),
    ),
    1_000_000,
  );
  expect(outcomes.length).toBe(sc.calls.length);
  // let the callee's side finish (CANCEL held until a provisional, 2xx retransmissions, BYE)
  await pass(w.clock, 64 * 500, 100);
  expect(incoming.length).toBe(sc.calls.length);
  for (const call of incoming) {
    if (call.state === 'cancelled') expect(call.signal.reason.reason).toBe('cancelled');
    else {
      expect(call.state).toBe('answered');
      expect(bobEnded.get(call.callId!)).toBe('remote-bye');
    }
  }
  expect(w.alice.activeSessions).toEqual([]);
  expect(w.bob.activeSessions).toEqual([]);
  expect(errorsOf(w.events.alice)).toEqual([]);
  expect(errorsOf(w.events.bob)).toEqual([]);
  await closeAndCheck(w);
}

interface CloseScenario {
  seed: number;
  aToB: LinkConditions;
  bToA: LinkConditions;
  closeAt: number;
  who: 'alice' | 'bob' | 'both';
  calls: Array<{ startAt: number; answerAfter: number; ring: boolean; hangAfter: number }>;
}

const closeScenario: fc.Arbitrary<CloseScenario> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  aToB: link,
  bToA: link,
  closeAt: fc.integer({ min: 0, max: 6000 }),
  who: fc.constantFrom<'alice' | 'bob' | 'both'>('alice', 'bob', 'both'),
  calls: fc.array(
    fc.record({
      startAt: fc.integer({ min: 0, max: 3000 }),
      answerAfter: fc.integer({ min: 0, max: 3000 }),
      ring: fc.boolean(),
      hangAfter: fc.integer({ min: 0, max: 3000 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/**
 * One side (or both) closes at a random moment while calls are being set up, up or hung up:
 * every promise settles (an invite as up or with a typed error; a BYE with a response), no error
 * is reported, and after both have closed nothing is left.
 */
async function runClose(sc: CloseScenario): Promise<void> {
  const { w, sleep } = scenarioWorld(sc);
  w.bob.on('invite', (call) => {
    const plan = sc.calls[Number(call.request.header('X-Call'))]!;
    if (plan.ring) call.ringing();
    w.clock.setTimer(plan.answerAfter, () => {
      if (call.state === 'pending') void call.answer().catch(() => undefined);
    });
  });
  const calls = sc.calls.map(async (plan, i) => {
    await sleep(plan.startAt);
    let session: DialogSession;
    try {
      // a timeout: a callee that closes after a provisional never sends a final (RFC 3261 has no timer for that)
      session = await w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000 + 2 * i), headers: { 'X-Call': String(i) }, timeout: 60_000 });
    } catch (err) {
      if (err instanceof RequestFailedError) return err.kind;
      if (err instanceof DialogStateError) return 'not-sent'; // alice had closed already
      throw err;
    }
    await sleep(plan.hangAfter);
    const res = await session.bye();
    expect(res === undefined || res.status >= 200).toBe(true);
    return 'up';
  });
  const closing = sleep(sc.closeAt).then(() => Promise.all([sc.who !== 'bob' ? w.alice.close() : undefined, sc.who !== 'alice' ? w.bob.close() : undefined]));
  const outcomes = await settle(w.clock, Promise.all(calls), 1_000_000);
  for (const o of outcomes) expect(['up', 'not-sent', 'closed', 'rejected', 'timeout', 'transport']).toContain(o);
  await settle(w.clock, closing);
  expect(errorsOf(w.events.alice)).toEqual([]);
  expect(errorsOf(w.events.bob)).toEqual([]);
  await settle(w.clock, Promise.all([w.alice.close(), w.bob.close()]));
  await drain(w.clock);
  expect(layerOf(w.alice).counts).toEqual({ client: 0, server: 0 });
  expect(layerOf(w.bob).counts).toEqual({ client: 0, server: 0 });
}

describe('calls over a lossy network', () => {
  it('a caller that gives up at any moment: the call is cancelled or up-and-hung-up, on both sides', async () => {
    await fc.assert(
      fc.asyncProperty(cancelScenario, async (sc) => runCancel(sc)),
      { numRuns: runs(25) },
    );
  }, 60_000);

  it('close() at any moment: every promise settles, no error, nothing left', async () => {
    await fc.assert(
      fc.asyncProperty(closeScenario, async (sc) => runClose(sc)),
      { numRuns: runs(25) },
    );
  }, 60_000);

  it('loss ≤ 20 % each way, duplication, jitter: every call completes, no error, nothing left after close', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => run(sc)),
      { numRuns: runs(25) },
    );
  }, 60_000);
});
