// Converting between sipflow flow JSON and the compact format, both ways, keeping the meaning
// (the same compiled graph). Placeholders are kept as written, so no secret lands in the output.

import { COMMON_STEP_FIELDS, INSTANCE_FIELDS, type FieldSpec, KNOWN_CODECS, isCommandName, isEventName, stepSpec } from './catalog.js';
import { derivedStepId } from './compact-format.js';
import { DiagnosticSink, type ScenarioDiagnostic, ScenarioError } from './diagnostics.js';
import { authoredLabel, compiledIds, desktopLabel } from './graph.js';
import { effectiveInstance } from './instance-settings.js';
import { type LoadOptions, validateScenario } from './load.js';
import type { Scenario, ScenarioModel, ScenarioNode } from './model.js';
import { defineMember } from './placeholders.js';
import { reachability, nodeIndex } from './reach.js';
import type { CompactScenario } from './types.js';

/** A node of sipflow flow JSON as the desktop app saves it. */
export interface SipflowFlowNode {
  readonly id: string;
  readonly type: 'sipInstance' | 'command' | 'event';
  readonly position: { readonly x: number; readonly y: number };
  readonly data: Readonly<Record<string, unknown>>;
}

/** An edge of sipflow flow JSON. */
export interface SipflowFlowEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly sourceHandle: 'source';
  readonly targetHandle: 'target';
  readonly type: 'branch';
  readonly data: { readonly branchType: 'success' | 'failure' };
}

/** sipflow flow JSON: what the desktop app saves, and what {@link toSipflow} writes. */
export interface SipflowFlow {
  readonly name?: string;
  readonly description?: string;
  readonly nodes: readonly SipflowFlowNode[];
  readonly edges: readonly SipflowFlowEdge[];
}

/** Options of {@link toCompact}. */
export interface ToCompactOptions extends Omit<LoadOptions, 'placeholders'> {
  /**
   * `keep` (default): every step and instance keeps its id, so the compiled graph is the same,
   * ids included. `tidy`: instances are named by their label or DN, and only steps that another
   * step goes to keep an id (the others get ids from their place); easier to read, same meaning.
   */
  readonly ids?: 'keep' | 'tidy';
  /** A `$schema` to put at the top, e.g. `./node_modules/sipflow/schema/scenario.schema.json`. */
  readonly schema?: string;
}

/** What a conversion gives: the document, and what it had to leave out. */
export interface Conversion<T> {
  readonly document: T;
  /** The warnings of the input, and what the conversion left out (unreachable nodes). */
  readonly warnings: readonly ScenarioDiagnostic[];
}

/** Desktop app layout: one column per instance. */
const COLUMN_WIDTH = 320;
const ROW_HEIGHT = 160;

/**
 * Converts a scenario (either format; text, value or loaded {@link Scenario}) to the compact
 * format. Throws a {@link ScenarioError} when the input has errors. Nodes that no instance
 * reaches are left out (they never run); {@link convertToCompact} reports them.
 *
 * @example
 * ```ts
 * const compact = toCompact(readFileSync('desktop-export.json', 'utf8'), { ids: 'tidy' });
 * writeFileSync('call.json', stringifyScenario(compact));
 * ```
 */
export function toCompact(input: unknown, options: ToCompactOptions = {}): CompactScenario {
  return convertToCompact(input, options).document;
}

/** {@link toCompact}, with the warnings. */
export function convertToCompact(input: unknown, options: ToCompactOptions = {}): Conversion<CompactScenario> {
  const { scenario, warnings } = loadKept(input, options);
  const sink = new DiagnosticSink();
  const document = compactOf(scenario, options, sink);
  // Unreachable nodes are reported once, as left out.
  const kept = warnings.filter((w) => w.code !== 'unreachable');
  if (sink.hasErrors) throw new ScenarioError([...kept, ...sink.list]);
  return { document, warnings: [...kept, ...sink.list] };
}

/**
 * Converts a scenario (either format) to sipflow flow JSON, laid out one column per instance so
 * the desktop app shows it tidily. Every node names its instance (`sipInstanceId`), INCOMING its
 * `number`, and `register` is written out, as the desktop app needs. Throws a {@link ScenarioError}
 * when the input has errors.
 */
export function toSipflow(input: unknown, options: Omit<LoadOptions, 'placeholders'> = {}): SipflowFlow {
  return convertToSipflow(input, options).document;
}

/** {@link toSipflow}, with the warnings. */
export function convertToSipflow(input: unknown, options: Omit<LoadOptions, 'placeholders'> = {}): Conversion<SipflowFlow> {
  const { scenario, warnings } = loadKept(input, options);
  return { document: sipflowOf(scenario), warnings };
}

function loadKept(input: unknown, options: LoadOptions): { scenario: Scenario; warnings: readonly ScenarioDiagnostic[] } {
  if (isLoaded(input)) return { scenario: input, warnings: input.warnings };
  const result = validateScenario(input, { ...options, placeholders: 'keep' });
  if (result.scenario === undefined) throw new ScenarioError(result.diagnostics);
  return { scenario: result.scenario, warnings: result.warnings };
}

function isLoaded(input: unknown): input is Scenario {
  return typeof input === 'object' && input !== null && Array.isArray((input as Scenario).instances) && Array.isArray((input as Scenario).nodes) && typeof (input as Scenario).placeholders === 'string';
}

// --- to sipflow ------------------------------------------------------------------------------------

function sipflowOf(scenario: Scenario): SipflowFlow {
  const nodes: SipflowFlowNode[] = [];
  const edges: SipflowFlowEdge[] = [];
  const edgeIds = new Set<string>();
  const edge = (source: string, target: string, branchType: 'success' | 'failure'): void => {
    let id = branchType === 'success' ? `${source}-${target}` : `${source}-${target}-failure`;
    for (let n = 2; edgeIds.has(id); n++) id = `${source}-${target}-${branchType}-${n}`;
    edgeIds.add(id);
    edges.push({ id, source, target, sourceHandle: 'source', targetHandle: 'target', type: 'branch', data: { branchType } });
  };
  const byInstance = new Map<string, ScenarioNode[]>();
  for (const node of scenario.nodes) {
    const list = byInstance.get(node.instance!) ?? [];
    list.push(node);
    byInstance.set(node.instance!, list);
  }
  scenario.instances.forEach((instance, column) => {
    const e = effectiveInstance(instance, scenario.format);
    const data: Record<string, unknown> = { label: e.label, dn: e.dnAsWritten, register: e.register };
    for (const [name, value] of Object.entries(instance.settings)) {
      if (name === 'label' || name === 'dn' || name === 'register') continue;
      data[name] = name === 'pbxPort' && typeof value === 'number' ? String(value) : value;
    }
    if (data['codecs'] === undefined) data['codecs'] = [...KNOWN_CODECS];
    nodes.push({ id: instance.id, type: 'sipInstance', position: { x: column * COLUMN_WIDTH, y: 0 }, data: ordered(data, INSTANCE_FIELDS) });
    (byInstance.get(instance.id) ?? []).forEach((node, row) => {
      const nodeData: Record<string, unknown> = {
        label: authoredLabel(node) ?? desktopLabel(node.kind, node.name),
        [node.kind]: node.name,
        sipInstanceId: instance.id,
      };
      if (node.kind === 'event' && node.name === 'INCOMING' && e.dn !== '') nodeData['number'] = e.dnAsWritten;
      for (const [name, value] of Object.entries(node.fields)) if (name !== 'label') nodeData[name] = value;
      nodes.push({ id: node.id, type: node.kind, position: { x: column * COLUMN_WIDTH, y: (row + 1) * ROW_HEIGHT }, data: nodeData });
    });
    for (const start of instance.starts) edge(instance.id, start, 'success');
  });
  for (const node of scenario.nodes) {
    if (node.success !== undefined) edge(node.id, node.success, 'success');
    if (node.failure !== undefined) edge(node.id, node.failure, 'failure');
  }
  return {
    ...(scenario.name !== undefined ? { name: scenario.name } : {}),
    ...(scenario.description !== undefined ? { description: scenario.description } : {}),
    nodes,
    edges,
  };
}

/** The members of `data` with the known fields first, in the catalog's order. */
function ordered(data: Record<string, unknown>, specs: Readonly<Record<string, FieldSpec>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(specs)) if (data[key] !== undefined) out[key] = data[key];
  for (const [key, value] of Object.entries(data)) if (!(key in out) && value !== undefined) out[key] = value;
  return out;
}

// --- to compact ------------------------------------------------------------------------------------

function compactOf(scenario: Scenario, options: ToCompactOptions, sink: DiagnosticSink): CompactScenario {
  const model: ScenarioModel = { format: scenario.format, instances: [...scenario.instances], nodes: [...scenario.nodes] };
  const reach = reachability(model);
  const compiledId = compiledIds(model, reach);
  const byId = nodeIndex(model);
  const tidy = options.ids === 'tidy';
  const names = instanceNames(scenario, tidy);

  for (const node of scenario.nodes) {
    if (!reach.reachedBy.has(node.id)) {
      sink.warning('unreachable', `node ${node.id} is not reached from any instance, so the compact format leaves it out (it never ran)`, { nodeId: node.id, path: node.path });
    }
  }

  const instances: Record<string, unknown> = {};
  for (const instance of scenario.instances) {
    const name = names.get(instance.id)!;
    const e = effectiveInstance(instance, scenario.format);
    const settings: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(instance.settings)) settings[field] = value;
    // The defaults the formats differ on: dn and label default to the name, register to PBX mode.
    if (e.dnAsWritten === name) delete settings['dn'];
    else settings['dn'] = e.dnAsWritten;
    if (e.label === name) delete settings['label'];
    else settings['label'] = e.label;
    delete settings['register'];
    if (e.mode === 'pbx' && !e.register) settings['register'] = false;
    if (typeof settings['pbxPort'] === 'string' && /^\d+$/.test((settings['pbxPort'] as string).trim())) settings['pbxPort'] = Number(settings['pbxPort']);
    if (Array.isArray(settings['codecs'])) {
      if (e.codecs.length === 0) {
        sink.error('unknown-codec', `instance ${instance.id} offers no known codec; the compact format cannot say that`, { instanceId: instance.id, path: instance.fieldPaths['codecs'] ?? instance.path });
      } else if (e.codecs.length === KNOWN_CODECS.length && e.codecs.every((c, i) => c === KNOWN_CODECS[i])) delete settings['codecs'];
      else settings['codecs'] = [...e.codecs];
    }

    // The chains: each a list of steps; a step already written (a merge or a loop) is gone to by id.
    const emitted = new Set<string>();
    const stepOf = (node: ScenarioNode, id: string): Record<string, unknown> => {
      const spec = stepSpec(node.kind, node.name as never);
      const step: Record<string, unknown> = { id, [node.kind]: node.name };
      const callId = node.fields['callId'];
      if (typeof callId === 'string' && callId !== '' && callId !== COMMON_STEP_FIELDS.callId.default) step['callId'] = callId;
      for (const [field, fieldSpec] of Object.entries(spec.fields) as [string, FieldSpec][]) {
        const value = node.fields[field];
        if (value !== undefined && value !== fieldSpec.default) step[field] = value;
      }
      if (node.fields['timeout'] !== undefined) step['timeout'] = node.fields['timeout'];
      const label = authoredLabel(node);
      if (label !== undefined) step['label'] = label;
      return step;
    };
    /** A list of steps from `startId` along the success path; failure branches become nested lists afterwards. */
    const list = (startId: string): Record<string, unknown>[] => {
      const out: Record<string, unknown>[] = [];
      const failures: [Record<string, unknown>, string][] = [];
      let id: string | undefined = startId;
      while (id !== undefined) {
        const node: ScenarioNode = byId.get(id)!;
        const step = stepOf(node, compiledId(node.id, instance.id)!);
        out.push(step);
        emitted.add(node.id);
        if (node.failure !== undefined) failures.push([step, node.failure]);
        const next: string | undefined = node.success;
        if (next !== undefined && emitted.has(next)) {
          step['next'] = compiledId(next, instance.id);
          break;
        }
        id = next;
      }
      for (const [step, failure] of failures) step['onFailure'] = emitted.has(failure) ? compiledId(failure, instance.id) : list(failure);
      return out;
    };
    const chains: (Record<string, unknown>[] | string)[] = [];
    for (const start of instance.starts) chains.push(emitted.has(start) ? compiledId(start, instance.id)! : list(start));
    const entry: Record<string, unknown> = ordered(settings, INSTANCE_FIELDS);
    // One chain is written as steps, unless its ids came from being the first of chains.
    const first = chains[0];
    const wasChains = typeof first !== 'string' && first?.[0]?.['id'] === derivedStepId(['instances', name, 'chains', 0, 0]);
    if (chains.length === 1 && typeof first !== 'string' && !wasChains) entry['steps'] = first;
    else if (chains.length > 0) entry['chains'] = chains;
    defineMember(instances, name, entry);
  }

  const written = Object.keys(instances);
  const wanted = scenario.instances.map((i) => names.get(i.id)!);
  if (written.join('\u0000') !== wanted.join('\u0000')) {
    sink.warning(
      'instance-order',
      `the instances come out in the order ${written.join(', ')} instead of ${wanted.join(', ')}: in a JSON object, names that are whole numbers come first; instance order decides which port each instance gets in local mode`,
      { path: [] },
    );
  }
  return {
    ...(options.schema !== undefined ? { $schema: options.schema } : {}),
    ...(scenario.name !== undefined ? { name: scenario.name } : {}),
    ...(scenario.description !== undefined ? { description: scenario.description } : {}),
    instances: assignIds(instances, tidy) as CompactScenario['instances'],
  };
}

/** Keys of a compact step, in the order they are written. */
const STEP_KEY_ORDER = ['id', 'command', 'event', 'callId'];

/**
 * Writes step ids where they are needed, puts step keys in order, and turns field-less steps
 * into their name. `keep`: a step keeps its (compiled) id, written unless the id its place gives
 * it is the same. `tidy`: only steps that `next`, `onFailure` or a chain names get an id (the
 * one they had, unless the place of another step gives that id already).
 */
function assignIds(instances: Record<string, unknown>, tidy: boolean): Record<string, unknown> {
  type Step = Record<string, unknown>;
  const steps: { step: Step; derived: string }[] = [];
  const referenced = new Set<string>();
  const walk = (list: unknown, path: (string | number)[]): void => {
    if (!Array.isArray(list)) {
      if (typeof list === 'string') referenced.add(list);
      return;
    }
    list.forEach((step: Step, i) => {
      steps.push({ step, derived: derivedStepId(['instances', ...path, i]) });
      if (typeof step['next'] === 'string') referenced.add(step['next']);
      walk(step['onFailure'], [...path, i, 'onFailure']);
    });
  };
  for (const [name, entry] of Object.entries(instances) as [string, Step][]) {
    walk(entry['steps'], [name, 'steps']);
    if (Array.isArray(entry['chains'])) (entry['chains'] as unknown[]).forEach((chain, c) => walk(chain, [name, 'chains', c]));
  }
  const finalId = new Map<string, string>();
  const written = new Set<Step>();
  if (!tidy) {
    for (const { step, derived } of steps) {
      finalId.set(step['id'] as string, step['id'] as string);
      if (step['id'] !== derived) written.add(step);
    }
  } else {
    const taken = new Set(steps.filter(({ step }) => !referenced.has(step['id'] as string)).map(({ derived }) => derived));
    for (const { step, derived } of steps) {
      const id = step['id'] as string;
      if (!referenced.has(id)) continue;
      let chosen = id;
      for (let n = 2; taken.has(chosen); n++) chosen = `${id}-${n}`;
      taken.add(chosen);
      finalId.set(id, chosen);
      if (chosen !== derived) written.add(step);
    }
  }
  const rewrite = (list: unknown): unknown => {
    if (!Array.isArray(list)) return typeof list === 'string' ? (finalId.get(list) ?? list) : list;
    return list.map((step: Step) => {
      const out: Step = {};
      if (written.has(step)) out['id'] = finalId.get(step['id'] as string);
      for (const key of STEP_KEY_ORDER.slice(1)) if (step[key] !== undefined) out[key] = step[key];
      for (const [key, value] of Object.entries(step)) {
        if (key === 'id' || key in out || key === 'next' || key === 'onFailure') continue;
        out[key] = value;
      }
      if (step['next'] !== undefined) out['next'] = finalId.get(step['next'] as string) ?? step['next'];
      if (step['onFailure'] !== undefined) out['onFailure'] = rewrite(step['onFailure']);
      const keys = Object.keys(out);
      return keys.length === 1 && isShorthand(out[keys[0]!] as string) ? out[keys[0]!] : out;
    });
  };
  for (const entry of Object.values(instances) as Step[]) {
    if (entry['steps'] !== undefined) entry['steps'] = rewrite(entry['steps']);
    if (Array.isArray(entry['chains'])) entry['chains'] = (entry['chains'] as unknown[]).map(rewrite);
  }
  return instances;
}


/** Whether a name needs no fields, so a step of it can be just the name. */
function isShorthand(name: string): boolean {
  const spec = isCommandName(name) ? stepSpec('command', name) : isEventName(name) ? stepSpec('event', name) : undefined;
  return spec !== undefined && !Object.values(spec.fields).some((f: FieldSpec) => f.required);
}

/**
 * Instance names: the ids (keep), or each one's label or DN when that is unique and can be a
 * name as it is (tidy). Tidy keeps the ids when its names would come out in another order (a
 * JSON object puts names that are whole numbers first): instance order is scenario order.
 */
function instanceNames(scenario: Scenario, tidy: boolean): Map<string, string> {
  const ids = new Map(scenario.instances.map((i) => [i.id, i.id]));
  if (!tidy) return ids;
  const counts = new Map<string, number>();
  const candidates = scenario.instances.map((instance) => {
    const e = effectiveInstance(instance, scenario.format);
    // A name is a key, never filled: a candidate with a placeholder (or a $ at all) cannot be one.
    return [...new Set([e.label.trim(), e.dn].filter((c) => c !== '' && !c.includes('$')))];
  });
  for (const list of candidates) for (const c of list) counts.set(c, (counts.get(c) ?? 0) + 1);
  const used = new Set<string>();
  const names = new Map<string, string>();
  scenario.instances.forEach((instance, i) => {
    let name = candidates[i]!.find((c) => counts.get(c) === 1 && !used.has(c)) ?? instance.id;
    for (let n = 2; used.has(name); n++) name = `${instance.id}-${n}`;
    used.add(name);
    names.set(instance.id, name);
  });
  const probe: Record<string, true> = {};
  for (const name of names.values()) defineMember(probe, name, true);
  return Object.keys(probe).join('\u0000') === [...names.values()].join('\u0000') ? names : ids;
}
