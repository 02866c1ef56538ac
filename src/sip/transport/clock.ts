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

/** The clock of the real world: `performance.now()` and `setTimeout`. */
export class RealClock implements Clock {
  private nextId = 1;
  private pending = 0;

  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(ms)) throw new RangeError(`timer delay must be finite, got ${ms}`);
    const handle = new RealTimer(this.nextId++, this, fn);
    handle.timeout = setTimeout(fireRealTimer, Math.max(0, ms), handle);
    this.pending++;
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    // A handle of another clock (or one fired or cleared) is not ours to clear.
    if (!(handle instanceof RealTimer) || handle.clock !== this || handle.timeout === undefined) return;
    clearTimeout(handle.timeout);
    handle.timeout = undefined;
    handle.fn = undefined;
    this.pending--;
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.pending;
  }

  /** @internal A timer of this clock falls due. */
  fired(handle: RealTimer): void {
    const fn = handle.fn;
    handle.timeout = undefined;
    handle.fn = undefined;
    this.pending--;
    fn?.();
  }
}

/** What every {@link RealClock} timer runs: one function for all, given its handle, instead of a closure each. */
function fireRealTimer(handle: RealTimer): void {
  handle.clock.fired(handle);
}

/**
 * A {@link RealClock}'s handle: holds its Node timeout itself (until it fires or is cleared), so
 * the clock keeps no table of them. Every call sets several timers; a table entry each, for
 * timers that live up to 64·T1, cost memory and a lookup per set and clear.
 */
class RealTimer implements TimerHandle {
  timeout: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly id: number,
    readonly clock: RealClock,
    /** Until it fires or is cleared: a handle kept after that holds nothing of its caller's. */
    public fn: (() => void) | undefined,
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
