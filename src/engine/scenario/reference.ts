// The reference part of docs/scenarios.md, rendered from the catalog: every command and event with
// its fields, defaults and timeout, the fields every step has, and the instance settings. The doc
// holds this text between two marker lines, and a test checks that it is still what this renders,
// so the doc cannot drift from the catalog.

import {
  COMMANDS,
  COMMON_STEP_FIELDS,
  DEFAULT_CALL_ID,
  EVENTS,
  INSTANCE_FIELDS,
  MAX_TIMEOUT_MS,
  type FieldKind,
  type FieldSpec,
  type StepSpec,
  type TimeoutSpec,
  type ValueCheck,
} from './catalog.js';

/** How each field kind is named in the type column. */
const KIND_NAMES: Readonly<Record<FieldKind, string>> = {
  string: 'string',
  boolean: 'boolean',
  number: 'number',
  'string-list': 'list of strings',
  port: 'port (number or digit string)',
  'port-range': '`{ "min": port, "max": port }`',
};

/** What each value check accepts, appended to a field's description. */
const CHECK_NOTES: Readonly<Record<ValueCheck, string>> = {
  target: 'Checked at load: a DN must belong to an instance of this scenario, and a URI must parse.',
  'dtmf-digits': 'Checked: only 0-9, *, #, A-D (upper case).',
  'dtmf-digit': 'Checked: one of 0-9, *, #, A-D (upper case), or empty.',
  file: 'Checked: the file exists, when the scenario is read from a file.',
  reason: 'Checked: one line of text.',
  'host-port': 'Checked: host or host:port.',
  user: 'Checked: a valid SIP URI user part.',
  ip: 'Checked: an IPv4 or IPv6 address literal.',
  transport: 'Checked: `UDP`, in any letter case.',
};

/** Makes prose safe as Markdown: a `*` (as in "0-9, *, #") is never read as emphasis. */
function prose(text: string): string {
  return text.replaceAll('*', '\\*');
}

/** Makes text safe inside a GitHub table cell: pipes escaped, no line breaks. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replaceAll('|', '\\|');
}

/** A value as it is written in JSON, in code style. */
function code(value: unknown): string {
  return `\`${JSON.stringify(value)}\``;
}

/** The type column: the JSON kind, whole numbers and ranges, sipflow's own kind. */
function typeOf(spec: FieldSpec): string {
  let text = spec.kind === 'number' && spec.integer === true ? 'integer' : KIND_NAMES[spec.kind];
  if (spec.min !== undefined && spec.max !== undefined) text += ` ${spec.min}–${spec.max}`;
  else if (spec.min !== undefined) text += ` ≥ ${spec.min}`;
  else if (spec.max !== undefined) text += ` ≤ ${spec.max}`;
  if (spec.sipflowKind !== undefined) text += `; a ${KIND_NAMES[spec.sipflowKind]} in sipflow JSON`;
  return text;
}

/** The required/default column. */
function requirement(spec: FieldSpec): string {
  if (spec.required === true) return 'required';
  if (spec.default !== undefined) return `default ${code(spec.default)}`;
  return '—';
}

/** The description column: the field's doc and what the validator checks beyond the type. */
function description(spec: FieldSpec): string {
  const values = spec.values === undefined ? '' : ` One of ${spec.values.map((v) => `\`${v}\``).join(', ')}.`;
  return prose(spec.check === undefined ? spec.doc + values : `${spec.doc}${values} ${CHECK_NOTES[spec.check]}`);
}

/** A table of fields, or a sentence when there are none. */
function fieldTable(fields: Readonly<Record<string, FieldSpec>>, none: string): string[] {
  const entries = Object.entries(fields);
  if (entries.length === 0) return [none];
  const rows = entries.map(
    ([name, spec]) => `| \`${cell(name)}\` | ${cell(typeOf(spec))} | ${cell(requirement(spec))} | ${cell(description(spec))} | ${spec.ours === true ? 'ours' : ''} |`,
  );
  return ['| field | type | required / default | description | ours |', '| --- | --- | --- | --- | --- |', ...rows];
}

/** What a timeout ≤ 0 does, from `nonPositive`. */
function nonPositiveText(timeout: TimeoutSpec): string {
  if (timeout.nonPositive === 'error') return 'A timeout ≤ 0 is an error.';
  if (timeout.nonPositive === undefined) return 'A timeout ≤ 0 is ignored, with a warning: the step has no bound of its own.';
  return `A timeout ≤ 0 is replaced by ${timeout.nonPositive} ms, with a warning.`;
}

/** The timeout line of a command or event. */
function timeoutText(timeout: TimeoutSpec): string {
  const byDefault = timeout.default === undefined ? 'no default' : `default ${timeout.default} ms`;
  return `**Timeout** (${byDefault}): ${prose(timeout.doc)} ${nonPositiveText(timeout)}`;
}

/** The section of one command or event. */
function stepSection(name: string, spec: StepSpec): string[] {
  const notes: string[] = [];
  if (spec.ours === true) notes.push('*Ours*: not in the sipflow desktop app.');
  if (spec.createsCall === true) notes.push('It creates the call under `callId`.');
  if (spec.noCall === true) notes.push('It works on no call: `callId` has no effect.');
  return [
    `#### ${name}`,
    '',
    prose(spec.doc),
    ...(notes.length > 0 ? ['', notes.join(' ')] : []),
    '',
    ...fieldTable(spec.fields, `No fields of its own (only the [common step fields](#common-step-fields)).`),
    '',
    timeoutText(spec.timeout),
    '',
  ];
}

/**
 * Renders the reference part of `docs/scenarios.md` from the catalog, as GitHub-flavoured
 * Markdown: the fields every step has, then each command and each event in catalog order (its
 * heading, what it does and when it succeeds or fails, a table of its fields with type,
 * required/default, description and an "ours" marker for additions to the sipflow desktop app, and
 * how its `timeout` works), then the instance settings.
 *
 * The output is deterministic (the same catalog gives the same text, ending with one newline).
 * docs/scenarios.md holds it between the lines
 * `<!-- reference:start (generated by scenarioReferenceMarkdown(); do not edit by hand) -->` and
 * `<!-- reference:end -->`, and a test checks that the two agree.
 *
 * @returns The Markdown text.
 * @example
 * ```ts
 * import { scenarioReferenceMarkdown } from './reference.js';
 * const markdown = scenarioReferenceMarkdown();
 * ```
 */
export function scenarioReferenceMarkdown(): string {
  const lines: string[] = [
    '### Common step fields',
    '',
    'Every command and event takes these, besides its own fields. A field marked *ours* is not in the sipflow desktop app.',
    '',
    ...fieldTable(COMMON_STEP_FIELDS, ''),
    '',
    `A \`timeout\` that is not a whole number is cut to whole milliseconds, with a warning. The longest is ${MAX_TIMEOUT_MS} ms (about ${Math.floor(MAX_TIMEOUT_MS / 8_640_000) / 10} days). An empty \`callId\` means \`${DEFAULT_CALL_ID}\`.`,
    '',
    '### Commands',
    '',
  ];
  for (const [name, spec] of Object.entries(COMMANDS) as [string, StepSpec][]) lines.push(...stepSection(name, spec));
  lines.push('### Events', '');
  for (const [name, spec] of Object.entries(EVENTS) as [string, StepSpec][]) lines.push(...stepSection(name, spec));
  lines.push(
    '### Instance settings',
    '',
    'In sipflow JSON they are the `data` of a `sipInstance` node. In the compact format they sit beside the instance\'s `steps`.',
    '',
    ...fieldTable(INSTANCE_FIELDS, ''),
    '',
  );
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The line before the generated reference in docs/scenarios.md. */
export const REFERENCE_START = '<!-- reference:start (generated by scenarioReferenceMarkdown(); do not edit by hand) -->';

/** The line after the generated reference in docs/scenarios.md. */
export const REFERENCE_END = '<!-- reference:end -->';

/**
 * Returns `markdown` with the text between its {@link REFERENCE_START} and {@link REFERENCE_END}
 * lines replaced by {@link scenarioReferenceMarkdown} (with one blank line on each side): how
 * docs/scenarios.md is brought up to date after the catalog changes. `undefined` when the marker
 * lines are missing, repeated or out of order.
 *
 * @param markdown The text of docs/scenarios.md.
 * @returns The updated text, or `undefined`.
 * @example
 * ```ts
 * const doc = readFileSync('docs/scenarios.md', 'utf8');
 * const updated = withScenarioReference(doc);
 * if (updated !== undefined) writeFileSync('docs/scenarios.md', updated);
 * ```
 */
export function withScenarioReference(markdown: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.indexOf(REFERENCE_START);
  const end = lines.indexOf(REFERENCE_END);
  if (start < 0 || end < start || lines.lastIndexOf(REFERENCE_START) !== start || lines.lastIndexOf(REFERENCE_END) !== end) return undefined;
  return [...lines.slice(0, start + 1), '', ...scenarioReferenceMarkdown().split('\n'), ...lines.slice(end)].join('\n');
}
