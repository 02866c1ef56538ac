// One call of the run, on one instance, under one logical key: what the stack gave us for it (the
// incoming call, the dialog session, the media session), where it is, and the record of
// everything that happened on it, in order. Event nodes take records from here: the oldest
// matching one not yet taken, waiting only when there is none, so nothing that arrives before a
// node starts waiting is lost (sipflow lost such events, reference §7.2).

import type { MediaSession } from '../media/media-session.js';
import type { MediaDirection } from '../sdp/model.js';
import type { IncomingCall } from '../sip/dialog/incoming-call.js';
import type { DialogSession } from '../sip/dialog/session.js';
import type { Clock } from '../sip/transport/clock.js';
import { NodeFailure } from './errors.js';
import { AbortScope, onAbort, type Abortable } from './wait.js';

/** Something that happened on a call, as event nodes see it. */
export type CallHappening =
  /** A provisional response to our INVITE (180, 183 …); `sdp`: it carried SDP (early media). */
  | { readonly kind: 'progress'; readonly status: number; readonly reason: string; readonly sdp: boolean }
  /** A provisional response to our INVITE carried SDP: early media, received from then on. */
  | { readonly kind: 'early-media'; readonly status: number; readonly reason: string }
  /** The call was answered (2xx and ACK, either way). */
  | { readonly kind: 'answered' }
  /** The peer put the call on hold: its offer is `sendonly` or `inactive`. */
  | { readonly kind: 'held'; readonly direction: MediaDirection }
  /** The peer took the call off hold. */
  | { readonly kind: 'retrieved'; readonly direction: MediaDirection }
  /** A REFER arrived and was accepted; the new call is placed. */
  | { readonly kind: 'refer'; readonly target: string; readonly replaces: boolean }
  /** The call placed for a REFER is confirmed and has taken this key. */
  | { readonly kind: 'transferred'; readonly target: string; readonly replaces: boolean; readonly sipCallId: string }
  /** The call placed for a REFER failed; the old call stays (the transferor normally ends it). */
  | { readonly kind: 'transfer-failed'; readonly target: string; readonly status: number; readonly reason: string }
  /** A NOTIFY about a REFER of ours (its sipfrag status). */
  | { readonly kind: 'notify'; readonly status: number; readonly reason: string; readonly final: boolean }
  /** A DTMF digit arrived: as an RFC 4733 event, as tones in the audio, or in a SIP INFO. */
  | { readonly kind: 'dtmf'; readonly digit: string; readonly via: DtmfForm };

/** How a DTMF digit travels: RFC 4733 telephone events, tone pairs in the audio, or SIP INFO. */
export type DtmfForm = 'rfc4733' | 'inband' | 'info';

/** A happening with when it was recorded (clock ms) and whether an event node has taken it. */
export type CallRecord = CallHappening & { readonly at: number; taken: boolean };

/** How a call ended. */
export interface CallEnd {
  /**
   * `local-bye`, `remote-bye`, `cancelled` (the caller gave up), `rejected` (a final status of 300
   * or more either way), `timeout`, `no-ack`, `transport`, `replaced`, `closed` (cleanup) …
   */
  readonly reason: string;
  /** Words for people: `486 Busy Here`, `the peer sent BYE` … */
  readonly detail: string;
  /** The SIP status that ended it, when one did. */
  readonly status?: number;
  readonly at: number;
}

/** Where a call is. */
export type CallPhase =
  /** An incoming call waiting in its instance's queue for an INCOMING node. */
  | 'queued'
  /** Our INVITE is out, or an incoming call is taken but not answered. */
  | 'calling'
  /** A provisional with a To tag arrived (ringing) or we sent one. */
  | 'early'
  /** Answered: 2xx and ACK. */
  | 'confirmed'
  | 'ended';

interface Waiter {
  readonly accept: (record: CallRecord) => boolean;
  readonly resolve: (record: CallRecord) => void;
  readonly reject: (err: unknown) => void;
  readonly failOnEnd: boolean;
  /** What the waiting node awaits, for the failure message when the call ends. */
  readonly what: string | undefined;
}

/** What the engine knows of one call. */
export class Call {
  /** The instance the call is on. */
  readonly instanceId: string;
  /** `outgoing`: we placed it (MakeCall, a REFER); `incoming`: it arrived. */
  readonly direction: 'outgoing' | 'incoming';
  /** The logical key (callId) once a node stored it; queued incoming calls have none yet. */
  key: string | undefined;
  phase: CallPhase;
  /** The SIP Call-ID (of the current dialog: a transfer changes it). */
  sipCallId: string;
  /** The other party's user part, for logs. */
  peer: string;
  /** The unanswered incoming call, for Answer, Reject and Release (let go of once answered or ended). */
  incoming: IncomingCall | undefined;
  /** The confirmed session, once answered. */
  session: DialogSession | undefined;
  /** The call's RTP, once opened. */
  media: MediaSession | undefined;
  /** Our SDP answer sent in a 183 (SessionProgress): the 200 repeats it (RFC 3264: one answer). */
  earlyAnswer: string | undefined;
  /** Early media flows (a 183 with SDP either way): media steps work before the answer. */
  earlyMedia = false;
  /** The recording in progress, if any. */
  recording: { readonly file: string; readonly stereo: boolean } | undefined;
  /** The recordings made of the call, completed ones with their length. */
  readonly recordings: { readonly file: string; readonly stereo: boolean; durationMs: number | undefined }[] = [];
  /** The last DTMF digit reported, to tell one key press sent in two forms at once from two presses. */
  lastDigit: { readonly digit: string; readonly form: DtmfForm; readonly at: number; paired: boolean } | undefined;
  /** Once answered or ended: removes the engine's listener from the INVITE's signal and lets go of {@link incoming}. */
  releaseIncoming: (() => void) | undefined;
  /** Listeners on the call's received audio (the in-band DTMF receiver): stopped before the media closes. */
  readonly audioTaps: (() => void)[] = [];
  /** Settles when the call's media has closed (its recording completed): the cleanup waits for it. */
  mediaClosed: Promise<void> | undefined;
  /** Aborts our INVITE while it is unanswered (Release on a ringing call sends CANCEL); made on first use. */
  get cancel(): AbortScope {
    return (this.cancelScope ??= new AbortScope());
  }
  private cancelScope: AbortScope | undefined;
  /** REFERs of the peer being carried out: while one is, the old dialog's end is not the call's. */
  transfers = 0;
  /** Our INVITE while it is unanswered (it settles with the answer, or the CANCEL's 487): the cleanup waits for it. */
  invite: Promise<unknown> | undefined;
  /**
   * Set by MakeCall while its INVITE is unanswered: called when an INVITE with Replaces takes the
   * ringing call over (RFC 3891 §3, call pickup), so that MakeCall completes with the new call.
   */
  pickedUp: (() => void) | undefined;
  /** When it was created, answered and ended (clock ms). */
  readonly createdAt: number;
  answeredAt: number | undefined;
  end: CallEnd | undefined;
  private records: CallRecord[] = [];
  /** Event nodes waiting for a record, oldest first (made by the first one: a held call has none). */
  private waiters: Waiter[] | undefined;
  /** Waiting for the end (DISCONNECTED …), made by the first one. */
  private endWaiters: (() => void)[] | undefined;
  private readonly clock: Clock;

  constructor(init: { instanceId: string; direction: 'outgoing' | 'incoming'; phase: CallPhase; sipCallId: string; peer: string; clock: Clock }) {
    this.instanceId = init.instanceId;
    this.direction = init.direction;
    this.phase = init.phase;
    this.sipCallId = init.sipCallId;
    this.peer = init.peer;
    this.clock = init.clock;
    this.createdAt = init.clock.now();
  }

  /** Whether the call has ended. */
  get ended(): boolean {
    return this.end !== undefined;
  }

  /** Everything recorded so far, in order (for results and tests). */
  get history(): readonly CallRecord[] {
    return this.records;
  }

  /** Records a happening and hands it to the oldest waiter that wants it. */
  record(happening: CallHappening): void {
    // (Not a spread: record() sees every kind of happening, and a spread that sees many shapes
    // gives each copy a hidden class of its own.)
    const record = Object.assign({ at: this.clock.now(), taken: false }, happening) as CallRecord;
    this.records = appended(this.records, record);
    const waiters = this.waiters;
    if (waiters === undefined) return;
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i]!;
      if (!waiter.accept(record)) continue;
      record.taken = true;
      waiters.splice(i, 1);
      waiter.resolve(record);
      return;
    }
  }

  /**
   * The oldest record that `accept` takes and no node has taken yet; waits for one when there is
   * none. Rejects with `signal`'s reason when it aborts, and — unless `failOnEnd` is false — with a
   * NodeFailure naming the end when the call ends first.
   */
  take(accept: (record: CallRecord) => boolean, signal: Abortable, options: { failOnEnd?: boolean; what?: string } = {}): Promise<CallRecord> {
    const failOnEnd = options.failOnEnd ?? true;
    for (const record of this.records) {
      if (record.taken || !accept(record)) continue;
      record.taken = true;
      return Promise.resolve(record);
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    if (failOnEnd && this.end !== undefined) return Promise.reject(this.endedFailure(options.what));
    return new Promise<CallRecord>((resolve, reject) => {
      const waiter: Waiter = {
        accept,
        failOnEnd,
        what: options.what,
        resolve: (r) => {
          listening.remove();
          resolve(r);
        },
        reject: (err) => {
          listening.remove();
          remove(this.waiters, waiter);
          reject(err);
        },
      };
      this.waiters = appended(this.waiters, waiter);
      const listening = onAbort(signal, () => {
        remove(this.waiters, waiter);
        reject(signal.reason);
      });
    });
  }

  /** Resolves when the call has ended (at once if it has); rejects with `signal`'s reason. */
  whenEnded(signal: Abortable): Promise<CallEnd> {
    if (this.end !== undefined) return Promise.resolve(this.end);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<CallEnd>((resolve, reject) => {
      const done = (): void => {
        listening.remove();
        resolve(this.end!);
      };
      this.endWaiters = appended(this.endWaiters, done);
      const listening = onAbort(signal, () => {
        remove(this.endWaiters, done);
        reject(signal.reason);
      });
    });
  }

  /** Ends the call (idempotent): waiters that need it alive fail with the reason. */
  finish(reason: string, detail: string, status?: number): void {
    if (this.end !== undefined) return;
    this.end = { reason, detail, at: this.clock.now(), ...(status !== undefined ? { status } : {}) };
    this.phase = 'ended';
    for (const waiter of [...(this.waiters ?? [])]) {
      if (!waiter.failOnEnd) continue;
      waiter.reject(this.endedFailure(waiter.what));
    }
    const endWaiters = this.endWaiters ?? [];
    this.endWaiters = undefined;
    for (const done of endWaiters) done();
  }

  /** The failure of a node that needed the call alive: `<what>: call <key> ended (<reason>: <detail>)`. */
  endedFailure(what: string | undefined): NodeFailure {
    const end = this.end!;
    return new NodeFailure(`${what !== undefined ? `${what}: ` : ''}call ${this.key ?? this.sipCallId} ended (${end.reason}: ${end.detail})`, {
      ...(end.status !== undefined ? { status: end.status } : {}),
    });
  }
}

/**
 * `list` with `item` at its end; the first item goes into a new array of one: an empty array's
 * first push reserves room for 17 (152 bytes), and most of a call's lists keep one or two items
 * for as long as the call lasts.
 */
export function appended<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined || list.length === 0) return [item];
  list.push(item);
  return list;
}

/** Takes `item` out of `list` (if it is there). */
function remove<T>(list: T[] | undefined, item: T): void {
  const i = list?.indexOf(item) ?? -1;
  if (i >= 0) list!.splice(i, 1);
}
