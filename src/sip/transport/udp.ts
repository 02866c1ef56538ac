// SIP over UDP (RFC 3261 §18): one `node:dgram` socket per transport. Every datagram goes through
// receiveDatagram (./inbound.ts), so UDP and the in-memory network behave the same.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';
import { type DatagramOutcome, receiveDatagram } from './inbound.js';
import { type Endpoint, type Transport, TransportError, type TransportHandlers } from './transport.js';

/**
 * Largest datagram {@link UdpTransport.send} accepts: 65,535 − 20 (IPv4 header) − 8 (UDP header)
 * bytes, the IPv4 UDP payload limit. Applied to IPv6 too, so a message that can be sent over one
 * family can be sent over the other.
 */
const MAX_DATAGRAM_BYTES = 65_507;

/**
 * Default receive buffer: room for a few maximum-size datagrams. By default the buffer is only
 * ever raised to this, never lowered (some systems start with less than one 64 KiB datagram).
 */
const DEFAULT_BUFFER_BYTES = 256 * 1024;

/** Options for {@link UdpTransport.bind}. */
export interface UdpTransportOptions {
  /**
   * Local IP address to bind: IPv4 (`127.0.0.1`, `0.0.0.0`) or IPv6 without brackets (`::1`, `::`).
   * The family of the address picks the socket type (`udp4` or `udp6`). Host names are not resolved.
   */
  host: string;
  /** Local port, 0–65535; 0 lets the system pick a free port (read it back from {@link UdpTransport.local}). */
  port: number;
  /** Handlers for what arrives; can be replaced later with {@link UdpTransport.setHandlers}. */
  handlers?: TransportHandlers;
  /**
   * Socket receive buffer size in bytes (`SO_RCVBUF`), best effort: if the system refuses, the
   * transport still works with the buffer it has. When left out, the buffer is raised to at least
   * 256 KiB (never lowered), enough for several 64 KiB datagrams.
   */
  recvBufferSize?: number;
}

/** How many checked destination addresses a transport remembers (the cache is emptied when full). */
const ADDRESS_CACHE_SIZE = 1024;

/** How many event-loop turns close() lets sends in flight take before it closes the socket anyway. */
const CLOSE_DRAIN_TURNS = 50;

/** The most sends that wait for the end of a turn (see UdpTransport's enqueue): about 14 KB of SIP. */
const MAX_BATCH = 32;

/**
 * The socket's address lookup (dgram's `lookup` option). Every destination send() passes it is an
 * IP address send() has checked, in the form the socket takes, which `checked` (the transport's
 * goodAddresses) maps to itself: answered at once, where dns.lookup answers a literal on the next
 * tick, after a regular-expression test, for every datagram. Anything else (the address bind()
 * passes) goes to dns.lookup.
 */
function literalLookup(checked: ReadonlyMap<string, string>): (address: string, family: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void) => void {
  return (address, family, callback) => {
    // (dgram passes the socket's family as a number, 4 or 6)
    if (checked.get(address) === address) callback(null, address, typeof family === 'number' ? family : isIPv4(address) ? 4 : 6);
    else dnsLookup(address, family as LookupOneOptions, callback);
  };
}

/** A datagram {@link UdpTransport.post} has taken, until the system has taken it or refused it. */
class OutgoingDatagram {
  /** dgram's callback for it (the one function a send needs). */
  readonly done: (err: Error | null) => void;

  constructor(
    /** The transport's sends in flight, this one among them until it is done. */
    private readonly inFlight: Set<OutgoingDatagram>,
    readonly data: Uint8Array,
    readonly destination: Endpoint,
    /** The destination's address in the form the socket takes. */
    readonly address: string,
    private readonly failed: (error: TransportError) => void,
    private readonly sent: (() => void) | undefined,
  ) {
    inFlight.add(this);
    this.done = (err) =>
      this.finish(err ? new TransportError('send', `UDP send to ${formatEndpoint(destination)} failed: ${describe(err)}`, { destination, code: errorCode(err), cause: err }) : undefined);
  }

  /** Taken by the system (`error` undefined) or not: tells the sender, once. */
  finish(error: TransportError | undefined): void {
    if (!this.inFlight.delete(this)) return;
    if (error === undefined) this.sent?.();
    else this.failed(error);
  }
}

/**
 * SIP over UDP: a {@link Transport} on one `node:dgram` socket.
 *
 * Every datagram received goes through {@link receiveDatagram}: a request gets `received`/`rport`
 * on its top Via (RFC 3261 §18.2.1, RFC 3581), a parsed message goes to `handlers.message`, and a
 * datagram that does not parse is answered with a stateless 400 when it can be, then reported to
 * `handlers.malformed`. IPv4-mapped IPv6 sources (`::ffff:192.0.2.1`) are reported as plain IPv4.
 *
 * Errors never escape as exceptions or unhandled `'error'` events: a bind failure rejects
 * {@link UdpTransport.bind} (kind `bind`), a failed send rejects {@link UdpTransport.send} (kind
 * `send`, or `closed` after {@link UdpTransport.close}), and an error on the open socket goes to
 * `handlers.error` (kind `socket`). A handler that throws does not stop the transport: the thrown
 * value is wrapped in a `TransportError` of kind `socket` (message `handler threw: ...`, the value
 * as `cause`) and passed to `handlers.error`; if `handlers.error` itself throws, or is not set, the
 * error is dropped.
 *
 * @example
 * ```ts
 * const transport = await UdpTransport.bind({
 *   host: '127.0.0.1',
 *   port: 5060,
 *   handlers: {
 *     message: ({ message, source }) => report(message.isRequest ? message.method : message.status, source),
 *     malformed: ({ error, answered }) => report('dropped:', error.reason, answered ? '(400 sent)' : ''),
 *     error: (err) => report(err.kind, err.code, err.message),
 *   },
 * });
 * await transport.send(serializeMessage(options), { address: '127.0.0.1', port: 5070 });
 * await transport.close();
 * ```
 */
export class UdpTransport implements Transport {
  /** Via transport token. */
  readonly protocol = 'UDP';
  /** UDP is unreliable: the transaction layer runs its retransmission timers (RFC 3261 §17). */
  readonly reliable = false;
  /**
   * The address and port actually bound (the real port when 0 was asked for). An IPv4-mapped
   * IPv6 address is given as plain IPv4.
   */
  readonly local: Endpoint;

  private handlers: TransportHandlers;
  private readonly socket: Socket;
  private readonly family: 4 | 6;
  /** Whether an IPv4 destination can be reached: a udp4 socket, or a dual-stack udp6 one. */
  private readonly acceptsIPv4: boolean;
  private closing: Promise<void> | undefined;
  /** Sends in flight, so close() can settle them (dgram drops their callbacks). */
  private readonly inFlight = new Set<OutgoingDatagram>();
  /**
   * Destination addresses accepted by checkSend, each with the form the socket takes; each form is
   * in it too, as its own form (what the socket's lookup answers at once, see literalLookup).
   */
  private readonly goodAddresses: Map<string, string>;

  private constructor(socket: Socket, family: 4 | 6, local: Endpoint, handlers: TransportHandlers, goodAddresses: Map<string, string>) {
    this.socket = socket;
    this.goodAddresses = goodAddresses;
    this.family = family;
    // An IPv4-mapped bound address (`::ffff:127.0.0.1`) is reported as plain IPv4, like sources.
    this.local = { address: plainAddress(local.address), port: local.port };
    this.handlers = handlers;
    this.acceptsIPv4 = family === 4 || local.address === '::' || isIPv4(this.local.address);
    socket.on('message', (data, rinfo) => this.receive(data, rinfo));
    socket.on('error', (err) => this.report(new TransportError('socket', `UDP socket error: ${describe(err)}`, { code: errorCode(err), cause: err })));
  }

  /**
   * Opens a UDP socket bound to `host` and `port`. Resolves once the socket is bound; rejects with a
   * {@link TransportError} of kind `bind` (with the system `code`, e.g. `EADDRINUSE`,
   * `EADDRNOTAVAIL`, `EACCES`) when the socket cannot be bound or the options are invalid. Nothing
   * is left open after a rejection.
   *
   * @example
   * ```ts
   * const transport = await UdpTransport.bind({ host: '::1', port: 0 });
   * transport.local; // { address: '::1', port: 49731 }
   * ```
   */
  static bind(options: UdpTransportOptions): Promise<UdpTransport> {
    const { host, port } = options;
    let family: 4 | 6;
    if (typeof host === 'string' && isIPv4(host)) family = 4;
    else if (typeof host === 'string' && isIPv6(host)) family = 6;
    else return Promise.reject(new TransportError('bind', `cannot bind UDP: host must be an IPv4 or IPv6 address (IPv6 without brackets), got ${JSON.stringify(host)}`));
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return Promise.reject(new TransportError('bind', `cannot bind UDP: port must be an integer from 0 to 65535, got ${String(port)}`));
    }
    const recvBufferSize = options.recvBufferSize;
    if (recvBufferSize !== undefined && (!Number.isInteger(recvBufferSize) || recvBufferSize <= 0)) {
      return Promise.reject(new TransportError('bind', `cannot bind UDP: recvBufferSize must be a positive integer, got ${String(recvBufferSize)}`));
    }

    return new Promise<UdpTransport>((resolve, reject) => {
      let socket: Socket;
      const goodAddresses = new Map<string, string>();
      try {
        socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', lookup: literalLookup(goodAddresses) });
      } catch (err) {
        reject(new TransportError('bind', `cannot create UDP socket: ${describe(err)}`, { code: errorCode(err), cause: err }));
        return;
      }
      const where = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
      const fail = (err: unknown): void => {
        socket.removeAllListeners('listening');
        // Release the handle; a socket whose bind failed may or may not count as running.
        socket.on('error', () => {});
        try {
          socket.close();
        } catch {
          // already closed
        }
        reject(new TransportError('bind', `cannot bind UDP to ${where}: ${describe(err)}`, { code: errorCode(err), cause: err }));
      };
      socket.once('error', fail);
      socket.once('listening', () => {
        socket.off('error', fail);
        let bound: Endpoint;
        try {
          const a = socket.address();
          bound = { address: a.address, port: a.port };
        } catch (err) {
          fail(err);
          return;
        }
        setBufferSize(socket, recvBufferSize);
        resolve(new UdpTransport(socket, family, bound, options.handlers ?? {}, goodAddresses));
      });
      try {
        // exclusive: never share the port with cluster workers; a second bind fails with EADDRINUSE.
        socket.bind({ address: host, port, exclusive: true });
      } catch (err) {
        fail(err);
      }
    });
  }

  /** Replaces the handlers; datagrams from now on go to the new ones. */
  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  /**
   * Sends `data` as one datagram to `destination`. It goes out when the current turn of the event
   * loop ends, back to back with the other sends of that turn, in the order they were asked for.
   * Resolves when the system has taken it (UDP gives no delivery guarantee). Rejects with a
   * {@link TransportError}: kind `send` (with `destination` and, for system errors, `code`) when the
   * destination is not an IP address of this socket's family or its port is not 1–65535 (an IPv4
   * address is accepted on an IPv6 socket bound to `::` or to an IPv4-mapped address, and sent
   * IPv4-mapped; an IPv4-mapped one is accepted everywhere IPv4 is), when `data` is over 65,507
   * bytes, or when the system refuses the send; kind `closed` once {@link close} has been called.
   */
  send(data: Uint8Array, destination: Endpoint): Promise<void> {
    return new Promise<void>((resolve, reject) => this.post(data, destination, reject, resolve));
  }

  /**
   * Sends as {@link send} does, without a promise: the failure {@link send} would reject with goes
   * to `failed`, and `sent`, when given, is called once the system has taken the datagram. Each is
   * called at most once, never before post returns.
   */
  post(data: Uint8Array, destination: Endpoint, failed: (error: TransportError) => void, sent?: () => void): void {
    let refused: TransportError | undefined;
    if (this.closing !== undefined) refused = new TransportError('closed', 'cannot send: the UDP transport is closed', { destination });
    else {
      const invalid = this.checkSend(data, destination);
      if (invalid !== undefined) refused = new TransportError('send', `cannot send UDP datagram: ${invalid}`, { destination });
    }
    if (refused !== undefined) {
      const error = refused;
      queueMicrotask(() => failed(error));
      return;
    }
    // checkSend accepted the address, so it is in the cache, in the form the socket takes.
    this.enqueue(new OutgoingDatagram(this.inFlight, data, destination, this.goodAddresses.get(destination.address)!, failed, sent));
  }

  /**
   * Sends go out together, in order, once the event loop has run what it was running (its check
   * phase, `setImmediate`): a server answering a burst of datagrams sends its answers back to back
   * instead of one between each piece of work. In this VM each datagram sent on loopback to an idle
   * peer paid for waking that peer (about 40 µs of system time); sent together, the first wakes
   * it and the rest find it awake. Against SIPp at 2,500–3,000 calls/s this cut sipflow's CPU per
   * answered call by a fifth to a quarter (docs/load.md). The delay is the rest of one loop turn.
   */
  private enqueue(out: OutgoingDatagram): void {
    if (this.queued.length === 0) setImmediate(this.flush);
    this.queued.push(out);
    // A burst (a thousand BYEs when a load stops) goes out in batches between the work that makes
    // it, not all at once: back to back, a thousand datagrams overflow a peer's receive buffer
    // (SIPp's is 64 KB) and come back as retransmissions.
    if (this.queued.length >= MAX_BATCH) this.flush();
  }

  private readonly queued: OutgoingDatagram[] = [];
  private readonly flush = (): void => {
    const queued = this.queued.splice(0);
    for (const out of queued) {
      try {
        this.socket.send(out.data, out.destination.port, out.address, out.done);
      } catch (err) {
        out.done(err as Error);
      }
    }
  };

  /**
   * Stops sending and receiving and closes the socket. Sends already accepted go out first (a
   * closed socket drops them, and a 480 or a BYE sent just before close must leave); new sends
   * reject with kind `closed`. Resolves when the socket is closed and its handle released (nothing
   * keeps the process alive afterwards). Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = (async () => {
      // A send completes within a turn or two of the event loop; a bounded number of turns (not a
      // timer: time is the clock's business) keeps close() from waiting on one that never does.
      for (let turn = 0; this.inFlight.size > 0 && turn < CLOSE_DRAIN_TURNS; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      for (const out of [...this.inFlight]) out.finish(new TransportError('closed', 'UDP transport closed before the datagram was sent'));
      await new Promise<void>((resolve) => {
        try {
          this.socket.close(() => resolve());
        } catch {
          // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed underneath us.
          resolve();
        }
      });
    })();
    return this.closing;
  }

  private checkSend(data: Uint8Array, destination: Endpoint): string | undefined {
    if (!(data instanceof Uint8Array)) return 'data must be a Uint8Array';
    if (data.byteLength > MAX_DATAGRAM_BYTES) return `${data.byteLength} bytes is over the ${MAX_DATAGRAM_BYTES}-byte UDP payload limit`;
    if (typeof destination !== 'object' || destination === null) return 'destination must be an { address, port } object';
    const { address, port } = destination;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return `destination port must be an integer from 1 to 65535, got ${String(port)}`;
    if (typeof address !== 'string') return 'destination address must be a string';
    // The same few peers take nearly every datagram: remember the addresses already checked
    // (Node's isIPv4/isIPv6 are regular expressions, a measurable cost per datagram under load).
    if (this.goodAddresses.has(address)) return undefined;
    const problem = this.checkAddress(address);
    if (problem === undefined) {
      if (this.goodAddresses.size >= ADDRESS_CACHE_SIZE) this.goodAddresses.clear();
      // IPv4-mapped destinations are sent as IPv4 on a udp4 socket; IPv4 ones as mapped on a udp6 socket.
      // (A form, checked itself, has the same form: kept as its own entry for the lookup.)
      const plain = plainAddress(address);
      const form = this.family === 6 && isIPv4(plain) ? `::ffff:${plain}` : plain;
      this.goodAddresses.set(address, form);
      this.goodAddresses.set(form, form);
    }
    return problem;
  }

  private checkAddress(address: string): string | undefined {
    if (isIPv4(plainAddress(address))) {
      if (!this.acceptsIPv4) return `destination ${address} is IPv4 but the socket is bound to IPv6 ${this.local.address}`;
    } else if (isIPv6(address)) {
      if (this.family === 4) return `destination ${address} is IPv6 but the socket is bound to IPv4 ${this.local.address}`;
    } else {
      return `destination address must be an IP address (IPv6 without brackets), got ${JSON.stringify(address)}`;
    }
    return undefined;
  }

  private receive(data: Buffer, rinfo: RemoteInfo): void {
    if (this.closing !== undefined) return;
    const source: Endpoint = { address: plainAddress(rinfo.address), port: rinfo.port };
    let outcome: DatagramOutcome;
    try {
      outcome = receiveDatagram(data, source);
    } catch (err) {
      // receiveDatagram is not meant to throw; if it does, drop the datagram and say why.
      this.report(new TransportError('socket', `could not process a datagram from ${formatEndpoint(source)}: ${describe(err)}`, { cause: err }));
      return;
    }
    try {
      if (outcome.kind === 'message') {
        this.handlers.message?.(outcome.inbound);
        return;
      }
      if (outcome.kind === 'keepalive') return;
      const reply = outcome.reply;
      if (reply !== undefined) {
        this.send(reply.data, reply.destination).catch((err: unknown) => {
          const error = TransportError.from(err);
          // A 400 abandoned because the transport is closing is not worth reporting.
          if (error.kind !== 'closed') this.report(error);
        });
      }
      this.handlers.malformed?.(outcome.datagram);
    } catch (err) {
      this.report(new TransportError('socket', `handler threw: ${describe(err)}`, { cause: err }));
    }
  }

  /** Passes an error to `handlers.error`; an error handler that throws cannot be reported further. */
  private report(error: TransportError): void {
    try {
      this.handlers.error?.(error);
    } catch {
      // Nowhere left to report to; library code never prints.
    }
  }
}

/** Raises (or, when asked explicitly, sets) the receive buffer; best effort, never throws. */
function setBufferSize(socket: Socket, requested: number | undefined): void {
  try {
    if (requested !== undefined) socket.setRecvBufferSize(requested);
    else if (socket.getRecvBufferSize() < DEFAULT_BUFFER_BYTES) socket.setRecvBufferSize(DEFAULT_BUFFER_BYTES);
  } catch {
    // The system refused (e.g. over its maximum); the default buffer still works.
  }
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; anything else unchanged. */
function plainAddress(address: string): string {
  // (The first character test keeps the common IPv4 source free of string work.)
  if (address.length > 7 && address.charCodeAt(0) === 58 && address.slice(0, 7).toLowerCase() === '::ffff:') {
    const v4 = address.slice(7);
    if (isIPv4(v4)) return v4;
  }
  return address;
}

function formatEndpoint(e: Endpoint): string {
  return isIPv6(e.address) ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
