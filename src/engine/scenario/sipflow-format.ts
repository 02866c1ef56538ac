// Reading the flow JSON the sipflow desktop app saves ({ nodes, edges }, reference §1), with the
// meaning sipflow's ParseScenario gives it: Go's case-insensitive envelope keys, defaults for
// values of the wrong type, the failure-edge rule, start nodes in edge order, and instance
// resolution (sipInstanceId, then number→DN for INCOMING, then the parent instance edge).
// Where sipflow fails we fail with its words; where it silently does something surprising we do
// the same and say so in a warning.

import {
  COMMANDS,
  EVENTS,
  INSTANCE_FIELDS,
  SIPFLOW_UI_INSTANCE_KEYS,
  type FieldSpec,
  type StepSpec,
  isCommandName,
  isEventName,
  stepFields,
  stepSpec,
} from './catalog.js';
import { suggestDn } from './check-values.js';
import type { DiagnosticPlace, JsonPath } from './diagnostics.js';
import { suggest } from './did-you-mean.js';
import { type FieldContext, isObject, readField, readFields, reportUnknownKeys } from './fields.js';
import type { JsonValue } from './jsonc.js';
import { fold, goKind, member, unmarshalError } from './go-json.js';
import { readSipflowEdges } from './sipflow-edges.js';
import { defineMember } from './placeholders.js';
import type { ScenarioInstance, ScenarioModel, ScenarioNode } from './model.js';

/** The node types sipflow puts in its graph; nodes of other types are ignored. */
export const SIPFLOW_NODE_TYPES = ['sipInstance', 'command', 'event'] as const;

/** Top-level keys of our own that a sipflow flow may carry (sipflow ignores them). */
const OWN_TOP_KEYS = ['$schema', 'name', 'description'] as const;

/** Keys of a command node's data besides the fields of its command. */
const COMMAND_DATA_KEYS = ['command', 'sipInstanceId', 'transferTarget'] as const;
/** Keys of an event node's data besides the fields of its event. */
const EVENT_DATA_KEYS = ['event', 'sipInstanceId'] as const;

/** INCOMING's `number` (sipflow only): the DN of its instance when sipInstanceId is empty. */
const INCOMING_NUMBER: FieldSpec = { kind: 'string', doc: 'The DN of the instance, used when sipInstanceId is empty.' };

/** Every field any command or event has: a field of another step on a node has no effect. */
const ALL_STEP_FIELDS = new Set<string>([
  ...Object.values(COMMANDS).flatMap((s: StepSpec) => Object.keys(s.fields)),
  ...Object.values(EVENTS).flatMap((s: StepSpec) => Object.keys(s.fields)),
  'number',
  'transferTarget',
]);

interface RawNode {
  readonly index: number;
  readonly id: string;
  readonly type: string;
  readonly data: Readonly<Record<string, JsonValue>>;
  /** The member (`data`, `Data` …) a data key came from, for paths. */
  readonly dataKey: (key?: string) => string;
}

/**
 * Reads sipflow flow JSON into the scenario model. Every problem goes to `ctx.sink`; the model
 * holds what could be read.
 */
export function readSipflowFlow(doc: JsonValue, ctx: FieldContext): ScenarioModel {
  const { sink } = ctx;
  const model: { -readonly [K in keyof ScenarioModel]: ScenarioModel[K] } = { format: 'sipflow', instances: [], nodes: [] };
  const unmarshal = (detail: string, path: JsonPath): void => unmarshalError(sink, detail, path);

  if (doc !== null && !isObject(doc)) {
    unmarshal(`cannot unmarshal ${goKind(doc)} into Go value of type engine.FlowData`, []);
    return model;
  }
  const top = doc ?? {};
  const nodesMember = member(top, 'nodes');
  const edgesMember = member(top, 'edges');
  for (const key of OWN_TOP_KEYS) {
    const v = top[key];
    if (key === 'name' && typeof v === 'string') model.name = v;
    if (key === 'description' && typeof v === 'string') model.description = v;
    if (v !== undefined && typeof v !== 'string') sink.error('wrong-type', `${key} must be a string`, { field: key, path: [key] });
  }
  for (const key of Object.keys(top)) {
    const f = fold(key);
    if (f === 'nodes' || f === 'edges' || (OWN_TOP_KEYS as readonly string[]).includes(key) || key === 'viewport') continue;
    const suggestion = suggest(key, ['nodes', 'edges', ...OWN_TOP_KEYS]);
    sink.warning('unknown-field', `unknown top-level key ${JSON.stringify(key)}, which sipflow ignores${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`, {
      field: key,
      path: [key],
      ...(suggestion ? { suggestion } : {}),
    });
  }

  // --- nodes: envelope ---------------------------------------------------------------------------
  const raws: RawNode[] = [];
  const nodesValue = nodesMember?.value ?? null;
  if (nodesValue !== null && !Array.isArray(nodesValue)) {
    unmarshal(`cannot unmarshal ${goKind(nodesValue)} into Go struct field FlowData.Nodes of type []engine.FlowNode`, [nodesMember!.key]);
  } else if (nodesValue !== null) {
    nodesValue.forEach((item, index) => {
      const path = [nodesMember!.key, index];
      if (item === null) {
        sink.warning('ignored-node', `nodes[${index}] is null; sipflow reads it as a node without a type and ignores it`, { path });
        return;
      }
      if (!isObject(item)) {
        unmarshal(`cannot unmarshal ${goKind(item)} into Go struct field FlowData.Nodes of type engine.FlowNode`, path);
        return;
      }
      const id = member(item, 'id');
      const type = member(item, 'type');
      let ok = true;
      for (const [m, name, goType] of [
        [id, 'ID', 'string'],
        [type, 'Type', 'string'],
      ] as const) {
        if (m !== undefined && m.value !== null && typeof m.value !== 'string') {
          unmarshal(`cannot unmarshal ${goKind(m.value)} into Go struct field FlowNode.Nodes.${name} of type ${goType}`, [...path, m.key]);
          ok = false;
        }
      }
      // Go decodes every member named data (any case) into the same map, in turn: entries merge,
      // a null empties it.
      const data: Record<string, JsonValue> = {};
      const dataKeys = new Map<string, string>();
      for (const [key, value] of Object.entries(item)) {
        if (fold(key) !== 'data') continue;
        if (value === null) {
          for (const k of Object.keys(data)) delete data[k];
          dataKeys.clear();
        } else if (isObject(value)) {
          for (const [k, v] of Object.entries(value)) {
            defineMember(data, k, v);
            dataKeys.set(k, key);
          }
        } else {
          unmarshal(`cannot unmarshal ${goKind(value)} into Go struct field FlowNode.Nodes.Data of type map[string]interface {}`, [...path, key]);
          ok = false;
        }
      }
      if (!ok) return;
      raws.push({
        index,
        id: typeof id?.value === 'string' ? id.value : '',
        type: typeof type?.value === 'string' ? type.value : '',
        data,
        dataKey: (key) => (key !== undefined ? dataKeys.get(key) : undefined) ?? member(item, 'data')?.key ?? 'data',
      });
    });
  }
  const nodesKey = nodesMember?.key ?? 'nodes';
  const nodePath = (raw: RawNode): JsonPath => [nodesKey, raw.index];
  const dataPath = (raw: RawNode, key: string): JsonPath => [nodesKey, raw.index, raw.dataKey(key), key];

  // Node types and ids, as sipflow's nodeTypeMap sees them (every node, whatever its type).
  const typeOf = new Map<string, string>();
  const firstIndex = new Map<string, number>();
  const kept: RawNode[] = [];
  for (const raw of raws) {
    typeOf.set(raw.id, raw.type);
    if (!(SIPFLOW_NODE_TYPES as readonly string[]).includes(raw.type)) {
      const suggestion = suggest(raw.type, SIPFLOW_NODE_TYPES);
      sink.warning(
        'ignored-node',
        `node ${raw.id} has type ${JSON.stringify(raw.type)}, which sipflow ignores (it runs sipInstance, command and event nodes)${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`,
        { nodeId: raw.id, field: 'type', path: nodePath(raw), ...(suggestion ? { suggestion } : {}) },
      );
      continue;
    }
    if (raw.id === '') {
      sink.error('missing-field', `nodes[${raw.index}] (a ${raw.type} node) has no id, so nothing can refer to it`, { field: 'id', path: nodePath(raw) });
      continue;
    }
    const first = firstIndex.get(raw.id);
    if (first !== undefined) {
      sink.error('duplicate-id', `node id ${raw.id} is used twice (nodes[${first}] and nodes[${raw.index}])`, { nodeId: raw.id, field: 'id', path: nodePath(raw) });
      continue;
    }
    firstIndex.set(raw.id, raw.index);
    kept.push(raw);
  }

  // --- instances ---------------------------------------------------------------------------------
  const instances = new Map<string, ScenarioInstance & { starts: string[] }>();
  const dnToInstance = new Map<string, string>();
  for (const raw of kept) {
    if (raw.type !== 'sipInstance') continue;
    const place: DiagnosticPlace = { instanceId: raw.id, path: nodePath(raw) };
    const { values: settings, paths: fieldPaths } = readFields(raw.data, INSTANCE_FIELDS, (name) => dataPath(raw, name), place, ctx);
    const proxy = raw.data['pbxOutboundProxy'];
    if (typeof proxy === 'string' && proxy.trim() !== '') {
      sink.warning('ignored-field', 'pbxOutboundProxy is kept by the desktop app only; calls and REGISTERs go to pbxHost directly', {
        ...place,
        field: 'pbxOutboundProxy',
        path: dataPath(raw, 'pbxOutboundProxy'),
      });
    }
    reportUnknownKeys(raw.data, Object.keys(INSTANCE_FIELDS), SIPFLOW_UI_INSTANCE_KEYS, [nodesKey, raw.index, raw.dataKey()], place, sink, `instance ${raw.id}`);
    const instance = { id: raw.id, settings, starts: [] as string[], path: nodePath(raw), fieldPaths };
    instances.set(raw.id, instance);
    model.instances.push(instance);
    const dn = settings['dn'];
    if (typeof dn === 'string' && dn !== '') dnToInstance.set(dn, raw.id);
  }

  // --- commands and events -----------------------------------------------------------------------
  const nodes = new Map<string, ScenarioNode & { instance: string | undefined; success?: string; failure?: string }>();
  /** Nodes whose sipInstanceId or number names nothing: already reported, and not given a parent's instance. */
  const instanceErrors = new Set<string>();
  for (const raw of kept) {
    if (raw.type !== 'command' && raw.type !== 'event') continue;
    const kind = raw.type;
    const nameKey = kind; // data.command or data.event
    const place: DiagnosticPlace = { nodeId: raw.id, path: nodePath(raw) };
    let name = '';
    const rawName = raw.data[nameKey];
    if (typeof rawName === 'string') name = rawName;
    else if (rawName !== undefined) {
      sink.warning('wrong-type', `${nameKey} should be a string, not ${goKind(rawName)}; sipflow reads it as empty`, { ...place, field: nameKey, path: dataPath(raw, nameKey) });
    }
    const known = kind === 'command' ? isCommandName(name) : isEventName(name);
    if (name === '') {
      sink.error(kind === 'command' ? 'missing-command' : 'missing-event', `node ${raw.id} has no ${kind} (sipflow fails it at run time: ${kind === 'command' ? '"unknown command: "' : '"event type  is not supported"'})`, {
        ...place,
        field: nameKey,
        path: Object.hasOwn(raw.data, nameKey) ? dataPath(raw, nameKey) : nodePath(raw),
      });
    } else if (!known) {
      const candidates = kind === 'command' ? Object.keys(COMMANDS) : Object.keys(EVENTS);
      const suggestion = suggest(name, candidates);
      sink.error(kind === 'command' ? 'unsupported-command' : 'unsupported-event', `node ${raw.id} uses unsupported ${kind} ${name}`, {
        ...place,
        field: nameKey,
        path: dataPath(raw, nameKey),
        ...(suggestion ? { suggestion } : {}),
      });
    }
    const spec = known ? stepSpec(kind, name as never) : undefined;
    const ownFields = stepFields(spec);
    const { values: fields, paths: fieldPaths } = readFields(raw.data, ownFields, (field) => dataPath(raw, field), place, ctx);
    const extra = kind === 'command' ? COMMAND_DATA_KEYS : EVENT_DATA_KEYS;
    const isIncoming = kind === 'event' && name === 'INCOMING';
    const knownKeys = [...Object.keys(ownFields), ...extra, ...(isIncoming ? ['number'] : [])];
    for (const key of Object.keys(raw.data)) {
      if (knownKeys.includes(key) || !ALL_STEP_FIELDS.has(key) || !spec) continue;
      sink.warning('ignored-field', `${key} is not used by ${name}; sipflow ignores it here`, { ...place, field: key, path: dataPath(raw, key) });
    }
    if (spec) {
      const unknown = Object.fromEntries(Object.entries(raw.data).filter(([k]) => !ALL_STEP_FIELDS.has(k)));
      reportUnknownKeys(unknown, knownKeys, [], [nodesKey, raw.index, raw.dataKey()], place, sink, `node ${raw.id}`);
    }
    const legacy = raw.data['transferTarget'];
    if (kind === 'command' && typeof legacy === 'string' && legacy !== '') {
      sink.warning('ignored-field', 'transferTarget is a legacy field sipflow reads but never uses; BlindTransfer takes targetUri, or targetUser and targetHost', {
        ...place,
        field: 'transferTarget',
        path: dataPath(raw, 'transferTarget'),
      });
    }

    // Instance resolution (reference §1.5): sipInstanceId, then number→DN for INCOMING; the parent
    // instance edge is applied with the edges below.
    let instance: string | undefined;
    let sipInstanceId = '';
    const rawInstance = raw.data['sipInstanceId'];
    if (typeof rawInstance === 'string') sipInstanceId = rawInstance;
    else if (rawInstance !== undefined) {
      sink.warning('wrong-type', `sipInstanceId should be a string, not ${goKind(rawInstance)}; sipflow reads it as empty`, { ...place, field: 'sipInstanceId', path: dataPath(raw, 'sipInstanceId') });
    }
    if (Object.hasOwn(raw.data, 'sipInstanceId')) fieldPaths['sipInstanceId'] = dataPath(raw, 'sipInstanceId');
    let number = '';
    if (isIncoming && Object.hasOwn(raw.data, 'number')) {
      const read = readField(raw.data['number']!, INCOMING_NUMBER, 'number', dataPath(raw, 'number'), place, ctx);
      if (read !== undefined) {
        number = read.value as string;
        fieldPaths['number'] = dataPath(raw, 'number');
      }
    }
    if (sipInstanceId === '' && number !== '') {
      const resolved = dnToInstance.get(number);
      if (resolved === undefined) {
        const suggestion = suggestDn(number, dnToInstance.keys(), (n, c) => sink.suggestAmong(n, c));
        instanceErrors.add(raw.id);
        sink.error('unknown-number', `node ${raw.id} references unknown number ${number}`, { ...place, field: 'number', path: dataPath(raw, 'number'), ...(suggestion ? { suggestion } : {}) });
      } else instance = resolved;
    } else if (sipInstanceId !== '') {
      if (instances.has(sipInstanceId)) instance = sipInstanceId;
      else {
        instanceErrors.add(raw.id);
        const suggestion = sink.suggestAmong(sipInstanceId, instances.keys());
        sink.error('unknown-instance', `node ${raw.id} references unknown instance ${sipInstanceId}`, {
          ...place,
          field: 'sipInstanceId',
          path: dataPath(raw, 'sipInstanceId'),
          ...(suggestion ? { suggestion } : {}),
        });
      }
      if (number !== '' && instance !== undefined) {
        const numbered = dnToInstance.get(number);
        if (numbered !== instance) {
          sink.warning(
            'ignored-field',
            numbered === undefined
              ? `number ${number} is the DN of no instance; sipflow ignores it since sipInstanceId is set (number never filters which call INCOMING takes)`
              : `number ${number} is the DN of instance ${numbered}, but the node belongs to ${instance} (its sipInstanceId); number never filters which call INCOMING takes`,
            { ...place, field: 'number', path: dataPath(raw, 'number') },
          );
        }
      }
    }
    const node = { id: raw.id, kind, name, instance, fields, path: nodePath(raw), fieldPaths } as ScenarioNode & { instance: string | undefined; success?: string; failure?: string };
    nodes.set(raw.id, node);
    model.nodes.push(node);
  }

  // --- edges -------------------------------------------------------------------------------------
  readSipflowEdges(edgesMember, { typeOf, nodes, instances, instanceErrors }, ctx);

  // --- instance resolution, last step --------------------------------------------------------------
  for (const node of nodes.values()) {
    if (node.instance === undefined && !instanceErrors.has(node.id)) {
      ctx.sink.error('missing-instance', `node ${node.id} is missing sipInstanceId`, { nodeId: node.id, field: 'sipInstanceId', path: node.path });
    }
  }
  if (model.instances.length === 0 && !sink.list.some((d) => d.code === 'unmarshal' && d.path.length === 0)) {
    sink.error('no-instances', 'no sipInstance nodes found', { path: [] });
  }
  return model;
}
