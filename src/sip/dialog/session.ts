// An INVITE session on a confirmed dialog (RFC 3261 §13–15): 2xx/ACK on both sides, re-INVITE
// with glare handling (§14), BYE (§15), INFO (RFC 6086) and in-dialog OPTIONS.

import { peekCSeq, type SipRequest, type SipResponse } from '../parser/message.js';
import { createResponse, type HeaderInit } from '../parser/serialize.js';
import { InviteServerTransaction } from '../transaction/invite-server.js';
import type { ServerTransaction } from '../transaction/layer.js';
import { bytesOfKept, keptBytes, type ServerTransactionUser, type TransactionFailure } from '../transaction/transaction.js';
import type { Dialog, DialogState } from './dialog.js';
import { TypedEmitter } from './emitter.js';
import { DialogEndedError, type DialogEndReason, DialogStateError, failure, RequestFailedError, sendFailure } from './errors.js';
import { NextHopError } from './next-hop.js';
import type { Uri } from '../parser/uri.js';
import { authorizedCopy, credentialsOf, type FinalResponse, sendAuthenticated } from './auth.js';
import { answerOfferIn2xx, sdpBody, statusOfNegotiationError } from './offer-answer.js';
import type { IncomingRefer, ReferOutcome, ReferSubscription } from './refer.js';
import { type ReferOptions, ReferSide } from './session-refer.js';
import { Retransmitter2xx } from './retransmit-2xx.js';
import type { Endpoint } from '../transport/transport.js';
import { type DialogUsage, type SentStateless, sendRequestAsync, type UaContext } from './ua-context.js';

/** Which side of the INVITE that created the dialog we were. */
export type SessionRole = 'uac' | 'uas';

/** An incoming re-INVITE, reported once its ACK arrived (the offer/answer exchange is complete). */
export interface ReinviteEvent {
  /** The re-INVITE. */
  readonly request: SipRequest;
  /** The peer's description now in force (its offer, or its answer in the ACK). */
  readonly remoteSdp: string | undefined;
  /** Ours now in force (the answer we gave, or the offer in our 2xx). */
  readonly localSdp: string | undefined;
  /** The peer's description before this re-INVITE. */
  readonly previousRemoteSdp: string | undefined;
}

/** Events of a {@link DialogSession}. */
export interface DialogSessionEvents {
  [event: string]: unknown;
  /** The peer changed the session with a re-INVITE (hold, resume, new media) and it was ACKed. */
  reinvite: ReinviteEvent;
  /** The peer sent INFO (we answered 200). */
  info: { readonly request: SipRequest };
  /** The peer sent BYE (we answered 200); `ended` follows. */
  bye: { readonly request: SipRequest };
  /** The peer sent REFER (RFC 3515): accept or reject it. Without a listener, REFER gets 603. */
  refer: IncomingRefer;
  /** The dialog ended, for any reason; `signal` is aborted with the same error. */
  ended: DialogEndedError;
}

/** Options for in-dialog requests. */
export interface InDialogRequestOptions {
  /** Extra headers, written after the dialog's own. */
  headers?: HeaderInit;
}

/**
 * §14.1 glare: a 491 means the peer has an INVITE of its own in progress on the dialog, which can
 * last up to 64·T1 when its INVITE is lost and retransmitted (Timer B, RFC 3261 §17.1.1.2). We
 * retry for that long after the first 491, with this many attempts at most (so that a random delay
 * of 0 on a network without latency cannot loop for ever).
 */
const MAX_GLARE_ATTEMPTS = 20;

/** An INVITE server transaction of ours answered 2xx and waiting for its ACK (§13.3.1.4). */
interface PendingAck {
  readonly seq: number;
  readonly retransmitter: Retransmitter2xx;
  /** The transaction the 2xx went out in: told when the 2xx is acknowledged, so it lets go of its bytes. */
  readonly tx: ServerTransaction;
  /** The ACK, or undefined when a BYE stood in for a lost one. */
  readonly onAck: (ack: SipRequest | undefined) => void;
}

/**
 * @internal The ACK we sent for a 2xx to one of our INVITEs, re-sent for each retransmission of
 * that 2xx (RFC 3261 §13.2.2.4): its bytes once it has gone, not the parsed request, since it is
 * kept as long as the INVITE's transaction lingers. The session holds the latest; an initial
 * INVITE's `OutgoingInvite` holds its own for the transaction's Accepted state, and so
 * does not keep the whole ended session that long.
 */
export class AckOf2xx {
  /** The ACK's bytes as a lingering transaction keeps its response's ({@link keptBytes}: no slice of the buffer pool held 64·T1). */
  private sent: { readonly seq: number; readonly bytes: string; readonly destination: Endpoint } | undefined;

  constructor(private readonly ctx: UaContext) {}

  /** @internal The ACK has gone: `seq` is its CSeq number (the INVITE's). */
  gone(seq: number, sent: SentStateless): void {
    this.sent = { seq, bytes: keptBytes(sent.bytes), destination: sent.destination };
  }

  /** A retransmission of the 2xx it answers (the same CSeq) gets it again; nothing before it has gone. */
  resendFor(response: SipResponse): void {
    const sent = this.sent;
    if (sent === undefined || peekCSeq(response)?.seq !== sent.seq) return;
    this.ctx.resend({ bytes: bytesOfKept(sent.bytes), destination: sent.destination }).catch((err) => this.ctx.reportError(err, 'ACK retransmission'));
  }
}

/**
 * A call that has been answered: the confirmed dialog and the session descriptions in force.
 * `ua.invite()` resolves with one after the 2xx is ACKed; `call.answer()` resolves with one when
 * the ACK arrives.
 *
 * @example
 * ```ts
 * const session = await ua.invite('sip:bob@192.0.2.9', { sdp: offer });
 * session.on('reinvite', (e) => report(e.remoteSdp));
 * session.signal.addEventListener('abort', () => report(session.signal.reason.reason));
 * await session.reinvite(holdSdp);   // hold
 * await session.bye();
 * ```
 */
export class DialogSession extends TypedEmitter<DialogSessionEvents> implements DialogUsage {
  /** The dialog: id, CSeqs, remote target, route set. */
  readonly dialog: Dialog;
  /** `uac` if we placed the call, `uas` if we answered it. */
  readonly role: SessionRole;
  /** Our session description in force. */
  localSdp: string | undefined;
  /** The peer's session description in force. */
  remoteSdp: string | undefined;
  /** Why the session ended, once it has. */
  endReason: DialogEndedError | undefined;
  private readonly ctx: UaContext;
  /** Made on the first read of {@link signal}: most sessions are followed through 'ended'. */
  private controller: AbortController | undefined;
  private pendingAck: PendingAck | undefined;
  /** The ACK of the latest 2xx to one of our INVITEs. */
  private ack: AckOf2xx | undefined;
  /** Our re-INVITE's client transaction is running (no final yet). */
  private clientInvite = false;
  /** Callbacks waiting for no INVITE transaction in either direction (§14.1). */
  private idleWaiters: Array<() => void> = [];
  /** Glare back-off timers running (RFC 3261 §14.1); made when the first one starts. */
  private retryTimers: Set<ReturnType<UaContext['clock']['setTimer']>> | undefined;
  /** False while we, as callee, wait for the ACK of our 200 (see afterEstablished). */
  private established: boolean;
  /** Work held until {@link established}. */
  private readonly untilEstablished: Array<(ended: boolean) => void> = [];
  /** REFER and NOTIFY in this dialog (RFC 3515): made by the first REFER or NOTIFY, either way. */
  private referSide: ReferSide | undefined;

  /** @internal Created by the user agent. */
  constructor(ctx: UaContext, dialog: Dialog, role: SessionRole, sdp: { local: string | undefined; remote: string | undefined }) {
    super();
    this.ctx = ctx;
    this.dialog = dialog;
    this.role = role;
    this.localSdp = sdp.local;
    this.remoteSdp = sdp.remote;
    this.established = role === 'uac';
  }

  /** The session's REFER side, made on first use: most calls never see a REFER. */
  private get refers(): ReferSide {
    this.referSide ??= new ReferSide(this.ctx, this, {
      send: (request, nextHop) => this.send(request, nextHop),
      endIfGone: (response) => this.endIfGone(response),
      afterEstablished: (fn) => this.afterEstablished(fn),
      offer: (refer) => {
        if (this.listenerCount('refer') === 0) return false;
        this.emit('refer', refer);
        return true;
      },
    });
    return this.referSide;
  }

  /** Aborted, with a {@link DialogEndedError} as `reason`, when the dialog ends for any cause. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.endReason !== undefined) this.controller.abort(this.endReason);
    }
    return this.controller.signal;
  }

  /** `confirmed` while the call is up, `terminated` after it ended. */
  get state(): DialogState {
    return this.dialog.state;
  }

  /** Call-ID of the dialog. */
  get callId(): string {
    return this.dialog.id.callId;
  }

  /**
   * Ends the call with BYE (RFC 3261 §15.1.1). The session is over as soon as the BYE is sent;
   * the promise resolves with the BYE's final response (a synthetic 408 or 503 if none came; a
   * synthetic 416 or 503 when the dialog's target is one the stack cannot send to, such as a
   * peer's Contact with a scheme other than `sip:`).
   * On a session that has already ended it resolves at once with `undefined`. As callee, a BYE
   * waits for the ACK of our 2xx (or its 64·T1 timeout), as §15 requires.
   */
  bye(options: InDialogRequestOptions = {}): Promise<SipResponse | undefined> {
    return this.sendBye('local-bye', options);
  }

  /**
   * Sends a re-INVITE (RFC 3261 §14.1): `sdp` is the new offer (for hold, a `sendonly` one);
   * without it the re-INVITE carries no offer and the peer's 2xx must (we answer in the ACK
   * through the user agent's offer/answer handler). Waits first for any INVITE transaction in
   * progress in either direction. On 491 (glare) it retries after the §14.1 random delay: 2.1–4 s
   * if we generated the Call-ID, else 0–2 s, for as long as the peer's INVITE may still be in
   * progress (64·T1 after the first 491; at most 20 attempts). Resolves with the 2xx after the ACK
   * is sent; `localSdp` and `remoteSdp` are then the new ones.
   *
   * @throws RequestFailedError for a final 300–699 (the session stays as it was, except after 481
   *   or 408, which end the dialog, §12.2.1.2), DialogStateError if the session has ended.
   */
  async reinvite(sdp?: string, options: InDialogRequestOptions = {}): Promise<SipResponse> {
    let firstGlare: number | undefined;
    for (let attempt = 1; ; attempt++) {
      await this.whenIdle();
      this.assertActive('re-INVITE');
      const outcome = await this.sendReinvite(sdp, options);
      if (outcome.ok) return outcome.response;
      const now = this.ctx.clock.now();
      if (outcome.error.status === 491) firstGlare ??= now;
      // RFC 3261 §14.1: retry after T. The peer's own INVITE (why it said 491) may be lost and
      // retransmitted for up to 64·T1 (Timer B), so a fixed small number of attempts would give up
      // on a lossy network while the peer is still trying.
      if (outcome.error.status === 491 && now - firstGlare! < 64 * this.ctx.timers.t1 && attempt < MAX_GLARE_ATTEMPTS) {
        await this.sleep(this.glareDelay());
        continue;
      }
      throw outcome.error;
    }
  }

  /**
   * Sends INFO (RFC 6086) with `body` of `contentType` (default `application/dtmf-relay`).
   * Resolves with the 2xx.
   *
   * @throws RequestFailedError for a final 300–699 (481 and 408 also end the dialog).
   */
  async info(body: string | Uint8Array, contentType = 'application/dtmf-relay', options: InDialogRequestOptions = {}): Promise<SipResponse> {
    return this.request('INFO', { body, contentType, ...(options.headers !== undefined ? { headers: options.headers } : {}) });
  }

  /**
   * Sends REFER (RFC 3515) asking the peer to call `target`; with `replaces`, the Refer-To carries
   * a Replaces for that dialog, oriented as the target sees it (attended transfer, RFC 3891 §4).
   * Resolves with the subscription once the REFER is accepted (2xx, normally 202); NOTIFYs that
   * arrive before that are kept in `progress` and passed to `onNotify`.
   *
   * @throws RequestFailedError when the REFER gets 300–699 (481 and 408 also end the dialog).
   */
  async refer(target: string | Uri, options: ReferOptions = {}): Promise<ReferSubscription> {
    this.assertActive('REFER');
    return this.refers.refer(target, options);
  }

  /**
   * Transfers the call (RFC 5589): {@link refer}, follow the NOTIFYs until the subscription ends,
   * and on a 2xx outcome end our call with BYE. Resolves with the outcome (its `status` says how
   * the transferred call went: 200, 486 …).
   */
  async transfer(target: string | Uri, options: ReferOptions = {}): Promise<ReferOutcome> {
    const sub = await this.refer(target, options);
    const outcome = await sub.done;
    if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) await this.bye();
    return outcome;
  }

  /**
   * Sends any non-INVITE request inside the dialog and resolves with its 2xx (RFC 3261 §12.2.1).
   * Used for INFO, OPTIONS and, by extensions, REFER and NOTIFY.
   *
   * @throws RequestFailedError for a final 300–699 (481 and 408 also end the dialog, except to a
   *   NOTIFY, whose subscription they end instead).
   */
  async request(method: string, init: { headers?: HeaderInit; body?: string | Uint8Array; contentType?: string } = {}): Promise<SipResponse> {
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL' || method === 'BYE') {
      throw new TypeError(`use reinvite() or bye() for ${method}`);
    }
    this.assertActive(method);
    const { request, nextHop } = this.dialog.createRequest(method, init);
    const response = await this.send(request, nextHop);
    if (response.status >= 300) {
      // RFC 5057 §5.1: a 481 (or 408) to a NOTIFY ends the subscription it belongs to, not the
      // call that shares the dialog (the referrer merely stopped following a transfer).
      if (method !== 'NOTIFY') this.endIfGone(response);
      throw failure(method, response);
    }
    return response;
  }

  // ---- inputs from the user agent --------------------------------------------------------

  /** @internal An in-dialog request (validated and CSeq-checked by the user agent). */
  receiveRequest(request: SipRequest, tx: ServerTransaction): ServerTransactionUser | void {
    switch (request.method) {
      case 'BYE':
        // RFC 3261 §15.1.2: answer 2xx and end the session.
        tx.respond(createResponse(request, 200));
        if (!this.established && this.pendingAck !== undefined) {
          // The ACK of our 2xx to the initial INVITE was lost (or is still on its way) and the
          // caller hangs up. A BYE can only follow the 2xx (a caller that gives up before it
          // CANCELs, §9.1), so it proves the caller got the 2xx: the call was answered, then
          // ended, as the caller counts it. Stop the 2xx retransmissions, let answer() resolve,
          // and end once the application has had its turn with the session. (The end is queued
          // before the ACK is taken: taking it establishes the session, and a callback queued
          // after that would run at once, before answer()'s callers saw the session.)
          this.afterEstablished((ended) => {
            if (ended) return;
            this.emit('bye', { request });
            this.end('remote-bye');
          });
          this.takeAck(undefined);
          return;
        }
        this.emit('bye', { request });
        this.end('remote-bye');
        return;
      case 'INVITE':
        return this.receiveReinvite(request, tx);
      case 'INFO':
        tx.respond(createResponse(request, 200));
        this.afterEstablished(() => this.emit('info', { request }));
        return;
      case 'REFER':
        this.refers.receiveRefer(request, tx);
        return;
      case 'NOTIFY':
        this.refers.receiveNotify(request, tx);
        return;
      case 'OPTIONS':
        tx.respond(this.ctx.capabilitiesResponse(request));
        return;
      default:
        // The user agent's §8.2 validation answers methods it does not allow; this is a method
        // it allows that this session has no use for.
        tx.respond(createResponse(request, 501));
        return;
    }
  }

  /** @internal An ACK for a 2xx we sent (the ACK of a re-INVITE or of the initial INVITE). */
  receiveAck(ack: SipRequest): void {
    const pending = this.pendingAck;
    // RFC 3261 §17.1.1.3 / §13.3.1.4: the ACK's CSeq number is the INVITE's. ACK retransmissions
    // (or an ACK for an INVITE already ACKed) are absorbed.
    if (pending === undefined || peekCSeq(ack)?.seq !== pending.seq) return;
    this.takeAck(ack);
  }

  /** The pending 2xx is acknowledged (by its ACK, or by a BYE when `ack` is undefined). */
  private takeAck(ack: SipRequest | undefined): void {
    const pending = this.pendingAck!;
    pending.retransmitter.stop();
    if (pending.tx instanceof InviteServerTransaction) pending.tx.acknowledged();
    this.pendingAck = undefined;
    pending.onAck(ack);
    this.notifyIdle();
  }

  /** @internal A retransmitted 2xx to one of our INVITEs: re-send its ACK (RFC 3261 §13.2.2.4). */
  receive2xx(response: SipResponse): void {
    this.ack?.resendFor(response);
  }

  /** @internal RFC 3261 §12.2.2. */
  acceptRemoteSeq(request: SipRequest): boolean {
    return this.dialog.acceptRemoteSeq(request);
  }

  /**
   * @internal Our 2xx to an INVITE went out (the initial one, answered by `call.answer()`, or a
   * re-INVITE): re-send it until the ACK (RFC 3261 §13.3.1.4); with none after 64·T1, BYE.
   */
  awaitAck(tx: ServerTransaction, ok: SipResponse, onAck: (ack: SipRequest | undefined) => void, onNoAck: () => void): void {
    const seq = peekCSeq(ok)!.seq;
    const retransmitter = new Retransmitter2xx(
      this.ctx.clock,
      this.ctx.timers,
      () => this.resend2xx(tx, ok),
      () => {
        this.pendingAck = undefined;
        onNoAck();
        // RFC 3261 §13.3.1.4: "the dialog is confirmed, but the session SHOULD be terminated.
        // This is accomplished with a BYE".
        void this.sendBye('no-ack', {});
        this.notifyIdle();
      },
    );
    this.pendingAck = { seq, retransmitter, tx, onAck };
  }

  /**
   * @internal Sends the ACK for the 2xx to `invite` (ours, the initial INVITE or a re-INVITE), with
   * our answer when the 2xx carried the offer, and keeps it for the 2xx's retransmissions
   * (RFC 3261 §13.2.2.4). Built from the dialog as the 2xx left it. Returns what re-sends it.
   */
  sendAck(invite: SipRequest, answer: string | undefined): AckOf2xx {
    const { request: ack, nextHop } = this.dialog.createRequest('ACK', {
      cseq: peekCSeq(invite)!.seq,
      // RFC 3261 §13.2.2.4: "The ACK MUST contain the same credentials as the INVITE."
      headers: credentialsOf(invite),
      ...(answer !== undefined ? { body: answer, contentType: 'application/sdp' } : {}),
    });
    const kept = (this.ack = new AckOf2xx(this.ctx));
    const seq = peekCSeq(ack)!.seq;
    this.ctx.sendAck(
      ack,
      nextHop,
      (sent) => kept.gone(seq, sent),
      (err) => this.ctx.reportError(err, 'ACK'),
    );
    return kept;
  }

  /** @internal Ends the session with BYE for `reason` (close(), a fork, a refused offer); resolves when the BYE is answered. */
  hangUp(reason: DialogEndReason): Promise<SipResponse | undefined> {
    return this.sendBye(reason, {});
  }

  /** @internal Ends the session without sending anything (transport failure, dialog gone, fork). */
  end(reason: DialogEndReason, detail?: string): void {
    if (this.endReason !== undefined) return;
    const error = new DialogEndedError(reason, detail);
    this.endReason = error;
    this.dialog.terminate();
    this.pendingAck?.retransmitter.stop();
    this.pendingAck = undefined;
    for (const t of this.retryTimers ?? []) this.ctx.clock.clearTimer(t);
    this.retryTimers = undefined;
    this.referSide?.terminateAll();
    for (const fn of this.untilEstablished.splice(0)) fn(true);
    this.ctx.removeDialog(this.dialog.key, this);
    this.notifyIdle();
    this.controller?.abort(error);
    this.emit('ended', error);
    // Nothing is emitted after 'ended': let go of the listeners (and what they hold).
    this.removeAllListeners();
  }

  protected override onListenerError(err: unknown, event: string): void {
    this.ctx.reportError(err, `DialogSession '${event}' listener`);
  }

  // ---- internals ---------------------------------------------------------------------------

  private sendBye(reason: DialogEndReason, options: InDialogRequestOptions): Promise<SipResponse | undefined> {
    if (this.endReason !== undefined) return Promise.resolve(undefined);
    // RFC 3261 §15: "the callee's UA MUST NOT send a BYE on a confirmed dialog until it has
    // received an ACK for its 2xx response or until the server transaction times out."
    if (this.pendingAck !== undefined && this.role === 'uas' && reason === 'local-bye') return this.whenIdle().then(() => this.byeNow(reason, options));
    return this.byeNow(reason, options);
  }

  /** {@link sendBye} once it may go (a chain of promises, not async functions: a load run sends one per call). */
  private byeNow(reason: DialogEndReason, options: InDialogRequestOptions): Promise<SipResponse | undefined> {
    if (this.endReason !== undefined) return Promise.resolve(undefined);
    let request: SipRequest;
    let sent: Promise<SipResponse>;
    try {
      const built = this.dialog.createRequest('BYE', options);
      request = built.request;
      // RFC 3261 §15.1.1: the session is over as soon as the BYE is sent.
      this.end(reason);
      sent = this.send(request, built.nextHop);
    } catch (err) {
      return Promise.reject(err);
    }
    return sent.then(undefined, (err: unknown) => {
      // A BYE that timed out (Timer F) or hit a transport error has the transaction's synthetic
      // 408 / 503 (RFC 3261 §17.1.2.2, §17.1.4): that is its answer, as documented, not an error.
      if (err instanceof RequestFailedError && err.response !== undefined) return err.response;
      // A target the stack cannot send to (the peer's Contact with a scheme other than sip:, an
      // unusable host: NextHopError, 416 or 503): no BYE left, and nothing is wrong with the stack.
      // Its answer is a synthetic response of that status, as for a transport error.
      if (err instanceof RequestFailedError && err.cause instanceof NextHopError) return createResponse(request, err.status);
      this.ctx.reportError(err, 'BYE');
      return undefined;
    });
  }

  private async sendReinvite(sdp: string | undefined, options: InDialogRequestOptions): Promise<{ ok: true; response: SipResponse } | { ok: false; error: RequestFailedError }> {
    const built = this.dialog.createRequest('INVITE', {
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
      ...(sdp !== undefined ? { body: sdp, contentType: 'application/sdp' } : {}),
    });
    const nextHop = built.nextHop;
    let request = built.request;
    this.clientInvite = true;
    try {
      for (let attempt = 0; ; attempt++) {
        const outcome = await this.sendReinviteOnce(request, nextHop, sdp);
        const challenge = outcome.ok ? undefined : outcome.error.response;
        // RFC 3261 §22.2: a challenged re-INVITE is sent again with credentials and the next CSeq.
        if (challenge === undefined || (challenge.status !== 401 && challenge.status !== 407) || this.ctx.auth === undefined || attempt >= 3 || outcome.ok || outcome.error.kind !== 'rejected') return outcome;
        const authorized = this.ctx.auth.authorize(request, challenge);
        if (!authorized.ok) return { ok: false, error: new RequestFailedError('rejected', 'INVITE', challenge.status, challenge.reason, challenge, { cause: authorized.error }) };
        request = authorizedCopy(request, ++this.dialog.localSeq, authorized.headers);
      }
    } finally {
      this.clientInvite = false;
      this.notifyIdle();
    }
  }

  /** One re-INVITE transaction; a challenge (401/407) leaves `clientInvite` set for the authorized retry. */
  private sendReinviteOnce(request: SipRequest, nextHop: Uri, sdp: string | undefined): Promise<{ ok: true; response: SipResponse } | { ok: false; error: RequestFailedError }> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (outcome: { ok: true; response: SipResponse } | { ok: false; error: RequestFailedError }): void => {
        if (done) return;
        done = true;
        const challenged = !outcome.ok && (outcome.error.status === 401 || outcome.error.status === 407) && this.ctx.auth !== undefined;
        if (!challenged) {
          this.clientInvite = false;
          this.notifyIdle();
        }
        resolve(outcome);
      };
      sendRequestAsync(this.ctx, request, nextHop, {
          response: (res, fail) => {
            if (res.status < 200) return;
            if (res.status >= 300) {
              this.endIfGone(res);
              finish({ ok: false, error: failure('INVITE', res, fail) });
              return;
            }
            if (done) {
              // RFC 3261 §13.2.2.4: a retransmitted 2xx gets the same ACK again.
              this.receive2xx(res);
              return;
            }
            const outcome = this.acceptReinvite2xx(request, res, sdp);
            finish(outcome);
          },
        })
        .catch((err) => finish({ ok: false, error: sendFailure('INVITE', err) }));
    });
  }

  /** The first 2xx to our re-INVITE: target refresh, ACK (with our answer for an offerless re-INVITE), new descriptions. */
  private acceptReinvite2xx(request: SipRequest, ok: SipResponse, offer: string | undefined): { ok: true; response: SipResponse } | { ok: false; error: RequestFailedError } {
    // RFC 3261 §12.2.1.2: the 2xx to a target refresh request replaces the remote target.
    this.dialog.refreshTarget(ok);
    const remote = sdpBody(ok);
    // RFC 3264 §5 / RFC 3261 §13.2.1: an offer in the 2xx to our offerless re-INVITE is answered in the ACK.
    const { answer, refusal } = offer === undefined && remote !== undefined ? answerOfferIn2xx(this.ctx.offerAnswer, remote, this.localSdp, ok) : {};
    // RFC 3261 §13.2.2.4, §12.2.1.1: the ACK is built from the dialog as refreshed by this 2xx and
    // goes to its next hop (the new remote target), not to where the re-INVITE went.
    this.sendAck(request, answer);
    if (refusal !== undefined) {
      // RFC 3261 §13.2.2.4 (for an INVITE in general): a UAC that cannot accept the offer in a 2xx
      // ACKs it and then sends BYE.
      void this.sendBye('local-bye', {});
      return { ok: false, error: refusal };
    }
    if (offer !== undefined) {
      this.localSdp = offer;
      if (remote !== undefined) this.remoteSdp = remote;
    } else if (remote !== undefined) {
      this.remoteSdp = remote;
      this.localSdp = answer;
    }
    return { ok: true, response: ok };
  }

  private receiveReinvite(request: SipRequest, tx: ServerTransaction): ServerTransactionUser | void {
    // RFC 3261 §14.2: "A UAS that receives a re-INVITE on a dialog while an INVITE it had sent on
    // that dialog is in progress MUST return a 491 (Request Pending) response".
    if (this.clientInvite) {
      tx.respond(createResponse(request, 491));
      return;
    }
    // RFC 3261 §14.2: "A UAS that receives a second INVITE before it sends the final response to
    // a first INVITE with a lower CSeq sequence number on the same dialog MUST return a 500
    // (Server Internal Error) response to the second INVITE and MUST include a Retry-After header
    // field with a randomly chosen value of between 0 and 10 seconds."
    if (this.pendingAck !== undefined) {
      tx.respond(createResponse(request, 500, undefined, { headers: { 'Retry-After': String(Math.floor(this.ctx.random() * 11)) } }));
      return;
    }
    const offer = sdpBody(request);
    let local: string | undefined;
    try {
      const handler = this.ctx.offerAnswer;
      if (offer !== undefined) {
        if (handler === undefined) throw new Error('no offer/answer handler configured to answer a re-INVITE');
        local = handler.createAnswer(offer, this.localSdp);
      } else {
        // RFC 3264 §5 (offerless re-INVITE): our 2xx carries an offer, our current one unless a
        // handler makes a new one; the ACK carries the answer.
        local = handler !== undefined ? handler.createOffer(this.localSdp) : this.localSdp;
      }
    } catch (err) {
      const status = statusOfNegotiationError(err);
      const text = (err instanceof Error ? err.message : String(err)).replace(/["\\\r\n]/g, ' ');
      tx.respond(createResponse(request, status, undefined, { toTag: this.dialog.id.localTag, headers: { Warning: `399 sipflow "${text}"` } }));
      return;
    }
    // RFC 3261 §12.2.2: a target refresh request replaces the remote target.
    this.dialog.refreshTarget(request);
    const ok = createResponse(request, 200, undefined, {
      headers: { Contact: this.dialog.localContact },
      ...(local !== undefined ? { body: local, contentType: 'application/sdp' } : {}),
    });
    tx.respond(ok);
    const previousRemoteSdp = this.remoteSdp;
    this.localSdp = local;
    if (offer !== undefined) this.remoteSdp = offer;
    this.awaitAck(
      tx,
      ok,
      (ack) => {
        if (offer === undefined && ack !== undefined) {
          const answer = sdpBody(ack);
          if (answer !== undefined) this.remoteSdp = answer;
        }
        this.emit('reinvite', { request, remoteSdp: this.remoteSdp, localSdp: this.localSdp, previousRemoteSdp });
      },
      () => undefined,
    );
    return {
      ack: (ack) => this.receiveAck(ack),
      failed: (f) => this.transportFailed(f),
    };
  }

  /**
   * Runs `fn` now, or — while we, as callee, still wait for the ACK of our 200 — once it has come
   * and the application has had its turn to take the session (`answer()` resolves on the ACK).
   * The peer may send requests as soon as it has the 200 (RFC 3261 §13.3.1.4: a lost ACK is
   * repaired later), and they must not miss listeners the application attaches on the session.
   * `fn(true)` if the session ends first.
   */
  private afterEstablished(fn: (ended: boolean) => void): void {
    if (this.established) fn(false);
    else this.untilEstablished.push(fn);
  }

  /** @internal The initial ACK arrived (or the session never waited for one). */
  markEstablished(): void {
    if (this.established) return;
    this.established = true;
    const waiting = this.untilEstablished.splice(0);
    if (waiting.length === 0) return;
    // After the promise callbacks of answer(): a timer, so a later macrotask on the real clock,
    // set from a microtask, so that a clock which fires due timers at once (a VirtualClock
    // advancing) still lets the promise callbacks queued so far run first.
    queueMicrotask(() =>
      this.ctx.clock.setTimer(0, () => {
        for (const fn of waiting) fn(this.endReason !== undefined);
      }),
    );
  }

  /** Our response could not be sent: a dialog whose 2xx cannot reach the peer is over. */
  private transportFailed(f: TransactionFailure): void {
    if (f.kind === 'transport') this.end('transport', f.error.message);
  }

  private resend2xx(tx: ServerTransaction, ok: SipResponse): void {
    if (!tx.isTerminated) {
      try {
        tx.respond(ok);
        return;
      } catch (err) {
        this.ctx.reportError(err, '2xx retransmission');
        return;
      }
    }
    // The transaction ended (Timer L, 64·T1) together with our own deadline: nothing to do.
  }

  /**
   * Sends an in-dialog non-INVITE request and resolves with its final response, answering digest
   * challenges with the user agent's credentials (RFC 3261 §22.2: the retry takes the dialog's
   * next CSeq). Rejects with a RequestFailedError for the transaction layer's own 408/503 and for
   * refused credentials.
   */
  private send(request: SipRequest, nextHop: ReturnType<Dialog['createRequest']>['nextHop']): Promise<SipResponse> {
    // (a chain of promises, not async functions: a BYE per call of a load run goes this way)
    let pending: Promise<Awaited<ReturnType<typeof sendAuthenticated>> | FinalResponse>;
    try {
      // Without credentials no challenge is answered: the final as it comes (one async step less).
      const auth = this.ctx.auth;
      pending = auth === undefined ? this.ctx.sendFinal(request, nextHop) : sendAuthenticated(request, auth, (req) => this.ctx.sendFinal(req, nextHop), () => ++this.dialog.localSeq);
    } catch (err) {
      return Promise.reject(sendFailure(request.method, err));
    }
    return pending.then(
      (result) => {
        if (result.failure !== undefined) throw failure(request.method, result.response, result.failure);
        if ('error' in result && result.error !== undefined) throw new RequestFailedError('rejected', request.method, result.response.status, result.response.reason, result.response, { cause: result.error });
        return result.response;
      },
      (err: unknown) => {
        throw sendFailure(request.method, err);
      },
    );
  }

  /** RFC 3261 §12.2.1.2: 481 or 408 to an in-dialog request ends the dialog. */
  private endIfGone(response: SipResponse): void {
    if (response.status === 481 || response.status === 408) this.end('dialog-gone', `${response.status} ${response.reason}`);
  }

  private assertActive(what: string): void {
    if (this.endReason !== undefined) throw new DialogStateError(`cannot send ${what}: the session has ended (${this.endReason.reason})`);
  }

  /** Resolves when no INVITE transaction is in progress in either direction (RFC 3261 §14.1), or the session ended. */
  private whenIdle(): Promise<void> {
    if ((!this.clientInvite && this.pendingAck === undefined) || this.endReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    if (this.clientInvite || (this.pendingAck !== undefined && this.endReason === undefined)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * RFC 3261 §14.1: after a 491, wait T: "If the UAC is the owner of the Call-ID of the dialog
   * ID ... T has a randomly chosen value between 2.1 and 4 seconds in units of 10 ms"; otherwise
   * "between 0 and 2 seconds in units of 10 ms".
   */
  private glareDelay(): number {
    const steps = this.role === 'uac' ? 2100 / 10 + Math.floor(this.ctx.random() * 191) : Math.floor(this.ctx.random() * 201);
    return steps * 10;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.ctx.clock.setTimer(ms, () => {
        this.retryTimers?.delete(t);
        stopListening();
        resolve();
      });
      (this.retryTimers ??= new Set()).add(t);
      // If the session ends while we sleep, the retry loop wakes and fails on assertActive.
      const stopListening = this.once('ended', () => resolve());
    });
  }
}

export type { ReferOptions };
