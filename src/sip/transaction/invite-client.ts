// The INVITE client transaction, RFC 3261 §17.1.1 (Figure 5) as updated by RFC 6026 §7.2
// (Figure 5 there: the Accepted state and Timer M), with CANCEL construction from RFC 3261 §9.1.

import { firstValueText, peekCSeq, type SipRequest, type SipResponse } from '../parser/message.js';
import { createRequest, createResponse, serializeMessage } from '../parser/serialize.js';
import type { TransportError } from '../transport/transport.js';
import { type ClientTransactionUser, NO_BYTES, type TimerName, Transaction, type TransactionContext, type TransactionFailure, TransactionStateError } from './transaction.js';

// The states each timer lives in (one array each, not one per timer started: a lingering
// transaction keeps its timer's for up to 64·T1).
const IN_ACCEPTED: readonly InviteClientState[] = ['Accepted'];
const IN_CALLING: readonly InviteClientState[] = ['Calling'];
const IN_COMPLETED: readonly InviteClientState[] = ['Completed'];
const IN_PROCEEDING: readonly InviteClientState[] = ['Proceeding'];

/** States of RFC 3261 Figure 5 with RFC 6026's Accepted state. */
export type InviteClientState = 'Calling' | 'Proceeding' | 'Completed' | 'Accepted' | 'Terminated';

/** What the ACK (§17.1.1.3) and the CANCEL (§9.1) copy from the INVITE, fixed when the INVITE is serialized. */
interface InviteIdentity {
  readonly uri: string;
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly seq: number;
  readonly topVia: string;
  readonly routes: readonly string[];
}

/** Where a CANCEL stands: asked for in Calling and held back, or already handed to its sender. */
type CancelState = { readonly held: (cancel: SipRequest) => void } | 'sent' | undefined;

/** Legal transitions of the state machine, shared by every transaction of this kind. */
const INVITE_CLIENT_TRANSITIONS = {
  Calling: ['Proceeding', 'Completed', 'Accepted', 'Terminated'],
  Proceeding: ['Completed', 'Accepted', 'Terminated'],
  Completed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
} as const satisfies Record<InviteClientState, readonly InviteClientState[]>;

/**
 * Sends an INVITE and sees it through to its final response (RFC 3261 §17.1.1, RFC 6026 §7.2).
 *
 * - Calling: Timer A retransmits at T1, 2·T1, 4·T1 … with no cap (unreliable transports only);
 *   Timer B gives up after 64·T1 with a synthetic 408.
 * - Proceeding (after a provisional): no retransmissions and no timers; the final response is awaited.
 * - Completed (after a 300–699): the transaction has sent the ACK and re-sends the same ACK for each
 *   retransmitted final, which it absorbs; Timer D (zero on reliable transports) ends it.
 * - Accepted (after a 2xx): every 2xx, retransmitted or from another fork, goes to the TU, which
 *   sends the ACKs for them; Timer M (64·T1) ends it.
 *
 * {@link cancel} builds the CANCEL of RFC 3261 §9.1 and hands it over no sooner than a provisional
 * response has arrived.
 *
 * @example
 * ```ts
 * const tx = new InviteClientTransaction(invite, ctx, {
 *   response: (res, failure) => report(res.status, failure?.kind),
 * });
 * tx.start();
 * // feed it the responses that match it:
 * tx.receiveResponse(res);
 * // give up: the CANCEL goes out as soon as a provisional has arrived
 * tx.cancel((cancel) => layer.sendNonInvite(cancel));
 * ```
 */
export class InviteClientTransaction extends Transaction<InviteClientState> {
  protected readonly transitions = INVITE_CLIENT_TRANSITIONS;
  protected readonly terminated = 'Terminated';
  private tu: ClientTransactionUser;
  private bytes: Uint8Array;
  /** What the ACK for a non-2xx and the CANCEL copy from the INVITE; let go of once a final has come (neither is built after it). */
  private identity: InviteIdentity | undefined;
  private interval: number;
  /** The ACK for the non-2xx final, serialized once so that every re-send is the same bytes. */
  private ack: Uint8Array | undefined;
  private cancelState: CancelState;
  /** Called once when the transaction leaves Calling (see {@link whenLeftCalling}). */
  private leftCalling: (() => void) | undefined;

  /**
   * @param request the INVITE; it must carry a top Via (whose branch names the transaction), From,
   *   To, Call-ID and CSeq, since the ACK and the CANCEL copy them.
   * @throws TransactionStateError for another method, or an INVITE lacking one of those headers.
   */
  constructor(request: SipRequest, ctx: TransactionContext, tu: ClientTransactionUser) {
    super(request, ctx, 'Calling');
    if (request.method !== 'INVITE') {
      throw new TransactionStateError(`${request.method} does not use an INVITE client transaction`);
    }
    this.tu = tu;
    this.identity = inviteIdentity(request);
    this.bytes = serializeMessage(request);
    this.interval = ctx.timers.t1;
  }

  /** RFC 3261 §17.1.1.2: send the INVITE; start Timer B, and Timer A on an unreliable transport. */
  start(): void {
    this.markStarted();
    this.transmit(this.bytes);
    this.startTimer('B', 64 * this.ctx.timers.t1, IN_CALLING);
    if (!this.ctx.reliable) this.startTimer('A', this.interval, IN_CALLING);
  }

  /** Input: a response that matched this transaction (RFC 3261 §17.1.3). */
  receiveResponse(response: SipResponse): void {
    switch (this.state) {
      case 'Calling':
      case 'Proceeding':
        if (response.status < 200) {
          // RFC 3261 §17.1.1.2: a provisional moves Calling to Proceeding (retransmissions stop);
          // in Proceeding every further provisional goes to the TU.
          if (this.state === 'Calling') this.transition('Proceeding');
          this.tu.response(response);
        } else if (response.status < 300) {
          // RFC 6026 §7.2: a 2xx moves Calling or Proceeding to Accepted; the TU, not the
          // transaction, sends its ACK.
          this.transition('Accepted');
          this.tu.response(response);
          // Accepted passes later 2xx up (the TU stays) and sends nothing itself.
          this.bytes = NO_BYTES;
          this.identity = undefined;
          this.keepSkeleton();
        } else {
          // RFC 3261 §17.1.1.2: a 300–699 moves Calling or Proceeding to Completed; the transaction
          // ACKs it (§17.1.1.3) and passes it to the TU.
          const ack = serializeMessage(this.buildAck(response));
          this.ack = ack;
          this.transition('Completed');
          this.transmit(ack);
          this.tu.response(response);
          // Completed re-sends that ACK and passes nothing up until Timer D.
          this.bytes = NO_BYTES;
          this.identity = undefined;
          this.tu = this.linger(this.tu);
        }
        return;
      case 'Completed':
        // RFC 3261 §17.1.1.2: a retransmitted final re-sends the same ACK and is not passed up;
        // anything else (a late 1xx or 2xx) is absorbed.
        if (response.status >= 300 && this.ack !== undefined) this.retransmit(this.ack);
        return;
      case 'Accepted':
        // RFC 6026 §7.2: every 2xx (a retransmission, or from another fork) goes to the TU so it can
        // ACK it; other responses are absorbed.
        if (response.status >= 200 && response.status < 300) this.tu.response(response);
        return;
      case 'Terminated':
        return;
    }
  }

  /**
   * Input: the transport could not send one of this transaction's messages.
   *
   * - Calling, Proceeding: the INVITE did not go out (RFC 3261 §17.1.1.2, §17.1.4): the TU gets a
   *   synthetic 503 with the failure, and the transaction terminates.
   * - Completed: the ACK did not go out (RFC 3261 Figure 5, "Transport Err. / Inform TU"). The TU
   *   already has the final response, so it gets no second one: the transaction terminates and
   *   the TU learns of it through `terminated`.
   * - Accepted, Terminated: the transaction sends nothing there; a late failure is ignored.
   */
  transportError(error: TransportError): void {
    switch (this.state) {
      case 'Calling':
        this.fail({ kind: 'transport', error }, 503);
        return;
      case 'Proceeding':
        // RFC 3261 Figure 5 informs the TU of transport errors in Calling only. Nothing is sent in
        // Proceeding, so this is a late failure of a retransmission: the 1xx proves the INVITE arrived.
        return;
      case 'Completed':
        this.transition('Terminated');
        return;
      case 'Accepted':
      case 'Terminated':
        return;
    }
  }

  /**
   * Cancels the INVITE (RFC 3261 §9.1): builds the CANCEL and passes it to `send`, which runs it
   * as its own non-INVITE client transaction. A CANCEL "MUST NOT be sent until a provisional
   * response has been received", so in Calling it is held back and handed over when the first
   * provisional arrives (never, if a final arrives first).
   *
   * @returns true when the CANCEL was handed over or is held back (also on a repeated call, which
   *   does not build a second CANCEL); false when it is too late: a final response has arrived
   *   (Completed, Accepted) or the transaction has ended.
   */
  cancel(send: (cancel: SipRequest) => void): boolean {
    switch (this.state) {
      case 'Calling':
        // RFC 3261 §9.1: no provisional yet, so hold the CANCEL back until one arrives.
        this.cancelState ??= { held: send };
        return true;
      case 'Proceeding':
        // RFC 3261 §9.1: a provisional has arrived, so the CANCEL may go now (once).
        if (this.cancelState === undefined) this.sendCancel(send);
        return true;
      case 'Completed':
      case 'Accepted':
      case 'Terminated':
        // RFC 3261 §9.1: "If the original request has generated a final response, the CANCEL
        // SHOULD NOT be sent."
        return false;
    }
  }

  /**
   * Registers a callback for when the transaction leaves Calling, the state in which no response
   * has come yet (RFC 3261 §17.1.1.2): by a response, a timeout, a transport error or
   * {@link abort}. Called at once if it has left already. One callback: a second replaces the first.
   */
  whenLeftCalling(fn: () => void): void {
    if (this.state !== 'Calling') fn();
    else this.leftCalling = fn;
  }

  /**
   * In Completed (re-ACKing retransmitted non-2xx finals until Timer D, RFC 3261 §17.1.1.2) or
   * Accepted (passing retransmitted 2xx to the TU until Timer M, RFC 6026 §7.2; once it has ended,
   * a 2xx that matches no transaction still reaches the dialog layer, which ACKs it again).
   */
  override get lingering(): boolean {
    return this.state === 'Completed' || this.state === 'Accepted';
  }

  /** Ends the transaction at once (see Transaction.abort), telling {@link whenLeftCalling}'s callback if it was in Calling. */
  override abort(): void {
    if (this.state === 'Calling') this.noteLeftCalling();
    super.abort();
  }

  private noteLeftCalling(): void {
    const fn = this.leftCalling;
    this.leftCalling = undefined;
    fn?.();
  }

  protected enter(state: InviteClientState, from: InviteClientState): void {
    if (from === 'Calling') this.noteLeftCalling();
    switch (state) {
      case 'Proceeding':
        // RFC 3261 §9.1: a CANCEL held back in Calling goes out now that a provisional has arrived.
        if (this.cancelState !== undefined && this.cancelState !== 'sent') this.sendCancel(this.cancelState.held);
        return;
      case 'Completed':
        // RFC 3261 §17.1.1.2: Timer D = at least 32 s on unreliable transports, zero on reliable ones.
        this.startTimer('D', this.ctx.reliable ? 0 : this.ctx.timers.timerD, IN_COMPLETED);
        return;
      case 'Accepted':
        // RFC 6026 §7.2: Timer M = 64·T1, on every transport.
        this.startTimer('M', 64 * this.ctx.timers.t1, IN_ACCEPTED);
        return;
      case 'Terminated':
        this.tu.terminated?.();
        return;
      case 'Calling':
        return;
    }
  }

  /** What each timer does when it fires. */
  protected onTimer(name: TimerName): void {
    if (name === 'A') this.timerA();
    else if (name === 'B') this.timerB();
    else if (name === 'Cancel') this.fail({ kind: 'timeout', timer: 'Cancel' }, 487);
    else this.transition('Terminated'); // D, M
  }

  // RFC 3261 §17.1.1.2: in Calling, retransmit and double A, with no cap (unlike Timer E).
  private timerA(): void {
    this.retransmit(this.bytes);
    this.interval *= 2;
    this.startTimer('A', this.interval, IN_CALLING);
  }

  // RFC 3261 §17.1.1.2: Timer B fires in Calling → timeout to the TU, Terminated.
  private timerB(): void {
    this.fail({ kind: 'timeout', timer: 'B' }, 408);
  }

  private fail(failure: TransactionFailure, status: 408 | 487 | 503): void {
    this.endWith(() => this.tu.response(createResponse(this.request, status), failure));
  }

  private sendCancel(send: (cancel: SipRequest) => void): void {
    this.cancelState = 'sent';
    // RFC 3261 §9.1: with no final response 64·T1 after the CANCEL, consider the INVITE cancelled
    // and destroy its transaction; the TU gets a synthetic 487.
    this.startTimer('Cancel', 64 * this.ctx.timers.t1, IN_PROCEEDING);
    send(this.buildCancel());
  }

  // RFC 3261 §17.1.1.3: the ACK for a non-2xx final has the INVITE's Request-URI, Call-ID, From,
  // CSeq number (method ACK), top Via (only) and Route headers, and the To of the response.
  private buildAck(response: SipResponse): SipRequest {
    return this.buildRequest('ACK', firstValueText(response, 'to'));
  }

  // RFC 3261 §9.1: the CANCEL has the INVITE's Request-URI, Call-ID, To, From, CSeq number
  // (method CANCEL), top Via (only) and Route headers.
  private buildCancel(): SipRequest {
    return this.buildRequest('CANCEL', undefined);
  }

  private buildRequest(method: 'ACK' | 'CANCEL', to: string | undefined): SipRequest {
    const id = this.identity;
    if (id === undefined) throw new TransactionStateError(`no ${method} is built after the final response`);
    return createRequest({
      method,
      uri: id.uri,
      via: id.topVia,
      from: id.from,
      to: to ?? id.to,
      callId: id.callId,
      cseq: id.seq,
      ...(id.routes.length > 0 ? { headers: [['Route', id.routes]] as const } : {}),
    });
  }
}

function inviteIdentity(request: SipRequest): InviteIdentity {
  // The texts as the INVITE writes them (so the ACK and the CANCEL copy exactly what was sent).
  const topVia = firstValueText(request, 'via');
  const from = firstValueText(request, 'from');
  const to = firstValueText(request, 'to');
  const callId = request.callId;
  const cseq = peekCSeq(request);
  if (topVia === undefined || from === undefined || to === undefined || callId === undefined || cseq === undefined) {
    throw new TransactionStateError('an INVITE client transaction needs a top Via, From, To, Call-ID and CSeq to build its ACK and CANCEL');
  }
  return { uri: request.uriString, callId, from, to, seq: cseq.seq, topVia, routes: request.headers('Route') };
}
