// What a user agent gives the calls and sessions it owns: its transaction layer, clock, identity
// and a way to send. Internal to the dialog layer.

import type { SipRequest, SipResponse } from '../parser/message.js';
import type { Uri } from '../parser/uri.js';
import type { ClientTransaction, ServerTransaction } from '../transaction/layer.js';
import type { TimerSettings } from '../transaction/timers.js';
import type { ClientTransactionUser, ServerTransactionUser } from '../transaction/transaction.js';
import type { Clock } from '../transport/clock.js';
import type { Endpoint } from '../transport/transport.js';
import type { FinalResponse } from './auth.js';
import type { DigestClient } from './digest.js';
import type { OfferAnswerHandler } from './offer-answer.js';
import type { InviteOptions } from './outgoing-call.js';
import type { DialogSession } from './session.js';

/** @internal A message sent outside any transaction: its bytes and where they went, to send again as they were. */
export interface SentStateless {
  readonly bytes: Uint8Array;
  readonly destination: Endpoint;
}

/** Something filed under a dialog key: an answered session, or an incoming call's early dialog. */
export interface DialogUsage {
  /** An in-dialog request other than ACK and CANCEL, already validated (§8.2) and CSeq-checked (§12.2.2). */
  receiveRequest(request: SipRequest, tx: ServerTransaction): ServerTransactionUser | void;
  /** An ACK for a 2xx we sent. */
  receiveAck(ack: SipRequest): void;
  /** A 2xx to one of our INVITEs that arrived after its transaction (a retransmission). */
  receive2xx(response: SipResponse): void;
  /** Checks and records the CSeq of an in-dialog request (RFC 3261 §12.2.2). */
  acceptRemoteSeq(request: SipRequest): boolean;
}

/** The user agent as its calls and sessions see it. */
export interface UaContext {
  readonly clock: Clock;
  readonly timers: TimerSettings;
  /** Our Contact value: `<sip:user@host:port>`. */
  readonly contact: string;
  readonly offerAnswer: OfferAnswerHandler | undefined;
  /** Answers digest challenges to our requests, when the user agent has credentials. */
  readonly auth: DigestClient | undefined;
  /** Uniform random number in [0, 1), for the §14.1 glare delay. */
  random(): number;
  /**
   * Sends a request in a new client transaction to the endpoint of `nextHop` (Via added): at once,
   * giving the transaction, when the next hop needs no lookup (an IP address); else a promise of
   * it. Throws (or rejects) with NextHopError. {@link sendRequestAsync} gives a promise either way.
   */
  sendRequest(request: SipRequest, nextHop: Uri, tu: ClientTransactionUser): ClientTransaction | Promise<ClientTransaction>;
  /** Sends a request in a new client transaction and resolves with its final response (a synthetic 408/503 included). */
  sendFinal(request: SipRequest, nextHop: Uri): Promise<FinalResponse>;
  /**
   * Sends an ACK (or any request) outside a transaction (Via added once): `gone` hears where it
   * went, `failed` why it could not go (neither before this returns; no promise per ACK).
   */
  sendAck(ack: SipRequest, nextHop: Uri | Endpoint, gone: (sent: SentStateless) => void, failed: (error: unknown) => void): void;
  /** Sends again bytes {@link sendAck} sent (the ACK for a retransmitted 2xx). */
  resend(sent: SentStateless): Promise<void>;
  /** Cancels an INVITE client transaction (RFC 3261 §9.1), sending the CANCEL where the INVITE went. */
  cancel(tx: ClientTransaction): void;
  /** Answers a request with 200 and our capabilities (Allow, Accept, Supported), for OPTIONS. */
  capabilitiesResponse(request: SipRequest): SipResponse;
  /** Files a dialog usage under its key (replacing any). */
  addDialog(key: string, usage: DialogUsage): void;
  /** Forgets the dialog usage under `key` if it is `usage`. */
  removeDialog(key: string, usage: DialogUsage): void;
  /** Places a new call, as `ua.invite()` does (a REFER we accepted, RFC 3515 §2.4.2). */
  placeCall(target: Uri, options: InviteOptions): Promise<DialogSession>;
  /** Tells the user agent a session started (for its `session` event and for close()). */
  sessionStarted(session: unknown): void;
  /** Reports an exception thrown where nobody awaits it (a listener, a late send). */
  reportError(error: unknown, where: string): void;
}

/** @internal {@link UaContext.sendRequest} as a promise: the transaction, or the error it threw as a rejection. */
export function sendRequestAsync(ctx: UaContext, request: SipRequest, nextHop: Uri, tu: ClientTransactionUser): Promise<ClientTransaction> {
  try {
    return Promise.resolve(ctx.sendRequest(request, nextHop, tu));
  } catch (err) {
    return Promise.reject(err);
  }
}
