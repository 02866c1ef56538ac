// The edges of sipflow flow JSON (reference §1.5): an edge from an instance starts a chain, an edge
// between commands and events is a success or failure successor (failure: sourceHandle "failure"
// or data.branchType "failure"), a second one of the same kind replaces the first, and edges that
// lead nowhere usable are ignored, each with a warning where sipflow said nothing.

import type { DiagnosticPlace, JsonPath } from './diagnostics.js';
import { suggest } from './did-you-mean.js';
import { type FieldContext, isObject, reportUnknownKeys } from './fields.js';
import { goKind, member, unmarshalError } from './go-json.js';
import type { JsonValue } from './jsonc.js';
import type { ScenarioInstance, ScenarioNode } from './model.js';

/** What the edges connect: every node's type (as sipflow's nodeTypeMap), and the nodes and instances read. */
export interface SipflowGraphParts {
  readonly typeOf: ReadonlyMap<string, string>;
  readonly nodes: ReadonlyMap<string, ScenarioNode & { instance: string | undefined; success?: string; failure?: string }>;
  readonly instances: ReadonlyMap<string, ScenarioInstance & { starts: string[] }>;
  /** Nodes whose own instance reference was wrong: they do not take a parent edge's instance. */
  readonly instanceErrors: ReadonlySet<string>;
}

/** Reads the edges into start nodes and successors; problems go to `ctx.sink`. */
export function readSipflowEdges(edgesMember: { key: string; value: JsonValue } | undefined, graph: SipflowGraphParts, ctx: FieldContext): void {
  const { typeOf, nodes, instances, instanceErrors } = graph;
  const { sink } = ctx;
  const unmarshal = (detail: string, path: JsonPath): void => unmarshalError(sink, detail, path);
  const edgesValue = edgesMember?.value ?? null;
  const edgesKey = edgesMember?.key ?? 'edges';
  /** Which edge set each node's successors, to name it when a later one replaces it. */
  const setBy = new Map<string, number>();
  if (edgesValue !== null && !Array.isArray(edgesValue)) {
    unmarshal(`cannot unmarshal ${goKind(edgesValue)} into Go struct field FlowData.Edges of type []engine.FlowEdge`, [edgesKey]);
  } else if (edgesValue !== null) {
    edgesValue.forEach((item, index) => {
      const path: JsonPath = [edgesKey, index];
      if (item === null) {
        sink.warning('dangling-edge', `edges[${index}] is null; sipflow ignores it`, { path });
        return;
      }
      if (!isObject(item)) {
        unmarshal(`cannot unmarshal ${goKind(item)} into Go struct field FlowData.Edges of type engine.FlowEdge`, path);
        return;
      }
      const get = (name: string, goName: string): string | undefined => {
        const m = member(item, name);
        if (m === undefined || m.value === null) return '';
        if (typeof m.value === 'string') return m.value;
        unmarshal(`cannot unmarshal ${goKind(m.value)} into Go struct field FlowEdge.Edges.${goName} of type string`, [...path, m.key]);
        return undefined;
      };
      const id = get('id', 'ID');
      const source = get('source', 'Source');
      const target = get('target', 'Target');
      const handle = get('sourcehandle', 'SourceHandle');
      const dataMember = member(item, 'data');
      if (dataMember !== undefined && dataMember.value !== null && !isObject(dataMember.value)) {
        unmarshal(`cannot unmarshal ${goKind(dataMember.value)} into Go struct field FlowEdge.Edges.Data of type map[string]interface {}`, [...path, dataMember.key]);
        return;
      }
      if (id === undefined || source === undefined || target === undefined || handle === undefined) return;
      const data = isObject(dataMember?.value) ? dataMember.value : {};
      const dataKey = dataMember?.key ?? 'data';
      const name = id !== '' ? `edge ${id}` : `edges[${index}]`;
      const place: DiagnosticPlace = { path };

      let branchType = '';
      if (typeof data['branchType'] === 'string') branchType = data['branchType'];
      else if (data['branchType'] !== undefined && data['branchType'] !== null) {
        sink.warning('wrong-type', `${name}: branchType should be a string; sipflow reads it as empty (a success edge)`, { ...place, field: 'branchType', path: [...path, dataKey, 'branchType'] });
      }
      if (branchType !== '' && branchType !== 'success' && branchType !== 'failure') {
        const suggestion = suggest(branchType, ['success', 'failure']);
        sink.warning('invalid-value', `${name}: branchType ${JSON.stringify(branchType)} is neither "success" nor "failure"; sipflow treats it as a success edge`, {
          ...place,
          field: 'branchType',
          path: [...path, dataKey, 'branchType'],
          ...(suggestion ? { suggestion } : {}),
        });
      }
      if (handle !== 'failure' && branchType !== 'failure' && handle.toLowerCase().trim() === 'failure') {
        sink.warning('invalid-value', `${name}: sourceHandle ${JSON.stringify(handle)} is not exactly "failure"; sipflow treats it as a success edge`, { ...place, field: 'sourceHandle', path, suggestion: 'failure' });
      }
      const condition = data['condition'];
      if (typeof condition === 'string' && condition.trim() !== '') {
        sink.warning('ignored-field', `${name}: condition is not evaluated; sipflow follows an edge on success or failure only`, { ...place, field: 'condition', path: [...path, dataKey, 'condition'] });
      }
      reportUnknownKeys(data, ['branchType', 'condition'], [], [...path, dataKey], place, sink, name);

      const isFailure = handle === 'failure' || branchType === 'failure';
      const sourceType = typeOf.get(source);
      const targetNode = nodes.get(target);
      const ignored = (why: string): void => sink.warning('dangling-edge', `${name} from ${source || '""'} to ${target || '""'} is ignored: ${why}`, place);
      if (sourceType === undefined) return ignored(`no node has the id ${JSON.stringify(source)}`);
      if (sourceType === 'sipInstance') {
        const instance = instances.get(source);
        if (instance === undefined) return ignored(`the source instance is not usable`);
        if (targetNode === undefined) {
          return ignored(typeOf.has(target) ? `the target is a ${typeOf.get(target)} node, not a command or event` : `no node has the id ${JSON.stringify(target)}`);
        }
        if (instance.starts.includes(target)) {
          sink.warning('duplicate-edge', `${name}: instance ${source} already starts node ${target}; sipflow runs it once more for this edge`, place);
        }
        instance.starts.push(target);
        // The first instance edge gives a node without sipInstanceId (or number) its instance (reference §1.5).
        if (targetNode.instance === undefined && !instanceErrors.has(target)) targetNode.instance = source;
        return;
      }
      if (sourceType !== 'command' && sourceType !== 'event') return ignored(`the source is a ${JSON.stringify(sourceType)} node, which sipflow ignores`);
      const sourceNode = nodes.get(source);
      if (sourceNode === undefined) return ignored('the source node is not usable');
      if (targetNode === undefined) {
        return ignored(typeOf.get(target) === 'sipInstance' ? 'an edge cannot lead to an instance' : typeOf.has(target) ? `the target is a ${typeOf.get(target)} node` : `no node has the id ${JSON.stringify(target)}`);
      }
      const slot = isFailure ? 'failure' : 'success';
      const previous = sourceNode[slot];
      if (previous !== undefined) {
        const earlier = setBy.get(`${source}\u0000${slot}`);
        sink.warning(
          'duplicate-edge',
          `node ${source} has a second ${slot} edge (${name}, to ${target}); as in sipflow it replaces the earlier one${earlier !== undefined ? ` (edges[${earlier}], to ${previous})` : ''}`,
          { ...place, nodeId: source },
        );
      }
      sourceNode[slot] = target;
      setBy.set(`${source}\u0000${slot}`, index);
    });
  }

}
