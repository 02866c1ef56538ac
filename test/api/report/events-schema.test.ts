// schema/events.schema.json against the lines `sipflow run --format json` writes: every line of
// real runs on UDP loopback (basic call, hold and retrieve, DTMF, a playback, a failing run, a
// stopped run, every RTP/RTCP packet) and the CLI's own `scenario:not-run` lines validate under Ajv
// in strict mode; every kind of line occurred; broken lines are refused; and the schema lists
// exactly the event kinds and fields of the RunEvent types, so a new kind or field without a
// schema fails here (and a field left out of the lists below fails the type-check).
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Engine,
  REPORTER_METHODS,
  loadScenarioFile,
  validateScenario,
  type RunEventOf,
  type RunEventType,
  type RunInstance,
  type RunNode,
  type SipMessageSummary,
} from '../../../src/engine/index.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';
import { EVENTS_SCHEMA_VERSION, eventLine, notRunLine } from '../../../src/api/report/ndjson.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const schema = JSON.parse(readFileSync(new URL('../../../schema/events.schema.json', import.meta.url), 'utf8')) as Schema;
const docs = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');

interface Schema {
  $id: string;
  title: string;
  oneOf: Array<{ $ref: string }>;
  $defs: Record<string, { required?: string[]; properties?: Record<string, { const?: unknown }> }>;
}

/** Ajv as a strict consumer would read the schema: every strict check on, all errors. */
function validator() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  return ajv.compile(schema);
}

/** Every NDJSON line of every run, as the CLI would write it (events, rtp packets, not-run lines). */
const lines: string[] = [];

/** Runs `scenario` at `portBase` (27200–27499 is this file's; each run takes base..base+6), writing its lines. */
async function run(file: string, scenario: unknown, portBase: number, during?: (engine: Engine) => void): Promise<string> {
  const engine = new Engine({ portBase, closeTimeoutMs: 300 });
  engine.on((e) => lines.push(eventLine(e, file)));
  engine.addReporter({ onRtp: (e) => lines.push(eventLine(e, file)) });
  during?.(engine);
  const result = await engine.run(scenario, { env: {} });
  return result.status;
}

const example = (name: string): unknown => loadScenarioFile(EXAMPLES + name, { env: {} });

beforeAll(async () => {
  expect(await run('examples/basic-call.json', example('basic-call.json'), 27200)).toBe('passed');
  expect(await run('examples/hold-retrieve.json', example('hold-retrieve.json'), 27210)).toBe('passed');
  expect(await run('examples/dtmf.json', example('dtmf.json'), 27220)).toBe('passed');
  expect(await run('examples/play-audio.json', example('play-audio.json'), 27230)).toBe('passed');
  const rejected = {
    instances: {
      alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
      bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 603 }] },
    },
  };
  expect(await run('rejected.json', rejected, 27240)).toBe('failed');
  const waiting = {
    instances: {
      alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'nap', event: 'TIMEOUT', timeout: 20000 }, 'Release'] },
      bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
    },
  };
  const stopped = await run('waiting.json', waiting, 27250, (engine) =>
    engine.on((e) => {
      if (e.type === 'scenario:node-state' && e.nodeId === 'nap' && e.newState === 'running') setTimeout(() => engine.stop(), 100);
    }),
  );
  expect(stopped).toBe('stopped');

  // The CLI's lines for scenarios that never ran: one that does not load, one whose instance cannot bind.
  const broken = '{ "instances": { "alice": { "dn": "100", "steps": [ { "command": "MakeCal", "targetUri": "200" } ] } } }';
  const invalid = validateScenario(broken, { file: 'broken.json' });
  expect(invalid.errors.length).toBeGreaterThan(0);
  lines.push(notRunLine('broken.json', 'invalid', invalid.errors.map((d) => d.message).join('; '), Date.now(), invalid.diagnostics));
  const squatter = createSocket('udp4');
  await new Promise<void>((resolve) => squatter.bind(27260, '127.0.0.1', () => resolve()));
  try {
    await new Engine({ portBase: 27270, closeTimeoutMs: 300 }).run({ instances: { alice: { dn: '100', port: 27260, steps: ['INCOMING'] } } });
    throw new Error('the instance bound a port that was taken');
  } catch (err) {
    lines.push(notRunLine('taken.json', 'failed', (err as Error).message, Date.now()));
  } finally {
    squatter.close();
  }
}, 90_000);

describe('schema/events.schema.json', () => {
  it('compiles under Ajv strict mode (draft 2020-12), with an $id and a title', () => {
    expect(typeof validator()).toBe('function');
    expect(schema.$id).toMatch(/^urn:sipflow:/);
    expect(schema.title).toMatch(/sipflow/);
  });

  it('accepts every line of the real runs', () => {
    const validate = validator();
    expect(lines.length).toBeGreaterThan(500);
    const bad: string[] = [];
    for (const line of lines) {
      if (!validate(JSON.parse(line))) bad.push(`${line.slice(0, 200)}\n  ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('every kind of line occurred in the runs (every branch of the schema was exercised), every media kind too', () => {
    const parsed = lines.map((l) => JSON.parse(l) as { type: string; kind?: string; protocol?: string; v: number });
    const types = new Set(parsed.map((l) => l.type));
    expect([...types].sort()).toEqual([...Object.keys(REPORTER_METHODS), 'scenario:not-run'].sort());
    const kinds = new Set(parsed.filter((l) => l.type === 'media').map((l) => l.kind));
    expect([...kinds].sort()).toEqual(['dtmf-received', 'dtmf-sent', 'held', 'playback-ended', 'playback-started', 'resumed']);
    expect(new Set(parsed.map((l) => l.v))).toEqual(new Set([EVENTS_SCHEMA_VERSION]));
    expect(parsed.filter((l) => l.type === 'rtp').length).toBeGreaterThan(100);
    expect(new Set(parsed.filter((l) => l.type === 'rtp').map((l) => l.protocol))).toEqual(new Set(['rtp', 'rtcp']));
  });

  it('a playback line names the scenario in `file` and the audio in `audioFile`', () => {
    const playback = lines.map((l) => JSON.parse(l) as { type: string; kind?: string; file: string; audioFile?: string }).filter((l) => l.type === 'media' && l.kind?.startsWith('playback-'));
    expect(playback.length).toBeGreaterThanOrEqual(2);
    for (const l of playback) {
      expect(l.file).toBe('examples/play-audio.json');
      expect(l.audioFile).toMatch(/audio\/prompt\.wav$/);
    }
  });

  it('rtp data is the datagram in base64 (an RTP version-2 header when decoded)', () => {
    const rtp = lines.map((l) => JSON.parse(l) as { type: string; protocol?: string; data?: string }).filter((l) => l.type === 'rtp' && l.protocol === 'rtp');
    for (const l of rtp.slice(0, 50)) {
      const bytes = Buffer.from(l.data!, 'base64');
      expect(bytes.toString('base64')).toBe(l.data);
      expect(bytes[0]! >> 6).toBe(2);
      expect(bytes.length).toBeGreaterThanOrEqual(12);
    }
  });

  describe('refuses broken lines', () => {
    const first = (type: string, where?: (l: Record<string, unknown>) => boolean): Record<string, unknown> => {
      const found = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.type === type && (where?.(l) ?? true));
      if (found === undefined) throw new Error(`no ${type} line`);
      return found;
    };
    const cases: Array<[string, () => Record<string, unknown>]> = [
      ['a wrong version', () => ({ ...first('scenario:completed'), v: 2 })],
      ['no version', () => omit(first('scenario:completed'), 'v')],
      ['no file', () => omit(first('sip'), 'file')],
      ['an unknown type', () => ({ ...first('scenario:completed'), type: 'scenario:paused' })],
      ['a missing required field (sip without raw)', () => omit(first('sip'), 'raw')],
      ['a missing required field (started without nodes)', () => omit(first('scenario:started'), 'nodes')],
      ['an unknown field on a closed line', () => ({ ...first('scenario:completed'), status: 'passed' })],
      ['an unknown field in a nested object (an endpoint)', () => ({ ...first('sip'), local: { address: '127.0.0.1', port: 5060, family: 'IPv4' } })],
      ['a wrong node state', () => ({ ...first('scenario:node-state'), newState: 'done' })],
      ['a wrong log level', () => ({ ...first('scenario:action-log'), level: 'warning' })],
      ['a wrong media kind', () => ({ ...first('media'), kind: 'beep' })],
      ['a wrong direction', () => ({ ...first('sip'), direction: 'inbound' })],
      ['a wrong rtp protocol', () => ({ ...first('rtp'), protocol: 'srtp' })],
      ['rtp data that is not base64', () => ({ ...first('rtp'), data: 'not base64!' })],
      ['rtp data as a byte array (not encoded)', () => ({ ...first('rtp'), data: [128, 0, 1] })],
      ['a sip line that is both a request and a response', () => ({ ...first('sip', (l) => l.method !== undefined), status: 200, reason: 'OK' })],
      ['a sip response without its status', () => omit(first('sip', (l) => l.status !== undefined), 'status')],
      ['a port out of range', () => ({ ...first('sip'), remote: { address: '127.0.0.1', port: 70000 } })],
      ['a timestamp that is not whole ms', () => ({ ...first('scenario:completed'), timestamp: 1.5 })],
      ['a dtmf-sent without digits', () => omit(first('media', (l) => l.kind === 'dtmf-sent'), 'digits')],
      ['a playback-ended without its outcome', () => omit(first('media', (l) => l.kind === 'playback-ended'), 'outcome')],
      ['a not-run line with another status', () => ({ ...first('scenario:not-run'), status: 'skipped' })],
      ['a not-run line without diagnostics', () => omit(first('scenario:not-run'), 'diagnostics')],
    ];
    it.each(cases)('%s', (_, make) => {
      const validate = validator();
      const line = make();
      expect(validate(line)).toBe(false);
    });
    it('(and the lines they were made from are valid)', () => {
      const validate = validator();
      for (const type of [...Object.keys(REPORTER_METHODS), 'scenario:not-run']) expect(validate(first(type)), type).toBe(true);
    });
  });
});

/** A TS type's keys, each `required` or `optional` as the type has it: the compiler checks the lists below. */
type Shape<T> = { [K in keyof T]-?: object extends Pick<T, K> ? 'optional' : 'required' };

const LINE_SHAPES: { [T in RunEventType]: Shape<RunEventOf<T>> } = {
  'scenario:started': { type: 'required', scenarioId: 'required', timestamp: 'required', instances: 'required', nodes: 'required' },
  'scenario:completed': { type: 'required', scenarioId: 'required', timestamp: 'required' },
  'scenario:failed': { type: 'required', scenarioId: 'required', error: 'required', nodeId: 'optional', instanceId: 'optional', timestamp: 'required' },
  'scenario:stopped': { type: 'required', scenarioId: 'required', timestamp: 'required' },
  'scenario:node-state': { type: 'required', nodeId: 'required', instanceId: 'required', previousState: 'required', newState: 'required', error: 'optional', timestamp: 'required' },
  'scenario:action-log': { type: 'required', nodeId: 'required', instanceId: 'required', message: 'required', level: 'required', timestamp: 'required', callId: 'optional', sipMessage: 'optional' },
  sip: {
    type: 'required',
    instanceId: 'required',
    direction: 'required',
    local: 'required',
    remote: 'required',
    timestamp: 'required',
    timeUs: 'required',
    raw: 'required',
    method: 'optional',
    status: 'optional',
    reason: 'optional',
    sipCallId: 'required',
    cseq: 'required',
    callId: 'optional',
  },
  rtp: { type: 'required', instanceId: 'required', protocol: 'required', direction: 'required', local: 'required', remote: 'required', timestamp: 'required', timeUs: 'required', data: 'required', sipCallId: 'required', callId: 'optional' },
  media: { type: 'required', kind: 'required', instanceId: 'required', callId: 'optional', sipCallId: 'optional', nodeId: 'optional', timestamp: 'required', digits: 'optional', audioFile: 'optional', stereo: 'optional', durationMs: 'optional', form: 'optional', outcome: 'optional', by: 'optional', direction: 'optional' },
};

const NESTED_SHAPES: Record<string, Record<string, 'required' | 'optional'>> = {
  instance: { id: 'required', dn: 'required', label: 'required', mode: 'required', address: 'required', contact: 'required' } satisfies Shape<RunInstance>,
  node: { id: 'required', instanceId: 'required', kind: 'required', name: 'required', callId: 'required', label: 'optional' } satisfies Shape<RunNode>,
  sipMessage: { direction: 'required', method: 'required', responseCode: 'required', callId: 'required', from: 'required', to: 'required', note: 'optional' } satisfies Shape<SipMessageSummary>,
  endpoint: { address: 'required', port: 'required' } satisfies Shape<Endpoint>,
};

describe('the schema and the RunEvent types', () => {
  it('have the same kinds of line: one branch per RunEvent type (REPORTER_METHODS keys), plus scenario:not-run', () => {
    const branches = schema.oneOf.map((b) => schema.$defs[b.$ref.replace('#/$defs/', '')]!.properties!.type!.const);
    expect([...branches].sort()).toEqual([...Object.keys(REPORTER_METHODS), 'scenario:not-run'].sort());
    expect(Object.keys(LINE_SHAPES).sort()).toEqual(Object.keys(REPORTER_METHODS).sort());
  });

  it('have the same fields, required where the type requires them, plus v and file on every line', () => {
    for (const [type, shape] of Object.entries(LINE_SHAPES) as Array<[string, Record<string, string>]>) {
      const def = schema.$defs[type]!;
      expect(Object.keys(def.properties!).sort(), type).toEqual([...new Set(['v', 'file', ...Object.keys(shape)])].sort());
      expect([...def.required!].sort(), type).toEqual([...new Set(['v', 'file', ...Object.keys(shape).filter((k) => shape[k] === 'required')])].sort());
    }
    for (const [name, shape] of Object.entries(NESTED_SHAPES)) {
      const def = schema.$defs[name]!;
      expect(Object.keys(def.properties!).sort(), name).toEqual(Object.keys(shape).sort());
      expect([...def.required!].sort(), name).toEqual(Object.keys(shape).filter((k) => shape[k] === 'required').sort());
    }
  });

  it('describes every property, and docs/events.md has a section for every kind of line', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      if (obj.properties !== undefined && typeof obj.properties === 'object') {
        for (const [key, value] of Object.entries(obj.properties as Record<string, Record<string, unknown> | boolean>)) {
          // `false` marks a property that must not be there (a request has no status): nothing to describe.
          if (value !== false && (typeof value !== 'object' || typeof value.description !== 'string' || value.description === '')) missing.push(`${path}/properties/${key}`);
        }
      }
      for (const [key, value] of Object.entries(obj)) walk(value, `${path}/${key}`);
    };
    walk(schema, '#');
    expect(missing).toEqual([]);
    for (const type of [...Object.keys(REPORTER_METHODS), 'scenario:not-run']) expect(docs, type).toContain(`### \`${type}\``);
  });
});

function omit(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...obj };
  delete copy[key];
  return copy;
}
