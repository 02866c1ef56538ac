// A transaction context on a VirtualClock that records what is sent and when.
import { createRequest, createResponse, parseMessage, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { TransportError } from '../../../src/sip/transport/transport.js';
import { resolveTimers, type TimerSettings } from '../../../src/sip/transaction/timers.js';
import type { TransactionContext } from '../../../src/sip/transaction/transaction.js';

export interface Sent {
  at: number;
  message: SipRequest | SipResponse;
}

export interface Harness {
  clock: VirtualClock;
  ctx: TransactionContext;
  sent: Sent[];
  /** Make the next sends fail with a TransportError. */
  failSends(fail: boolean): void;
  /** Times (ms) at which something was sent. */
  sendTimes(): number[];
}

export function harness(options: { reliable?: boolean; timers?: Partial<TimerSettings> } = {}): Harness {
  const clock = new VirtualClock();
  const sent: Sent[] = [];
  let failing = false;
  const ctx: TransactionContext = {
    clock,
    timers: resolveTimers(options.timers),
    reliable: options.reliable ?? false,
    post(bytes, _again, failed) {
      if (failing) {
        const error = new TransportError('send', 'host unreachable', { code: 'EHOSTUNREACH', destination: { address: '192.0.2.9', port: 5060 } });
        queueMicrotask(() => failed(error));
        return;
      }
      sent.push({ at: clock.now(), message: parseMessage(bytes) });
    },
  };
  return { clock, ctx, sent, failSends: (f) => (failing = f), sendTimes: () => sent.map((s) => s.at) };
}

/** Lets the failures of sends (reported on a later microtask) arrive. */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => queueMicrotask(resolve));
  await Promise.resolve();
}

export function request(method: string, branch = 'z9hG4bKtest1'): SipRequest {
  return createRequest({
    method,
    uri: 'sip:bob@192.0.2.9',
    via: `SIP/2.0/UDP 192.0.2.1:5060;branch=${branch}`,
    from: '<sip:alice@192.0.2.1>;tag=fromtag',
    to: '<sip:bob@192.0.2.9>',
    callId: 'call-1@192.0.2.1',
    cseq: 1,
    contact: '<sip:alice@192.0.2.1:5060>',
  });
}

export function reply(req: SipRequest, status: number): SipResponse {
  return createResponse(req, status, undefined, status === 100 ? {} : { toTag: 'totag' });
}
