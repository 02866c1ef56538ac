// An INVITE that arrived and has not been answered yet (RFC 3261 §13.3): ring, send early
// media, answer or reject it; learn of CANCEL through `signal`.

import { firstValueText, peekFrom, peekTo, type SipRequest } from '../parser/message.js';
import { type NameAddr, uriTextOfText } from '../parser/name-addr.js';
import { createResponse, type HeaderInit } from '../parser/serialize.js';
import type { InviteServerTransaction, ServerTransaction } from '../transaction/index.js';
import { newTag } from '../transaction/tags.js';
import { Dialog, headerPairs } from './dialog.js';
import { DialogEndedError, type DialogEndReason, DialogStateError } from './errors.js';
import { sdpBody, statusOfNegotiationError } from './offer-answer.js';
import type { OutgoingInvite } from './outgoing-call.js';
import { DialogSession } from './session.js';
import type { DialogUsage, UaContext } from './ua-context.js';

/** Where an incoming call is: waiting for us, answered, or over without an answer. */
export type IncomingCallState = 'pending' | 'answered' | 'rejected' | 'cancelled' | 'closed';

/** Options for responses sent by an {@link IncomingCall}. */
export interface IncomingResponseOptions {
  /** Extra headers for the response. */
  headers?: HeaderInit;
}

/**
 * An incoming INVITE, handed to `ua.on('invite', (call) => …)`. Answer it with {@link answer},
 * refuse it with {@link reject}, or let the caller give up: `signal` aborts when the caller
 * CANCELs (its `reason` is a {@link DialogEndedError} with reason `cancelled`).
 *
 * @example
 * ```ts
 * ua.on('invite', async (call) => {
 *   call.ringing();
 *   const session = await call.answer(answerSdp); // resolves when the ACK arrives
 *   session.on('bye', () => report('caller hung up'));
 * });
 * ```
 */
export class IncomingCall implements DialogUsage {
  /** The INVITE. */
  readonly request: SipRequest;
  /** The To tag of every response we send (and our dialog tag). */
  readonly localTag: string;
  /** `pending` until answered, rejected, cancelled by the caller, or the user agent closed. */
  state: IncomingCallState = 'pending';
  private readonly ctx: UaContext;
  private readonly tx: InviteServerTransaction;
  /** Made on the first read of {@link signal}. */
  private controller: AbortController | undefined;
  /** Why the call ended unanswered, once it has. */
  private endedWith: DialogEndedError | undefined;
  private readonly endListeners: Array<(reason: DialogEndedError) => void> = [];
  private dialog: Dialog | undefined;
  private readonly settledCallbacks: Array<() => void> = [];
  private replaced: DialogSession | OutgoingInvite | undefined;
  /** {@link remoteSdp} once read (`null` before): read by the answer and by whoever answers, one copy of the text. */
  private offer: string | undefined | null = null;

  /** @internal Created by the user agent. */
  constructor(ctx: UaContext, request: SipRequest, tx: InviteServerTransaction) {
    this.ctx = ctx;
    this.request = request;
    this.tx = tx;
    this.localTag = newTag();
  }

  /** Aborted when the call ends without an answer: CANCEL (`cancelled`), BYE on the early dialog, our reject, close(). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.endedWith !== undefined) this.controller.abort(this.endedWith);
    }
    return this.controller.signal;
  }

  /**
   * Calls `listener` once, with the same reason {@link signal} aborts with, when the call ends
   * without an answer (never if it is answered; not at all if it has already ended: see
   * {@link state}). Returns what removes it. What {@link signal} tells, without an AbortSignal per
   * call: a load run takes thousands of calls a second.
   */
  onEnd(listener: (reason: DialogEndedError) => void): () => void {
    if (this.endedWith !== undefined) return () => undefined;
    this.endListeners.push(listener);
    return () => {
      const i = this.endListeners.indexOf(listener);
      if (i >= 0) this.endListeners.splice(i, 1);
    };
  }

  /** The caller's offer (the INVITE's SDP body), if it made one. */
  get remoteSdp(): string | undefined {
    if (this.offer === null) this.offer = sdpBody(this.request);
    return this.offer;
  }

  /**
   * The caller (From). A copy: changing it changes nothing (our responses copy the INVITE's From
   * as it came, RFC 3261 §8.2.6.2).
   */
  get from(): NameAddr | undefined {
    return peekFrom(this.request)?.clone();
  }

  /**
   * The caller's URI (the From's) as text, `sip:alice@atlanta.example.com`: what
   * `String(call.from.uri)` gives, read from the header's text without building the value when it
   * can be (a load run reads it for every call).
   */
  get fromUri(): string | undefined {
    const text = firstValueText(this.request, 'from');
    if (text === undefined) return undefined;
    return uriTextOfText(text) ?? String(peekFrom(this.request)!.uri);
  }

  /** Who was called (To). A copy, as {@link from} is. */
  get to(): NameAddr | undefined {
    return peekTo(this.request)?.clone();
  }

  /** The Call-ID. */
  get callId(): string | undefined {
    return this.request.callId;
  }

  /**
   * The session this call replaces (an INVITE with Replaces, RFC 3891), if it names one of ours:
   * answering the call ends that session with BYE once the new dialog is confirmed.
   */
  get replaces(): DialogSession | undefined {
    return this.replaced instanceof DialogSession ? this.replaced : undefined;
  }

  /**
   * The Call-ID of our own outgoing call, still ringing, that this INVITE replaces (RFC 3891 §3:
   * an early dialog we initiated, as in call pickup), if it names one. Once this call is answered
   * and confirmed, that INVITE is CANCELled and settles as `cancelled`.
   */
  get replacesEarlyCallId(): string | undefined {
    return this.replaced === undefined || this.replaced instanceof DialogSession ? undefined : this.replaced.request.callId;
  }

  /** True when the INVITE carried a Replaces that matched a dialog of ours (a session or an early outgoing call). */
  get isReplacing(): boolean {
    return this.replaced !== undefined;
  }

  /** @internal Set by the user agent when the INVITE's Replaces matched (RFC 3891 §3). */
  replacing(target: DialogSession | OutgoingInvite): void {
    this.replaced = target;
  }

  /** Sends 180 Ringing (with our To tag and Contact: an early dialog, RFC 3261 §12.1.1). */
  ringing(options: IncomingResponseOptions = {}): void {
    this.provisional(180, undefined, options);
  }

  /** Sends 183 Session Progress, with `sdp` (early media) when given. */
  progress(sdp?: string, options: IncomingResponseOptions = {}): void {
    this.provisional(183, sdp, options);
  }

  /**
   * Answers 200 OK (RFC 3261 §13.3.1.4). If the INVITE carried an offer, `sdp` is our answer (left
   * out: the user agent's offer/answer handler makes it); if it had none, `sdp` is our offer and
   * the answer comes in the ACK. The 2xx is re-sent (T1 doubling to T2) until the ACK arrives,
   * which resolves the promise; with no ACK after 64·T1 we send BYE and the promise rejects with
   * a {@link DialogEndedError} (`no-ack`). A BYE before the ACK (the ACK lost) stands for it: the
   * BYE proves the caller got our 200, so the promise resolves and the session then ends
   * `remote-bye`, after the application's callbacks on the resolved promise have run.
   *
   * @throws DialogStateError (rejects) if the call is no longer pending; RequestFailedError-like
   *   negotiation errors are answered 488 and rethrown.
   */
  answer(sdp?: string, options: IncomingResponseOptions = {}): Promise<DialogSession> {
    if (this.state !== 'pending') return Promise.reject(new DialogStateError(`cannot answer: the call is ${this.state}`));
    const offer = this.remoteSdp;
    let local = sdp;
    if (local === undefined) {
      const handler = this.ctx.offerAnswer;
      if (handler === undefined) {
        return Promise.reject(new TypeError('answer() needs an SDP when the user agent has no offerAnswer handler'));
      }
      try {
        local = offer !== undefined ? handler.createAnswer(offer, undefined) : handler.createOffer(undefined);
      } catch (err) {
        this.reject(statusOfNegotiationError(err));
        return Promise.reject(err);
      }
    }
    this.state = 'answered';
    this.settled();
    // Answered: it will not end unanswered.
    this.endListeners.length = 0;
    const dialog = this.ensureDialog();
    dialog.confirm();
    const ok = createResponse(this.request, 200, undefined, {
      toTag: this.localTag,
      headers: [...this.recordRoute(), ['Contact', this.ctx.contact], ...headerPairs(options.headers)] as HeaderInit,
      ...(local !== undefined ? { body: local, contentType: 'application/sdp' } : {}),
    });
    const session = new DialogSession(this.ctx, dialog, 'uas', { local, remote: offer });
    this.ctx.addDialog(dialog.key, session);
    this.tx.respond(ok);
    return new Promise((resolve, reject) => {
      // Until the promise settles only: a listener left on the session would keep this
      // IncomingCall (its INVITE and transaction) as long as the session lasts.
      const stopListening = session.once('ended', (reason) => reject(reason));
      session.awaitAck(
        this.tx,
        ok,
        (ack) => {
          stopListening();
          if (offer === undefined && ack !== undefined) {
            // RFC 3264 §5: with the offer in our 2xx, the ACK carries the answer.
            const answer = sdpBody(ack);
            if (answer !== undefined) session.remoteSdp = answer;
          }
          this.ctx.sessionStarted(session);
          session.markEstablished();
          // RFC 3891 §3: once the new dialog is confirmed, the replaced one ends (BYE for a
          // confirmed dialog, CANCEL for an early one we initiated).
          const old = this.replaced;
          if (old instanceof DialogSession) void old.hangUp('replaced');
          else old?.abandon('cancelled');
          resolve(session);
        },
        () => {
          stopListening();
          reject(new DialogEndedError('no-ack', `no ACK for our 200 within 64·T1 (${64 * this.ctx.timers.t1} ms)`));
        },
      );
    });
  }

  /**
   * Refuses the call with a final response of 300–699 (default 486 Busy Here), e.g. `reject(603)`.
   *
   * @throws RangeError for a status outside 300–699; DialogStateError if the call is no longer pending.
   */
  reject(status = 486, reason?: string, options: IncomingResponseOptions = {}): void {
    if (!Number.isInteger(status) || status < 300 || status > 699) throw new RangeError(`reject() needs a status of 300–699, got ${status}`);
    if (this.state !== 'pending') throw new DialogStateError(`cannot reject: the call is ${this.state}`);
    this.tx.respond(createResponse(this.request, status, reason, { toTag: this.localTag, ...(options.headers !== undefined ? { headers: options.headers } : {}) }));
    this.finish('rejected', 'rejected', `we answered ${status}`);
  }

  // ---- inputs from the user agent ---------------------------------------------------------

  /** @internal The caller CANCELled (the transaction layer already answered 487). */
  cancelled(): void {
    if (this.state === 'pending') this.finish('cancelled', 'cancelled', 'the caller sent CANCEL');
  }

  /** @internal `UserAgent.close()`: 480 for a call still pending. */
  close(): void {
    if (this.state !== 'pending') return;
    try {
      this.tx.respond(createResponse(this.request, 480, undefined, { toTag: this.localTag }));
    } catch (err) {
      this.ctx.reportError(err, 'close: 480');
    }
    this.finish('closed', 'closed');
  }

  /** @internal A request on the early dialog (RFC 3261 §12.2.2). */
  receiveRequest(request: SipRequest, tx: ServerTransaction): void {
    if (request.method === 'BYE' && this.state === 'pending') {
      // RFC 3261 §15.1.2: BYE on an early dialog — answer it, and the INVITE with 487.
      tx.respond(createResponse(request, 200));
      this.tx.respond(createResponse(this.request, 487, undefined, { toTag: this.localTag }));
      this.finish('cancelled', 'remote-bye', 'the caller sent BYE on the early dialog');
      return;
    }
    if (request.method === 'OPTIONS') {
      tx.respond(this.ctx.capabilitiesResponse(request));
      return;
    }
    tx.respond(createResponse(request, request.method === 'BYE' ? 481 : 501));
  }

  /** @internal Nothing to ACK before we answer. */
  receiveAck(): void {}

  /** @internal We send no INVITE on an incoming call's early dialog. */
  receive2xx(): void {}

  /** @internal RFC 3261 §12.2.2. */
  acceptRemoteSeq(request: SipRequest): boolean {
    return this.ensureDialog().acceptRemoteSeq(request);
  }

  /** @internal A response to the INVITE could not be sent. */
  failed(detail: string): void {
    if (this.state === 'pending') this.finish('closed', 'transport', detail);
  }

  private provisional(status: 180 | 183, sdp: string | undefined, options: IncomingResponseOptions): void {
    if (this.state !== 'pending') throw new DialogStateError(`cannot send ${status}: the call is ${this.state}`);
    const dialog = this.ensureDialog();
    this.ctx.addDialog(dialog.key, this);
    this.tx.respond(
      createResponse(this.request, status, undefined, {
        toTag: this.localTag,
        headers: [...this.recordRoute(), ['Contact', this.ctx.contact], ...headerPairs(options.headers)] as HeaderInit,
        ...(sdp !== undefined ? { body: sdp, contentType: 'application/sdp' } : {}),
      }),
    );
  }

  /**
   * RFC 3261 §12.1.1: a response that sets up a dialog (a 2xx, a 1xx with a To tag) carries every
   * Record-Route of the request, in order, so that the caller's route set matches ours.
   */
  private recordRoute(): Array<[string, string]> {
    return this.request.recordRoutes.map((r) => ['Record-Route', String(r)]);
  }

  private ensureDialog(): Dialog {
    this.dialog ??= Dialog.fromUas(this.request, this.localTag, this.ctx.contact);
    return this.dialog;
  }

  /** @internal Runs `fn` once the call is no longer pending (answered, rejected, cancelled, closed). */
  whenSettled(fn: () => void): void {
    if (this.state !== 'pending') fn();
    else this.settledCallbacks.push(fn);
  }

  private settled(): void {
    for (const fn of this.settledCallbacks.splice(0)) fn();
  }

  private finish(state: IncomingCallState, reason: DialogEndReason, detail?: string): void {
    this.state = state;
    this.settled();
    if (this.dialog !== undefined) {
      this.dialog.terminate();
      this.ctx.removeDialog(this.dialog.key, this);
    }
    const error = new DialogEndedError(reason, detail);
    this.endedWith = error;
    this.controller?.abort(error);
    for (const listener of this.endListeners.splice(0)) {
      try {
        listener(error);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
