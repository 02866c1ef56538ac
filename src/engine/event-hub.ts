// Where run events go: listeners, reporters and async iterators, in the order they were emitted.
// A listener or reporter that throws is reported (as an engine error) and the run goes on.

import { REPORTER_METHODS, type RunEvent, type RunEventType, type RunReporter } from './run-events.js';

/** A consumer of an async iterator: events not read yet, and a reader waiting for the next one. */
interface Reader {
  readonly queue: RunEvent[];
  wake: (() => void) | undefined;
  done: boolean;
}

/** The terminal events: a run's last. */
const TERMINAL: ReadonlySet<RunEventType> = new Set(['scenario:completed', 'scenario:failed', 'scenario:stopped']);

/**
 * Fans run events out; tells the engine whether anyone wants an event kind at all, so unwanted ones
 * cost nothing. Listeners and iterators get every kind but `rtp`, which only reporters with an
 * `onRtp` method get.
 */
export class RunEventHub {
  private readonly listeners = new Set<(event: RunEvent) => void>();
  private readonly reporters = new Set<RunReporter>();
  private readonly readers = new Set<Reader>();
  private readonly onError: (error: unknown, where: string) => void;

  constructor(onError: (error: unknown, where: string) => void) {
    this.onError = onError;
  }

  /** Whether an event of `type` would reach anyone (build it only then). */
  wants(type: RunEventType): boolean {
    if (type !== 'rtp' && (this.listeners.size > 0 || this.readers.size > 0)) return true;
    const method = REPORTER_METHODS[type];
    for (const r of this.reporters) if (typeof r[method] === 'function') return true;
    return false;
  }

  /** Hands `event` to every listener, reporter and reader. */
  emit(event: RunEvent): void {
    // `rtp` events (about 100 a second per call) go only to reporters that ask for them (onRtp).
    const packet = event.type === 'rtp';
    if (!packet) for (const fn of this.listeners) {
      try {
        fn(event);
      } catch (err) {
        this.onError(err, `a run event listener (${event.type})`);
      }
    }
    const method = REPORTER_METHODS[event.type];
    for (const r of this.reporters) {
      const fn = r[method] as ((e: RunEvent) => void) | undefined;
      if (typeof fn !== 'function') continue;
      try {
        fn.call(r, event);
      } catch (err) {
        this.onError(err, `reporter ${method}`);
      }
    }
    if (!packet) for (const reader of this.readers) {
      reader.queue.push(event);
      if (TERMINAL.has(event.type)) {
        reader.done = true;
        this.readers.delete(reader);
      }
      reader.wake?.();
    }
  }

  /** Calls `fn` with every event; returns the function that stops it. */
  subscribe(fn: (event: RunEvent) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** Adds a reporter; returns the function that removes it. */
  addReporter(reporter: RunReporter): () => void {
    this.reporters.add(reporter);
    return () => void this.reporters.delete(reporter);
  }

  /** The events from now until the end of the next run (its completed, failed or stopped event), or until `signal` aborts. */
  async *iterate(signal?: AbortSignal): AsyncGenerator<RunEvent, void, undefined> {
    const reader: Reader = { queue: [], wake: undefined, done: false };
    this.readers.add(reader);
    const onAbort = (): void => {
      reader.done = true;
      this.readers.delete(reader);
      reader.wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const next = reader.queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (reader.done || signal?.aborted) return;
        await new Promise<void>((resolve) => (reader.wake = resolve));
        reader.wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.readers.delete(reader);
    }
  }
}
