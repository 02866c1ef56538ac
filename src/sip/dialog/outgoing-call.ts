// Placing a call (RFC 3261 §13.2): the INVITE's responses, early dialogs, the ACK for each 2xx,
// forked 2xx, and giving up with CANCEL (§9.1) on abort or timeout.

import { peekContacts, peekCSeq, peekTag, requestFromSkeleton, requestSkeleton, type SipRequest, type SipResponse, skeletonText } from '../parser/message.js';
import { ownString } from '../parser/own-string.js';
import type { HeaderInit } from '../parser/serialize.js';
import type { Uri } from '../parser/uri.js';
import type { InviteClientTransaction } from '../transaction/invite-client.js';
import type { ClientTransaction } from '../transaction/layer.js';
import type { TransactionFailure } from '../transaction/transaction.js';
import type { TimerHandle } from '../transport/clock.js';
import { authorizedCopy } from './auth.js';
import { Dialog } from './dialog.js';
import type { DigestClient } from './digest.js';
import { failure, RequestFailedError, type RequestFailureKind, sendFailure } from './errors.js';
import { answerOfferIn2xx, sdpBody } from './offer-answer.js';
import { type AckOf2xx, DialogSession } from './session.js';
import type { UaContext } from './ua-context.js';

/**
 * What `ua.invite()` can be cancelled by: an AbortSignal, or any object with the same `aborted`,
 * `reason` and `'abort'` listeners (an AbortSignal is a whole EventTarget, costly to make for each
 * of many calls; a lighter object of one's own serves as well).
 */
export interface CancelSignal {
  /** Whether it has aborted. */
  readonly aborted: boolean;
  /** Why it aborted. */
  readonly reason: unknown;
  /** Calls `listener` once when it aborts (`once` is always asked for). */
  addEventListener(type: 'abort', listener: () => void, options: { once: true }): void;
  /** Forgets a listener added before. */
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Options of `ua.invite()`. */
export interface InviteOptions {
  /** Our offer. Left out, the INVITE carries none and the offer comes in the 2xx (late offer, answered in the ACK). */
  sdp?: string;
  /** Extra headers for the INVITE, written after the standard ones (kept as given). */
  headers?: HeaderInit;
  /** Aborting it before the call is answered cancels the INVITE (CANCEL after a provisional, RFC 3261 §9.1). */
  signal?: AbortSignal | CancelSignal;
  /** Give up after this many ms without a final response: CANCEL, and reject with kind `timeout`. */
  timeout?: number;
  /** Called with each provisional response (100, 180, 183 …) as it arrives. */
  onProgress?: (response: SipResponse) => void;
  /**
   * The Call-ID of the new dialog; a new random one (`<random>@<our host>`) when left out. It must
   * be globally unique (RFC 3261 §8.1.1.4): give one only to know it before the INVITE goes out.
   */
  callId?: string;
}

/** What {@link OutgoingInvite.final} gives once the final has come. */
const FINAL_CAME: Promise<void> = Promise.resolve();

/** What an INVITE's late 2xx needs of it, once the call is settled (see OutgoingInvite.lingerLight). */
const LATE_FORK_KEYS: ReadonlySet<string> = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'authorization', 'proxy-authorization']);

/** The progress callback of a settled call: nobody listens any more. */
const NO_PROGRESS = (): void => undefined;

/**
 * One outgoing INVITE from `ua.invite()`: tells its `done` callback a {@link DialogSession} after
 * the first 2xx is ACKed, or a {@link RequestFailedError}. Keeps answering 2xx retransmissions
 * and forks with ACK (and BYE for every dialog but the first) until the transaction ends.
 */
export class OutgoingInvite {
  /**
   * The INVITE sent last (a challenged INVITE is sent again with credentials, RFC 3261 §22.2).
   * Once the call has come out and its final has arrived, only its skeleton is kept (see
   * lingerLight): each read then builds a request of the method, Request-URI, Via, From, To,
   * Call-ID, CSeq and credentials.
   */
  get request(): SipRequest {
    return typeof this.current === 'string' ? requestFromSkeleton(this.current) : this.current;
  }
  /** The INVITE sent last, or (lingering) its skeleton as text. */
  private current: SipRequest | string;
  /** INVITEs sent so far (see send()). */
  private attempts = 0;
  private readonly auth: DigestClient | undefined;
  /** Whether the INVITE has its final response (real or synthetic), or was never sent. */
  private finalCame = false;
  /** What {@link final} resolves, while somebody waits for the final. */
  private finalWaiting: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly ctx: UaContext;
  /** Where the INVITE goes (and a challenged one again); let go of once the call only lingers. */
  private nextHop: Uri | undefined;
  private options: InviteOptions;
  private progress: (response: SipResponse) => void;
  /**
   * Told how the call came out, once (see {@link settle}); then forgotten, as whatever settles a
   * promise would keep the session for as long as this object lingers.
   */
  private done: ((outcome: DialogSession | RequestFailedError) => void) | undefined;
  /** Whether the call came out: {@link done} has been told. */
  private get settled(): boolean {
    return this.done === undefined;
  }
  private tx: InviteClientTransaction | undefined;
  /** Why we are giving up, once we are: later 2xx are ACKed and BYEd. */
  private abandoned: RequestFailureKind | undefined;
  private timeoutTimer: TimerHandle | undefined;
  /**
   * Early dialogs by remote tag (RFC 3261 §12.1.2, 1xx with a To tag), each as its latest
   * provisional: made into a {@link Dialog} only when a 2xx confirms it, whose route set and remote
   * target replace the provisional's (§13.2.2.4), so a Dialog made at the 1xx would be made again.
   */
  private early: Map<string, SipResponse> | undefined;
  /**
   * The ACK of each dialog confirmed by a 2xx, by remote tag: the one we kept and any forks we hung
   * up. Only the ACK: the ended session is not kept for the transaction's Accepted state.
   */
  private readonly confirmed = new Map<string, AckOf2xx>();
  /** Listens to the caller's signal until the call comes out (made only when there is a signal). */
  private onAbort: (() => void) | undefined;

  /** @internal Created by the user agent; call {@link start}. */
  constructor(
    ctx: UaContext,
    request: SipRequest,
    nextHop: Uri,
    options: InviteOptions,
    progress: (response: SipResponse) => void,
    done: (outcome: DialogSession | RequestFailedError) => void,
  ) {
    this.ctx = ctx;
    this.current = request;
    this.auth = ctx.auth;
    this.nextHop = nextHop;
    this.options = options;
    this.progress = progress;
    this.done = done;
  }

  /**
   * @internal Resolves once the INVITE has its final response (real or synthetic), or was never
   * sent: what close() waits for. (Made when asked for: a call nobody closes under needs none.)
   */
  get final(): Promise<void> {
    if (this.finalCame) return FINAL_CAME;
    if (this.finalWaiting === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.finalWaiting = { promise, resolve };
    }
    return this.finalWaiting.promise;
  }

  private finalArrived(): void {
    this.finalCame = true;
    this.finalWaiting?.resolve();
    this.finalWaiting = undefined;
  }

  /** @internal Sends the INVITE. */
  start(): void {
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.settle(new RequestFailedError('cancelled', 'INVITE', 487, 'Request Terminated', undefined, { cause: signal.reason }));
      this.finalArrived();
      return;
    }
    if (signal !== undefined) {
      this.onAbort = () => this.abandon('cancelled');
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    const timeout = this.options.timeout;
    if (timeout !== undefined) {
      if (!(Number.isFinite(timeout) && timeout > 0)) {
        this.settle(new RequestFailedError('timeout', 'INVITE', 408, `invalid timeout ${timeout}`));
        this.finalArrived();
        return;
      }
      this.timeoutTimer = this.ctx.clock.setTimer(timeout, () => this.abandon('timeout'));
    }
    this.send();
  }

  /** Sends the current INVITE in a new client transaction. */
  private send(): void {
    // Which INVITE this is (a challenged one is sent again): only the latest one's responses count.
    // A number, not the request: the transaction keeps its user for 64·T1 after a 2xx.
    const attempt = ++this.attempts;
    let sent: ClientTransaction | Promise<ClientTransaction>;
    try {
      sent = this.ctx.sendRequest(this.request, this.nextHop!, new AttemptUser(this, attempt));
    } catch (err) {
      this.notSent(err);
      return;
    }
    // (sent at once to an IP address: no promise, no turn before the transaction is known)
    if (sent instanceof Promise) {
      sent.then(
        (tx) => this.sent(attempt, tx),
        (err: unknown) => this.notSent(err),
      );
    } else this.sent(attempt, sent);
  }

  private sent(attempt: number, tx: ClientTransaction): void {
    if (attempt !== this.attempts) return;
    this.tx = tx as InviteClientTransaction;
    // Abandoned while the INVITE was being sent: cancel now, as abandon() would have.
    if (this.abandoned !== undefined) this.cancelTransaction(this.abandoned);
  }

  private notSent(err: unknown): void {
    this.settle(this.abandoned !== undefined ? this.gaveUp(this.abandoned) : sendFailure('INVITE', err));
    this.finalArrived();
  }

  /**
   * RFC 3261 §22.2: a 401/407 is answered by sending the INVITE again with credentials (same
   * Call-ID, From tag and To, CSeq + 1) in a new transaction; the transaction layer has ACKed the
   * challenge (with no credentials, §22.1). True when a new INVITE went out.
   */
  private retryWithCredentials(res: SipResponse): boolean {
    if (this.auth === undefined || this.abandoned !== undefined || this.settled) return false;
    const current = this.request;
    const authorized = this.auth.authorize(current, res);
    if (!authorized.ok) {
      this.settle(new RequestFailedError('rejected', 'INVITE', res.status, res.reason, res, { cause: authorized.error }));
      return false;
    }
    this.current = authorizedCopy(current, peekCSeq(current)!.seq + 1, authorized.headers);
    this.tx = undefined;
    this.early = undefined;
    this.send();
    return true;
  }

  /** @internal Whether one of our early dialogs has this id (RFC 3891 §3: an early dialog we initiated may be replaced). */
  hasEarlyDialog(callId: string, localTag: string, remoteTag: string): boolean {
    if (this.settled || this.early?.has(remoteTag) !== true) return false;
    const request = this.request;
    return request.callId === callId && peekTag(request, 'from') === localTag;
  }

  /** @internal Gives up: CANCEL (held until a provisional, RFC 3261 §9.1) and reject. */
  abandon(kind: RequestFailureKind): void {
    if (this.settled || this.abandoned !== undefined) return;
    this.abandoned = kind;
    if (this.tx === undefined) return; // sending: start() cancels once the transaction exists
    this.cancelTransaction(kind);
  }

  private cancelTransaction(kind: RequestFailureKind): void {
    this.ctx.cancel(this.tx!);
    // Before any provisional the CANCEL is held back and a final may never come (until Timer B):
    // reject now; a late 2xx is still ACKed and BYEd.
    if (this.tx!.state === 'Calling' || kind === 'closed') this.settle(this.gaveUp(kind));
  }

  /** The error for an INVITE we gave up on (synthetic 408 for a timeout, else 487), or with the final that ended it. */
  private gaveUp(kind: RequestFailureKind, res?: SipResponse): RequestFailedError {
    if (res !== undefined) return new RequestFailedError(kind, 'INVITE', res.status, res.reason, res);
    const [status, reason] = kind === 'timeout' ? [408, 'Request Timeout'] : [487, 'Request Terminated'];
    return new RequestFailedError(kind, 'INVITE', status, reason);
  }

  /** @internal The responses of INVITE number `attempt` (see {@link AttemptUser}): only the latest one's count. */
  attemptResponse(attempt: number, res: SipResponse, fail: TransactionFailure | undefined): void {
    if (attempt === this.attempts) this.response(res, fail);
  }

  private response(res: SipResponse, fail: TransactionFailure | undefined): void {
    if (res.status < 200) {
      this.provisional(res);
      return;
    }
    if ((res.status === 401 || res.status === 407) && fail === undefined && this.retryWithCredentials(res)) return;
    try {
      this.finalResponse(res, fail);
    } finally {
      this.finalArrived();
      this.lingerLight();
    }
  }

  /**
   * Once the call is settled and its final has come, this object stays only for RFC 6026's
   * Accepted state (64·T1, held by the transaction): to ACK 2xx retransmissions and to ACK and BYE
   * a late 2xx from another fork. Neither needs the INVITE's body or most of its headers, so keep
   * only what Dialog.fromUac and the ACK copy (RFC 3261 §13.2.2.4: the INVITE's credentials too):
   * under load the whole INVITE kept that long is most of what an ended call leaves behind.
   */
  private lingerLight(): void {
    if (!this.settled) return;
    if (typeof this.current !== 'string') {
      const text = skeletonText(this.current, LATE_FORK_KEYS);
      // (the transaction, lingering as long, keeps the same text: its headers are among these)
      if (text !== undefined) this.tx?.adoptSkeleton(text, this.current);
      this.current = text ?? requestSkeleton(this.current, LATE_FORK_KEYS);
    }
    this.nextHop = undefined;
  }

  private finalResponse(res: SipResponse, fail: TransactionFailure | undefined): void {
    if (res.status < 300) {
      this.success(res);
      return;
    }
    // RFC 3261 §13.2.2.3: a 300–699 ends every early dialog.
    this.early = undefined;
    if (this.abandoned !== undefined) {
      // We gave up (abort, timeout option, close): the 487 — or the synthetic 487 of the §9.1
      // 64·T1 CANCEL timer — ends it with the kind of giving up we chose.
      this.settle(this.gaveUp(this.abandoned, res));
    } else {
      this.settle(failure('INVITE', res, fail));
    }
  }

  private provisional(res: SipResponse): void {
    // RFC 3261 §12.1.2 / §13.2.2.1: a provisional with a To tag creates an early dialog.
    // (a later provisional of the same early dialog replaces the one kept: its Contact is the
    // remote target, §12.2.1.2)
    const tag = peekTag(res, 'to');
    if (tag !== undefined && (res.status > 100 || this.early?.has(tag) === true)) (this.early ??= new Map()).set(tag, res);
    if (this.settled) return;
    try {
      this.options.onProgress?.(res);
    } catch (err) {
      this.ctx.reportError(err, 'onProgress');
    }
    this.progress(res);
  }

  // RFC 3261 §13.2.2.4: every 2xx gets an ACK; the first one's dialog is the call; a 2xx from
  // another fork (a different To tag) is ACKed and then BYEd.
  private success(res: SipResponse): void {
    const tag = peekTag(res, 'to');
    if (tag === undefined) {
      this.ctx.reportError(new Error('a 2xx to our INVITE has no To tag; cannot ACK it'), 'INVITE 2xx');
      return;
    }
    const known = this.confirmed.get(tag);
    if (known !== undefined) {
      known.resendFor(res); // a retransmission: the same ACK again
      return;
    }
    const keep = !this.settled && this.abandoned === undefined && this.confirmed.size === 0;
    const provisional = this.early?.get(tag);
    this.early?.delete(tag);
    if (this.early?.size === 0) this.early = undefined;
    const request = this.request;
    // RFC 3261 §13.2.2.4: the 2xx confirms the dialog; route set and remote target from the 2xx.
    const dialog = Dialog.fromUac(request, res, this.ctx.contact);
    // A 2xx must carry a Contact (§13.3.1.4); one without keeps its early dialog's remote target.
    const contact = peekContacts(res)[0];
    if (provisional !== undefined && (contact === undefined || contact.wildcard)) dialog.refreshTarget(provisional);
    const offer = sdpBody(request);
    const remote = sdpBody(res);
    // Late offer (RFC 3261 §13.2.1, RFC 3264 §5): the offer is in the 2xx, our answer in the ACK.
    const { answer, refusal } = offer === undefined && remote !== undefined && keep ? answerOfferIn2xx(this.ctx.offerAnswer, remote, undefined, res) : {};
    const session = new DialogSession(this.ctx, dialog, 'uac', { local: offer ?? answer, remote });
    this.ctx.addDialog(dialog.key, session);
    // (The tag as a copy of its own: sliced from the 2xx, as a key it would keep the 2xx's whole text
    // for as long as this call lingers.)
    this.confirmed.set(ownString(tag), session.sendAck(request, answer));
    if (keep && refusal === undefined) {
      this.ctx.sessionStarted(session);
      this.settle(session);
      return;
    }
    // A fork after the first 2xx, a 2xx after we gave up, or an offer we cannot answer: ACK, then
    // BYE (RFC 3261 §13.2.2.4).
    void session.hangUp(this.confirmed.size > 1 ? 'fork' : 'local-bye');
    if (refusal !== undefined) this.settle(refusal);
    // RFC 3261 §9.1: a CANCEL that crossed the 2xx has no effect on it; we gave up, so the call
    // is over (ACKed, then BYEd above) and the promise rejects as the CANCEL would have.
    else if (this.abandoned !== undefined) this.settle(this.gaveUp(this.abandoned));
  }

  private settle(outcome: DialogSession | RequestFailedError): void {
    const done = this.done;
    if (done === undefined) return;
    this.done = undefined;
    if (this.onAbort !== undefined) this.options.signal?.removeEventListener('abort', this.onAbort);
    this.onAbort = undefined;
    // The transaction keeps us for a while yet (RFC 6026's Accepted state, 64·T1) to ACK 2xx
    // retransmissions; the caller's callbacks and signal are of no more use, and not held.
    this.options = {};
    this.progress = NO_PROGRESS;
    if (this.timeoutTimer !== undefined) this.ctx.clock.clearTimer(this.timeoutTimer);
    done(outcome);
  }
}

/**
 * The user of the client transaction of one INVITE of a call (a challenged INVITE is sent again,
 * RFC 3261 §22.2): passes its responses to the call with the attempt's number. An object, not a
 * closure: the transaction keeps it for 64·T1 after a 2xx (RFC 6026).
 */
class AttemptUser {
  constructor(
    private readonly call: OutgoingInvite,
    private readonly attempt: number,
  ) {}

  response(res: SipResponse, fail?: TransactionFailure): void {
    this.call.attemptResponse(this.attempt, res, fail);
  }
}
