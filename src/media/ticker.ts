// One 20 ms heartbeat shared by every media session on a clock: a thousand playing sessions cost
// one timer, not a thousand, and every tick is scheduled from the start time so pacing does not
// drift however late a timer fires.

import type { Clock, TimerHandle } from '../sip/transport/clock.js';

/** Something that sends on every tick (a media session). */
export interface TickListener {
  /** Called once per period with the clock time. */
  tick(now: number): void;
}

/**
 * A drift-free periodic timer on a {@link Clock}: the n-th tick is due at `start + n·period`,
 * and a late timer is followed by an earlier one, so the average rate stays exact. Runs only
 * while it has listeners.
 */
export class Ticker {
  private readonly listeners = new Set<TickListener>();
  /** The listeners as an array, rebuilt only when they change: a tick walks it, not the Set. */
  private snapshot: TickListener[] | undefined;
  private timer: TimerHandle | undefined;
  private start = 0;
  private n = 0;

  constructor(
    private readonly clock: Clock,
    /** Period in ms (20 for G.711 at ptime 20). */
    readonly period: number,
  ) {}

  /** Number of listeners. */
  get size(): number {
    return this.listeners.size;
  }

  /** Adds a listener; the ticker starts if it was idle. */
  add(listener: TickListener): void {
    if (!this.listeners.has(listener)) {
      this.listeners.add(listener);
      this.snapshot = undefined;
    }
    if (this.timer === undefined) {
      this.start = this.clock.now();
      this.n = 0;
      this.schedule();
    }
  }

  /** Removes a listener; the ticker stops when none is left. */
  delete(listener: TickListener): void {
    if (this.listeners.delete(listener)) this.snapshot = undefined;
    if (this.listeners.size === 0 && this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    this.n++;
    const due = this.start + this.n * this.period;
    this.timer = this.clock.setTimer(Math.max(0, due - this.clock.now()), () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    // A listener may add or remove listeners while ticking: those changes apply from the next
    // tick, because this walks the snapshot taken before.
    const listeners = (this.snapshot ??= [...this.listeners]);
    let failure: { err: unknown } | undefined;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!.tick(now);
      } catch (err) {
        failure ??= { err }; // one session's bug must not silence the others or stop the ticker
      }
    }
    if (this.listeners.size > 0) this.schedule();
    if (failure !== undefined) {
      const { err } = failure;
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

const tickers = new WeakMap<Clock, Map<number, Ticker>>();

/** The shared ticker of `period` ms on `clock`. */
export function tickerFor(clock: Clock, period: number): Ticker {
  let byPeriod = tickers.get(clock);
  if (byPeriod === undefined) tickers.set(clock, (byPeriod = new Map()));
  let t = byPeriod.get(period);
  if (t === undefined) byPeriod.set(period, (t = new Ticker(clock, period)));
  return t;
}
