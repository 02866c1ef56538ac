// The compact scenario format: instances by name with their settings, each with an ordered list
// of steps (the next step being the success path), ids, next, onFailure, chains, defaults, JSONC
// text with exact positions, and ${NAME} placeholders.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type ScenarioDiagnostic,
  type ValidationResult,
  ScenarioError,
  compileScenario,
  loadScenario,
  loadScenarioFile,
  validateScenario,
  validateScenarioFile,
} from '../../../src/engine/scenario/index.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/scenarios/compact');
const fixture = (name: string): string => join(FIXTURES, name);

/** Every diagnostic as a short line, for failure messages. */
function dump(r: ValidationResult): string {
  return r.diagnostics.map((d) => `${d.severity} ${d.code} ${JSON.stringify(d.path)} ${d.line ?? ''}:${d.column ?? ''} ${d.message}`).join('\n');
}

/** The one diagnostic with `code` (and matching `pred`); fails when there is not exactly one. */
function one(r: ValidationResult, code: string, pred: (d: ScenarioDiagnostic) => boolean = () => true): ScenarioDiagnostic {
  const found = r.diagnostics.filter((d) => d.code === code && pred(d));
  expect(found, dump(r)).toHaveLength(1);
  return found[0]!;
}

/** The 1-based line and column of the `nth` occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 1): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i < nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`${needle} not found`);
  }
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** A callee that answers and waits for the end, so callers have someone to call. */
const BOB = { steps: ['INCOMING', 'Answer', 'DISCONNECTED'] };

describe('the basic two-party call', () => {
  const text = readFileSync(fixture('basic-call.json'), 'utf8');

  it('fits in about 15 readable lines', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('loads without a diagnostic', () => {
    const r = validateScenarioFile(fixture('basic-call.json'));
    expect(r.diagnostics, dump(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.format).toBe('compact');
    expect(r.scenario?.format).toBe('compact');
    expect(r.scenario?.placeholders).toBe('filled');
  });

  it('compiles to the expected graph', () => {
    const graph = compileScenario(loadScenarioFile(fixture('basic-call.json')));
    expect(graph.source.format).toBe('compact');
    expect(graph.source.file).toBe(fixture('basic-call.json'));
    expect(graph.instances.map((i) => [i.id, i.dn, i.label, i.startNodes])).toEqual([
      ['caller', '100', 'caller', ['caller.steps[0]']],
      ['callee', '200', 'callee', ['callee.steps[0]']],
    ]);
    for (const instance of graph.instances) {
      expect(instance).toMatchObject({ mode: 'local', register: false, pbx: undefined, codecs: ['PCMU', 'PCMA'], autoRinging: true, registerIntervalSeconds: 300 });
    }
    expect(graph.nodes.map((n) => [n.id, n.kind, n.name, n.instance, n.callId, n.timeoutMs, n.onSuccess, n.onFailure])).toEqual([
      ['caller.steps[0]', 'command', 'MakeCall', 'caller', 'call-1', 10_000, 'caller.steps[1]', undefined],
      ['caller.steps[1]', 'event', 'TIMEOUT', 'caller', 'call-1', 2000, 'caller.steps[2]', undefined],
      ['caller.steps[2]', 'command', 'Release', 'caller', 'call-1', undefined, undefined, undefined],
      ['callee.steps[0]', 'event', 'INCOMING', 'callee', 'call-1', 10_000, 'callee.steps[1]', undefined],
      ['callee.steps[1]', 'command', 'Answer', 'callee', 'call-1', undefined, 'callee.steps[2]', undefined],
      ['callee.steps[2]', 'event', 'DISCONNECTED', 'callee', 'call-1', 10_000, undefined, undefined],
    ]);
    const makeCall = graph.node('caller.steps[0]')!;
    expect(makeCall.target).toEqual({ kind: 'dn', dn: '200', instance: 'callee' });
    expect(makeCall.fields).toEqual({ targetUri: '200' });
    expect(makeCall.label).toBeUndefined();
    expect(graph.node('callee.steps[1]')!.target).toBeUndefined();
  });

  it('keeps where each instance and step is in the file', () => {
    const graph = compileScenario(loadScenarioFile(fixture('basic-call.json')));
    expect(graph.instance('caller')!.source).toEqual({ path: ['instances', 'caller'], file: fixture('basic-call.json'), ...at(text, '{\n      "dn": "100"') });
    expect(graph.node('caller.steps[0]')!.source).toMatchObject({ path: ['instances', 'caller', 'steps', 0], line: 6, column: 9 });
    expect(graph.node('callee.steps[1]')!.source).toMatchObject(at(text, '"Answer"'));
  });

  it('gives the same graph written as a JavaScript value', () => {
    const graph = compileScenario({
      instances: {
        caller: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 2000 }, 'Release'] },
        callee: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
      },
    });
    const fromFile = compileScenario(loadScenarioFile(fixture('basic-call.json')));
    const strip = (g: typeof graph): unknown => JSON.parse(JSON.stringify({ i: g.instances, n: g.nodes }, (k, v: unknown) => (k === 'source' ? undefined : v)));
    expect(strip(graph)).toEqual(strip(fromFile));
  });
});

describe('JSON with comments and trailing commas', () => {
  it('reads line and block comments and trailing commas in lists and objects', () => {
    const r = validateScenarioFile(fixture('commented.json'));
    expect(r.diagnostics, dump(r)).toEqual([]);
    const graph = compileScenario(r.scenario);
    expect(graph.name).toBe('hold call');
    expect(graph.nodes.filter((n) => n.instance === 'alice').map((n) => n.name)).toEqual(['MakeCall', 'Hold', 'TIMEOUT', 'Retrieve', 'Release']);
    expect(graph.node('alice.steps[0]')!.target).toEqual({ kind: 'dn', dn: 'bob', instance: 'bob' });
  });

  it('reads text, bytes and values alike', () => {
    const text = readFileSync(fixture('commented.json'), 'utf8');
    expect(validateScenario(text).ok).toBe(true);
    expect(validateScenario(new TextEncoder().encode(text)).ok).toBe(true);
    expect(validateScenario(readFileSync(fixture('commented.json'))).ok).toBe(true);
  });

  it('reports a syntax error at file:line:column', () => {
    const r = validateScenario('{\n  "instances": {\n    "a": { "steps": [ "Answer" } \n  }\n}', { file: 'bad.json' });
    expect(r.ok).toBe(false);
    expect(r.format).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'syntax', file: 'bad.json', line: 3, column: 32 });
  });

  it('says so when a file name was given where the scenario text belongs', () => {
    for (const name of ['examples/basic-call.json', 'call.jsonc', 'C:\\flows\\call']) {
      const r = validateScenario(name);
      expect(one(r, 'syntax').message).toContain(`this looks like a file name: the scenario's text or value goes here; read a file with loadScenarioFile(${JSON.stringify(name)})`);
    }
    // Text that is not a file name gets no such hint.
    expect(one(validateScenario('hello'), 'syntax').message).not.toContain('file name');
  });

  it('refuses a second trailing comma', () => {
    const r = validateScenario('{ "instances": { "a": { "steps": ["Answer",,] } } }');
    expect(one(r, 'syntax')).toMatchObject({ line: 1, column: 44 });
  });
});

describe('steps', () => {
  it('takes a bare command or event name as a step', () => {
    const graph = compileScenario({ instances: { a: { steps: ['INCOMING', 'Answer', 'Hold', 'HELD', 'DISCONNECTED'] } } });
    expect(graph.nodes.map((n) => [n.kind, n.name])).toEqual([
      ['event', 'INCOMING'],
      ['command', 'Answer'],
      ['command', 'Hold'],
      ['event', 'HELD'],
      ['event', 'DISCONNECTED'],
    ]);
  });

  it('derives step ids from their path', () => {
    const s = loadScenario({
      instances: {
        alice: {
          steps: [
            { command: 'MakeCall', targetUri: 'bob', onFailure: [{ event: 'TIMEOUT', timeout: 10 }, { command: 'MakeCall', targetUri: 'bob' }] },
            'Release',
          ],
        },
        bob: { chains: [['INCOMING', 'Answer'], ['DISCONNECTED']] },
      },
    });
    expect(s.nodes.map((n) => n.id)).toEqual([
      'alice.steps[0]',
      'alice.steps[0].onFailure[0]',
      'alice.steps[0].onFailure[1]',
      'alice.steps[1]',
      'bob.chains[0][0]',
      'bob.chains[0][1]',
      'bob.chains[1][0]',
    ]);
    expect(s.nodes.find((n) => n.id === 'alice.steps[0].onFailure[1]')!.path).toEqual(['instances', 'alice', 'steps', 0, 'onFailure', 1]);
  });

  it('writes any instance name as it is in derived ids', () => {
    const graph = compileScenario({ instances: { 'bob-2': { steps: ['INCOMING', 'Answer'] } } });
    expect(graph.instance('bob-2')!.startNodes).toEqual(['bob-2.steps[0]']);
    expect(graph.node('bob-2.steps[0]')!.onSuccess).toBe('bob-2.steps[1]');
  });

  it('uses a given id instead of the derived one', () => {
    const graph = compileScenario({ instances: { a: { steps: [{ event: 'INCOMING', id: 'ring' }, { command: 'Answer', id: 'pick-up' }, 'DISCONNECTED'] } } });
    expect(graph.instance('a')!.startNodes).toEqual(['ring']);
    expect(graph.nodes.map((n) => [n.id, n.onSuccess])).toEqual([
      ['ring', 'pick-up'],
      ['pick-up', 'a.steps[2]'],
      ['a.steps[2]', undefined],
    ]);
  });

  it('keeps common fields: callId, timeout and label', () => {
    const graph = compileScenario({
      instances: {
        a: { steps: [{ command: 'MakeCall', targetUri: 'b', callId: 'main', timeout: 3000, label: 'dial b' }, { command: 'Release', callId: 'main' }] },
        b: BOB,
      },
    });
    expect(graph.node('a.steps[0]')).toMatchObject({ callId: 'main', timeoutMs: 3000, label: 'dial b' });
    expect(graph.node('a.steps[1]')).toMatchObject({ callId: 'main', timeoutMs: undefined, label: undefined });
  });

  it('applies the command and event defaults', () => {
    const graph = compileScenario({
      instances: {
        a: {
          steps: [
            { command: 'MakeCall', targetUri: 'b' },
            { command: 'SendDTMF', digits: '12#' },
            { event: 'DTMFReceived' },
            { command: 'BlindTransfer', targetUri: 'sip:300@example.com' },
          ],
        },
        b: BOB,
      },
    });
    expect(graph.node('a.steps[1]')!.fields).toEqual({ digits: '12#', intervalMs: 100, mode: 'rfc4733', durationMs: 100 });
    expect(graph.node('a.steps[2]')).toMatchObject({ timeoutMs: 10_000, fields: { expectedDigit: '', expectedDigits: undefined } });
    expect(graph.node('a.steps[3]')).toMatchObject({ timeoutMs: 10_000, fields: { waitForNotify: false }, target: { kind: 'uri', uri: 'sip:300@example.com' } });
  });
});

describe('next and onFailure', () => {
  it('goes to a step by id with next, skipping the following step', () => {
    const r = validateScenario({
      instances: { a: { steps: [{ event: 'INCOMING', next: 'answer' }, { command: 'Reject' }, { command: 'Answer', id: 'answer' }] } },
    });
    const graph = compileScenario(r.scenario);
    expect(graph.node('a.steps[0]')!.onSuccess).toBe('answer');
    expect(graph.node('a.steps[1]')).toBeUndefined();
    const d = one(r, 'unreachable');
    expect(d).toMatchObject({ severity: 'warning', nodeId: 'a.steps[1]', path: ['instances', 'a', 'steps', 1] });
  });

  it('runs a nested onFailure list on failure, which ends where it ends', () => {
    const graph = compileScenario({
      instances: {
        a: {
          steps: [
            { command: 'MakeCall', targetUri: 'b', onFailure: [{ event: 'TIMEOUT', timeout: 100 }, { command: 'MakeCall', targetUri: 'b', callId: 'retry' }] },
            'Release',
          ],
        },
        b: BOB,
      },
    });
    expect(graph.node('a.steps[0]')).toMatchObject({ onSuccess: 'a.steps[1]', onFailure: 'a.steps[0].onFailure[0]' });
    expect(graph.node('a.steps[0].onFailure[0]')).toMatchObject({ onSuccess: 'a.steps[0].onFailure[1]', onFailure: undefined });
    // The last step of a failure list does not fall through to the step after its parent.
    expect(graph.node('a.steps[0].onFailure[1]')).toMatchObject({ onSuccess: undefined, onFailure: undefined });
    expect(graph.node('a.steps[1]')).toMatchObject({ onSuccess: undefined, onFailure: undefined });
  });

  it('goes to a step by id on failure', () => {
    const graph = compileScenario({
      instances: { a: { steps: [{ event: 'INCOMING', onFailure: 'give-up' }, 'Answer', 'DISCONNECTED', { event: 'TIMEOUT', id: 'give-up', timeout: 1 }] } },
    });
    expect(graph.node('a.steps[0]')).toMatchObject({ onSuccess: 'a.steps[1]', onFailure: 'give-up' });
    // The step before give-up still falls through to it on success: it is the next one in the list.
    expect(graph.node('a.steps[2]')!.onSuccess).toBe('give-up');
  });

  it('writes a loop with a TIMEOUT in it', () => {
    const r = validateScenario({
      instances: {
        a: {
          steps: [
            { command: 'MakeCall', targetUri: 'b' },
            { command: 'SendDTMF', digits: '1', id: 'again' },
            { event: 'TIMEOUT', timeout: 500, next: 'again' },
          ],
        },
        b: BOB,
      },
    });
    expect(r.errors, dump(r)).toEqual([]);
    const graph = compileScenario(r.scenario);
    expect(graph.node('a.steps[2]')!.onSuccess).toBe('again');
    expect(graph.node('again')!.onSuccess).toBe('a.steps[2]');
  });

  it('shares one ending between the success path and a failure list', () => {
    const graph = compileScenario({
      instances: {
        a: {
          steps: [
            { command: 'MakeCall', targetUri: 'b', onFailure: [{ event: 'TIMEOUT', timeout: 50, next: 'end' }] },
            { event: 'TIMEOUT', timeout: 1000 },
            { command: 'Hold', onFailure: 'end' },
            { command: 'Release', id: 'end' },
          ],
        },
        b: BOB,
      },
    });
    expect(graph.node('a.steps[0].onFailure[0]')!.onSuccess).toBe('end');
    expect(graph.node('a.steps[2]')).toMatchObject({ onSuccess: 'end', onFailure: 'end' });
    expect(graph.nodes.filter((n) => n.id === 'end')).toHaveLength(1);
  });

  it('lets a step in a failure list go back to an earlier step', () => {
    const graph = compileScenario({
      instances: { a: { steps: [{ event: 'INCOMING', id: 'wait', onFailure: [{ event: 'TIMEOUT', timeout: 10, next: 'wait' }] }, 'Answer'] } },
    });
    expect(graph.node('a.steps[0].onFailure[0]')!.onSuccess).toBe('wait');
  });
});

describe('chains', () => {
  it('starts several chains of one instance together', () => {
    const graph = compileScenario({
      instances: {
        a: {
          chains: [
            [{ command: 'MakeCall', targetUri: 'b' }, { event: 'TIMEOUT', timeout: 100 }, 'Release'],
            [{ event: 'INCOMING', callId: 'in' }, { command: 'Reject', callId: 'in' }],
          ],
        },
        b: BOB,
      },
    });
    expect(graph.instance('a')!.startNodes).toEqual(['a.chains[0][0]', 'a.chains[1][0]']);
    expect(graph.node('a.chains[0][1]')!.onSuccess).toBe('a.chains[0][2]');
    expect(graph.node('a.chains[1][0]')!.onSuccess).toBe('a.chains[1][1]');
    expect(graph.node('a.chains[0][2]')!.onSuccess).toBeUndefined();
  });

  it('takes a chain given as the id of a step to start at', () => {
    const graph = compileScenario({
      instances: {
        a: {
          chains: [
            ['INCOMING', { command: 'Answer', id: 'answer' }, 'DISCONNECTED'],
            'answer',
          ],
        },
      },
    });
    expect(graph.instance('a')!.startNodes).toEqual(['a.chains[0][0]', 'answer']);
  });

  it('takes a chain given as the id of a step in a failure list', () => {
    const graph = compileScenario({
      instances: { a: { chains: [[{ event: 'INCOMING', onFailure: [{ event: 'TIMEOUT', timeout: 5, id: 'pause' }] }], 'pause'] } },
    });
    expect(graph.instance('a')!.startNodes).toEqual(['a.chains[0][0]', 'pause']);
  });
});

describe('instance settings and their defaults', () => {
  it('uses the instance name as dn and label when none is given', () => {
    const graph = compileScenario({ instances: { alice: { steps: [{ command: 'MakeCall', targetUri: 'bob' }] }, bob: BOB } });
    expect(graph.instance('alice')).toMatchObject({ dn: 'alice', user: 'alice', label: 'alice', displayName: 'alice', authUsername: 'alice' });
    expect(graph.node('alice.steps[0]')!.target).toEqual({ kind: 'dn', dn: 'bob', instance: 'bob' });
  });

  it('uses a given dn, label and displayName', () => {
    const graph = compileScenario({ instances: { alice: { dn: '100', label: 'Alice', displayName: 'Alice A.' } } });
    expect(graph.instance('alice')).toMatchObject({ dn: '100', user: '100', label: 'Alice', displayName: 'Alice A.', authUsername: '100' });
  });

  it('registers by default only when pbxHost is set', () => {
    const graph = compileScenario({
      instances: {
        local: {},
        pbx: { pbxHost: 'pbx.example.com' },
        quiet: { pbxHost: 'pbx.example.com', register: false, pbxPort: 5080 },
      },
    });
    expect(graph.instance('local')).toMatchObject({ mode: 'local', register: false, pbx: undefined });
    expect(graph.instance('pbx')).toMatchObject({ mode: 'pbx', register: true, pbx: { host: 'pbx.example.com', port: undefined, transport: 'UDP' } });
    expect(graph.instance('quiet')).toMatchObject({ mode: 'pbx', register: false, pbx: { host: 'pbx.example.com', port: 5080, transport: 'UDP' } });
  });

  it('does not warn about register: false in local mode, only about register: true', () => {
    expect(validateScenario({ instances: { a: { register: false } } }).diagnostics).toEqual([]);
    const r = validateScenario({ instances: { a: { register: true } } });
    expect(one(r, 'local-register')).toMatchObject({ severity: 'warning', instanceId: 'a', field: 'register', path: ['instances', 'a', 'register'] });
  });

  it('keeps our settings: host, port, RTP ports, user agent, codecs', () => {
    const graph = compileScenario({
      instances: {
        a: { host: '127.0.0.1', port: 5070, rtpPortRange: { min: 20000, max: 20099 }, userAgent: 'tester', codecs: ['PCMA', 'PCMU'], autoRinging: false, color: '#fff' },
      },
    });
    expect(graph.instance('a')).toMatchObject({
      host: '127.0.0.1',
      port: 5070,
      rtpPortRange: { min: 20000, max: 20099 },
      userAgent: 'tester',
      codecs: ['PCMA', 'PCMU'],
      autoRinging: false,
      color: '#fff',
    });
  });
});

describe('format errors', () => {
  /** Compact scenario errors: [name, input, expected diagnostics (subset of fields)]. */
  const cases: [string, unknown, Partial<ScenarioDiagnostic>[]][] = [
    ['a list at the top', [], [{ severity: 'error', code: 'not-a-scenario', path: [] }]],
    ['a number at the top', 5, [{ severity: 'error', code: 'not-a-scenario', path: [] }]],
    ['instances: null', { instances: null }, [{ severity: 'error', code: 'wrong-type', field: 'instances', path: ['instances'] }]],
    ['instances: a list', { instances: [] }, [{ severity: 'error', code: 'wrong-type', field: 'instances', path: ['instances'] }]],
    ['no instances', { instances: {} }, [{ severity: 'error', code: 'no-instances', field: 'instances', path: ['instances'] }]],
    ['version 2', { version: 2, instances: { a: {} } }, [{ severity: 'error', code: 'invalid-value', field: 'version', path: ['version'] }]],
    ['version "1"', { version: '1', instances: { a: {} } }, [{ severity: 'error', code: 'invalid-value', field: 'version', path: ['version'] }]],
    ['name not a string', { name: 5, instances: { a: {} } }, [{ severity: 'error', code: 'wrong-type', field: 'name', path: ['name'] }]],
    ['description not a string', { description: [], instances: { a: {} } }, [{ severity: 'error', code: 'wrong-type', field: 'description', path: ['description'] }]],
    ['$schema not a string', { $schema: true, instances: { a: {} } }, [{ severity: 'error', code: 'wrong-type', field: '$schema', path: ['$schema'] }]],
    ['empty instance name', { instances: { '': {} } }, [{ severity: 'error', code: 'invalid-value', instanceId: '', path: ['instances', ''] }]],
    ['blank instance name', { instances: { '  ': {} } }, [{ severity: 'error', code: 'invalid-value', instanceId: '  ', path: ['instances', '  '] }]],
    ['instance a list', { instances: { a: [] } }, [{ severity: 'error', code: 'wrong-type', instanceId: 'a', path: ['instances', 'a'] }]],
    ['instance a string', { instances: { a: 'Answer' } }, [{ severity: 'error', code: 'wrong-type', instanceId: 'a', path: ['instances', 'a'] }]],
    ['instance null', { instances: { a: null } }, [{ severity: 'error', code: 'wrong-type', instanceId: 'a', path: ['instances', 'a'] }]],
    ['steps an object', { instances: { a: { steps: {} } } }, [{ severity: 'error', code: 'wrong-type', instanceId: 'a', field: 'steps', path: ['instances', 'a', 'steps'] }]],
    ['steps a string', { instances: { a: { steps: 'Answer' } } }, [{ severity: 'error', code: 'wrong-type', instanceId: 'a', field: 'steps', path: ['instances', 'a', 'steps'] }]],
    ['chains an object', { instances: { a: { chains: {} } } }, [{ severity: 'error', code: 'wrong-type', instanceId: 'a', field: 'chains', path: ['instances', 'a', 'chains'] }]],
    ['an empty chain', { instances: { a: { chains: [[]] } } }, [{ severity: 'error', code: 'bad-step', instanceId: 'a', field: 'chains', path: ['instances', 'a', 'chains', 0] }]],
    ['a chain that is a number', { instances: { a: { chains: [5] } } }, [{ severity: 'error', code: 'wrong-type', instanceId: 'a', path: ['instances', 'a', 'chains', 0] }]],
    [
      'steps and chains together',
      { instances: { a: { steps: ['INCOMING'], chains: [['INCOMING']] } } },
      [{ severity: 'error', code: 'bad-step', instanceId: 'a', field: 'chains', path: ['instances', 'a', 'chains'] }],
    ],
    ['a null step', { instances: { a: { steps: [null] } } }, [{ severity: 'error', code: 'bad-step', instanceId: 'a', path: ['instances', 'a', 'steps', 0] }]],
    ['a number step', { instances: { a: { steps: [5] } } }, [{ severity: 'error', code: 'bad-step', instanceId: 'a', path: ['instances', 'a', 'steps', 0] }]],
    ['a list step', { instances: { a: { steps: [['Answer']] } } }, [{ severity: 'error', code: 'bad-step', instanceId: 'a', path: ['instances', 'a', 'steps', 0] }]],
    ['an empty step', { instances: { a: { steps: [{}] } } }, [{ severity: 'error', code: 'bad-step', nodeId: 'a.steps[0]', instanceId: 'a', path: ['instances', 'a', 'steps', 0] }]],
    [
      'a step with both command and event',
      { instances: { a: { steps: [{ command: 'Answer', event: 'INCOMING' }] } } },
      [{ severity: 'error', code: 'bad-step', nodeId: 'a.steps[0]', field: 'event', path: ['instances', 'a', 'steps', 0, 'event'] }],
    ],
    [
      'a step with neither, but a near miss',
      { instances: { a: { steps: [{ comand: 'Answer' }] } } },
      [{ severity: 'error', code: 'bad-step', nodeId: 'a.steps[0]', suggestion: 'command', path: ['instances', 'a', 'steps', 0] }],
    ],
    [
      'a command that is not a string',
      { instances: { a: { steps: [{ command: 5 }] } } },
      [{ severity: 'error', code: 'wrong-type', nodeId: 'a.steps[0]', field: 'command', path: ['instances', 'a', 'steps', 0, 'command'] }],
    ],
    [
      'an event that is not a string',
      { instances: { a: { steps: [{ event: true }] } } },
      [{ severity: 'error', code: 'wrong-type', nodeId: 'a.steps[0]', field: 'event', path: ['instances', 'a', 'steps', 0, 'event'] }],
    ],
    [
      'an empty command',
      { instances: { a: { steps: [{ command: '' }] } } },
      [{ severity: 'error', code: 'missing-command', nodeId: 'a.steps[0]', field: 'command', path: ['instances', 'a', 'steps', 0, 'command'] }],
    ],
    [
      'an empty event',
      { instances: { a: { steps: [{ event: '' }] } } },
      [{ severity: 'error', code: 'missing-event', nodeId: 'a.steps[0]', field: 'event', path: ['instances', 'a', 'steps', 0, 'event'] }],
    ],
    [
      'a step id that is not a string',
      { instances: { a: { steps: [{ event: 'INCOMING', id: 7 }] } } },
      [{ severity: 'error', code: 'invalid-value', nodeId: 'a.steps[0]', field: 'id', path: ['instances', 'a', 'steps', 0, 'id'] }],
    ],
    [
      'an empty step id',
      { instances: { a: { steps: [{ event: 'INCOMING', id: ' ' }] } } },
      [{ severity: 'error', code: 'invalid-value', nodeId: 'a.steps[0]', field: 'id', path: ['instances', 'a', 'steps', 0, 'id'] }],
    ],
    [
      'next that is not a string',
      { instances: { a: { steps: [{ event: 'INCOMING', next: 1 }] } } },
      [{ severity: 'error', code: 'wrong-type', nodeId: 'a.steps[0]', field: 'next', path: ['instances', 'a', 'steps', 0, 'next'] }],
    ],
    [
      'an empty next',
      { instances: { a: { steps: [{ event: 'INCOMING', next: '' }] } } },
      [{ severity: 'error', code: 'wrong-type', nodeId: 'a.steps[0]', field: 'next', path: ['instances', 'a', 'steps', 0, 'next'] }],
    ],
    [
      'an empty onFailure list',
      { instances: { a: { steps: [{ event: 'INCOMING', onFailure: [] }] } } },
      [{ severity: 'error', code: 'wrong-type', nodeId: 'a.steps[0]', field: 'onFailure', path: ['instances', 'a', 'steps', 0, 'onFailure'] }],
    ],
    [
      'an onFailure that is an object',
      { instances: { a: { steps: [{ event: 'INCOMING', onFailure: { event: 'TIMEOUT' } }] } } },
      [{ severity: 'error', code: 'wrong-type', nodeId: 'a.steps[0]', field: 'onFailure', path: ['instances', 'a', 'steps', 0, 'onFailure'] }],
    ],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    const r = validateScenario(input);
    expect(r.ok).toBe(false);
    expect(r.errors, dump(r)).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(r.errors[i], dump(r)).toMatchObject(e));
  });

  it('calls wrong JSON types errors, not warnings (unlike sipflow JSON)', () => {
    const r = validateScenario({
      instances: {
        a: {
          dn: 100,
          register: 'yes',
          codecs: 'PCMU',
          pbxPort: true,
          port: '5060',
          rtpPortRange: [20000, 20010],
          autoRinging: 1,
          steps: [
            { event: 'TIMEOUT', timeout: '500', label: 5 },
            { event: 'INCOMING', callId: 1 },
            { command: 'SendDTMF', digits: 12, intervalMs: '100' },
            { command: 'BlindTransfer', targetUri: 'sip:1@h', waitForNotify: 'true' },
          ],
        },
      },
    });
    const wrong = r.diagnostics.filter((d) => d.code === 'wrong-type');
    expect(wrong.map((d) => [d.severity, d.field, d.nodeId ?? d.instanceId])).toEqual([
      ['error', 'dn', 'a'],
      ['error', 'register', 'a'],
      ['error', 'codecs', 'a'],
      ['error', 'pbxPort', 'a'],
      ['error', 'port', 'a'],
      ['error', 'rtpPortRange', 'a'],
      ['error', 'autoRinging', 'a'],
      ['error', 'timeout', 'a.steps[0]'],
      ['error', 'label', 'a.steps[0]'],
      ['error', 'callId', 'a.steps[1]'],
      ['error', 'digits', 'a.steps[2]'],
      ['error', 'intervalMs', 'a.steps[2]'],
      ['error', 'waitForNotify', 'a.steps[3]'],
    ]);
    expect(wrong.find((d) => d.field === 'timeout')!.message).toBe('timeout must be a number, not the string "500"');
    expect(wrong.find((d) => d.field === 'timeout')!.path).toEqual(['instances', 'a', 'steps', 0, 'timeout']);
  });

  it('calls an empty codec list or a non-string codec an error', () => {
    const r = validateScenario({ instances: { a: { codecs: [] }, b: { codecs: ['PCMU', 8] } } });
    expect(one(r, 'invalid-value')).toMatchObject({ instanceId: 'a', field: 'codecs', path: ['instances', 'a', 'codecs'] });
    expect(one(r, 'wrong-type')).toMatchObject({ instanceId: 'b', field: 'codecs', path: ['instances', 'b', 'codecs', 1] });
  });

  it('names the wrong value in the message', () => {
    const r = validateScenario({ version: 3, instances: { a: { steps: [{ event: 'INCOMING', onFailure: 4 }, null] } } });
    expect(one(r, 'invalid-value').message).toContain('version');
    expect(one(r, 'invalid-value').message).toContain('3');
    expect(one(r, 'wrong-type').message).toContain('the number 4');
    expect(one(r, 'bad-step').message).toContain('not null');
  });

  it('warns about unknown keys at every level, with a suggestion', () => {
    const r = validateScenario({
      nmae: 'x',
      instances: {
        a: {
          dnn: '100',
          step: [],
          steps: [{ command: 'MakeCall', targetUrl: 'b', targetUri: 'b', timeot: 5, colour: 1 }],
        },
        b: BOB,
      },
    });
    expect(r.errors, dump(r)).toEqual([]);
    const unknown = r.warnings.filter((d) => d.code === 'unknown-field');
    expect(unknown.map((d) => [d.field, d.suggestion, d.nodeId ?? d.instanceId, d.path])).toEqual([
      ['nmae', 'name', undefined, ['nmae']],
      ['dnn', 'dn', 'a', ['instances', 'a', 'dnn']],
      ['step', 'steps', 'a', ['instances', 'a', 'step']],
      ['targetUrl', 'targetUri', 'a.steps[0]', ['instances', 'a', 'steps', 0, 'targetUrl']],
      ['timeot', 'timeout', 'a.steps[0]', ['instances', 'a', 'steps', 0, 'timeot']],
      ['colour', undefined, 'a.steps[0]', ['instances', 'a', 'steps', 0, 'colour']],
    ]);
    expect(unknown[0]!.message).toContain('did you mean "name"?');
    expect(unknown.every((d) => d.severity === 'warning')).toBe(true);
  });

  it('warns about a field of another command on a step', () => {
    const r = validateScenario({ instances: { a: { steps: [{ command: 'Answer', digits: '1' }] } } });
    const d = one(r, 'unknown-field');
    expect(d).toMatchObject({ severity: 'warning', nodeId: 'a.steps[0]', field: 'digits' });
  });

  it('points each problem of a text at line:column, in document order', () => {
    const text = readFileSync(fixture('broken.json'), 'utf8');
    const r = validateScenarioFile(fixture('broken.json'));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.every((d) => d.file === fixture('broken.json')), dump(r)).toBe(true);
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.line, d.column])).toEqual([
      ['error', 'invalid-value', 2, 14],
      ['error', 'wrong-type', 5, 13],
      ['warning', 'unknown-field', 6, 7],
      ['error', 'unsupported-command', 8, 22],
      ['error', 'invalid-value', 9, 42],
      ['warning', 'unknown-call', 10, 9],
      ['error', 'unknown-step', 10, 41],
    ]);
    expect(r.diagnostics[0]).toMatchObject({ field: 'version', ...at(text, '2,') });
    expect(r.diagnostics[1]).toMatchObject({ instanceId: 'alice', field: 'dn', ...at(text, '100') });
    expect(r.diagnostics[2]).toMatchObject({ field: 'stepz', suggestion: 'steps', ...at(text, '"stepz"') });
    expect(r.diagnostics[3]).toMatchObject({ nodeId: 'alice.steps[0]', field: 'command', suggestion: 'MakeCall', ...at(text, '"MakeCal"') });
    expect(r.diagnostics[4]).toMatchObject({ nodeId: 'alice.steps[1]', field: 'timeout', ...at(text, '0 }') });
    expect(r.diagnostics[6]).toMatchObject({ nodeId: 'alice.steps[2]', field: 'next', ...at(text, '"nowhere"') });
  });

  it('points a text shorthand step, an instance and a chain at their own positions', () => {
    const text = '{\n  "instances": {\n    "a": [],\n    "b": { "chains": [ [], "nope", ["Answr"] ] }\n  }\n}';
    const r = validateScenario(text);
    expect(one(r, 'wrong-type')).toMatchObject({ instanceId: 'a', line: 3, column: 10 });
    expect(one(r, 'bad-step')).toMatchObject({ instanceId: 'b', ...at(text, '[]', 2) });
    expect(one(r, 'unknown-step')).toMatchObject({ instanceId: 'b', field: 'chains', ...at(text, '"nope"') });
    expect(one(r, 'unsupported-command')).toMatchObject({ nodeId: 'b.chains[2][0]', suggestion: 'Answer', ...at(text, '"Answr"') });
  });
});

describe('ids, next and onFailure errors', () => {
  it('reports next to a missing id, with a suggestion', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'INCOMING', next: 'anser' }, { command: 'Answer', id: 'answer' }] } } });
    const d = one(r, 'unknown-step');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'a.steps[0]', field: 'next', suggestion: 'answer', path: ['instances', 'a', 'steps', 0, 'next'] });
    expect(d.message).toContain('"anser"');
  });

  it('reports onFailure to a missing id', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'INCOMING', onFailure: 'zzz-nothing-like-it' }] } } });
    const d = one(r, 'unknown-step');
    expect(d).toMatchObject({ nodeId: 'a.steps[0]', field: 'onFailure', path: ['instances', 'a', 'steps', 0, 'onFailure'] });
    expect(d.suggestion).toBeUndefined();
  });

  it("reports next and onFailure to another instance's step", () => {
    const r = validateScenario({
      instances: {
        a: { steps: [{ event: 'INCOMING', next: 'b-answer', onFailure: 'b-answer' }] },
        b: { steps: ['INCOMING', { command: 'Answer', id: 'b-answer' }] },
      },
    });
    const cross = r.errors.filter((d) => d.code === 'cross-instance');
    expect(cross.map((d) => [d.nodeId, d.field])).toEqual([
      ['a.steps[0]', 'next'],
      ['a.steps[0]', 'onFailure'],
    ]);
    expect(cross[0]!.message).toContain('instance b');
  });

  it("reports a chain that names another instance's step", () => {
    const r = validateScenario({ instances: { a: { chains: ['b1'] }, b: { steps: [{ event: 'INCOMING', id: 'b1' }] } } });
    expect(one(r, 'cross-instance')).toMatchObject({ instanceId: 'a', field: 'chains', path: ['instances', 'a', 'chains', 0] });
  });

  it('reports two steps with the same given id', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'INCOMING', id: 'x' }, { command: 'Answer', id: 'x' }] } } });
    const d = one(r, 'duplicate-id');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'x', field: 'id', path: ['instances', 'a', 'steps', 1, 'id'] });
    expect(d.message).toContain('instances.a.steps[0]');
  });

  it('reports a given id that is the derived id of another step', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'INCOMING', id: 'a.steps[1]' }, 'Answer'] } } });
    const d = one(r, 'duplicate-id');
    // Reported where the id was chosen, not at the step that has it by its place.
    expect(d).toMatchObject({ nodeId: 'a.steps[1]', instanceId: 'a', field: 'id', path: ['instances', 'a', 'steps', 0, 'id'] });
    expect(d.message).toBe('step id a.steps[1] is also the id the step at instances.a.steps[1] has by its place; give the step at instances.a.steps[0] another id');
  });

  it('reports the same id in two instances', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'INCOMING', id: 'in' }] }, b: { steps: [{ event: 'INCOMING', id: 'in' }] } } });
    expect(one(r, 'duplicate-id')).toMatchObject({ nodeId: 'in', instanceId: 'b' });
  });
});

describe('placeholders', () => {
  const withPassword = (password: string): unknown => ({ instances: { a: { password, steps: ['INCOMING'] } } });
  const password = (input: unknown, options: Parameters<typeof loadScenario>[1]): unknown => loadScenario(input, options).instances[0]!.settings.password;

  it('fills ${NAME} from vars', () => {
    expect(password(withPassword('${PW}'), { vars: { PW: 's3cret' }, env: {} })).toBe('s3cret');
  });

  it('fills ${NAME} from the env option', () => {
    expect(password(withPassword('${PW}'), { env: { PW: 'from-env' } })).toBe('from-env');
  });

  it('fills ${NAME} from the process environment by default', () => {
    const name = 'SIPFLOW_TEST_COMPACT_PLACEHOLDER';
    process.env[name] = 'from-process';
    try {
      expect(password(withPassword(`\${${name}}`), {})).toBe('from-process');
    } finally {
      delete process.env[name];
    }
  });

  it('prefers vars over the environment', () => {
    expect(password(withPassword('${PW}'), { vars: { PW: 'var' }, env: { PW: 'env' } })).toBe('var');
  });

  it('fills placeholders inside longer strings, several in one value', () => {
    const graph = compileScenario(
      { instances: { a: { steps: [{ command: 'MakeCall', targetUri: 'sip:${USER}@${HOST}:5060' }] } } },
      { vars: { USER: '200', HOST: '192.0.2.1' }, env: {} },
    );
    expect(graph.node('a.steps[0]')!.target).toEqual({ kind: 'uri', uri: 'sip:200@192.0.2.1:5060' });
  });

  it('uses the default of ${NAME:-default} when NAME is unset or empty', () => {
    expect(password(withPassword('${PW:-fallback}'), { env: {} })).toBe('fallback');
    expect(password(withPassword('${PW:-fallback}'), { env: { PW: '' } })).toBe('fallback');
    expect(password(withPassword('${PW:-fallback}'), { vars: { PW: '' }, env: { PW: 'env' } })).toBe('fallback');
    expect(password(withPassword('${PW:-fallback}'), { env: { PW: 'set' } })).toBe('set');
    expect(password(withPassword('${PW:-}'), { env: {} })).toBe('');
  });

  it('writes a literal ${ as $${', () => {
    expect(password(withPassword('a$${PW}b'), { env: {} })).toBe('a${PW}b');
    expect(password(withPassword('$$${PW}'), { env: { PW: 'x' } })).toBe('$${PW}');
    expect(password(withPassword('cost: $5'), { env: {} })).toBe('cost: $5');
  });

  it('reports an unset variable by name, at its line:column', () => {
    const text = '{\n  "instances": {\n    "a": { "password": "pw-${SECRET_PW}", "steps": ["INCOMING"] }\n  }\n}';
    const r = validateScenario(text, { env: {}, file: 'call.json' });
    expect(r.ok).toBe(false);
    const d = one(r, 'variable');
    expect(d).toMatchObject({ severity: 'error', file: 'call.json', path: ['instances', 'a', 'password'], ...at(text, '"pw-') });
    expect(d.message).toContain('SECRET_PW');
    expect(() => loadScenario(text, { env: {} })).toThrow(ScenarioError);
    expect(() => loadScenario(text, { env: {} })).toThrow(/SECRET_PW/);
  });

  it('names the step and field of an unset variable', () => {
    const r = validateScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: '${TARGET}' }] } } }, { env: {} });
    const d = one(r, 'variable');
    expect(d.message).toContain('TARGET');
    expect(d.path).toEqual(['instances', 'a', 'steps', 0, 'targetUri']);
    // The issue: every problem comes "with the node id (or step path), the field".
    expect(d).toMatchObject({ nodeId: 'a.steps[0]', field: 'targetUri' });
  });

  it('reports every unset variable, each once', () => {
    const r = validateScenario({ instances: { a: { password: '${A}', authUsername: '${B}${A}', steps: ['INCOMING'] } } }, { env: {} });
    expect(r.errors.map((d) => [d.code, d.path.join('.'), /variable (\w+)/.exec(d.message)?.[1]])).toEqual([
      ['variable', 'instances.a.password', 'A'],
      ['variable', 'instances.a.authUsername', 'B'],
      ['variable', 'instances.a.authUsername', 'A'],
    ]);
  });

  it('reports a malformed placeholder', () => {
    const bad = validateScenario(withPassword('${1X}'), { env: {} });
    expect(one(bad, 'variable')).toMatchObject({ severity: 'error', path: ['instances', 'a', 'password'] });
    expect(one(bad, 'variable').message).toContain('malformed');
    const open = validateScenario(withPassword('abc ${NAME'), { env: { NAME: 'x' } });
    expect(one(open, 'variable').message).toContain('unterminated');
    const empty = validateScenario(withPassword('${}'), { env: {} });
    expect(one(empty, 'variable').message).toContain('malformed');
  });

  it('does not fill keys, and refuses an instance name that holds ${ (it would stand for an unfilled dn and label)', () => {
    const r = validateScenario({ instances: { '${NOT_A_VAR}': { dn: '100', steps: ['INCOMING'] } } }, { env: {} });
    expect(r.errors.map((d) => [d.code, d.instanceId, d.message])).toEqual([
      ['invalid-value', '${NOT_A_VAR}', 'instance name "${NOT_A_VAR}" holds "${", but placeholders are filled in values, not in names'],
    ]);
    expect(validateScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: 'sip:x@example.com', '${K}': 1 }] } } }, { env: {} }).errors).toEqual([]);
  });

  describe('a string that is exactly one placeholder', () => {
    it('stands for a number or boolean field', () => {
      const graph = compileScenario(
        {
          instances: {
            a: {
              port: '${PORT}',
              register: '${REG}',
              pbxHost: '${PBX:-pbx.example.com}',
              pbxPort: '${PBX_PORT}',
              rtpPortRange: { min: '${RTP_MIN}', max: 20011 },
              steps: [{ event: 'TIMEOUT', timeout: '${WAIT}' }],
            },
          },
        },
        { vars: { PORT: '5070', REG: 'false', PBX_PORT: '5080', RTP_MIN: '20000', WAIT: ' 250 ' }, env: {} },
      );
      expect(graph.instance('a')).toMatchObject({ port: 5070, register: false, mode: 'pbx', pbx: { host: 'pbx.example.com', port: 5080 }, rtpPortRange: { min: 20000, max: 20011 } });
      expect(graph.node('a.steps[0]')!.timeoutMs).toBe(250);
    });

    it('is checked against the range once filled', () => {
      const r = validateScenario({ instances: { a: { port: '${PORT}' } } }, { vars: { PORT: '70000' }, env: {} });
      expect(one(r, 'invalid-value')).toMatchObject({ instanceId: 'a', field: 'port' });
    });

    it('is an error naming the field when the value is not of its type', () => {
      const r = validateScenario({ instances: { a: { port: '${PORT}', register: '${REG}' } } }, { vars: { PORT: 'abc', REG: 'yes' }, env: {} });
      const port = one(r, 'variable', (d) => d.field === 'port');
      expect(port).toMatchObject({ severity: 'error', instanceId: 'a', path: ['instances', 'a', 'port'] });
      expect(port.message).toContain('"abc"');
      expect(one(r, 'variable', (d) => d.field === 'register').message).toContain('"yes"');
    });

    it('names the placeholder value when an RTP port does not convert', () => {
      const r = validateScenario({ instances: { a: { rtpPortRange: { min: '${RTP_MIN}', max: 20011 } } } }, { vars: { RTP_MIN: 'low' }, env: {} });
      expect(r.ok).toBe(false);
      const d = r.errors.find((e) => e.path.join('.') === 'instances.a.rtpPortRange.min')!;
      expect(d, dump(r)).toBeDefined();
      // It was given, through its placeholder: the message must not say "missing".
      expect(d.message).not.toContain('missing');
      expect(d.message).toContain('"low"');
    });

    it('does not stand for a number when there is text around it', () => {
      const r = validateScenario({ instances: { a: { port: '50${X}' } } }, { vars: { X: '70' }, env: {} });
      expect(one(r, 'wrong-type')).toMatchObject({ field: 'port' });
    });

    it('stays a string for a string field', () => {
      expect(password(withPassword('${PW}'), { vars: { PW: '1234' }, env: {} })).toBe('1234');
    });
  });

  describe("placeholders: 'keep'", () => {
    const input = { instances: { a: { password: '${PW}', port: '${PORT}', steps: [{ event: 'TIMEOUT', timeout: '${WAIT}' }] } } };

    it('leaves them as written, without needing their values', () => {
      const r = validateScenario(input, { placeholders: 'keep', env: {} });
      expect(r.errors, dump(r)).toEqual([]);
      expect(r.scenario!.placeholders).toBe('kept');
      expect(r.scenario!.instances[0]!.settings).toMatchObject({ password: '${PW}', port: '${PORT}' });
      expect(r.scenario!.nodes[0]!.fields).toEqual({ timeout: '${WAIT}' });
    });

    it('keeps $${ as written', () => {
      const r = validateScenario(withPassword('a$${B}'), { placeholders: 'keep', env: {} });
      expect(r.scenario!.instances[0]!.settings.password).toBe('a$${B}');
    });

    it('still reports a malformed placeholder', () => {
      const r = validateScenario(withPassword('${9}'), { placeholders: 'keep', env: {} });
      expect(one(r, 'variable').message).toContain('malformed');
    });

    it('gives a scenario that cannot be compiled', () => {
      const scenario = loadScenario(input, { placeholders: 'keep', env: {} });
      expect(() => compileScenario(scenario)).toThrow(ScenarioError);
      try {
        compileScenario(scenario);
      } catch (err) {
        expect((err as ScenarioError).errors.map((d) => d.code)).toEqual(['variable']);
      }
      expect(() => compileScenario(input, { placeholders: 'keep', env: {} })).toThrow(ScenarioError);
    });
  });
});

describe('format detection', () => {
  it('reads a document with instances as compact, and can be told so', () => {
    expect(validateScenario({ instances: { a: {} } }).format).toBe('compact');
    const forced = validateScenario({ nodes: [] }, { format: 'compact' });
    expect(forced.format).toBe('compact');
    expect(one(forced, 'no-instances')).toMatchObject({ path: [] });
  });

  it('accepts name, description, $schema and version 1', () => {
    const r = validateScenario({ $schema: 'https://example.com/s.json', name: 'n', description: 'd', version: 1, instances: { a: {} } });
    expect(r.diagnostics, dump(r)).toEqual([]);
    expect(r.scenario).toMatchObject({ name: 'n', description: 'd' });
  });

  it('loads an instance without steps (a phone that only registers or waits)', () => {
    const r = validateScenario({ instances: { a: { pbxHost: '192.0.2.10' } } });
    expect(r.diagnostics, dump(r)).toEqual([]);
    expect(compileScenario(r.scenario).instance('a')!.startNodes).toEqual([]);
  });
});
