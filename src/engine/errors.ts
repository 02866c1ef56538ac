// Typed errors of the engine. A node fails with a NodeFailure (its message is what the run
// events and the result say); waits end with the reason of the signal that stopped them.

/** What went wrong starting or running the engine itself (not a node). */
export type EngineErrorCode =
  /** `engine.run()` while a run is in progress (sipflow's concurrent-start guard). */
  | 'already-running'
  /** An instance could not start: its port is taken, its bind address is wrong, no port was free. */
  | 'instance-start'
  /** The first REGISTER of an instance failed. */
  | 'register'
  /** The scenario given to run() has errors. */
  | 'scenario'
  /** A load run's options make no sense (a rate or concurrency not above 0 …), or its scenario has no chain. */
  | 'bad-load';

/**
 * An error of the engine, not of a node: a second run, an instance that cannot start, a failed
 * first registration. `engine.run()` throws it (after closing the instances it had started); no
 * `scenario:*` terminal event is emitted for it, as sipflow returned such errors from its start.
 */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Why a node failed. `status` is the SIP status that explains it, when one does (486 for a busy
 * callee, 401 for a refused registration …).
 */
export class NodeFailure extends Error {
  override readonly name = 'NodeFailure';
  readonly status: number | undefined;

  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options?.status;
  }
}

/** The reason a node's signal aborts when its timeout runs out. */
export class NodeTimeout extends Error {
  override readonly name = 'NodeTimeout';
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The reason the run's signal aborts: a stop, or another chain's failure. */
export class RunHalted extends Error {
  override readonly name = 'RunHalted';
  /** `stopped`: engine.stop() or the caller's signal; `failed`: another chain failed. */
  readonly kind: 'stopped' | 'failed';

  constructor(kind: 'stopped' | 'failed', message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The text of any error, for logs and results. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
