import { suggest } from './did-you-mean.js';

// What the scenario loader and validator report: every problem with where it is (JSON path, node,
// field, file:line:column), as data; and the one error type that carries them when a caller asked
// for a scenario that has errors.

/** A path into the input document: object member names and array indexes, from the root. */
export type JsonPath = readonly (string | number)[];

/** How bad a problem is: an error stops the scenario from loading; a warning is reported and the scenario runs. */
export type DiagnosticSeverity = 'error' | 'warning';

/**
 * What kind of problem a diagnostic reports. Stable: tools may match on it.
 *
 * - `syntax`: the text is not JSON (with comments and trailing commas).
 * - `limit`: a limit against hostile files was exceeded (size, nodes, depth, string length).
 * - `not-a-scenario`: neither format's top-level shape.
 * - `unmarshal`: a sipflow envelope, node or edge value of the wrong JSON type (sipflow's
 *   "failed to unmarshal flowData").
 * - `duplicate-key`: an object member given twice (the last is used).
 * - `no-instances`, `unknown-instance`, `unknown-number`, `missing-instance`: instance resolution.
 * - `unsupported-command`, `unsupported-event`, `missing-command`, `missing-event`, `bad-step`: the
 *   command or event of a node or step.
 * - `missing-field`, `invalid-value`, `wrong-type`, `unknown-field`, `ignored-field`: node, step and
 *   instance fields.
 * - `default-used`: a value sipflow replaces by a default (a timeout ≤ 0, an empty codec list …).
 * - `duplicate-dn`, `unsupported-transport`, `unknown-target`, `file-not-found`, `duplicate-id`,
 *   `duplicate-address`: values that clash or point nowhere.
 * - `unknown-step`, `cross-instance`: a compact step's `next` or `onFailure` names no step of its
 *   instance.
 * - `command-cycle`: a loop of commands with no event to wait on (it would spin).
 * - `unreachable`: a node no chain reaches (it never runs).
 * - `unknown-call`: a step uses a callId that no step of its instance creates.
 * - `duplicate-edge`, `dangling-edge`, `instance-mismatch`, `ignored-node`: sipflow edges and nodes
 *   that sipflow handles silently in a surprising way.
 * - `unknown-codec`, `local-register`: instance settings sipflow ignores.
 * - `variable`: a `${NAME}` placeholder that is malformed or not set.
 * - `instance-order`: a conversion could not keep the order of the instances.
 */
export type DiagnosticCode =
  | 'syntax'
  | 'limit'
  | 'not-a-scenario'
  | 'unmarshal'
  | 'duplicate-key'
  | 'no-instances'
  | 'unknown-instance'
  | 'unknown-number'
  | 'missing-instance'
  | 'unsupported-command'
  | 'unsupported-event'
  | 'missing-command'
  | 'missing-event'
  | 'bad-step'
  | 'missing-field'
  | 'invalid-value'
  | 'wrong-type'
  | 'unknown-field'
  | 'ignored-field'
  | 'default-used'
  | 'duplicate-dn'
  | 'unsupported-transport'
  | 'unknown-target'
  | 'file-not-found'
  | 'file-outside'
  | 'duplicate-id'
  | 'duplicate-address'
  | 'unknown-step'
  | 'cross-instance'
  | 'command-cycle'
  | 'unreachable'
  | 'unknown-call'
  | 'duplicate-edge'
  | 'dangling-edge'
  | 'instance-mismatch'
  | 'ignored-node'
  | 'unknown-codec'
  | 'local-register'
  | 'variable'
  | 'instance-order';

/**
 * One problem found in a scenario.
 *
 * `path` always says where in the document; `line` and `column` (1-based) are there when the
 * scenario was given as text; `file` when it was read from a file or the caller named it.
 */
export interface ScenarioDiagnostic {
  readonly severity: DiagnosticSeverity;
  readonly code: DiagnosticCode;
  /** What is wrong, in sipflow's words where sipflow has them. */
  readonly message: string;
  /** The node id (sipflow) or step id, given or derived (compact), when the problem belongs to one. */
  readonly nodeId?: string;
  /** The instance (its sipflow node id or compact name), when the problem belongs to one. */
  readonly instanceId?: string;
  /** The field of the node, step or instance, e.g. `targetUri`. */
  readonly field?: string;
  /** Where in the input document, e.g. `['nodes', 3, 'data', 'targetUri']`. */
  readonly path: JsonPath;
  /** A near miss for an unknown name (`did you mean …`), when there is one. */
  readonly suggestion?: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * Thrown by {@link loadScenario}, {@link compileScenario} and the converters when a scenario has
 * errors. `diagnostics` holds every error and warning found, in document order; `message` lists
 * the errors.
 *
 * @example
 * ```ts
 * try { loadScenario(text, { file: 'call.json' }); }
 * catch (err) {
 *   if (err instanceof ScenarioError) for (const d of err.errors) console.error(formatDiagnostic(d));
 * }
 * ```
 */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  /** Every error and warning found. */
  readonly diagnostics: readonly ScenarioDiagnostic[];

  constructor(diagnostics: readonly ScenarioDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const shown = errors.slice(0, 5).map(formatDiagnostic);
    const more = errors.length > shown.length ? `\n… and ${errors.length - shown.length} more` : '';
    super(errors.length === 1 ? shown[0] : `${errors.length} errors in scenario:\n${shown.join('\n')}${more}`);
    this.diagnostics = diagnostics;
  }

  /** The errors among {@link diagnostics}. */
  get errors(): readonly ScenarioDiagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }
}

/**
 * One line for a diagnostic, as compilers print them:
 * `file:line:column: error: message (node n1, field targetUri; did you mean …?)`.
 * Without a file or position, the JSON path stands in for them.
 */
export function formatDiagnostic(d: ScenarioDiagnostic): string {
  const where =
    d.line !== undefined ? `${d.file ?? '<input>'}:${d.line}:${d.column ?? 1}` : `${d.file ? `${d.file}: ` : ''}${formatPath(d.path)}`;
  const about: string[] = [];
  const name = (id: string): string => (id === '' ? '""' : id);
  if (d.nodeId !== undefined) about.push(`node ${name(d.nodeId)}`);
  else if (d.instanceId !== undefined) about.push(`instance ${name(d.instanceId)}`);
  if (d.field !== undefined) about.push(`field ${d.field}`);
  const context = about.length > 0 ? ` (${about.join(', ')})` : '';
  const hint = d.suggestion !== undefined && !d.message.includes('did you mean') ? `; did you mean ${JSON.stringify(d.suggestion)}?` : '';
  return `${where}: ${d.severity}: ${d.message}${context}${hint}`;
}

/** A JSON path as JavaScript would write it: `nodes[3].data.targetUri`, `instances.alice.steps[0]`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * How many names all the "did you mean" searches of one validation may compare in total. A file
 * with thousands of unknown ids among thousands of known ones would otherwise cost minutes;
 * past the budget the diagnostics simply carry no suggestion.
 */
const SUGGESTION_BUDGET = 200_000;

/** Collects diagnostics while a scenario is read; the readers and the validator share one. */
export class DiagnosticSink {
  readonly list: ScenarioDiagnostic[] = [];
  private compared = 0;

  /** {@link suggest} among candidates that grow with the file (ids, DNs, call keys), within the budget. */
  suggestAmong(name: string, candidates: Iterable<string>): string | undefined {
    const list: string[] = [];
    for (const c of candidates) {
      if (this.compared + list.length >= SUGGESTION_BUDGET) return undefined;
      list.push(c);
    }
    this.compared += list.length;
    return suggest(name, list);
  }

  error(code: DiagnosticCode, message: string, at: DiagnosticPlace): void {
    this.list.push({ severity: 'error', code, message, ...at });
  }

  warning(code: DiagnosticCode, message: string, at: DiagnosticPlace): void {
    this.list.push({ severity: 'warning', code, message, ...at });
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
}

/** Where a diagnostic points: everything of {@link ScenarioDiagnostic} but what it says. */
export type DiagnosticPlace = Omit<ScenarioDiagnostic, 'severity' | 'code' | 'message'>;
