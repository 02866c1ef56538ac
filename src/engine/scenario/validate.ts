// The checks that need the whole scenario: instance settings (DNs, transport, PBX, codecs,
// addresses), every node's fields against its command or event, call targets, call keys, and the
// graph (reachability, instance of each chain, loops of commands).

import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative as relativePath, resolve as resolvePath, sep } from 'node:path';
import {
  COMMON_STEP_FIELDS,
  INSTANCE_FIELDS,
  KNOWN_CODECS,
  MAX_TIMEOUT_MS,
  type FieldSpec,
  type StepSpec,
  isCommandName,
  isEventName,
  stepSpec,
} from './catalog.js';
import {
  type ValueProblem,
  checkDtmfDigits,
  checkHeaderText,
  checkHost,
  checkHostPort,
  checkIp,
  checkNumber,
  checkUser,
  resolveTarget,
} from './check-values.js';
import type { DiagnosticPlace, DiagnosticSink } from './diagnostics.js';
import { suggest } from './did-you-mean.js';
import { type EffectiveInstance, effectiveInstance } from './instance-settings.js';
import type { ScenarioModel, ScenarioNode } from './model.js';
import { pathKey } from './placeholders.js';
import { commandCycles, reachability } from './reach.js';

/** What the validator needs besides the model. */
export interface ValidateContext {
  readonly sink: DiagnosticSink;
  /** Where relative PlayAudio paths resolve; files are checked only when it is known. */
  readonly baseDir: string | undefined;
  /** Accept file paths outside {@link baseDir} (default: refused, `file-outside`). */
  readonly allowOutsideFiles?: boolean;
  /** `keep`: placeholders are still in the values. */
  readonly placeholders: 'fill' | 'keep';
  /** Values whose text is not final, by path key: their content is not checked. */
  readonly opaque: ReadonlySet<string>;
}

/** Runs every whole-scenario check on a model the readers produced. */
export function validateModel(model: ScenarioModel, ctx: ValidateContext): void {
  const effective = new Map(model.instances.map((i) => [i.id, effectiveInstance(i, model.format)]));
  const dns = checkInstances(model, effective, ctx);
  for (const node of model.nodes) checkNode(node, dns, ctx);
  checkGraph(model, effective, ctx);
}

/** Instance settings; returns the DN → instance map that targets resolve against. */
function checkInstances(model: ScenarioModel, effective: ReadonlyMap<string, EffectiveInstance>, ctx: ValidateContext): Map<string, string> {
  const { sink } = ctx;
  const dns = new Map<string, string>();
  const addresses = new Map<string, string>();
  for (const instance of model.instances) {
    const e = effective.get(instance.id)!;
    const at = (field: string): DiagnosticPlace => ({ instanceId: instance.id, field, path: instance.fieldPaths[field] ?? instance.path });
    const checkable = (field: string): boolean => !isOpaque(ctx, instance.fieldPaths[field]);

    // DN: the user part of our URIs, what targets name, what INCOMING's number maps.
    if (e.dn === '') {
      sink.warning('missing-field', `instance ${instance.id} has no dn: no MakeCall can target it by DN, and its SIP user is its ${model.format === 'sipflow' ? 'node id' : 'name'}`, at('dn'));
    } else if (checkable('dn')) {
      const problem = checkUser(instance.settings.dn === undefined ? `instance name (its dn when none is given)` : 'dn', e.dn);
      if (problem) sink.error('invalid-value', problem.message, at('dn'));
      if (e.dnAsWritten !== e.dn) sink.warning('invalid-value', `dn ${JSON.stringify(e.dnAsWritten)} has spaces around it; ${JSON.stringify(e.dn)} is used`, at('dn'));
      const other = dns.get(e.dn);
      if (other !== undefined) sink.error('duplicate-dn', `duplicate DN "${e.dn}" for instances ${other} and ${instance.id}`, at('dn'));
      else dns.set(e.dn, instance.id);
    }

    // Transport and PBX.
    if (checkable('pbxTransport') && e.pbxTransport.toUpperCase() !== 'UDP') {
      const upper = e.pbxTransport.toUpperCase();
      sink.error(
        'unsupported-transport',
        `unsupported transport "${String(instance.settings.pbxTransport)}" for instance ${instance.id}${upper === 'TCP' || upper === 'TLS' ? ': only UDP is available' : ''}`,
        at('pbxTransport'),
      );
    }
    if (e.mode === 'pbx' && checkable('pbxHost')) {
      const problem = checkHost('pbxHost', e.pbxHost);
      if (problem) sink.error('invalid-value', problem.message, { ...at('pbxHost'), ...(problem.suggestion ? { suggestion: problem.suggestion } : {}) });
    }
    if (Number.isNaN(e.pbxPort) && checkable('pbxPort')) {
      sink.error('invalid-value', `pbxPort must be a port number (1-65535), not ${JSON.stringify(instance.settings.pbxPort)}`, at('pbxPort'));
    }
    if (e.registerRequested && e.mode === 'local' && (model.format === 'sipflow' || instance.settings.register === true)) {
      sink.warning(
        'local-register',
        `local mode: registration skipped (instance ${instance.id} has register ${instance.settings.register === undefined ? 'true by default' : 'true'} but no pbxHost; sipflow refuses to start such a scenario)`,
        at('register'),
      );
    }
    if (e.register && e.dn === '') sink.error('missing-field', `instance ${instance.id} register failed: register requires DN`, at('dn'));
    if (e.mode === 'local' && instance.settings.pbxPort !== undefined && e.pbxPort !== undefined) {
      sink.warning('ignored-field', 'pbxPort has no effect without pbxHost', at('pbxPort'));
    }
    if (instance.settings.recordStereo === true && instance.settings.record !== true) {
      sink.warning('ignored-field', 'recordStereo has no effect without record: true (a step can still record in stereo with StartRecording)', at('recordStereo'));
    }
    const interval = instance.settings.registerIntervalSeconds;
    if (typeof interval === 'number') {
      if (interval <= 0) sink.warning('default-used', `registerIntervalSeconds ${interval} is not a duration; sipflow uses 300`, at('registerIntervalSeconds'));
      else if (!Number.isInteger(interval)) sink.warning('default-used', `registerIntervalSeconds ${interval} is cut to ${Math.trunc(interval)} s, as sipflow does`, at('registerIntervalSeconds'));
    }

    // Codecs: sipflow keeps unknown names and drops them when it builds the media (reference §3.6).
    const listed = instance.settings.codecs as readonly string[] | undefined;
    if (listed !== undefined) {
      listed.forEach((name, i) => {
        if ((KNOWN_CODECS as readonly string[]).includes(name) || isOpaque(ctx, [...(instance.fieldPaths['codecs'] ?? []), i])) return;
        const suggestion = suggest(name, KNOWN_CODECS);
        const place = { ...at('codecs'), path: [...(instance.fieldPaths['codecs'] ?? instance.path), i], ...(suggestion ? { suggestion } : {}) };
        const message = `unknown codec ${JSON.stringify(name)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; sipflow offers ${KNOWN_CODECS.join(' and ')}`;
        if (model.format === 'sipflow') sink.warning('unknown-codec', `${message}, and drops it`, place);
        else sink.error('unknown-codec', message, place);
      });
      if (e.codecs.length === 0 && model.format === 'sipflow' && ctx.placeholders === 'fill') {
        sink.warning('unknown-codec', `instance ${instance.id} offers no audio codec (only telephone-event), so every call it makes or answers fails negotiation`, at('codecs'));
      }
    }

    // Our own settings.
    if (e.host !== undefined && checkable('host')) {
      const problem = checkIp('host', e.host);
      if (problem) sink.error('invalid-value', problem.message, at('host'));
    }
    if (e.port !== undefined) {
      const key = `${e.host ?? '127.0.0.1'}:${e.port}`;
      const other = addresses.get(key);
      if (other !== undefined) sink.error('duplicate-address', `instances ${other} and ${instance.id} both bind ${key}`, at('port'));
      else addresses.set(key, instance.id);
    }
    for (const [field, spec] of Object.entries(INSTANCE_FIELDS) as [string, FieldSpec][]) {
      const v = instance.settings[field as keyof typeof INSTANCE_FIELDS];
      if (spec.check === 'reason' && typeof v === 'string' && checkable(field)) {
        const problem = checkHeaderText(field, v);
        if (problem) sink.error('invalid-value', problem.message, at(field));
      }
    }
    // The compact default label (the instance name) becomes the display name too.
    if (instance.settings.label === undefined && instance.settings.displayName === undefined && e.displayName !== undefined) {
      const problem = checkHeaderText('the instance name (its label and display name when none is given)', e.displayName);
      if (problem) sink.error('invalid-value', problem.message, { instanceId: instance.id, path: instance.path });
    }
    checkNumbers(instance.settings, instance.fieldPaths, { instanceId: instance.id }, ctx, INSTANCE_NUMBER_FIELDS);
  }
  return dns;
}

/** The number settings of an instance, checked against their range. */
const INSTANCE_NUMBER_FIELDS: ReadonlyMap<string, FieldSpec> = new Map(
  (Object.entries(INSTANCE_FIELDS) as [string, FieldSpec][]).filter(([, spec]) => spec.kind === 'number'),
);

/** Numbers of `values` against their spec's range. */
function checkNumbers(
  values: Readonly<Record<string, unknown>>,
  paths: Readonly<Record<string, readonly (string | number)[]>>,
  place: Omit<DiagnosticPlace, 'path'>,
  ctx: ValidateContext,
  specs: ReadonlyMap<string, FieldSpec>,
): void {
  for (const [field, spec] of specs) {
    const v = values[field];
    if (typeof v !== 'number') continue;
    const problem = checkNumber(field, v, spec);
    if (problem) ctx.sink.error('invalid-value', problem.message, { ...place, field, path: paths[field] ?? [] });
  }
}

/** One node's fields against its command or event. */
function checkNode(
  node: ScenarioNode,
  dns: ReadonlyMap<string, string>,
  ctx: ValidateContext,
): void {
  const { sink } = ctx;
  if (!(node.kind === 'command' ? isCommandName(node.name) : isEventName(node.name))) return;
  const spec: StepSpec = stepSpec(node.kind, node.name as never);
  const f = node.fields;
  const at = (field: string): DiagnosticPlace => ({ nodeId: node.id, ...(node.instance ? { instanceId: node.instance } : {}), field, path: node.fieldPaths[field] ?? node.path });
  const report = (field: string, problem: ValueProblem | undefined, code: 'invalid-value' | 'unknown-target' = 'invalid-value'): void => {
    if (problem) sink.error(code, problem.message, { ...at(field), ...(problem.suggestion ? { suggestion: problem.suggestion } : {}) });
  };
  const text = (field: string): string | undefined => {
    const v = f[field];
    // A value still holding a placeholder (kept, or not set: already an error) is not checked.
    return typeof v !== 'string' || isOpaque(ctx, node.fieldPaths[field]) ? undefined : v;
  };
  const given = (field: string): boolean => typeof f[field] === 'string' ? (f[field] as string).trim() !== '' : f[field] !== undefined;

  // Required fields, in sipflow's words where it has them.
  for (const [field, fieldSpec] of Object.entries(spec.fields) as [string, FieldSpec][]) {
    if (fieldSpec.required && !given(field)) sink.error('missing-field', requiredMessage(node.name, field), at(field));
  }

  // Field values.
  checkNumbers(f, node.fieldPaths, { nodeId: node.id }, ctx, new Map(Object.entries(spec.fields) as [string, FieldSpec][]));
  for (const [field, fieldSpec] of Object.entries(spec.fields) as [string, FieldSpec][]) {
    const v = text(field);
    if (v === undefined || v.trim() === '') continue;
    if (fieldSpec.values !== undefined && !fieldSpec.values.includes(v)) {
      const suggestion = sink.suggestAmong(v, fieldSpec.values);
      report(field, { message: `${field} must be one of ${fieldSpec.values.join(', ')}, not ${JSON.stringify(v)}`, ...(suggestion !== undefined ? { suggestion } : {}) });
    }
    switch (fieldSpec.check) {
      case 'dtmf-digits':
        report(field, checkDtmfDigits(field, v));
        break;
      case 'dtmf-digit':
        if (v.length > 1) report(field, { message: `${field} takes one digit, not ${JSON.stringify(v)}; use expectedDigits for a sequence`, suggestion: 'expectedDigits' });
        else report(field, checkDtmfDigits(field, v));
        break;
      case 'target': {
        const target = resolveTarget(field, v, dns, (n, c) => sink.suggestAmong(n, c));
        if ('message' in target) report(field, target, target.message.startsWith('target DN not found') ? 'unknown-target' : 'invalid-value');
        break;
      }
      case 'user':
        report(field, checkUser(field, v));
        break;
      case 'host-port':
        report(field, checkHostPort(field, v.trim()));
        break;
      case 'reason':
        report(field, checkHeaderText(field, v));
        break;
      case 'file':
        if (ctx.baseDir !== undefined) {
          const full = resolvePath(ctx.baseDir, v); // v itself when absolute
          const outside = ctx.allowOutsideFiles === true ? undefined : checkInside(field, v, full, ctx.baseDir);
          const problem = outside === undefined ? checkFile(v, full) : undefined;
          if (outside) sink.error('file-outside', outside.message, at(field));
          else if (problem) sink.error('file-not-found', problem.message, at(field));
        }
        break;
    }
  }

  // Timeout (reference §2.12): ≤ 0 falls back as in sipflow, except where it is the whole point.
  const timeout = f['timeout'];
  if (typeof timeout === 'number') {
    if (timeout > MAX_TIMEOUT_MS) report('timeout', { message: `timeout ${timeout} ms is longer than the longest timer (${MAX_TIMEOUT_MS} ms, about 24.8 days)` });
    else if (Math.trunc(timeout) <= 0) {
      // Whole milliseconds, as sipflow (Go's time.Duration) takes them: 0.5 is 0.
      const fallback = spec.timeout.nonPositive;
      if (fallback === 'error') report('timeout', { message: `${node.name} needs a timeout of at least 1 ms, not ${timeout}` });
      else if (fallback === undefined) sink.warning('default-used', `timeout ${timeout} is not a duration; ${node.name} runs without a bound of its own`, at('timeout'));
      else sink.warning('default-used', `timeout ${timeout} is not a duration; ${node.name} uses ${fallback} ms instead`, at('timeout'));
    } else if (!Number.isInteger(timeout)) {
      sink.warning('default-used', `timeout ${timeout} is cut to ${Math.trunc(timeout)} ms, as sipflow does`, at('timeout'));
    }
  }
  if (spec.noCall && given('callId') && f['callId'] !== COMMON_STEP_FIELDS.callId.default) {
    sink.warning('ignored-field', `callId has no effect on ${node.name}, which works on no call`, at('callId'));
  }

  // Rules between fields.
  switch (node.name) {
    case 'BlindTransfer': {
      const uri = given('targetUri');
      if (uri && (given('targetUser') || given('targetHost'))) {
        sink.warning('ignored-field', 'targetUri is used; targetUser and targetHost are ignored', at(given('targetUser') ? 'targetUser' : 'targetHost'));
      } else if (!uri) {
        if (!given('targetUser') && !given('targetHost')) sink.error('missing-field', 'BlindTransfer requires targetUri, or targetUser and targetHost', at('targetUri'));
        else if (!given('targetUser')) sink.error('missing-field', 'BlindTransfer: targetUser is required', at('targetUser'));
        else if (!given('targetHost')) sink.error('missing-field', 'BlindTransfer: targetHost is required', at('targetHost'));
      }
      break;
    }
    case 'MuteTransfer': {
      // The primary call is primaryCallId, else the step's callId (call-1 by default), as in sipflow.
      const primary = given('primaryCallId') ? (f['primaryCallId'] as string) : callIdOf(node);
      if (given('consultCallId') && primary === f['consultCallId']) {
        sink.error('invalid-value', `MuteTransfer: the primary and consult calls are the same call (${primary})`, at('consultCallId'));
      }
      break;
    }
    case 'ExpectAudio': {
      const expect = text('expect');
      const needs: Record<string, string> = { tone: 'frequencyHz', file: 'filePath' };
      // (Own keys only: an expect of "constructor" or "__proto__" is a bad value, not a prototype's member.)
      const needed = expect !== undefined && Object.hasOwn(needs, expect) ? needs[expect] : undefined;
      if (needed !== undefined && !given(needed)) sink.error('missing-field', `ExpectAudio: expect ${expect} requires ${needed}`, at(needed));
      const uses: Record<string, readonly string[]> = {
        tone: ['frequencyHz', 'toleranceHz', 'minDurationMs', 'levelDbfs'],
        silence: ['minDurationMs', 'levelDbfs'],
        sound: ['minDurationMs', 'levelDbfs'],
        file: ['filePath', 'minCorrelation'],
      };
      const used = expect !== undefined && Object.hasOwn(uses, expect) ? uses[expect] : undefined;
      if (used !== undefined) {
        for (const field of ['frequencyHz', 'toleranceHz', 'minDurationMs', 'levelDbfs', 'filePath', 'minCorrelation']) {
          if (!used.includes(field) && given(field)) sink.warning('ignored-field', `${field} has no effect on ExpectAudio with expect ${expect}`, at(field));
        }
      }
      break;
    }
    case 'DTMFReceived':
      if (given('expectedDigit') && given('expectedDigits')) sink.error('invalid-value', 'give expectedDigit or expectedDigits, not both', at('expectedDigits'));
      break;
  }
}

function requiredMessage(name: string, field: string): string {
  switch (`${name}.${field}`) {
    case 'MakeCall.targetUri':
      return 'MakeCall requires a targetUri';
    case 'PlayAudio.filePath':
      return 'PlayAudio requires filePath';
    case 'SendDTMF.digits':
      return 'SendDTMF requires digits';
    case 'MuteTransfer.consultCallId':
      return 'MuteTransfer: consultCallId is required';
    default:
      return `${name} requires ${field}`;
  }
}

/**
 * A scenario file may come from anyone: the files it names must lie in its own directory (or
 * below), so that running it cannot read, or play to a peer, a file from elsewhere on the
 * machine. Absolute paths and `..` are judged by where they lead, symbolic links by their target.
 */
function checkInside(field: string, path: string, full: string, baseDir: string): ValueProblem | undefined {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p; // not there (yet): judged by its path; the file check reports it missing
    }
  };
  const base = real(baseDir);
  const target = real(full);
  const rel = relativePath(base, target);
  if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))) return undefined;
  return { message: `${field} ${JSON.stringify(path)} is outside the scenario's directory (${base}); move the file there, or allow it with --allow-outside-files (allowOutsideFiles)` };
}

function checkFile(path: string, full: string): ValueProblem | undefined {
  try {
    if (!statSync(full).isFile()) return { message: `audio file not found: ${path} (${full} is not a file)` };
  } catch {
    return { message: `audio file not found: ${path}${full !== path ? ` (looked for ${full})` : ''}` };
  }
  return undefined;
}

/** Reachability, the instance each chain runs on, calls that nothing creates, and command loops. */
function checkGraph(model: ScenarioModel, effective: ReadonlyMap<string, EffectiveInstance>, ctx: ValidateContext): void {
  const { sink } = ctx;
  const reach = reachability(model);
  for (const node of model.nodes) {
    const by = reach.reachedBy.get(node.id);
    const place = { nodeId: node.id, path: node.path };
    // Register and Unregister need a PBX on every instance they run on: the chain's, or their own.
    if (node.name === 'Register' || node.name === 'Unregister') {
      for (const instance of by ?? (node.instance !== undefined ? [node.instance] : [])) {
        if (effective.get(instance)?.mode === 'local') {
          sink.error('invalid-value', `${node.name} needs a PBX: instance ${instance} has no pbxHost`, { ...place, instanceId: instance, field: node.kind });
        }
      }
    }
    if (by === undefined) {
      sink.warning('unreachable', `node ${node.id} is not reached from any instance, so it never runs`, place);
      continue;
    }
    if (node.instance === undefined) continue;
    for (const chain of by) {
      if (chain !== node.instance) {
        sink.warning(
          'instance-mismatch',
          `node ${node.id} belongs to instance ${node.instance} but is reached from instance ${chain}'s chain, so it also runs on ${chain} (as in sipflow, the chain's instance wins)`,
          { ...place, instanceId: chain, field: 'sipInstanceId', path: node.fieldPaths['sipInstanceId'] ?? node.path },
        );
      }
    }
  }

  // Call keys that no MakeCall or INCOMING of the chain's instance creates: most likely a typo.
  for (const [instance, nodes] of reach.byInstance) {
    const created = new Set<string>();
    for (const node of nodes) if (stepOf(node)?.createsCall) created.add(callIdOf(node));
    for (const node of nodes) {
      const spec = stepOf(node);
      if (spec === undefined || spec.createsCall || spec.noCall) continue;
      const keys: [string, string][] =
        node.name === 'MuteTransfer'
          ? [
              ['primaryCallId', typeof node.fields['primaryCallId'] === 'string' && node.fields['primaryCallId'] !== '' ? (node.fields['primaryCallId'] as string) : callIdOf(node)],
              ['consultCallId', node.fields['consultCallId'] as string],
            ]
          : [['callId', callIdOf(node)]];
      for (const [field, key] of keys) {
        if (typeof key !== 'string' || key === '' || created.has(key) || isOpaque(ctx, node.fieldPaths[field])) continue;
        const suggestion = sink.suggestAmong(key, created);
        sink.warning(
          'unknown-call',
          `no MakeCall or INCOMING of instance ${instance} creates call ${JSON.stringify(key)}, so ${node.name} will find no call${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`,
          { nodeId: node.id, instanceId: instance, field, path: node.fieldPaths[field] ?? node.path, ...(suggestion ? { suggestion } : {}) },
        );
      }
    }
  }

  for (const cycle of commandCycles(model)) {
    const first = model.nodes.find((n) => n.id === cycle[0])!;
    sink.error(
      'command-cycle',
      `commands ${cycle.join(' → ')} form a loop with no event in it, so it would spin without waiting; put an event (a TIMEOUT, for a pause) in the loop`,
      { nodeId: first.id, path: first.path },
    );
  }
}

/** Whether the value at `path` is not final text (a placeholder kept, or one not set). */
function isOpaque(ctx: ValidateContext, path: readonly (string | number)[] | undefined): boolean {
  return path !== undefined && ctx.opaque.has(pathKey(path));
}

function stepOf(node: ScenarioNode): StepSpec | undefined {
  if (node.kind === 'command' ? isCommandName(node.name) : isEventName(node.name)) return stepSpec(node.kind, node.name as never);
  return undefined;
}

/** A node's call key, with sipflow's default for a missing or empty one. */
export function callIdOf(node: ScenarioNode): string {
  const v = node.fields['callId'];
  return typeof v === 'string' && v !== '' ? v : COMMON_STEP_FIELDS.callId.default;
}
