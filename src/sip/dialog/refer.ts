// REFER and its implicit subscription (RFC 3515, RFC 6665 for NOTIFY, RFC 3420 message/sipfrag):
// the referrer's side (send REFER, follow the NOTIFYs) and the referee's (accept, place the new
// call, report its progress).

import { peekCSeq, type SipRequest, type SipResponse } from '../parser/message.js';
import { NameAddr } from '../parser/name-addr.js';
import { createResponse, type HeaderInit } from '../parser/serialize.js';
import { SipUri, type Uri } from '../parser/uri.js';
import type { ServerTransaction } from '../transaction/layer.js';
import type { TimerHandle } from '../transport/clock.js';
import { TypedEmitter } from './emitter.js';
import { DialogStateError, RequestFailedError } from './errors.js';
import { headerPairs } from './dialog.js';
import { formatReplaces, parseReplaces, type ReplacesTarget } from './replaces.js';
import type { DialogSession } from './session.js';
import type { InviteOptions } from './outgoing-call.js';
import type { UaContext } from './ua-context.js';

/** The state a NOTIFY gives its subscription (RFC 6665 §8.2.3, Subscription-State). */
export type SubscriptionState = 'pending' | 'active' | 'terminated';

/** One NOTIFY of a REFER subscription: how the referred call is going (RFC 3515 §2.4.5). */
export interface ReferProgress {
  /** Status of the sipfrag (`100`, `180`, `200`, `486` …). */
  readonly status: number;
  /** Its reason phrase. */
  readonly reason: string;
  /** The subscription state the NOTIFY announced. */
  readonly state: SubscriptionState;
  /** The NOTIFY. */
  readonly request: SipRequest;
}

/** How a REFER subscription ended. */
export interface ReferOutcome {
  /** The last sipfrag status reported (`undefined` if no NOTIFY arrived). */
  readonly status: number | undefined;
  /** Its reason phrase. */
  readonly reason: string | undefined;
  /**
   * `notify`: a NOTIFY said terminated; `timeout`: none did in time; `dialog-ended`: the dialog
   * ended first; `refused`: the REFER itself was refused; `aborted`: the caller stopped following.
   */
  readonly cause: 'notify' | 'timeout' | 'dialog-ended' | 'refused' | 'aborted';
}

/** Events of a {@link ReferSubscription}. */
export interface ReferSubscriptionEvents {
  [event: string]: unknown;
  /** A NOTIFY arrived (we answered 200). */
  notify: ReferProgress;
  /** The subscription ended. */
  terminated: ReferOutcome;
}

/** Default wait for the NOTIFY that ends a REFER subscription: long enough for the new call to ring and be answered. */
export const DEFAULT_REFER_TIMEOUT_MS = 180_000;

/**
 * The referrer's view of a REFER (RFC 3515 §2.4.4): created when the REFER is sent, so NOTIFYs
 * that overtake the 202 are not lost. `progress` lists every NOTIFY in order; `done` resolves
 * when the subscription ends.
 *
 * @example
 * ```ts
 * const sub = await session.refer('sip:carol@192.0.2.30');
 * sub.on('notify', (p) => report(p.status));   // 100, 180, 200 …
 * const { status } = await sub.done;            // 200: the transfer worked
 * ```
 */
export class ReferSubscription extends TypedEmitter<ReferSubscriptionEvents> {
  /** The REFER. */
  readonly request: SipRequest;
  /** The subscription id: the REFER's CSeq number (RFC 3515 §2.4.6). */
  readonly id: string;
  /** Every NOTIFY so far, in order of arrival. */
  readonly progress: ReferProgress[] = [];
  /** Resolves when the subscription ends (never rejects). */
  readonly done: Promise<ReferOutcome>;
  /** `pending` until a NOTIFY says otherwise. */
  state: SubscriptionState = 'pending';
  private finish!: (outcome: ReferOutcome) => void;
  private ended = false;
  private timer: TimerHandle | undefined;
  private readonly ctx: UaContext;
  private readonly onNotify: ((p: ReferProgress) => void) | undefined;

  /** @internal */
  constructor(ctx: UaContext, request: SipRequest, timeout: number, onNotify?: (p: ReferProgress) => void) {
    super();
    this.ctx = ctx;
    this.request = request;
    this.id = String(peekCSeq(request)!.seq);
    this.onNotify = onNotify;
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.timer = ctx.clock.setTimer(timeout, () => this.terminate('timeout'));
  }

  /** @internal A NOTIFY for this subscription (RFC 6665 §4.1.3, RFC 3515 §2.4.5). */
  receiveNotify(request: SipRequest, tx: ServerTransaction): void {
    const state = subscriptionState(request);
    const frag = parseSipfrag(request);
    if (state === undefined || frag === undefined) {
      tx.respond(createResponse(request, 400, state === undefined ? 'Missing or Bad Subscription-State' : 'Bad sipfrag Body'));
      return;
    }
    tx.respond(createResponse(request, 200));
    if (this.state === 'terminated') return;
    const progress: ReferProgress = { status: frag.status, reason: frag.reason, state, request };
    this.progress.push(progress);
    this.state = state;
    try {
      this.onNotify?.(progress);
    } catch (err) {
      this.ctx.reportError(err, 'onNotify');
    }
    this.emit('notify', progress);
    if (state === 'terminated') this.terminate('notify');
  }

  /** @internal Ends the subscription (idempotent). */
  terminate(cause: ReferOutcome['cause']): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.ended) return;
    this.ended = true;
    this.state = 'terminated';
    const last = this.progress.at(-1);
    const outcome: ReferOutcome = { status: last?.status, reason: last?.reason, cause };
    this.finish(outcome);
    this.emit('terminated', outcome);
  }

  protected override onListenerError(err: unknown, event: string): void {
    this.ctx.reportError(err, `ReferSubscription '${event}' listener`);
  }
}

/**
 * A REFER we received (RFC 3515 §2.4.2), handed to the session's `refer` listeners. Accept it to
 * place the referred call (202, NOTIFY 100, the INVITE with Referred-By and any Replaces, NOTIFYs
 * with its 1xx and final status, RFC 3515 §2.4.4), or reject it.
 *
 * @example
 * ```ts
 * session.on('refer', (refer) => {
 *   refer.accept().then((newCall) => report('transferred', newCall.callId), (err) => report(err.status));
 * });
 * ```
 */
export class IncomingRefer {
  /** The REFER. */
  readonly request: SipRequest;
  /** The Refer-To value. */
  readonly referTo: NameAddr;
  /** Where to call: the Refer-To URI without its `?headers`. */
  readonly target: Uri;
  /** The dialog the new call must replace (a `Replaces` in the Refer-To URI, RFC 3891 §4), if any. */
  readonly replaces: ReplacesTarget | undefined;
  /** Referred-By of the REFER (RFC 3892), or its From when it has none: copied onto the new INVITE. */
  readonly referredBy: string;
  /** `pending` until accepted or rejected. */
  state: 'pending' | 'accepted' | 'rejected' = 'pending';
  private readonly ctx: UaContext;
  private readonly session: DialogSession;
  private readonly tx: ServerTransaction;
  private readonly extraHeaders: Array<[string, string]>;
  private notifying: Promise<unknown> = Promise.resolve();
  /** A NOTIFY failed: the subscription is over (RFC 6665 §4.2.2), send no more. */
  private subscriptionGone = false;

  /** @internal Parsed by {@link parseIncomingRefer}. */
  constructor(ctx: UaContext, session: DialogSession, request: SipRequest, tx: ServerTransaction, parsed: ParsedRefer) {
    this.ctx = ctx;
    this.session = session;
    this.request = request;
    this.tx = tx;
    this.referTo = parsed.referTo;
    this.target = parsed.target;
    this.replaces = parsed.replaces;
    this.referredBy = parsed.referredBy;
    this.extraHeaders = parsed.headers;
  }

  /**
   * Accepts: 202, NOTIFY `100 Trying` at once, then calls the target (RFC 3515 §2.4.2) with
   * Referred-By and any Replaces, NOTIFYing its provisional responses and its final status (the
   * last NOTIFY terminates the subscription). Resolves with the new call's session, rejects like
   * `ua.invite()`.
   */
  accept(options: InviteOptions = {}): Promise<DialogSession> {
    if (this.state !== 'pending') return Promise.reject(new DialogStateError(`cannot accept: the REFER is ${this.state}`));
    this.state = 'accepted';
    this.tx.respond(createResponse(this.request, 202));
    this.notify(100, 'Trying', false);
    const headers: Array<readonly [string, string]> = [['Referred-By', this.referredBy], ...this.extraHeaders];
    const sdp = options.sdp ?? this.ctx.offerAnswer?.createOffer(undefined);
    const call = this.ctx.placeCall(this.target, {
      ...options,
      ...(sdp !== undefined ? { sdp } : {}),
      headers: [...headers, ...headerPairs(options.headers)] as HeaderInit,
      onProgress: (res) => {
        if (res.status > 100) this.notify(res.status, res.reason, false);
        options.onProgress?.(res);
      },
    });
    call.then(
      () => this.notify(200, 'OK', true),
      (err: { status?: number; reason?: string }) => this.notify(err.status ?? 503, err.reason ?? 'Service Unavailable', true),
    );
    return call;
  }

  /** Refuses the REFER with a final response of 300–699 (default 603 Decline). */
  reject(status = 603, reason?: string): void {
    if (!Number.isInteger(status) || status < 300 || status > 699) throw new RangeError(`reject() needs a status of 300–699, got ${status}`);
    if (this.state !== 'pending') throw new DialogStateError(`cannot reject: the REFER is ${this.state}`);
    this.state = 'rejected';
    this.tx.respond(createResponse(this.request, status, reason));
  }

  /**
   * Sends a NOTIFY with `SIP/2.0 <status> <reason>` (RFC 3515 §2.4.5). NOTIFYs go one after the
   * other (each waits for the previous one's answer) so their CSeqs arrive in order.
   */
  private notify(status: number, reason: string, final: boolean): void {
    const id = peekCSeq(this.request)!.seq;
    this.notifying = this.notifying.then(async () => {
      if (this.session.endReason !== undefined || this.subscriptionGone) return;
      try {
        await this.session.request('NOTIFY', {
          headers: [
            ['Event', `refer;id=${id}`],
            ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
          ],
          body: `SIP/2.0 ${status} ${reason}\r\n`,
          contentType: 'message/sipfrag;version=2.0',
        });
      } catch (err) {
        // RFC 6665 §4.2.2: a NOTIFY that fails (481, 408, the referrer hung up) ends the
        // subscription; that is normal after a blind transfer, not an internal error.
        if (err instanceof RequestFailedError || err instanceof DialogStateError) this.subscriptionGone = true;
        else this.ctx.reportError(err, `NOTIFY ${status}`);
      }
    });
  }
}

/** What {@link parseIncomingRefer} finds in a REFER. */
export interface ParsedRefer {
  readonly referTo: NameAddr;
  readonly target: Uri;
  readonly replaces: ReplacesTarget | undefined;
  readonly referredBy: string;
  /** Headers from the Refer-To URI other than Replaces (RFC 3261 §19.1.5), for the new request. */
  readonly headers: Array<[string, string]>;
}

/** Reads Refer-To (exactly one, RFC 3515 §2.4.1) and Referred-By; a response to send instead when it cannot. */
export function parseIncomingRefer(request: SipRequest): ParsedRefer | SipResponse {
  const values = request.headers('Refer-To');
  if (values.length !== 1) return createResponse(request, 400, values.length === 0 ? 'Missing Refer-To' : 'More Than One Refer-To');
  let referTo: NameAddr;
  try {
    referTo = NameAddr.parse(values[0]!);
  } catch {
    return createResponse(request, 400, 'Bad Refer-To');
  }
  const target = referTo.uri.clone();
  let replaces: ReplacesTarget | undefined;
  const headers: Array<[string, string]> = [];
  if (target instanceof SipUri) {
    for (const h of target.headers) {
      if (h.name.toLowerCase() === 'replaces') {
        replaces = parseReplaces(h.value ?? '');
        if (replaces === undefined) return createResponse(request, 400, 'Bad Replaces in Refer-To');
      } else if (h.value !== null && !/^(body|via|call-id|cseq|from|to|contact|content-length|max-forwards|route|record-route)$/i.test(h.name)) {
        headers.push([h.name, h.value]);
      }
    }
    for (const h of [...target.headers]) target.headers.delete(h.name);
  }
  if (replaces !== undefined) headers.push(['Replaces', formatReplaces(replaces)]);
  const referredBy = request.header('Referred-By') ?? (request.from === undefined ? '' : `<${String(request.from.uri)}>`);
  return { referTo, target, replaces, referredBy, headers };
}

/** The `Subscription-State` of a NOTIFY, or undefined when missing or unknown (RFC 6665 §8.2.3). */
export function subscriptionState(request: SipRequest): SubscriptionState | undefined {
  const value = request.header('Subscription-State');
  const state = value?.split(';')[0]?.trim().toLowerCase();
  return state === 'active' || state === 'pending' || state === 'terminated' ? state : undefined;
}

/** The `id` parameter of `Event: refer;id=N`, or '' when absent; undefined when the event is not `refer`. */
export function referEventId(request: SipRequest): string | undefined {
  const event = request.header('Event');
  if (event === undefined) return undefined;
  const [pkg, ...params] = event.split(';').map((p) => p.trim());
  if (pkg?.toLowerCase() !== 'refer') return undefined;
  for (const p of params) {
    const [name, value] = p.split('=');
    if (name?.trim().toLowerCase() === 'id') return (value ?? '').trim();
  }
  return '';
}

/** The status line of a message/sipfrag body (RFC 3420), e.g. `SIP/2.0 180 Ringing`. */
export function parseSipfrag(request: SipRequest): { status: number; reason: string } | undefined {
  const type = request.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'message/sipfrag') return undefined;
  const m = /^SIP\/2\.0 ([1-6][0-9][0-9])(?: ([^\r\n]*))?\r?(?:\n|$)/.exec(request.bodyText);
  if (m === null) return undefined;
  return { status: Number(m[1]), reason: m[2] ?? '' };
}
