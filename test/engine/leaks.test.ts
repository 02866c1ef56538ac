// Leaks (issue 17): after a load run's calls have ended and their transactions have run out
// (64·T1), nothing is left: no transaction, dialog, session, pending call, unanswered request,
// RTP session or timer. Over a MemoryNetwork on a VirtualClock, so thousands of calls and the
// 32 s of RFC 6026 take seconds; bench/leak.ts does 50,000 over real UDP and watches the heap.
import { describe, expect, it } from 'vitest';
import { drive } from './harness.js';
import { LoadRunner } from '../../src/engine/index.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';
import { MemoryNetwork } from '../../src/sip/transport/memory-network.js';


const CALL_AND_ANSWER = {
  name: 'call, answer, hang up',
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 200 }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
};

describe('nothing left after a load run', () => {
  it('2,000 calls (signalling only), then 40 s: every count back to 0', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, seed: 3 });
    const runner = new LoadRunner({ clock, media: false, portBase: 21000, bindTransport: async (local) => network.transport(local) });
    const result = await drive(clock, runner.run(CALL_AND_ANSWER, { rate: 200, calls: 2000, media: 'off', settleMs: 40_000, load: { env: {} } }));
    expect(result.totals).toMatchObject({ started: 2000, completed: 2000, failed: 0, served: 2000, concurrent: 0 });
    expect(result.live).toEqual({ transactions: 0, dialogs: 0, sessions: 0, pendingCalls: 0, unanswered: 0, mediaSessions: 0, timers: 0 });
  }, 120_000);

  it('without the wait, what the calls left is counted (the answered INVITEs\' transactions, RFC 6026)', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, seed: 4 });
    const runner = new LoadRunner({ clock, media: false, portBase: 21100, bindTransport: async (local) => network.transport(local) });
    const result = await drive(clock, runner.run(CALL_AND_ANSWER, { rate: 50, calls: 100, media: 'off', load: { env: {} } }));
    expect(result.totals).toMatchObject({ completed: 100, failed: 0 });
    expect(result.live.transactions).toBeGreaterThan(0);
    expect(result.live).toMatchObject({ dialogs: 0, sessions: 0, pendingCalls: 0, mediaSessions: 0 });
  }, 60_000);

  it('with RTP: every media session closed at the end', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, seed: 5 });
    const runner = new LoadRunner({ clock, portBase: 21200, bindTransport: async (local) => network.transport(local) });
    const result = await drive(clock, runner.run(CALL_AND_ANSWER, { rate: 20, calls: 40, media: 'on', settleMs: 40_000, load: { env: {} } }));
    expect(result.totals).toMatchObject({ completed: 40, failed: 0 });
    expect(result.live).toMatchObject({ transactions: 0, dialogs: 0, sessions: 0, pendingCalls: 0, mediaSessions: 0 });
  }, 60_000);

  it('hundreds of calls at once raise no process warning (every call listens for the run\'s end)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const clock = new VirtualClock();
      const network = new MemoryNetwork({ clock, seed: 6 });
      const runner = new LoadRunner({ clock, media: false, portBase: 21300, bindTransport: async (local) => network.transport(local) });
      const result = await drive(clock, runner.run(CALL_AND_ANSWER, { rate: 1000, calls: 300, media: 'off', load: { env: {} } }));
      expect(result.totals.maxConcurrent).toBeGreaterThan(100);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  }, 60_000);
});

// A load that runs longer than the transaction table holds (issue 16): each call leaves its
// transactions lingering 64·T1 (RFC 6026, Timers J, K, L, M), so at a high rate for more than 32 s
// they fill `maxTransactions`. The oldest lingering ones then make room; before, every new INVITE
// was refused with 503 once the table was full (SIPp calling at 4,000 calls/s for 60 s: 139,971 of
// 240,000 calls refused from the 25th second). Here with a table of 60 and 300 calls.
describe('a load longer than the transaction table holds', () => {
  it('300 calls with room for 60 transactions per instance: every call completes, the table stays bounded', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, seed: 7 });
    const runner = new LoadRunner({ clock, media: false, portBase: 21400, limits: { maxTransactions: 60 }, bindTransport: async (local) => network.transport(local) });
    const result = await drive(clock, runner.run(CALL_AND_ANSWER, { rate: 50, calls: 300, media: 'off', load: { env: {} } }));
    expect(result.totals).toMatchObject({ started: 300, completed: 300, failed: 0, served: 300, servedFailed: 0, received5xx: 0 });
    expect(result.failures).toEqual([]);
    // Nothing refused; lingering transactions ended early to make room, on both sides.
    expect(result.refusals).toMatchObject({ atMaxDialogs: 0, atMaxTransactions: 0 });
    expect(result.refusals.lingeringEnded).toBeGreaterThan(500);
    // Two instances, each at most its limit (a quarter beyond for requests inside a dialog).
    expect(result.live.transactions).toBeGreaterThan(0);
    expect(result.live.transactions).toBeLessThanOrEqual(2 * 60 * 1.25);
  }, 60_000);
});
