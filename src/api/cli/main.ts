// The command dispatcher: which command, its flags, its help; usage errors exit 2 with the usage.
// Streams, environment and Ctrl-C come in through CliIo, so tests can run the CLI in-process.

import { readFileSync } from 'node:fs';
import { parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { COMMAND_USAGE, USAGE } from './help.js';
import { LOAD_FLAGS, loadCommand, STATS_FLAGS, statsCommand } from './load-command.js';
import { PARSE_FLAGS, parseCommand } from './parse-command.js';
import { RUN_FLAGS, runCommand } from './run-command.js';
import { CONVERT_FLAGS, convertCommand, VALIDATE_FLAGS, validateCommand } from './scenario-commands.js';
import type { CliIo } from './terminal.js';

interface Command {
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly run: (args: ParsedArgs, io: CliIo) => number | Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  run: { flags: RUN_FLAGS, run: runCommand },
  load: { flags: LOAD_FLAGS, run: loadCommand },
  stats: { flags: STATS_FLAGS, run: statsCommand },
  validate: { flags: VALIDATE_FLAGS, run: validateCommand },
  convert: { flags: CONVERT_FLAGS, run: convertCommand },
  parse: { flags: PARSE_FLAGS, run: (args, io) => parseCommand(args, io) },
};

/** The package version (package.json). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Runs the CLI with `argv` (the arguments after `sipflow`); resolves with the exit code: 0
 * success, 1 a scenario failed or was stopped (or a message did not parse), 2 invalid input or
 * usage.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(USAGE + '\n');
    return 2;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    const about = rest[0] !== undefined ? COMMAND_USAGE[rest[0]] : undefined;
    io.stdout.write((about ?? USAGE) + '\n');
    return 0;
  }
  if (name === '-v' || name === '--version') {
    io.stdout.write(version() + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UsageError(name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`);
    const args = parseArgs(rest, command.flags, name);
    if (args.flags.get('help') === true) {
      io.stdout.write(COMMAND_USAGE[name] + '\n');
      return 0;
    }
    return await command.run(args, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`sipflow: ${err.message}\n\n${err.command !== undefined ? COMMAND_USAGE[err.command] : USAGE}\n`);
    return 2;
  }
}
