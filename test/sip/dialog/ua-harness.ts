// Two (or more) UserAgents on a MemoryNetwork driven by a VirtualClock, and a way to let time
// pass while the promises of the user agents settle.
import { sdpOfferAnswer } from '../../../src/sdp/index.js';
import { UserAgent, type UserAgentEvent, type UserAgentOptions } from '../../../src/sip/dialog/index.js';
import { parseMessage, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import type { TransactionLayer } from '../../../src/sip/transaction/layer.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { type DatagramFate, type LinkConditions, MemoryNetwork } from '../../../src/sip/transport/memory-network.js';
import type { Endpoint, Transport, TransportHandlers } from '../../../src/sip/transport/transport.js';

export const ALICE: Endpoint = { address: '10.0.0.1', port: 5060 };
export const BOB: Endpoint = { address: '10.0.0.2', port: 5060 };
export const BOB_URI = `sip:bob@${BOB.address}:${BOB.port}`;
export const ALICE_URI = `sip:alice@${ALICE.address}:${ALICE.port}`;

type Message = SipRequest | SipResponse;
/** Which messages a filtered transport ignores, per direction (`out`: never sent; `in`: arrives on the wire, then ignored). */
export interface Blocker {
  out?: (message: Message) => boolean;
  in?: (message: Message) => boolean;
}

/**
 * A transport that passes everything to and from `inner` except what its {@link Blocker} says to
 * drop. Dropped outgoing messages never reach the network (and the trace); dropped incoming ones
 * are in the trace as delivered, which keeps counts of what the peer sent exact.
 */
export class FilterTransport implements Transport {
  readonly block: Blocker = {};
  constructor(private readonly inner: Transport) {}
  get protocol(): string {
    return this.inner.protocol;
  }
  get reliable(): boolean {
    return this.inner.reliable;
  }
  get local(): Endpoint {
    return this.inner.local;
  }
  setHandlers(handlers: TransportHandlers): void {
    this.inner.setHandlers({
      ...handlers,
      message: (inbound) => {
        if (this.block.in?.(inbound.message)) return;
        handlers.message?.(inbound);
      },
    });
  }
  send(data: Uint8Array, destination: Endpoint): Promise<void> {
    if (this.block.out?.(parseMessage(data))) return Promise.resolve();
    return this.inner.send(data, destination);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface UaWorld {
  clock: VirtualClock;
  network: MemoryNetwork;
  alice: UserAgent;
  bob: UserAgent;
  /** What each UA's transport drops (set fields at any time). */
  block: { alice: Blocker; bob: Blocker };
  /** Diagnostics each UA reported (errors first of all). */
  events: { alice: UserAgentEvent[]; bob: UserAgentEvent[] };
}

export function world(options: { seed?: number; defaults?: LinkConditions; alice?: Partial<UserAgentOptions>; bob?: Partial<UserAgentOptions> } = {}): UaWorld {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, seed: options.seed ?? 1, ...(options.defaults !== undefined ? { defaults: options.defaults } : {}) });
  const make = (who: 'alice' | 'bob', at: Endpoint, extra: Partial<UserAgentOptions> | undefined): [UserAgent, Blocker] => {
    const transport = new FilterTransport(network.transport(at));
    const ua = new UserAgent({
      transport,
      identity: { user: who },
      clock,
      random: () => 0.5,
      offerAnswer: sdpOfferAnswer({ address: at.address, port: who === 'alice' ? 40000 : 42000 }),
      ...extra,
    });
    return [ua, transport.block];
  };
  const [alice, aliceBlock] = make('alice', ALICE, options.alice);
  const [bob, bobBlock] = make('bob', BOB, options.bob);
  const events = { alice: [] as UserAgentEvent[], bob: [] as UserAgentEvent[] };
  alice.on('event', (e) => events.alice.push(e));
  bob.on('event', (e) => events.bob.push(e));
  return { clock, network, alice, bob, block: { alice: aliceBlock, bob: bobBlock }, events };
}

/** Lets queued promise callbacks run (a macrotask turn). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Advances the virtual clock by `ms`, stopping at every timer's due time (and at least every
 * `step` ms) to let promises settle, so that work done in promise callbacks happens at the
 * virtual time it would happen in reality.
 */
export async function pass(clock: VirtualClock, ms: number, step = 10): Promise<void> {
  await flush();
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advanceTo(Math.min(end, clock.now() + step, clock.nextDue ?? end));
    await flush();
  }
}

/** Runs time forward (as {@link pass} does) until `promise` settles or `limit` ms pass, and returns its outcome. */
export async function until<T>(clock: VirtualClock, promise: Promise<T>, limit = 120_000, step = 10): Promise<T> {
  let done = false;
  const watched = promise.finally(() => (done = true));
  watched.catch(() => undefined);
  await flush();
  const end = clock.now() + limit;
  while (!done && clock.now() < end) {
    clock.advanceTo(Math.min(end, clock.now() + step, clock.nextDue ?? end));
    await flush();
  }
  if (!done) throw new Error(`did not settle within ${limit} ms of virtual time`);
  return watched;
}

/**
 * Like {@link until}, but jumps from one timer to the next instead of in fixed steps: exact and
 * fast for long virtual runs. Throws if nothing is scheduled and the promise is still pending.
 */
export async function settle<T>(clock: VirtualClock, promise: Promise<T>, limit = 600_000): Promise<T> {
  let done = false;
  const watched = promise.finally(() => (done = true));
  watched.catch(() => undefined);
  const end = clock.now() + limit;
  await flush();
  while (!done) {
    const next = clock.nextDue;
    if (next === undefined) throw new Error('nothing scheduled and the promise has not settled');
    if (next > end) throw new Error(`did not settle within ${limit} ms of virtual time`);
    clock.advanceTo(next);
    await flush();
  }
  return watched;
}

/** Fires every timer left (with promise turns in between) until none is; returns the time reached. */
export async function drain(clock: VirtualClock, maxTimers = 100_000): Promise<number> {
  await flush();
  for (let i = 0; clock.nextDue !== undefined; i++) {
    if (i > maxTimers) throw new Error('timers keep re-arming');
    clock.advanceTo(clock.nextDue);
    await flush();
  }
  return clock.now();
}

export function errorsOf(events: UserAgentEvent[]): unknown[] {
  return events.filter((e) => e.type === 'error').map((e) => (e as { error: unknown }).error);
}

/** The transaction layer of a user agent (private), for leak checks. */
export function layerOf(ua: UserAgent): TransactionLayer {
  return (ua as unknown as { layer: TransactionLayer }).layer;
}

export const offerFor = (at: Endpoint, port: number): string => sdpOfferAnswer({ address: at.address, port }).createOffer(undefined);

/** One datagram of the network trace, parsed. */
export interface WireRecord {
  at: number;
  from: Endpoint;
  to: Endpoint;
  message: Message;
  fate: DatagramFate;
  /** `INVITE`, `ACK` … for requests; `200 INVITE`, `180 INVITE` … for responses. */
  label: string;
}

/** The network trace, parsed (optionally only what went from `from`). */
export function wire(network: MemoryNetwork, from?: Endpoint): WireRecord[] {
  return network.trace
    .filter((r) => from === undefined || (r.from.address === from.address && r.from.port === from.port))
    .map((r) => {
      const message = parseMessage(r.data);
      const label = message.isRequest ? message.method : `${message.status} ${message.cseq?.method ?? ''}`;
      return { at: r.sentAt, from: r.from, to: r.to, message, fate: r.fate, label };
    });
}

/** Labels of the trace in order, e.g. `['INVITE', '180 INVITE', '200 INVITE', 'ACK']`. */
export function labels(network: MemoryNetwork, from?: Endpoint): string[] {
  return wire(network, from).map((r) => r.label);
}

/** Times at which datagrams with `label` were sent (from `from`, if given). */
export function timesOf(network: MemoryNetwork, label: string, from?: Endpoint): number[] {
  return wire(network, from)
    .filter((r) => r.label === label)
    .map((r) => r.at);
}
