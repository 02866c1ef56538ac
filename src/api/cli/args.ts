// Command-line arguments: flags declared per command, `--flag value` and `--flag=value`, repeated
// flags, `--` ending the flags. An unknown flag, a missing value or a bad number is a UsageError
// that names it; the CLI prints it with the command's usage and exits 2.

import { suggest } from '../../engine/scenario/did-you-mean.js';

/** A mistake on the command line: exit 2 with the message and the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose usage to show (undefined: the general usage). */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** A flag a command takes. */
export interface FlagSpec {
  /** `value`: takes one value; `list`: takes one value and may repeat; `switch`: takes none. */
  readonly kind: 'value' | 'list' | 'switch';
  /** One-letter alias (`-h`). */
  readonly short?: string;
}

/** What a command line says: its flags by name (without dashes) and its positional arguments. */
export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, string | true | readonly string[]>;
  readonly positionals: readonly string[];
}

/** Parses `argv` (the arguments after the command) against `specs`. */
export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>, command: string): ParsedArgs {
  const flags = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(specs).flatMap(([name, s]) => (s.short !== undefined ? [[s.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const long = byShort.get(arg.slice(1));
      if (long === undefined) throw new UsageError(`unknown option ${arg}`, command);
      name = long;
    }
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown option --${name}${hint(name, Object.keys(specs))}`, command);
    if (spec.kind === 'switch') {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`, command);
      flags.set(name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`option --${name} needs a value`, command);
      i++;
    }
    if (spec.kind === 'list') {
      const list = (flags.get(name) as string[] | undefined) ?? [];
      list.push(value);
      flags.set(name, list);
    } else {
      if (flags.has(name)) throw new UsageError(`option --${name} given twice`, command);
      flags.set(name, value);
    }
  }
  return { flags, positionals };
}

/** The value of a `value` flag, if given. */
export function flagValue(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** A whole number flag within [min, max], if given. */
export function intFlag(args: ParsedArgs, name: string, min: number, max: number, command: string): number | undefined {
  const v = flagValue(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`option --${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`, command);
  return Number(v);
}

/** `--var NAME=value` flags as a record; a malformed one is a UsageError. */
export function varsOf(args: ParsedArgs, command: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const list = args.flags.get('var');
  for (const item of Array.isArray(list) ? list : []) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? '' : item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--var needs NAME=value with a name of letters, digits and _, not ${JSON.stringify(item)}`, command);
    vars[name] = item.slice(eq + 1);
  }
  return vars;
}

/** ` (did you mean --x?)` when a known name is close to `name`. */
function hint(name: string, known: readonly string[]): string {
  const best = suggest(name, known);
  return best !== undefined ? ` (did you mean --${best}?)` : '';
}
