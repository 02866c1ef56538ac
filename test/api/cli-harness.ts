// The CLI run in-process, for the tests of its commands: output collected, Ctrl-C pressed on cue.

import { main } from '../../src/api/cli/main.js';
import type { CliIo } from '../../src/api/cli/terminal.js';

/** What a command did: its exit code and what it wrote. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process. `tty` makes stdout a terminal; `interruptAfter` presses Ctrl-C after that many ms. */
export async function cli(argv: string[], options: { tty?: boolean; env?: Record<string, string>; interruptAfter?: number } = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  let interrupt: (() => void) | undefined;
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t), isTTY: options.tty === true, columns: 120 },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env: options.env ?? {},
    onInterrupt: (fn) => {
      interrupt = fn;
      return () => (interrupt = undefined);
    },
  };
  const timer = options.interruptAfter === undefined ? undefined : setTimeout(() => interrupt?.(), options.interruptAfter);
  try {
    const code = await main(argv, io);
    return { code, stdout, stderr };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
