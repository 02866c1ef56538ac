import { describe, expect, it } from 'vitest';
import { compileScenario, loadScenario, ScenarioError, type CompiledNode } from '../../../src/engine/scenario/index.js';
import { meaning } from './helpers.js';

const basic = {
  name: 'basic call',
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 2000 }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
};

describe('the execution graph', () => {
  it('resolves every instance setting to its default', () => {
    const graph = compileScenario(basic);
    expect(graph.name).toBe('basic call');
    expect(graph.instance('alice')).toMatchObject({
      id: 'alice',
      dn: '100',
      user: '100',
      label: 'alice',
      displayName: 'alice',
      codecs: ['PCMU', 'PCMA'],
      mode: 'local',
      pbx: undefined,
      register: false,
      registerIntervalSeconds: 300,
      authUsername: '100',
      password: undefined,
      host: undefined,
      port: undefined,
      rtpPortRange: undefined,
      autoRinging: true,
      startNodes: ['alice.steps[0]'],
    });
  });

  it('gives each node its instance, call, timeout, fields and successors', () => {
    const graph = compileScenario(basic);
    expect(graph.nodes.map((n) => [n.id, n.instance, n.name, n.callId, n.timeoutMs, n.onSuccess, n.onFailure])).toEqual([
      ['alice.steps[0]', 'alice', 'MakeCall', 'call-1', 10_000, 'alice.steps[1]', undefined],
      ['alice.steps[1]', 'alice', 'TIMEOUT', 'call-1', 2000, 'alice.steps[2]', undefined],
      ['alice.steps[2]', 'alice', 'Release', 'call-1', undefined, undefined, undefined],
      ['bob.steps[0]', 'bob', 'INCOMING', 'call-1', 10_000, 'bob.steps[1]', undefined],
      ['bob.steps[1]', 'bob', 'Answer', 'call-1', undefined, 'bob.steps[2]', undefined],
      ['bob.steps[2]', 'bob', 'DISCONNECTED', 'call-1', 10_000, undefined, undefined],
    ]);
    const call = graph.node('alice.steps[0]') as CompiledNode & { name: 'MakeCall' };
    expect(call.fields).toEqual({ targetUri: '200' });
    expect(call.target).toEqual({ kind: 'dn', dn: '200', instance: 'bob' });
  });

  it('applies field defaults and timeout fallbacks as sipflow does', () => {
    const graph = compileScenario({
      instances: {
        a: {
          pbxHost: 'pbx.example.com',
          pbxPort: '5080',
          password: 'secret',
          steps: [
            { command: 'SendDTMF', digits: '12#' },
            { command: 'MakeCall', targetUri: 'sip:bob@example.com', timeout: 0 },
            { command: 'MuteTransfer', callId: 'primary', consultCallId: 'consult', timeout: -5 },
            { event: 'DTMFReceived', timeout: 0 },
            { event: 'HELD', timeout: 1500.9 },
            { command: 'Reject' },
            { command: 'BlindTransfer', targetUser: 'carol', targetHost: '192.0.2.7:5060' },
            'Register',
          ],
        },
      },
    });
    const fields = graph.nodes.map((n) => [n.name, n.fields, n.timeoutMs]);
    expect(fields).toEqual([
      ['SendDTMF', { digits: '12#', intervalMs: 100, mode: 'rfc4733', durationMs: 100 }, undefined],
      ['MakeCall', { targetUri: 'sip:bob@example.com' }, 30_000],
      ['MuteTransfer', { primaryCallId: 'primary', consultCallId: 'consult' }, 30_000],
      ['DTMFReceived', { expectedDigit: '', expectedDigits: undefined }, 10_000],
      ['HELD', {}, 1500],
      ['Reject', { status: 486, reason: undefined }, undefined],
      ['BlindTransfer', { targetUri: undefined, targetUser: 'carol', targetHost: '192.0.2.7:5060', waitForNotify: false }, 10_000],
      ['Register', { expires: undefined }, 10_000],
    ]);
    expect(graph.node('a.steps[6]')!.target).toEqual({ kind: 'uri', uri: 'sip:carol@192.0.2.7:5060' });
    expect(graph.instance('a')).toMatchObject({ mode: 'pbx', register: true, pbx: { host: 'pbx.example.com', port: 5080, transport: 'UDP' }, password: 'secret' });
  });

  it('is deterministic and immutable', () => {
    const a = compileScenario(basic);
    const b = compileScenario(JSON.stringify(basic));
    expect(meaning(a)).toEqual(meaning(b));
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.nodes)).toBe(true);
    expect(Object.isFrozen(a.nodes[0]!.fields)).toBe(true);
    expect(Object.isFrozen(a.instances[0]!.codecs)).toBe(true);
    expect(() => {
      (a.nodes as CompiledNode[]).push(a.nodes[0]!);
    }).toThrow(TypeError);
  });

  it('orders nodes chain by chain, depth first, success before failure, and leaves out unreachable ones', () => {
    const graph = compileScenario({
      instances: {
        a: {
          steps: [
            { command: 'MakeCall', targetUri: 'b', onFailure: [{ event: 'TIMEOUT', timeout: 10 }, { command: 'Release', next: 'end' }] },
            { event: 'TIMEOUT', timeout: 10, next: 'end' },
            { event: 'TIMEOUT', timeout: 10 },
            { id: 'end', command: 'Release' },
          ],
        },
        b: { steps: ['INCOMING'] },
      },
    });
    expect(graph.nodes.map((n) => n.id)).toEqual([
      'a.steps[0]',
      'a.steps[1]',
      'end',
      'a.steps[0].onFailure[0]',
      'a.steps[0].onFailure[1]',
      'b.steps[0]',
    ]);
    expect(graph.node('a.steps[2]')).toBeUndefined();
  });

  it('starts every chain of an instance', () => {
    const graph = compileScenario({
      instances: {
        a: {
          chains: [
            [{ event: 'INCOMING', callId: 'in' }, { command: 'Answer', callId: 'in' }],
            [{ command: 'MakeCall', targetUri: 'sip:x@192.0.2.1', callId: 'out' }],
            'a.chains[0][1]',
          ],
        },
      },
    });
    expect(graph.instance('a')!.startNodes).toEqual(['a.chains[0][0]', 'a.chains[1][0]', 'a.chains[0][1]']);
  });

  it('runs a sipflow node reached from two instances once per instance, with its own id on its own instance', () => {
    const flow = {
      nodes: [
        { id: 'A', type: 'sipInstance', data: { dn: '100', register: false } },
        { id: 'B', type: 'sipInstance', data: { dn: '200', register: false } },
        { id: 'mk', type: 'command', data: { command: 'MakeCall', targetUri: '200' } },
        { id: 'in', type: 'event', data: { event: 'INCOMING', sipInstanceId: 'B' } },
        { id: 'ans', type: 'command', data: { command: 'Answer', sipInstanceId: 'B' } },
      ],
      edges: [
        { source: 'A', target: 'mk' },
        { source: 'B', target: 'in' },
        { source: 'mk', target: 'ans' },
        { source: 'in', target: 'ans' },
      ],
    };
    const graph = compileScenario(flow);
    expect(graph.nodes.map((n) => [n.id, n.instance])).toEqual([
      ['mk', 'A'],
      ['ans@A', 'A'],
      ['in', 'B'],
      ['ans', 'B'],
    ]);
    expect(graph.node('mk')!.onSuccess).toBe('ans@A');
    expect(graph.node('in')!.onSuccess).toBe('ans');
    expect(loadScenario(flow).warnings.map((w) => w.code)).toContain('instance-mismatch');
  });

  it('keeps the instances in the order the text has them, even names that are whole numbers', () => {
    const graph = compileScenario('{ "instances": { "200": { "steps": ["INCOMING"] }, "alice": {}, "100": {} } }');
    expect(graph.instances.map((i) => i.id)).toEqual(['200', 'alice', '100']);
    // A JavaScript object cannot hold that order: its own order is used.
    expect(compileScenario({ instances: { '200': {}, alice: {}, '100': {} } }).instances.map((i) => i.id)).toEqual(['100', '200', 'alice']);
  });

  it('keeps source positions for reports', () => {
    const graph = compileScenario(JSON.stringify(basic, null, 2), { file: 'basic.json' });
    expect(graph.node('bob.steps[1]')!.source).toEqual({ path: ['instances', 'bob', 'steps', 1], file: 'basic.json', line: 22, column: 9 });
    expect(graph.source).toEqual({ format: 'compact', file: 'basic.json' });
  });

  it('only labels nodes with a label the author chose', () => {
    const graph = compileScenario({
      nodes: [
        { id: 'A', type: 'sipInstance', data: { dn: '100', register: false } },
        { id: 'e1', type: 'event', data: { event: 'INCOMING', label: 'Incoming' } },
        { id: 'e2', type: 'event', data: { event: 'DISCONNECTED', label: 'wait for the hang-up', sipInstanceId: 'A' } },
      ],
      edges: [
        { source: 'A', target: 'e1' },
        { source: 'e1', target: 'e2' },
      ],
    });
    expect(graph.nodes.map((n) => n.label)).toEqual([undefined, 'wait for the hang-up']);
  });

  it('refuses a scenario with errors, and one loaded with its placeholders kept', () => {
    expect(() => compileScenario({ instances: { a: { steps: [{ command: 'MakeCall' }] } } })).toThrow(ScenarioError);
    const kept = loadScenario({ instances: { a: { password: '${PW}' } } }, { placeholders: 'keep' });
    expect(() => compileScenario(kept)).toThrow(/placeholders kept/);
    expect(compileScenario(loadScenario({ instances: { a: { password: '${PW}' } } }, { vars: { PW: 'x' } })).instance('a')!.password).toBe('x');
  });
});
