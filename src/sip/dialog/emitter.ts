// A small typed event emitter: library code reports through events, never the console
// (../shared/DESIGN.md). Listeners run synchronously in the order they were added; one that
// throws does not stop the others and is reported to `onListenerError`.

/** Map of event name → payload type. */
export type EventMap = Record<string, unknown>;

/** A listener for one event. */
export type Listener<T> = (payload: T) => void;

/** Base class giving `on`, `once` and `off` for the events in `E`. */
export class TypedEmitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Array<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const list = this.listeners.get(event);
    // A literal of one: an empty array's first push reserves room for 17 (most events get one listener).
    if (list === undefined) this.listeners.set(event, [listener as Listener<never>]);
    else list.push(listener as Listener<never>);
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

  /** Removes a listener added with {@link on}. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    const i = list.indexOf(listener as Listener<never>);
    if (i >= 0) list.splice(i, 1);
  }

  /**
   * Drops every listener: for an object that will emit nothing more (a dialog that ended), so
   * that whatever its listeners hold can be collected even while the object itself is still
   * referenced for a while (a transaction in RFC 6026's Accepted state).
   */
  protected removeAllListeners(): void {
    this.listeners.clear();
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Calls every listener of `event`; a throwing listener is passed to {@link onListenerError}. */
  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) return;
    for (const listener of [...list]) {
      try {
        (listener as Listener<E[K]>)(payload);
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
