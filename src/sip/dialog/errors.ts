// Typed errors of the dialog / user-agent layer. Each has a stable `name`; those a SIP status
// explains carry it as `code`, with the response when there is one.

import type { SipResponse } from '../parser/message.js';
import type { TransactionFailure } from '../transaction/transaction.js';

/** Why an INVITE (or another request) did not succeed. */
export type RequestFailureKind =
  /** A final response of 300–699 arrived (`response` is it). */
  | 'rejected'
  /** The caller aborted, a CANCEL went out, and the INVITE ended with 487 (or never got a provisional). */
  | 'cancelled'
  /** The `timeout` option ran out (the INVITE was cancelled), or the transaction timed out (408). */
  | 'timeout'
  /** The request could not be sent (synthetic 503). */
  | 'transport'
  /** The user agent was closed while the request was pending. */
  | 'closed';

/**
 * A request that did not get a 2xx: `ua.invite()`, `session.reinvite()`, `session.info()`,
 * `ua.options()`. `code` and `status` are the final status (a synthetic 408, 487 or 503 when the
 * stack produced it), `response` the response itself when one exists.
 *
 * @example
 * ```ts
 * try { await ua.invite('sip:bob@192.0.2.9'); }
 * catch (err) { if (err instanceof RequestFailedError && err.status === 486) report('busy'); }
 * ```
 */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
  /** What happened. */
  readonly kind: RequestFailureKind;
  /** The final status (real or synthetic). */
  readonly status: number;
  /** Same as {@link status}: the SIP status that explains the error. */
  readonly code: number;
  /** The reason phrase of the final response. */
  readonly reason: string;
  /** The final response, when one arrived or was synthesised by the transaction layer. */
  readonly response: SipResponse | undefined;

  constructor(kind: RequestFailureKind, method: string, status: number, reason: string, response?: SipResponse, options?: { cause?: unknown }) {
    super(`${method} failed (${kind}): ${status} ${reason}`, options);
    this.kind = kind;
    this.status = status;
    this.code = status;
    this.reason = reason;
    this.response = response;
  }
}

/** Why a dialog (and its session) ended. */
export type DialogEndReason =
  /** We sent BYE. */
  | 'local-bye'
  /** The peer sent BYE. */
  | 'remote-bye'
  /** Our 2xx was never ACKed within 64·T1 (RFC 3261 §13.3.1.4); we sent BYE. */
  | 'no-ack'
  /** The caller CANCELled before we answered. */
  | 'cancelled'
  /** An in-dialog request got 481 or 408 (RFC 3261 §12.2.1.2), or timed out. */
  | 'dialog-gone'
  /** A message of the dialog could not be sent. */
  | 'transport'
  /** `UserAgent.close()`. */
  | 'closed'
  /** The call was refused with a final response (incoming: our reject; outgoing: theirs). */
  | 'rejected'
  /** A 2xx from a second fork, ACKed and BYEd at once (RFC 3261 §13.2.2.4). */
  | 'fork'
  /** A new call replaced this one (INVITE with Replaces, RFC 3891). */
  | 'replaced';

/**
 * The reason an ended dialog's (or incoming call's) `signal` carries: `signal.reason` is one of
 * these, so `signal.reason.reason` says why. It has no stack frames (`stack` is
 * `DialogEndedError: dialog ended: <reason>`): it is an outcome, made once per call.
 */
export class DialogEndedError extends Error {
  override readonly name = 'DialogEndedError';
  /** Why the dialog ended. */
  readonly reason: DialogEndReason;

  constructor(reason: DialogEndReason, detail?: string, options?: { cause?: unknown }) {
    // Every call ends with one of these, so it carries no stack frames: it reports how a call
    // went, not a fault in the code, and capturing and formatting a stack for each ended call
    // was a measurable share of a load run's CPU. (A captured stack would also keep the frames'
    // receivers, the session among them, alive until formatted.) `stack` is the name and message.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    // (without a detail, the message of each reason is made once, not once per call)
    super(detail === undefined ? endedMessage(reason) : `dialog ended: ${reason} (${detail})`, options);
    Error.stackTraceLimit = limit;
    this.reason = reason;
  }
}

const ENDED_MESSAGES = new Map<string, string>();

/** `dialog ended: <reason>`, one string per reason. */
function endedMessage(reason: DialogEndReason): string {
  let message = ENDED_MESSAGES.get(reason);
  if (message === undefined) ENDED_MESSAGES.set(reason, (message = `dialog ended: ${reason}`));
  return message;
}

/** A call to an object in the wrong state: `answer()` twice, `reinvite()` while another INVITE is pending, any request on an ended dialog. */
export class DialogStateError extends Error {
  override readonly name = 'DialogStateError';
}

/** The error for a final 300–699 (or synthetic) response to `method`. */
export function failure(method: string, response: SipResponse, fail?: TransactionFailure): RequestFailedError {
  let kind: RequestFailureKind = 'rejected';
  if (fail?.kind === 'timeout') kind = fail.timer === 'Cancel' ? 'cancelled' : 'timeout';
  // A transport "closed" is the user agent's own close() (UserAgent answers what was pending).
  else if (fail?.kind === 'transport') kind = fail.error.kind === 'closed' ? 'closed' : 'transport';
  return new RequestFailedError(kind, method, response.status, response.reason, response, fail?.kind === 'transport' ? { cause: fail.error } : undefined);
}

/** The error for a request that could not be sent at all (no route to the next hop). */
export function sendFailure(method: string, err: unknown): RequestFailedError {
  const code = (err as { code?: unknown } | null)?.code;
  const status = typeof code === 'number' ? code : 503;
  return new RequestFailedError('transport', method, status, err instanceof Error ? err.message : String(err), undefined, { cause: err });
}
