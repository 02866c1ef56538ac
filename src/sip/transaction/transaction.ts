// What the four RFC 3261 §17 state machines share: timers owned by states, the one legal way to
// change state, the context they run in, and the interfaces to their transaction user (TU).

import { peekCSeq, peekTag, requestFromSkeleton, requestSkeleton, type SipRequest, type SipResponse, skeletonText } from '../parser/message.js';
import type { Clock, TimerHandle } from '../transport/clock.js';
import type { Endpoint, TransportError } from '../transport/transport.js';
import type { TimerSettings } from './timers.js';

/** Where a transaction runs: time, timer values, and a way to put bytes on the wire. */
export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: TimerSettings;
  /** True over a reliable transport: no retransmission timers, zero wait timers (RFC 3261 §17). */
  readonly reliable: boolean;
  /** Where the messages go, when the context knows (the layer's contexts do): a CANCEL goes there too (RFC 3261 §9.1). */
  readonly destination?: Endpoint;
  /**
   * Sends one message's bytes to the peer, without a promise (a transaction sends several per
   * call): a failure goes to `failed` as a TransportError, never before this returns. `again` marks
   * bytes sent before (a retransmission: Timers A, E and G, a final or provisional re-sent for a
   * retransmitted request, an ACK re-sent for a retransmitted final, a 2xx the TU passes again),
   * for the layer to count.
   */
  post(bytes: Uint8Array, again: boolean, failed: (error: TransportError) => void): void;
}

/**
 * Why a transaction failed: a timeout (which timer fired; `Cancel` is the 64·T1 an INVITE client
 * waits for a final after sending CANCEL, RFC 3261 §9.1) or a transport error.
 */
export type TransactionFailure =
  | { kind: 'timeout'; timer: 'B' | 'F' | 'H' | 'Cancel' }
  | { kind: 'transport'; error: TransportError };

/** The header lines a lingering transaction keeps of its request: those matching reads (§17.2.3) and responses copy (§8.2.6.2). */
const SKELETON_KEYS: ReadonlySet<string> = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

/** The TU of a lingering client transaction whose own TU did not ask to hear of its end: nothing is passed up any more. */
const IDLE_TU: ClientTransactionUser = Object.freeze({ response: () => undefined });

/** What a client transaction sends no more once it lingers: its request's bytes are let go for this. */
export const NO_BYTES = new Uint8Array(0);

/**
 * @internal The bytes of a message kept while it lingers, to send again as it was (a server
 * transaction's final for each retransmission of its request; the ACK of a 2xx for each
 * retransmission of the 2xx), as a one-byte string of the same bytes. A serialized message is
 * a slice of Node's shared 8-KiB buffer pool, and a slice kept for 64·T1 keeps its whole slab
 * alive, with everything else allocated in it: about 1.5 KB per call where the response is a few
 * hundred bytes. The string holds exactly those bytes; {@link bytesOfKept} gives them back.
 */
export function keptBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** @internal The bytes {@link keptBytes} kept (or bytes kept as they were), to send again. */
export function bytesOfKept(kept: Uint8Array | string): Uint8Array {
  return typeof kept === 'string' ? Buffer.from(kept, 'latin1') : kept;
}

/** The timers of RFC 3261 §17 (A–K) and RFC 6026 (L, M). */
export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying' | 'Cancel';

/** A timer a transaction has running, and the states it lives in; linked to the next one running. */
interface RunningTimer<S extends string> {
  readonly name: TimerName;
  handle: TimerHandle;
  readonly liveIn: readonly S[];
  next: RunningTimer<S> | undefined;
  /** Its transaction, which {@link fireTimer} tells. */
  readonly tx: Transaction<S>;
}

/** A running timer fired: its transaction hears of it (called bound to the {@link RunningTimer}). */
function fireTimer(this: RunningTimer<string>): void {
  this.tx.timerFired(this);
}

/** A state change the state machine does not allow: a bug in the caller or the machine. */
export class TransactionStateError extends Error {
  override readonly name = 'TransactionStateError';
}

/**
 * Base of the four transaction state machines. Subclasses declare their legal transitions; every
 * change of state goes through {@link transition}, which checks it, stops the timers that do not
 * live in the new state, and calls {@link enter}.
 */
export abstract class Transaction<S extends string> {
  /** Current state. */
  state: S;
  /** The request, until the transaction only lingers; then its skeleton, as text or (rarely) as a request. */
  private req: SipRequest | string;
  /** Whether {@link req} is the skeleton already (see {@link keepSkeleton}). */
  private skeletal = false;
  protected readonly ctx: TransactionContext;
  /**
   * The timers running, as a linked list: a transaction has one to three at a time, and lingers
   * for up to 64·T1 once per call, where a Map (or an array's spare room) would cost each one a
   * few hundred bytes for that long.
   */
  private running: RunningTimer<S> | undefined;
  /** Callbacks for the end: none, the one (usually the layer's), or several. */
  private onTerminated: ((tx: this) => void) | Array<(tx: this) => void> | undefined;
  /**
   * @internal The key the layer filed this transaction under, and its merged-request key (a
   * server's, RFC 3261 §8.2.2.2): kept here, so that the layer forgets every transaction with one
   * function rather than a closure of each one's keys, kept for as long as it lingers.
   */
  filedAs: string | undefined = undefined;
  /** @internal See {@link filedAs}. */
  mergedAs: string | undefined = undefined;
  /** Whether `start()` has run (see {@link markStarted}). */
  protected started = false;

  protected constructor(request: SipRequest, ctx: TransactionContext, initial: S) {
    this.req = request;
    this.ctx = ctx;
    this.state = initial;
  }

  /** Legal transitions: state → states it may move to. */
  protected abstract readonly transitions: Readonly<Record<S, readonly S[]>>;
  /** The terminal state. */
  protected abstract readonly terminated: S;

  /** Called after each transition, to start the new state's timers and do its entry work. */
  protected abstract enter(state: S, from: S): void;

  /**
   * Where the transaction sends its messages (the request and its retransmissions, a client's ACK
   * for a non-2xx final; a server's responses), when its context says: `undefined` for a context
   * made outside a transaction layer that does not tell. A CANCEL of a client INVITE goes there
   * too (RFC 3261 §9.1).
   */
  get destination(): Endpoint | undefined {
    return this.ctx.destination;
  }

  /**
   * The request that created the transaction. A server transaction that has sent its final and
   * lingers to absorb retransmissions (RFC 3261 §17.2, RFC 6026) keeps only its skeleton: the
   * method, Request-URI, Via, From, To, Call-ID and CSeq, no other header and no body. It keeps
   * that as text, and each read then builds a new request from it: read it once and keep the
   * result rather than read it in a loop.
   */
  get request(): SipRequest {
    return typeof this.req === 'string' ? requestFromSkeleton(this.req) : this.req;
  }

  /**
   * @internal Keeps `text`, the skeleton of `of` made by the transaction's user with at least the
   * headers the transaction keeps (see skeletonText), as its own, if `of` is its request and it has
   * kept none yet: an INVITE and its transaction, both lingering for 64·T1, then share one text.
   */
  adoptSkeleton(text: string, of: SipRequest): void {
    if (this.skeletal || this.req !== of) return;
    this.skeletal = true;
    this.req = text;
  }

  /**
   * From now on keep only the skeleton of the request (see {@link request}): a transaction lingers
   * for up to 64·T1 once per call, and the parsed request it would hold that long costs every
   * call its memory and the GC its copying. What matching and re-sending need stays.
   */
  protected keepSkeleton(): void {
    // As text: read again only for the odd retransmission, and a few hundred bytes smaller than a
    // request of the same lines (which is kept when a value will not go into the text).
    if (this.skeletal) return;
    this.skeletal = true;
    const req = this.req as SipRequest;
    this.req = skeletonText(req, SKELETON_KEYS) ?? requestSkeleton(req, SKELETON_KEYS);
  }

  /**
   * For a client transaction whose TU has had the final response and which now only lingers
   * (absorbing retransmissions until Timer K or D, RFC 3261 §17.1): keep the skeleton of the
   * request, and the TU only when it wants to hear of the end. The TU is usually the closure that
   * settled the caller's promise and, through it, whatever the caller's continuation holds; kept
   * for Timer K (5 s) or D (32 s) after each request, that costs every call its memory and the
   * GC the copying of it. Returns the TU to keep.
   */
  protected linger(tu: ClientTransactionUser): ClientTransactionUser {
    this.keepSkeleton();
    return tu.terminated === undefined ? IDLE_TU : tu;
  }

  /** True once the transaction has reached its terminal state. */
  get isTerminated(): boolean {
    return this.state === this.terminated;
  }

  /**
   * True while the transaction only absorbs retransmissions until its last timer ends it (RFC 3261
   * §17: a non-INVITE's Completed, Timer J or K; an INVITE server's Confirmed, Timer I, or its
   * Accepted once the 2xx has been acknowledged, Timer L; an INVITE client's Completed or Accepted,
   * Timer D or M): its user has had everything it will get, and ending it early loses nothing
   * but the answer to a late retransmission. The layer lets go of the oldest of these when its
   * table is full (`maxTransactions`).
   */
  get lingering(): boolean {
    return false;
  }

  /**
   * @internal Ends a {@link lingering} transaction now, as its last timer would (its user hears
   * `terminated` as then): for the layer, which lets go of the oldest lingering transactions
   * rather than refuse new requests when its table is full. Returns false, and does nothing, for
   * a transaction that is not lingering.
   */
  retire(): boolean {
    if (!this.lingering) return false;
    this.transition(this.terminated);
    return true;
  }

  /** Timers currently running (for tests and leak checks). */
  get runningTimers(): TimerName[] {
    const names: TimerName[] = [];
    for (let t = this.running; t !== undefined; t = t.next) names.push(t.name);
    return names;
  }

  /**
   * Registers a callback for when the transaction terminates (the layer uses it to forget it); it
   * is given the transaction, so one function can serve every transaction.
   */
  whenTerminated(fn: (tx: this) => void): void {
    if (this.isTerminated) fn(this);
    else if (this.onTerminated === undefined) this.onTerminated = fn;
    else if (typeof this.onTerminated === 'function') this.onTerminated = [this.onTerminated, fn];
    else this.onTerminated.push(fn);
  }

  /**
   * Ends the transaction at once, without telling its TU anything: stops every timer and runs the
   * {@link whenTerminated} callbacks. For shutting a stack down (`close()`), not a protocol
   * transition of RFC 3261 §17, so it bypasses the transition table on purpose.
   */
  abort(): void {
    if (this.isTerminated) return;
    this.stopAllTimers();
    this.state = this.terminated;
    this.runTerminated();
  }

  /** The first step of every `start()`: a second start is a caller bug. */
  protected markStarted(): void {
    if (this.started) throw new TransactionStateError('transaction already started');
    this.started = true;
  }

  /** Runs a TU notification, then terminates, even if the TU throws. */
  protected endWith(notify: () => void): void {
    try {
      notify();
    } finally {
      this.transition(this.terminated);
    }
  }

  /** The one way to change state. */
  protected transition(to: S): void {
    const from = this.state;
    if (!this.transitions[from].includes(to)) {
      throw new TransactionStateError(`${this.constructor.name}: no transition from ${from} to ${to}`);
    }
    this.state = to;
    for (let t = this.running, next; t !== undefined; t = next) {
      next = t.next;
      if (!t.liveIn.includes(to)) {
        this.ctx.clock.clearTimer(t.handle);
        this.unlink(t);
      }
    }
    try {
      this.enter(to, from);
    } finally {
      // Even if entry work (a TU callback) throws, a terminated transaction lets go of its timers
      // and its owner forgets it.
      if (to === this.terminated) {
        this.stopAllTimers();
        this.runTerminated();
      }
    }
  }

  private stopAllTimers(): void {
    let t = this.running;
    this.running = undefined;
    for (; t !== undefined; t = t.next) this.ctx.clock.clearTimer(t.handle);
  }

  private unlink(entry: RunningTimer<S>): void {
    let prev: RunningTimer<S> | undefined;
    for (let t = this.running; t !== undefined; prev = t, t = t.next) {
      if (t !== entry) continue;
      if (prev === undefined) this.running = t.next;
      else prev.next = t.next;
      return;
    }
  }

  private runTerminated(): void {
    const fns = this.onTerminated;
    if (fns === undefined) return;
    this.onTerminated = undefined;
    if (typeof fns === 'function') fns(this);
    else for (const fn of fns) fn(this);
  }

  /**
   * Starts (or restarts) timer `name`; it is stopped automatically on leaving the states in
   * `liveIn`. When it fires, {@link onTimer} is called with its name.
   */
  protected startTimer(name: TimerName, ms: number, liveIn: readonly S[]): void {
    this.stopTimer(name);
    const entry: RunningTimer<S> = { name, handle: undefined!, liveIn, next: this.running, tx: this };
    // (A bound function, not a closure of this scope: a lingering transaction keeps its timer for
    // up to 64·T1, and a closure costs it a function and a context object more.)
    entry.handle = this.ctx.clock.setTimer(ms, fireTimer.bind(entry as unknown as RunningTimer<string>));
    this.running = entry;
  }

  /** What timer `name` does when it fires (it is no longer running then). */
  protected abstract onTimer(name: TimerName): void;

  /** @internal A timer of this transaction fired (see {@link startTimer}). */
  timerFired(entry: RunningTimer<S>): void {
    this.unlink(entry);
    this.onTimer(entry.name);
  }

  /** Stops a running timer (no-op when it is not running). */
  protected stopTimer(name: TimerName): void {
    for (let t = this.running; t !== undefined; t = t.next) {
      if (t.name !== name) continue;
      this.ctx.clock.clearTimer(t.handle);
      this.unlink(t);
      return;
    }
  }

  /** Sends bytes; a failure comes back as {@link transportError}. */
  protected transmit(bytes: Uint8Array): void {
    this.sendBytes(bytes, false);
  }

  /** Sends bytes sent before again (counted as one by the layer, see {@link TransactionContext.post}); a failure comes back as {@link transportError}. */
  protected retransmit(bytes: Uint8Array): void {
    this.sendBytes(bytes, true);
  }

  private sendBytes(bytes: Uint8Array, again: boolean): void {
    this.ctx.post(bytes, again, (error) => this.transportError(error));
  }

  /** Input: the transport failed to send one of this transaction's messages. */
  abstract transportError(error: TransportError): void;
}

/**
 * @internal What both server transactions share: the status and To tag of the most recent
 * response sent, kept as plain values because a lingering transaction lets go of the response
 * itself (and, after its final, of all but the skeleton of its request).
 */
export abstract class ServerTransactionBase<S extends string> extends Transaction<S> {
  private status: number | undefined;
  private toTag: string | undefined;

  /** The status of the most recent response sent (the final once there is one). */
  get lastStatus(): number | undefined {
    return this.status;
  }

  /** The To tag of the most recent response sent (the final once there is one). */
  get lastToTag(): string | undefined {
    return this.toTag;
  }

  /** Records a response as the latest sent; from the first final on, keeps only the skeleton of the request. */
  protected noteSent(response: SipResponse): void {
    this.status = response.status;
    this.toTag = peekTag(response, 'to');
    if (response.status >= 200) this.keepSkeleton();
  }
}

/** What a client transaction tells its TU. */
export interface ClientTransactionUser {
  /**
   * A response the transaction passes up (RFC 3261 §17.1): provisionals and the final, and for
   * INVITE every 2xx that arrives in the Accepted state (RFC 6026). A timeout or transport error
   * arrives as a synthetic 408 or 503 response with `failure` set, so a TU can treat it like any
   * final response.
   */
  response(response: SipResponse, failure?: TransactionFailure): void;
  /** The transaction has ended and holds no timers. */
  terminated?(): void;
}

/** What a server transaction tells its TU. */
export interface ServerTransactionUser {
  /** An ACK for a 2xx received while the INVITE server transaction is Accepted (RFC 6026 §7.1). */
  ack?(ack: SipRequest): void;
  /** The INVITE was cancelled (RFC 3261 §9.2): the CANCEL got 200 from the layer, the INVITE 487 from the transaction. */
  cancelled?(cancel: SipRequest): void;
  /**
   * Something failed: no ACK for a non-2xx final (Timer H; the transaction then ends), or a
   * response could not be sent (the transaction stays in its state, RFC 6026 §8.8).
   */
  failed?(failure: TransactionFailure): void;
  /** The transaction has ended and holds no timers. */
  terminated?(): void;
}

/**
 * Throws a TypeError unless `response` can answer `request`: a status from 100 to 699 and the
 * request's CSeq (RFC 3261 §8.2.6.2). A failure here is a bug in the TU, caught before the wire.
 */
export function checkResponseFor(request: SipRequest, response: SipResponse): void {
  const { status } = response;
  if (!Number.isInteger(status) || status < 100 || status > 699) {
    throw new TypeError(`response status must be an integer from 100 to 699, got ${String(status)}`);
  }
  const want = peekCSeq(request);
  const got = peekCSeq(response);
  if (want === undefined || got === undefined || got.seq !== want.seq || got.method !== want.method) {
    const text = (c: typeof want): string => (c === undefined ? 'none' : `${c.seq} ${c.method}`);
    throw new TypeError(`response CSeq (${text(got)}) does not match the request's (${text(want)})`);
  }
}
