// Two (or more) UserAgents on a MemoryNetwork driven by a VirtualClock, and a way to let time
// pass while the promises of the user agents settle.
import { sdpOfferAnswer } from '../../../src/sdp/index.js';
import { UserAgent, type UserAgentEvent, type UserAgentOptions } from '../../../src/sip/dialog/index.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { type LinkConditions, MemoryNetwork } from '../../../src/sip/transport/memory-network.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';

export const ALICE: Endpoint = { address: '10.0.0.1', port: 5060 };
export const BOB: Endpoint = { address: '10.0.0.2', port: 5060 };

export interface UaWorld {
  clock: VirtualClock;
  network: MemoryNetwork;
  alice: UserAgent;
  bob: UserAgent;
  /** Diagnostics each UA reported (errors first of all). */
  events: { alice: UserAgentEvent[]; bob: UserAgentEvent[] };
}

export function world(options: { seed?: number; defaults?: LinkConditions; alice?: Partial<UserAgentOptions>; bob?: Partial<UserAgentOptions> } = {}): UaWorld {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, seed: options.seed ?? 1, ...(options.defaults !== undefined ? { defaults: options.defaults } : {}) });
  const make = (who: 'alice' | 'bob', at: Endpoint, extra: Partial<UserAgentOptions> | undefined): UserAgent =>
    new UserAgent({
      transport: network.transport(at),
      identity: { user: who },
      clock,
      random: () => 0.5,
      offerAnswer: sdpOfferAnswer({ address: at.address, port: who === 'alice' ? 40000 : 42000 }),
      ...extra,
    });
  const alice = make('alice', ALICE, options.alice);
  const bob = make('bob', BOB, options.bob);
  const events = { alice: [] as UserAgentEvent[], bob: [] as UserAgentEvent[] };
  alice.on('event', (e) => events.alice.push(e));
  bob.on('event', (e) => events.bob.push(e));
  return { clock, network, alice, bob, events };
}

/** Lets queued promise callbacks run (a macrotask turn). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances the virtual clock by `ms` in `step`-ms slices, letting promises settle between slices. */
export async function pass(clock: VirtualClock, ms: number, step = 10): Promise<void> {
  await flush();
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advance(Math.min(step, end - clock.now()));
    await flush();
  }
}

/** Runs time forward until `promise` settles (or `limit` ms pass), and returns its outcome. */
export async function until<T>(clock: VirtualClock, promise: Promise<T>, limit = 120_000, step = 10): Promise<T> {
  let done = false;
  const watched = promise.finally(() => (done = true));
  watched.catch(() => undefined);
  await flush();
  const end = clock.now() + limit;
  while (!done && clock.now() < end) {
    clock.advance(step);
    await flush();
  }
  if (!done) throw new Error(`did not settle within ${limit} ms of virtual time`);
  return watched;
}

export function errorsOf(events: UserAgentEvent[]): unknown[] {
  return events.filter((e) => e.type === 'error').map((e) => (e as { error: unknown }).error);
}

export const offerFor = (at: Endpoint, port: number): string => sdpOfferAnswer({ address: at.address, port }).createOffer(undefined);
