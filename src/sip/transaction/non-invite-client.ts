// The non-INVITE client transaction, RFC 3261 §17.1.2 (Figure 6).

import type { SipRequest, SipResponse } from '../parser/message.js';
import { createResponse, serializeMessage } from '../parser/serialize.js';
import type { TransportError } from '../transport/transport.js';
import { type ClientTransactionUser, NO_BYTES, type TimerName, Transaction, type TransactionContext, type TransactionFailure, TransactionStateError } from './transaction.js';

// The states each timer lives in (one array each, not one per timer started: a lingering
// transaction keeps its timer's for up to 64·T1).
const IN_COMPLETED: readonly NonInviteClientState[] = ['Completed'];

/** States of RFC 3261 Figure 6. */
export type NonInviteClientState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

const LIVE: readonly NonInviteClientState[] = ['Trying', 'Proceeding'];

/** Legal transitions of the state machine, shared by every transaction of this kind. */
const NON_INVITE_CLIENT_TRANSITIONS = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
} as const satisfies Record<NonInviteClientState, readonly NonInviteClientState[]>;

/**
 * Sends a non-INVITE request and gets its final response through loss: Timer E retransmits at
 * T1, 2·T1, 4·T1 … capped at T2 (every T2 once a provisional has arrived), Timer F gives up after
 * 64·T1 with a synthetic 408, Timer K absorbs late retransmitted responses for T4.
 *
 * @example
 * ```ts
 * const tx = new NonInviteClientTransaction(options, ctx, { response: (res) => report(res.status) });
 * tx.start();
 * // feed it the responses that match it:
 * tx.receiveResponse(res);
 * ```
 */
export class NonInviteClientTransaction extends Transaction<NonInviteClientState> {
  protected readonly transitions = NON_INVITE_CLIENT_TRANSITIONS;
  protected readonly terminated = 'Terminated';
  private tu: ClientTransactionUser;
  private bytes: Uint8Array;
  private interval: number;

  constructor(request: SipRequest, ctx: TransactionContext, tu: ClientTransactionUser) {
    super(request, ctx, 'Trying');
    if (request.method === 'INVITE' || request.method === 'ACK') {
      throw new TransactionStateError(`${request.method} does not use a non-INVITE client transaction`);
    }
    this.tu = tu;
    this.bytes = serializeMessage(request);
    this.interval = ctx.timers.t1;
  }

  /** RFC 3261 §17.1.2.2: send the request; start Timer F, and Timer E on an unreliable transport. */
  start(): void {
    this.markStarted();
    this.transmit(this.bytes);
    this.startTimer('F', 64 * this.ctx.timers.t1, LIVE);
    if (!this.ctx.reliable) this.startTimer('E', this.interval, LIVE);
  }

  /** Input: a response that matched this transaction (RFC 3261 §17.1.3). */
  receiveResponse(response: SipResponse): void {
    switch (this.state) {
      case 'Trying':
      case 'Proceeding':
        // RFC 3261 §17.1.2.2: a provisional moves Trying to Proceeding; any final to Completed.
        if (response.status < 200) {
          if (this.state === 'Trying') this.transition('Proceeding');
          this.tu.response(response);
          return;
        }
        this.transition('Completed');
        this.tu.response(response);
        // Completed only absorbs retransmitted finals until Timer K: nothing more is sent or passed up.
        this.bytes = NO_BYTES;
        this.tu = this.linger(this.tu);
        return;
      case 'Completed':
      case 'Terminated':
        // Completed: "buffer any additional response retransmissions" (absorbed).
        return;
    }
  }

  /** Input: the transport could not send the request (RFC 3261 §17.1.4: treated as a 503). */
  transportError(error: TransportError): void {
    if (this.state === 'Trying' || this.state === 'Proceeding') this.fail({ kind: 'transport', error }, 503);
  }

  /** In Completed: it only absorbs retransmitted finals until Timer K (RFC 3261 §17.1.2.2). */
  override get lingering(): boolean {
    return this.state === 'Completed';
  }

  protected enter(state: NonInviteClientState): void {
    if (state === 'Completed') {
      // RFC 3261 §17.1.2.2: Timer K = T4 on unreliable transports, zero on reliable ones.
      this.startTimer('K', this.ctx.reliable ? 0 : this.ctx.timers.t4, IN_COMPLETED);
    } else if (state === 'Terminated') {
      this.tu.terminated?.();
    }
  }

  /** What each timer does when it fires. */
  protected onTimer(name: TimerName): void {
    if (name === 'E') this.timerE();
    else if (name === 'F') this.timerF();
    else this.transition('Terminated'); // K
  }

  // RFC 3261 §17.1.2.2: in Trying, retransmit and double E up to T2; in Proceeding, retransmit every T2.
  private timerE(): void {
    this.retransmit(this.bytes);
    this.interval = this.state === 'Trying' ? Math.min(2 * this.interval, this.ctx.timers.t2) : this.ctx.timers.t2;
    this.startTimer('E', this.interval, LIVE);
  }

  // RFC 3261 §17.1.2.2: Timer F fires in Trying or Proceeding → timeout to the TU, Terminated.
  private timerF(): void {
    this.fail({ kind: 'timeout', timer: 'F' }, 408);
  }

  private fail(failure: TransactionFailure, status: 408 | 503): void {
    this.endWith(() => this.tu.response(createResponse(this.request, status), failure));
  }
}
