// `sipflow validate` and `sipflow convert`: the scenario model at the command line.

import { compileScenario, validateScenarioFile } from '../../engine/scenario/load.js';
import { convertToCompact, convertToSipflow } from '../../engine/scenario/convert.js';
import { formatDiagnostic, type ScenarioDiagnostic } from '../../engine/scenario/diagnostics.js';
import { stringifyScenario } from '../../engine/scenario/format-json.js';
import { flagValue, UsageError, varsOf, type ParsedArgs } from './args.js';
import { scenarioFiles } from './run-command.js';
import { styleOf, wantsColour, type CliIo, type Style } from './terminal.js';

/** Flags of `sipflow validate`. */
export const VALIDATE_FLAGS = {
  'allow-outside-files': { kind: 'switch' },
  var: { kind: 'list' },
  format: { kind: 'value' },
  help: { kind: 'switch', short: 'h' },
} as const;

/** Flags of `sipflow convert`. */
export const CONVERT_FLAGS = {
  to: { kind: 'value' },
  ids: { kind: 'value' },
  help: { kind: 'switch', short: 'h' },
} as const;

/**
 * `sipflow validate <scenario>...`: every error and warning with file:line:column, node and field.
 * Exit 2 when any file has an error, else 0.
 */
export function validateCommand(args: ParsedArgs, io: CliIo): number {
  if (args.positionals.length === 0) throw new UsageError('sipflow validate needs at least one scenario file or directory', 'validate');
  const format = flagValue(args, 'format') ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') throw new UsageError(`--format must be pretty or json, not ${JSON.stringify(format)}`, 'validate');
  const vars = varsOf(args, 'validate');
  const out = styleOf(wantsColour(io.stdout, io.env));
  let exit = 0;
  for (const file of scenarioFiles(args.positionals, 'validate')) {
    const result = validateScenarioFile(file, { vars, env: io.env, allowOutsideFiles: args.flags.get('allow-outside-files') === true });
    if (!result.ok) exit = 2;
    if (format === 'json') {
      io.stdout.write(JSON.stringify({ file, ok: result.ok, format: result.format ?? null, diagnostics: result.diagnostics }) + '\n');
      continue;
    }
    for (const d of result.diagnostics) io.stdout.write(paint(out, d) + '\n');
    if (result.scenario !== undefined) {
      const graph = compileScenario(result.scenario);
      const warnings = result.warnings.length > 0 ? `, ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}` : '';
      io.stdout.write(`${out.green('✔')} ${file}: valid ${out.dim(`(${result.format} format, ${graph.instances.length} instance${graph.instances.length === 1 ? '' : 's'}, ${graph.nodes.length} node${graph.nodes.length === 1 ? '' : 's'}${warnings})`)}\n`);
    } else {
      io.stdout.write(`${out.red('✘')} ${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    }
  }
  return exit;
}

/**
 * `sipflow convert <file> [--to compact|sipflow]`: prints the scenario in the other format (or the
 * one asked for). Placeholders are kept as written. Warnings go to stderr; errors exit 2.
 */
export function convertCommand(args: ParsedArgs, io: CliIo): number {
  if (args.positionals.length !== 1) throw new UsageError('sipflow convert needs exactly one scenario file', 'convert');
  const file = args.positionals[0]!;
  const to = flagValue(args, 'to');
  if (to !== undefined && to !== 'compact' && to !== 'sipflow') throw new UsageError(`--to must be compact or sipflow, not ${JSON.stringify(to)}`, 'convert');
  const ids = flagValue(args, 'ids') ?? 'keep';
  if (ids !== 'keep' && ids !== 'tidy') throw new UsageError(`--ids must be keep or tidy, not ${JSON.stringify(ids)}`, 'convert');
  const err = styleOf(wantsColour(io.stderr, io.env));
  if (scenarioFiles([file], 'convert')[0] !== file) throw new UsageError(`sipflow convert takes one file, and ${file} is a directory`, 'convert');
  const result = validateScenarioFile(file, { placeholders: 'keep' });
  if (result.scenario === undefined) {
    for (const d of result.diagnostics) io.stderr.write(paint(err, d) + '\n');
    return 2;
  }
  const target = to ?? (result.format === 'sipflow' ? 'compact' : 'sipflow');
  const converted = target === 'compact' ? convertToCompact(result.scenario, { ids }) : convertToSipflow(result.scenario);
  for (const d of converted.warnings) io.stderr.write(paint(err, d) + '\n');
  io.stdout.write(stringifyScenario(converted.document));
  return 0;
}

function paint(style: Style, d: ScenarioDiagnostic): string {
  const text = formatDiagnostic(d);
  return d.severity === 'error' ? style.red(text) : style.yellow(text);
}
