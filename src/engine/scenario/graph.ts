// The execution graph: what the executor runs and the reports draw. Immutable (deep-frozen) and
// deterministic: the same scenario, in either format, gives the same graph.

import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { AudioCodecName } from '../../sdp/codecs.js';
import { type CommandName, type EventName, type FieldSpec, type StepSpec, stepSpec } from './catalog.js';
import { type CallTarget, resolveTarget } from './check-values.js';
import type { JsonPath } from './diagnostics.js';
import { effectiveInstance } from './instance-settings.js';
import type { ScenarioFormat, ScenarioModel, ScenarioNode } from './model.js';
import { type Reachability, reachability } from './reach.js';
import type { CommandFields, EventFields } from './types.js';
import { callIdOf } from './validate.js';

export type { CallTarget } from './check-values.js';

/** Where a graph element came from in the scenario document. */
export interface SourceRef {
  /** The JSON path of the node, step or instance. */
  readonly path: JsonPath;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/** An instance with every setting resolved. */
export interface CompiledInstance {
  /** The instance key: the sipflow node id or the compact name. */
  readonly id: string;
  /** The DN, trimmed; '' when sipflow JSON gave none. */
  readonly dn: string;
  /** The user part of From and Contact: the DN, or the instance id when there is no DN. */
  readonly user: string;
  readonly label: string;
  /** Display name in From: `displayName`, else the label when it is not empty. */
  readonly displayName: string | undefined;
  readonly color: string | undefined;
  /** Audio codecs to offer, in order (telephone-event is added last by the engine). */
  readonly codecs: readonly AudioCodecName[];
  /** `pbx` when a PBX host is set. */
  readonly mode: 'local' | 'pbx';
  /** The PBX (registrar, and where DN targets are called) in PBX mode. */
  readonly pbx: { readonly host: string; readonly port: number | undefined; readonly transport: 'UDP' } | undefined;
  /** Whether the instance REGISTERs before the run (PBX mode only). */
  readonly register: boolean;
  readonly registerIntervalSeconds: number;
  readonly authUsername: string;
  readonly password: string | undefined;
  /** Address to bind; the engine's default for the mode when undefined. */
  readonly host: string | undefined;
  /** Port to bind, used as is; allocated from the run's base when undefined. */
  readonly port: number | undefined;
  readonly rtpPortRange: { readonly min: number; readonly max: number } | undefined;
  readonly userAgent: string | undefined;
  readonly autoRinging: boolean;
  /** Record every call: the received audio (`mono`), both directions (`stereo`), or not at all. */
  readonly record: 'off' | 'mono' | 'stereo';
  /** The nodes its chains start at, in order; each begins its own chain. */
  readonly startNodes: readonly string[];
  readonly source: SourceRef;
}

/** What every compiled node has. */
export interface CompiledNodeBase {
  /**
   * Stable id: the sipflow node id or the compact step id. A sipflow node that chains of several
   * instances reach runs once per instance; its copies for other instances than its own are
   * `<id>@<instance>`.
   */
  readonly id: string;
  /** The instance it runs on (the chain's instance). */
  readonly instance: string;
  /** Its call key (`call-1` when none was given). */
  readonly callId: string;
  /** Its timeout in ms, defaults applied; `undefined` when the step has no bound of its own. */
  readonly timeoutMs: number | undefined;
  /** A label given by the author (not the desktop app's default label). */
  readonly label: string | undefined;
  /** The node to run after a success; the chain ends when undefined. */
  readonly onSuccess: string | undefined;
  /** The node to run after a failure; the run fails when undefined. */
  readonly onFailure: string | undefined;
  readonly source: SourceRef;
}

/** A compiled command node. */
export type CompiledCommandNode<K extends CommandName = CommandName> = K extends CommandName
  ? CompiledNodeBase & {
      readonly kind: 'command';
      readonly name: K;
      readonly fields: CommandFields<K>;
      /** MakeCall and BlindTransfer: where the call or transfer goes, resolved. */
      readonly target: K extends 'MakeCall' ? CallTarget : K extends 'BlindTransfer' ? CallTarget : undefined;
    }
  : never;

/** A compiled event node. */
export type CompiledEventNode<K extends EventName = EventName> = K extends EventName
  ? CompiledNodeBase & { readonly kind: 'event'; readonly name: K; readonly fields: EventFields<K>; readonly target: undefined }
  : never;

/** A node of the execution graph. */
export type CompiledNode = CompiledCommandNode | CompiledEventNode;

/** The execution graph of a scenario. */
export interface ExecutionGraph {
  readonly name: string | undefined;
  readonly description: string | undefined;
  /** Instances in scenario order. */
  readonly instances: readonly CompiledInstance[];
  /** Nodes in a fixed order: instance by instance, each chain depth first, success before failure. Only reachable nodes. */
  readonly nodes: readonly CompiledNode[];
  /** Where the scenario came from. */
  readonly source: { readonly format: ScenarioFormat; readonly file?: string; readonly baseDir?: string };
  /** An instance by id. */
  instance(id: string): CompiledInstance | undefined;
  /** A node by id. */
  node(id: string): CompiledNode | undefined;
}

/** Locates a JSON path in the source text, when there is one. */
export type Locator = (path: JsonPath) => SourceRef;

/**
 * Compiles a validated model (no errors) into the execution graph.
 * @internal used by compileScenario, which validates first.
 */
export function buildGraph(
  model: ScenarioModel,
  origin: { file?: string; baseDir?: string },
  locate: Locator,
): ExecutionGraph {
  const reach = reachability(model);
  const effective = new Map(model.instances.map((i) => [i.id, effectiveInstance(i, model.format)]));
  const dns = new Map<string, string>();
  for (const [id, e] of effective) if (e.dn !== '' && !dns.has(e.dn)) dns.set(e.dn, id);

  const compiledId = compiledIds(model, reach);

  const instances = model.instances.map((instance): CompiledInstance => {
    const e = effective.get(instance.id)!;
    return {
      id: instance.id,
      dn: e.dn,
      user: e.dn !== '' ? e.dn : instance.id,
      label: e.label,
      displayName: e.displayName,
      color: e.color,
      codecs: e.codecs,
      mode: e.mode,
      pbx: e.mode === 'pbx' ? { host: e.pbxHost, port: e.pbxPort, transport: 'UDP' } : undefined,
      register: e.register,
      registerIntervalSeconds: e.registerIntervalSeconds,
      authUsername: e.authUsername,
      password: e.password,
      host: e.host,
      port: e.port,
      rtpPortRange: e.rtpPortRange,
      userAgent: e.userAgent,
      autoRinging: e.autoRinging,
      record: e.record,
      startNodes: instance.starts.map((id) => compiledId(id, instance.id)!),
      source: locate(instance.path),
    };
  });

  const nodes: CompiledNode[] = [];
  for (const instance of model.instances) {
    for (const node of reach.byInstance.get(instance.id) ?? []) {
      nodes.push(compileNode(node, instance.id, compiledId, dns, locate, origin.baseDir));
    }
  }
  return freezeGraph({
    name: model.name,
    description: model.description,
    instances,
    nodes,
    source: { format: model.format, ...(origin.file !== undefined ? { file: origin.file } : {}), ...(origin.baseDir !== undefined ? { baseDir: origin.baseDir } : {}) },
  });
}

/**
 * The compiled id of each (node, instance) pair: a node reached from several instances gets one
 * copy per instance; the copy on its own instance (or the first, when its own does not reach it)
 * keeps the node id, the others are `<id>@<instance>`.
 */
export function compiledIds(model: ScenarioModel, reach: Reachability): (id: string | undefined, instance: string) => string | undefined {
  const taken = new Set([...model.nodes.map((n) => n.id), ...model.instances.map((i) => i.id)]);
  const idFor = new Map<string, string>(); // `${node}\0${instance}` → compiled id
  for (const node of model.nodes) {
    const by = reach.reachedBy.get(node.id);
    if (by === undefined) continue;
    const owner = node.instance !== undefined && by.includes(node.instance) ? node.instance : by[0]!;
    for (const instance of by) {
      let id = node.id;
      if (instance !== owner) {
        id = `${node.id}@${instance}`;
        for (let n = 2; taken.has(id); n++) id = `${node.id}@${instance}#${n}`;
        taken.add(id);
      }
      idFor.set(`${node.id}\u0000${instance}`, id);
    }
  }
  return (id, instance) => (id === undefined ? undefined : idFor.get(`${id}\u0000${instance}`));
}

function compileNode(
  node: ScenarioNode,
  instance: string,
  compiledId: (id: string | undefined, instance: string) => string | undefined,
  dns: ReadonlyMap<string, string>,
  locate: Locator,
  baseDir: string | undefined,
): CompiledNode {
  const spec: StepSpec = stepSpec(node.kind, node.name as never);
  const fields: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec.fields) as [string, FieldSpec][]) {
    const given = node.fields[name];
    fields[name] = given !== undefined ? normalize(given, field, baseDir) : field.default;
  }
  const callId = callIdOf(node);
  if (node.name === 'MuteTransfer' && (fields['primaryCallId'] === undefined || fields['primaryCallId'] === '')) fields['primaryCallId'] = callId;
  let target: CallTarget | undefined;
  if (node.name === 'MakeCall' || node.name === 'BlindTransfer') {
    const uri = fields['targetUri'];
    const text = typeof uri === 'string' && uri.trim() !== '' ? uri : `sip:${String(fields['targetUser'])}@${String(fields['targetHost'])}`;
    const resolved = resolveTarget('targetUri', text, dns);
    if (!('message' in resolved)) target = resolved;
  }
  return {
    id: compiledId(node.id, instance)!,
    kind: node.kind,
    name: node.name,
    instance,
    callId,
    timeoutMs: timeoutOf(node, spec),
    label: authoredLabel(node),
    onSuccess: compiledId(node.success, instance),
    onFailure: compiledId(node.failure, instance),
    fields,
    target,
    source: locate(node.path),
  } as CompiledNode;
}

/** A value as the graph holds it: targets trimmed, file paths absolute (relative ones resolve against the scenario's folder). */
function normalize(value: unknown, spec: FieldSpec, baseDir: string | undefined): unknown {
  if (spec.check === 'target' && typeof value === 'string') return value.trim();
  if (spec.check === 'file' && typeof value === 'string' && baseDir !== undefined && !isAbsolute(value)) return resolvePath(baseDir, value);
  return value;
}

/** The timeout in ms with sipflow's fallbacks: missing → default, ≤ 0 → the step's fallback, fractions cut. */
function timeoutOf(node: ScenarioNode, spec: StepSpec): number | undefined {
  const given = node.fields['timeout'];
  if (typeof given !== 'number') return spec.timeout.default;
  const whole = Math.trunc(given);
  if (whole <= 0) return spec.timeout.nonPositive === 'error' ? undefined : spec.timeout.nonPositive;
  return whole;
}

/** The desktop app labels a new node with its command, or its event in its own spelling (event-label.ts). */
const DESKTOP_EVENT_LABELS: Readonly<Record<string, string>> = {
  INCOMING: 'Incoming',
  DISCONNECTED: 'Disconnect',
  RINGING: 'Ringing',
  TIMEOUT: 'Timeout',
  HELD: 'Held',
  RETRIEVED: 'Retrieved',
  TRANSFERRED: 'Transferred',
  DTMFReceived: 'DtmfReceived',
};

/** The label the desktop app gives a new node of this command or event. */
export function desktopLabel(kind: 'command' | 'event', name: string): string {
  return kind === 'event' ? (DESKTOP_EVENT_LABELS[name] ?? name) : name;
}

/** A label the author chose: not empty and not the desktop app's default for the node. */
export function authoredLabel(node: Pick<ScenarioNode, 'kind' | 'name' | 'fields'>): string | undefined {
  const label = node.fields['label'];
  if (typeof label !== 'string' || label.trim() === '' || label === desktopLabel(node.kind, node.name)) return undefined;
  return label;
}

function freezeGraph(parts: Omit<ExecutionGraph, 'instance' | 'node'>): ExecutionGraph {
  const instanceById = new Map(parts.instances.map((i) => [i.id, i]));
  const nodeById = new Map(parts.nodes.map((n) => [n.id, n]));
  const graph: ExecutionGraph = {
    ...parts,
    instance: (id) => instanceById.get(id),
    node: (id) => nodeById.get(id),
  };
  return deepFreeze(graph);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
