// The scenario entry points: validate (never throws), load (throws on errors), compile (to the
// execution graph), for either format, from text, bytes, a file or a JavaScript value.

import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { readCompactScenario } from './compact-format.js';
import { DiagnosticSink, ScenarioError, type ScenarioDiagnostic } from './diagnostics.js';
import { isObject } from './fields.js';
import { type ExecutionGraph, buildGraph } from './graph.js';
import { DEFAULT_SCENARIO_LIMITS, type InputDocument, type ScenarioLimits, locator, positionDiagnostics, readInput } from './input.js';
import { type JsonLocation, type JsonValue, locate } from './jsonc.js';
import type { Scenario, ScenarioFormat, ScenarioModel } from './model.js';
import { type PlaceholderSource, fillPlaceholders, pathKey } from './placeholders.js';
import { readSipflowFlow } from './sipflow-format.js';
import { validateModel } from './validate.js';

/** Options of {@link loadScenario}, {@link validateScenario} and {@link compileScenario}. */
export interface LoadOptions extends PlaceholderSource {
  /** The file name to put in diagnostics (the file functions set it). */
  readonly file?: string;
  /** Where relative PlayAudio paths resolve, and whether files are checked; the file's directory for the file functions. */
  readonly baseDir?: string;
  /**
   * Accept PlayAudio and ExpectAudio files outside {@link baseDir}. By default a path that leads
   * out of the scenario's directory (`..`, an absolute path elsewhere, a symbolic link out) is
   * the error `file-outside`: a scenario file may come from anyone. Default false.
   */
  readonly allowOutsideFiles?: boolean;
  /** Which format the input is in; detected when left out (`nodes`/`edges` → sipflow, `instances` → compact). */
  readonly format?: ScenarioFormat;
  /** Limits against hostile input; see {@link DEFAULT_SCENARIO_LIMITS}. */
  readonly limits?: Partial<ScenarioLimits>;
  /**
   * `fill` (default): replace `${NAME}` placeholders from `vars` or the environment.
   * `keep`: leave them as written (for converting a file without putting secrets in the output).
   */
  readonly placeholders?: 'fill' | 'keep';
}

/** What {@link validateScenario} finds. */
export interface ValidationResult {
  /** No errors (there may be warnings). */
  readonly ok: boolean;
  /** The format the input was read as, when it could be told. */
  readonly format: ScenarioFormat | undefined;
  /** Every error and warning, in document order when the input was text. */
  readonly diagnostics: readonly ScenarioDiagnostic[];
  readonly errors: readonly ScenarioDiagnostic[];
  readonly warnings: readonly ScenarioDiagnostic[];
  /** The scenario, when there were no errors. */
  readonly scenario: Scenario | undefined;
}

/** What a loaded scenario keeps for compiling: the source locations. */
const loaded = new WeakMap<Scenario, { model: ScenarioModel; location: JsonLocation | undefined }>();

/**
 * Checks a scenario in either format and reports every error and warning at once, each with its
 * node or step, field, JSON path and (for text) line and column. Never throws.
 *
 * @param input JSON text (comments and trailing commas allowed), its bytes, or a JavaScript value.
 * @example
 * ```ts
 * const result = validateScenario(readFileSync('call.json', 'utf8'), { file: 'call.json' });
 * for (const d of result.diagnostics) console.log(formatDiagnostic(d));
 * ```
 */
export function validateScenario(input: unknown, options: LoadOptions = {}): ValidationResult {
  try {
    return validate(input, options);
  } catch (err) {
    // A bug of ours must not become a crash of the caller: report it as an error.
    const diagnostic: ScenarioDiagnostic = { severity: 'error', code: 'not-a-scenario', message: `internal error while validating: ${(err as Error)?.message ?? String(err)}`, path: [] };
    return { ok: false, format: undefined, diagnostics: [diagnostic], errors: [diagnostic], warnings: [], scenario: undefined };
  }
}

function validate(input: unknown, options: LoadOptions): ValidationResult {
  const limits: ScenarioLimits = { ...DEFAULT_SCENARIO_LIMITS, ...options.limits };
  const mode = options.placeholders ?? 'fill';
  const sink = new DiagnosticSink();
  const doc = readInput(input, limits, sink);
  let format: ScenarioFormat | undefined;
  let model: ScenarioModel | undefined;
  if (doc !== undefined) {
    format = options.format ?? detectFormat(doc.value);
    if (format === undefined) {
      sink.error('not-a-scenario', 'not a scenario: expected "instances" (the compact format) or "nodes" and "edges" (sipflow flow JSON)', { path: [] });
    } else if (withinNodeLimit(doc.value, format, limits, sink)) {
      const filled = fillPlaceholders(doc.value, options, mode, sink);
      const ctx = { format, sink, whole: filled.whole, opaque: filled.opaque, placeholders: mode };
      model = format === 'sipflow' ? readSipflowFlow(filled.value, ctx) : readCompactScenario(filled.value, ctx, memberOrder(doc.location, ['instances']));
      validateModel(model, { sink, baseDir: options.baseDir, allowOutsideFiles: options.allowOutsideFiles === true, placeholders: mode, opaque: filled.opaque });
    }
  }
  return result(model === undefined ? sink.list : withOwners(sink.list, model), doc, format, model, options, mode);
}

/**
 * Fills in the node, instance and field of diagnostics found before the model existed (a
 * placeholder that is not set, a duplicate key …) from their path: the node or instance whose
 * path is the longest prefix of theirs owns them.
 */
function withOwners(list: readonly ScenarioDiagnostic[], model: ScenarioModel): ScenarioDiagnostic[] {
  const owners = new Map<string, { nodeId?: string; instanceId?: string; length: number }>();
  for (const i of model.instances) owners.set(pathKey(i.path), { instanceId: i.id, length: i.path.length });
  for (const n of model.nodes) owners.set(pathKey(n.path), { nodeId: n.id, ...(n.instance !== undefined ? { instanceId: n.instance } : {}), length: n.path.length });
  return list.map((d) => {
    if (d.nodeId !== undefined || (d.instanceId !== undefined && d.field !== undefined)) return d;
    for (let length = d.path.length; length > 0; length--) {
      const owner = owners.get(pathKey(d.path.slice(0, length)));
      if (owner === undefined) continue;
      // The field: the member right under the node (under its data, in sipflow JSON).
      let at = owner.length;
      if (model.format === 'sipflow' && /^data$/i.test(String(d.path[at]))) at++;
      const field = typeof d.path[at] === 'string' ? (d.path[at] as string) : undefined;
      return {
        ...d,
        ...(owner.nodeId !== undefined ? { nodeId: owner.nodeId } : {}),
        ...(d.instanceId === undefined && owner.instanceId !== undefined ? { instanceId: owner.instanceId } : {}),
        ...(d.field === undefined && field !== undefined ? { field } : {}),
      };
    }
    return d;
  });
}

function result(
  list: readonly ScenarioDiagnostic[],
  doc: InputDocument | undefined,
  format: ScenarioFormat | undefined,
  model: ScenarioModel | undefined,
  options: LoadOptions,
  mode: 'fill' | 'keep',
): ValidationResult {
  let diagnostics = positionDiagnostics(list, doc?.location);
  if (options.file !== undefined) diagnostics = diagnostics.map((d) => ({ ...d, file: options.file }));
  if (doc?.text !== undefined) {
    diagnostics = diagnostics
      .map((d, i) => [d, i] as const)
      .sort(([a, i], [b, j]) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || i - j)
      .map(([d]) => d);
  }
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  let scenario: Scenario | undefined;
  if (errors.length === 0 && model !== undefined && format !== undefined) {
    scenario = Object.freeze({
      format,
      ...(model.name !== undefined ? { name: model.name } : {}),
      ...(model.description !== undefined ? { description: model.description } : {}),
      instances: model.instances,
      nodes: model.nodes,
      warnings,
      ...(options.file !== undefined ? { file: options.file } : {}),
      ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
      placeholders: mode === 'fill' ? 'filled' : 'kept',
    } satisfies Scenario);
    loaded.set(scenario, { model, location: doc?.location });
  }
  return { ok: errors.length === 0, format, diagnostics, errors, warnings, scenario };
}

/** The member names of the object at `path` in the order the text has them (undefined without text). */
function memberOrder(location: JsonLocation | undefined, path: readonly string[]): string[] | undefined {
  const found = locate(location, path);
  if (found === undefined || found.matched !== path.length || found.location.children === undefined) return undefined;
  return [...found.location.children.keys()].filter((k): k is string => typeof k === 'string');
}

/** Which format a parsed document is in: `nodes`/`edges` (any case, as Go reads them) → sipflow, `instances` → compact, `{}` → sipflow (a new desktop scenario). */
export function detectFormat(doc: JsonValue): ScenarioFormat | undefined {
  if (doc === null) return 'sipflow';
  if (!isObject(doc)) return undefined;
  const keys = Object.keys(doc);
  if (keys.includes('instances')) return 'compact';
  if (keys.some((k) => /^(nodes|edges)$/i.test(k)) || keys.every((k) => k === '$schema' || k === 'name' || k === 'description')) return 'sipflow';
  return undefined;
}

/** The node-count limit, checked before reading. */
function withinNodeLimit(doc: JsonValue, format: ScenarioFormat, limits: ScenarioLimits, sink: DiagnosticSink): boolean {
  let count = 0;
  if (isObject(doc)) {
    if (format === 'sipflow') {
      for (const [key, value] of Object.entries(doc)) if (/^(nodes|edges)$/i.test(key) && Array.isArray(value)) count += value.length;
    } else {
      const stack: JsonValue[] = [doc['instances'] ?? null];
      while (stack.length > 0 && count <= limits.maxNodes) {
        const v = stack.pop()!;
        if (Array.isArray(v)) {
          count += v.length;
          for (let i = 0; i < v.length && count <= limits.maxNodes; i++) stack.push(v[i]!);
        } else if (isObject(v)) {
          for (const [key, item] of Object.entries(v)) if (key === 'steps' || key === 'chains' || key === 'onFailure' || v === doc['instances']) stack.push(item);
          if (v === doc['instances']) count += Object.keys(v).length;
        }
      }
    }
  }
  if (count > limits.maxNodes) {
    sink.error('limit', `the scenario has more than ${limits.maxNodes} ${format === 'sipflow' ? 'nodes and edges' : 'instances and steps'}, the limit`, { path: [] });
    return false;
  }
  return true;
}

/**
 * Reads and validates a scenario in either format; throws a {@link ScenarioError} holding every
 * diagnostic when it has errors. Warnings are on the result.
 *
 * sipflow flow JSON saved by the desktop app is accepted unchanged and means what it meant there
 * (docs/scenarios.md lists where we differ).
 *
 * @example
 * ```ts
 * const scenario = loadScenario({
 *   instances: {
 *     alice: { steps: [{ command: 'MakeCall', targetUri: 'bob' }, 'Release'] },
 *     bob: { steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
 *   },
 * });
 * ```
 */
export function loadScenario(input: unknown, options: LoadOptions = {}): Scenario {
  const result = validateScenario(input, options);
  if (result.scenario === undefined) throw new ScenarioError(result.diagnostics);
  return result.scenario;
}

/** {@link validateScenario} on a file: `file` and `baseDir` come from its path; never throws. */
export function validateScenarioFile(path: string, options: Omit<LoadOptions, 'file'> = {}): ValidationResult {
  const limits: ScenarioLimits = { ...DEFAULT_SCENARIO_LIMITS, ...options.limits };
  const withFile = { baseDir: dirname(resolvePath(path)), ...options, file: path };
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > limits.maxBytes) {
      const d: ScenarioDiagnostic = { severity: 'error', code: 'limit', message: `the scenario is ${size} bytes, more than the limit of ${limits.maxBytes}`, path: [], file: path };
      return { ok: false, format: undefined, diagnostics: [d], errors: [d], warnings: [], scenario: undefined };
    }
    bytes = readFileSync(path);
  } catch (err) {
    const d: ScenarioDiagnostic = { severity: 'error', code: 'not-a-scenario', message: `cannot read the scenario: ${(err as Error).message}`, path: [], file: path };
    return { ok: false, format: undefined, diagnostics: [d], errors: [d], warnings: [], scenario: undefined };
  }
  return validateScenario(bytes, withFile);
}

/** {@link loadScenario} on a file: relative PlayAudio paths resolve against its directory. */
export function loadScenarioFile(path: string, options: Omit<LoadOptions, 'file'> = {}): Scenario {
  const result = validateScenarioFile(path, options);
  if (result.scenario === undefined) throw new ScenarioError(result.diagnostics);
  return result.scenario;
}

/**
 * The execution graph of a scenario: instances with every setting resolved, their start nodes,
 * and every reachable node with its instance, fields (defaults applied), timeout, and success and
 * failure successors. Immutable and deterministic. Takes a loaded {@link Scenario} or anything
 * {@link loadScenario} takes (loading it first); throws a {@link ScenarioError} on errors.
 *
 * @example
 * ```ts
 * const graph = compileScenario(loadScenarioFile('examples/basic-call.json'));
 * for (const instance of graph.instances) console.log(instance.id, instance.startNodes);
 * ```
 */
export function compileScenario(input: Scenario | unknown, options: LoadOptions = {}): ExecutionGraph {
  let scenario = input as Scenario;
  let state = loaded.get(scenario);
  if (state === undefined) {
    scenario = loadScenario(input, options);
    state = loaded.get(scenario)!;
  }
  if (scenario.placeholders === 'kept') {
    throw new ScenarioError([
      { severity: 'error', code: 'variable', message: 'this scenario was loaded with placeholders kept; load it again with its variables to run it', path: [] },
    ]);
  }
  return buildGraph(state.model, { ...(scenario.file !== undefined ? { file: scenario.file } : {}), ...(scenario.baseDir !== undefined ? { baseDir: scenario.baseDir } : {}) }, locator(state.location, scenario.file));
}
