// An in-process datagram network for tests (issue 3): several transports on one network, with
// seeded loss, duplication, delay and jitter per direction, delivered only through the Clock.
// Modelled on pjsip's loop transport; deterministic so transaction tests can assert exact
// retransmission counts on a VirtualClock.

import { isIP } from 'node:net';
import type { Clock } from './clock.js';
import { canonicalAddress, receiveDatagram } from './inbound.js';
import { type Endpoint, type Transport, TransportError, type TransportHandlers } from './transport.js';

/**
 * How one direction of a link treats datagrams. Every field is optional; see
 * {@link MemoryNetwork.setDefaults} and {@link MemoryNetwork.setLink} for what a missing field means.
 *
 * There is no separate reordering option: datagrams are reordered exactly when `jitter` lets a
 * later datagram draw a shorter delay than an earlier one.
 */
export interface LinkConditions {
  /** Probability, 0..1, that a datagram is lost. */
  loss?: number;
  /** Probability, 0..1, that a datagram that is not lost arrives twice (each copy draws its own jitter). */
  duplicate?: number;
  /** Fixed latency in milliseconds (finite, ≥ 0). */
  delay?: number;
  /** Extra latency in milliseconds, uniform in [0, jitter) per copy (finite, ≥ 0). */
  jitter?: number;
  /**
   * When true, `send()` fails at once with a {@link TransportError} of kind `send`, code
   * `EHOSTUNREACH` (pjsip's "fail" mode: lets tests exercise the transport-error path of
   * RFC 3261 §17.1.1.2 / §17.1.2.2). Nothing goes on the wire.
   */
  fail?: boolean;
}

/** Conditions with every field filled in. */
export type ResolvedLinkConditions = Required<LinkConditions>;

/**
 * What became of a datagram: `in-flight` until every copy has arrived; then `delivered` (one copy
 * reached a transport), `duplicated` (two copies did), `no-listener` (copies arrived but nothing
 * was bound there, or the transport had closed). `dropped` (lost to `loss`) and `failed` (the
 * link has `fail`, nothing was sent) are decided at send time.
 */
export type DatagramFate = 'in-flight' | 'delivered' | 'duplicated' | 'dropped' | 'no-listener' | 'failed';

/** One entry of {@link MemoryNetwork.trace}: a datagram handed to `send()` (or a stateless 400). */
export interface DatagramRecord {
  /** 1-based position in the order of sending. */
  readonly seq: number;
  /** Clock time of the send. */
  readonly sentAt: number;
  /** The sending transport's local endpoint. */
  readonly from: Endpoint;
  /** The destination (IPv6 in canonical form). */
  readonly to: Endpoint;
  /** Size of the datagram. */
  readonly bytes: number;
  /** A copy of the bytes sent. */
  readonly data: Uint8Array;
  /** Current fate; settles when the last copy arrives. */
  readonly fate: DatagramFate;
  /** Scheduled arrival time of each copy: none when dropped or failed, two when duplicated. */
  readonly arrivals: readonly number[];
  /** Times at which a copy was handed to a listening transport. */
  readonly deliveredAt: readonly number[];
}

/** Running totals of {@link MemoryNetwork}. */
export interface NetworkCounters {
  /** Datagrams put on the wire (failed sends excluded). */
  sent: number;
  /** Copies handed to a transport (a duplicated datagram can count twice). */
  delivered: number;
  /** Datagrams lost to `loss`. */
  dropped: number;
  /** Datagrams given a second copy. */
  duplicated: number;
  /** Copies that arrived where no transport was listening. */
  noListener: number;
  /** Sends refused because the link has `fail`. */
  failed: number;
}

/** Options of the {@link MemoryNetwork} constructor. */
export interface MemoryNetworkOptions {
  /** Drives every delivery; a `VirtualClock` in tests. */
  clock: Clock;
  /** PRNG seed (an integer; taken modulo 2^32). Default 1. */
  seed?: number;
  /** Conditions of every link without its own; default a perfect network (no loss, no delay). */
  defaults?: LinkConditions;
  /** Keep every datagram in {@link MemoryNetwork.trace}. Default true; turn off for long load runs. */
  trace?: boolean;
}

/** A transport on a {@link MemoryNetwork}: UDP semantics, in process. */
export interface MemoryTransport extends Transport {
  readonly protocol: 'UDP';
  readonly reliable: false;
  /** True once {@link Transport.close} has been called. */
  readonly closed: boolean;
  /** As {@link Transport.post}: `sent` or `failed` on a later microtask. */
  post(data: Uint8Array, destination: Endpoint, failed: (error: TransportError) => void, sent?: () => void): void;
}

const PERFECT: ResolvedLinkConditions = { loss: 0, duplicate: 0, delay: 0, jitter: 0, fail: false };
/** IANA dynamic port range (RFC 6335), where port 0 binds are placed. */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_LAST = 65535;
/** Largest UDP payload over IPv4 and IPv6 (65535 minus the IP and UDP headers). */
const MAX_PAYLOAD = { 4: 65507, 6: 65527 } as const;

interface MutableRecord {
  seq: number;
  sentAt: number;
  from: Endpoint;
  to: Endpoint;
  bytes: number;
  data: Uint8Array;
  fate: DatagramFate;
  arrivals: number[];
  deliveredAt: number[];
  /** Copies still in flight. */
  inFlight: number;
}

/**
 * An in-process network of UDP-like transports, for tests. Each direction of each link can lose,
 * duplicate, delay and jitter datagrams; the randomness comes from a seeded PRNG (four draws per
 * datagram, whatever the conditions), so the same seed and the same sends give the same fates and
 * arrival times. Every delivery goes through `clock.setTimer` (even with no delay): nothing is
 * delivered inside `send()`. Arriving datagrams go through {@link receiveDatagram} exactly as on
 * UDP, so requests carry `received`/`rport` and malformed requests get a stateless 400, which
 * travels back over the network.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const net = new MemoryNetwork({ clock, seed: 42, defaults: { delay: 10 } });
 * const alice = net.transport({ address: '192.0.2.1', port: 5060 });
 * const bob = net.transport({ address: '192.0.2.2', port: 5060 });
 * net.setLink(alice.local, bob.local, { loss: 0.3, jitter: 5 }); // alice → bob only
 * const seen: InboundMessage[] = [];
 * bob.setHandlers({ message: (inbound) => seen.push(inbound) });
 * await alice.send(serializeMessage(invite), bob.local);
 * clock.advance(15);               // delivered (or lost) by now
 * net.trace[0]?.fate;              // 'delivered' | 'dropped'
 * clock.runUntilIdle();
 * net.pending;                     // 0
 * ```
 */
export class MemoryNetwork {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly keepTrace: boolean;
  private defaults: ResolvedLinkConditions;
  private readonly links = new Map<string, LinkConditions>();
  private readonly bound = new Map<string, NetworkTransport>();
  private readonly records: MutableRecord[] = [];
  private readonly totals: NetworkCounters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, noListener: 0, failed: 0 };
  private nextSeq = 1;
  private nextEphemeral = EPHEMERAL_FIRST;
  private inFlight = 0;

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock;
    const seed = options.seed ?? 1;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.random = mulberry32(seed);
    this.keepTrace = options.trace ?? true;
    this.defaults = { ...PERFECT, ...checkConditions(options.defaults ?? {}) };
  }

  /**
   * Binds a transport at an IP literal (IPv4 or IPv6, not the unspecified address) and port.
   * Port 0 picks a free port from 49152 up, deterministically. Throws a `RangeError` for a bad
   * address or port and a {@link TransportError} (`bind`, `EADDRINUSE`) when the address and
   * port are taken (`EADDRNOTAVAIL` when no ephemeral port is left).
   */
  transport(local: Endpoint): MemoryTransport {
    const address = canonicalAddress(local.address);
    if (address === undefined || address === '0.0.0.0' || address === '::') {
      throw new RangeError(`a memory transport needs a concrete IP address, got ${JSON.stringify(local.address)}`);
    }
    if (!Number.isInteger(local.port) || local.port < 0 || local.port > 65535) throw new RangeError(`port must be an integer in 0..65535, got ${local.port}`);
    let port = local.port;
    if (port === 0) port = this.ephemeralPort(address);
    const endpoint = { address, port };
    const key = endpointKey(endpoint);
    if (this.bound.has(key)) throw new TransportError('bind', `address in use: ${key}`, { code: 'EADDRINUSE' });
    const transport = new NetworkTransport(
      endpoint,
      (data, destination) => this.transmit(endpoint, data, destination),
      () => {
        if (this.bound.get(key) === transport) this.bound.delete(key);
      },
    );
    this.bound.set(key, transport);
    return transport;
  }

  /** Replaces the default conditions; fields left out mean a perfect network (0, false). */
  setDefaults(conditions: LinkConditions): void {
    this.defaults = { ...PERFECT, ...checkConditions(conditions) };
  }

  /**
   * Sets the conditions of one direction, `from` → `to` (B → A is a separate link). Fields left
   * out follow the defaults, including later changes to them. Replaces earlier conditions of the
   * same direction.
   */
  setLink(from: Endpoint, to: Endpoint, conditions: LinkConditions): void {
    this.links.set(linkKey(from, to), checkConditions(conditions));
  }

  /** Removes the conditions of one direction, which then follows the defaults. */
  clearLink(from: Endpoint, to: Endpoint): void {
    this.links.delete(linkKey(from, to));
  }

  /** The conditions that apply to a datagram sent now from `from` to `to`. */
  conditions(from: Endpoint, to: Endpoint): ResolvedLinkConditions {
    return { ...this.defaults, ...this.links.get(linkKey(from, to)) };
  }

  /** Every datagram sent, in order of sending (empty when the `trace` option is off). */
  get trace(): readonly DatagramRecord[] {
    return this.records;
  }

  /** Forgets the trace (counters are kept). */
  clearTrace(): void {
    this.records.length = 0;
  }

  /** A snapshot of the running totals. */
  get counters(): NetworkCounters {
    return { ...this.totals };
  }

  /** Copies in flight (scheduled, not yet arrived): 0 when the network is idle. */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * Puts one datagram on the wire from `from` (an open transport's local endpoint). Throws a
   * {@link TransportError} (`send`) for a bad destination, an oversized datagram or a `fail` link.
   */
  private transmit(from: Endpoint, data: Uint8Array, destination: Endpoint): void {
    if (!(data instanceof Uint8Array)) throw new TransportError('send', 'data must be a Uint8Array', { destination, code: 'EINVAL' });
    const address = canonicalAddress(destination.address);
    const port = destination.port;
    if (address === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TransportError('send', `not an IP address and port: ${JSON.stringify(destination)}`, { destination, code: 'EINVAL' });
    }
    const family = isIP(from.address) as 4 | 6;
    if (isIP(address) !== family) throw new TransportError('send', `cannot send from IPv${family} to ${address}`, { destination, code: 'EAFNOSUPPORT' });
    if (data.byteLength > MAX_PAYLOAD[family]) {
      throw new TransportError('send', `datagram of ${data.byteLength} bytes exceeds the UDP maximum of ${MAX_PAYLOAD[family]}`, { destination, code: 'EMSGSIZE' });
    }
    const to = { address, port };
    const link = this.conditions(from, to);
    const record: MutableRecord = {
      seq: this.nextSeq++,
      sentAt: this.clock.now(),
      from: { ...from },
      to,
      bytes: data.byteLength,
      data: new Uint8Array(data), // a copy: the sender may reuse its buffer
      fate: 'in-flight',
      arrivals: [],
      deliveredAt: [],
      inFlight: 0,
    };
    if (this.keepTrace) this.records.push(record);
    if (link.fail) {
      record.fate = 'failed';
      this.totals.failed++;
      throw new TransportError('send', `no route to ${endpointKey(to)}`, { destination, code: 'EHOSTUNREACH' });
    }
    this.totals.sent++;
    // Always four draws, so the conditions of one datagram never shift the fates of the next.
    const lossRoll = this.random();
    const duplicateRoll = this.random();
    const jitters = [this.random() * link.jitter, this.random() * link.jitter];
    if (lossRoll < link.loss) {
      record.fate = 'dropped';
      this.totals.dropped++;
      return;
    }
    const copies = duplicateRoll < link.duplicate ? 2 : 1;
    if (copies === 2) this.totals.duplicated++;
    for (let i = 0; i < copies; i++) {
      const latency = link.delay + jitters[i]!;
      record.arrivals.push(record.sentAt + latency);
      record.inFlight++;
      this.inFlight++;
      this.clock.setTimer(latency, () => this.arrive(record));
    }
  }

  private arrive(record: MutableRecord): void {
    this.inFlight--;
    record.inFlight--;
    const receiver = this.bound.get(endpointKey(record.to));
    if (receiver === undefined) this.totals.noListener++;
    else {
      this.totals.delivered++;
      record.deliveredAt.push(this.clock.now());
    }
    if (record.inFlight === 0) {
      const n = record.deliveredAt.length;
      record.fate = n === 0 ? 'no-listener' : n === 1 ? 'delivered' : 'duplicated';
    }
    // Bookkeeping is complete before any handler runs. Each copy gets its own Buffer, as from node:dgram.
    receiver?.deliver(Buffer.from(record.data), { ...record.from });
  }

  private ephemeralPort(address: string): number {
    for (let tries = 0; tries <= EPHEMERAL_LAST - EPHEMERAL_FIRST; tries++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port === EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
      if (!this.bound.has(endpointKey({ address, port }))) return port;
    }
    throw new TransportError('bind', `no free port left on ${address}`, { code: 'EADDRNOTAVAIL' });
  }
}

class NetworkTransport implements MemoryTransport {
  readonly protocol = 'UDP' as const;
  readonly reliable = false as const;
  readonly local: Endpoint;
  private handlers: TransportHandlers = {};
  private isClosed = false;

  constructor(
    local: Endpoint,
    private readonly transmit: (data: Uint8Array, destination: Endpoint) => void,
    private readonly unbind: () => void,
  ) {
    this.local = Object.freeze({ ...local });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  send(data: Uint8Array, destination: Endpoint): Promise<void> {
    return new Promise<void>((resolve, reject) => this.post(data, destination, reject, resolve));
  }

  /** As {@link send}, without a promise (see {@link Transport.post}): `sent` or `failed` on a later microtask. */
  post(data: Uint8Array, destination: Endpoint, failed: (error: TransportError) => void, sent?: () => void): void {
    let error: TransportError | undefined;
    if (this.isClosed) error = new TransportError('closed', 'transport is closed', { destination });
    else {
      try {
        this.transmit(data, destination);
      } catch (err) {
        error = TransportError.from(err);
      }
    }
    queueMicrotask(() => (error === undefined ? sent?.() : failed(error)));
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.unbind();
  }

  /** A datagram arrived: the same processing as UDP. */
  deliver(data: Uint8Array, source: Endpoint): void {
    const outcome = receiveDatagram(data, source);
    if (outcome.kind === 'message') {
      this.call(() => this.handlers.message?.(outcome.inbound), 'message');
      return;
    }
    if (outcome.kind === 'keepalive') return;
    let datagram = outcome.datagram;
    if (outcome.reply !== undefined) {
      try {
        this.transmit(outcome.reply.data, outcome.reply.destination);
      } catch (err) {
        datagram = { ...datagram, answered: false };
        if (err instanceof TransportError) this.handlers.error?.(err);
        else throw err;
      }
    }
    this.call(() => this.handlers.malformed?.(datagram), 'malformed');
  }

  /**
   * Runs a handler; an exception goes to the `error` handler as a `socket` error. With no `error`
   * handler it is rethrown, so it surfaces from `clock.advance()` instead of vanishing.
   */
  private call(fn: () => void, which: string): void {
    try {
      fn();
    } catch (cause) {
      const report = this.handlers.error;
      if (report === undefined) throw cause;
      const detail = cause instanceof Error ? cause.message : String(cause);
      report(new TransportError('socket', `${which} handler threw: ${detail}`, { cause }));
    }
  }
}

/** mulberry32: a small, fast 32-bit PRNG, uniform in [0, 1) from a seed; good enough for test networks and fuzzing, not for cryptography. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkConditions(c: LinkConditions): LinkConditions {
  const out: LinkConditions = {};
  for (const key of ['loss', 'duplicate'] as const) {
    const v = c[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`${key} must be a probability in [0, 1], got ${v}`);
    out[key] = v;
  }
  for (const key of ['delay', 'jitter'] as const) {
    const v = c[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${key} must be a finite, non-negative number of ms, got ${v}`);
    out[key] = v;
  }
  if (c.fail !== undefined) {
    if (typeof c.fail !== 'boolean') throw new RangeError(`fail must be a boolean, got ${String(c.fail)}`);
    out.fail = c.fail;
  }
  return out;
}

function endpointKey(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function linkKey(from: Endpoint, to: Endpoint): string {
  return `${endpointKey(checkedEndpoint(from))}>${endpointKey(checkedEndpoint(to))}`;
}

function checkedEndpoint(e: Endpoint): Endpoint {
  const address = canonicalAddress(e.address);
  if (address === undefined) throw new RangeError(`not an IP address: ${JSON.stringify(e.address)}`);
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw new RangeError(`port must be an integer in 1..65535, got ${e.port}`);
  return { address, port: e.port };
}
