// RFC 3261 §17.1.1.1 and Table 4 (Appendix A): T1, T2, T4 and the timers derived from them.
// Set per stack instance, never globally.

/** Timer base values in milliseconds. */
export interface TimerSettings {
  /** RTT estimate, 500 ms by default (RFC 3261 §17.1.1.1). */
  t1: number;
  /** Maximum retransmission interval for non-INVITE requests and INVITE responses, 4 s. */
  t2: number;
  /** Maximum time a message stays in the network, 5 s. */
  t4: number;
  /** Timer D: how long an INVITE client waits for retransmitted finals; at least 32 s on UDP. */
  timerD: number;
}

/** The RFC 3261 defaults. */
export const DEFAULT_TIMERS: Readonly<TimerSettings> = Object.freeze({ t1: 500, t2: 4000, t4: 5000, timerD: 32_000 });

/** Fills in defaults and checks that every value is a positive finite number and T2 >= T1. */
export function resolveTimers(partial: Partial<TimerSettings> = {}): TimerSettings {
  const t: TimerSettings = { ...DEFAULT_TIMERS, ...partial };
  for (const [name, v] of Object.entries(t)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`timer ${name} must be a positive number of milliseconds, got ${String(v)}`);
  }
  if (t.t2 < t.t1) throw new RangeError(`T2 (${t.t2} ms) must not be shorter than T1 (${t.t1} ms)`);
  return t;
}
