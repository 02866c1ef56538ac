// A load that runs longer than the transaction table holds (issue 16): each call leaves its
// transactions lingering 64·T1 (RFC 6026, Timers J, K, L, M), so at a high rate for more than 32 s
// they fill `maxTransactions`. The oldest lingering ones then make room; before, every new INVITE
// was refused with 503 once the table was full (SIPp calling at 4,000 calls/s for 60 s: 139,971 of
// 240,000 calls refused from the 25th second). Here with a table of 60 and 300 calls, over a
// MemoryNetwork on a VirtualClock.
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

describe('a load longer than the transaction table holds', () => {
  it('300 calls with room for 60 transactions per instance: every call completes, the table stays bounded', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, seed: 7 });
    const runner = new LoadRunner({ clock, media: false, portBase: 21400, limits: { maxTransactions: 60 }, bindTransport: async (local) => network.transport(local) });
    const result = await drive(clock, runner.run(CALL_AND_ANSWER, { rate: 50, calls: 300, media: 'off', load: { env: {} } }));
    expect(result.totals).toMatchObject({ started: 300, completed: 300, failed: 0, served: 300, servedFailed: 0, received5xx: 0 });
    expect(result.failures).toEqual([]);
    // Two instances, each at most its limit (a quarter beyond for requests inside a dialog).
    expect(result.live.transactions).toBeGreaterThan(0);
    expect(result.live.transactions).toBeLessThanOrEqual(2 * 60 * 1.25);
  }, 60_000);
});
