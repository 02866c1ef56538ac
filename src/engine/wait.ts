// Waiting on the run's clock, cut short by a signal or by the work waited for; signals that
// follow the run's.

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

/**
 * `work`, or a rejection with `signal`'s reason as soon as it aborts, whichever comes first. The
 * listener goes with the outcome; `work` rejecting after the abort is not reported as unhandled.
 */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** An {@link AbortController} that also aborts when another signal does, until released. */
export interface FollowingController {
  readonly controller: AbortController;
  /** Stops following (removes the listener on the other signal); the controller stays as it is. */
  release(): void;
}

/**
 * A new controller that aborts when `parent` does (already, if it has), with `reason(parent's
 * reason)` (default: the parent's reason itself). For a node's or a call's own signal under the
 * run's: one listener removed on {@link FollowingController.release}, where `AbortSignal.any` would
 * leave a dependant on the long-lived parent that only the GC cleans up.
 */
export function followSignal(parent: AbortSignal | undefined, reason: (parentReason: unknown) => unknown = (r) => r): FollowingController {
  const controller = new AbortController();
  if (parent === undefined) return { controller, release: () => undefined };
  const onAbort = (): void => controller.abort(reason(parent.reason));
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, release: () => parent.removeEventListener('abort', onAbort) };
}
