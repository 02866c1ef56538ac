// A transport for the in-process benchmarks (inproc-uas.ts, inproc-uac.ts): what sipflow sends goes
// to a function in this process, and what the scripted peer sends comes back through deliver(),
// each on a later turn of the event loop, as a socket's datagrams would.

import { receiveDatagram } from '../src/sip/transport/inbound.js';
import type { Endpoint, Transport, TransportHandlers } from '../src/sip/transport/transport.js';

/** A transport whose datagrams go to `out` on a later turn; deliver() hands it the peer's. */
export class InProcessTransport implements Transport {
  readonly protocol = 'UDP' as const;
  readonly reliable = false;
  private handlers: TransportHandlers = {};
  closed = false;

  /** `peer` is where the delivered datagrams come from. */
  constructor(
    readonly local: Endpoint,
    private readonly peer: Endpoint,
    private readonly out: (data: Uint8Array, from: InProcessTransport) => void,
  ) {}

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  send(data: Uint8Array): Promise<void> {
    setImmediate(() => this.out(data, this));
    return Promise.resolve();
  }

  /** As UdpTransport's post: no promise, `sent` once the datagram has gone. */
  post(data: Uint8Array, _destination: Endpoint, _failed: unknown, sent?: () => void): void {
    setImmediate(() => {
      this.out(data, this);
      sent?.();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** A datagram from the peer, handled as UdpTransport handles one. */
  deliver(data: Uint8Array): void {
    if (this.closed) return;
    const outcome = receiveDatagram(data, this.peer);
    if (outcome.kind === 'message') this.handlers.message?.(outcome.inbound);
  }
}
