// Waiting on the run's clock, cut short by a stop or by the work waited for; and the engine's
// own abort scopes (a run's, a call's, a node's), which follow each other without an EventTarget
// apiece.

import type { Clock } from '../sip/transport/clock.js';

/** What a wait can be cut short by: an {@link AbortScope} of the engine or any AbortSignal. */
export type Abortable = AbortScope | AbortSignal;

/** A listener added with {@link onAbort} or {@link AbortScope.onAbort}. */
export interface Listening {
  /** Removes it (harmless twice, or after the abort). */
  remove(): void;
}

/**
 * Calls `fn` once when `stop` aborts (not when it already has: callers test `aborted` first).
 */
export function onAbort(stop: Abortable, fn: () => void): Listening {
  if (stop instanceof AbortScope) return stop.onAbort(fn);
  stop.addEventListener('abort', fn, { once: true });
  return { remove: () => stop.removeEventListener('abort', fn) };
}

/**
 * One listener of a scope, and the handle that removes it: a link of the scope's list, so that
 * removing one is O(1) among thousands (a load run's calls) and costs no closure. `fn` is a
 * function, or a child scope that follows.
 */
class Link implements Listening {
  fn: (() => void) | AbortScope | undefined;
  prev: Link | undefined;
  next: Link | undefined;
  owner: AbortScope | undefined;

  constructor(owner: AbortScope, fn: (() => void) | AbortScope, prev: Link | undefined) {
    this.owner = owner;
    this.fn = fn;
    this.prev = prev;
    this.next = undefined;
  }

  remove(): void {
    const owner = this.owner;
    if (owner === undefined) return;
    owner.unlink(this);
  }
}

const identity = (r: unknown): unknown => r;

/**
 * An abort scope: `aborted` and `reason` like an AbortSignal's, listeners in order, and children
 * that follow it (a load run's thousands of calls, each call's nodes). It is what the engine's own
 * waits listen to: an AbortController per call and per node costs an EventTarget, its own hidden
 * class and two maps each, and a listener on the parent's EventTarget; a scope costs one object
 * and a list link per listener. {@link signal} makes a real AbortSignal that follows the scope, on
 * first use, for what needs one (the stack's INVITE, REFER and media calls).
 */
export class AbortScope {
  private abortedFlag = false;
  private why: unknown = undefined;
  private head: Link | undefined = undefined;
  private tail: Link | undefined = undefined;
  /** Its link in the parent's list (or the listener on a parent AbortSignal), until released. */
  private following: Listening | undefined = undefined;
  /** Makes its reason from the parent's (identity unless given). */
  private fromParent: (parentReason: unknown) => unknown = identity;
  private controller: AbortController | undefined = undefined;

  /**
   * A scope that aborts when `parent` does (at once if it has), with `reason(parent's reason)`
   * (default: the parent's reason itself), until {@link release}d.
   */
  static following(parent: Abortable | undefined, reason: (parentReason: unknown) => unknown = identity): AbortScope {
    const scope = new AbortScope();
    scope.fromParent = reason;
    if (parent === undefined) return scope;
    if (parent.aborted) scope.abort(reason(parent.reason));
    else if (parent instanceof AbortScope) scope.following = parent.add(scope);
    else scope.following = onAbort(parent, () => scope.abort(reason(parent.reason)));
    return scope;
  }

  /** Whether it has aborted. */
  get aborted(): boolean {
    return this.abortedFlag;
  }

  /** Why it aborted (undefined until it has). */
  get reason(): unknown {
    return this.why;
  }

  /**
   * Aborts (once; later calls do nothing): stops following its parent, then calls its listeners
   * in the order they were added and aborts the scopes that follow it. A listener that throws does
   * not keep the others from running; its error is thrown afterwards, out of the current job (as an
   * EventTarget's would be).
   */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.abortedFlag) return;
    this.abortedFlag = true;
    this.why = reason;
    this.release();
    // The list as it is now: a listener removing a later one (which then is not called) or adding
    // one (which is not called: the scope has aborted) does not disturb the walk.
    const links: Link[] = [];
    for (let link = this.head; link !== undefined; link = link.next) links.push(link);
    this.head = this.tail = undefined;
    for (const link of links) {
      const fn = link.fn;
      link.fn = link.prev = link.next = link.owner = undefined;
      if (fn instanceof AbortScope) {
        fn.following = undefined;
        fn.abort(fn.fromParent(reason));
        continue;
      }
      try {
        fn?.();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    this.controller?.abort(reason);
  }

  /** Stops following the parent (the scope stays as it is). */
  release(): void {
    const following = this.following;
    this.following = undefined;
    following?.remove();
  }

  /**
   * Calls `fn` once when the scope aborts (never when it already has: test {@link aborted}
   * first). Returns what removes it.
   */
  onAbort(fn: () => void): Listening {
    return this.add(fn);
  }

  /**
   * As an AbortSignal's: `listener` is called once when the scope aborts (the stack's
   * `CancelSignal`, so a scope can cancel an INVITE without making an AbortSignal). Only `'abort'`.
   */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void {
    void type;
    void options; // (called once in any case)
    this.add(listener);
  }

  /** Forgets a listener given to {@link addEventListener} (the first one added, when given twice). */
  removeEventListener(type: 'abort', listener: () => void): void {
    void type;
    for (let link = this.head; link !== undefined; link = link.next) {
      if (link.fn !== listener) continue;
      this.unlink(link);
      return;
    }
  }

  /** An AbortSignal that aborts with the scope (made on first use; aborted already if the scope is). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedFlag) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  private add(fn: (() => void) | AbortScope): Link {
    const link = new Link(this, fn, this.tail);
    if (this.abortedFlag) {
      link.owner = link.fn = undefined;
      return link;
    }
    if (this.tail === undefined) this.head = link;
    else this.tail.next = link;
    this.tail = link;
    return link;
  }

  /** @internal Takes `link` out of the list (what {@link Listening.remove} does). */
  unlink(link: Link): void {
    if (this.abortedFlag) {
      // Mid-abort: not to be called any more; the walk drops the links.
      link.fn = link.owner = undefined;
      return;
    }
    if (link.prev === undefined) this.head = link.next;
    else link.prev.next = link.next;
    if (link.next === undefined) this.tail = link.prev;
    else link.next.prev = link.prev;
    link.fn = link.prev = link.next = link.owner = undefined;
  }
}

/**
 * Resolves after `ms` on `clock`, or as soon as `signal` aborts, or `work` (when given) settles,
 * whichever comes first. Never rejects; leaves no timer or listener behind.
 */
export function waitOn(clock: Clock, ms: number, signal: Abortable, work?: Promise<unknown>): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clock.clearTimer(timer);
      listening.remove();
      resolve();
    };
    const timer = clock.setTimer(ms, done);
    const listening = onAbort(signal, done);
    work?.then(done, done);
  });
}

/**
 * `work`, or a rejection with `signal`'s reason as soon as it aborts, whichever comes first. The
 * listener goes with the outcome; `work` rejecting after the abort is not reported as unhandled.
 */
export function raceSignal<T>(work: Promise<T>, signal: Abortable): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const listening = onAbort(signal, () => reject(signal.reason));
    work.then(
      (v) => {
        listening.remove();
        resolve(v);
      },
      (e) => {
        listening.remove();
        reject(e);
      },
    );
  });
}
