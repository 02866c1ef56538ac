// The REFER side of an INVITE session (RFC 3515, RFC 3891 §4): our REFERs and their implicit
// subscriptions, and the REFERs and NOTIFYs the peer sends in the dialog.

import type { SipRequest, SipResponse } from '../parser/message.js';
import { createResponse, type HeaderInit } from '../parser/serialize.js';
import { SipUri, type Uri } from '../parser/uri.js';
import type { ServerTransaction } from '../transaction/layer.js';
import { parseTarget } from './addressing.js';
import { type DialogId, headerPairs } from './dialog.js';
import { failure } from './errors.js';
import { DEFAULT_REFER_TIMEOUT_MS, IncomingRefer, parseIncomingRefer, referEventId, type ReferProgress, ReferSubscription } from './refer.js';
import { formatReplaces, replacesFor } from './replaces.js';
import type { DialogSession } from './session.js';
import type { UaContext } from './ua-context.js';

/** Options of {@link DialogSession.refer}. */
export interface ReferOptions {
  /** Extra headers for the REFER. */
  headers?: HeaderInit;
  /** Attended transfer: the dialog the target must replace (RFC 3891), as a session or a dialog id of ours. */
  replaces?: DialogSession | DialogId;
  /** Called with each NOTIFY, also those that arrive before the 202. */
  onNotify?: (progress: ReferProgress) => void;
  /** How long to follow the subscription before giving up, in ms (default 180 000). */
  timeout?: number;
  /** Aborting stops following the subscription (`done` resolves with cause `aborted`). */
  signal?: AbortSignal;
}

/** What {@link ReferSide} needs from its session. */
export interface ReferSideHooks {
  /** Sends an in-dialog request and resolves with its final response (answering challenges). */
  send(request: SipRequest, nextHop: Uri): Promise<SipResponse>;
  /** RFC 3261 §12.2.1.2: 481 and 408 end the dialog. */
  endIfGone(response: SipResponse): void;
  /** Runs `fn` once the session is established (see DialogSession). */
  afterEstablished(fn: (ended: boolean) => void): void;
  /** Offers an incoming REFER to the application; false when nobody listens. */
  offer(refer: IncomingRefer): boolean;
}

/** @internal REFER and NOTIFY for one {@link DialogSession}. */
export class ReferSide {
  /** Our REFERs' subscriptions by id (the REFER's CSeq number, RFC 3515 §2.4.6). */
  private readonly subscriptions = new Map<string, ReferSubscription>();

  constructor(
    private readonly ctx: UaContext,
    private readonly session: DialogSession,
    private readonly hooks: ReferSideHooks,
  ) {}

  /** Sends REFER and resolves with its subscription on a 2xx (see DialogSession.refer). */
  async refer(target: string | Uri, options: ReferOptions): Promise<ReferSubscription> {
    const dialog = this.session.dialog;
    let uri = typeof target === 'string' ? parseTarget(target) : target.clone();
    if (options.replaces !== undefined) {
      if (!(uri instanceof SipUri)) throw new TypeError(`a Replaces needs a sip: or sips: target, not ${String(uri)}`);
      const id = 'dialog' in options.replaces ? options.replaces.dialog.id : options.replaces;
      uri = uri.clone();
      // RFC 3891 §4: the Replaces names the dialog as the target sees it.
      uri.headers.set('Replaces', formatReplaces(replacesFor(id)));
    }
    const { request, nextHop } = dialog.createRequest('REFER', {
      headers: [['Refer-To', `<${String(uri)}>`], ['Referred-By', `<${String(dialog.localUri.uri)}>`], ...headerPairs(options.headers)] as HeaderInit,
    });
    // The subscription exists before the REFER goes out, so NOTIFYs that overtake the 202 are kept.
    const sub = new ReferSubscription(this.ctx, request, options.timeout ?? DEFAULT_REFER_TIMEOUT_MS, options.onNotify);
    this.subscriptions.set(sub.id, sub);
    void sub.done.then(() => this.subscriptions.delete(sub.id));
    options.signal?.addEventListener('abort', () => sub.terminate('aborted'), { once: true });
    let response: SipResponse;
    try {
      response = await this.hooks.send(request, nextHop);
    } catch (err) {
      sub.terminate('refused');
      throw err;
    }
    if (response.status >= 300) {
      sub.terminate('refused');
      this.hooks.endIfGone(response);
      throw failure('REFER', response);
    }
    return sub;
  }

  // RFC 3515 §2.4.2: the application decides; without one listening, decline.
  receiveRefer(request: SipRequest, tx: ServerTransaction): void {
    const parsed = parseIncomingRefer(request);
    if (!('referTo' in parsed)) {
      tx.respond(parsed);
      return;
    }
    this.hooks.afterEstablished((ended) => {
      if (ended) {
        tx.respond(createResponse(request, 481));
        return;
      }
      if (!this.hooks.offer(new IncomingRefer(this.ctx, this.session, request, tx, parsed))) {
        tx.respond(createResponse(request, 603, 'Decline', { headers: { Warning: '399 sipflow "no refer listener on this session"' } }));
      }
    });
  }

  // RFC 3515 §2.4.4-§2.4.6, RFC 6665 §4.1.3: a NOTIFY for one of our REFERs (Event: refer, id =
  // the REFER's CSeq); 489 for another event package, 481 when no subscription matches.
  receiveNotify(request: SipRequest, tx: ServerTransaction): void {
    const id = referEventId(request);
    if (id === undefined) {
      tx.respond(createResponse(request, 489, 'Bad Event', { headers: { 'Allow-Events': 'refer' } }));
      return;
    }
    const sub = id === '' ? [...this.subscriptions.values()][0] : this.subscriptions.get(id);
    if (sub === undefined) {
      tx.respond(createResponse(request, 481, 'Subscription Does Not Exist'));
      return;
    }
    sub.receiveNotify(request, tx);
  }

  /** The dialog ended: every subscription of ours ends with it. */
  terminateAll(): void {
    for (const sub of [...this.subscriptions.values()]) sub.terminate('dialog-ended');
  }
}

