// fast-check arbitraries for the scenario model (src/engine/scenario): VALID compact scenarios and
// VALID sipflow desktop flows (with the surprising shapes sipflow allows), single schema-expressible
// defects of a valid compact scenario, and the mutations the robustness properties apply.
//
// Everything `compactScenario` and `sipflowFlow` generate must validate without errors: the round
// trip and schema properties rely on that. Generation is in two stages: a plan (plain data, so it
// shrinks well) and a deterministic build that resolves what needs the whole scenario (unique DNs,
// call targets, ids for `next` / `onFailure`, loops that always hold an event).

import fc from 'fast-check';
import { derivedStepId } from '../../src/engine/scenario/compact-format.js';
import { type CommandName, type EventName, DTMF_DIGITS, KNOWN_CODECS, MAX_TIMEOUT_MS, type StepName } from '../../src/engine/scenario/index.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Sets an own, enumerable member (a `__proto__` key included), as JSON.parse does. */
export function setMember(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** An object from entries, each an own member (`__proto__` included). */
function objectOf(entries: readonly (readonly [string, unknown])[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of entries) if (v !== undefined) setMember(out, k, v);
  return out;
}

/** A deep copy of a JSON value (own `__proto__` members stay own members). */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

// ---------------------------------------------------------------------------------------------
// Values

/** Text without `${` (a placeholder would need a variable); a `$${` escape is fine. */
const placeholderFree = (s: string): boolean => !s.replaceAll('$${', '').includes('${');
/** Text that may go in a header: no control characters but HTAB. */
// eslint-disable-next-line no-control-regex
const oneLineOk = (s: string): boolean => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(s);

/** Free text (labels, colours, passwords): anything, lone surrogates and line breaks included. */
export const freeText: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.constantFrom('', ' ', 'Alice', 'front desk', 'ünïcödé ☎', 'a$${b}', '"quoted"\n\tline', '__proto__'), weight: 2 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 1 },
  )
  .filter(placeholderFree);

/** One line of header text (displayName, userAgent, authUsername, reason). */
export const oneLine: fc.Arbitrary<string> = fc
  .oneof(fc.constantFrom('Alice', 'sipflow/1.0', 'Ünï Cödé', 'x\ty'), fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }))
  .filter((s) => placeholderFree(s) && oneLineOk(s));

/** A DN: digits. */
export const dnDigits: fc.Arbitrary<string> = fc.stringMatching(/^[0-9]{2,5}$/);

/** Call keys: a small set, so that steps share calls; `''` means call-1. */
export const CALL_IDS = ['call-1', 'call-2', 'consult', ''] as const;
const callId = fc.constantFrom(...CALL_IDS);

/** URIs a call or transfer may target besides a DN of the scenario. */
export const TARGET_URIS = [
  'sip:300@127.0.0.1:5070',
  'sip:bob@example.com',
  'sips:100@[::1]:5061',
  'tel:+15551234',
  'sip:200@pbx.example.com;transport=udp',
  'SIP:echo@example.org',
] as const;

const dtmfDigits = fc.string({ unit: fc.constantFrom(...DTMF_DIGITS), minLength: 1, maxLength: 8 });
const dtmfDigit = fc.constantFrom(...DTMF_DIGITS);
const status = fc.integer({ min: 300, max: 699 });
const hostName = fc.constantFrom('pbx.example.com', '192.0.2.10', 'sip-gw', '[2001:db8::1]', 'example.com.', 'localhost');
const port = fc.integer({ min: 1, max: 65_535 });
/** The codec lists an instance may give: a non-empty ordered subset of the known codecs. */
export const CODEC_LISTS: readonly (readonly string[])[] = [['PCMU'], ['PCMA'], ['PCMU', 'PCMA'], ['PCMA', 'PCMU']];
const codecs = fc.constantFrom(...CODEC_LISTS).map((c) => [...c]);
/** A timeout of a step other than TIMEOUT: ≤ 0 and fractions are warnings only. */
const anyTimeout = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 120_000 }), weight: 4 }, { arbitrary: fc.constantFrom(0, -1, 1500.5, MAX_TIMEOUT_MS), weight: 1 });
/** TIMEOUT's timeout: at least 1 ms once cut to whole milliseconds. */
const waitTimeout = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 120_000 }), weight: 4 }, { arbitrary: fc.constantFrom(1.5, MAX_TIMEOUT_MS), weight: 1 });
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMEOUT_MS / 1000);

// ---------------------------------------------------------------------------------------------
// Steps (shared by both formats)

/** Where a MakeCall or BlindTransfer goes: the DN of an instance (chosen at build time) or a URI. */
export type TargetChoice = { readonly dn: number } | { readonly uri: string };
const target: fc.Arbitrary<TargetChoice> = fc.oneof(
  { arbitrary: fc.nat().map((dn) => ({ dn })), weight: 3 },
  { arbitrary: fc.constantFrom(...TARGET_URIS).map((uri) => ({ uri })), weight: 1 },
);

/** A command or event with valid fields; `target` fills `targetUri` once the DNs are known. */
export interface StepBody {
  readonly kind: 'command' | 'event';
  readonly name: StepName;
  readonly fields: JsonObject;
  readonly target?: TargetChoice;
}

type Own = { fields: JsonObject; target?: TargetChoice };
const none: fc.Arbitrary<Own> = fc.constant({ fields: {} });
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });
const own = (model: Record<string, fc.Arbitrary<Json | undefined>>): fc.Arbitrary<Own> =>
  fc.record(model).map((r) => ({ fields: objectOf(Object.entries(r) as [string, Json | undefined][]) }));

/** The own fields of each command: a new command is a compile error here until it gets a generator. */
const COMMAND_FIELDS: { readonly [K in CommandName]: fc.Arbitrary<Own> } = {
  MakeCall: fc.tuple(target, opt(fc.boolean())).map(([t, record]) => ({ fields: objectOf([['record', record]]), target: t })),
  Answer: own({ record: opt(fc.boolean()) }),
  SessionProgress: none,
  Release: own({ status: opt(status) }),
  PlayAudio: own({ filePath: fc.constantFrom('audio/hello.wav', '/tmp/tone.wav', 'C:\\audio\\x.wav', 'ünï cödé.wav', ' spaced.wav') }),
  SendDTMF: own({
    digits: dtmfDigits,
    intervalMs: opt(fc.oneof(fc.integer({ min: 0, max: 60_000 }), fc.constantFrom(0.5, 100, 60_000))),
    mode: opt(fc.constantFrom('rfc4733', 'inband', 'info')),
    durationMs: opt(fc.integer({ min: 40, max: 5_000 })),
  }),
  Hold: none,
  Retrieve: none,
  BlindTransfer: fc
    .tuple(
      fc.oneof(
        target.map((t) => ({ fields: {} as JsonObject, target: t as TargetChoice | undefined })),
        fc
          .record({ targetUser: fc.constantFrom('300', 'bob', 'x%20y', 'a.b-c_d'), targetHost: fc.constantFrom('pbx.example.com', '127.0.0.1:5060', '[::1]:5070', 'example.com.') })
          .map((f) => ({ fields: f as JsonObject, target: undefined })),
      ),
      opt(fc.boolean()),
    )
    .map(([t, wait]) => ({ fields: objectOf([...Object.entries(t.fields), ['waitForNotify', wait]]), ...(t.target ? { target: t.target } : {}) })),
  MuteTransfer: fc
    .tuple(fc.shuffledSubarray(['call-1', 'call-2', 'consult'], { minLength: 2, maxLength: 2 }), fc.boolean())
    .map(([[primary, consult], viaCallId]): Own => ({ fields: viaCallId ? { callId: primary!, consultCallId: consult! } : { primaryCallId: primary!, consultCallId: consult! } })),
  Reject: own({ status: opt(status), reason: opt(oneLine) }),
  StartRecording: own({ stereo: opt(fc.boolean()) }),
  StopRecording: none,
  CheckMedia: own({
    codec: opt(fc.constantFrom('PCMU', 'pcma', 'PCMA')),
    minPacketsReceived: opt(fc.integer({ min: 0, max: 100_000 })),
    maxLossPercent: opt(fc.double({ min: 0, max: 100, noNaN: true })),
    maxJitterMs: opt(fc.integer({ min: 0, max: 60_000 })),
    minMos: opt(fc.double({ min: 1, max: 4.5, noNaN: true })),
    direction: opt(fc.constantFrom('sendrecv', 'sendonly', 'recvonly', 'inactive')),
  }),
  Register: own({ expires: opt(fc.integer({ min: 1, max: MAX_TIMER_SECONDS })) }),
  Unregister: none,
};

/** The own fields of each event. */
const EVENT_FIELDS: { readonly [K in EventName]: fc.Arbitrary<Own> } = {
  INCOMING: none,
  DISCONNECTED: none,
  RINGING: none,
  EARLY_MEDIA: none,
  TIMEOUT: none,
  DTMFReceived: fc.oneof(
    none,
    dtmfDigit.map((d) => ({ fields: { expectedDigit: d } })),
    fc.constant({ fields: { expectedDigit: '' } }),
    dtmfDigits.map((ds) => ({ fields: { expectedDigits: ds } })),
    dtmfDigits.map((ds) => ({ fields: { expectedDigit: '', expectedDigits: ds } })),
  ),
  ExpectAudio: fc.oneof(
    own({ expect: fc.constant('tone'), frequencyHz: fc.integer({ min: 50, max: 3_950 }), toleranceHz: opt(fc.integer({ min: 1, max: 500 })), minDurationMs: opt(fc.integer({ min: 20, max: 60_000 })), levelDbfs: opt(fc.integer({ min: -100, max: 0 })) }),
    own({ expect: fc.constantFrom('silence', 'sound'), minDurationMs: opt(fc.integer({ min: 20, max: 60_000 })), levelDbfs: opt(fc.integer({ min: -100, max: 0 })) }),
    own({ expect: fc.constant('file'), filePath: fc.constantFrom('audio/prompt.wav', '/tmp/welcome.wav'), minCorrelation: opt(fc.double({ min: 0, max: 1, noNaN: true })) }),
  ),
  HELD: none,
  RETRIEVED: none,
  TRANSFERRED: none,
};

/** Every command and event name the generators cover. */
export const COMMAND_NAMES = Object.keys(COMMAND_FIELDS) as CommandName[];
export const EVENT_NAMES = Object.keys(EVENT_FIELDS) as EventName[];

/** A step: any command or event, with valid common fields (callId, timeout, label) and own fields. */
export const stepBody: fc.Arbitrary<StepBody> = fc
  .oneof(
    fc.constantFrom(...COMMAND_NAMES).map((name) => ({ kind: 'command' as const, name })),
    fc.constantFrom(...EVENT_NAMES).map((name) => ({ kind: 'event' as const, name })),
  )
  .chain(({ kind, name }) =>
    fc
      .record({
        own: kind === 'command' ? COMMAND_FIELDS[name as CommandName] : EVENT_FIELDS[name as EventName],
        callId: opt(callId),
        timeout: opt(name === 'TIMEOUT' ? waitTimeout : anyTimeout),
        label: opt(fc.oneof(freeText, fc.constantFrom(name, 'Incoming', 'Timeout', 'DtmfReceived'))),
      })
      .map(({ own: o, callId: c, timeout, label }) => ({
        kind,
        name,
        // own fields last: MuteTransfer may name its primary call by callId
        fields: objectOf([['callId', c], ['timeout', timeout], ['label', label], ...Object.entries(o.fields)]),
        ...(o.target !== undefined ? { target: o.target } : {}),
      })),
  );

/** Register and Unregister need a PBX: on an instance without one they become Hold. */
function fitBody(body: StepBody, pbx: boolean): StepBody {
  if (pbx || (body.name !== 'Register' && body.name !== 'Unregister')) return body;
  const { expires: _drop, ...fields } = body.fields;
  return { kind: 'command', name: 'Hold', fields };
}

/** `targetUri` from the target choice: a DN of the scenario, or a URI. */
function withTarget(body: StepBody, dns: readonly string[]): JsonObject {
  const fields = { ...body.fields };
  if (body.target !== undefined) {
    fields['targetUri'] = 'uri' in body.target || dns.length === 0 ? ('uri' in body.target ? body.target.uri : TARGET_URIS[0]) : dns[body.target.dn % dns.length]!;
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Compact scenarios

/** A step before the ids are known: its `next`, `onFailure` id and chain starts are choices. */
export interface StepPlan {
  readonly body: StepBody;
  /** Give it an id of its own (an index into the id pool). */
  readonly id: number | undefined;
  /** Write it as its name when it has no field. */
  readonly shorthand: boolean;
  /** `next`: a choice among the steps it may go to. */
  readonly next: number | undefined;
  /** `onFailure`: a nested list, or a choice among the steps it may go to. */
  readonly onFailure: readonly StepPlan[] | number | undefined;
}

type Layout = { readonly kind: 'steps'; readonly steps: readonly StepPlan[] } | { readonly kind: 'chains'; readonly chains: readonly (readonly StepPlan[] | number)[] } | { readonly kind: 'none' };

interface InstancePlan {
  readonly name: string;
  readonly dn: string | undefined;
  readonly settings: JsonObject;
  readonly pbx: JsonObject | undefined;
  readonly layout: Layout;
}

/** What the compact generator may use. */
export interface CompactOptions {
  /** Steps with ids of their own (default true). */
  readonly ids?: boolean;
  /** `next`, `onFailure` and chains given as ids, given or derived (default true). */
  readonly refs?: boolean;
  /** `chains` with a single chain (default true). */
  readonly singleChains?: boolean;
  /**
   * Step ids that are also instance names (default false). Valid compact, but sipflow JSON has
   * one namespace for node ids: no flow has the same graph.
   */
  readonly sharedIds?: boolean;
}

/** Instance names: ordinary ones, names that are not SIP users (they need a dn), and object-ish ones. */
const INSTANCE_NAMES = ['alice', 'bob', 'carol', 'dave', 'ext_1', 'reception-2', '__proto__', 'constructor', 'toString', 'my phone', 'Ünï', '10', '7', 'a$$b'];
const instanceName = fc.oneof({ arbitrary: fc.constantFrom(...INSTANCE_NAMES), weight: 3 }, { arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), weight: 1 });
/** RFC 3261 user part characters: a name made of them can be its own DN. */
const isUserPart = (s: string): boolean => /^[A-Za-z0-9\-_.!~*'()&=+$,;?/]+$/.test(s);

/** Step ids a scenario may give: `SELF` is the id the step's place would give it anyway. */
const ID_POOL = ['start', 'retry', 'wait', 'hangup', '__proto__', 'constructor', 'x@y', 'é', ' spaced ', 'done-2', 'SELF'];

const localSettings: fc.Arbitrary<JsonObject> = fc
  .record({
    label: opt(oneLine), // also the display name when displayName is left out: header text
    displayName: opt(oneLine),
    color: opt(fc.oneof(fc.constantFrom('#3b82f6', '#ef4444', 'red'), freeText)),
    codecs: opt(codecs),
    register: fc.option(fc.boolean(), { nil: undefined, freq: 5 }),
    host: opt(fc.constantFrom('127.0.0.1', '::1', '0.0.0.0')),
    port: opt(port),
    rtpPortRange: opt(fc.tuple(fc.integer({ min: 1, max: 65_534 }), fc.integer({ min: 1, max: 65_535 })).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) === Math.min(a, b) ? Math.min(a, b) + 1 : Math.max(a, b) }))),
    userAgent: opt(oneLine),
    autoRinging: opt(fc.boolean()),
  })
  .map((r) => objectOf(Object.entries(r) as [string, Json | undefined][]));

const pbxSettings: fc.Arbitrary<JsonObject> = fc
  .record({
    pbxHost: hostName,
    pbxPort: opt(fc.oneof(port, port.map(String), fc.constantFrom(' 5060 ', '05060'))),
    pbxTransport: opt(fc.constantFrom('UDP', 'udp', 'Udp', ' UDP ', '')),
    register: opt(fc.boolean()),
    registerIntervalSeconds: opt(fc.oneof(fc.integer({ min: 1, max: MAX_TIMER_SECONDS }), fc.constantFrom(0, -5, 90.5))),
    authUsername: opt(oneLine),
    password: opt(freeText),
  })
  .map((r) => objectOf(Object.entries(r) as [string, Json | undefined][]));

function stepList(depth: number, options: Required<CompactOptions>, minLength: number, maxLength: number): fc.Arbitrary<StepPlan[]> {
  return fc.array(stepPlan(depth, options), { minLength, maxLength });
}

function stepPlan(depth: number, options: Required<CompactOptions>): fc.Arbitrary<StepPlan> {
  type Failure = readonly StepPlan[] | number | undefined;
  const nested: fc.WeightedArbitrary<Failure>[] = depth > 0 ? [{ arbitrary: stepList(depth - 1, options, 1, 2), weight: 1 }] : [];
  const byId: fc.WeightedArbitrary<Failure>[] = options.refs ? [{ arbitrary: fc.nat(), weight: 1 }] : [];
  return fc.record({
    body: stepBody,
    id: options.ids ? fc.option(fc.nat(), { nil: undefined, freq: 2 }) : fc.constant(undefined),
    shorthand: fc.boolean(),
    next: options.refs ? fc.option(fc.nat(), { nil: undefined, freq: 5 }) : fc.constant(undefined),
    onFailure: fc.oneof<fc.WeightedArbitrary<Failure>[]>({ arbitrary: fc.constant(undefined), weight: 4 }, ...nested, ...byId),
  });
}

function layout(options: Required<CompactOptions>): fc.Arbitrary<Layout> {
  const chain: fc.Arbitrary<StepPlan[] | number> = options.refs ? fc.oneof({ arbitrary: stepList(2, options, 1, 4), weight: 3 }, { arbitrary: fc.nat(), weight: 1 }) : stepList(2, options, 1, 4);
  return fc.oneof(
    { arbitrary: stepList(2, options, 0, 5).map((steps) => ({ kind: 'steps' as const, steps })), weight: 6 },
    {
      arbitrary: fc
        .tuple(stepList(2, options, 1, 3), fc.array(chain, { minLength: options.singleChains ? 0 : 1, maxLength: 2 }))
        .map(([first, rest]) => ({ kind: 'chains' as const, chains: [first, ...rest] })),
      weight: 3,
    },
    { arbitrary: fc.constant({ kind: 'none' as const }), weight: 1 },
  );
}

/** A step as it is being written. */
interface Written {
  readonly plan: StepPlan;
  readonly kind: 'command' | 'event';
  /** Document order within the instance (the order the reader meets steps). */
  readonly index: number;
  readonly derived: string;
  id: string | undefined;
  readonly out: JsonObject;
  readonly container: Json[];
  readonly slot: number;
}

function buildCompact(top: { name?: string; description?: string; version?: boolean; schema?: boolean }, plans: readonly InstancePlan[], explicitIds: boolean, sharedIds: boolean): JsonObject {
  // DNs: unique; an instance without dn uses its name, which must then be a SIP user part.
  const usedDns = new Set<string>();
  const dns: string[] = [];
  const instances = plans.map((p) => {
    // a name that is not a SIP user, or that is a number (it would clash with the digit DNs), needs a dn
    let dn = p.dn ?? (isUserPart(p.name) && !/^[0-9]+$/.test(p.name) ? undefined : '100');
    if (dn !== undefined) {
      while (usedDns.has(dn)) dn += '0';
      usedDns.add(dn);
    }
    dns.push(dn ?? p.name);
    return { ...p, dn };
  });
  // A name used as its DN is never all digits, so it never clashes with a generated DN.
  const usedPorts = new Set<unknown>();
  // step ids apart from instance names: sipflow JSON has one namespace for both (see `sharedIds`)
  const usedIds = new Set<string>(sharedIds ? [] : plans.map((p) => p.name));
  const out: [string, JsonObject][] = [];

  for (const inst of instances) {
    const pbx = inst.pbx !== undefined;
    const settings: JsonObject = { ...inst.settings, ...(inst.pbx ?? {}) };
    if (settings['port'] !== undefined) {
      if (usedPorts.has(settings['port'])) delete settings['port'];
      else usedPorts.add(settings['port']);
    }
    if (inst.dn !== undefined) settings['dn'] = inst.dn;
    const written: Written[] = [];

    const writeList = (plansList: readonly StepPlan[], path: (string | number)[]): Json[] => {
      const list: Json[] = [];
      plansList.forEach((plan, i) => {
        const body = fitBody(plan.body, pbx);
        const stepOut: JsonObject = objectOf([[body.kind, body.name], ...Object.entries(withTarget(body, dns))]);
        list.push(stepOut);
        const w: Written = { plan, kind: body.kind, index: written.length, derived: derivedStepId(['instances', ...path, i]), id: undefined, out: stepOut, container: list, slot: i };
        written.push(w);
        if (plan.id !== undefined) w.id = freshId(ID_POOL[plan.id % ID_POOL.length]!, w.derived);
        if (Array.isArray(plan.onFailure)) setMember(stepOut, 'onFailure', writeList(plan.onFailure as StepPlan[], [...path, i, 'onFailure']));
      });
      return list;
    };
    const freshId = (pick: string, derived: string): string => {
      const wanted = sharedIds && pick === 'SELF' ? plans[derived.length % plans.length]!.name : pick;
      let id = wanted === 'SELF' ? derived : wanted;
      for (let n = 2; usedIds.has(id); n++) id = `${wanted === 'SELF' ? 'self' : wanted}-${n}`;
      usedIds.add(id);
      return id;
    };

    const entry: JsonObject = { ...settings };
    const chainRefs: [number, number][] = []; // [position in chains, choice]
    if (inst.layout.kind === 'steps') entry['steps'] = writeList(inst.layout.steps, [inst.name, 'steps']);
    else if (inst.layout.kind === 'chains') {
      entry['chains'] = inst.layout.chains.map((chain, c) => {
        if (typeof chain === 'number') {
          chainRefs.push([c, chain]);
          return '';
        }
        return writeList(chain, [inst.name, 'chains', c]);
      });
    }

    // References: a step may go to an event anywhere in its instance, or to a later step. Every
    // implicit edge (the following step, the first of an onFailure list) goes forward too, so every
    // loop holds an event: no loop made only of commands.
    const byDerived = new Set<Written>();
    /** The id to name `t` by: its own; or its derived id; or a new id of its own (when ids are allowed). */
    const refTo = (choice: number, candidates: readonly Written[]): string | undefined => {
      if (candidates.length === 0) return undefined;
      const t = candidates[choice % candidates.length]!;
      if (t.id !== undefined) return t.id;
      // A derived id comes from the instance name, which no placeholder touches; `next` is a value,
      // whose `$${` is unescaped: such a derived id cannot be written as it is.
      const writable = placeholderFree(t.derived) && !t.derived.includes('$${');
      if (!writable && (!explicitIds || byDerived.has(t))) return undefined;
      // once named by its derived id, a step must keep it (a given id would replace it)
      if (writable && (!explicitIds || byDerived.has(t) || Math.floor(choice / candidates.length) % 2 === 1)) {
        byDerived.add(t);
        return t.derived;
      }
      t.id = freshId(ID_POOL[choice % ID_POOL.length]!, t.derived);
      return t.id;
    };
    const forward = (w: Written): Written[] => written.filter((t) => t.kind === 'event' || t.index > w.index);
    for (const w of written) {
      if (w.plan.next !== undefined) {
        const id = refTo(w.plan.next, forward(w));
        if (id !== undefined) setMember(w.out, 'next', id);
      }
      if (typeof w.plan.onFailure === 'number') {
        const id = refTo(w.plan.onFailure, forward(w));
        if (id !== undefined) setMember(w.out, 'onFailure', id);
      }
    }
    if (inst.layout.kind === 'chains') {
      const chains = entry['chains'] as Json[];
      for (const [c, choice] of chainRefs) chains[c] = refTo(choice, written) ?? '';
      entry['chains'] = chains.filter((c) => c !== '');
    }
    for (const w of written) {
      // the id first, as people write it; a step with no field but its name becomes the name
      const step = w.id !== undefined ? objectOf([['id', w.id], ...Object.entries(w.out)]) : w.out;
      const keys = Object.keys(step);
      w.container[w.slot] = w.plan.shorthand && keys.length === 1 ? step[keys[0]!]! : step;
    }
    out.push([inst.name, entry]);
  }
  return objectOf([
    ['$schema', top.schema ? './node_modules/sipflow/schema/scenario.schema.json' : undefined],
    ['name', top.name],
    ['description', top.description],
    ['version', top.version ? 1 : undefined],
    ['instances', objectOf(out)],
  ]);
}

/** VALID compact scenarios: 1–4 instances, every command and event, ids, next, onFailure, chains. */
export function compactScenario(options: CompactOptions = {}): fc.Arbitrary<JsonObject> {
  const o: Required<CompactOptions> = { ids: true, refs: true, singleChains: true, sharedIds: false, ...options };
  const instance: fc.Arbitrary<InstancePlan> = fc.record({
    name: instanceName,
    dn: fc.option(dnDigits, { nil: undefined, freq: 3 }),
    settings: localSettings,
    pbx: fc.option(pbxSettings, { nil: undefined, freq: 3 }),
    layout: layout(o),
  });
  return fc
    .tuple(
      fc.record({ name: opt(freeText), description: opt(freeText), version: fc.boolean(), schema: fc.boolean() }),
      fc.uniqueArray(instance, { minLength: 1, maxLength: 4, selector: (i) => i.name }),
    )
    .map(([top, plans]) => buildCompact(top, plans, o.ids, o.sharedIds));
}

// ---------------------------------------------------------------------------------------------
// sipflow desktop flows

interface FlowInstancePlan {
  readonly id: string;
  readonly dn: string | undefined;
  readonly settings: JsonObject;
  readonly pbx: JsonObject | undefined;
  /** Desktop keys of its own (pbxInstanceId, serverId, mode, pbxOutboundProxy). */
  readonly uiKeys: boolean;
  /** Where it sits among the command and event nodes. */
  readonly at: number;
}

interface FlowNodePlan {
  readonly id: number;
  readonly body: StepBody;
  readonly owner: number;
  /** How it names its instance: sipInstanceId; none (a direct instance edge gives it); INCOMING's number. */
  readonly mode: 'id' | 'omit' | 'number';
  /** Desktop noise: measured, selected, a field of another command … */
  readonly noise: boolean;
}

interface EdgePlan {
  readonly from: number;
  readonly to: number;
  readonly failure: boolean;
  readonly style: number;
}

/** The label the desktop app gives a new event node. */
const DESKTOP_EVENT_LABELS: { readonly [K in EventName]: string } = {
  INCOMING: 'Incoming',
  DISCONNECTED: 'Disconnect',
  RINGING: 'Ringing',
  EARLY_MEDIA: 'EarlyMedia',
  TIMEOUT: 'Timeout',
  DTMFReceived: 'DtmfReceived',
  ExpectAudio: 'ExpectAudio',
  HELD: 'Held',
  RETRIEVED: 'Retrieved',
  TRANSFERRED: 'Transferred',
};

const FLOW_INSTANCE_IDS = ['a', 'b', 'sipInstance-1712345678901', 'inst_2', '__proto__', 'x y', 'constructor'];
const FLOW_NODE_IDS = ['c1', 'e1', 'dndnode_3', 'command-1712345678999', 'event-42', '__proto__', 'n', 'AT'];

function buildFlow(top: { name?: string; description?: string; viewport: boolean }, instPlans: readonly FlowInstancePlan[], nodePlans: readonly FlowNodePlan[], starts: readonly [number, number][], links: readonly EdgePlan[]): JsonObject {
  const taken = new Set<string>(instPlans.map((i) => i.id));
  const usedDns = new Set<string>();
  const usedPorts = new Set<unknown>();
  const instances = instPlans.map((p) => {
    let dn = p.dn;
    if (dn !== undefined) {
      while (usedDns.has(dn)) dn += '0';
      usedDns.add(dn);
    }
    const pbx = p.pbx !== undefined;
    const settings: JsonObject = { ...p.settings, ...(p.pbx ?? {}) };
    if (settings['port'] !== undefined) {
      if (usedPorts.has(settings['port'])) delete settings['port'];
      else usedPorts.add(settings['port']);
    }
    // sipflow JSON writes pbxPort as a string
    if (typeof settings['pbxPort'] === 'number') settings['pbxPort'] = String(settings['pbxPort']);
    // register: the desktop writes it; true only with a PBX and a DN (else a warning or an error).
    const register = pbx && dn !== undefined ? settings['register'] === true : false;
    delete settings['register'];
    const data = objectOf([
      ['label', settings['label'] ?? dn ?? ''],
      ['dn', dn],
      ['register', register],
      ['color', settings['color'] ?? '#3b82f6'],
      ['codecs', settings['codecs'] ?? [...KNOWN_CODECS]],
      ...Object.entries(settings).filter(([k]) => !['label', 'color', 'codecs'].includes(k)),
      ...(p.uiKeys ? ([['pbxInstanceId', ''], ['serverId', ''], ['mode', 'DN'], ['pbxOutboundProxy', '']] as const) : []),
    ]);
    return { ...p, dn, pbx, data };
  });
  const dns = instances.flatMap((i) => (i.dn !== undefined ? [i.dn] : []));

  const nodes = nodePlans.map((p, index) => {
    const owner = instances[p.owner % instances.length]!;
    const body = fitBody(p.body, owner.pbx);
    let id = FLOW_NODE_IDS[p.id % FLOW_NODE_IDS.length]!;
    // `<node>@<instance>`: the id a copy of another node for that instance would get
    if (id === 'AT') id = `${FLOW_NODE_IDS[0]}@${instances[p.id % instances.length]!.id}`;
    for (let n = 2; taken.has(id); n++) id = `${id.replace(/-\d+$/, '')}-${n}`;
    taken.add(id);
    const mode = p.mode === 'number' && !(body.name === 'INCOMING' && owner.dn !== undefined) ? 'id' : p.mode;
    return { index, id, kind: body.kind, body: body as StepBody, owner, mode, noise: p.noise };
  });

  const edges: JsonObject[] = [];
  /** The edges as sipflow reads them: a failure edge, or a success edge. */
  const read: { source: string; target: string; failure: boolean }[] = [];
  const edge = (source: string, targetId: string, failure: boolean, style: number): void => {
    const s = style % 3;
    const shape: [string, Json | undefined][] = failure
      ? [
          ['sourceHandle', s === 1 || s === 2 ? 'failure' : 'source'],
          ['data', s === 1 ? undefined : { branchType: 'failure' }],
        ]
      : [
          ['sourceHandle', s === 0 ? 'source' : s === 2 ? null : undefined],
          ['data', s === 0 ? { branchType: 'success' } : s === 2 ? { branchType: 'success', condition: '' } : undefined],
        ];
    read.push({ source, target: targetId, failure });
    const idStyle = Math.floor(style / 3) % 3;
    edges.push(
      objectOf([
        ['id', idStyle === 0 ? `xy-edge__${source}source-${targetId}target` : idStyle === 1 ? `e${edges.length}` : undefined],
        ['source', source],
        ['target', targetId],
        ...shape,
        ['targetHandle', s === 1 ? undefined : 'target'],
        ['type', s === 1 ? undefined : 'branch'],
      ]),
    );
  };
  // nodes without sipInstanceId get their instance from the first instance edge to them
  for (const n of nodes) if (n.mode === 'omit') edge(n.owner.id, n.id, false, n.index);
  for (const [i, j] of starts) edge(instances[i % instances.length]!.id, nodes[j % nodes.length]!.id, false, i + j);
  for (const l of links) {
    const from = nodes[l.from % nodes.length]!;
    const to = nodes[l.to % nodes.length]!;
    // to an event anywhere, or to a later node: every loop holds an event
    if (to.kind === 'event' || to.index > from.index) edge(from.id, to.id, l.failure, l.style);
  }
  // A node runs on every instance whose chain reaches it: Register and Unregister only where there is a PBX.
  const startsOf = new Map<string, string[]>();
  const next = new Map<string, { success?: string; failure?: string }>();
  const instanceIds = new Set(instances.map((i) => i.id));
  for (const e of read) {
    if (instanceIds.has(e.source)) startsOf.set(e.source, [...(startsOf.get(e.source) ?? []), e.target]);
    else next.set(e.source, { ...next.get(e.source), [e.failure ? 'failure' : 'success']: e.target });
  }
  for (const inst of instances) {
    if (inst.pbx) continue;
    const stack = [...(startsOf.get(inst.id) ?? [])];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const n = nodes.find((x) => x.id === id)!;
      if (n.body.name === 'Register' || n.body.name === 'Unregister') n.body = fitBody(n.body, false);
      const links = next.get(id);
      if (links?.success !== undefined) stack.push(links.success);
      if (links?.failure !== undefined) stack.push(links.failure);
    }
  }

  const position = (x: number, y: number): JsonObject => ({ x, y });
  const nodeJson = nodes.map((n): JsonObject => {
    const fields = withTarget(n.body, dns);
    const label = typeof fields['label'] === 'string' ? fields['label'] : n.kind === 'command' ? n.body.name : DESKTOP_EVENT_LABELS[n.body.name as EventName];
    delete fields['label'];
    const data = objectOf([
      ['label', label],
      [n.kind, n.body.name],
      ['sipInstanceId', n.mode === 'id' ? n.owner.id : n.mode === 'number' && n.noise ? '' : undefined],
      ['number', n.body.name === 'INCOMING' && n.owner.dn !== undefined && (n.mode === 'number' || n.noise) ? n.owner.dn : undefined],
      ...Object.entries(fields),
      ...(n.noise && n.kind === 'command' ? ([['transferTarget', '']] as const) : []),
    ]);
    return objectOf([
      ['id', n.id],
      ['type', n.kind],
      ['position', position(instances.indexOf(n.owner) * 320, (n.index + 1) * 160)],
      ['data', data],
      ['measured', n.noise ? { width: 180, height: 64 } : undefined],
      ['selected', n.noise ? false : undefined],
    ]);
  });
  const all: JsonObject[] = [...nodeJson];
  // instance nodes among the others, where the desktop happened to put them
  [...instances].reverse().forEach((inst, r) => {
    const column = instances.length - 1 - r;
    all.splice(inst.at % (all.length + 1), 0, objectOf([['id', inst.id], ['type', 'sipInstance'], ['position', position(column * 320, 0)], ['data', inst.data]]));
  });

  return objectOf([
    ['name', top.name],
    ['description', top.description],
    ['nodes', all],
    ['edges', edges],
    ['viewport', top.viewport ? { x: 0, y: 0, zoom: 1 } : undefined],
  ]);
}

/**
 * VALID sipflow flows as the desktop app saves them (instance nodes with dn and register: false,
 * command and event nodes with data, edges with sourceHandle and branchType), with what sipflow
 * allows beyond what its canvas draws: several start edges per instance, merges, failure edges,
 * nodes reached from two instances' chains, loops through an event, unreachable nodes, nodes
 * without sipInstanceId (given their instance by a direct instance edge) and INCOMING by number.
 */
export function sipflowFlow(options: { readonly numericInstanceIds?: boolean } = {}): fc.Arbitrary<JsonObject> {
  const inst: fc.Arbitrary<FlowInstancePlan> = fc.record({
    id: options.numericInstanceIds ? fc.constantFrom('2', '10', '0', 'a', '01', 'b') : fc.constantFrom(...FLOW_INSTANCE_IDS),
    dn: fc.option(dnDigits, { nil: undefined, freq: 6 }),
    settings: localSettings,
    pbx: fc.option(pbxSettings, { nil: undefined, freq: 3 }),
    uiKeys: fc.boolean(),
    at: fc.nat(),
  });
  const node: fc.Arbitrary<FlowNodePlan> = fc.record({
    id: fc.nat(),
    body: stepBody,
    owner: fc.nat(),
    mode: fc.constantFrom('id', 'id', 'omit', 'number'),
    noise: fc.boolean(),
  });
  const link: fc.Arbitrary<EdgePlan> = fc.record({ from: fc.nat(), to: fc.nat(), failure: fc.boolean(), style: fc.nat() });
  return fc
    .tuple(
      fc.record({ name: opt(freeText), description: opt(freeText), viewport: fc.boolean() }),
      fc.uniqueArray(inst, { minLength: 1, maxLength: 3, selector: (i) => i.id }),
      fc.array(node, { minLength: 1, maxLength: 7 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
      fc.array(link, { maxLength: 9 }),
    )
    .map(([top, instances, nodes, starts, links]) => buildFlow(top, instances, nodes, starts, links));
}

/**
 * Valid flows (as the validator stands) with two awkward additions: a Register owned by a PBX
 * instance but started from another instance's chain (it runs there), and an instance named
 * `<node>@<instance>`, the id a copy of that node gets for that instance.
 */
export function awkwardFlow(): fc.Arbitrary<JsonObject> {
  return fc.tuple(sipflowFlow(), fc.boolean(), fc.boolean()).map(([valid, register, copyName]) => {
    const flow = cloneJson(valid);
    const nodes = flow['nodes'] as JsonObject[];
    const edges = flow['edges'] as JsonObject[];
    const first = nodes.find((n) => n['type'] === 'sipInstance')!['id'] as string;
    const node = nodes.find((n) => n['type'] !== 'sipInstance')!['id'] as string;
    if (register || !copyName) {
      nodes.push({ id: 'pbx-inst', type: 'sipInstance', data: { dn: 'pbx', register: false, pbxHost: 'pbx.example.com' } });
      nodes.push({ id: 'reg', type: 'command', data: { command: 'Register', sipInstanceId: 'pbx-inst' } });
      edges.push({ source: first, target: 'reg' }, { source: 'pbx-inst', target: 'reg' });
    }
    if (copyName) {
      // x-inst reaches the node too, after its own instance: its copy is `<node>@x-inst`
      nodes.push({ id: 'x-inst', type: 'sipInstance', data: { dn: 'xdn', register: false } });
      nodes.push({ id: `${node}@x-inst`, type: 'sipInstance', data: { dn: 'copydn', register: false } });
      edges.push({ source: first, target: node }, { source: 'x-inst', target: node });
    }
    return flow;
  });
}

// ---------------------------------------------------------------------------------------------
// Single defects of a valid compact scenario, each one a JSON Schema can see

export type Defect =
  | 'unknown-name'
  | 'wrong-type'
  | 'missing-required'
  | 'dtmf'
  | 'timeout-0'
  | 'steps-and-chains'
  | 'unknown-codec'
  | 'transport'
  // Beyond the issue's list, just as visible to a schema (one value, a pattern or a range):
  | 'header-line-break'
  | 'port-string-range';
export const DEFECTS: readonly Defect[] = [
  'unknown-name', 'wrong-type', 'missing-required', 'dtmf', 'timeout-0', 'steps-and-chains', 'unknown-codec', 'transport',
  'header-line-break', 'port-string-range',
];

const UNKNOWN_COMMANDS = ['MakeCal', 'makecall', 'Dial', 'HangUp', 'INCOMING ', ''];
const UNKNOWN_EVENTS = ['INCOMMING', 'incoming', 'Ringing', 'HANGUP', 'MakeCall', ''];
/** A step field of the wrong JSON type: any step may have these. */
const WRONG_STEP_FIELDS: readonly [string, Json][] = [
  ['callId', 5],
  ['callId', null],
  ['timeout', '1000'],
  ['timeout', true],
  ['label', false],
  ['label', ['x']],
  ['id', 7],
  ['next', 3],
  ['onFailure', { command: 'Release' }],
];
/** An instance setting of the wrong JSON type. */
const WRONG_INSTANCE_FIELDS: readonly [string, Json][] = [
  ['dn', 100],
  ['label', null],
  ['autoRinging', 'yes'],
  ['register', 'true'],
  ['codecs', 'PCMU'],
  ['codecs', [1]],
  ['port', '5060'],
  ['pbxPort', true],
  ['rtpPortRange', [20000, 20999]],
  ['registerIntervalSeconds', '300'],
  ['password', 1234],
  ['steps', { command: 'Answer' }],
];
/** Steps that lack a required field. */
const MISSING_REQUIRED: readonly JsonObject[] = [
  { command: 'MakeCall' },
  { command: 'SendDTMF' },
  { command: 'PlayAudio' },
  { command: 'MuteTransfer', primaryCallId: 'call-1' },
  { command: 'SendDTMF', digits: '' },
  { command: 'MakeCall', targetUri: '' },
];
const BAD_DTMF: readonly JsonObject[] = [
  { command: 'SendDTMF', digits: '12E' },
  { command: 'SendDTMF', digits: '1a' },
  { command: 'SendDTMF', digits: '1 2' },
  { event: 'DTMFReceived', expectedDigit: 'E' },
  { event: 'DTMFReceived', expectedDigit: '12' },
  { event: 'DTMFReceived', expectedDigits: '9x' },
];
const BAD_CODECS: readonly Json[] = [['G729'], ['pcmu'], ['PCMU', 'opus'], ['PCMA', ' PCMU'], ['telephone-event']];
const BAD_TRANSPORTS = ['TCP', 'TLS', 'tcp', ' tls ', 'SCTP', 'UDP/TCP', 'U DP', 'udp6'];

/** Where a step sits: its list and its index. */
interface StepSlot {
  readonly list: Json[];
  readonly index: number;
}

function stepSlots(doc: JsonObject): StepSlot[] {
  const slots: StepSlot[] = [];
  const walk = (list: Json): void => {
    if (!Array.isArray(list)) return;
    list.forEach((step, index) => {
      slots.push({ list, index });
      if (step !== null && typeof step === 'object' && !Array.isArray(step)) walk(step['onFailure'] ?? null);
    });
  };
  for (const inst of Object.values(doc['instances'] as JsonObject) as JsonObject[]) {
    walk(inst['steps'] ?? null);
    for (const chain of (inst['chains'] ?? []) as Json[]) walk(chain);
  }
  return slots;
}

/** The step at a slot as an object (a shorthand becomes `{ command }` or `{ event }`). */
function stepAt(slot: StepSlot): JsonObject {
  const step = slot.list[slot.index]!;
  if (typeof step === 'string') return { [EVENT_NAMES.includes(step as EventName) ? 'event' : 'command']: step };
  return step as JsonObject;
}

/** A valid compact scenario with exactly one defect that the compact JSON Schema can see. */
export function defectiveCompact(): fc.Arbitrary<{ readonly doc: JsonObject; readonly defect: string }> {
  return fc.tuple(compactScenario(), fc.constantFrom(...DEFECTS), fc.nat(), fc.nat()).map(([valid, defect, a, b]) => {
    const doc = cloneJson(valid);
    const instances = doc['instances'] as JsonObject;
    const names = Object.keys(instances);
    const inst = instances[names[a % names.length]!] as JsonObject;
    let slots = stepSlots(doc);
    if (slots.length === 0) {
      // every instance has `steps: []` or no steps: give one a step to spoil
      if (!Array.isArray(inst['steps'])) setMember(inst, 'steps', []);
      (inst['steps'] as Json[]).push('Answer');
      slots = stepSlots(doc);
    }
    const slot = slots[b % slots.length]!;
    const replaceStep = (step: JsonObject): string => {
      // keep its id, next and onFailure: the defect is the only change
      const old = stepAt(slot);
      const keep = Object.entries(old).filter(([k]) => k === 'id' || k === 'next' || k === 'onFailure');
      slot.list[slot.index] = objectOf([...Object.entries(step), ...keep]);
      return JSON.stringify(step);
    };
    switch (defect) {
      case 'unknown-name': {
        const step = { ...stepAt(slot) };
        const kind = 'command' in step ? 'command' : 'event';
        const names = kind === 'command' ? UNKNOWN_COMMANDS : UNKNOWN_EVENTS;
        step[kind] = names[a % names.length]!;
        slot.list[slot.index] = step;
        return { doc, defect: `${kind} ${JSON.stringify(step[kind])}` };
      }
      case 'wrong-type': {
        if (a % 2 === 0) {
          const [field, value] = WRONG_STEP_FIELDS[b % WRONG_STEP_FIELDS.length]!;
          const step = stepAt(slot);
          setMember(step, field, value);
          slot.list[slot.index] = step;
          return { doc, defect: `step ${field}: ${JSON.stringify(value)}` };
        }
        const [field, value] = WRONG_INSTANCE_FIELDS[b % WRONG_INSTANCE_FIELDS.length]!;
        if (field === 'steps') delete inst['chains'];
        setMember(inst, field, value);
        return { doc, defect: `instance ${field}: ${JSON.stringify(value)}` };
      }
      case 'missing-required':
        return { doc, defect: `missing field: ${replaceStep(MISSING_REQUIRED[a % MISSING_REQUIRED.length]!)}` };
      case 'dtmf':
        return { doc, defect: `DTMF: ${replaceStep(BAD_DTMF[a % BAD_DTMF.length]!)}` };
      case 'timeout-0':
        // less than 1 ms: sipflow's timers take whole milliseconds, so 0.5 is 0
        return { doc, defect: `TIMEOUT: ${replaceStep({ event: 'TIMEOUT', timeout: [0, -1, -0.5, 0.5][a % 4]! })}` };
      case 'steps-and-chains':
        if (Array.isArray(inst['chains'])) setMember(inst, 'steps', []);
        else {
          if (!Array.isArray(inst['steps'])) setMember(inst, 'steps', ['INCOMING']);
          setMember(inst, 'chains', [['TIMEOUT']]);
        }
        return { doc, defect: 'steps and chains' };
      case 'unknown-codec': {
        const value = BAD_CODECS[b % BAD_CODECS.length]!;
        setMember(inst, 'codecs', value);
        return { doc, defect: `codecs ${JSON.stringify(value)}` };
      }
      case 'header-line-break': {
        // text that goes into a SIP header (From's display name, the digest user name) must be one line
        const field = ['displayName', 'authUsername'][a % 2]!;
        const value = ['Alice\r\nX-Injected: 1', 'two\nlines', 'bell\u0007'][b % 3]!;
        setMember(inst, field, value);
        return { doc, defect: `${field} ${JSON.stringify(value)}` };
      }
      case 'port-string-range': {
        // pbxPort as a string of digits, outside 1-65535 (as an integer the schema bounds it)
        const value = ['0', '65536', '99999', ' 0 '][b % 4]!;
        setMember(inst, 'pbxHost', 'pbx.example.com');
        setMember(inst, 'pbxPort', value);
        return { doc, defect: `pbxPort ${JSON.stringify(value)}` };
      }
      case 'transport': {
        const value = BAD_TRANSPORTS[b % BAD_TRANSPORTS.length]!;
        setMember(inst, 'pbxTransport', value);
        return { doc, defect: `pbxTransport ${JSON.stringify(value)}` };
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Mutations, for the robustness properties

/** Every path of a JSON value, the root included. */
export function jsonPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push([...path]);
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) jsonPaths(v, [...path, k], out);
  return out;
}

/** The value at a path. */
export function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v;
}

/** Keys that trip code treating objects as maps, and keys the readers look for (any case). */
export const NASTY_KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ',
  'steps', 'chains', 'next', 'onFailure', 'id', 'command', 'event', 'instances', 'nodes', 'edges',
  'NODES', 'Edges', 'ID', 'Source', 'SourceHandle', 'Data', 'sipInstanceId', 'number', '\u017fource', 'branchType',
];

/** Values of every JSON type, at their edges: wrong types, nulls, huge and negative numbers, empty strings. */
export const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  {
    arbitrary: fc.constantFrom<Json>(
      null, '', ' ', '\u0000', 'ünï', '${UNSET_SIPFLOW_VAR}', '${', '$${', '${1x}', 'x'.repeat(300),
      0, -0, -1, 1, 0.5, -1e-300, 1e308, -1e308, 2 ** 53 + 2, 65_536, 2_147_483_648, MAX_TIMEOUT_MS + 1,
      true, false, [], {}, [null], [[]], { min: 1 }, ['PCMU', 7], { command: 'Answer' }, 'Answer', 'INCOMING', 'MakeCall',
    ),
    weight: 4,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom(...NASTY_KEYS), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => objectOf([[k, v as Json]])), weight: 1 },
);

export type Mutation =
  | { readonly op: 'replace'; readonly at: number; readonly value: Json }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'add-key'; readonly at: number; readonly key: string; readonly value: Json }
  | { readonly op: 'copy'; readonly at: number; readonly from: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: nastyValue }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add-key' as const), at: fc.nat(), key: fc.constantFrom(...NASTY_KEYS), value: nastyValue }),
  fc.record({ op: fc.constant('copy' as const), at: fc.nat(), from: fc.nat() }),
);

/** Applies mutations to a copy of `doc`: each picks a path of the document as it then is. */
export function mutate(doc: Json, mutations: readonly Mutation[]): Json {
  let root: Json = cloneJson(doc);
  for (const m of mutations) {
    const paths = jsonPaths(root);
    const path = paths[m.at % paths.length]!;
    const set = (value: Json): void => {
      if (path.length === 0) root = value;
      else setMember(getAt(root, path.slice(0, -1)) as object, String(path[path.length - 1]), value);
    };
    switch (m.op) {
      case 'replace':
        set(cloneJson(m.value));
        break;
      case 'copy':
        set(cloneJson(getAt(root, paths[m.from % paths.length]!) as Json));
        break;
      case 'delete': {
        if (path.length === 0) break;
        const parent = getAt(root, path.slice(0, -1));
        const last = path[path.length - 1]!;
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else delete (parent as Record<string, unknown>)[last];
        break;
      }
      case 'add-key': {
        const target = getAt(root, path);
        if (target !== null && typeof target === 'object' && !Array.isArray(target)) setMember(target, m.key, cloneJson(m.value));
        else set(objectOf([[m.key, cloneJson(m.value)]]));
        break;
      }
    }
  }
  return root;
}

/** Text edits: delete, insert or duplicate a character (as in the JSONC properties). */
export type TextEdit = { readonly op: 'delete' | 'insert' | 'duplicate' | 'truncate'; readonly at: number; readonly char: string };
export const textEdit: fc.Arbitrary<TextEdit> = fc.record({
  op: fc.constantFrom<TextEdit['op']>('delete', 'insert', 'duplicate', 'truncate'),
  at: fc.nat(),
  char: fc.oneof(fc.constantFrom(...'{}[],:"\\/*\n 0-.e$', '\uFEFF', '\u2028', '\ud800', '\u0000'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
});
export function editText(text: string, edits: readonly TextEdit[]): string {
  let t = text;
  for (const e of edits) {
    const at = e.at % (t.length + 1);
    if (e.op === 'delete') t = t.slice(0, at) + t.slice(at + 1);
    else if (e.op === 'insert') t = t.slice(0, at) + e.char + t.slice(at);
    else if (e.op === 'duplicate') t = t.slice(0, at) + t.slice(at, at + 1) + t.slice(at);
    else t = t.slice(0, at);
  }
  return t;
}
