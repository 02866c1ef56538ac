// The non-INVITE server transaction, RFC 3261 §17.2.2 (Figure 8).

import type { SipRequest, SipResponse } from '../parser/message.js';
import { serializeMessage } from '../parser/serialize.js';
import type { TransportError } from '../transport/transport.js';
import { bytesOfKept, checkResponseFor, keptBytes, ServerTransactionBase, type ServerTransactionUser, type TransactionContext, TransactionStateError } from './transaction.js';

// The states each timer lives in (one array each, not one per timer started: a lingering
// transaction keeps its timer's for up to 64·T1).
const IN_COMPLETED: readonly NonInviteServerState[] = ['Completed'];

/** States of RFC 3261 Figure 8. */
export type NonInviteServerState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

/** Legal transitions of the state machine, shared by every transaction of this kind. */
const NON_INVITE_SERVER_TRANSITIONS = {
  Trying: ['Proceeding', 'Completed'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
} as const satisfies Record<NonInviteServerState, readonly NonInviteServerState[]>;

/**
 * Answers a non-INVITE request and keeps the answer for the request's retransmissions: it never
 * retransmits on its own, it re-sends the most recent provisional (Proceeding) or the final
 * response (Completed) each time the request is retransmitted, and Timer J (64·T1 on unreliable
 * transports, zero on reliable ones) ends it after the final.
 *
 * The transaction is live as soon as it is constructed, in Trying: it sends nothing and starts no
 * timer until its TU responds, so {@link start} does nothing and exists only so that the layer can
 * start every transaction the same way. No 100 Trying is sent on the TU's behalf (RFC 3261
 * §8.2.6.1 and RFC 4320 §4.1 discourage provisionals to non-INVITE requests); the TU may send them
 * itself through {@link respond}.
 *
 * @example
 * ```ts
 * const tx = new NonInviteServerTransaction(options, ctx, { failed: (f) => report(f.kind) });
 * tx.start(); // optional: it is already in Trying
 * // feed it the retransmissions of its request that the transport layer matched to it:
 * tx.receiveRequest(retransmission);
 * // and answer when the TU is ready:
 * tx.respond(createResponse(options, 200, undefined, { toTag: 'a1b2' }));
 * ```
 */
export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerState> {
  protected readonly transitions = NON_INVITE_SERVER_TRANSITIONS;
  protected readonly terminated = 'Terminated';
  private readonly tu: ServerTransactionUser;
  /**
   * The bytes of the most recent response the TU sent: a provisional in Proceeding, the final in
   * Completed. Of a final, only the bytes are kept (with its status and To tag), as a string of
   * them ({@link keptBytes}): the transaction lingers for Timer J after it, and a parsed response,
   * or a slice of the buffer pool, held that long costs memory and GC time.
   */
  private lastBytes: Uint8Array | string | undefined;
  private last: SipResponse | undefined;

  /**
   * @param request - the non-INVITE request that created the transaction (not INVITE or ACK).
   * @throws TransactionStateError for INVITE (which has its own server transaction) and ACK (which has none).
   */
  constructor(request: SipRequest, ctx: TransactionContext, tu: ServerTransactionUser) {
    super(request, ctx, 'Trying');
    if (request.method === 'INVITE' || request.method === 'ACK') {
      throw new TransactionStateError(`${request.method} does not use a non-INVITE server transaction`);
    }
    this.tu = tu;
  }

  /**
   * RFC 3261 §17.2.2: the machine is in Trying from construction and has nothing to do on entry
   * (no timer, no automatic 100), so this only marks the start, for symmetry with the other
   * transactions; calling it is optional. A second call is a caller bug.
   *
   * @throws TransactionStateError when called twice.
   */
  start(): void {
    this.markStarted();
  }

  /** In Completed: it only re-sends its final to retransmissions until Timer J (RFC 3261 §17.2.2). */
  override get lingering(): boolean {
    return this.state === 'Completed';
  }

  /** The latest provisional sent, while in Proceeding; undefined once a final has gone out (see {@link lastStatus}). */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  /**
   * Input from the TU: send a response to the request. A provisional moves Trying to Proceeding
   * (later ones replace it as the one re-sent); a final (200–699) moves Trying or Proceeding to
   * Completed. The response is serialized once, here: later changes to the object are not sent.
   *
   * @throws TypeError if the status is not 100–699 or the response's CSeq differs from the request's.
   * @throws TransactionStateError once a final response has been sent (Completed, Terminated).
   */
  respond(response: SipResponse): void {
    if (this.state === 'Completed' || this.state === 'Terminated') {
      throw new TransactionStateError(`cannot send a ${response.status} response: the transaction is ${this.state} (a final response was already sent)`);
    }
    checkResponseFor(this.request, response);
    const bytes = serializeMessage(response);
    this.lastBytes = response.status < 200 ? bytes : keptBytes(bytes);
    this.last = response.status < 200 ? response : undefined;
    this.noteSent(response);
    if (response.status < 200) {
      // RFC 3261 §17.2.2: in Trying, a provisional from the TU is passed to the transport and the
      // machine enters Proceeding; in Proceeding, further provisionals are passed to the transport.
      if (this.state === 'Trying') this.transition('Proceeding');
    } else {
      // RFC 3261 §17.2.2: a final response (200–699) from the TU in Trying or Proceeding is passed
      // to the transport and the machine enters Completed.
      this.transition('Completed');
    }
    this.transmit(bytes);
  }

  /**
   * Input: a retransmission of the request, matched to this transaction (RFC 3261 §17.2.3).
   * The request itself is not looked at: matching is the transaction layer's job.
   */
  receiveRequest(_request: SipRequest): void {
    switch (this.state) {
      case 'Trying':
        // RFC 3261 §17.2.2: "Once in the 'Trying' state, any further request retransmissions are discarded."
        return;
      case 'Proceeding':
      case 'Completed':
        // RFC 3261 §17.2.2: in Proceeding, a retransmitted request → the most recently sent
        // provisional is re-sent; in Completed, every retransmission → the final response is re-sent.
        if (this.lastBytes !== undefined) this.retransmit(bytesOfKept(this.lastBytes));
        return;
      case 'Terminated':
        // RFC 3261 §17.2.2: the transaction is destroyed; a late retransmission has nothing to answer it.
        return;
    }
  }

  /**
   * Input: the transport could not send one of this transaction's responses. RFC 3261 §17.2.4 and
   * Figure 8: in Proceeding or Completed, inform the TU and terminate. In Trying nothing has been
   * sent, so it cannot happen; it is ignored, as it is in Terminated.
   */
  transportError(error: TransportError): void {
    // RFC 6026 §8.8 (replacing RFC 3261 §17.2.4, which Figure 8 drew as → Terminated): inform the
    // TU and remain in the current state; Timer J still ends a Completed transaction.
    if (this.state === 'Proceeding' || this.state === 'Completed') this.tu.failed?.({ kind: 'transport', error });
  }

  protected enter(state: NonInviteServerState): void {
    if (state === 'Completed') {
      // RFC 3261 §17.2.2: Timer J = 64·T1 on unreliable transports, zero on reliable ones.
      this.startTimer('J', this.ctx.reliable ? 0 : 64 * this.ctx.timers.t1, IN_COMPLETED);
    } else if (state === 'Terminated') {
      this.tu.terminated?.();
    }
  }

  /** What its one timer does when it fires. */
  protected onTimer(): void {
    this.transition('Terminated'); // J, the only timer
  }
}
