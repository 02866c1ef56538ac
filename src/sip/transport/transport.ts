// The contract between the transport layer and the transaction layer above it.

import type { SipParseError } from '../parser/errors.js';
import type { SipRequest, SipResponse } from '../parser/message.js';

/** An IP address and UDP port. IPv6 addresses are written without brackets. */
export interface Endpoint {
  address: string;
  port: number;
}

/** A message that arrived, with where it came from. */
export interface InboundMessage {
  message: SipRequest | SipResponse;
  /** The packet's source address and port. */
  source: Endpoint;
  /** Size of the datagram in bytes. */
  bytes: number;
  /** The datagram as it arrived (not a copy: read it, do not change it), for traces that show the wire. */
  data: Uint8Array;
}

/** A datagram that did not parse: dropped, and reported. */
export interface MalformedDatagram {
  error: SipParseError;
  source: Endpoint;
  /** The datagram as received. */
  data: Uint8Array;
  /** Whether a stateless 400 was sent back (RFC 3261 §8.2, issue 3). */
  answered: boolean;
}

/** Why a transport failed: `bind` (could not open the socket), `send`, `socket` (error on an open socket), `closed`. */
export type TransportErrorKind = 'bind' | 'send' | 'socket' | 'closed';

/** A failure of the transport, typed so the layers above can react (e.g. a synthetic 503). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** What failed. */
  readonly kind: TransportErrorKind;
  /** The destination, for a failed send. */
  readonly destination: Endpoint | undefined;
  /** The system error code (`EADDRINUSE`, `EHOSTUNREACH` ...), when there is one. */
  readonly code: string | undefined;

  constructor(kind: TransportErrorKind, message: string, options: { destination?: Endpoint; code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.destination = options.destination;
    this.code = options.code;
  }

  /** `err` itself when it is a TransportError, else a `send` TransportError wrapping it as `cause`. */
  static from(err: unknown): TransportError {
    if (err instanceof TransportError) return err;
    return new TransportError('send', `send failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * What a transport calls when something arrives or goes wrong.
 *
 * A handler that throws does not stop the transport: the exception goes to `error` as a
 * {@link TransportError} of kind `socket` with the thrown value as `cause`. Without an `error`
 * handler, the UDP transport drops it (a library must not crash its host process) and the
 * in-memory test network rethrows it from the clock, so a failed assertion inside a handler fails
 * the test.
 */
export interface TransportHandlers {
  /** A parsed message (requests already carry `received`/`rport` per RFC 3261 §18.2.1 and RFC 3581). */
  message?(inbound: InboundMessage): void;
  /** A datagram that did not parse. */
  malformed?(datagram: MalformedDatagram): void;
  /** An error on the socket itself (sends report theirs through the returned promise). */
  error?(error: TransportError): void;
}

/**
 * A SIP transport: sends bytes to an endpoint and delivers what arrives, parsed, to its handlers.
 * Implemented by `UdpTransport` over `node:dgram` and by `MemoryNetwork` transports in tests.
 */
export interface Transport {
  /** Via transport token: `UDP`. */
  readonly protocol: string;
  /** False for UDP: the transaction layer then runs its retransmission timers (RFC 3261 §17). */
  readonly reliable: boolean;
  /** The address and port this transport is bound to. */
  readonly local: Endpoint;
  /** Replaces the handlers. */
  setHandlers(handlers: TransportHandlers): void;
  /** Sends one datagram; rejects with a {@link TransportError}. */
  send(data: Uint8Array, destination: Endpoint): Promise<void>;
  /**
   * Optional: sends as {@link send} does without making a promise (the stack sends several
   * datagrams per call, and a load run thousands of calls a second): the failure {@link send}
   * would reject with goes to `failed`, and `sent`, when given, is called once the datagram has
   * gone. Each is called at most once, never before `post` returns. The stack uses it when a
   * transport has it ({@link postDatagram}), `send` otherwise.
   */
  post?(data: Uint8Array, destination: Endpoint, failed: (error: TransportError) => void, sent?: () => void): void;
  /** Stops receiving and releases the socket; idempotent. */
  close(): Promise<void>;
}

/**
 * Sends `data` with `transport.post` when the transport has it, else with `send`: a failure goes to
 * `failed` as a {@link TransportError} either way, and `sent` (when given) is called once the
 * datagram has gone; neither before this returns.
 */
export function postDatagram(transport: Transport, data: Uint8Array, destination: Endpoint, failed: (error: TransportError) => void, sent?: () => void): void {
  if (transport.post !== undefined) {
    transport.post(data, destination, failed, sent);
    return;
  }
  let sending: Promise<void>;
  try {
    sending = transport.send(data, destination);
  } catch (err) {
    sending = Promise.reject(err);
  }
  sending.then(sent, (err: unknown) => failed(TransportError.from(err)));
}
