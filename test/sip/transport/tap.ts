// A transport wrapper for tests that want to see the datagrams a layer above sends and receives
// (counting retransmissions, keeping a copy of the wire) without changing what goes through.
import type { Endpoint, InboundMessage, Transport } from '../../../src/sip/transport/transport.js';

/** What {@link tapTransport} reports; both are optional and must not throw. */
export interface TransportTaps {
  /** Called with each inbound message before the layer above gets it. */
  received?(inbound: InboundMessage): void;
  /** Called with each datagram the layer above sends, before it is sent. */
  sent?(data: Uint8Array, destination: Endpoint): void;
}

/**
 * `inner` with `taps` called on every message in and datagram out. Everything else (protocol,
 * local endpoint, other handlers, close) is `inner`'s, so the layer above cannot tell the
 * difference.
 */
export function tapTransport(inner: Transport, taps: TransportTaps): Transport {
  return {
    protocol: inner.protocol,
    reliable: inner.reliable,
    local: inner.local,
    setHandlers: (h) =>
      inner.setHandlers({
        ...h,
        message: (m) => {
          taps.received?.(m);
          h.message?.(m);
        },
      }),
    send: (data, destination) => {
      taps.sent?.(data, destination);
      return inner.send(data, destination);
    },
    close: () => inner.close(),
  };
}
