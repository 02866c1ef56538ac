// Time, injected (../shared/DESIGN.md: no layer calls Date.now() or setTimeout directly).
// The real clock wraps setTimeout; tests use VirtualClock, where time moves only when told to.

/** A scheduled timer; pass it to {@link Clock.clearTimer} to cancel. Opaque. */
export interface TimerHandle {
  /** Unique per clock; useful in logs. */
  readonly id: number;
}

/** The source of time and timers for every layer that needs them. */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall-clock time). */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now (0 or negative: as soon as possible). */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer; cancelling a fired or already cancelled timer does nothing. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * The clock of the real world: `performance.now()` and `setTimeout`.
 *
 * Timers of the same delay are kept in one list, in the order they were set (so in due order),
 * with one Node timeout armed for the list's first: a SIP stack sets several timers per call, of a
 * few delays (T1, 64·T1, T4 …), most of them cleared soon and some kept for 64·T1 while a
 * transaction lingers, and a Node timeout each cost every one of them an object of a dozen fields
 * and Node's bookkeeping. A timer fires once `now()` has reached its due time (never before), in
 * the order Node gives the lists' timeouts, then the order it was set in.
 *
 * A list whose timers were all cleared keeps its timeout, unref'd (it keeps no process alive, and
 * `process.getActiveResourcesInfo()` does not count it), until it fires or the list is used again:
 * a call sets and clears timers of a delay one after the other, and clearing the timeout and
 * setting a new one each time cost more than the timers themselves. At most 32 lists are kept
 * that way; beyond, an emptied list's timeout is cleared.
 */
export class RealClock implements Clock {
  private nextId = 1;
  private pending = 0;
  /** The lists of timers set and not yet fired or cleared, by delay. */
  private readonly lists = new Map<number, TimerList>();

  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(ms)) throw new RangeError(`timer delay must be finite, got ${ms}`);
    // (as setTimeout takes a delay: at least 1 ms)
    const delay = ms >= 1 ? ms : 1;
    let list = this.lists.get(delay);
    if (list === undefined) {
      list = new TimerList(this, delay);
      this.lists.set(delay, list);
    }
    const handle = new RealTimer(this.nextId++, list, fn, performance.now() + delay);
    list.append(handle);
    this.pending++;
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    // A handle of another clock (or one fired or cleared) is not ours to clear.
    if (!(handle instanceof RealTimer) || handle.list === undefined || handle.list.clock !== this) return;
    handle.list.remove(handle);
    handle.fn = undefined;
    this.pending--;
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.pending;
  }

  /** @internal A list has no timer left: it goes (a list is made again when its delay is used again). */
  emptied(list: TimerList): void {
    if (this.lists.get(list.delay) === list) this.lists.delete(list.delay);
  }

  /** @internal Whether an emptied list may keep its (unref'd) timeout for its next timer. */
  keepsIdle(): boolean {
    return this.lists.size <= IDLE_LISTS_KEPT;
  }

  /** @internal A timer of this clock falls due (it has left its list). */
  fired(handle: RealTimer): void {
    const fn = handle.fn;
    handle.fn = undefined;
    this.pending--;
    fn?.();
  }
}

/**
 * The timers of one {@link RealClock} with one delay, in due order (a doubly linked list: a timer
 * cleared before it fires, as most are, leaves at once), and the Node timeout armed for the first.
 */
class TimerList {
  head: RealTimer | undefined;
  tail: RealTimer | undefined;
  private timeout: ReturnType<typeof setTimeout> | undefined;
  /** Whether the armed timeout is unref'd: the list is empty and waits for a timer or its timeout. */
  private idle = false;
  /** Whether {@link run} is firing timers (it arms the timeout itself when done). */
  private running = false;

  constructor(
    readonly clock: RealClock,
    readonly delay: number,
  ) {}

  append(timer: RealTimer): void {
    timer.prev = this.tail;
    if (this.tail === undefined) this.head = timer;
    else this.tail.next = timer;
    this.tail = timer;
    // (the first is the earliest: the same delay from a later now)
    if (this.timeout === undefined) {
      if (!this.running) this.arm(this.head!.due);
    } else if (this.idle) {
      // Armed for a timer since cleared, so due no later than this one: when it fires, run()
      // finds nothing due yet and arms for this one.
      this.idle = false;
      this.timeout.ref();
    }
  }

  remove(timer: RealTimer): void {
    if (timer.prev === undefined) this.head = timer.next;
    else timer.prev.next = timer.next;
    if (timer.next === undefined) this.tail = timer.prev;
    else timer.next.prev = timer.prev;
    timer.prev = timer.next = undefined;
    timer.list = undefined;
    // The timeout stays armed for the one that was first: when it fires, it arms for the next
    // (one early wake, rather than a clear and a new timeout at every clear of the first).
    // (While run() fires timers there is no timeout: run() decides at its end.)
    if (this.head === undefined && this.timeout !== undefined) {
      if (this.clock.keepsIdle()) {
        // Kept for the list's next timer (see RealClock), without keeping the process alive.
        this.idle = true;
        this.timeout.unref();
      } else {
        clearTimeout(this.timeout);
        this.timeout = undefined;
        this.clock.emptied(this);
      }
    }
  }

  /** The armed timeout fired: every timer now due fires, in order; then the timeout is armed for the next. */
  run(): void {
    this.timeout = undefined;
    this.idle = false;
    this.running = true;
    const now = performance.now();
    for (let t = this.head; t !== undefined && t.due <= now; t = this.head) {
      this.remove(t);
      // (a timer that throws does not stop the others: its error surfaces as setTimeout's would)
      try {
        this.clock.fired(t);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    this.running = false;
    // (nothing armed it meanwhile: append does not while this runs)
    if (this.head !== undefined) this.arm(this.head.due);
    else this.clock.emptied(this);
  }

  private arm(due: number): void {
    // setTimeout's clock is the event loop's, in whole ms and read at the start of the loop's turn,
    // so it may fire a little before `due`: then run() finds nothing due yet and arms again. (At
    // most setTimeout's longest delay: a longer one would fire at once.)
    this.timeout = setTimeout(runTimerList, Math.min(MAX_TIMEOUT_MS, Math.max(1, Math.ceil(due - performance.now()))), this);
  }
}

/**
 * How many timer lists a {@link RealClock} may hold, empty ones included, before an emptied list
 * gives up its timeout at once: delays are few in a SIP stack (T1 and its doublings, 64·T1, T4, a
 * scenario's timeouts), but a caller computing delays could make any number.
 */
const IDLE_LISTS_KEPT = 32;

/** setTimeout's longest delay (2^31 − 1 ms); beyond it, it fires at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** What every list's timeout runs: one function for all, given its list, instead of a closure each. */
function runTimerList(list: TimerList): void {
  list.run();
}

/**
 * A {@link RealClock}'s handle: a link of its delay's list (until it fires or is cleared), so the
 * clock keeps no table of timers. Every call sets several timers; a table entry each, for timers
 * that live up to 64·T1, cost memory and a lookup per set and clear.
 */
class RealTimer implements TimerHandle {
  prev: RealTimer | undefined = undefined;
  next: RealTimer | undefined = undefined;

  constructor(
    readonly id: number,
    /** Its list, until it fires or is cleared. */
    public list: TimerList | undefined,
    /** Until it fires or is cleared: a handle kept after that holds nothing of its caller's. */
    public fn: (() => void) | undefined,
    /** When it falls due (`performance.now()` scale). */
    readonly due: number,
  ) {}
}

let sharedClock: RealClock | undefined;

/**
 * The process-wide {@link RealClock}, for components that were given no clock: they then share
 * one, and with it whatever is scheduled per clock (all media sessions tick on one timer).
 */
export function sharedRealClock(): RealClock {
  return (sharedClock ??= new RealClock());
}

interface VirtualTimer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A clock for tests: time starts at 0 and moves only through {@link advance} (or
 * {@link runUntilIdle}), firing due timers in order of due time, and in the order they were set
 * when due at the same moment. Timers set while advancing fire in the same call if they fall due
 * within it, so a retransmission schedule can be checked exactly.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const fired: number[] = [];
 * clock.setTimer(500, () => fired.push(clock.now()));
 * clock.advance(1000); // fired = [500]
 * ```
 */
export class VirtualClock implements Clock {
  private time = 0;
  private nextId = 1;
  // Kept sorted by (due, id).
  private readonly queue: VirtualTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(ms)) throw new RangeError(`timer delay must be finite, got ${ms}`);
    const timer: VirtualTimer = { id: this.nextId++, due: this.time + Math.max(0, ms), fn };
    // binary search for the first timer due later; equal due times keep the order they were set
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.queue[mid]!.due <= timer.due) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    const i = this.queue.findIndex((t) => t.id === handle.id);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance needs a finite, non-negative ms, got ${ms}`);
    this.advanceTo(this.time + ms);
  }

  /**
   * Moves time forward to `t` (no earlier than now), firing due timers in order. If a timer
   * throws, the exception propagates and time stays at that timer's due time.
   */
  advanceTo(t: number): void {
    if (t < this.time) throw new RangeError(`cannot move time back from ${this.time} to ${t}`);
    for (;;) {
      const next = this.queue[0];
      if (next === undefined || next.due > t) break;
      this.queue.shift();
      this.time = next.due;
      next.fn();
    }
    this.time = t;
  }

  /**
   * Fires timers until none is left, moving time to each one's due time; returns the time
   * reached. Stops with an error after `maxTimers` timers, which catches a timer that re-arms
   * itself for ever.
   */
  runUntilIdle(maxTimers = 100_000): number {
    let fired = 0;
    for (;;) {
      const next = this.queue[0];
      if (next === undefined) return this.time;
      if (++fired > maxTimers) throw new Error(`VirtualClock: more than ${maxTimers} timers fired; a timer keeps re-arming itself`);
      this.queue.shift();
      this.time = next.due;
      next.fn();
    }
  }

  /** Due time of the next timer, or `undefined` when none is pending. */
  get nextDue(): number | undefined {
    return this.queue[0]?.due;
  }

  /** Timers scheduled and not yet fired or cancelled (for leak checks in tests). */
  get pendingTimers(): number {
    return this.queue.length;
  }
}
