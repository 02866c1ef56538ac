// Whole-scenario validation: every error and warning (mostly in the compact format), all of them
// in one call with node, field and position, formatDiagnostic, the limits against hostile input,
// the file functions, and that validateScenario never throws.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SCENARIO_LIMITS,
  type ScenarioDiagnostic,
  type ValidationResult,
  ScenarioError,
  compileScenario,
  formatDiagnostic,
  loadScenario,
  loadScenarioFile,
  validateScenario,
  validateScenarioFile,
} from '../../../src/engine/scenario/index.js';

// "Did you mean" runs for every unknown name; the wrapper counts how many candidates it is asked to
// compare, so a test can bound that work without timing anything. It answers exactly as the real one.
const work = vi.hoisted(() => ({ candidates: 0, budget: Infinity }));
vi.mock('../../../src/engine/scenario/did-you-mean.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/engine/scenario/did-you-mean.js')>();
  return {
    ...real,
    suggest: (name: string, candidates: Iterable<string>): string | undefined => {
      const list = [...candidates];
      work.candidates += list.length;
      if (work.candidates > work.budget) throw new Error(`"did you mean" compared more than ${work.budget} candidates`);
      return real.suggest(name, list);
    },
  };
});
afterEach(() => {
  work.candidates = 0;
  work.budget = Infinity;
});

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/scenarios/compact');

function dump(r: ValidationResult): string {
  return r.diagnostics.map((d) => `${d.severity} ${d.code} ${JSON.stringify(d.path)} ${d.nodeId ?? ''} ${d.field ?? ''}: ${d.message}`).join('\n');
}

/** The one diagnostic with `code` (and matching `pred`); fails when there is not exactly one. */
function one(r: ValidationResult, code: string, pred: (d: ScenarioDiagnostic) => boolean = () => true): ScenarioDiagnostic {
  const found = r.diagnostics.filter((d) => d.code === code && pred(d));
  expect(found, dump(r)).toHaveLength(1);
  return found[0]!;
}

/** The diagnostics of one step. */
const ofNode = (r: ValidationResult, nodeId: string): ScenarioDiagnostic[] => r.diagnostics.filter((d) => d.nodeId === nodeId);

/** Alice (dn 100) runs `steps` after calling bob (dn 200), who answers and waits for the end. */
function call(steps: unknown[], alice: Record<string, unknown> = {}, more: Record<string, unknown> = {}): unknown {
  return {
    instances: {
      alice: { dn: '100', ...alice, steps: [{ command: 'MakeCall', targetUri: '200' }, ...steps] },
      bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
      ...more,
    },
  };
}

/** Validates `steps` of alice after her MakeCall (alice.steps[0]); the first of them is alice.steps[1]. */
const check = (steps: unknown[], alice: Record<string, unknown> = {}, options: Parameters<typeof validateScenario>[1] = {}): ValidationResult =>
  validateScenario(call(steps, alice), options);

describe('a valid scenario', () => {
  it('has no diagnostics', () => {
    const r = check([{ event: 'TIMEOUT', timeout: 100 }, 'Release']);
    expect(r.diagnostics, dump(r)).toEqual([]);
    expect(r).toMatchObject({ ok: true, format: 'compact', errors: [], warnings: [] });
    expect(r.scenario).toBeDefined();
  });
});

describe('unknown commands and events', () => {
  it('reports an unknown command with "did you mean"', () => {
    const r = check([{ command: 'Relase' }]);
    const d = one(r, 'unsupported-command');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'alice.steps[1]', instanceId: 'alice', field: 'command', suggestion: 'Release', path: ['instances', 'alice', 'steps', 1, 'command'] });
    expect(d.message).toContain('Relase');
    expect(d.message).toContain('did you mean Release?');
  });

  it('reports an unknown event with "did you mean", in another case', () => {
    const d = one(check([{ event: 'disconnected' }]), 'unsupported-event');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'event', suggestion: 'DISCONNECTED' });
  });

  it('reports an event given as a command, suggesting nothing of the wrong kind', () => {
    const d = one(check([{ command: 'TIMEOUT' }]), 'unsupported-command');
    expect(d.suggestion).toBeUndefined();
  });

  it('reports an unknown shorthand step against commands and events', () => {
    const r = check(['DISCONECTED', 'Hodl']);
    expect(r.errors.map((d) => [d.nodeId, d.suggestion, d.path.length])).toEqual([
      ['alice.steps[1]', 'DISCONNECTED', 4],
      ['alice.steps[2]', 'Hold', 4],
    ]);
  });

  it('gives no suggestion for a name nothing like a known one', () => {
    const d = one(check([{ command: 'Teleport' }]), 'unsupported-command');
    expect(d.suggestion).toBeUndefined();
    expect(d.message).not.toContain('did you mean');
  });
});

describe('call targets', () => {
  it('reports MakeCall without a target', () => {
    const r = validateScenario({ instances: { a: { steps: [{ command: 'MakeCall' }] } } });
    const d = one(r, 'missing-field');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'a.steps[0]', instanceId: 'a', field: 'targetUri', path: ['instances', 'a', 'steps', 0] });
    expect(d.message).toBe('MakeCall requires a targetUri');
  });

  it('reports an empty target at its value', () => {
    const r = validateScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: '' }] } } });
    expect(one(r, 'missing-field')).toMatchObject({ field: 'targetUri', path: ['instances', 'a', 'steps', 0, 'targetUri'] });
  });

  it('reports a blank target once, as missing', () => {
    const r = validateScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: '   ' }] } } });
    expect(ofNode(r, 'a.steps[0]').map((d) => d.code), dump(r)).toEqual(['missing-field']);
  });

  it('reports an unknown DN with "did you mean"', () => {
    const r = validateScenario({ instances: { alice: { steps: [{ command: 'MakeCall', targetUri: 'bbo' }] }, bob: { steps: ['INCOMING'] } } });
    const d = one(r, 'unknown-target');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'alice.steps[0]', instanceId: 'alice', field: 'targetUri', suggestion: 'bob', path: ['instances', 'alice', 'steps', 0, 'targetUri'] });
    expect(d.message).toBe('target DN not found: bbo');
  });

  it('reports an unknown numeric DN without "did you mean" (a digit apart is another phone)', () => {
    const d = one(validateScenario(call([{ command: 'MakeCall', targetUri: '201', callId: 'c2' }])), 'unknown-target');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'targetUri' });
    expect(d.suggestion).toBeUndefined();
    expect(d.message).toContain('201');
  });

  it('trims a DN target', () => {
    const graph = compileScenario(call([{ command: 'MakeCall', targetUri: ' 200 ', callId: 'c2' }]));
    expect(graph.node('alice.steps[1]')!.target).toEqual({ kind: 'dn', dn: '200', instance: 'bob' });
  });

  it('suggests sip: for a target that looks like user@host', () => {
    const d = one(check([{ command: 'MakeCall', targetUri: '300@pbx.example.com', callId: 'c2' }]), 'invalid-value');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'targetUri', suggestion: 'sip:300@pbx.example.com' });
    expect(d.message).toContain('300@pbx.example.com');
  });

  it('accepts sip:, sips: and tel: URIs', () => {
    const r = check([
      { command: 'MakeCall', targetUri: 'sip:300@192.0.2.1:5070', callId: 'c2' },
      { command: 'MakeCall', targetUri: 'sips:300@example.com', callId: 'c3' },
      { command: 'MakeCall', targetUri: 'tel:+15551234', callId: 'c4' },
    ]);
    expect(r.diagnostics, dump(r)).toEqual([]);
  });

  it('checks sip: URIs with the SIP URI parser', () => {
    const r = check([
      { command: 'MakeCall', targetUri: 'sip:', callId: 'c2' },
      { command: 'MakeCall', targetUri: 'sip:300@[::1', callId: 'c3' },
    ]);
    expect(r.errors.map((d) => [d.code, d.nodeId, d.field])).toEqual([
      ['invalid-value', 'alice.steps[1]', 'targetUri'],
      ['invalid-value', 'alice.steps[2]', 'targetUri'],
    ]);
    expect(r.errors[0]!.message).toContain('is not a valid URI');
  });
});

describe('BlindTransfer', () => {
  it('needs targetUri, or targetUser and targetHost', () => {
    const d = one(check([{ command: 'BlindTransfer' }]), 'missing-field');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'alice.steps[1]', field: 'targetUri' });
    expect(d.message).toContain('targetUri, or targetUser and targetHost');
  });

  it('needs targetHost with targetUser, and targetUser with targetHost', () => {
    const r = check([{ command: 'BlindTransfer', targetUser: '300' }, { command: 'BlindTransfer', targetHost: 'pbx.example.com' }]);
    expect(r.errors.map((d) => [d.code, d.nodeId, d.field])).toEqual([
      ['missing-field', 'alice.steps[1]', 'targetHost'],
      ['missing-field', 'alice.steps[2]', 'targetUser'],
    ]);
  });

  it('accepts targetUser and targetHost, and resolves them to a URI', () => {
    const r = check([{ command: 'BlindTransfer', targetUser: '300', targetHost: 'pbx.example.com:5080' }]);
    expect(r.errors, dump(r)).toEqual([]);
    expect(compileScenario(r.scenario).node('alice.steps[1]')!.target).toEqual({ kind: 'uri', uri: 'sip:300@pbx.example.com:5080' });
  });

  it('checks targetUser and targetHost', () => {
    const r = check([{ command: 'BlindTransfer', targetUser: '3 00', targetHost: 'pbx.example.com:99999' }]);
    expect(r.errors.map((d) => [d.code, d.field])).toEqual([
      ['invalid-value', 'targetUser'],
      ['invalid-value', 'targetHost'],
    ]);
  });

  it('warns that targetUser and targetHost are ignored beside targetUri', () => {
    const d = one(check([{ command: 'BlindTransfer', targetUri: '200', targetUser: '300' }]), 'ignored-field');
    expect(d).toMatchObject({ severity: 'warning', nodeId: 'alice.steps[1]', field: 'targetUser' });
  });
});

describe('MuteTransfer', () => {
  it('needs the consult call id; the primary is primaryCallId, else the step callId (call-1), as in sipflow', () => {
    const r = check([{ command: 'MuteTransfer' }]);
    expect(r.errors.map((d) => [d.code, d.nodeId, d.field])).toEqual([['missing-field', 'alice.steps[1]', 'consultCallId']]);
    expect(check([{ command: 'MuteTransfer', consultCallId: 'call-1' }]).errors.map((d) => d.message)).toEqual([
      'MuteTransfer: the primary and consult calls are the same call (call-1)',
    ]);
  });

  it('takes the step callId as the primary call', () => {
    const r = validateScenario({
      instances: {
        alice: {
          steps: [
            { command: 'MakeCall', targetUri: 'bob', callId: 'first' },
            { command: 'MakeCall', targetUri: 'carol', callId: 'second' },
            { command: 'MuteTransfer', callId: 'first', consultCallId: 'second' },
          ],
        },
        bob: { steps: ['INCOMING', 'Answer'] },
        carol: { steps: ['INCOMING', 'Answer'] },
      },
    });
    expect(r.errors, dump(r)).toEqual([]);
    expect(compileScenario(r.scenario).node('alice.steps[2]')!.fields).toEqual({ primaryCallId: 'first', consultCallId: 'second' });
  });

  it('refuses the same call as primary and consult', () => {
    const d = one(check([{ command: 'MuteTransfer', primaryCallId: 'call-1', consultCallId: 'call-1' }]), 'invalid-value');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'consultCallId' });
  });
});

describe('timeouts', () => {
  it('refuses a TIMEOUT of 0 or less', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 0 }, { event: 'TIMEOUT', timeout: -5 }] } } });
    expect(r.errors.map((d) => [d.code, d.nodeId, d.field])).toEqual([
      ['invalid-value', 'a.steps[0]', 'timeout'],
      ['invalid-value', 'a.steps[1]', 'timeout'],
    ]);
    expect(r.errors[1]!.message).toContain('-5');
  });

  it("replaces another step's timeout of 0 or less by its fallback, with a warning", () => {
    const r = check([{ event: 'DISCONNECTED', timeout: -1 }, { command: 'Release', timeout: 0 }], {});
    expect(r.errors, dump(r)).toEqual([]);
    expect(r.warnings.map((d) => [d.code, d.nodeId, d.field])).toEqual([
      ['default-used', 'alice.steps[1]', 'timeout'],
      ['default-used', 'alice.steps[2]', 'timeout'],
    ]);
    const graph = compileScenario(r.scenario);
    expect(graph.node('alice.steps[1]')!.timeoutMs).toBe(10_000);
    expect(graph.node('alice.steps[2]')!.timeoutMs).toBeUndefined();
  });

  it('uses 30 s for a MakeCall timeout of 0, as sipflow does', () => {
    const zero = validateScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: 'b', timeout: 0 }] }, b: { steps: ['INCOMING'] } } });
    expect(one(zero, 'default-used').message).toContain('30000');
    expect(compileScenario(zero.scenario).node('a.steps[0]')!.timeoutMs).toBe(30_000);
  });

  it('refuses a timeout longer than the longest timer', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 2_147_483_647 }, { event: 'TIMEOUT', timeout: 2_147_483_648 }] } } });
    const d = one(r, 'invalid-value');
    expect(d).toMatchObject({ nodeId: 'a.steps[1]', field: 'timeout' });
    expect(d.message).toContain('2147483647');
  });

  it('cuts a fractional timeout, with a warning', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 1500.7 }] } } });
    const d = one(r, 'default-used');
    expect(d).toMatchObject({ severity: 'warning', nodeId: 'a.steps[0]', field: 'timeout' });
    expect(d.message).toContain('1500');
    expect(compileScenario(r.scenario).node('a.steps[0]')!.timeoutMs).toBe(1500);
  });

  it('refuses a TIMEOUT that cutting makes 0', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 0.5 }] } } });
    // Cut to 0 ms, the TIMEOUT would be one of 0 ms, which is refused when written as 0.
    expect(r.errors.map((d) => [d.code, d.field]), dump(r)).toEqual([['invalid-value', 'timeout']]);
  });

  it('never compiles a MakeCall timeout of 0 ms from a fraction', () => {
    const r = validateScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: 'b', timeout: 0.5 }] }, b: { steps: ['INCOMING'] } } });
    if (r.scenario === undefined) return; // refusing it is fine too
    // 0 means "30000" for MakeCall; 0.5 must not mean "give up at once".
    expect(compileScenario(r.scenario).node('a.steps[0]')!.timeoutMs).toBeGreaterThan(0);
  });

  it('refuses an ExpectAudio expect named like an object member (constructor, __proto__, toString) as a bad value, without an internal error', () => {
    for (const kind of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const r = validateScenario({ instances: { a: { steps: [{ event: 'ExpectAudio', expect: kind, frequencyHz: 440, filePath: 'x.wav' }] } } });
      expect(r.errors.map((d) => [d.code, d.field])).toContainEqual(['invalid-value', 'expect']);
      expect(r.diagnostics.filter((d) => /internal error/.test(d.message))).toEqual([]);
    }
  });

  it('warns that callId means nothing on TIMEOUT, Register and Unregister', () => {
    const r = validateScenario({ instances: { a: { pbxHost: 'pbx.example.com', steps: [{ event: 'TIMEOUT', callId: 'x' }, { command: 'Register', callId: 'y' }] } } });
    expect(r.warnings.map((d) => [d.code, d.nodeId, d.field])).toEqual([
      ['ignored-field', 'a.steps[0]', 'callId'],
      ['ignored-field', 'a.steps[1]', 'callId'],
    ]);
  });
});

describe('DTMF', () => {
  it('needs digits for SendDTMF', () => {
    const d = one(check([{ command: 'SendDTMF' }]), 'missing-field');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'digits' });
    expect(d.message).toBe('SendDTMF requires digits');
  });

  it('accepts every DTMF character', () => {
    const r = check([{ command: 'SendDTMF', digits: '0123456789*#ABCD' }]);
    expect(r.diagnostics, dump(r)).toEqual([]);
  });

  it.each(['12E', '1 2', '9,', 'x', '١'])('refuses %j', (digits) => {
    const d = one(check([{ command: 'SendDTMF', digits }]), 'invalid-value');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'alice.steps[1]', field: 'digits', path: ['instances', 'alice', 'steps', 1, 'digits'] });
    expect(d.message).toContain('0-9 * # A-D');
  });

  it('suggests upper case for a lower-case letter', () => {
    const d = one(check([{ command: 'SendDTMF', digits: '12a' }]), 'invalid-value');
    expect(d.suggestion).toBe('12A');
    expect(d.message).toContain('position 3');
  });

  it('refuses an expectedDigit of more than one character, pointing at expectedDigits', () => {
    const d = one(check([{ event: 'DTMFReceived', expectedDigit: '12' }]), 'invalid-value');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'expectedDigit', suggestion: 'expectedDigits' });
  });

  it('checks expectedDigit and expectedDigits', () => {
    const r = check([{ event: 'DTMFReceived', expectedDigit: 'x' }, { event: 'DTMFReceived', expectedDigits: '1e' }]);
    expect(r.errors.map((d) => [d.nodeId, d.field])).toEqual([
      ['alice.steps[1]', 'expectedDigit'],
      ['alice.steps[2]', 'expectedDigits'],
    ]);
  });

  it('refuses expectedDigit and expectedDigits together', () => {
    const d = one(check([{ event: 'DTMFReceived', expectedDigit: '1', expectedDigits: '12' }]), 'invalid-value');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'expectedDigits' });
    expect(d.message).toContain('not both');
  });

  it('accepts an empty expectedDigit (any digit)', () => {
    const r = check([{ event: 'DTMFReceived', expectedDigit: '' }]);
    expect(r.diagnostics, dump(r)).toEqual([]);
  });

  it('checks the SendDTMF interval range', () => {
    const d = one(check([{ command: 'SendDTMF', digits: '1', intervalMs: 60_001 }]), 'invalid-value');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'intervalMs' });
  });
});

describe('PlayAudio', () => {
  it('needs filePath', () => {
    const d = one(check([{ command: 'PlayAudio' }]), 'missing-field');
    expect(d).toMatchObject({ nodeId: 'alice.steps[1]', field: 'filePath' });
    expect(d.message).toBe('PlayAudio requires filePath');
  });

  it('does not look for the file without a base directory', () => {
    const r = check([{ command: 'PlayAudio', filePath: 'no-such-file.wav' }]);
    expect(r.diagnostics, dump(r)).toEqual([]);
  });

  it('finds a file relative to the base directory, or absolute', () => {
    const r = check([{ command: 'PlayAudio', filePath: 'tone.wav' }, { command: 'PlayAudio', filePath: join(FIXTURES, 'tone.wav') }], {}, { baseDir: FIXTURES });
    expect(r.diagnostics, dump(r)).toEqual([]);
  });

  it('reports a file that does not exist, when the base directory is known', () => {
    const r = check([{ command: 'PlayAudio', filePath: 'no-such-file.wav' }], {}, { baseDir: FIXTURES });
    const d = r.errors.find((e) => e.nodeId === 'alice.steps[1]')!;
    expect(d, dump(r)).toBeDefined();
    expect(d).toMatchObject({ severity: 'error', field: 'filePath', path: ['instances', 'alice', 'steps', 1, 'filePath'] });
    expect(d.message).toContain('no-such-file.wav');
    expect(d.message).toContain(join(FIXTURES, 'no-such-file.wav'));
    // diagnostics.ts documents `file-not-found` for exactly this; nothing else emits it.
    expect(d.code).toBe('file-not-found');
  });

  it('reports a directory given as the file', () => {
    const r = check([{ command: 'PlayAudio', filePath: '.' }], {}, { baseDir: FIXTURES });
    expect(r.errors.map((d) => [d.nodeId, d.field])).toEqual([['alice.steps[1]', 'filePath']]);
    expect(r.errors[0]!.message).toContain('not a file');
  });

  it("resolves against the scenario file's directory", () => {
    const r = validateScenarioFile(join(FIXTURES, 'play-audio.json'));
    expect(r.errors.map((d) => [d.nodeId, d.field, d.line, d.column])).toEqual([['alice.steps[2]', 'filePath', 7, 47]]);
  });
});

describe('instances', () => {
  it('reports duplicate DNs, compared trimmed', () => {
    const r = validateScenario({ instances: { a: { dn: '100' }, b: { dn: ' 100 ' } } });
    const d = one(r, 'duplicate-dn');
    expect(d).toMatchObject({ severity: 'error', instanceId: 'b', field: 'dn', path: ['instances', 'b', 'dn'] });
    expect(d.message).toContain('"100"');
    expect(d.message).toContain('a and b');
    expect(one(r, 'invalid-value')).toMatchObject({ severity: 'warning', instanceId: 'b', field: 'dn' });
  });

  it('reports a DN that clashes with the default DN of another instance', () => {
    const d = one(validateScenario({ instances: { carol: {}, c2: { dn: 'carol' } } }), 'duplicate-dn');
    expect(d).toMatchObject({ instanceId: 'c2', field: 'dn' });
  });

  it('reports DN characters a SIP user part cannot hold', () => {
    const r = validateScenario({ instances: { a: { dn: '1 00' }, 'b<c>': {} } });
    expect(r.errors.map((d) => [d.code, d.instanceId, d.field])).toEqual([
      ['invalid-value', 'a', 'dn'],
      ['invalid-value', 'b<c>', 'dn'],
    ]);
    expect(r.errors[0]!.message).toContain('%20');
    expect(r.errors[1]!.message).toContain('instance name');
  });

  it('accepts escaped and user-unreserved DN characters', () => {
    const r = validateScenario({ instances: { a: { dn: '+1-555.0100;x=1%20' } } });
    expect(r.diagnostics, dump(r)).toEqual([]);
  });

  it('refuses a transport other than UDP', () => {
    const r = validateScenario({ instances: { a: { pbxTransport: 'TCP' }, b: { pbxTransport: 'tls' }, c: { pbxTransport: 'udp' } } });
    expect(r.errors.map((d) => [d.code, d.instanceId, d.field])).toEqual([
      ['unsupported-transport', 'a', 'pbxTransport'],
      ['unsupported-transport', 'b', 'pbxTransport'],
    ]);
    expect(r.errors[0]!.message).toContain('only UDP');
  });

  it('reads an empty or padded transport as UDP', () => {
    const r = validateScenario({ instances: { a: { pbxTransport: ' UDP ' }, b: { pbxTransport: '' }, c: { pbxTransport: ' udp' } } });
    expect(r.diagnostics, dump(r)).toEqual([]);
  });

  it('needs pbxHost for Register and Unregister', () => {
    const r = validateScenario({ instances: { a: { steps: ['Register', 'Unregister'] }, b: { pbxHost: '192.0.2.1', steps: ['Register', 'Unregister'] } } });
    expect(r.errors.map((d) => [d.code, d.nodeId, d.instanceId])).toEqual([
      ['invalid-value', 'a.steps[0]', 'a'],
      ['invalid-value', 'a.steps[1]', 'a'],
    ]);
    expect(r.errors[0]!.message).toContain('pbxHost');
  });

  it('checks pbxHost and pbxPort', () => {
    const r = validateScenario({ instances: { a: { pbxHost: 'pbx.example.com:5060' }, b: { pbxHost: 'pbx', pbxPort: 'abc' }, c: { pbxPort: 5060 } } });
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.instanceId, d.field, d.suggestion])).toEqual([
      ['error', 'invalid-value', 'a', 'pbxHost', 'pbx.example.com'],
      ['error', 'invalid-value', 'b', 'pbxPort', undefined],
      ['warning', 'ignored-field', 'c', 'pbxPort', undefined],
    ]);
  });

  it('needs host to be an IP address', () => {
    const r = validateScenario({ instances: { a: { host: 'localhost' }, b: { host: '::1' }, c: { host: '10.0.0.1' } } });
    const d = one(r, 'invalid-value');
    expect(d).toMatchObject({ instanceId: 'a', field: 'host' });
    expect(d.message).toContain('IP address');
  });

  it('reports two instances binding the same host:port', () => {
    const r = validateScenario({ instances: { a: { port: 5070 }, b: { host: '127.0.0.1', port: 5070 }, c: { host: '::1', port: 5070 } } });
    const d = one(r, 'duplicate-address');
    expect(d).toMatchObject({ severity: 'error', instanceId: 'b', field: 'port' });
    expect(d.message).toContain('127.0.0.1:5070');
  });

  it('checks the port range', () => {
    const r = validateScenario({ instances: { a: { port: 0 }, b: { port: 65_536 }, c: { port: 5060.5 } } });
    expect(r.errors.map((d) => [d.instanceId, d.field])).toEqual([
      ['a', 'port'],
      ['b', 'port'],
      ['c', 'port'],
    ]);
  });

  it('calls an unknown codec an error in the compact format, with a suggestion', () => {
    const r = validateScenario({ instances: { a: { codecs: ['PCMU', 'pcma', 'G729'] } } });
    expect(r.errors.map((d) => [d.code, d.field, d.path.at(-1), d.suggestion])).toEqual([
      ['unknown-codec', 'codecs', 1, 'PCMA'],
      ['unknown-codec', 'codecs', 2, undefined],
    ]);
    expect(r.errors[1]!.message).toContain('G729');
  });

  it('refuses line breaks in header texts', () => {
    const r = validateScenario({ instances: { a: { displayName: 'A\nB', userAgent: 'ua\r', authUsername: 'ok' } } });
    expect(r.errors.map((d) => [d.instanceId, d.field])).toEqual([
      ['a', 'displayName'],
      ['a', 'userAgent'],
    ]);
  });

  it('checks the RTP port range', () => {
    const r = validateScenario({ instances: { a: { rtpPortRange: { min: 20000, max: 20000 } }, b: { rtpPortRange: { min: 0, max: 20010 } } } });
    expect(r.errors.map((d) => [d.instanceId, d.path.join('.')])).toEqual([
      ['a', 'instances.a.rtpPortRange'],
      ['b', 'instances.b.rtpPortRange.min'],
    ]);
  });

  it('warns about a register interval sipflow replaces', () => {
    const r = validateScenario({ instances: { a: { registerIntervalSeconds: 0 }, b: { registerIntervalSeconds: 1.5 } } });
    expect(r.warnings.map((d) => [d.code, d.instanceId])).toEqual([
      ['default-used', 'a'],
      ['default-used', 'b'],
    ]);
  });
});

describe('Reject and Release', () => {
  it('checks the status range', () => {
    const r = validateScenario({
      instances: {
        a: {
          steps: [
            'INCOMING',
            { command: 'Reject', status: 299 },
            { command: 'Reject', status: 700 },
            { command: 'Reject', status: 486.5 },
            { command: 'Release', status: 200 },
            { command: 'Reject', status: 300 },
            { command: 'Release', status: 699 },
          ],
        },
      },
    });
    expect(r.errors.map((d) => [d.code, d.nodeId, d.field])).toEqual([
      ['invalid-value', 'a.steps[1]', 'status'],
      ['invalid-value', 'a.steps[2]', 'status'],
      ['invalid-value', 'a.steps[3]', 'status'],
      ['invalid-value', 'a.steps[4]', 'status'],
    ]);
    expect(r.errors[0]!.message).toContain('300 to 699');
  });

  it('refuses a reason with a line break', () => {
    const r = validateScenario({ instances: { a: { steps: ['INCOMING', { command: 'Reject', reason: 'Busy\r\nX-Injected: 1' }, { command: 'Reject', reason: 'Busy Here' }] } } });
    const d = one(r, 'invalid-value');
    expect(d).toMatchObject({ nodeId: 'a.steps[1]', field: 'reason' });
    expect(d.message).toContain('one line');
  });
});

describe('the graph', () => {
  it('warns about unreachable steps', () => {
    const r = validateScenario({ instances: { a: { steps: [{ event: 'INCOMING', next: 'end' }, 'Answer', { command: 'Release', id: 'end' }] } } });
    const d = one(r, 'unreachable');
    expect(d).toMatchObject({ severity: 'warning', nodeId: 'a.steps[1]', path: ['instances', 'a', 'steps', 1] });
    expect(r.ok).toBe(true);
  });

  it('refuses a loop of commands with no event in it', () => {
    const r = validateScenario({ instances: { a: { steps: ['INCOMING', { command: 'Hold', id: 'hold' }, { command: 'Retrieve', next: 'hold' }] } } });
    const d = one(r, 'command-cycle');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'hold', path: ['instances', 'a', 'steps', 1] });
    expect(d.message).toContain('hold → a.steps[2]');
    expect(d.message).toContain('TIMEOUT');
  });

  it('refuses a command that goes to itself, on success or on failure', () => {
    const r = validateScenario({ instances: { a: { steps: ['INCOMING', { command: 'Hold', id: 'h', next: 'h' }, { command: 'Retrieve', id: 'r', onFailure: 'r' }] } } });
    expect(r.errors.filter((d) => d.code === 'command-cycle').map((d) => d.nodeId)).toEqual(['h', 'r']);
  });

  it('refuses a loop through a failure list', () => {
    const r = validateScenario({ instances: { a: { steps: ['INCOMING', { command: 'Hold', id: 'h', onFailure: [{ command: 'Retrieve', next: 'h' }] }] } } });
    expect(one(r, 'command-cycle').nodeId).toBe('h');
  });

  it('allows a loop with an event or a TIMEOUT in it', () => {
    const r = validateScenario({
      instances: {
        a: { steps: ['INCOMING', { command: 'Hold', id: 'h' }, { event: 'TIMEOUT', timeout: 100 }, { command: 'Retrieve', onFailure: 'h' }, { event: 'HELD', next: 'h' }] },
      },
    });
    expect(r.errors, dump(r)).toEqual([]);
  });

  it('warns about a call no MakeCall or INCOMING of the instance creates, with a suggestion', () => {
    const r = validateScenario({
      instances: {
        a: { steps: [{ command: 'MakeCall', targetUri: 'b', callId: 'main' }, { command: 'Hold', callId: 'mian' }, { command: 'Release', callId: 'zzzzzz' }] },
        b: { steps: ['INCOMING'] },
      },
    });
    const calls = r.warnings.filter((d) => d.code === 'unknown-call');
    expect(calls.map((d) => [d.nodeId, d.instanceId, d.field, d.suggestion])).toEqual([
      ['a.steps[1]', 'a', 'callId', 'main'],
      ['a.steps[2]', 'a', 'callId', undefined],
    ]);
    expect(calls[0]!.message).toContain('"mian"');
  });

  it('does not count a call created by another instance', () => {
    const r = validateScenario({ instances: { a: { steps: ['Answer'] }, b: { steps: [{ command: 'MakeCall', targetUri: 'a' }] } } });
    expect(one(r, 'unknown-call')).toMatchObject({ nodeId: 'a.steps[0]', instanceId: 'a', field: 'callId', path: ['instances', 'a', 'steps', 0] });
  });
});

describe('every problem in one call', () => {
  const text = `{
  "version": 1,
  "instances": {
    "alice": {
      "dn": "100",
      "pbxTransport": "TCP",
      "codecs": ["PCMU", "G722"],
      "steps": [
        { "command": "MakeCal", "targetUri": "200" },
        { "command": "MakeCall", "callId": "c2" },
        { "command": "SendDTMF", "digits": "12x", "callId": "c2" },
        { "event": "TIMEOUT", "timeout": 0, "colour": "red" },
        { "command": "BlindTransfer", "callId": "c2" },
        { "command": "MuteTransfer" },
        { "command": "Hold", "id": "loop", "callId": "c2" },
        { "command": "Retrieve", "next": "loop", "callId": "c2" },
        { "command": "Release", "callId": "c2" }
      ]
    },
    "bob": { "dn": " 100", "steps": ["INCOMING", { "command": "PlayAudio" }, { "event": "DTMFReceived", "expectedDigit": "12" }] }
  }
}`;

  it('reports every error and warning, each with its node or instance, field and position', () => {
    const r = validateScenario(text, { file: 'all.json' });
    expect(r.ok).toBe(false);
    expect(r.scenario).toBeUndefined();
    const summary = r.diagnostics.map((d) => [d.severity, d.code, d.nodeId ?? d.instanceId, d.field, d.line]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['error', 'unsupported-transport', 'alice', 'pbxTransport', 6],
        ['error', 'unknown-codec', 'alice', 'codecs', 7],
        ['error', 'unsupported-command', 'alice.steps[0]', 'command', 9],
        ['error', 'missing-field', 'alice.steps[1]', 'targetUri', 10],
        ['error', 'invalid-value', 'alice.steps[2]', 'digits', 11],
        ['error', 'invalid-value', 'alice.steps[3]', 'timeout', 12],
        ['warning', 'unknown-field', 'alice.steps[3]', 'colour', 12],
        ['error', 'missing-field', 'alice.steps[4]', 'targetUri', 13],
        ['error', 'missing-field', 'alice.steps[5]', 'consultCallId', 14],
        ['error', 'command-cycle', 'loop', undefined, 15],
        ['warning', 'unreachable', 'alice.steps[8]', undefined, 17],
        ['error', 'duplicate-dn', 'bob', 'dn', 20],
        ['error', 'missing-field', 'bob.steps[1]', 'filePath', 20],
        ['error', 'invalid-value', 'bob.steps[2]', 'expectedDigit', 20],
      ]),
    );
    expect(r.errors.length + r.warnings.length).toBe(r.diagnostics.length);
    expect(r.errors.every((d) => d.severity === 'error')).toBe(true);
    expect(r.warnings.every((d) => d.severity === 'warning')).toBe(true);
    expect(r.diagnostics.every((d) => d.file === 'all.json' && d.line !== undefined && d.column !== undefined), dump(r)).toBe(true);
  });

  it('sorts the diagnostics of a text in document order', () => {
    const r = validateScenario(text);
    const positions = r.diagnostics.map((d) => d.line! * 1000 + d.column!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('throws all of them in one ScenarioError from loadScenario', () => {
    let thrown: unknown;
    try {
      loadScenario(text, { file: 'all.json' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ScenarioError);
    const err = thrown as ScenarioError;
    const r = validateScenario(text, { file: 'all.json' });
    expect(err.diagnostics).toEqual(r.diagnostics);
    expect(err.errors).toEqual(r.errors);
    expect(err.message).toMatch(new RegExp(`^${r.errors.length} errors in scenario:\\n`));
    expect(err.message.split('\n').slice(1, 6)).toEqual(r.errors.slice(0, 5).map(formatDiagnostic));
    expect(err.message).toContain(`… and ${r.errors.length - 5} more`);
  });

  it('throws one error as its own message', () => {
    try {
      loadScenario({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 0 }] } } });
      expect.unreachable();
    } catch (err) {
      expect((err as ScenarioError).message).toBe(formatDiagnostic((err as ScenarioError).errors[0]!));
    }
  });

  it('returns warnings on the loaded scenario', () => {
    const s = loadScenario({ instances: { a: { dnn: '1', steps: ['INCOMING'] } } });
    expect(s.warnings.map((d) => d.code)).toEqual(['unknown-field']);
  });
});

describe('formatDiagnostic', () => {
  it('writes file:line:column: severity: message (node, field)', () => {
    const text = '{\n  "instances": {\n    "alice": { "steps": [ { "command": "MakeCal", "targetUri": "x" } ] }\n  }\n}';
    const d = one(validateScenario(text, { file: 'call.json' }), 'unsupported-command');
    expect(formatDiagnostic(d)).toBe(
      'call.json:3:40: error: step alice.steps[0] uses unsupported command MakeCal (did you mean MakeCall?) (node alice.steps[0], field command)',
    );
  });

  it('adds "did you mean" when the message does not say it', () => {
    const r = validateScenario({ instances: { alice: { steps: [{ command: 'MakeCall', targetUri: 'bbo' }] }, bob: { steps: ['INCOMING'] } } });
    expect(formatDiagnostic(one(r, 'unknown-target'))).toBe('instances.alice.steps[0].targetUri: error: target DN not found: bbo (node alice.steps[0], field targetUri); did you mean "bob"?');
  });

  it('names the instance when there is no node, and uses the path without a position', () => {
    const d = one(validateScenario({ instances: { a: { dn: '1 0' } } }, { file: 'f.json' }), 'invalid-value');
    expect(formatDiagnostic(d)).toMatch(/^f\.json: instances\.a\.dn: error: .* \(instance a, field dn\)$/);
  });

  it('writes <input> for text without a file, and warnings as warnings', () => {
    const d = one(validateScenario('{"instances": {"a": {"dnn": "1"}}}'), 'unknown-field');
    expect(formatDiagnostic(d)).toBe('<input>:1:22: warning: instance a has an unknown field "dnn", which is ignored; did you mean "dn"? (instance a, field dnn)');
  });

  it('writes (root) for a problem of the whole document', () => {
    expect(formatDiagnostic({ severity: 'error', code: 'limit', message: 'too big', path: [] })).toBe('(root): error: too big');
  });
});

describe('limits against hostile input', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_SCENARIO_LIMITS).toEqual({ maxBytes: 5 * 1024 * 1024, maxNodes: 10_000, maxDepth: 64, maxStringLength: 65_536 });
    expect(Object.isFrozen(DEFAULT_SCENARIO_LIMITS)).toBe(true);
  });

  describe('size', () => {
    it('refuses a text over 5 MB before reading it', () => {
      const text = `{"instances": {}, "description": "${'x'.repeat(DEFAULT_SCENARIO_LIMITS.maxBytes)}"}`;
      const r = validateScenario(text, { file: 'big.json' });
      expect(r.diagnostics).toEqual([
        { severity: 'error', code: 'limit', message: `the scenario is ${text.length} bytes, more than the limit of ${DEFAULT_SCENARIO_LIMITS.maxBytes}`, path: [], file: 'big.json' },
      ]);
    });

    it('counts bytes, not characters', () => {
      const text = '{"instances": {"é": {}}}'; // 25 bytes, 24 characters
      expect(validateScenario(text, { limits: { maxBytes: 25 } }).errors.some((d) => d.code === 'limit')).toBe(false);
      const r = validateScenario(text, { limits: { maxBytes: 24 } });
      expect(one(r, 'limit').message).toContain('25 bytes');
      expect(one(validateScenario(new TextEncoder().encode(text), { limits: { maxBytes: 24 } }), 'limit').message).toContain('25 bytes');
    });

    it('refuses a JavaScript value larger than the limit', () => {
      const limits = { maxBytes: 1000 };
      expect(one(validateScenario({ instances: { a: { label: 'x'.repeat(2000), dn: 'a' } } }, { limits }), 'limit').severity).toBe('error');
      // The same, with the long string as the last value of the document.
      const r = validateScenario({ instances: { a: { label: 'x'.repeat(2000) } } }, { limits });
      expect(r.errors.map((d) => d.code), dump(r)).toEqual(['limit']);
    });
  });

  describe('node count', () => {
    const steps = (n: number): string[] => Array.from({ length: n }, () => 'INCOMING');

    it('accepts exactly the limit of instances plus steps', () => {
      const r = validateScenario({ instances: { a: { steps: steps(9_999) } } });
      expect(r.errors, dump(r)).toEqual([]);
    });

    it('refuses more than 10,000 instances and steps', () => {
      const r = validateScenario({ instances: { a: { steps: steps(10_000) } } });
      const d = one(r, 'limit');
      expect(d.message).toContain('10000');
      expect(r.diagnostics).toHaveLength(1);
    });

    it('counts steps in chains and failure lists, and instances', () => {
      const limits = { maxNodes: 5 };
      expect(one(validateScenario({ instances: { a: { chains: [['INCOMING', 'Answer'], ['INCOMING', 'Answer']] } } }, { limits }), 'limit')).toBeDefined();
      expect(one(validateScenario({ instances: { a: { steps: [{ event: 'INCOMING', onFailure: steps(5) }] } } }, { limits }), 'limit')).toBeDefined();
      expect(one(validateScenario({ instances: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`i${i}`, {}])) }, { limits }), 'limit')).toBeDefined();
      expect(validateScenario({ instances: { a: { steps: steps(4) } } }, { limits }).ok).toBe(true);
    });

    it('refuses a very long list of steps with a limit error, not a crash', () => {
      // 300,000 steps: 2.4 MB by the size estimate, within maxBytes; far beyond maxNodes.
      const r = validateScenario({ instances: { a: { steps: new Array<number>(300_000).fill(0) } } });
      expect(r.errors.map((d) => d.code), dump(r)).toEqual(['limit']);
      expect(r.format).toBe('compact');
    });

    it('refuses a very long list of steps in a text with a limit error, not a crash', () => {
      const text = `{"instances": {"a": {"steps": [${new Array(300_000).fill('0').join(',')}]}}}`;
      const r = validateScenario(text);
      expect(r.errors.map((d) => d.code), dump(r)).toEqual(['limit']);
    });
  });

  describe('nesting depth', () => {
    it('refuses a text nested 200 deep, at the first level too deep', () => {
      const r = validateScenario(`${'['.repeat(200)}${']'.repeat(200)}`);
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'limit', line: 1, column: 65 });
      expect(r.diagnostics[0]!.message).toContain('64');
    });

    it('refuses a JavaScript value nested 200 deep', () => {
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 200; i++) deep = { x: deep };
      const r = validateScenario({ instances: { a: deep } });
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'limit' });
      expect(r.diagnostics[0]!.message).toContain('deeper than 64');
    });

    it('applies a custom depth the same way to text and values', () => {
      const value = { instances: { a: { steps: [{ event: 'INCOMING', onFailure: ['Answer'] }] } } }; // 6 levels
      const limits = (maxDepth: number) => ({ limits: { maxDepth } });
      expect(validateScenario(value, limits(6)).ok).toBe(true);
      expect(validateScenario(JSON.stringify(value), limits(6)).ok).toBe(true);
      expect(one(validateScenario(value, limits(5)), 'limit')).toBeDefined();
      expect(one(validateScenario(JSON.stringify(value), limits(5)), 'limit')).toBeDefined();
    });

    it('refuses a value that contains itself, without a hang', () => {
      const cyclic: Record<string, unknown> = { instances: {} };
      (cyclic['instances'] as Record<string, unknown>)['a'] = cyclic;
      const r = validateScenario(cyclic);
      expect(r.ok).toBe(false);
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ severity: 'error', path: ['instances', 'a'] });
      expect(r.diagnostics[0]!.message).toContain('cycle');
    });

    it('refuses a list that contains itself', () => {
      const list: unknown[] = ['INCOMING'];
      list.push(list);
      const r = validateScenario({ instances: { a: { steps: list } } });
      expect(r.ok).toBe(false);
      expect(r.diagnostics[0]!.path).toEqual(['instances', 'a', 'steps', 1]);
    });

    it('accepts the same object twice (shared, not a cycle)', () => {
      const step = { event: 'TIMEOUT', timeout: 1 };
      expect(validateScenario({ instances: { a: { steps: [step, step] } } }).ok).toBe(true);
    });
  });

  describe('string length', () => {
    const long = 'x'.repeat(DEFAULT_SCENARIO_LIMITS.maxStringLength + 1);

    it('refuses a longer string in a text, at its position', () => {
      const r = validateScenario(`{\n  "instances": { "a": { "label": "${long}" } }\n}`);
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'limit', line: 2, column: 34 });
      expect(r.diagnostics[0]!.message).toContain('65536');
    });

    it('refuses a longer string or key in a JavaScript value', () => {
      const value = one(validateScenario({ instances: { a: { label: long } } }), 'limit');
      expect(value.path).toEqual(['instances', 'a', 'label']);
      const key = one(validateScenario({ instances: { [long]: {} } }), 'limit');
      expect(key.path).toEqual(['instances']);
    });

    it('takes a custom limit, and accepts a string of exactly the limit', () => {
      // Keys count too: "instances" has 9 characters.
      const limits = { maxStringLength: 10 };
      expect(validateScenario({ instances: { a: { label: '1234567890' } } }, { limits }).ok).toBe(true);
      expect(validateScenario('{"instances": {"a": {"label": "1234567890"}}}', { limits }).ok).toBe(true);
      expect(one(validateScenario({ instances: { a: { label: '12345678901' } } }, { limits }), 'limit')).toBeDefined();
      expect(one(validateScenario('{"instances": {"a": {"label": "12345678901"}}}', { limits }), 'limit')).toBeDefined();
      expect(one(validateScenario({ instances: { a: { steps: ['INCOMING'] } } }, { limits: { maxStringLength: 8 } }), 'limit').path).toEqual([]);
    });
  });

  describe('the work "did you mean" does on a file within the limits', () => {
    // 9,990 steps (within maxNodes) that each name something that does not exist: each unknown
    // name is compared with every known one. With 10,000 steps that is 10^8 comparisons (about
    // 100 s measured): a hang. The budget (200 candidates per node) stops the test long before
    // that when it is exceeded.
    const BUDGET = 2_000_000;
    const N = 9_990;

    it('bounds the work for next ids that do not exist', () => {
      work.budget = BUDGET;
      const steps = Array.from({ length: N }, (_, i) => ({ command: 'Hold', id: `s${i}`, next: `s${i}x` }));
      const r = validateScenario({ instances: { a: { steps } } });
      expect(r.diagnostics.some((d) => d.message.startsWith('internal error')), `compared ${work.candidates} candidates`).toBe(false);
      expect(r.errors.filter((d) => d.code === 'unknown-step')).toHaveLength(N);
    });

    it('bounds the work for call ids nothing creates', () => {
      work.budget = BUDGET;
      const half = N / 2;
      const steps = [
        ...Array.from({ length: half }, (_, i) => ({ command: 'MakeCall', targetUri: 'a', callId: `c${i}` })),
        ...Array.from({ length: half }, (_, i) => ({ command: 'Hold', callId: `c${i}x` })),
      ];
      const r = validateScenario({ instances: { a: { steps } } });
      expect(r.diagnostics.some((d) => d.message.startsWith('internal error')), `compared ${work.candidates} candidates`).toBe(false);
      expect(r.warnings.filter((d) => d.code === 'unknown-call')).toHaveLength(half);
    });

    it('bounds the work for DNs that do not exist', () => {
      work.budget = BUDGET;
      const instances = Object.fromEntries(Array.from({ length: 4_990 }, (_, i) => [`i${i}`, { steps: [{ command: 'MakeCall', targetUri: `i${i}x` }] }]));
      const r = validateScenario({ instances });
      expect(r.diagnostics.some((d) => d.message.startsWith('internal error')), `compared ${work.candidates} candidates`).toBe(false);
      expect(r.errors.filter((d) => d.code === 'unknown-target')).toHaveLength(4_990);
    });
  });
});

describe('the file functions', () => {
  it('report a missing file without throwing from validateScenarioFile', () => {
    const path = join(FIXTURES, 'no-such-scenario.json');
    const r = validateScenarioFile(path);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'not-a-scenario', file: path, path: [] });
    expect(r.diagnostics[0]!.message).toContain('cannot read the scenario');
  });

  it('throw a ScenarioError for a missing file from loadScenarioFile', () => {
    const path = join(FIXTURES, 'no-such-scenario.json');
    expect(() => loadScenarioFile(path)).toThrow(ScenarioError);
    try {
      loadScenarioFile(path);
    } catch (err) {
      expect((err as ScenarioError).errors.map((d) => [d.code, d.file])).toEqual([['not-a-scenario', path]]);
      expect((err as ScenarioError).message).toContain(path);
    }
  });

  it('report a directory given as the file', () => {
    const r = validateScenarioFile(FIXTURES);
    expect(r.errors.map((d) => d.code)).toEqual(['not-a-scenario']);
  });

  it('refuse a file over the limit without reading it', () => {
    const path = join(FIXTURES, 'basic-call.json');
    const r = validateScenarioFile(path, { limits: { maxBytes: 100 } });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'limit', file: path, path: [] });
    expect(r.diagnostics[0]!.message).toContain('more than the limit of 100');
    expect(() => loadScenarioFile(path, { limits: { maxBytes: 100 } })).toThrow(/limit/);
  });

  it('refuse a file over 5 MB', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipflow-validate-'));
    try {
      const path = join(dir, 'huge.json');
      writeFileSync(path, `{"instances": {}, "description": "${'x'.repeat(DEFAULT_SCENARIO_LIMITS.maxBytes)}"}`);
      let thrown: unknown;
      try {
        loadScenarioFile(path);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ScenarioError);
      expect((thrown as ScenarioError).errors.map((d) => [d.code, d.file])).toEqual([['limit', path]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('put the file name on every diagnostic', () => {
    const path = join(FIXTURES, 'broken.json');
    const r = validateScenarioFile(path);
    expect(r.diagnostics.length).toBeGreaterThan(3);
    for (const d of r.diagnostics) expect(formatDiagnostic(d).startsWith(`${path}:${d.line}:${d.column}: `)).toBe(true);
  });
});

describe('validateScenario never throws', () => {
  const getterThatThrows = {
    get instances(): never {
      throw new Error('boom');
    },
  };
  const nasty: [string, unknown][] = [
    ['a number', 42],
    ['NaN', NaN],
    ['a boolean', true],
    ['an array', []],
    ['an array of junk', [null, 1, 'x', {}]],
    ['null', null],
    ['undefined', undefined],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['a bigint', 10n],
    ['a Map', new Map([['instances', {}]])],
    ['a Date', new Date(0)],
    ['instances: null', { instances: null }],
    ['instances: a number', { instances: 5 }],
    ['junk steps', { instances: { a: { steps: [null, 5, [], {}] } } }],
    ['junk chains', { instances: { a: { chains: [null, [null], {}, ''] } } }],
    ['junk in fields', { instances: { a: { dn: {}, codecs: [null], rtpPortRange: [], steps: [{ command: 'MakeCall', targetUri: {}, onFailure: [null], next: [] }] } } }],
    ['a getter that throws', getterThatThrows],
    ['a proxy that throws', new Proxy({}, { ownKeys: () => { throw new Error('trap'); } })],
    ['a sparse array', { instances: { a: { steps: new Array(3) } } }],
    ['text: empty', ''],
    ['text: garbage', '\u0000\uFFFF{]'],
    ['text: a lone surrogate', '{"instances": {"\uD800": {}}}'],
    ['bytes: invalid UTF-8', new Uint8Array([0xff, 0xfe, 0x7b])],
    ['__proto__ keys', '{"__proto__": {"instances": {}}, "instances": {"__proto__": {"steps": [{"__proto__": "x", "event": "INCOMING"}]}}}'],
  ];

  it.each(nasty)('%s', (_name, input) => {
    let r: ValidationResult | undefined;
    expect(() => {
      r = validateScenario(input);
    }).not.toThrow();
    expect(Array.isArray(r!.diagnostics)).toBe(true);
    expect(r!.ok).toBe(r!.errors.length === 0);
    for (const d of r!.diagnostics) {
      expect(['error', 'warning']).toContain(d.severity);
      expect(typeof d.code).toBe('string');
      expect(typeof d.message).toBe('string');
      expect(Array.isArray(d.path)).toBe(true);
      expect(() => formatDiagnostic(d)).not.toThrow();
    }
  });

  it('calls the junk of the issue errors', () => {
    for (const input of [42, [], { instances: null }, { instances: { a: { steps: [null, 5, [], {}] } } }]) {
      expect(validateScenario(input).ok).toBe(false);
    }
    expect(validateScenario({ instances: { a: { steps: [null, 5, [], {}] } } }).errors.map((d) => d.path.at(-1))).toEqual([0, 1, 2, 3]);
  });

  it('reports an error of its own as a diagnostic', () => {
    const r = validateScenario(getterThatThrows);
    expect(r.ok).toBe(false);
    expect(r.errors[0]!.message).toContain('boom');
  });
});

describe('in sipflow flow JSON', () => {
  const instance = (id: string, dn: string) => ({ id, type: 'sipInstance', data: { dn, register: false } });
  const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

  it('reports an unknown instance with "did you mean"', () => {
    const r = validateScenario({
      nodes: [instance('inst-1', '100'), { id: 'n1', type: 'event', data: { event: 'INCOMING', sipInstanceId: 'inst-2' } }],
      edges: [edge('inst-1', 'n1')],
    });
    const d = one(r, 'unknown-instance');
    expect(d).toMatchObject({ severity: 'error', nodeId: 'n1', field: 'sipInstanceId', suggestion: 'inst-1', path: ['nodes', 1, 'data', 'sipInstanceId'] });
  });

  it('reports an unknown command with "did you mean"', () => {
    const r = validateScenario({ nodes: [instance('i', '100'), { id: 'n1', type: 'command', data: { command: 'Anwser', sipInstanceId: 'i' } }], edges: [edge('i', 'n1')] });
    expect(one(r, 'unsupported-command')).toMatchObject({ nodeId: 'n1', suggestion: 'Answer' });
  });

  it('calls a wrong JSON type a warning, as sipflow ignores the value', () => {
    const r = validateScenario({ nodes: [instance('i', '100'), { id: 'n1', type: 'event', data: { event: 'TIMEOUT', timeout: '5', sipInstanceId: 'i' } }], edges: [edge('i', 'n1')] });
    expect(one(r, 'wrong-type')).toMatchObject({ severity: 'warning', nodeId: 'n1', field: 'timeout' });
    expect(r.ok).toBe(true);
  });

  it('calls an unknown codec a warning', () => {
    const r = validateScenario({ nodes: [{ id: 'i', type: 'sipInstance', data: { dn: '100', register: false, codecs: ['PCMU', 'G729'] } }], edges: [] });
    expect(one(r, 'unknown-codec').severity).toBe('warning');
  });

  it('applies the same value checks', () => {
    const r = validateScenario({
      nodes: [instance('a', '100'), instance('b', '100'), { id: 'n1', type: 'command', data: { command: 'SendDTMF', digits: '1x', sipInstanceId: 'a' } }],
      edges: [edge('a', 'n1')],
    });
    expect(r.errors.map((d) => [d.code, d.nodeId ?? d.instanceId, d.field])).toEqual([
      ['duplicate-dn', 'b', 'dn'],
      ['invalid-value', 'n1', 'digits'],
    ]);
  });
});
