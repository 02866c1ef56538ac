// How sipflow reads the ORIGINAL sipflow desktop app's flow JSON ({ nodes, edges }): the same
// meaning as sipflow's Go ParseScenario (reference §1), its error words, the warnings where it is
// silently surprising, and sipflow's own graph_test.go cases (reference §6.5) on fixtures written
// in the desktop app's format (test/fixtures/scenarios/sipflow).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type CompiledNode,
  type ExecutionGraph,
  type ScenarioDiagnostic,
  type ValidationResult,
  ScenarioError,
  compileScenario,
  loadScenario,
  loadScenarioFile,
  supportedCommands,
  supportedEvents,
  validateScenario,
} from '../../../src/engine/scenario/index.js';

// --- fixtures and helpers ------------------------------------------------------------------------

const FIXTURES = fileURLToPath(new URL('../../fixtures/scenarios/sipflow/', import.meta.url));
const fixturePath = (name: string): string => join(FIXTURES, name);
const fixtureText = (name: string): string => readFileSync(fixturePath(name), 'utf8');
/** Text input with a file name, but no baseDir: audio files are not looked for. */
const validateFixture = (name: string): ValidationResult => validateScenario(fixtureText(name), { file: name });
const loadFixture = (name: string) => loadScenario(fixtureText(name), { file: name });
const compileFixture = (name: string): ExecutionGraph => compileScenario(loadFixture(name));

type Json = Record<string, unknown>;
/** A sipInstance node (register false unless given, so local-register warnings stay out of the way). */
const inst = (id: string, data: Json = {}): Json => ({ id, type: 'sipInstance', data: { register: false, ...data } });
const cmd = (id: string, command: string, data: Json = {}): Json => ({ id, type: 'command', data: { command, ...data } });
const evt = (id: string, event: string, data: Json = {}): Json => ({ id, type: 'event', data: { event, ...data } });
const edge = (source: string, target: string, extra: Json = {}): Json => ({ id: `${source}->${target}`, source, target, ...extra });
const flow = (nodes: Json[], edges: Json[] = []): Json => ({ nodes, edges });

const codesOf = (list: readonly ScenarioDiagnostic[]): string[] => list.map((d) => d.code);
const messagesOf = (list: readonly ScenarioDiagnostic[]): string[] => list.map((d) => d.message);
const withCode = (result: ValidationResult, code: string): ScenarioDiagnostic[] => result.diagnostics.filter((d) => d.code === code);
/** The one diagnostic with this code; fails the test when there is not exactly one. */
function only(result: ValidationResult, code: string): ScenarioDiagnostic {
  const found = withCode(result, code);
  expect(found, `exactly one ${code} diagnostic in ${JSON.stringify(result.diagnostics, null, 1)}`).toHaveLength(1);
  return found[0]!;
}
function node(graph: ExecutionGraph, id: string): CompiledNode {
  const n = graph.node(id);
  expect(n, `compiled node ${id}`).toBeDefined();
  return n!;
}
const fieldsOf = (graph: ExecutionGraph, id: string): Record<string, unknown> => node(graph, id).fields as Record<string, unknown>;
function modelNode(scenario: ReturnType<typeof loadScenario>, id: string) {
  const n = scenario.nodes.find((x) => x.id === id);
  expect(n, `model node ${id}`).toBeDefined();
  return n!;
}
/** 1-based line and column of the `n`th (0-based) occurrence of `needle` in `text`. */
function position(text: string, needle: string, n = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${needle} not found`);
  }
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

// --- sipflow's graph_test.go -------------------------------------------------------------------

describe('sipflow graph_test.go cases, on fixtures in the desktop format', () => {
  it('BasicTwoInstance: two instances, their start nodes, the success link and the default event timeout', () => {
    const result = validateFixture('basic-two-instance.json');
    expect(result.errors).toEqual([]);
    // register: true without pbxHost: the one deliberate change, a warning per instance.
    expect(codesOf(result.warnings)).toEqual(['local-register', 'local-register']);
    const graph = compileFixture('basic-two-instance.json');
    expect(graph.instances.map((i) => [i.id, i.dn, i.startNodes])).toEqual([
      ['alice', '1001', ['dial']],
      ['bob', '1002', ['ring-in']],
    ]);
    expect(node(graph, 'dial')).toMatchObject({ kind: 'command', name: 'MakeCall', instance: 'alice', onSuccess: undefined, onFailure: undefined });
    expect(node(graph, 'ring-in')).toMatchObject({ kind: 'event', name: 'INCOMING', instance: 'bob', onSuccess: 'pickup', onFailure: undefined, timeoutMs: 10_000 });
    expect(node(graph, 'pickup')).toMatchObject({ name: 'Answer', instance: 'bob', onSuccess: undefined });
    expect(graph.nodes.map((n) => n.id)).toEqual(['dial', 'ring-in', 'pickup']);
  });

  it('FailureBranch: sourceHandle "failure" sets the failure successor, the success edge the success one', () => {
    const graph = compileFixture('failure-branch.json');
    expect(node(graph, 'try-call')).toMatchObject({ onSuccess: 'hang-up-ok', onFailure: 'hang-up-failed' });
    expect(graph.instance('caller')!.startNodes).toEqual(['try-call']);
    // Depth first, success before failure, whatever the edge order.
    expect(graph.nodes.map((n) => n.id)).toEqual(['try-call', 'hang-up-ok', 'hang-up-failed']);
  });

  it('CustomTimeout: timeout 7500 ms is kept', () => {
    const graph = compileFixture('custom-timeout.json');
    expect(node(graph, 'wait-call').timeoutMs).toBe(7500);
    expect(modelNode(loadFixture('custom-timeout.json'), 'wait-call').fields['timeout']).toBe(7500);
  });

  it('EmptyFlowData: "{}" fails with "no sipInstance nodes found"', () => {
    const result = validateFixture('empty-flow.json');
    expect(result.ok).toBe(false);
    expect(result.format).toBe('sipflow');
    expect(result.errors.map((d) => [d.code, d.message])).toEqual([['no-instances', 'no sipInstance nodes found']]);
    expect(() => loadFixture('empty-flow.json')).toThrow(ScenarioError);
    expect(() => loadFixture('empty-flow.json')).toThrow(/no sipInstance nodes found/);
  });

  it('MissingInstanceId: a command without sipInstanceId takes the instance of its direct parent edge', () => {
    const result = validateFixture('inherit-from-parent-edge.json');
    expect(result.errors).toEqual([]);
    expect(modelNode(result.scenario!, 'call-out').instance).toBe('phone-1');
    expect(node(compileFixture('inherit-from-parent-edge.json'), 'call-out').instance).toBe('phone-1');
  });

  it('CodecsField: ["PCMA","PCMU"] keeps its order', () => {
    const scenario = loadFixture('codecs-order.json');
    expect(scenario.instances[0]!.settings.codecs).toEqual(['PCMA', 'PCMU']);
    expect(compileScenario(scenario).instance('ua')!.codecs).toEqual(['PCMA', 'PCMU']);
  });

  it('CodecsDefault: no codecs field gives ["PCMU","PCMA"]', () => {
    const scenario = loadFixture('codecs-default.json');
    expect(scenario.instances[0]!.settings.codecs).toBeUndefined();
    expect(compileScenario(scenario).instance('ua')!.codecs).toEqual(['PCMU', 'PCMA']);
  });

  it('CodecsEmpty: [] falls back to ["PCMU","PCMA"], with a warning', () => {
    const result = validateFixture('codecs-empty.json');
    expect(result.errors).toEqual([]);
    const warning = only(result, 'default-used');
    expect(warning).toMatchObject({ severity: 'warning', instanceId: 'ua', field: 'codecs', path: ['nodes', 0, 'data', 'codecs'] });
    expect(compileScenario(result.scenario!).instance('ua')!.codecs).toEqual(['PCMU', 'PCMA']);
  });

  it('CodecsInvalid: an unknown name is kept verbatim as written, dropped from the effective list, with a warning', () => {
    const result = validateFixture('codecs-invalid.json');
    expect(result.errors).toEqual([]);
    expect(result.scenario!.instances[0]!.settings.codecs).toEqual(['iLBC', 'PCMU']);
    expect(compileScenario(result.scenario!).instance('ua')!.codecs).toEqual(['PCMU']);
    const warning = only(result, 'unknown-codec');
    expect(warning).toMatchObject({ severity: 'warning', instanceId: 'ua', field: 'codecs', path: ['nodes', 0, 'data', 'codecs', 0] });
    expect(warning.message).toContain('"iLBC"');
  });

  it('PlayAudioFields: the command and its filePath', () => {
    const n = node(compileFixture('play-audio-fields.json'), 'play-prompt');
    expect(n).toMatchObject({ kind: 'command', name: 'PlayAudio', instance: 'announcer', callId: 'call-1' });
    expect(n.fields).toEqual({ filePath: '/srv/prompts/welcome-8k.wav' });
  });

  it('SendDTMFFields: digits and intervalMs', () => {
    const graph = compileFixture('send-dtmf-fields.json');
    expect(node(graph, 'press-keys').name).toBe('SendDTMF');
    expect(fieldsOf(graph, 'press-keys')).toEqual({ digits: '4711*#', intervalMs: 250, mode: 'rfc4733', durationMs: 100 });
  });

  it('SendDTMFDefaults: intervalMs defaults to 100', () => {
    const scenario = loadFixture('send-dtmf-defaults.json');
    expect(modelNode(scenario, 'press-one').fields['intervalMs']).toBeUndefined();
    expect(fieldsOf(compileScenario(scenario), 'press-one')).toEqual({ digits: '1', intervalMs: 100, mode: 'rfc4733', durationMs: 100 });
  });

  it('DTMFReceivedFields: the event and expectedDigit', () => {
    const graph = compileFixture('dtmf-received-fields.json');
    expect(node(graph, 'await-seven')).toMatchObject({ kind: 'event', name: 'DTMFReceived', timeoutMs: 10_000 });
    expect(fieldsOf(graph, 'await-seven')['expectedDigit']).toBe('7');
  });

  it('DTMFReceivedNoExpectedDigit: expectedDigit defaults to "" (any digit)', () => {
    const graph = compileFixture('dtmf-received-no-expected-digit.json');
    expect(fieldsOf(graph, 'await-any')['expectedDigit']).toBe('');
    expect(fieldsOf(graph, 'await-any')['expectedDigits']).toBeUndefined();
  });

  it('BlindTransferFields: targetUser, targetHost and callId', () => {
    const graph = compileFixture('blind-transfer-fields.json');
    const n = node(graph, 'send-away');
    expect(n).toMatchObject({ name: 'BlindTransfer', callId: 'primary', instance: 'agent' });
    expect(n.fields).toEqual({ targetUser: 'dave', targetHost: '10.20.30.40:5070', targetUri: undefined, waitForNotify: false });
    expect(n.target).toEqual({ kind: 'uri', uri: 'sip:dave@10.20.30.40:5070' });
  });

  it('MuteTransferFields: callId, primaryCallId and consultCallId', () => {
    const n = node(compileFixture('mute-transfer-fields.json'), 'connect-both');
    expect(n).toMatchObject({ name: 'MuteTransfer', callId: 'primary' });
    expect(n.fields).toEqual({ primaryCallId: 'primary', consultCallId: 'consult' });
  });

  it('HoldFields / RetrieveFields: the command, and no transfer fields', () => {
    const hold = node(compileFixture('hold-fields.json'), 'park');
    expect(hold).toMatchObject({ kind: 'command', name: 'Hold', instance: 'agent', callId: 'call-1', target: undefined });
    expect(hold.fields).toEqual({});
    const retrieve = node(compileFixture('retrieve-fields.json'), 'unpark');
    expect(retrieve).toMatchObject({ kind: 'command', name: 'Retrieve', instance: 'agent', target: undefined });
    expect(retrieve.fields).toEqual({});
    expect(modelNode(loadFixture('hold-fields.json'), 'park').fields['targetUser']).toBeUndefined();
  });

  it('V1_1_BackwardCompatibility: a v1.1 two-instance flow parses with every field, and the newer fields stay empty', () => {
    const result = validateFixture('v1-1-compat.json');
    expect(result.errors).toEqual([]);
    // v1.1 files have no register key: true by default, so local mode with registration skipped.
    expect(result.warnings.map((d) => [d.code, d.instanceId])).toEqual([
      ['local-register', 'sales'],
      ['local-register', 'support'],
    ]);
    const graph = compileScenario(result.scenario!);
    expect(graph.instances.map((i) => [i.id, i.startNodes, i.codecs, i.register])).toEqual([
      ['sales', ['s-dial'], ['PCMU', 'PCMA'], false],
      ['support', ['t-ring'], ['PCMU', 'PCMA'], false],
    ]);
    expect(graph.nodes.map((n) => [n.id, n.instance, n.name, n.onSuccess])).toEqual([
      ['s-dial', 'sales', 'MakeCall', 's-greet'],
      ['s-greet', 'sales', 'PlayAudio', 's-keys'],
      ['s-keys', 'sales', 'SendDTMF', 's-bye'],
      ['s-bye', 'sales', 'Release', undefined],
      ['t-ring', 'support', 'INCOMING', 't-answer'],
      ['t-answer', 'support', 'Answer', 't-key'],
      ['t-key', 'support', 'DTMFReceived', 't-gone'],
      ['t-gone', 'support', 'DISCONNECTED', undefined],
    ]);
    expect(fieldsOf(graph, 's-dial')).toEqual({ targetUri: 'sip:4002@127.0.0.1:15062' });
    expect(node(graph, 's-dial').target).toEqual({ kind: 'uri', uri: 'sip:4002@127.0.0.1:15062' });
    expect(fieldsOf(graph, 's-greet')).toEqual({ filePath: '/opt/audio/hello.wav' });
    expect(fieldsOf(graph, 's-keys')).toEqual({ digits: '3', intervalMs: 120, mode: 'rfc4733', durationMs: 100 });
    expect(fieldsOf(graph, 't-key')['expectedDigit']).toBe('3');
    // The v1.2 fields (targetUser, targetHost) are not on a MakeCall at all.
    expect(modelNode(result.scenario!, 's-dial').fields).toEqual({ targetUri: 'sip:4002@127.0.0.1:15062' });
    expect(graph.nodes.every((n) => n.callId === 'call-1')).toBe(true);
  });

  it('DefaultCallID: a missing callId, and an empty one, mean "call-1"', () => {
    const scenario = loadFixture('default-call-id.json');
    expect(modelNode(scenario, 'ring-b').fields['callId']).toBeUndefined();
    expect(modelNode(scenario, 'ring-b-again').fields['callId']).toBe('');
    const graph = compileScenario(scenario);
    expect(node(graph, 'ring-b')).toMatchObject({ callId: 'call-1', onFailure: 'ring-b-again', onSuccess: undefined });
    expect(node(graph, 'ring-b-again').callId).toBe('call-1');
  });

  it('CustomCallID: a HELD event keeps callId "primary" (an edgeless node: read in the model; it never runs)', () => {
    const result = validateFixture('custom-call-id.json');
    expect(result.errors).toEqual([]);
    const held = modelNode(result.scenario!, 'wait-held');
    expect(held).toMatchObject({ kind: 'event', name: 'HELD', instance: 'a' });
    expect(held.fields['callId']).toBe('primary');
    expect(only(result, 'unreachable')).toMatchObject({ severity: 'warning', nodeId: 'wait-held' });
    const graph = compileScenario(result.scenario!);
    expect(graph.node('wait-held')).toBeUndefined();
    expect(graph.nodes).toEqual([]);
  });

  it('InstanceNodeIDUsesInternalKey: instances are keyed by node id, and a DN targetUri names the instance with that DN', () => {
    const result = validateFixture('dn-target-uri.json');
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const graph = compileScenario(result.scenario!);
    expect(graph.instances.map((i) => i.id)).toEqual(['node-100', 'node-200']);
    expect(graph.instance('node-100')!.startNodes).toEqual(['call-200']);
    const call = node(graph, 'call-200');
    expect(call.instance).toBe('node-100');
    expect(call.fields).toEqual({ targetUri: '200' });
    expect(call.target).toEqual({ kind: 'dn', dn: '200', instance: 'node-200' });
  });

  it('V1_0_Compatibility: an instance-only v1.0 flow with register:true loads (local mode, registration skipped)', () => {
    const result = validateFixture('v1-0-instance-only.json');
    expect(result.ok).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    const warning = result.warnings[0]!;
    expect(warning).toMatchObject({ code: 'local-register', instanceId: 'solo', field: 'register' });
    expect(warning.message.startsWith('local mode: registration skipped')).toBe(true);
    const graph = compileScenario(result.scenario!);
    expect(graph.instance('solo')).toMatchObject({ mode: 'local', register: false, pbx: undefined, startNodes: [], codecs: ['PCMU', 'PCMA'] });
    expect(graph.nodes).toEqual([]);
  });

  it('V1_0_MakeCallAnswerRelease: default codecs, the three commands, and the Answer → Release link', () => {
    const result = validateFixture('v1-0-make-call-answer-release.json');
    expect(result.errors).toEqual([]);
    const graph = compileScenario(result.scenario!);
    expect(graph.instances.map((i) => i.codecs)).toEqual([
      ['PCMU', 'PCMA'],
      ['PCMU', 'PCMA'],
    ]);
    expect(node(graph, 'make')).toMatchObject({ name: 'MakeCall', instance: 'caller', target: { kind: 'uri', uri: 'sip:802@127.0.0.1' } });
    expect(node(graph, 'answer')).toMatchObject({ name: 'Answer', instance: 'callee', onSuccess: 'release' });
    // release names the caller but hangs on the callee's chain: the chain's instance wins, as in sipflow.
    expect(node(graph, 'release')).toMatchObject({ name: 'Release', instance: 'callee' });
    expect(only(result, 'instance-mismatch')).toMatchObject({ nodeId: 'release', instanceId: 'callee', field: 'sipInstanceId' });
  });
});

// --- sipflow's parse and start errors, in its words --------------------------------------------

describe("sipflow's errors, word for word", () => {
  it('no sipInstance nodes found: {}, null, empty lists, commands only', () => {
    for (const input of ['{}', 'null', null, {}, { nodes: [], edges: [] }, { nodes: null, edges: null }]) {
      const result = validateScenario(input);
      expect(result.format).toBe('sipflow');
      expect(result.errors.map((d) => [d.code, d.message, d.path])).toEqual([['no-instances', 'no sipInstance nodes found', []]]);
    }
    const commandsOnly = validateScenario(flow([cmd('c1', 'Answer')]));
    expect(messagesOf(commandsOnly.errors)).toEqual(['node c1 is missing sipInstanceId', 'no sipInstance nodes found']);
  });

  it('node <id> references unknown instance <x>', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), cmd('c1', 'Answer', { sipInstanceId: 'nowhere' })], [edge('a', 'c1')]));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      code: 'unknown-instance',
      message: 'node c1 references unknown instance nowhere',
      nodeId: 'c1',
      field: 'sipInstanceId',
      path: ['nodes', 1, 'data', 'sipInstanceId'],
    });
  });

  it('an instance key is a node id, not a DN: sipInstanceId "100" names no instance even when a DN is 100', () => {
    const result = validateScenario(flow([inst('a', { dn: '100' }), cmd('c1', 'Answer', { sipInstanceId: '100' })], [edge('a', 'c1')]));
    expect(messagesOf(result.errors)).toEqual(['node c1 references unknown instance 100']);
  });

  it('node <id> uses unsupported command <c>', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), cmd('c1', 'Dance', { sipInstanceId: 'a' })], [edge('a', 'c1')]));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'unsupported-command', message: 'node c1 uses unsupported command Dance', nodeId: 'c1', field: 'command', path: ['nodes', 1, 'data', 'command'] });
  });

  it('node <id> uses unsupported event <e>', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), evt('e1', 'PARTY', { sipInstanceId: 'a' })], [edge('a', 'e1')]));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'unsupported-event', message: 'node e1 uses unsupported event PARTY', nodeId: 'e1', field: 'event', path: ['nodes', 1, 'data', 'event'] });
  });

  it('a near miss keeps sipflow\'s words at the start and names the likely command or event', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), cmd('c1', 'MakeCal', { sipInstanceId: 'a', targetUri: 'sip:x@h' }), evt('e1', 'incoming', { sipInstanceId: 'a' })], [edge('a', 'c1'), edge('a', 'e1')]));
    const command = only(result, 'unsupported-command');
    expect(command.message.startsWith('node c1 uses unsupported command MakeCal')).toBe(true);
    expect(command.suggestion).toBe('MakeCall');
    const event = only(result, 'unsupported-event');
    expect(event.message.startsWith('node e1 uses unsupported event incoming')).toBe(true);
    expect(event.suggestion).toBe('INCOMING');
  });

  it('command and event names are exact: "makecall" and "Incoming" are unsupported', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), cmd('c1', 'makecall', { sipInstanceId: 'a' }), evt('e1', 'Incoming', { sipInstanceId: 'a' })], [edge('a', 'c1'), edge('a', 'e1')]));
    expect(codesOf(result.errors)).toEqual(['unsupported-command', 'unsupported-event']);
  });

  it('node <id> references unknown number <n>', () => {
    const result = validateScenario(flow([inst('a', { dn: '100' }), evt('e1', 'INCOMING', { number: '555' })], [edge('a', 'e1')]));
    // sipflow fails before it looks at edges: the parent edge does not rescue the node.
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'unknown-number', message: 'node e1 references unknown number 555', nodeId: 'e1', field: 'number', path: ['nodes', 1, 'data', 'number'] });
  });

  it('node <id> is missing sipInstanceId', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), evt('e1', 'INCOMING'), cmd('c2', 'Answer')], [edge('a', 'e1'), edge('e1', 'c2')]));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'missing-instance', message: 'node c2 is missing sipInstanceId', nodeId: 'c2', field: 'sipInstanceId', path: ['nodes', 2] });
  });

  it('failed to unmarshal flowData: … with Go\'s own wording', () => {
    const result = validateScenario({ nodes: 5 });
    const unmarshal = only(result, 'unmarshal');
    expect(unmarshal).toMatchObject({
      severity: 'error',
      message: 'failed to unmarshal flowData: json: cannot unmarshal number into Go struct field FlowData.Nodes of type []engine.FlowNode',
      path: ['nodes'],
    });
  });

  it('duplicate DN "<dn>" for instances <a> and <b> (the DN trimmed, as sipflow does)', () => {
    const result = validateScenario(flow([inst('a', { dn: '100' }), inst('b', { dn: '200' }), inst('c', { dn: ' 200' })]));
    const dup = only(result, 'duplicate-dn');
    expect(dup).toMatchObject({ severity: 'error', message: 'duplicate DN "200" for instances b and c', instanceId: 'c', field: 'dn', path: ['nodes', 2, 'data', 'dn'] });
  });

  it('unsupported transport "<t>" for instance <id>', () => {
    const result = validateScenario(flow([inst('a', { dn: '1', pbxTransport: 'SCTP' })]));
    const error = only(result, 'unsupported-transport');
    expect(error).toMatchObject({ severity: 'error', message: 'unsupported transport "SCTP" for instance a', instanceId: 'a', field: 'pbxTransport', path: ['nodes', 0, 'data', 'pbxTransport'] });
  });
});

describe('every error at once, with where it is', () => {
  const name = 'multiple-errors.json';
  const text = fixtureText(name);

  it('a file with seven problems reports all seven', () => {
    const result = validateFixture(name);
    expect(result.ok).toBe(false);
    expect(result.scenario).toBeUndefined();
    expect(messagesOf(result.errors).sort()).toEqual(
      [
        'duplicate DN "300" for instances east and west',
        'unsupported transport "SCTP" for instance west',
        'node c-dial uses unsupported command Dial',
        'node e-wait uses unsupported event ANSWERED',
        'node c-lost references unknown instance ghost',
        'node e-ring references unknown number 999',
        'node c-deep is missing sipInstanceId',
      ].sort(),
    );
    // Text input: diagnostics come in document order.
    const lines = result.diagnostics.map((d) => d.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(result.diagnostics.every((d) => d.file === name)).toBe(true);
  });

  it('each error has its node or instance, field, path and line:column', () => {
    const result = validateFixture(name);
    const byMessage = (start: string): ScenarioDiagnostic => {
      const d = result.errors.find((e) => e.message.startsWith(start));
      expect(d, start).toBeDefined();
      return d!;
    };
    expect(byMessage('node c-dial uses')).toMatchObject({ nodeId: 'c-dial', field: 'command', path: ['nodes', 2, 'data', 'command'], line: 16, column: 28 });
    expect(byMessage('node e-wait uses')).toMatchObject({ nodeId: 'e-wait', field: 'event', path: ['nodes', 3, 'data', 'event'], line: 21, column: 26 });
    expect(byMessage('node c-lost references')).toMatchObject({ nodeId: 'c-lost', field: 'sipInstanceId', path: ['nodes', 4, 'data', 'sipInstanceId'], line: 26, column: 55 });
    expect(byMessage('node e-ring references')).toMatchObject({ nodeId: 'e-ring', field: 'number', path: ['nodes', 5, 'data', 'number'], line: 31, column: 48 });
    expect(byMessage('node c-deep is missing')).toMatchObject({ nodeId: 'c-deep', field: 'sipInstanceId', path: ['nodes', 6], line: 33, column: 5 });
    expect(byMessage('duplicate DN')).toMatchObject({ instanceId: 'west', field: 'dn', path: ['nodes', 1, 'data', 'dn'], ...position(text, '"300"', 1) });
    expect(byMessage('unsupported transport')).toMatchObject({ instanceId: 'west', field: 'pbxTransport', path: ['nodes', 1, 'data', 'pbxTransport'], ...position(text, '"SCTP"') });
    // The helper agrees with the hand-counted positions above.
    expect(position(text, '"ghost"')).toEqual({ line: 26, column: 55 });
  });

  it('loadScenario throws one ScenarioError carrying them all', () => {
    let error: unknown;
    try {
      loadScenario(text, { file: name });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const e = error as ScenarioError;
    expect(e.errors).toHaveLength(7);
    expect(e.message).toMatch(/^7 errors in scenario:/);
    expect(e.message).toContain(`${name}:16:28: error: node c-dial uses unsupported command Dial`);
  });

  it('the same problems without text (a JavaScript value) carry paths but no line:column', () => {
    const result = validateScenario(JSON.parse(text));
    expect(result.errors).toHaveLength(7);
    expect(result.errors.every((d) => d.line === undefined && d.column === undefined && d.path.length > 0)).toBe(true);
  });

  it('bytes are read as the text is', () => {
    const fromBytes = validateScenario(readFileSync(fixturePath(name)), { file: name });
    expect(fromBytes.diagnostics).toEqual(validateFixture(name).diagnostics);
  });
});

// --- where sipflow is silently surprising: same meaning, plus a warning ---------------------------

describe('silent sipflow behaviour, kept and said in a warning', () => {
  it('a value of the wrong JSON type is replaced by its default', () => {
    const result = validateScenario(
      flow(
        [
          inst('a', { dn: '1', pbxHost: 'pbx.example.com', register: 'no', registerIntervalSeconds: '60' }),
          evt('e1', 'INCOMING', { sipInstanceId: 'a', timeout: '5000', callId: 7 }),
          cmd('c1', 'SendDTMF', { sipInstanceId: 'a', digits: '12', intervalMs: '200' }),
          cmd('c2', 'MakeCall', { sipInstanceId: 'a', targetUri: 'sip:9@example.com', timeout: true }),
        ],
        [edge('a', 'e1'), edge('e1', 'c1'), edge('c1', 'c2')],
      ),
    );
    expect(result.errors).toEqual([]);
    const wrong = withCode(result, 'wrong-type');
    expect(wrong.map((d) => [d.severity, d.nodeId ?? d.instanceId, d.field])).toEqual([
      ['warning', 'a', 'register'],
      ['warning', 'a', 'registerIntervalSeconds'],
      ['warning', 'e1', 'callId'],
      ['warning', 'e1', 'timeout'],
      ['warning', 'c1', 'intervalMs'],
      ['warning', 'c2', 'timeout'],
    ]);
    const graph = compileScenario(result.scenario!);
    expect(graph.instance('a')).toMatchObject({ register: true, registerIntervalSeconds: 300, mode: 'pbx' });
    expect(node(graph, 'e1')).toMatchObject({ timeoutMs: 10_000, callId: 'call-1' });
    expect(fieldsOf(graph, 'c1')['intervalMs']).toBe(100);
    expect(node(graph, 'c2').timeoutMs).toBe(10_000);
  });

  it('a wrongly typed sipInstanceId is read as empty: the parent edge gives the instance', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), cmd('c1', 'Answer', { sipInstanceId: 42 })], [edge('a', 'c1')]));
    expect(result.errors).toEqual([]);
    expect(only(result, 'wrong-type')).toMatchObject({ severity: 'warning', nodeId: 'c1', field: 'sipInstanceId' });
    expect(node(compileScenario(result.scenario!), 'c1').instance).toBe('a');
  });

  it('a wrongly typed INCOMING number (a JSON number) is ignored as sipflow ignores it, with a warning', () => {
    // sipflow reads number with getStringField: 200 (a number) is "", so the parent edge decides.
    const result = validateScenario(flow([inst('a', { dn: '100' }), inst('b', { dn: '200' }), evt('e1', 'INCOMING', { number: 200 })], [edge('a', 'e1')]));
    expect(result.errors).toEqual([]);
    expect(modelNode(result.scenario!, 'e1').instance).toBe('a');
    expect(withCode(result, 'wrong-type').map((d) => [d.severity, d.nodeId, d.field])).toEqual([['warning', 'e1', 'number']]);
  });

  it('a codecs value that is not a list, or holds non-strings, falls back as sipflow does', () => {
    const result = validateScenario(flow([inst('a', { dn: '1', codecs: 'PCMA' }), inst('b', { dn: '2', codecs: [8, 'PCMA', null] })]));
    expect(result.errors).toEqual([]);
    expect(withCode(result, 'wrong-type').map((d) => [d.instanceId, d.path])).toEqual([
      ['a', ['nodes', 0, 'data', 'codecs']],
      ['b', ['nodes', 1, 'data', 'codecs', 0]],
      ['b', ['nodes', 1, 'data', 'codecs', 2]],
    ]);
    const graph = compileScenario(result.scenario!);
    expect(graph.instance('a')!.codecs).toEqual(['PCMU', 'PCMA']);
    expect(graph.instance('b')!.codecs).toEqual(['PCMA']);
  });

  it('a second success edge from a node replaces the first (last one wins)', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1' }), evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 100 }), evt('first', 'TIMEOUT', { sipInstanceId: 'a', timeout: 100 }), evt('second', 'TIMEOUT', { sipInstanceId: 'a', timeout: 100 })],
        [edge('a', 't'), edge('t', 'first'), edge('t', 'second', { sourceHandle: 'source', data: { branchType: 'success' } })],
      ),
    );
    expect(result.errors).toEqual([]);
    const dup = only(result, 'duplicate-edge');
    expect(dup).toMatchObject({ severity: 'warning', nodeId: 't', path: ['edges', 2] });
    expect(dup.message).toContain('second');
    const graph = compileScenario(result.scenario!);
    expect(node(graph, 't').onSuccess).toBe('second');
    expect(graph.node('first')).toBeUndefined();
    expect(only(result, 'unreachable').nodeId).toBe('first');
  });

  it('a second failure edge replaces the first too, and leaves the success edge alone', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1' }), evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 100 }), evt('ok', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 }), evt('f1', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 }), evt('f2', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 })],
        [edge('a', 't'), edge('t', 'f1', { sourceHandle: 'failure' }), edge('t', 'ok'), edge('t', 'f2', { data: { branchType: 'failure' } })],
      ),
    );
    expect(only(result, 'duplicate-edge')).toMatchObject({ nodeId: 't', path: ['edges', 3] });
    expect(node(compileScenario(result.scenario!), 't')).toMatchObject({ onSuccess: 'ok', onFailure: 'f2' });
  });

  it('the failure rule: sourceHandle "failure" OR branchType "failure"; anything else is a success edge', () => {
    const make = (extra: Json) =>
      validateScenario(flow([inst('a', { dn: '1' }), evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 }), evt('n', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 })], [edge('a', 't'), edge('t', 'n', extra)]));
    const next = (extra: Json) => {
      const result = make(extra);
      const t = node(compileScenario(result.scenario!), 't');
      return [t.onSuccess, t.onFailure];
    };
    expect(next({ sourceHandle: 'failure' })).toEqual([undefined, 'n']);
    expect(next({ sourceHandle: 'source', data: { branchType: 'failure' } })).toEqual([undefined, 'n']);
    expect(next({ sourceHandle: 'failure', data: { branchType: 'success' } })).toEqual([undefined, 'n']);
    expect(next({ sourceHandle: 'success', data: { branchType: 'failure' } })).toEqual([undefined, 'n']);
    expect(next({})).toEqual(['n', undefined]);
    expect(next({ sourceHandle: 'source', data: { branchType: 'success' } })).toEqual(['n', undefined]);
    expect(next({ sourceHandle: null, data: null })).toEqual(['n', undefined]);
    // Near misses are success edges, as in sipflow, but said.
    expect(next({ sourceHandle: 'Failure' })).toEqual(['n', undefined]);
    expect(only(make({ sourceHandle: 'Failure' }), 'invalid-value')).toMatchObject({ severity: 'warning', field: 'sourceHandle', path: ['edges', 1] });
    expect(next({ sourceHandle: 'source', data: { branchType: 1 } })).toEqual(['n', undefined]);
    expect(only(make({ data: { branchType: 1 } }), 'wrong-type')).toMatchObject({ severity: 'warning', field: 'branchType', path: ['edges', 1, 'data', 'branchType'] });
    expect(next({ data: { branchType: 'FAILURE' } })).toEqual(['n', undefined]);
    expect(only(make({ data: { branchType: 'FAILURE' } }), 'invalid-value')).toMatchObject({ severity: 'warning', field: 'branchType' });
  });

  it('an edge to or from an unknown node, or to an instance, is ignored with a warning', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1' }), inst('b', { dn: '2' }), evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 })],
        [edge('a', 't'), edge('t', 'nowhere'), edge('ghost', 't'), edge('a', 'missing'), edge('t', 'b'), edge('a', 'b')],
      ),
    );
    expect(result.errors).toEqual([]);
    expect(withCode(result, 'dangling-edge').map((d) => [d.severity, d.path])).toEqual([
      ['warning', ['edges', 1]],
      ['warning', ['edges', 2]],
      ['warning', ['edges', 3]],
      ['warning', ['edges', 4]],
      ['warning', ['edges', 5]],
    ]);
    const graph = compileScenario(result.scenario!);
    expect(node(graph, 't').onSuccess).toBeUndefined();
    expect(graph.instance('a')!.startNodes).toEqual(['t']);
    expect(graph.instance('b')!.startNodes).toEqual([]);
  });

  it("the chain's instance wins: a node reached from a's chain runs on a, whatever its sipInstanceId says", () => {
    const result = validateScenario(
      flow([inst('a', { dn: '1' }), inst('b', { dn: '2' }), evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 }), evt('x', 'TIMEOUT', { sipInstanceId: 'b', timeout: 1 })], [edge('a', 't'), edge('t', 'x')]),
    );
    expect(result.errors).toEqual([]);
    expect(modelNode(result.scenario!, 'x').instance).toBe('b');
    const warning = only(result, 'instance-mismatch');
    expect(warning).toMatchObject({ severity: 'warning', nodeId: 'x', instanceId: 'a', field: 'sipInstanceId' });
    expect(warning.message).toContain('instance b');
    const graph = compileScenario(result.scenario!);
    expect(node(graph, 'x').instance).toBe('a');
    expect(graph.nodes.map((n) => [n.id, n.instance])).toEqual([
      ['t', 'a'],
      ['x', 'a'],
    ]);
  });

  it('the instance-mismatch warning points at the sipInstanceId it names as its field (path and line:column)', () => {
    const text = JSON.stringify(
      flow([inst('a', { dn: '1' }), inst('b', { dn: '2' }), evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 }), evt('x', 'TIMEOUT', { sipInstanceId: 'b', timeout: 1 })], [edge('a', 't'), edge('t', 'x')]),
      null,
      2,
    );
    const warning = only(validateScenario(text), 'instance-mismatch');
    expect(warning).toMatchObject({ field: 'sipInstanceId', path: ['nodes', 3, 'data', 'sipInstanceId'], ...position(text, '"b"', 1) });
  });

  it('two edges from an instance to the same node: sipflow starts it twice, and says so', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), evt('t', 'TIMEOUT', { timeout: 1 })], [edge('a', 't'), { ...edge('a', 't'), id: 'again' }]));
    expect(result.errors).toEqual([]);
    expect(only(result, 'duplicate-edge')).toMatchObject({ severity: 'warning', path: ['edges', 1] });
    expect(compileScenario(result.scenario!).instance('a')!.startNodes).toEqual(['t', 't']);
  });

  it('a dn of the wrong type is read as "" with a warning, so an INCOMING number cannot find it', () => {
    const result = validateScenario(flow([inst('a', { dn: 200 }), evt('in', 'INCOMING', { number: '200' })], [edge('a', 'in')]));
    expect(withCode(result, 'wrong-type').map((d) => [d.severity, d.instanceId, d.field])).toEqual([['warning', 'a', 'dn']]);
    expect(messagesOf(result.errors)).toEqual(['node in references unknown number 200']);
  });

  it('a node both chains reach runs once per chain: its own instance keeps the id, the other gets <id>@<instance>', () => {
    const result = validateScenario(
      flow(
        [
          inst('a', { dn: '1' }),
          inst('b', { dn: '2' }),
          evt('ta', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 }),
          evt('tb', 'TIMEOUT', { sipInstanceId: 'b', timeout: 1 }),
          evt('shared', 'TIMEOUT', { sipInstanceId: 'b', timeout: 5 }),
        ],
        [edge('a', 'ta'), edge('b', 'tb'), edge('ta', 'shared'), edge('tb', 'shared')],
      ),
    );
    expect(result.errors).toEqual([]);
    expect(only(result, 'instance-mismatch')).toMatchObject({ nodeId: 'shared', instanceId: 'a' });
    const graph = compileScenario(result.scenario!);
    expect(node(graph, 'ta').onSuccess).toBe('shared@a');
    expect(node(graph, 'tb').onSuccess).toBe('shared');
    expect(node(graph, 'shared@a')).toMatchObject({ instance: 'a', timeoutMs: 5 });
    expect(node(graph, 'shared')).toMatchObject({ instance: 'b', timeoutMs: 5 });
    expect(graph.nodes.map((n) => n.id)).toEqual(['ta', 'shared@a', 'tb', 'shared']);
  });

  it('an unknown codec name gives a warning naming the instance and the codec; the effective list drops it', () => {
    const result = validateScenario(flow([inst('a', { dn: '1', codecs: ['PCMA', 'G729', 'pcmu'] })]));
    expect(result.errors).toEqual([]);
    const codecs = withCode(result, 'unknown-codec');
    expect(codecs.map((d) => [d.severity, d.instanceId, d.field, d.path])).toEqual([
      ['warning', 'a', 'codecs', ['nodes', 0, 'data', 'codecs', 1]],
      ['warning', 'a', 'codecs', ['nodes', 0, 'data', 'codecs', 2]],
    ]);
    expect(codecs[1]!.suggestion).toBe('PCMU');
    expect(result.scenario!.instances[0]!.settings.codecs).toEqual(['PCMA', 'G729', 'pcmu']);
    expect(compileScenario(result.scenario!).instance('a')!.codecs).toEqual(['PCMA']);
  });

  it('a node type other than sipInstance, command or event is ignored with a warning, and edges through it go nowhere', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1' }), { id: 'note-1', type: 'note', data: { label: 'remember to test hold' } }, { id: 'c1', type: 'Command', data: { command: 'Answer', sipInstanceId: 'a' } }, evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 })],
        [edge('a', 'note-1'), edge('note-1', 't'), edge('a', 't')],
      ),
    );
    expect(result.errors).toEqual([]);
    const ignored = withCode(result, 'ignored-node');
    expect(ignored.map((d) => [d.severity, d.nodeId, d.field, d.path])).toEqual([
      ['warning', 'note-1', 'type', ['nodes', 1]],
      ['warning', 'c1', 'type', ['nodes', 2]],
    ]);
    expect(ignored[1]!.suggestion).toBe('command');
    expect(result.scenario!.nodes.map((n) => n.id)).toEqual(['t']);
    expect(withCode(result, 'dangling-edge').map((d) => d.path)).toEqual([
      ['edges', 0],
      ['edges', 1],
    ]);
    expect(compileScenario(result.scenario!).instance('a')!.startNodes).toEqual(['t']);
  });
});

// --- the envelope: Go's key matching and value types --------------------------------------------

describe("the envelope: Go's case-insensitive struct keys, exact data keys", () => {
  it('Nodes / Edges / ID / Type / Data / Source / Target / SourceHandle in any case', () => {
    const doc = {
      Nodes: [
        { ID: 'a', TYPE: 'sipInstance', Data: { dn: '1', register: false } },
        { Id: 't', type: 'event', DATA: { event: 'TIMEOUT', timeout: 1 } },
        { iD: 'n', Type: 'event', data: { event: 'TIMEOUT', sipInstanceId: 'a', timeout: 1 } },
      ],
      EDGES: [
        { ID: 'e1', Source: 'a', TARGET: 't' },
        { id: 'e2', SOURCE: 't', Target: 'n', SourceHandle: 'failure' },
      ],
    };
    const result = validateScenario(doc);
    expect(result.format).toBe('sipflow');
    expect(result.diagnostics).toEqual([]);
    const graph = compileScenario(result.scenario!);
    expect(graph.instance('a')!.startNodes).toEqual(['t']);
    expect(node(graph, 't')).toMatchObject({ instance: 'a', onFailure: 'n', onSuccess: undefined });
  });

  it('Go folds "ſ" (U+017F) to "s" when it matches struct keys', () => {
    const doc = flow([inst('a', { dn: '1' }), evt('t', 'TIMEOUT', { timeout: 1 }), evt('n', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 })], [
      { id: 'e1', '\u017fource': 'a', target: 't' },
      { id: 'e2', source: 't', target: 'n', '\u017fourceHandle': 'failure' },
    ]);
    const result = validateScenario(doc);
    expect(result.errors).toEqual([]);
    expect(node(compileScenario(result.scenario!), 't').onFailure).toBe('n');
  });

  it('the last of two keys that match the same field wins, as Go assigns each in turn', () => {
    const good = [inst('a', { dn: '1' }), evt('t', 'TIMEOUT', { sipInstanceId: 'a', timeout: 1 })];
    const result = validateScenario({ nodes: [{ id: 'zzz', type: 'command', data: {} }], Nodes: good, edges: [edge('a', 't')] });
    expect(result.errors).toEqual([]);
    expect(compileScenario(result.scenario!).instance('a')!.startNodes).toEqual(['t']);

    const renamed = validateScenario(flow([{ id: 'old', ID: 'a', type: 'sipInstance', data: { dn: '1', register: false } }]));
    expect(renamed.scenario!.instances.map((i) => i.id)).toEqual(['a']);
  });

  it('a key repeated exactly in text: the last value wins, with a duplicate-key warning', () => {
    const text = '{"nodes":[{"id":"x","id":"a","type":"sipInstance","data":{"dn":"1","register":false,"dn":"2"}}],"edges":[]}';
    const result = validateScenario(text);
    expect(result.errors).toEqual([]);
    expect(codesOf(result.warnings)).toEqual(['duplicate-key', 'duplicate-key']);
    expect(result.warnings[0]).toMatchObject({ line: 1, column: position(text, '"id"', 1).column, field: 'id' });
    expect(compileScenario(result.scenario!).instance('a')!.dn).toBe('2');
  });

  it('a key given three times across cases: the LAST in the text wins ("Nodes", "nodes", "Nodes")', () => {
    // Go decodes members in text order; the third (an exact repeat of the first) is the last assignment.
    const text = `{"Nodes":[{"id":"first","type":"sipInstance","data":{"register":false}}],
      "nodes":[{"id":"second","type":"sipInstance","data":{"register":false}}],
      "Nodes":[{"id":"third","type":"sipInstance","data":{"register":false}}],"edges":[]}`;
    const result = validateScenario(text);
    expect(result.errors).toEqual([]);
    expect(result.scenario!.instances.map((i) => i.id)).toEqual(['third']);
  });

  it('"data" and "Data" on one node: Go decodes both into the same map, so their keys merge', () => {
    // encoding/json reuses a non-nil map ("keeping existing entries"): {dn} then {register} → both.
    const result = validateScenario({ nodes: [{ id: 'a', type: 'sipInstance', data: { dn: '777' }, Data: { register: false } }], edges: [] });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(compileScenario(result.scenario!).instance('a')).toMatchObject({ dn: '777', register: false });
  });

  it('data keys are exact: "DN", "SipInstanceId" and "Command" are not dn, sipInstanceId and command', () => {
    const result = validateScenario(flow([inst('a', { DN: '100' }), inst('b', { dn: '200' }), { id: 'c1', type: 'command', data: { Command: 'Answer', sipInstanceId: 'a' } }, cmd('c2', 'Answer', { SipInstanceId: 'b' })], [edge('a', 'c1'), edge('c1', 'c2')]));
    expect(result.scenario).toBeUndefined();
    const unknownDn = result.warnings.find((d) => d.code === 'unknown-field' && d.field === 'DN');
    expect(unknownDn).toMatchObject({ instanceId: 'a', suggestion: 'dn', path: ['nodes', 0, 'data', 'DN'] });
    expect(result.errors.map((d) => [d.code, d.nodeId])).toEqual([
      ['missing-command', 'c1'],
      ['missing-instance', 'c2'],
    ]);
  });

  it('null nodes, edges, data, node and edge elements are read as Go reads them (zero values)', () => {
    const result = validateScenario({ nodes: [null, { id: 'a', type: 'sipInstance', data: null }, { id: 't', type: 'event', data: { event: 'TIMEOUT', timeout: 1 } }], edges: [null, { id: 'e', source: 'a', target: 't', data: null }] });
    expect(result.errors).toEqual([]);
    // data null: every default, register true included.
    const graph = compileScenario(result.scenario!);
    expect(graph.instance('a')).toMatchObject({ dn: '', codecs: ['PCMU', 'PCMA'], registerIntervalSeconds: 300, startNodes: ['t'] });
    expect(codesOf(result.warnings)).toContain('local-register');
    expect(withCode(result, 'ignored-node').map((d) => d.path)).toEqual([['nodes', 0]]);
    expect(withCode(result, 'dangling-edge').map((d) => d.path)).toEqual([['edges', 0]]);
    expect(validateScenario({ nodes: null, edges: null }).errors.map((d) => d.message)).toEqual(['no sipInstance nodes found']);
  });

  it.each([
    [{ nodes: 5 }, ['nodes'], 'cannot unmarshal number into Go struct field FlowData.Nodes of type []engine.FlowNode'],
    [{ nodes: 'a,b' }, ['nodes'], 'cannot unmarshal string into Go struct field FlowData.Nodes of type []engine.FlowNode'],
    [{ nodes: {} }, ['nodes'], 'cannot unmarshal object into Go struct field FlowData.Nodes of type []engine.FlowNode'],
    [{ nodes: [], edges: {} }, ['edges'], 'cannot unmarshal object into Go struct field FlowData.Edges of type []engine.FlowEdge'],
    [{ nodes: [5] }, ['nodes', 0], 'cannot unmarshal number into Go struct field FlowData.Nodes of type engine.FlowNode'],
    [{ nodes: [{ id: 5, type: 'sipInstance' }] }, ['nodes', 0, 'id'], 'cannot unmarshal number into Go struct field FlowNode.Nodes.ID of type string'],
    [{ nodes: [{ id: 'a', type: true }] }, ['nodes', 0, 'type'], 'cannot unmarshal bool into Go struct field FlowNode.Nodes.Type of type string'],
    [{ nodes: [{ id: 'a', type: 'sipInstance', data: [] }] }, ['nodes', 0, 'data'], 'cannot unmarshal array into Go struct field FlowNode.Nodes.Data of type map[string]interface {}'],
    [{ nodes: [], edges: [{ source: 5, target: 't' }] }, ['edges', 0, 'source'], 'cannot unmarshal number into Go struct field FlowEdge.Edges.Source of type string'],
    [{ nodes: [], edges: [{ source: 's', target: 't', sourceHandle: 1 }] }, ['edges', 0, 'sourceHandle'], 'cannot unmarshal number into Go struct field FlowEdge.Edges.SourceHandle of type string'],
    [{ nodes: [], edges: [{ source: 's', target: 't', data: 'failure' }] }, ['edges', 0, 'data'], 'cannot unmarshal string into Go struct field FlowEdge.Edges.Data of type map[string]interface {}'],
  ])('Go unmarshal error for %j', (doc, path, detail) => {
    const result = validateScenario(doc);
    expect(result.ok).toBe(false);
    expect(only(result, 'unmarshal')).toMatchObject({ severity: 'error', path, message: `failed to unmarshal flowData: json: ${detail}` });
  });

  it('a top-level value that is not an object, read as sipflow JSON, is Go\'s unmarshal error', () => {
    const result = validateScenario('[1, 2]', { format: 'sipflow' });
    expect(result.errors.map((d) => d.message)).toEqual(['failed to unmarshal flowData: json: cannot unmarshal array into Go value of type engine.FlowData']);
  });

  it('XYFlow keys (position, measured, selected, dragging, type "branch", markerEnd, targetHandle, viewport …) give no warning', () => {
    const doc = {
      nodes: [
        { id: 'a', type: 'sipInstance', position: { x: 1, y: 2 }, positionAbsolute: { x: 1, y: 2 }, measured: { width: 200, height: 80 }, width: 200, height: 80, selected: true, dragging: false, data: { label: '1', dn: '1', register: false, color: '#3b82f6' } },
        { id: 't', type: 'event', position: { x: 1, y: 200 }, measured: { width: 200, height: 60 }, selected: false, data: { label: 'Timeout', event: 'TIMEOUT', sipInstanceId: 'a', timeout: 1 } },
      ],
      edges: [{ id: 'a-t', source: 'a', target: 't', sourceHandle: 'source', targetHandle: null, type: 'branch', animated: false, selected: false, markerEnd: { type: 'arrowclosed', width: 12, height: 12, color: '#cbd5e1' }, style: { strokeWidth: 1.5 }, data: { branchType: 'success' } }],
      viewport: { x: 0, y: 0, zoom: 1.25 },
    };
    const result = validateScenario(doc);
    expect(result.diagnostics).toEqual([]);
  });
});

// --- instance resolution ------------------------------------------------------------------------

describe('instance resolution: sipInstanceId, then number → DN for INCOMING, then the direct parent edge', () => {
  it('start nodes are the instance edges in edge order, not node order', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1' }), evt('n1', 'TIMEOUT', { timeout: 1 }), evt('n2', 'TIMEOUT', { timeout: 1 }), evt('n3', 'TIMEOUT', { timeout: 1 })],
        [edge('a', 'n3'), edge('a', 'n1'), edge('a', 'n2')],
      ),
    );
    expect(result.errors).toEqual([]);
    expect(compileScenario(result.scenario!).instance('a')!.startNodes).toEqual(['n3', 'n1', 'n2']);
  });

  it('an explicit sipInstanceId is the node\'s instance, even under another instance\'s edge (which then runs it)', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), inst('b', { dn: '2' }), evt('t', 'TIMEOUT', { sipInstanceId: 'b', timeout: 1 })], [edge('a', 't')]));
    expect(modelNode(result.scenario!, 't').instance).toBe('b');
    expect(only(result, 'instance-mismatch')).toMatchObject({ nodeId: 't', instanceId: 'a' });
    expect(node(compileScenario(result.scenario!), 't').instance).toBe('a');
  });

  it('INCOMING without sipInstanceId takes the instance whose dn equals its number, even deep in a chain', () => {
    const result = validateScenario(
      flow([inst('a', { dn: '100' }), inst('b', { dn: '200' }), evt('t', 'TIMEOUT', { timeout: 1 }), evt('in', 'INCOMING', { number: '200' })], [edge('b', 't'), edge('t', 'in')]),
    );
    expect(result.errors).toEqual([]);
    expect(modelNode(result.scenario!, 'in').instance).toBe('b');
    expect(withCode(result, 'instance-mismatch')).toEqual([]);
  });

  it('number → DN wins over the parent edge (the node still runs on the chain that reaches it)', () => {
    const result = validateScenario(flow([inst('a', { dn: '100' }), inst('b', { dn: '200' }), evt('in', 'INCOMING', { number: '200' })], [edge('a', 'in')]));
    expect(result.errors).toEqual([]);
    expect(modelNode(result.scenario!, 'in').instance).toBe('b');
    expect(only(result, 'instance-mismatch')).toMatchObject({ nodeId: 'in', instanceId: 'a' });
    expect(node(compileScenario(result.scenario!), 'in').instance).toBe('a');
  });

  it('the parent edge is inherited only from a DIRECT instance edge; a deeper node without sipInstanceId is an error', () => {
    const result = validateScenario(
      flow([inst('a', { dn: '1' }), evt('t1', 'TIMEOUT', { timeout: 1 }), evt('t2', 'TIMEOUT', { timeout: 1 }), evt('t3', 'TIMEOUT', { timeout: 1 })], [edge('a', 't1'), edge('t1', 't2'), edge('t2', 't3')]),
    );
    expect(messagesOf(result.errors)).toEqual(['node t2 is missing sipInstanceId', 'node t3 is missing sipInstanceId']);
  });

  it('a node under two instance edges takes the instance of the first edge; both chains run it', () => {
    const result = validateScenario(flow([inst('a', { dn: '1' }), inst('b', { dn: '2' }), evt('t', 'TIMEOUT', { timeout: 1 })], [edge('b', 't'), edge('a', 't')]));
    expect(result.errors).toEqual([]);
    expect(modelNode(result.scenario!, 't').instance).toBe('b');
    const graph = compileScenario(result.scenario!);
    expect(graph.instance('a')!.startNodes).toEqual(['t@a']);
    expect(graph.instance('b')!.startNodes).toEqual(['t']);
  });

  it('number is matched against the dn exactly as written (not trimmed)', () => {
    const padded = validateScenario(flow([inst('a', { dn: ' 200 ' }), evt('in', 'INCOMING', { number: '200' })], [edge('a', 'in')]));
    expect(messagesOf(padded.errors)).toEqual(['node in references unknown number 200']);
    const same = validateScenario(flow([inst('a', { dn: ' 200 ' }), evt('in', 'INCOMING', { number: ' 200 ' })], [edge('a', 'in')]));
    expect(same.errors).toEqual([]);
    expect(modelNode(same.scenario!, 'in').instance).toBe('a');
  });

  it('two instances with the same dn: the last one wins the number mapping (and the duplicate DN is an error)', () => {
    const result = validateScenario(flow([inst('a', { dn: '200' }), inst('b', { dn: '200' }), evt('in', 'INCOMING', { number: '200' })], [edge('a', 'in')]));
    expect(messagesOf(result.errors)).toEqual(['duplicate DN "200" for instances a and b']);
    // in runs on a (the edge) but belongs to b (the number): said as a mismatch naming b.
    const mismatch = only(result, 'instance-mismatch');
    expect(mismatch).toMatchObject({ nodeId: 'in', instanceId: 'a' });
    expect(mismatch.message).toContain('instance b');
  });

  it('a number that disagrees with an explicit sipInstanceId is ignored, with a warning on number', () => {
    const result = validateScenario(flow([inst('a', { dn: '100' }), inst('b', { dn: '200' }), evt('in', 'INCOMING', { sipInstanceId: 'a', number: '200' })], [edge('a', 'in')]));
    expect(result.errors).toEqual([]);
    expect(modelNode(result.scenario!, 'in').instance).toBe('a');
    const warning = only(result, 'ignored-field');
    expect(warning).toMatchObject({ severity: 'warning', nodeId: 'in', field: 'number', path: ['nodes', 2, 'data', 'number'] });
    // A number that names no DN at all is not an error when sipInstanceId is set (sipflow never looks it up).
    const unknown = validateScenario(flow([inst('a', { dn: '100' }), evt('in', 'INCOMING', { sipInstanceId: 'a', number: '999' })], [edge('a', 'in')]));
    expect(unknown.errors).toEqual([]);
    expect(only(unknown, 'ignored-field')).toMatchObject({ nodeId: 'in', field: 'number' });
  });

  it('number is INCOMING only: on another event it does not resolve the instance', () => {
    const result = validateScenario(
      flow([inst('a', { dn: '100' }), evt('in', 'INCOMING', { number: '100' }), evt('gone', 'DISCONNECTED', { number: '100' })], [edge('a', 'in'), edge('in', 'gone')]),
    );
    expect(messagesOf(result.errors)).toEqual(['node gone is missing sipInstanceId']);
  });
});

// --- registration and the PBX -------------------------------------------------------------------

describe('register and PBX settings', () => {
  it('register true by default without pbxHost: a local-register warning, local mode, no REGISTER', () => {
    const result = validateScenario(flow([{ id: 'a', type: 'sipInstance', data: { dn: '100' } }]));
    expect(result.ok).toBe(true);
    const warning = only(result, 'local-register');
    expect(warning).toMatchObject({ severity: 'warning', instanceId: 'a', field: 'register' });
    expect(warning.message.startsWith('local mode: registration skipped')).toBe(true);
    expect(compileScenario(result.scenario!).instance('a')).toMatchObject({ mode: 'local', register: false, pbx: undefined, registerIntervalSeconds: 300 });
    // register written as true: the same.
    expect(only(validateScenario(flow([{ id: 'a', type: 'sipInstance', data: { dn: '100', register: true } }])), 'local-register').field).toBe('register');
    // register false: nothing to say.
    expect(validateScenario(flow([inst('a', { dn: '100' })])).warnings).toEqual([]);
  });

  it('with pbxHost: PBX mode, REGISTER on, the PBX with its port and UDP', () => {
    const result = validateScenario(flow([{ id: 'a', type: 'sipInstance', data: { dn: '4300', pbxHost: 'pbx.example.com', pbxPort: '5080', pbxTransport: 'UDP', registerIntervalSeconds: 90 } }]));
    expect(result.diagnostics).toEqual([]);
    expect(compileScenario(result.scenario!).instance('a')).toMatchObject({
      mode: 'pbx',
      register: true,
      pbx: { host: 'pbx.example.com', port: 5080, transport: 'UDP' },
      registerIntervalSeconds: 90,
      authUsername: '4300',
    });
  });

  it('pbxHost with register false: PBX mode without REGISTER; no pbxPort means no port', () => {
    const result = validateScenario(flow([inst('a', { dn: '1', pbxHost: '10.0.0.5' })]));
    expect(result.diagnostics).toEqual([]);
    expect(compileScenario(result.scenario!).instance('a')).toMatchObject({ mode: 'pbx', register: false, pbx: { host: '10.0.0.5', port: undefined, transport: 'UDP' } });
  });

  it('pbxPort as a JSON number: sipflow reads only strings there, so it is dropped with a wrong-type warning', () => {
    const result = validateScenario(flow([{ id: 'a', type: 'sipInstance', data: { dn: '1', pbxHost: 'pbx.example.com', pbxPort: 5080 } }]));
    expect(result.errors).toEqual([]);
    expect(only(result, 'wrong-type')).toMatchObject({ severity: 'warning', instanceId: 'a', field: 'pbxPort', path: ['nodes', 0, 'data', 'pbxPort'] });
    expect(compileScenario(result.scenario!).instance('a')!.pbx).toEqual({ host: 'pbx.example.com', port: undefined, transport: 'UDP' });
  });

  it.each([0, -30])('registerIntervalSeconds %d means 300, with a warning', (value) => {
    const result = validateScenario(flow([{ id: 'a', type: 'sipInstance', data: { dn: '1', pbxHost: 'pbx.example.com', registerIntervalSeconds: value } }]));
    expect(result.errors).toEqual([]);
    expect(only(result, 'default-used')).toMatchObject({ severity: 'warning', instanceId: 'a', field: 'registerIntervalSeconds' });
    expect(compileScenario(result.scenario!).instance('a')!.registerIntervalSeconds).toBe(300);
  });

  it('pbxTransport TCP is an error (only UDP is available), naming the instance in sipflow\'s words', () => {
    const result = validateScenario(flow([inst('a', { dn: '1', pbxHost: 'pbx.example.com', pbxTransport: 'TCP' })]));
    const error = only(result, 'unsupported-transport');
    expect(error).toMatchObject({ severity: 'error', instanceId: 'a', field: 'pbxTransport' });
    expect(error.message.startsWith('unsupported transport "TCP" for instance a')).toBe(true);
  });

  it.each(['udp', 'Udp', ''])('pbxTransport %j is UDP (sipflow lower-cases it, and "" means udp)', (transport) => {
    const result = validateScenario(flow([inst('a', { dn: '1', pbxHost: 'pbx.example.com', pbxTransport: transport })]));
    expect(result.errors).toEqual([]);
    expect(compileScenario(result.scenario!).instance('a')!.pbx!.transport).toBe('UDP');
  });

  it('pbxTransport " UDP " is UDP (sipflow trims it before comparing)', () => {
    const result = validateScenario(flow([inst('a', { dn: '1', pbxHost: 'pbx.example.com', pbxTransport: ' UDP ' })]));
    expect(result.errors).toEqual([]);
  });
});

// --- our additions, read from sipflow JSON ------------------------------------------------------

describe('our additions, accepted as extra data keys in sipflow JSON', () => {
  it('instance port, host, displayName, authUsername, password, rtpPortRange, userAgent, autoRinging', () => {
    const result = validateScenario(
      flow([
        inst('a', {
          dn: '100',
          label: 'Front desk',
          port: 5070,
          host: '127.0.0.1',
          displayName: 'Reception',
          authUsername: 'desk100',
          password: 's3cret',
          rtpPortRange: { min: 20000, max: 20099 },
          userAgent: 'lab-phone/1.0',
          autoRinging: false,
        }),
      ]),
    );
    expect(result.diagnostics).toEqual([]);
    expect(compileScenario(result.scenario!).instance('a')).toMatchObject({
      dn: '100',
      user: '100',
      label: 'Front desk',
      displayName: 'Reception',
      port: 5070,
      host: '127.0.0.1',
      authUsername: 'desk100',
      password: 's3cret',
      rtpPortRange: { min: 20000, max: 20099 },
      userAgent: 'lab-phone/1.0',
      autoRinging: false,
    });
  });

  it('their defaults: label as display name, DN as auth user, no password, autoRinging on', () => {
    const graph = compileScenario(flow([inst('a', { dn: '100', label: 'Desk' }), inst('b', { dn: '200' })]));
    expect(graph.instance('a')).toMatchObject({ displayName: 'Desk', authUsername: '100', password: undefined, port: undefined, host: undefined, rtpPortRange: undefined, userAgent: undefined, autoRinging: true });
    expect(graph.instance('b')!.displayName).toBeUndefined();
  });

  it('our additions are strict: a wrong type is an error, not a silent default', () => {
    const result = validateScenario(flow([inst('a', { dn: '1', port: '5070', autoRinging: 'yes' })]));
    expect(result.errors.map((d) => [d.code, d.instanceId, d.field])).toEqual([
      ['wrong-type', 'a', 'port'],
      ['wrong-type', 'a', 'autoRinging'],
    ]);
  });

  it('Reject: status 486 by default, or the given status and reason', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1' }), evt('in', 'INCOMING', { sipInstanceId: 'a' }), cmd('busy', 'Reject', { sipInstanceId: 'a' }), evt('in2', 'INCOMING', { sipInstanceId: 'a', callId: 'second' }), cmd('decline', 'Reject', { sipInstanceId: 'a', callId: 'second', status: 603, reason: 'Not Today' })],
        [edge('a', 'in'), edge('in', 'busy'), edge('busy', 'in2'), edge('in2', 'decline')],
      ),
    );
    expect(result.diagnostics).toEqual([]);
    const graph = compileScenario(result.scenario!);
    expect(node(graph, 'busy')).toMatchObject({ kind: 'command', name: 'Reject', callId: 'call-1' });
    expect(fieldsOf(graph, 'busy')).toEqual({ status: 486, reason: undefined });
    expect(fieldsOf(graph, 'decline')).toEqual({ status: 603, reason: 'Not Today' });
  });

  it('Register and Unregister on a PBX instance', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1', pbxHost: 'pbx.example.com' }), cmd('reg', 'Register', { sipInstanceId: 'a', expires: 120 }), cmd('unreg', 'Unregister', { sipInstanceId: 'a' })],
        [edge('a', 'reg'), edge('reg', 'unreg')],
      ),
    );
    expect(result.diagnostics).toEqual([]);
    const graph = compileScenario(result.scenario!);
    expect(node(graph, 'reg')).toMatchObject({ name: 'Register', onSuccess: 'unreg', timeoutMs: 10_000 });
    expect(fieldsOf(graph, 'reg')).toEqual({ expires: 120 });
    expect(node(graph, 'unreg').name).toBe('Unregister');
  });

  it('BlindTransfer targetUri (a DN or a URI) and waitForNotify', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '100' }), inst('c', { dn: '300' }), evt('in', 'INCOMING', { sipInstanceId: 'a' }), cmd('to-dn', 'BlindTransfer', { sipInstanceId: 'a', targetUri: '300', waitForNotify: true }), cmd('to-uri', 'BlindTransfer', { sipInstanceId: 'a', targetUri: 'sip:queue@pbx.example.com' })],
        [edge('a', 'in'), edge('in', 'to-dn'), edge('to-dn', 'to-uri', { sourceHandle: 'failure' })],
      ),
    );
    expect(result.errors).toEqual([]);
    const graph = compileScenario(result.scenario!);
    expect(node(graph, 'to-dn').target).toEqual({ kind: 'dn', dn: '300', instance: 'c' });
    expect(fieldsOf(graph, 'to-dn')).toMatchObject({ targetUri: '300', waitForNotify: true });
    expect(node(graph, 'to-uri').target).toEqual({ kind: 'uri', uri: 'sip:queue@pbx.example.com' });
    expect(fieldsOf(graph, 'to-uri')['waitForNotify']).toBe(false);
  });

  it('Release status, DTMFReceived expectedDigits', () => {
    const result = validateScenario(
      flow(
        [inst('a', { dn: '1' }), evt('in', 'INCOMING', { sipInstanceId: 'a' }), evt('pin', 'DTMFReceived', { sipInstanceId: 'a', expectedDigits: '1234#' }), cmd('drop', 'Release', { sipInstanceId: 'a', status: 486 })],
        [edge('a', 'in'), edge('in', 'pin', { sourceHandle: 'failure' }), edge('in', 'drop')],
      ),
    );
    expect(result.errors).toEqual([]);
    const graph = compileScenario(result.scenario!);
    expect(fieldsOf(graph, 'pin')).toEqual({ expectedDigit: '', expectedDigits: '1234#' });
    expect(fieldsOf(graph, 'drop')).toEqual({ status: 486 });
  });
});

describe('supported commands and events', () => {
  it("keep sipflow's order, with ours appended", () => {
    expect(supportedCommands()).toEqual(['MakeCall', 'Answer', 'Release', 'PlayAudio', 'SendDTMF', 'Hold', 'Retrieve', 'BlindTransfer', 'MuteTransfer', 'Reject', 'SessionProgress', 'StartRecording', 'StopRecording', 'CheckMedia', 'Register', 'Unregister']);
    expect(supportedEvents()).toEqual(['INCOMING', 'DISCONNECTED', 'RINGING', 'TIMEOUT', 'DTMFReceived', 'HELD', 'RETRIEVED', 'TRANSFERRED', 'EARLY_MEDIA', 'ExpectAudio']);
  });
});

// --- a real desktop-app save --------------------------------------------------------------------

describe('a desktop-app save (UUID ids, labels, colours, positions, branch edges)', () => {
  const name = 'desktop-save.json';
  const A = '3f6c1d2e-9a4b-4f7e-8c21-5b0d9e7a6c14';
  const B = 'a81e4c70-2d3f-4b59-9e6a-7c1f0b2d8e35';
  const MAKE = '0c9d7e21-6b4a-4e8f-a3d5-19f2c6b7e840';
  const PAUSE = '5e2a8b13-7c6d-4f90-b1e4-2a9c3d8f7061';
  const HANGUP = 'd4b7f9a2-1e3c-4a68-9b5d-6f0e2c8a1b97';
  const RING = '7b1e3c95-4d2a-4c7f-8e6b-0a5d9f3c2e18';
  const ANSWER = 'e29f6a04-8c1b-4d3e-a7f5-3b6c0d9e4a21';
  const GONE = '91c4e8b6-2f7a-4b0d-9c3e-5a8f1d6b7e02';

  it('loads with no warning but local-register for its two instances', () => {
    const result = validateFixture(name);
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((d) => [d.code, d.instanceId])).toEqual([
      ['local-register', A],
      ['local-register', B],
    ]);
    // One-line JSON as the app writes it: positions are on line 1.
    expect(result.warnings.every((d) => d.line === 1 && typeof d.column === 'number')).toBe(true);
  });

  it('keys older desktop versions wrote (mode, an empty pbxOutboundProxy) are read without a word', () => {
    const data = JSON.parse(fixtureText(name)) as { nodes: { data: Json }[] };
    data.nodes[0]!.data = { ...data.nodes[0]!.data, mode: 'DN', pbxOutboundProxy: '' };
    expect(validateScenario(data).warnings.map((d) => d.code)).toEqual(['local-register', 'local-register']);
  });

  it('compiles to what the canvas shows', () => {
    const graph = compileFixture(name);
    expect(graph.instances.map((i) => ({ id: i.id, dn: i.dn, label: i.label, color: i.color, codecs: i.codecs, mode: i.mode, register: i.register, startNodes: i.startNodes }))).toEqual([
      { id: A, dn: '2001', label: '2001', color: '#3b82f6', codecs: ['PCMU', 'PCMA'], mode: 'local', register: false, startNodes: [MAKE] },
      { id: B, dn: '2002', label: '2002', color: '#14b8a6', codecs: ['PCMA', 'PCMU'], mode: 'local', register: false, startNodes: [RING] },
    ]);
    expect(graph.nodes.map((n) => [n.id, n.instance, n.name, n.onSuccess, n.onFailure, n.timeoutMs, n.callId, n.label])).toEqual([
      [MAKE, A, 'MakeCall', PAUSE, undefined, 20_000, 'call-1', undefined],
      [PAUSE, A, 'TIMEOUT', HANGUP, undefined, 3000, 'call-1', undefined],
      [HANGUP, A, 'Release', undefined, undefined, undefined, 'call-1', 'Hang up'],
      [RING, B, 'INCOMING', ANSWER, undefined, 10_000, 'call-1', undefined],
      [ANSWER, B, 'Answer', GONE, undefined, undefined, 'call-1', undefined],
      [GONE, B, 'DISCONNECTED', undefined, undefined, 15_000, 'call-1', undefined],
    ]);
    expect(node(graph, MAKE).target).toEqual({ kind: 'dn', dn: '2002', instance: B });
    expect(graph.source).toMatchObject({ format: 'sipflow', file: name });
  });
});

// --- files --------------------------------------------------------------------------------------

describe('loadScenarioFile', () => {
  it('resolves a relative PlayAudio filePath against the scenario file\'s folder, not the working directory', () => {
    expect(existsSync(resolve('tone.wav'))).toBe(false);
    expect(existsSync(fixturePath('tone.wav'))).toBe(true);
    const path = fixturePath('play-audio-relative.json');
    const scenario = loadScenarioFile(path);
    expect(scenario.file).toBe(path);
    expect(scenario.baseDir).toBe(dirname(path));
    const graph = compileScenario(scenario);
    expect(graph.source).toEqual({ format: 'sipflow', file: path, baseDir: dirname(path) });
    expect(fieldsOf(graph, 'p-play')).toEqual({ filePath: fixturePath('tone.wav') });
    expect(node(graph, 'p-play').source).toMatchObject({ file: path, line: 6, column: 5, path: ['nodes', 3] });
    expect(node(graph, 'p-call').instance).toBe('player');
    expect(node(graph, 'l-ring').instance).toBe('listener');
    expect(node(graph, 'p-call').target).toEqual({ kind: 'dn', dn: '2', instance: 'listener' });
  });

  it('a missing audio file is an error, with file and line:column', () => {
    const path = fixturePath('play-audio-missing.json');
    let error: unknown;
    try {
      loadScenarioFile(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const errors = (error as ScenarioError).errors;
    expect(errors).toHaveLength(1);
    const d = errors[0]!;
    expect(d.message.startsWith('audio file not found: prompts/missing.wav')).toBe(true);
    expect(d.message).toContain(join(FIXTURES, 'prompts', 'missing.wav'));
    expect(d).toMatchObject({ file: path, nodeId: 'p-play', field: 'filePath', path: ['nodes', 3, 'data', 'filePath'], ...position(fixtureText('play-audio-missing.json'), '"prompts/missing.wav"') });
    expect((error as ScenarioError).message).toContain(`${path}:6:`);
  });

  it('the same scenario as text without a file does not look for audio files', () => {
    expect(validateScenario(fixtureText('play-audio-missing.json')).errors).toEqual([]);
  });

  it('a file that does not exist is an error, not a throw from validateScenarioFile', () => {
    expect(() => loadScenarioFile(fixturePath('no-such-flow.json'))).toThrow(ScenarioError);
  });
});
