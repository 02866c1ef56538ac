// Reading sipflow's compact format: instances by name with their settings, each with an ordered
// list of steps where the next step is the success path.
//
//   {
//     "instances": {
//       "alice": { "dn": "100", "steps": [ { "command": "MakeCall", "targetUri": "200" }, "Release" ] },
//       "bob":   { "dn": "200", "steps": [ "INCOMING", "Answer", "DISCONNECTED" ] }
//     }
//   }
//
// A step is a command or event name (when it needs no fields) or an object with `command` or
// `event`, its fields, and optionally `id`, `next` (the id of the step to go to on success instead
// of the following one) and `onFailure` (a nested list of steps, or the id of a step). `chains`
// instead of `steps` gives an instance several chains that start together; a chain may also be
// the id of a step to start at.

import { COMMANDS, COMMON_STEP_FIELDS, EVENTS, INSTANCE_FIELDS, isCommandName, isEventName, stepFields, stepSpec } from './catalog.js';
import { type DiagnosticPlace, type JsonPath, formatPath } from './diagnostics.js';
import { suggest } from './did-you-mean.js';
import { type FieldContext, describeJson, isObject, readFields, reportUnknownKeys } from './fields.js';
import type { JsonValue } from './jsonc.js';
import type { ScenarioInstance, ScenarioModel, ScenarioNode } from './model.js';

/** Top-level keys of the compact format. */
export const COMPACT_TOP_KEYS = ['$schema', 'name', 'description', 'version', 'instances'] as const;
/** Keys of an instance besides its settings. */
export const COMPACT_INSTANCE_KEYS = ['steps', 'chains'] as const;
/** Keys of a step besides the fields of its command or event. */
export const COMPACT_STEP_KEYS = ['command', 'event', 'id', 'next', 'onFailure'] as const;

/** The compact format version this reader reads. */
export const COMPACT_FORMAT_VERSION = 1;

/** The id a step gets when it has none: its instance and its place, e.g. `alice.steps[2].onFailure[0]`. */
export function derivedStepId(path: JsonPath): string {
  return `${String(path[1])}.${formatPath(path.slice(2))}`;
}

type MutableNode = ScenarioNode & { success?: string; failure?: string };

/** A link to resolve once every step has its id. */
interface PendingLink {
  readonly node: MutableNode;
  readonly slot: 'success' | 'failure';
  readonly ref: string;
  readonly path: JsonPath;
  readonly field: 'next' | 'onFailure';
}

/** A chain given as the id of a step to start at. */
interface PendingStart {
  readonly instance: ScenarioInstance & { starts: string[] };
  readonly index: number;
  readonly ref: string;
  readonly path: JsonPath;
}

/**
 * Reads the compact format into the scenario model; every problem goes to `ctx.sink`.
 * `writtenOrder`, when the document came as text, gives the instance names in the order they
 * were written: a JavaScript object puts names that are whole numbers (`"100"`) first, in
 * numeric order, and instance order is scenario order (ports are handed out in it).
 */
export function readCompactScenario(doc: JsonValue, ctx: FieldContext, writtenOrder?: readonly string[]): ScenarioModel {
  const { sink } = ctx;
  const model: { -readonly [K in keyof ScenarioModel]: ScenarioModel[K] } = { format: 'compact', instances: [], nodes: [] };
  if (!isObject(doc)) {
    sink.error('not-a-scenario', `a compact scenario is an object with "instances", not ${describeJson(doc)}`, { path: [] });
    return model;
  }
  for (const key of ['$schema', 'name', 'description'] as const) {
    const v = doc[key];
    if (v !== undefined && typeof v !== 'string') sink.error('wrong-type', `${key} must be a string, not ${describeJson(v)}`, { field: key, path: [key] });
  }
  if (typeof doc['name'] === 'string') model.name = doc['name'];
  if (typeof doc['description'] === 'string') model.description = doc['description'];
  const version = doc['version'];
  if (version !== undefined && version !== COMPACT_FORMAT_VERSION) {
    sink.error('invalid-value', `version ${JSON.stringify(version)} is not supported; this sipflow reads version ${COMPACT_FORMAT_VERSION}`, { field: 'version', path: ['version'] });
  }
  reportUnknownKeys(doc, COMPACT_TOP_KEYS, [], [], {}, sink, 'the scenario');

  const instancesValue = doc['instances'];
  if (instancesValue === undefined) {
    sink.error('no-instances', 'the scenario has no "instances"', { path: [] });
    return model;
  }
  if (!isObject(instancesValue)) {
    sink.error('wrong-type', `instances must be an object of instances by name, not ${describeJson(instancesValue)}`, { field: 'instances', path: ['instances'] });
    return model;
  }
  if (Object.keys(instancesValue).length === 0) sink.error('no-instances', 'the scenario has no instances', { field: 'instances', path: ['instances'] });

  const byId = new Map<string, MutableNode>();
  const links: PendingLink[] = [];
  const pendingStarts: PendingStart[] = [];
  /** Steps with a `next`: the following step is not their success path. */
  const explicitNext = new WeakSet<MutableNode>();

  const names = writtenOrder !== undefined && writtenOrder.length === Object.keys(instancesValue).length ? writtenOrder : Object.keys(instancesValue);
  for (const name of names) {
    const value = instancesValue[name]!;
    const path: JsonPath = ['instances', name];
    const place: DiagnosticPlace = { instanceId: name, path };
    if (name.trim() === '') {
      sink.error('invalid-value', 'an instance name must not be empty', place);
      continue;
    }
    if (name.includes('${')) {
      // A name is a key: it is never filled, yet it stands for the dn and label when they are left out.
      sink.error('invalid-value', `instance name ${JSON.stringify(name)} holds "\${", but placeholders are filled in values, not in names`, place);
      continue;
    }
    if (!isObject(value)) {
      sink.error('wrong-type', `instance ${name} must be an object of settings and steps, not ${describeJson(value)}`, place);
      continue;
    }
    const { values: settings, paths: fieldPaths } = readFields(value, INSTANCE_FIELDS, (field) => [...path, field], place, ctx);
    reportUnknownKeys(value, [...Object.keys(INSTANCE_FIELDS), ...COMPACT_INSTANCE_KEYS], [], path, place, sink, `instance ${name}`);
    const instance = { id: name, settings, starts: [] as string[], path, fieldPaths };
    model.instances.push(instance);

    const readList = (list: JsonValue, listPath: JsonPath, field: string): string | undefined => {
      if (!Array.isArray(list)) {
        sink.error('wrong-type', `${field} must be a list of steps, not ${describeJson(list)}`, { ...place, field, path: listPath });
        return undefined;
      }
      let first: string | undefined;
      let previous: MutableNode | undefined;
      list.forEach((item, i) => {
        const node = readStep(item, [...listPath, i], name, ctx, { byId, links, explicitNext, out: model.nodes, readList });
        if (node === undefined) {
          previous = undefined;
          return;
        }
        first ??= node.id;
        if (previous !== undefined && !explicitNext.has(previous)) previous.success = node.id;
        previous = node;
      });
      return first;
    };

    const steps = value['steps'];
    const chains = value['chains'];
    if (steps !== undefined && chains !== undefined) {
      sink.error('bad-step', `instance ${name} has both steps and chains; give its steps as one chain, or all its chains under chains`, { ...place, field: 'chains', path: [...path, 'chains'] });
    }
    if (steps !== undefined) {
      const first = readList(steps, [...path, 'steps'], 'steps');
      if (first !== undefined) instance.starts.push(first);
    } else if (chains !== undefined) {
      if (!Array.isArray(chains)) {
        sink.error('wrong-type', `chains must be a list of chains (each a list of steps, or the id of a step to start at), not ${describeJson(chains)}`, { ...place, field: 'chains', path: [...path, 'chains'] });
      } else {
        chains.forEach((chain, c) => {
          const chainPath: JsonPath = [...path, 'chains', c];
          if (typeof chain === 'string') {
            pendingStarts.push({ instance, index: instance.starts.length, ref: chain, path: chainPath });
            instance.starts.push(chain);
            return;
          }
          if (Array.isArray(chain) && chain.length === 0) {
            sink.error('bad-step', `chains[${c}] of instance ${name} is empty`, { ...place, field: 'chains', path: chainPath });
            return;
          }
          if (!Array.isArray(chain)) {
            sink.error('wrong-type', `chains[${c}] must be a list of steps or the id of a step to start at, not ${describeJson(chain)}`, { ...place, field: 'chains', path: chainPath });
            return;
          }
          const first = readList(chain, chainPath, 'chains');
          if (first !== undefined) instance.starts.push(first);
        });
      }
    }
  }

  // Step ids and instance names are one namespace in sipflow JSON (node ids).
  for (const instance of model.instances) {
    const step = byId.get(instance.id);
    if (step !== undefined) {
      sink.error('duplicate-id', `step id ${step.id} is also the name of an instance; give the step another id`, {
        nodeId: step.id,
        instanceId: step.instance!,
        field: 'id',
        path: step.id === derivedStepId(step.path) ? step.path : [...step.path, 'id'],
      });
    }
  }

  // Ids are all known now: resolve next, onFailure and chain starts given by id.
  const resolve = (ref: string, from: string, at: DiagnosticPlace, what: string): string | undefined => {
    const target = byId.get(ref);
    if (target === undefined) {
      const suggestion = sink.suggestAmong(ref, byId.keys());
      sink.error('unknown-step', `${what} names no step ${JSON.stringify(ref)}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`, {
        ...at,
        ...(suggestion ? { suggestion } : {}),
      });
      return undefined;
    }
    if (target.instance !== from) {
      sink.error('cross-instance', `${what} names step ${ref} of instance ${target.instance}; a step can only go to a step of its own instance (${from})`, at);
      return undefined;
    }
    return ref;
  };
  for (const link of links) {
    const id = resolve(link.ref, link.node.instance!, { nodeId: link.node.id, field: link.field, path: link.path }, `step ${link.node.id}: ${link.field}`);
    if (id !== undefined) link.node[link.slot] = id;
  }
  for (const start of pendingStarts) {
    const id = resolve(start.ref, start.instance.id, { instanceId: start.instance.id, field: 'chains', path: start.path }, `a chain of instance ${start.instance.id}`);
    if (id === undefined) start.instance.starts.splice(start.instance.starts.indexOf(start.ref), 1);
  }
  return model;
}

/** What the steps of one document share while they are read. */
interface StepReaderState {
  readonly byId: Map<string, MutableNode>;
  readonly links: PendingLink[];
  readonly explicitNext: WeakSet<MutableNode>;
  readonly out: ScenarioNode[];
  readonly readList: (list: JsonValue, path: JsonPath, field: string) => string | undefined;
}

/** Reads one step (and its nested onFailure list); returns its node, or undefined when unusable. */
function readStep(
  item: JsonValue,
  path: JsonPath,
  instance: string,
  ctx: FieldContext,
  state: StepReaderState,
): MutableNode | undefined {
  const { sink } = ctx;
  const { byId, links, explicitNext, out, readList } = state;
  let step: Readonly<Record<string, JsonValue>>;
  if (typeof item === 'string') step = isEventName(item) ? { event: item } : { command: item };
  else if (isObject(item)) step = item;
  else {
    sink.error('bad-step', `a step is a command or event name, or an object with "command" or "event", not ${describeJson(item)}`, { instanceId: instance, path });
    return undefined;
  }
  const derived = derivedStepId(path);
  const rawId = step['id'];
  let id = derived;
  if (rawId !== undefined) {
    if (typeof rawId !== 'string' || rawId.trim() === '') sink.error('invalid-value', `step id must be a non-empty string, not ${describeJson(rawId)}`, { nodeId: derived, field: 'id', path: [...path, 'id'] });
    else id = rawId;
  }
  const place: DiagnosticPlace = { nodeId: id, instanceId: instance, path };

  const hasCommand = step['command'] !== undefined;
  const hasEvent = step['event'] !== undefined;
  if (hasCommand && hasEvent) sink.error('bad-step', 'a step has either a command or an event, not both', { ...place, field: 'event', path: [...path, 'event'] });
  if (!hasCommand && !hasEvent) {
    const suggestion = suggest(Object.keys(step).find((k) => !Object.hasOwn(COMMON_STEP_FIELDS, k)) ?? '', ['command', 'event']);
    sink.error('bad-step', `a step needs "command" or "event"${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`, { ...place, ...(suggestion ? { suggestion } : {}) });
  }
  const kind: 'command' | 'event' = hasCommand ? 'command' : 'event';
  const rawName = step[kind];
  let name = '';
  if (typeof rawName === 'string') name = rawName;
  else if (rawName !== undefined) sink.error('wrong-type', `${kind} must be a name, not ${describeJson(rawName)}`, { ...place, field: kind, path: [...path, kind] });
  const known = kind === 'command' ? isCommandName(name) : isEventName(name);
  if (!known && typeof rawName === 'string') {
    const candidates = typeof item === 'string' ? [...Object.keys(COMMANDS), ...Object.keys(EVENTS)] : kind === 'command' ? Object.keys(COMMANDS) : Object.keys(EVENTS);
    const suggestion = suggest(name, candidates);
    const code = kind === 'command' ? 'unsupported-command' : 'unsupported-event';
    const what = typeof item === 'string' ? `unsupported command or event ${name}` : `unsupported ${kind} ${name}`;
    sink.error(name === '' ? (kind === 'command' ? 'missing-command' : 'missing-event') : code, name === '' ? `step ${id} has an empty ${kind}` : `step ${id} uses ${what}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, {
      ...place,
      field: kind,
      path: typeof item === 'string' ? path : [...path, kind],
      ...(suggestion ? { suggestion } : {}),
    });
  }
  const spec = known ? stepSpec(kind, name as never) : undefined;
  const own = stepFields(spec);
  const { values: fields, paths: fieldPaths } = readFields(step, own, (field) => [...path, field], place, ctx);
  if (spec !== undefined && typeof item !== 'string') {
    reportUnknownKeys(step, [...Object.keys(own), ...COMPACT_STEP_KEYS], [], path, place, sink, `step ${id}`);
  }

  const node: MutableNode = { id, kind, name, instance, fields, path, fieldPaths };
  const clash = byId.get(id);
  if (clash !== undefined) {
    const derivedHere = id === derived;
    if (derivedHere && clash.id !== derivedStepId(clash.path)) {
      // The other step chose the id this one has by its place: the choice is what to change.
      sink.error('duplicate-id', `step id ${id} is also the id the step at ${formatPath(path)} has by its place; give the step at ${formatPath(clash.path)} another id`, {
        nodeId: id,
        instanceId: clash.instance!,
        field: 'id',
        path: [...clash.path, 'id'],
      });
    } else {
      sink.error('duplicate-id', `step id ${id} is already the id of the step at ${formatPath(clash.path)}`, { ...place, field: 'id', path: derivedHere ? path : [...path, 'id'] });
    }
  } else byId.set(id, node);
  out.push(node);

  const next = step['next'];
  if (next !== undefined) {
    explicitNext.add(node);
    if (typeof next === 'string' && next !== '') links.push({ node, slot: 'success', ref: next, path: [...path, 'next'], field: 'next' });
    else sink.error('wrong-type', `next must be the id of a step, not ${describeJson(next)}`, { ...place, field: 'next', path: [...path, 'next'] });
  }
  const onFailure = step['onFailure'];
  if (onFailure !== undefined) {
    const failurePath: JsonPath = [...path, 'onFailure'];
    if (typeof onFailure === 'string' && onFailure !== '') links.push({ node, slot: 'failure', ref: onFailure, path: failurePath, field: 'onFailure' });
    else if (Array.isArray(onFailure) && onFailure.length > 0) {
      const first = readList(onFailure, failurePath, 'onFailure');
      if (first !== undefined) node.failure = first;
    } else {
      sink.error('wrong-type', `onFailure must be a non-empty list of steps or the id of a step, not ${describeJson(onFailure)}`, { ...place, field: 'onFailure', path: failurePath });
    }
  }
  return node;
}
