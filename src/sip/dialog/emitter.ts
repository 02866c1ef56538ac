// A small typed event emitter: library code reports through events, never the console
// (../shared/DESIGN.md). Listeners run synchronously in the order they were added; one that
// throws does not stop the others and is reported to `onListenerError`.

/** Map of event name → payload type. */
export type EventMap = Record<string, unknown>;

/** A listener for one event. */
export type Listener<T> = (payload: T) => void;

/** Base class giving `on`, `once` and `off` for the events in `E`. */
export class TypedEmitter<E extends EventMap> {
  // Events and listeners in one flat list, `event, listener, event, listener …` in the order they
  // were added: a session holds a handful for as long as its call lasts, and a map of arrays cost
  // it half a kilobyte.
  private listeners: Array<keyof E | Listener<never>> | undefined;

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    if (this.listeners === undefined) this.listeners = [event, listener as Listener<never>];
    else this.listeners.push(event, listener as Listener<never>);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** Removes a listener added with {@link on} (the first of its kind, if added twice). */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const list = this.listeners;
    if (list === undefined) return;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === event && list[i + 1] === listener) {
        list.splice(i, 2);
        return;
      }
    }
  }

  /**
   * Drops every listener: for an object that will emit nothing more (a dialog that ended), so
   * that whatever its listeners hold can be collected even while the object itself is still
   * referenced for a while (a transaction in RFC 6026's Accepted state).
   */
  protected removeAllListeners(): void {
    this.listeners = undefined;
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof E): number {
    const list = this.listeners;
    let n = 0;
    if (list !== undefined) for (let i = 0; i < list.length; i += 2) if (list[i] === event) n++;
    return n;
  }

  /**
   * Calls every listener of `event` (those it had when the emit began, in order); a throwing
   * listener is passed to {@link onListenerError}.
   */
  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    const list = this.listeners;
    if (list === undefined) return;
    let matched: Array<Listener<E[K]>> | undefined;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== event) continue;
      const listener = list[i + 1] as Listener<E[K]>;
      if (matched === undefined) matched = [listener];
      else matched.push(listener);
    }
    if (matched === undefined) return;
    for (const listener of matched) {
      try {
        listener(payload);
      } catch (err) {
        this.onListenerError(err, String(event));
      }
    }
  }

  /** What happens to an exception thrown by a listener: rethrown on a microtask by default, so it is not lost. */
  protected onListenerError(err: unknown, _event: string): void {
    queueMicrotask(() => {
      throw err;
    });
  }
}
