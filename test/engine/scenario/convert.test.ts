import { describe, expect, it } from 'vitest';
import {
  ScenarioError,
  compileScenario,
  convertToCompact,
  loadScenario,
  stringifyScenario,
  toCompact,
  toSipflow,
  validateScenario,
} from '../../../src/engine/scenario/index.js';
import { meaning, schemaValidators } from './helpers.js';

const compact = {
  name: 'transfer',
  instances: {
    alice: {
      dn: '100',
      codecs: ['PCMA'],
      steps: [
        { command: 'MakeCall', targetUri: '200', callId: 'primary', onFailure: [{ event: 'TIMEOUT', timeout: 500 }, { command: 'MakeCall', targetUri: '200', callId: 'primary', next: 'hangup' }] },
        { command: 'BlindTransfer', callId: 'primary', targetUri: '300', waitForNotify: true },
        { id: 'hangup', command: 'Release', callId: 'primary' },
      ],
    },
    bob: { dn: '200', steps: [{ event: 'INCOMING', callId: 'primary' }, { command: 'Answer', callId: 'primary' }, { event: 'TRANSFERRED', callId: 'primary', timeout: 5000 }] },
    carol: { dn: '300', pbxHost: '127.0.0.1', register: false, password: '${CAROL_PW}', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
};

describe('toSipflow', () => {
  it('keeps the meaning and lays nodes out one column per instance for the desktop app', () => {
    const flow = toSipflow(compact);
    expect(meaning(compileScenario(flow, { vars: { CAROL_PW: 'pw' } }))).toEqual(meaning(compileScenario(compact, { vars: { CAROL_PW: 'pw' } })));
    const columns = new Map(flow.nodes.map((n) => [n.id, n.position.x]));
    expect(columns.get('alice')).toBe(0);
    expect(columns.get('alice.steps[0].onFailure[1]')).toBe(0);
    expect(columns.get('bob.steps[2]')).toBe(320);
    expect(columns.get('carol')).toBe(640);
    const ys = flow.nodes.filter((n) => n.position.x === 0).map((n) => n.position.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(new Set(ys).size).toBe(ys.length);
  });

  it('writes what the desktop app needs: register, sipInstanceId, INCOMING number, labels, branch edges', () => {
    const flow = toSipflow(compact);
    expect(flow.name).toBe('transfer');
    const node = (id: string) => flow.nodes.find((n) => n.id === id)!;
    expect(node('alice').data).toEqual({ dn: '100', label: 'alice', register: false, codecs: ['PCMA'] });
    expect(node('carol').data).toMatchObject({ register: false, pbxHost: '127.0.0.1', password: '${CAROL_PW}', codecs: ['PCMU', 'PCMA'] });
    expect(node('bob.steps[0]').data).toEqual({ label: 'Incoming', event: 'INCOMING', sipInstanceId: 'bob', number: '200', callId: 'primary' });
    expect(node('alice.steps[1]').data).toMatchObject({ label: 'BlindTransfer', command: 'BlindTransfer', sipInstanceId: 'alice', targetUri: '300', waitForNotify: true });
    const failure = flow.edges.find((e) => e.data.branchType === 'failure')!;
    expect(failure).toMatchObject({ source: 'alice.steps[0]', target: 'alice.steps[0].onFailure[0]', sourceHandle: 'source', targetHandle: 'target', type: 'branch' });
    expect(new Set(flow.edges.map((e) => e.id)).size).toBe(flow.edges.length);
    expect(schemaValidators().sipflow(flow)).toBe(true);
    // Placeholders are kept: no secret reaches the output.
    expect(JSON.stringify(flow)).not.toContain('pw"');
  });

  it('produces a flow with no warnings but the ones the source had', () => {
    const result = validateScenario(toSipflow(compact), { vars: { CAROL_PW: 'x' } });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});

describe('toCompact', () => {
  it('gives back a compact scenario written without ids exactly', () => {
    expect(toCompact(toSipflow(compact))).toEqual(compact);
  });

  const desktop = {
    nodes: [
      { id: '6f0c1d2e-0000-4000-8000-000000000001', type: 'sipInstance', position: { x: 0, y: 0 }, data: { label: 'Caller', dn: '100', register: true, color: '#3b82f6', codecs: ['PCMU', 'PCMA'] } },
      { id: '6f0c1d2e-0000-4000-8000-000000000002', type: 'sipInstance', position: { x: 300, y: 0 }, data: { label: 'Callee', dn: '200', register: true, color: '#14b8a6', codecs: ['PCMA', 'G729'] } },
      { id: 'n-make', type: 'command', position: { x: 0, y: 150 }, data: { label: 'MakeCall', command: 'MakeCall', sipInstanceId: '6f0c1d2e-0000-4000-8000-000000000001', targetUri: '200' } },
      { id: 'n-wait', type: 'event', position: { x: 0, y: 300 }, data: { label: 'Timeout', event: 'TIMEOUT', sipInstanceId: '6f0c1d2e-0000-4000-8000-000000000001', timeout: 3000 } },
      { id: 'n-bye', type: 'command', position: { x: 0, y: 450 }, data: { label: 'Hang up', command: 'Release', sipInstanceId: '6f0c1d2e-0000-4000-8000-000000000001' } },
      { id: 'n-in', type: 'event', position: { x: 300, y: 150 }, data: { label: 'Incoming', event: 'INCOMING', sipInstanceId: '6f0c1d2e-0000-4000-8000-000000000002', number: '200' } },
      { id: 'n-ans', type: 'command', position: { x: 300, y: 300 }, data: { label: 'Answer', command: 'Answer', sipInstanceId: '6f0c1d2e-0000-4000-8000-000000000002' } },
      { id: 'n-disc', type: 'event', position: { x: 300, y: 450 }, data: { label: 'Disconnect', event: 'DISCONNECTED', sipInstanceId: '6f0c1d2e-0000-4000-8000-000000000002' } },
      { id: 'n-stray', type: 'command', position: { x: 600, y: 450 }, data: { label: 'Hold', command: 'Hold', sipInstanceId: '6f0c1d2e-0000-4000-8000-000000000002' } },
    ],
    edges: [
      { id: 'e1', source: '6f0c1d2e-0000-4000-8000-000000000001', target: 'n-make', sourceHandle: 'source', type: 'branch', data: { branchType: 'success' } },
      { id: 'e2', source: 'n-make', target: 'n-wait', sourceHandle: 'source', type: 'branch', data: { branchType: 'success' } },
      { id: 'e3', source: 'n-wait', target: 'n-bye', sourceHandle: 'source', type: 'branch', data: { branchType: 'success' } },
      { id: 'e4', source: 'n-make', target: 'n-bye', sourceHandle: 'failure', data: { branchType: 'failure' } },
      { id: 'e5', source: '6f0c1d2e-0000-4000-8000-000000000002', target: 'n-in', sourceHandle: 'source', type: 'branch', data: { branchType: 'success' } },
      { id: 'e6', source: 'n-in', target: 'n-ans', sourceHandle: 'source', type: 'branch', data: { branchType: 'success' } },
      { id: 'e7', source: 'n-ans', target: 'n-disc', sourceHandle: 'source', type: 'branch', data: { branchType: 'success' } },
    ],
  };

  it('keeps every id by default, so the compiled graph is the same, ids included', () => {
    const out = toCompact(desktop);
    expect(meaning(compileScenario(out))).toEqual(meaning(compileScenario(desktop)));
    expect(Object.keys(out.instances)).toEqual(['6f0c1d2e-0000-4000-8000-000000000001', '6f0c1d2e-0000-4000-8000-000000000002']);
  });

  it('tidy: names instances by label and drops ids nothing refers to; the meaning stays', () => {
    const out = toCompact(desktop, { ids: 'tidy' });
    expect(out).toEqual({
      instances: {
        Caller: {
          dn: '100',
          color: '#3b82f6',
          steps: [
            { command: 'MakeCall', targetUri: '200', onFailure: 'n-bye' },
            { event: 'TIMEOUT', timeout: 3000 },
            { id: 'n-bye', command: 'Release', label: 'Hang up' },
          ],
        },
        Callee: { dn: '200', color: '#14b8a6', codecs: ['PCMA'], steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
      },
    });
    const a = compileScenario(out);
    const b = compileScenario(desktop);
    expect(a.nodes.map((n) => [n.name, n.instance === a.instances[0]!.id ? 0 : 1, n.timeoutMs])).toEqual(
      b.nodes.map((n) => [n.name, n.instance === b.instances[0]!.id ? 0 : 1, n.timeoutMs]),
    );
  });

  it('reports what it leaves out: unreachable nodes and the codecs sipflow drops', () => {
    const result = convertToCompact(desktop, { ids: 'tidy' });
    expect(result.warnings.filter((w) => w.code === 'unreachable').map((w) => w.nodeId)).toEqual(['n-stray']);
    expect(result.warnings.some((w) => w.code === 'unknown-codec' && w.message.includes('G729'))).toBe(true);
  });

  it('warns when the instance order cannot be kept (names that are whole numbers sort first in an object)', () => {
    const flow = {
      nodes: [
        { id: '2', type: 'sipInstance', data: { dn: '200', register: false } },
        { id: '1', type: 'sipInstance', data: { dn: '100', register: false } },
      ],
      edges: [],
    };
    const result = convertToCompact(flow);
    expect(Object.keys(result.document.instances)).toEqual(['1', '2']);
    expect(result.warnings.map((w) => w.code)).toEqual(['instance-order']);
  });

  it('writes $schema when asked and prints readably', () => {
    const out = toCompact(toSipflow(compact), { schema: './node_modules/sipflow/schema/scenario.schema.json' });
    const text = stringifyScenario(out);
    expect(text.startsWith('{\n  "$schema": "./node_modules/sipflow/schema/scenario.schema.json",\n')).toBe(true);
    expect(text).toContain('"bob": {\n      "dn": "200",\n');
    expect(text).toContain('{ "event": "INCOMING", "callId": "primary" }');
    expect(JSON.parse(text)).toEqual(out);
    expect(loadScenario(text, { vars: { CAROL_PW: 'x' } }).format).toBe('compact');
  });

  it('refuses input with errors', () => {
    expect(() => toCompact({ nodes: [] })).toThrow(ScenarioError);
    expect(() => toSipflow({ instances: { a: { steps: ['Nope'] } } })).toThrow(/unsupported command or event Nope/);
  });
});

describe('stringifyScenario', () => {
  it('keeps short values on one line and spreads long ones', () => {
    expect(stringifyScenario({ a: [1, 2], b: { c: 'd' } })).toBe('{\n  "a": [1, 2],\n  "b": { "c": "d" }\n}\n');
    const long = { steps: Array.from({ length: 12 }, (_, i) => `step-number-${i}`) };
    const text = stringifyScenario(long, 60);
    expect(text.split('\n').every((line) => line.length <= 60)).toBe(true);
    expect(JSON.parse(text)).toEqual(long);
    expect(stringifyScenario({})).toBe('{}\n');
    expect(stringifyScenario([])).toBe('[]\n');
  });
});
