#!/usr/bin/env node
// The sipflow command line (the package's bin). The only module that prints (../shared/DESIGN.md);
// everything it prints comes from the engine's run events and the reports drawn from them.
// Exit codes: 0 success, 1 a scenario failed or was stopped, 2 an invalid scenario or bad usage.

import { main } from './cli/main.js';
import { processIo } from './cli/terminal.js';

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sipflow: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
