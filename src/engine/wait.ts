// Waiting on the run's clock, cut short by a signal or by the work waited for.

import type { Clock } from '../sip/transport/clock.js';

/**
 * Resolves after `ms` on `clock`, or as soon as `signal` aborts, or `work` (when given) settles,
 * whichever comes first. Never rejects; leaves no timer or listener behind.
 */
export function waitOn(clock: Clock, ms: number, signal: AbortSignal, work?: Promise<unknown>): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clock.clearTimer(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimer(ms, done);
    signal.addEventListener('abort', done, { once: true });
    work?.then(done, done);
  });
}
