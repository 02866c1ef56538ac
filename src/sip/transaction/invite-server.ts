// The INVITE server transaction, RFC 3261 §17.2.1 (Figure 7) as updated by RFC 6026 §7.1 (the
// "Accepted" state and Timer L).

import { peekTag, type SipRequest, type SipResponse } from '../parser/message.js';
import { createResponse, serializeMessage } from '../parser/serialize.js';
import type { TransportError } from '../transport/transport.js';
import { newTag } from './tags.js';
import { checkResponseFor, ServerTransactionBase, type ServerTransactionUser, type TimerName, type TransactionContext, type TransactionFailure, TransactionStateError } from './transaction.js';

// The states each timer lives in (one array each, not one per timer started: a lingering
// transaction keeps its timer's for up to 64·T1).
const IN_ACCEPTED: readonly InviteServerState[] = ['Accepted'];
const IN_COMPLETED: readonly InviteServerState[] = ['Completed'];
const IN_CONFIRMED: readonly InviteServerState[] = ['Confirmed'];
const IN_PROCEEDING: readonly InviteServerState[] = ['Proceeding'];

/** States of RFC 3261 Figure 7 with RFC 6026's "Accepted". */
export type InviteServerState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';

/** RFC 3261 §17.2.1: the transaction sends 100 (Trying) itself unless the TU responds within 200 ms. */
const TRYING_DELAY_MS = 200;

/** A response as given by the TU and the bytes it was serialized to, once. */
interface Serialized {
  readonly response: SipResponse;
  readonly bytes: Uint8Array;
}

/** Legal transitions of the state machine, shared by every transaction of this kind. */
const INVITE_SERVER_TRANSITIONS = {
  Proceeding: ['Completed', 'Accepted', 'Terminated'],
  Completed: ['Confirmed', 'Terminated'],
  Confirmed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
} as const satisfies Record<InviteServerState, readonly InviteServerState[]>;

/**
 * Answers an INVITE: passes the TU's responses to the transport, sends 100 (Trying) if the TU is
 * silent for 200 ms, re-sends the latest provisional on a retransmitted INVITE, retransmits a
 * 300–699 final (Timer G: T1, 2·T1 … capped at T2) until the ACK arrives or Timer H (64·T1)
 * gives up, absorbs ACK retransmissions for T4 (Timer I), and after a 2xx stays "Accepted" for
 * 64·T1 (Timer L) to absorb INVITE retransmissions and hand ACKs to the TU. It never retransmits
 * a 2xx itself: that is the TU's job (RFC 3261 §13.3.1.4), and each 2xx the TU passes while
 * Accepted is sent.
 *
 * @example
 * ```ts
 * const tx = new InviteServerTransaction(invite, ctx, {
 *   ack: (ack) => dialog.confirm(ack),
 *   failed: (failure) => dialog.fail(failure),
 * });
 * tx.start(); // 100 (Trying) goes out at 200 ms unless the TU answers first
 * tx.respond(createResponse(invite, 180, undefined, { toTag }));
 * // requests that matched the transaction (INVITE retransmissions, ACK for a non-2xx):
 * tx.receiveRequest(request);
 * // a matching CANCEL, before any final response:
 * if (tx.cancel(cancel)) report('answered 487');
 * ```
 */
export class InviteServerTransaction extends ServerTransactionBase<InviteServerState> {
  protected readonly transitions = INVITE_SERVER_TRANSITIONS;
  protected readonly terminated = 'Terminated';
  private readonly tu: ServerTransactionUser;
  /** The most recent provisional sent (by the TU, or the transaction's own 100), while in Proceeding. */
  private provisional: Serialized | undefined;
  /**
   * The bytes of the final response sent: the ones Timer G and INVITE retransmissions re-send in
   * Completed, and the TU's 2xx retransmissions re-send in Accepted; let go of once the ACK comes.
   * Only the bytes: the transaction lingers for 64·T1 after its final, once per call, and a parsed
   * response held that long costs every call its memory and the GC its copying.
   */
  private finalBytes: Uint8Array | undefined;
  /**
   * The final response object, weakly: the TU's 2xx retransmissions pass the same object again
   * and get the same bytes, without the transaction keeping the object alive for 64·T1.
   */
  private finalRef: WeakRef<SipResponse> | undefined;
  /** The To tag of the latest provisional that had one, for a 487 after CANCEL. */
  private provisionalTag: string | undefined;
  private interval: number;

  /** @throws TransactionStateError if `request` is not an INVITE. */
  constructor(request: SipRequest, ctx: TransactionContext, tu: ServerTransactionUser) {
    super(request, ctx, 'Proceeding');
    if (request.method !== 'INVITE') {
      throw new TransactionStateError(`${request.method} does not use an INVITE server transaction`);
    }
    this.tu = tu;
    this.interval = ctx.timers.t1;
  }

  /**
   * The latest provisional sent, while the transaction is in Proceeding. Once a final has gone out
   * the transaction keeps only its bytes (to re-send) and {@link lastStatus} and {@link lastToTag}:
   * this is then undefined.
   */
  get lastResponse(): SipResponse | undefined {
    return this.provisional?.response;
  }

  /**
   * RFC 3261 §17.2.1: the transaction is in Proceeding; it "MUST generate a 100 (Trying)
   * response unless it knows that the TU will generate a provisional or final response within
   * 200 ms". The 'Trying' timer sends one if the TU has sent nothing by then.
   */
  start(): void {
    this.markStarted();
    this.startTimer('Trying', TRYING_DELAY_MS, IN_PROCEEDING);
  }

  /**
   * Input: a response from the TU, sent at once. Each response object is serialized once: passing
   * the same object again (the TU's 2xx retransmissions, RFC 3261 §13.3.1.4) sends the same bytes,
   * so change a response by building a new one, not by mutating one already passed.
   *
   * @throws TypeError if the status is not 100–699 or the CSeq is not the INVITE's.
   * @throws TransactionStateError if the transaction cannot send it now: before {@link start},
   *   after a 300–699 final (Completed, Confirmed, Terminated), or anything but a 2xx once Accepted.
   */
  respond(response: SipResponse): void {
    checkResponseFor(this.request, response);
    const status = response.status;
    if (!this.started) throw new TransactionStateError('transaction not started');
    switch (this.state) {
      case 'Proceeding':
        if (status < 200) {
          // RFC 3261 §17.2.1: "The TU passes any number of provisional responses to the server
          // transaction. So long as the server transaction is in the 'Proceeding' state, each of
          // these MUST be passed to the transport layer for transmission." Not retransmitted by it.
          this.stopTimer('Trying');
          this.provisional = this.provisional?.response === response ? this.provisional : { response, bytes: serializeMessage(response) };
          const tag = peekTag(response, 'to');
          if (tag !== undefined) this.provisionalTag = tag;
          this.noteSent(response);
          this.transmit(this.provisional.bytes);
        } else if (status < 300) {
          // RFC 6026 §7.1 (replacing RFC 3261 §17.2.1): a 2xx is passed to the transport and the
          // transaction moves to Accepted; it is not retransmitted by the transaction (§13.3.1.4).
          this.sendFinal(response);
          this.transition('Accepted');
        } else {
          // RFC 3261 §17.2.1: a 300-699 "MUST be passed to the transport layer for transmission,
          // and the state machine MUST enter the 'Completed' state".
          this.sendFinal(response);
          this.transition('Completed');
        }
        return;
      case 'Accepted':
        // RFC 6026 §7.1: "Any retransmission of the 2xx response passed from the TU to the
        // transaction while in the 'Accepted' state MUST be passed to the transport layer."
        if (status >= 200 && status < 300) {
          this.sendFinal(response, true);
          return;
        }
        throw new TransactionStateError(`cannot send a ${status} after a 2xx (state Accepted)`);
      case 'Completed':
      case 'Confirmed':
      case 'Terminated':
        // RFC 3261 §17.2.1: after a 300-699 final the transaction only retransmits that final.
        throw new TransactionStateError(`cannot send a ${status} in state ${this.state}`);
    }
  }

  /**
   * Input: a request that matched this transaction (RFC 3261 §17.2.3): a retransmission of the
   * INVITE, or an ACK (for a non-2xx final; for a 2xx while Accepted, RFC 6026 §7.1).
   *
   * @throws TypeError for any other method (the layer matched it wrongly).
   */
  receiveRequest(request: SipRequest): void {
    if (request.method === 'INVITE') this.receiveInvite();
    else if (request.method === 'ACK') this.receiveAck(request);
    else throw new TypeError(`${request.method} cannot match an INVITE server transaction`);
  }

  /**
   * Input: a CANCEL that matched this INVITE (RFC 3261 §9.2; the layer answers the CANCEL itself).
   * In Proceeding the INVITE is answered 487 (Request Terminated) with the To tag of the last
   * provisional, the transaction moves to Completed like any 300-699, and the TU is told through
   * `cancelled`. Once a final has been sent the CANCEL has no effect on the INVITE.
   *
   * @param toTag To tag for the 487 when no provisional has set one (RFC 3261 §8.2.6.2).
   * @returns true if the INVITE was answered 487, false if a final response had already been sent.
   */
  cancel(cancel: SipRequest, toTag: string = newTag()): boolean {
    if (cancel.method !== 'CANCEL') throw new TypeError(`cancel() needs a CANCEL, got ${cancel.method}`);
    // RFC 3261 §9.2: "If the transaction for the original request still exists, the behavior of
    // the UAS on receiving a CANCEL request depends on whether it has already sent a final
    // response for the original request. If it has, the CANCEL request has no effect".
    if (this.state !== 'Proceeding') return false;
    // RFC 3261 §9.2: "the UAS SHOULD immediately respond to the INVITE with a 487".
    // Every response but 100 carries a To tag (§8.2.6.2): the provisional's, else the one given
    // (the layer passes the tag it put on the CANCEL's 200, which §9.2 says SHOULD match).
    this.respond(createResponse(this.request, 487, undefined, { toTag: this.provisionalTag ?? toTag }));
    this.tu.cancelled?.(cancel);
    return true;
  }

  /**
   * Input: the transport failed to send one of this transaction's responses (RFC 3261 §17.2.4).
   * In Proceeding and Completed the TU is told and the transaction terminates (RFC 3261
   * Figure 7). In Accepted the TU is told and the transaction stays: the TU owns the 2xx and its
   * retransmissions (the dialog layer decides what a failed 2xx means), INVITE retransmissions are
   * still absorbed, and Timer L ends the transaction (RFC 6026 §7.1: it "MUST NOT discard
   * transaction state" on a transport error). In Confirmed and Terminated nothing is sent, so a
   * late error is ignored.
   */
  transportError(error: TransportError): void {
    const failure: TransactionFailure = { kind: 'transport', error };
    switch (this.state) {
      case 'Proceeding':
      case 'Completed':
      case 'Accepted':
        // RFC 6026 §8.8 (replacing RFC 3261 §17.2.4 and the "Transport Err." arrows of Figure 7):
        // the server transaction SHOULD inform the TU and MUST remain in the current state. In
        // Completed Timer H still ends it, in Accepted Timer L; in Proceeding the TU's final does.
        this.tu.failed?.(failure);
        return;
      case 'Confirmed':
      case 'Terminated':
        return;
    }
  }

  /**
   * Runs `fn` once a 300–699 final is done with: its ACK arrived (Confirmed), or the transaction
   * ended without one (Timer H, a transport failure, abort). At once if that has already happened,
   * or if no such final was sent and the transaction is over. `UserAgent.close()` waits on it so
   * a 480 sent at shutdown is re-sent until it is ACKed (RFC 3261 §17.2.1), within its bound.
   */
  whenFinalAcknowledged(fn: () => void): void {
    if (this.state === 'Confirmed' || this.isTerminated) {
      fn();
      return;
    }
    if (this.onFinalAcknowledged === undefined) {
      this.onFinalAcknowledged = [];
      this.whenTerminated(() => this.finalAcknowledged());
    }
    this.onFinalAcknowledged.push(fn);
  }

  /** Made on the first {@link whenFinalAcknowledged} (at shutdown, for the finals still unACKed). */
  private onFinalAcknowledged: Array<() => void> | undefined;

  private finalAcknowledged(): void {
    for (const fn of this.onFinalAcknowledged?.splice(0) ?? []) fn();
  }

  protected enter(state: InviteServerState): void {
    if (state === 'Confirmed') this.finalAcknowledged();
    switch (state) {
      case 'Completed':
        // RFC 3261 §17.2.1: "timer H MUST be set to fire in 64*T1 seconds for all transports";
        // Timer G is set to T1 for unreliable transports only.
        this.startTimer('H', 64 * this.ctx.timers.t1, IN_COMPLETED);
        if (!this.ctx.reliable) this.startTimer('G', this.interval, IN_COMPLETED);
        return;
      case 'Confirmed':
        // RFC 3261 §17.2.1: Timer I = T4 for unreliable transports, zero for reliable ones.
        this.startTimer('I', this.ctx.reliable ? 0 : this.ctx.timers.t4, IN_CONFIRMED);
        return;
      case 'Accepted':
        // RFC 6026 §7.1: "Timer L ... MUST be set to fire in 64*T1" for all transports.
        this.startTimer('L', 64 * this.ctx.timers.t1, IN_ACCEPTED);
        return;
      case 'Terminated':
        this.tu.terminated?.();
        return;
      case 'Proceeding':
        return;
    }
  }

  private receiveInvite(): void {
    switch (this.state) {
      case 'Proceeding':
        // RFC 3261 §17.2.1: "If a request retransmission is received while in the 'Proceeding'
        // state, the most recent provisional response ... MUST be passed to the transport layer
        // for retransmission." Nothing has been sent yet: nothing to re-send.
        if (this.provisional !== undefined) this.retransmit(this.provisional.bytes);
        return;
      case 'Completed':
        // RFC 3261 §17.2.1: "while in the 'Completed' state, if a request retransmission is
        // received, the server SHOULD pass the response to the transport for retransmission."
        if (this.finalBytes !== undefined) this.retransmit(this.finalBytes);
        return;
      case 'Accepted':
        // RFC 6026 §7.1: retransmissions of the INVITE "will be absorbed by the machine without
        // changing its state. These retransmissions are not passed onto the TU."
        return;
      case 'Confirmed':
      case 'Terminated':
        // RFC 3261 §17.2.1: Confirmed absorbs what arrives until Timer I fires.
        return;
    }
  }

  private receiveAck(ack: SipRequest): void {
    switch (this.state) {
      case 'Completed':
        // RFC 3261 §17.2.1: "If an ACK is received while the server transaction is in the
        // 'Completed' state, the server transaction MUST transition to the 'Confirmed' state."
        // Confirmed re-sends nothing: the final's bytes go.
        this.dropFinal();
        this.transition('Confirmed');
        return;
      case 'Accepted':
        // RFC 6026 §7.1: an ACK received in Accepted (for the 2xx) is passed up to the TU. The TU
        // re-sends its 2xx until the ACK (RFC 3261 §13.3.1.4), so the bytes kept for that go now:
        // the rest of Timer L (64·T1) only absorbs, and a 2xx passed again is serialized again.
        this.tu.ack?.(ack);
        this.acknowledged();
        return;
      case 'Confirmed':
        // RFC 3261 §17.2.1: Confirmed exists "to absorb any additional ACK messages that arrive".
        return;
      case 'Proceeding':
      case 'Terminated':
        // No final response has been sent (or the transaction is over): there is nothing to ACK.
        return;
    }
  }

  /** What each timer does when it fires. */
  protected onTimer(name: TimerName): void {
    if (name === 'Trying') this.timerTrying();
    else if (name === 'G') this.timerG();
    else if (name === 'H') this.fail({ kind: 'timeout', timer: 'H' });
    else this.transition('Terminated'); // I, L
  }

  // RFC 3261 §17.2.1: no response from the TU within 200 ms → send 100 (Trying). It becomes the
  // most recent provisional, re-sent on INVITE retransmissions like a TU's provisional.
  private timerTrying(): void {
    if (this.state !== 'Proceeding' || this.provisional !== undefined) return;
    const trying = createResponse(this.request, 100);
    this.provisional = { response: trying, bytes: serializeMessage(trying) };
    this.noteSent(trying);
    this.transmit(this.provisional.bytes);
  }

  // RFC 3261 §17.2.1: Timer G fires in Completed → re-send the final, reset G to min(2·G, T2).
  private timerG(): void {
    if (this.finalBytes !== undefined) this.retransmit(this.finalBytes);
    this.interval = Math.min(2 * this.interval, this.ctx.timers.t2);
    this.startTimer('G', this.interval, IN_COMPLETED);
  }

  /** Tells the TU and terminates, even if the TU's callback throws. */
  private fail(failure: TransactionFailure): void {
    this.endWith(() => this.tu.failed?.(failure));
  }

  /**
   * Input from the TU: its 2xx has been acknowledged (RFC 3261 §13.3.1.4: the ACK for a 2xx is a
   * transaction of its own, which the TU receives), so it will pass the 2xx no more. The bytes kept
   * for its retransmissions go: the rest of Accepted (Timer L, 64·T1) only absorbs, and a 2xx passed
   * again after all is serialized again. An ACK that matches this transaction itself does the same.
   */
  acknowledged(): void {
    if (this.state === 'Accepted') this.dropFinal();
  }

  /**
   * In Confirmed (absorbing ACKs until Timer I, RFC 3261 §17.2.1), or in Accepted once the 2xx has
   * been acknowledged (absorbing INVITE retransmissions until Timer L, RFC 6026 §7.1). Not in
   * Accepted before the ACK: the TU still passes its 2xx retransmissions through it.
   */
  override get lingering(): boolean {
    return this.state === 'Confirmed' || (this.state === 'Accepted' && this.finalBytes === undefined);
  }

  /** Lets go of the final's bytes once nothing will re-send them. */
  private dropFinal(): void {
    this.finalBytes = undefined;
    this.finalRef = undefined;
  }

  /**
   * Sends a final response and keeps its bytes only; the provisional is not needed any more, nor
   * more of the INVITE than its skeleton. `again`: a retransmission of the 2xx.
   */
  private sendFinal(response: SipResponse, again = false): void {
    if (this.finalBytes === undefined || this.finalRef?.deref() !== response) {
      this.finalBytes = serializeMessage(response);
      this.finalRef = new WeakRef(response);
    }
    this.provisional = undefined;
    this.noteSent(response);
    // (`again`: a 2xx the TU passes again while Accepted, re-sent until the ACK, RFC 3261 §13.3.1.4)
    if (again) this.retransmit(this.finalBytes);
    else this.transmit(this.finalBytes);
  }
}
