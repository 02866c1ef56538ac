// Where the CLI writes, and how: colours only on a terminal that wants them (not with NO_COLOR, not
// for TERM=dumb, not into a pipe or file), and the streams and environment passed in so the CLI
// can run inside tests.

/** A stream the CLI writes to (process.stdout, or a test's collector). */
export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal. */
  readonly isTTY?: boolean;
  /** Terminal width in characters, when known. */
  readonly columns?: number;
}

/** What the CLI runs with: its streams, environment and working directory. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `onInterrupt` on Ctrl-C (SIGINT); returns the function that stops listening. */
  onInterrupt(onInterrupt: () => void): () => void;
}

/** The colours and styles the CLI uses; each returns its text unchanged when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
}

/** Whether stdout can be redrawn in place (a terminal that is not `TERM=dumb`): live lines. */
export function canRedraw(io: Pick<CliIo, 'stdout' | 'env'>): boolean {
  return io.stdout.isTTY === true && io.env.TERM !== 'dumb';
}

/**
 * Ctrl-C as the commands take it: the first says `message` on stderr and aborts the returned
 * signal (the command stops, cleans up and reports); a second quits at once (exit 130).
 * `stop` stops listening.
 */
export function interruptOnCtrlC(io: CliIo, message: string): { signal: AbortSignal; stop: () => void } {
  const interrupt = new AbortController();
  const errStyle = styleOf(wantsColour(io.stderr, io.env));
  let interrupts = 0;
  const stop = io.onInterrupt(() => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr.write(errStyle.yellow(`\nInterrupted: ${message} (Ctrl-C again to quit at once)\n`));
      interrupt.abort();
    } else {
      process.exit(130);
    }
  });
  return { signal: interrupt.signal, stop };
}

/** Whether to colour what goes to `stream`: a TTY, no `NO_COLOR` (any value, no-color.org), not `TERM=dumb`. */
export function wantsColour(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** A {@link Style} with ANSI SGR colours when `enabled`, plain text otherwise. */
export function styleOf(enabled: boolean): Style {
  const sgr =
    (open: number, close: number) =>
    (text: string): string =>
      enabled && text !== '' ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
  };
}

/** The real process's streams, environment and Ctrl-C. */
export function processIo(): CliIo {
  // A reader that goes away (`sipflow load … --format json | head -3`) stops the run as a Ctrl-C
  // does, once, so its calls still end cleanly; what is written after that is dropped. Without
  // this, the first write after it would throw EPIPE out of the run as an unhandled error.
  let readerGone = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (readerGone) return;
    readerGone = true;
    process.emit('SIGINT');
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(fn) {
      process.on('SIGINT', fn);
      return () => void process.off('SIGINT', fn);
    },
  };
}
