// A hand-driven SIP peer on the MemoryNetwork: no transaction layer, no dialog layer. Tests use
// it to send exactly the messages they want (two 2xx with different To tags, a 183 without a
// tag, an out-of-dialog BYE …) and to see everything the user agent under test sends.
import { createRequest, createResponse, type HeaderInit, serializeMessage, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import type { VirtualClock } from '../../../src/sip/transport/clock.js';
import type { MemoryNetwork, MemoryTransport } from '../../../src/sip/transport/memory-network.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';

export interface Received {
  at: number;
  message: SipRequest | SipResponse;
  source: Endpoint;
}

let branches = 0;

export class RawPeer {
  readonly transport: MemoryTransport;
  readonly received: Received[] = [];
  /** Called for every message that arrives (after it is recorded). */
  onMessage: ((message: SipRequest | SipResponse, source: Endpoint) => void) | undefined;
  /** Answer BYE, INFO, OPTIONS and the like with 200 automatically (default true). */
  autoAnswer = true;

  constructor(
    network: MemoryNetwork,
    readonly local: Endpoint,
    private readonly clock: VirtualClock,
  ) {
    this.transport = network.transport(local);
    this.transport.setHandlers({
      message: ({ message, source }) => {
        this.received.push({ at: clock.now(), message, source });
        if (this.autoAnswer && message.isRequest && message.method !== 'ACK' && message.method !== 'INVITE') {
          this.send(createResponse(message, 200), source);
        }
        this.onMessage?.(message, source);
      },
    });
  }

  get uri(): string {
    return `sip:peer@${this.local.address}:${this.local.port}`;
  }

  send(message: SipRequest | SipResponse, to: Endpoint): void {
    void this.transport.send(serializeMessage(message), to);
  }

  /** A request from this peer, with a fresh branch. */
  request(init: {
    method: string;
    uri: string;
    callId?: string;
    cseq?: number;
    fromTag?: string;
    to?: string;
    headers?: HeaderInit;
    body?: string;
    contentType?: string;
  }): SipRequest {
    return createRequest({
      method: init.method,
      uri: init.uri,
      via: `SIP/2.0/UDP ${this.local.address}:${this.local.port};branch=z9hG4bKraw${++branches}`,
      from: `<${this.uri}>;tag=${init.fromTag ?? 'rawtag'}`,
      to: init.to ?? `<${init.uri}>`,
      callId: init.callId ?? `raw-${branches}@${this.local.address}`,
      cseq: init.cseq ?? 1,
      contact: `<${this.uri}>`,
      ...(init.headers !== undefined ? { headers: init.headers } : {}),
      ...(init.body !== undefined ? { body: init.body, contentType: init.contentType ?? 'application/sdp' } : {}),
    });
  }

  requests(method: string): SipRequest[] {
    return this.received.map((r) => r.message).filter((m): m is SipRequest => m.isRequest && m.method === method);
  }

  responses(method?: string): SipResponse[] {
    return this.received.map((r) => r.message).filter((m): m is SipResponse => !m.isRequest && (method === undefined || m.cseq?.method === method));
  }

  /** Times at which requests of `method` arrived. */
  arrivals(method: string): number[] {
    return this.received.filter((r) => r.message.isRequest && r.message.method === method).map((r) => r.at);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
