// Bad networks (issue 17): scenarios and load runs over a MemoryNetwork that loses 20 % of the
// datagrams, duplicates 20 % of the rest and reorders them (up to 40 ms of jitter per copy), on
// a VirtualClock. Every scenario still passes; and duplicated or reordered packets never make a
// second call, a second event or a second completion of a node. Several seeds each.
import { afterAll, describe, expect, it } from 'vitest';
import { drive } from './harness.js';
import { Engine, LoadRunner, type RunEvent, type RunResult } from '../../src/engine/index.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';
import { MemoryNetwork } from '../../src/sip/transport/memory-network.js';

const BAD = { loss: 0.2, duplicate: 0.2, delay: 5, jitter: 40 };


function badWorld(seed: number): { clock: VirtualClock; network: MemoryNetwork; options: ConstructorParameters<typeof Engine>[0] } {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, seed, defaults: BAD });
  return { clock, network, options: { clock, media: false, portBase: 20000, closeTimeoutMs: 5000, bindTransport: async (local) => network.transport(local) } };
}

const HOLD_AND_HANG_UP = {
  name: 'hold and hang up over a bad network',
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', timeout: 60_000 }, { event: 'TIMEOUT', timeout: 2000 }, 'Hold', { event: 'TIMEOUT', timeout: 2000 }, 'Retrieve', { event: 'TIMEOUT', timeout: 2000 }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'HELD', timeout: 60_000 }, { event: 'RETRIEVED', timeout: 60_000 }, { event: 'DISCONNECTED', timeout: 60_000 }] },
  },
};

describe('scenarios over a lossy, duplicating, reordering network', () => {
  const badness = { dropped: 0, duplicated: 0 };
  afterAll(() => {
    // Over the seeds, both kinds of trouble happened, many times.
    expect(badness.dropped).toBeGreaterThan(5);
    expect(badness.duplicated).toBeGreaterThan(5);
  });
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
    it(`seed ${seed}: the scenario passes; one call each side, each node completed once, each event once`, async () => {
      const { clock, network, options } = badWorld(seed);
      const engine = new Engine(options);
      const events: RunEvent[] = [];
      engine.on((e) => events.push(e));
      const result: RunResult = await drive(clock, engine.run(HOLD_AND_HANG_UP, { env: {} }));
      expect(result.status, JSON.stringify(result.failure)).toBe('passed');
      expect(result.nodes.map((n) => [n.nodeId, n.state, n.runs])).toEqual(result.nodes.map((n) => [n.nodeId, 'completed', 1]));
      // One call per side: a duplicated INVITE made no second call.
      expect(result.calls.map((c) => [c.instanceId, c.callId])).toEqual([
        ['alice', 'call-1'],
        ['bob', 'call-1'],
      ]);
      // Each node went running → completed once; each call state change was reported once.
      const states = events.flatMap((e) => (e.type === 'scenario:node-state' ? [`${e.nodeId} ${e.newState}`] : []));
      expect(new Set(states).size).toBe(states.length);
      const media = events.flatMap((e) => (e.type === 'media' ? [`${e.instanceId} ${e.kind} ${e.by ?? ''}`] : []));
      expect(media.filter((m) => m.startsWith('bob held'))).toHaveLength(1);
      expect(media.filter((m) => m.startsWith('bob resumed'))).toHaveLength(1);
      // The network really was bad (with some 30 datagrams a seed, a seed may miss one of the two).
      expect(network.counters.dropped + network.counters.duplicated).toBeGreaterThan(0);
      badness.dropped += network.counters.dropped;
      badness.duplicated += network.counters.duplicated;
    }, 30_000);
  }
});

describe('a load run over a lossy, duplicating, reordering network', () => {
  it('40 calls between two local instances: all completed, none failed, none counted twice', async () => {
    const { clock, network, options } = badWorld(11);
    const runner = new LoadRunner({ ...options, clock });
    const result = await drive(
      clock,
      runner.run(
        {
          name: 'load over a bad network',
          instances: {
            alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', timeout: 60_000 }, { event: 'TIMEOUT', timeout: 1000 }, 'Release'] },
            bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'DISCONNECTED', timeout: 60_000 }] },
          },
        },
        { rate: 5, calls: 40, load: { env: {} } },
      ),
      3_600_000,
    );
    expect(result.failures).toEqual([]);
    expect(result.totals).toMatchObject({ started: 40, completed: 40, failed: 0, served: 40, servedFailed: 0, concurrent: 0 });
    expect(network.counters.dropped).toBeGreaterThan(0);
    expect(network.counters.duplicated).toBeGreaterThan(0);
  }, 60_000);
});
