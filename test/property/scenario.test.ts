// Scenario model properties (src/engine/scenario):
//
// (1) validateScenario never throws, whatever it is given (any JSON value, scenario-shaped values
//     with nasty values at random paths, any string, mutated JSON text, odd JavaScript values), and
//     its result keeps its contract: ok exactly when there is no error, every diagnostic with a
//     known severity, a code, a message and a path, and never the catch-all "internal error".
//     What validates without errors compiles, and converts to the same graph.
// (2) Converting keeps the compiled graph: compact → sipflow → compact, sipflow → compact → sipflow
//     (ids kept, or tidied: the same graph up to renaming), JSON text ↔ object; compiling is
//     deterministic and the graph is frozen. toCompact writes step ids only where they are needed.
// (3) The JSON Schemas accept every generated valid scenario (and every toSipflow output), and
//     reject, as the validator does, every single defect a schema can see.
// (4) What validates puts only one-line text where a SIP header takes it.
//
// Generators: ./scenario-arbitraries.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CompiledNode,
  type ExecutionGraph,
  type Scenario,
  type ValidationResult,
  compileScenario,
  convertToCompact,
  loadScenario,
  ScenarioError,
  stringifyScenario,
  toCompact,
  toSipflow,
  validateScenario,
} from '../../src/engine/scenario/index.js';
import { meaning, schemaValidators } from '../engine/scenario/helpers.js';
import {
  awkwardFlow,
  COMMAND_NAMES,
  EVENT_NAMES,
  type Json,
  type JsonObject,
  cloneJson,
  compactScenario,
  defectiveCompact,
  editText,
  getAt,
  jsonPaths,
  mutate,
  mutation,
  setMember,
  sipflowFlow,
  textEdit,
} from './scenario-arbitraries.js';

/** numRuns, scaled by SIPFLOW_FC_SCALE for longer soak runs. */
const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.SIPFLOW_FC_SCALE ?? '1')));

/** The contract of a validation result. */
function checkResult(r: ValidationResult): void {
  expect(typeof r.ok).toBe('boolean');
  expect(r.ok).toBe(r.errors.length === 0);
  expect(r.diagnostics.length).toBe(r.errors.length + r.warnings.length);
  expect(r.errors.every((d) => d.severity === 'error')).toBe(true);
  expect(r.warnings.every((d) => d.severity === 'warning')).toBe(true);
  expect(r.scenario === undefined).toBe(!r.ok);
  for (const d of r.diagnostics) {
    expect(d.message.startsWith('internal error while validating'), d.message).toBe(false);
    expect(['error', 'warning']).toContain(d.severity);
    expect(d.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(typeof d.message).toBe('string');
    expect(d.message.trim()).not.toBe('');
    expect(Array.isArray(d.path)).toBe(true);
    for (const p of d.path) expect(typeof p === 'string' || (typeof p === 'number' && Number.isInteger(p) && p >= 0)).toBe(true);
  }
}

/** validateScenario, checked; it must not throw. */
function validated(input: unknown): ValidationResult {
  const r = validateScenario(input);
  checkResult(r);
  return r;
}

/** Both formats, valid. */
const validScenario = fc.oneof(compactScenario(), sipflowFlow());

// ---------------------------------------------------------------------------------------------
// (2) helpers

/** The meaning of a graph with instances and nodes named by their place: equal for graphs that differ only in ids. */
function renamed(graph: ExecutionGraph): unknown {
  const nodeAt = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const instanceAt = new Map(graph.instances.map((x, i) => [x.id, i]));
  const m = meaning(graph) as { name?: string; description?: string; instances: Record<string, unknown>[]; nodes: Record<string, unknown>[] };
  const node = (id: unknown): unknown => (id === undefined ? undefined : `node#${nodeAt.get(id as string)}`);
  const instance = (id: unknown): unknown => `instance#${instanceAt.get(id as string)}`;
  return {
    ...m,
    instances: m.instances.map((i) => ({
      ...i,
      id: instance(i['id']),
      // without a DN, the SIP user is the instance id
      user: i['dn'] === '' ? 'its id' : i['user'],
      startNodes: (i['startNodes'] as string[]).map(node),
    })),
    nodes: m.nodes.map((n) => {
      const target = n['target'] as { kind: string; instance?: string } | undefined;
      return {
        ...n,
        id: node(n['id']),
        instance: instance(n['instance']),
        onSuccess: node(n['onSuccess']),
        onFailure: node(n['onFailure']),
        ...(target?.kind === 'dn' ? { target: { ...target, instance: instance(target.instance) } } : {}),
      };
    }),
  };
}

/**
 * The meaning of a graph with instances in id order and each node named by its instance and its
 * place among that instance's nodes: equal for graphs that differ only in instance order (which
 * also decides which copy of a node reached from several instances keeps the plain id).
 */
function perInstance(graph: ExecutionGraph): unknown {
  const m = meaning(graph) as { instances: Record<string, unknown>[]; nodes: Record<string, unknown>[] };
  const local = new Map<string, string>();
  const count = new Map<unknown, number>();
  for (const n of m.nodes) {
    const k = count.get(n['instance']) ?? 0;
    count.set(n['instance'], k + 1);
    local.set(n['id'] as string, `${String(n['instance'])}#${k}`);
  }
  const node = (id: unknown): unknown => (id === undefined ? undefined : local.get(id as string));
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>): number => (String(a['id']) < String(b['id']) ? -1 : String(a['id']) > String(b['id']) ? 1 : 0);
  return {
    ...m,
    instances: m.instances.map((i) => ({ ...i, startNodes: (i['startNodes'] as string[]).map(node) })).sort(byId),
    nodes: m.nodes.map((n) => ({ ...n, id: node(n['id']), onSuccess: node(n['onSuccess']), onFailure: node(n['onFailure']) })).sort(byId),
  };
}

/** The graph and everything in it is frozen, and its lookups find every part. */
function expectFrozen(graph: ExecutionGraph): void {
  expect(Object.isFrozen(graph)).toBe(true);
  expect(Object.isFrozen(graph.nodes)).toBe(true);
  expect(Object.isFrozen(graph.instances)).toBe(true);
  expect(Object.isFrozen(graph.source)).toBe(true);
  for (const i of graph.instances) {
    expect(Object.isFrozen(i)).toBe(true);
    expect(Object.isFrozen(i.startNodes)).toBe(true);
    expect(Object.isFrozen(i.codecs)).toBe(true);
    expect(graph.instance(i.id)).toBe(i);
  }
  for (const n of graph.nodes) {
    expect(Object.isFrozen(n)).toBe(true);
    expect(Object.isFrozen(n.fields)).toBe(true);
    if (n.target !== undefined) expect(Object.isFrozen(n.target)).toBe(true);
    expect(graph.node(n.id)).toBe(n);
  }
}

/** Whether a compact document names a step by id anywhere (next, onFailure, a chain). */
function hasRefs(doc: JsonObject): boolean {
  let found = false;
  const walk = (list: Json | undefined): void => {
    if (!Array.isArray(list)) return;
    for (const step of list) {
      if (step === null || typeof step !== 'object' || Array.isArray(step)) continue;
      if (step['next'] !== undefined || typeof step['onFailure'] === 'string') found = true;
      walk(step['onFailure']);
    }
  };
  for (const inst of Object.values(doc['instances'] as JsonObject) as JsonObject[]) {
    walk(inst['steps']);
    for (const chain of (inst['chains'] ?? []) as Json[]) {
      if (typeof chain === 'string') found = true;
      walk(chain);
    }
  }
  return found;
}

/** The `id` members of every step of a compact document. */
function stepIds(doc: unknown): string[] {
  const ids: string[] = [];
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const step of list) {
      if (step === null || typeof step !== 'object') continue;
      const s = step as Record<string, unknown>;
      if (s['id'] !== undefined) ids.push(String(s['id']));
      walk(s['onFailure']);
    }
  };
  for (const inst of Object.values((doc as { instances: Record<string, Record<string, unknown>> }).instances)) {
    walk(inst['steps']);
    for (const chain of (inst['chains'] ?? []) as unknown[]) walk(chain);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------

describe('scenario properties', () => {
  const schemas = schemaValidators();

  it('(1) validateScenario never throws on any JSON value, and keeps its contract', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        validated(v);
        validated(JSON.stringify(v) ?? 'null');
      }),
      { numRuns: runs(300) },
    );
  }, 60_000);

  it('(1) … nor on scenarios of either format with nasty values, keys and copies at random paths', () => {
    fc.assert(
      fc.property(validScenario, fc.array(mutation, { minLength: 1, maxLength: 4 }), (doc, ms) => {
        const m = mutate(doc, ms);
        validated(m);
        const text = stringifyScenario(m);
        validated(text);
        validated(new TextEncoder().encode(text));
      }),
      { numRuns: runs(400) },
    );
  }, 60_000);

  it('(1) … nor on any string, or on valid scenario text with a few characters changed', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => void validated(text)), { numRuns: runs(300) });
    fc.assert(
      fc.property(validScenario, fc.array(textEdit, { minLength: 1, maxLength: 4 }), fc.boolean(), (doc, edits, compact) => {
        const text = editText(compact ? JSON.stringify(doc) : stringifyScenario(doc), edits);
        validated(text);
        validated(new TextEncoder().encode(text));
      }),
      { numRuns: runs(300) },
    );
  }, 60_000);

  it('(1) … nor on odd JavaScript values: each is a clear error at its path (undefined members are left out, as JSON.stringify does)', () => {
    class Phone {
      dn = '100';
    }
    // What JSON cannot hold, with the path of the culprit below the place it is put, and a word the message must use.
    const odd: Record<string, { make: (root: object) => unknown; below: (string | number)[]; word: RegExp }> = {
      date: { make: () => new Date(0), below: [], word: /Date/ },
      map: { make: () => new Map([['dn', '100']]), below: [], word: /Map/ },
      set: { make: () => new Set(['PCMU']), below: [], word: /Set/ },
      'class instance': { make: () => new Phone(), below: [], word: /Phone/ },
      bigint: { make: () => 10n, below: [], word: /bigint/ },
      NaN: { make: () => NaN, below: [], word: /NaN/ },
      Infinity: { make: () => -Infinity, below: [], word: /Infinity/ },
      function: { make: () => () => 1, below: [], word: /function/ },
      symbol: { make: () => Symbol('x'), below: [], word: /symbol/ },
      'array with a hole': { make: () => ['INCOMING', , 'Answer'], below: [1], word: /undefined/ }, // eslint-disable-line no-sparse-arrays
      'undefined in an array': { make: () => [undefined], below: [0], word: /undefined/ },
      cycle: { make: (root) => root, below: [], word: /cycle|itself/ },
    };
    fc.assert(
      fc.property(validScenario, fc.nat(), fc.constantFrom(...Object.keys(odd)), (doc, at, kind) => {
        const root = cloneJson(doc) as object;
        const paths = jsonPaths(root);
        const path = paths[at % paths.length]!;
        const o = odd[kind]!;
        let input: unknown = root;
        if (path.length === 0) input = kind === 'cycle' ? { self: root } : o.make(root);
        else setMember(getAt(root, path.slice(0, -1)) as object, String(path[path.length - 1]), o.make(root));
        if (kind === 'cycle' && path.length === 0) (root as Record<string, unknown>)['self'] = input;
        const culprit = path.length === 0 && kind === 'cycle' ? ['self', 'self'] : [...path, ...o.below];
        const r = validated(input);
        expect(r.ok).toBe(false);
        const culpritError = r.errors.find((d) => JSON.stringify(d.path) === JSON.stringify(culprit));
        expect(culpritError, `${kind} at ${JSON.stringify(culprit)}: ${JSON.stringify(r.errors)}`).toBeDefined();
        expect(culpritError!.message).toMatch(o.word);
      }),
      { numRuns: runs(300) },
    );
    // undefined members are left out, and objects without a prototype are plain objects
    fc.assert(
      fc.property(validScenario, fc.nat(), fc.constantFrom('label', 'dn', 'steps', 'command', 'data', 'edges', '__proto__', 'x'), fc.boolean(), (doc, at, key, nullProto) => {
        const root = cloneJson(doc) as object;
        const objects = jsonPaths(root).filter((p) => {
          const v = getAt(root, p);
          return v !== null && typeof v === 'object' && !Array.isArray(v);
        });
        const path = objects[at % objects.length]!;
        const target = getAt(root, path) as object;
        setMember(target, key, undefined);
        let input: unknown = root;
        if (nullProto) {
          const bare = Object.assign(Object.create(null) as object, target);
          if (path.length === 0) input = bare;
          else setMember(getAt(root, path.slice(0, -1)) as object, String(path[path.length - 1]), bare);
        }
        const r = validated(input);
        const plain = validated(JSON.parse(JSON.stringify(input)));
        expect(r.diagnostics).toEqual(plain.diagnostics);
        expect(r.ok).toBe(plain.ok);
      }),
      { numRuns: runs(200) },
    );
    for (const v of [undefined, 10n, Symbol('s'), () => 1, NaN, new Map(), new Date(0), new (class Foo {})()]) {
      const r = validated(v);
      expect(r.ok).toBe(false);
      expect(r.errors[0]!.path).toEqual([]);
    }
  }, 60_000);

  it('(1) what validates without errors, however odd, compiles deterministically and converts to the same graph', () => {
    fc.assert(
      fc.property(validScenario, fc.array(mutation, { minLength: 1, maxLength: 3 }), (doc, ms) => {
        const m = mutate(doc, ms);
        const r = validated(m);
        if (!r.ok) return;
        const graph = meaning(compileScenario(m));
        expect(meaning(compileScenario(m))).toEqual(graph);
        expect(meaning(compileScenario(toSipflow(m)))).toEqual(graph);
        let conversion: ReturnType<typeof convertToCompact>;
        try {
          conversion = convertToCompact(m);
        } catch (err) {
          // a flow whose codecs name no known codec has no compact form: a clear ScenarioError
          expect(err).toBeInstanceOf(ScenarioError);
          return;
        }
        const back = compileScenario(conversion.document);
        // instance names that are whole numbers come first in a JSON object: said by a warning
        if (conversion.warnings.some((w) => w.code === 'instance-order')) expect(perInstance(back)).toEqual(perInstance(compileScenario(m)));
        else expect(meaning(back)).toEqual(graph);
      }),
      { numRuns: runs(500) },
    );
  }, 60_000);

  it('(2) a valid compact scenario keeps its graph through sipflow and back, and as text; compiling is deterministic and frozen', () => {
    fc.assert(
      fc.property(compactScenario(), (s) => {
        const r = validated(s);
        expect(r.errors).toEqual([]);
        const graph = compileScenario(s);
        const expected = meaning(graph);
        expectFrozen(graph);
        // deterministic, sources included
        expect(JSON.stringify(compileScenario(s))).toBe(JSON.stringify(graph));
        const flow = toSipflow(s);
        expect(meaning(compileScenario(flow))).toEqual(expected);
        expect(meaning(compileScenario(toCompact(flow)))).toEqual(expected);
        const text = stringifyScenario(s);
        const fromText = compileScenario(text);
        expect(meaning(fromText)).toEqual(expected);
        expect(JSON.stringify(compileScenario(text))).toBe(JSON.stringify(fromText));
      }),
      { numRuns: runs(300) },
    );
  }, 60_000);

  it('(2) a compact scenario without ids comes back with the same graph, and with no step id when nothing names a step', () => {
    fc.assert(
      fc.property(compactScenario({ ids: false }), (s) => {
        const back = toCompact(toSipflow(s));
        expect(meaning(compileScenario(back))).toEqual(meaning(compileScenario(s)));
        if (!hasRefs(s)) expect(stepIds(back)).toEqual([]);
      }),
      { numRuns: runs(200) },
    );
  }, 60_000);

  it('(2) a valid sipflow flow keeps its graph through compact (ids kept) and back, and up to renaming with tidy ids', () => {
    fc.assert(
      fc.property(sipflowFlow(), (flow) => {
        const r = validated(flow);
        expect(r.errors).toEqual([]);
        const graph = compileScenario(flow);
        expectFrozen(graph);
        const expected = meaning(graph);
        const compact = toCompact(flow);
        expect(validated(compact).errors).toEqual([]);
        expect(meaning(compileScenario(compact))).toEqual(expected);
        expect(meaning(compileScenario(toSipflow(compact)))).toEqual(expected);
        const tidy = toCompact(flow, { ids: 'tidy' });
        expect(renamed(compileScenario(tidy))).toEqual(renamed(graph));
        expect(meaning(compileScenario(stringifyScenario(flow)))).toEqual(expected);
      }),
      { numRuns: runs(300) },
    );
  }, 60_000);

  it('(2) converting never turns a valid scenario into one the validator rejects (an id shared by an instance and a step, a Register run from another instance\'s chain, an instance named like a node copy)', () => {
    fc.assert(
      fc.property(fc.oneof(compactScenario({ sharedIds: true }), awkwardFlow()), (x) => {
        // the validator may reject these shapes outright; what it accepts must convert to what it accepts
        if (!validated(x).ok) return;
        const graph = renamed(compileScenario(x));
        const conversions: [string, (v: unknown) => unknown][] = [
          ['toSipflow', toSipflow],
          ['toCompact', (v) => toCompact(v)],
          ['toSipflow(toCompact)', (v) => toSipflow(toCompact(v))],
          ['toCompact(toSipflow)', (v) => toCompact(toSipflow(v))],
        ];
        for (const [name, convert] of conversions) {
          let out: unknown;
          try {
            out = convert(x);
          } catch (err) {
            // refusing, with the reason, is fine too
            expect(err, name).toBeInstanceOf(ScenarioError);
            continue;
          }
          expect(validated(out).errors, name).toEqual([]);
          // the same graph, up to renaming (the converter may have to rename a clashing id)
          expect(renamed(compileScenario(out)), name).toEqual(graph);
        }
      }),
      { numRuns: runs(300) },
    );
  }, 60_000);

  it('(2) instance ids that are whole numbers: toCompact keeps the graph but for the instance order, and warns exactly when that order changes', () => {
    // A JSON object puts names that are whole numbers first, so the compact format cannot keep
    // the order of such instances (the order decides the ports in local mode): a warning says so.
    fc.assert(
      fc.property(sipflowFlow({ numericInstanceIds: true }), (flow) => {
        expect(validated(flow).errors).toEqual([]);
        const graph = compileScenario(flow);
        const { document, warnings } = convertToCompact(flow);
        const back = compileScenario(document);
        const reordered = back.instances.map((i) => i.id).join('\u0000') !== graph.instances.map((i) => i.id).join('\u0000');
        expect(warnings.some((w) => w.code === 'instance-order')).toBe(reordered);
        if (reordered) expect(perInstance(back)).toEqual(perInstance(graph));
        else expect(meaning(back)).toEqual(meaning(graph));
      }),
      { numRuns: runs(100) },
    );
  }, 60_000);

  it('(3) the schemas accept every generated valid scenario, and every toSipflow output', () => {
    fc.assert(
      fc.property(compactScenario(), (s) => {
        expect(schemas.compact(s), JSON.stringify(schemas.compact.errors)).toBe(true);
        expect(schemas.sipflow(toSipflow(s)), JSON.stringify(schemas.sipflow.errors)).toBe(true);
      }),
      { numRuns: runs(200) },
    );
    fc.assert(
      fc.property(sipflowFlow(), (flow) => {
        expect(schemas.sipflow(flow), JSON.stringify(schemas.sipflow.errors)).toBe(true);
        expect(schemas.compact(toCompact(flow)), JSON.stringify(schemas.compact.errors)).toBe(true);
      }),
      { numRuns: runs(200) },
    );
  }, 60_000);

  // The schemas and the validator differ by design in one direction only: a schema sees one value
  // at a time, so it cannot see cross-references: an unknown target DN, a duplicate DN, a `next`
  // or `onFailure` naming no step (or a step of another instance), a loop made only of commands,
  // a missing PlayAudio file; only the validator reports those. And the compact schema rejects
  // unknown fields (additionalProperties: false, so editors flag typos) where the validator only
  // warns. Every defect below is one value a schema can see: both must reject it.
  it('(3) the compact schema and the validator both reject a single schema-visible defect', () => {
    fc.assert(
      fc.property(defectiveCompact(), ({ doc, defect }) => {
        expect(schemas.compact(doc), `schema accepted ${defect}`).toBe(false);
        expect(validated(doc).errors.length, `validator accepted ${defect}`).toBeGreaterThan(0);
      }),
      { numRuns: runs(300) },
    );
  }, 60_000);

  it('(4) a valid scenario puts only one-line text where a SIP header takes it', () => {
    // From's display name (displayName, else the label), User-Agent, the digest user name and a
    // reason phrase: a line break there would end the header and start another one.
    // eslint-disable-next-line no-control-regex
    const control = /[\u0000-\u0008\u000a-\u001f\u007f]/;
    fc.assert(
      fc.property(validScenario, (doc) => {
        const graph = compileScenario(doc);
        for (const i of graph.instances) {
          for (const [field, value] of [['displayName', i.displayName], ['userAgent', i.userAgent], ['authUsername', i.authUsername]] as const) {
            expect(control.test(value ?? ''), `instance ${i.id} ${field} ${JSON.stringify(value)}`).toBe(false);
          }
        }
        for (const n of graph.nodes) {
          const reason = (n.fields as { reason?: unknown }).reason;
          if (typeof reason === 'string') expect(control.test(reason), `node ${n.id} reason ${JSON.stringify(reason)}`).toBe(false);
        }
      }),
      { numRuns: runs(200) },
    );
  }, 60_000);

  it('the generators cover every command and event, and the shapes sipflow allows', () => {
    // Not a property of src: a check that the arbitraries generate what the properties claim.
    const seen = new Set<string>();
    for (const s of fc.sample(compactScenario(), { numRuns: 300 })) {
      const text = JSON.stringify(s);
      for (const name of [...COMMAND_NAMES, ...EVENT_NAMES]) if (text.includes(`"${name}"`)) seen.add(name);
      if (/"steps":\["|,"[A-Z]+"[\],]/.test(text)) seen.add('shorthand');
      if (text.includes('"next":')) seen.add('next');
      if (text.includes('"onFailure":[')) seen.add('onFailure list');
      if (/"onFailure":"/.test(text)) seen.add('onFailure id');
      if (/"chains":\[.*\],"[^"]*"\]/.test(text) || /"chains":\["/.test(text)) seen.add('chain id');
      if (stepIds(s).length > 0) seen.add('ids');
    }
    for (const flow of fc.sample(sipflowFlow(), { numRuns: 300 })) {
      const scenario: Scenario = loadScenario(flow);
      const byId = new Map(scenario.nodes.map((n) => [n.id, n]));
      const reachedBy = new Map<string, Set<string>>();
      const preds = new Map<string, number>();
      for (const n of scenario.nodes) for (const next of [n.success, n.failure]) if (next !== undefined) preds.set(next, (preds.get(next) ?? 0) + 1);
      for (const inst of scenario.instances) {
        if (inst.starts.length >= 2) seen.add('several starts');
        const stack = [...inst.starts];
        const seenHere = new Set<string>();
        while (stack.length > 0) {
          const id = stack.pop()!;
          if (seenHere.has(id)) {
            if (byId.get(id)?.kind === 'event') seen.add('revisit through an event');
            continue;
          }
          seenHere.add(id);
          (reachedBy.get(id) ?? reachedBy.set(id, new Set()).get(id)!).add(inst.id);
          const n = byId.get(id)!;
          for (const next of [n.success, n.failure]) if (next !== undefined) stack.push(next);
        }
      }
      const data = (flow['nodes'] as JsonObject[]).filter((n) => n['type'] !== 'sipInstance').map((n) => n['data'] as JsonObject);
      if (scenario.nodes.some((n) => n.failure !== undefined)) seen.add('failure edge');
      if ([...preds.values()].some((c) => c >= 2)) seen.add('merge');
      if ([...reachedBy.values()].some((s) => s.size >= 2)) seen.add('cross-instance');
      if (scenario.nodes.some((n) => !reachedBy.has(n.id))) seen.add('unreachable');
      if (scenario.nodes.some((n) => n.success === n.id || n.failure === n.id) || seen.has('revisit through an event')) seen.add('loop');
      if (data.some((d) => d['sipInstanceId'] === undefined && d['number'] === undefined)) seen.add('no sipInstanceId');
      if (data.some((d) => d['event'] === 'INCOMING' && !d['sipInstanceId'] && d['number'] !== undefined)) seen.add('INCOMING by number');
      const graph = compileScenario(flow);
      if (graph.nodes.some((n: CompiledNode) => n.id.includes('@') && graph.node(n.id.slice(0, n.id.indexOf('@'))) !== undefined)) seen.add('copy ids');
    }
    const wanted = [
      ...COMMAND_NAMES, ...EVENT_NAMES, 'shorthand', 'next', 'onFailure list', 'onFailure id', 'chain id', 'ids',
      'several starts', 'failure edge', 'merge', 'cross-instance', 'unreachable', 'loop', 'no sipInstanceId', 'INCOMING by number', 'copy ids',
    ];
    expect(wanted.filter((w) => !seen.has(w))).toEqual([]);
  }, 60_000);
});
