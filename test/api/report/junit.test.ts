// The JUnit report of real runs on UDP loopback: a passing call, one that passes through a failure
// branch, one that fails, one stopped during a TIMEOUT wait and a scenario that never ran. The
// document has the structure CI servers read (counts, failure message, the ladder as system-out),
// is well-formed XML by xmllint's own parser, is valid against schema/junit.xsd, and carries hostile
// text (markup, `]]>`, control characters) intact but escaped. Without xmllint on PATH the xmllint
// checks are skipped with a warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, loadScenarioFile, type RunOptions } from '../../../src/engine/index.js';
import { renderJunit } from '../../../src/api/report/junit.js';
import { ScenarioRecorder, type ScenarioRun } from '../../../src/api/report/scenario-run.js';
import { buildLadder } from '../../../src/api/report/ladder.js';
import { renderTextLadder } from '../../../src/api/report/text-ladder.js';

const XMLLINT = spawnSync('xmllint', ['--version'], { encoding: 'utf8' }).status === 0 ? 'xmllint' : undefined;
if (XMLLINT === undefined) {
  console.warn('xmllint not found: skipping the xmllint checks of test/api/report/junit.test.ts (install libxml2-utils, e.g. apt-get install libxml2-utils, to run them)');
}

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const XSD = fileURLToPath(new URL('../../../schema/junit.xsd', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sipflow-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `scenario` on a new engine at `portBase` (27000–27499 is this file's), recorded as `file`. */
async function record(file: string, scenario: unknown, portBase: number, during?: (engine: Engine) => void, options: RunOptions = {}): Promise<ScenarioRun> {
  const engine = new Engine({ portBase, closeTimeoutMs: 300 });
  const rec = new ScenarioRecorder({ file });
  engine.addReporter(rec);
  during?.(engine);
  await engine.run(scenario, { env: {}, ...options });
  return rec.record();
}

/** Writes `xml` to a file and runs xmllint on it (well-formedness alone, or against the XSD). */
function xmllint(xml: string, ...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const path = join(dir, `report-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(path, xml);
  const r = spawnSync(XMLLINT!, [...args, path], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** An XPath string value, read back by xmllint's parser (entities resolved). */
function xpath(xml: string, expr: string): string {
  const r = xmllint(xml, '--xpath', expr);
  expect(r.stderr).toBe('');
  // xmllint ends what it prints with a newline (the values here never end with one).
  return r.stdout.replace(/\n$/, '');
}

/** The attributes of the first start tag named `tag` (values unescaped), by a plain reading of our own output. */
function attributesOf(xml: string, tag: string, nth = 0): Record<string, string> {
  const tags = [...xml.matchAll(new RegExp(`<${tag}((?:\\s+[\\w-]+="[^"]*")*)\\s*/?>`, 'g'))];
  const found = tags[nth];
  if (found === undefined) throw new Error(`no <${tag}> number ${nth}`);
  return Object.fromEntries([...found[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, unescape(m[2]!)]));
}

function unescape(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

const failing = {
  name: 'rejected call',
  instances: {
    alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: '200' }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 486, reason: 'Busy <&> ]]> here' }] },
  },
};

const waiting = {
  name: 'long wait',
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'nap', event: 'TIMEOUT', timeout: 20000 }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
};

const HOSTILE = 'x <y> & "z" \'q\' ]]> \u0001\u0007\u001b[31m\uFFFE\uD800 tab\tline\nend';
/** What XML can carry of HOSTILE: control characters, U+FFFE and the lone surrogate dropped. */
const HOSTILE_KEPT = 'x <y> & "z" \'q\' ]]> [31m tab\tline\nend';

let basic: ScenarioRun;
let branch: ScenarioRun;
let failed: ScenarioRun;
let stopped: ScenarioRun;
let hostile: ScenarioRun;
let invalid: ScenarioRun;

beforeAll(async () => {
  basic = await record('examples/basic-call.json', loadScenarioFile(EXAMPLES + 'basic-call.json', { env: {} }), 27000);
  branch = await record('examples/failure-branch.json', loadScenarioFile(EXAMPLES + 'failure-branch.json', { env: {} }), 27010);
  failed = await record('rejected.json', failing, 27020);
  stopped = await record('long-wait.json', waiting, 27030, (engine) => {
    engine.on((e) => {
      if (e.type === 'scenario:node-state' && e.nodeId === 'nap' && e.newState === 'running') setTimeout(() => engine.stop(), 150);
    });
  });
  hostile = await record(`dir/${HOSTILE}.json`, failing, 27040, undefined, { scenarioId: HOSTILE });
  const rec = new ScenarioRecorder({ file: 'broken.json', now: () => Date.UTC(2024, 4, 1, 9, 30, 0, 250) });
  rec.refuse('invalid', `broken.json:3:7: unknown command "MakeCal" <did you mean MakeCall?> ${HOSTILE}`);
  invalid = rec.record();
}, 60_000);

describe('renderJunit on real runs', () => {
  it('the runs ended as the scenarios say', () => {
    expect([basic, branch, failed, stopped, hostile, invalid].map((r) => r.status)).toEqual(['passed', 'passed', 'failed', 'stopped', 'failed', 'invalid']);
  });

  it('one suite per file (runs of a file share it), one test case per run, with the totals', () => {
    const xml = renderJunit([basic, branch, failed, basic, stopped, invalid], { name: 'nightly', hostname: 'ci-1' });
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(attributesOf(xml, 'testsuites')).toMatchObject({ name: 'nightly', tests: '6', failures: '1', errors: '2', skipped: '0' });
    const suites = [...xml.matchAll(/<testsuite\s/g)].map((_, i) => attributesOf(xml, 'testsuite', i));
    expect(suites.map((s) => [s.name, s.tests, s.failures, s.errors, s.hostname])).toEqual([
      ['examples/basic-call.json', '2', '0', '0', 'ci-1'],
      ['examples/failure-branch.json', '1', '0', '0', 'ci-1'],
      ['rejected.json', '1', '1', '0', 'ci-1'],
      ['long-wait.json', '1', '0', '1', 'ci-1'],
      ['broken.json', '1', '0', '1', 'ci-1'],
    ]);
    const cases = [...xml.matchAll(/<testcase\s/g)].map((_, i) => attributesOf(xml, 'testcase', i));
    expect(cases.map((c) => [c.name, c.classname])).toEqual([
      ['basic call (run 1)', 'examples/basic-call'],
      ['basic call (run 2)', 'examples/basic-call'],
      ['failure branch', 'examples/failure-branch'],
      ['rejected call', 'rejected'],
      ['long wait', 'long-wait'],
      ['broken.json', 'broken'],
    ]);
    // Times are seconds with three decimals; the suites' add up to the total; timestamps are ISO 8601.
    for (const s of suites) expect(s.time).toMatch(/^\d+\.\d{3}$/);
    for (const c of cases) expect(c.time).toMatch(/^\d+\.\d{3}$/);
    expect(Number(cases[0]!.time)).toBeCloseTo((basic.endedAt - basic.startedAt) / 1000, 3);
    expect(Number(cases[0]!.time)).toBeGreaterThan(1); // the call talks for a second
    const total = suites.reduce((sum, s) => sum + Math.round(Number(s.time) * 1000), 0);
    expect(Number(attributesOf(xml, 'testsuites').time)).toBeCloseTo(total / 1000, 3);
    expect(suites[0]!.timestamp).toBe(new Date(basic.startedAt).toISOString());
    expect(suites[4]!.timestamp).toBe('2024-05-01T09:30:00.250Z');
  });

  it('a passing run (even through a failure branch) has no failure or error, and its whole ladder as system-out', () => {
    for (const run of [basic, branch]) {
      const xml = renderJunit([run], { hostname: 'h' });
      expect(xml).not.toMatch(/<failure|<error/);
      const out = unescape(/<system-out>([\s\S]*)<\/system-out>/.exec(xml)![1]!);
      expect(out).toBe(renderTextLadder(buildLadder(run)));
      expect(out).toMatch(/INVITE/);
      expect(out).toMatch(/200 OK/);
    }
    // The failure branch's 486 is on the wire, and yet the run passed.
    expect(renderJunit([branch])).toMatch(/486 Busy Here/);
  });

  it('a failed run: a <failure> naming the node, its instance and the reason, with the messages around it', () => {
    const xml = renderJunit([failed], { hostname: 'h' });
    const failure = attributesOf(xml, 'failure');
    expect(failure.type).toBe('failed');
    expect(failure.message).toMatch(/^node dial \(MakeCall\) on instance alice failed: .*486 Busy <&> ]]> here/);
    const body = unescape(/<failure[^>]*>([\s\S]*?)<\/failure>/.exec(xml)![1]!);
    expect(body.split('\n')[0]).toBe(failure.message);
    expect(body).toMatch(/SIP messages around it \(1 to \d+ of \d+\):/);
    expect(body).toMatch(/-INVITE-/);
    expect(body).toMatch(/486 Busy/);
    expect(body).toMatch(/Action log of node dial:/);
    // The whole ladder is the system-out as well.
    expect(unescape(/<system-out>([\s\S]*)<\/system-out>/.exec(xml)![1]!)).toBe(renderTextLadder(buildLadder(failed)));
  });

  it('a stopped run is an <error type="stopped"> naming the node it stopped', () => {
    const xml = renderJunit([stopped], { hostname: 'h' });
    expect(xml).not.toMatch(/<failure/);
    const error = attributesOf(xml, 'error');
    expect(error.type).toBe('stopped');
    // Alice's TIMEOUT, and Bob's DISCONNECTED that waited for her hang-up.
    expect(error.message).toBe('the run was stopped before it finished; stopped: alice/nap (TIMEOUT), bob/bob.steps[2] (DISCONNECTED)');
    expect(xml).toMatch(/alice\/nap: the run was stopped/);
    expect(xml).toMatch(/<system-out>/);
  });

  it('a scenario that never ran is an <error type="invalid"> with the reason, and no system-out', () => {
    const xml = renderJunit([invalid], { hostname: 'h' });
    const error = attributesOf(xml, 'error');
    expect(error.type).toBe('invalid');
    expect(error.message).toBe(`broken.json:3:7: unknown command "MakeCal" <did you mean MakeCall?> ${HOSTILE_KEPT}`.split('\n')[0] + ' …');
    expect(xml).not.toMatch(/<system-out>/);
    expect(attributesOf(xml, 'testsuites')).toMatchObject({ tests: '1', failures: '0', errors: '1' });
  });

  it('instances that could not start (refused as failed, no event) are an <error type="not-started">', () => {
    const rec = new ScenarioRecorder({ file: 'pbx.json', now: () => 0 });
    rec.refuse('failed', 'instance alice register failed: 403 Forbidden');
    const xml = renderJunit([rec.record()], { hostname: 'h' });
    expect(attributesOf(xml, 'error')).toMatchObject({ type: 'not-started', message: 'instance alice register failed: 403 Forbidden' });
  });

  it('escapes hostile text everywhere and drops what XML 1.0 cannot carry', () => {
    const xml = renderJunit([hostile, invalid], { name: HOSTILE, hostname: HOSTILE });
    // Nothing raw: no forbidden character, no CDATA end, no markup from the text.
    // eslint-disable-next-line no-control-regex
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\uFFFE\uFFFF]/);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(xml)).toBe(false);
    expect(xml).not.toContain(']]>');
    expect(xml).not.toContain('<y>');
    expect(xml.match(/<testcase\s/g)).toHaveLength(2);
    expect(attributesOf(xml, 'testsuites').name).toBe(HOSTILE_KEPT);
    expect(attributesOf(xml, 'testsuite').name).toBe(`dir/${HOSTILE_KEPT}.json`);
    expect(attributesOf(xml, 'testcase').name).toBe(HOSTILE_KEPT);
  });

  it('a name with nothing XML can carry becomes (unnamed), as readers need a name', () => {
    const rec = new ScenarioRecorder({ file: '\u0001\u0002', now: () => 0 });
    rec.refuse('invalid', 'no');
    const xml = renderJunit([rec.record()], { hostname: 'h' });
    expect(attributesOf(xml, 'testsuite').name).toBe('(unnamed)');
    expect(attributesOf(xml, 'testcase').name).toBe('(unnamed)');
    if (XMLLINT !== undefined) expect(xmllint(xml, '--noout', '--schema', XSD).status).toBe(0);
  });

  it('an empty report is still a valid document', () => {
    const xml = renderJunit([], { hostname: 'h' });
    expect(attributesOf(xml, 'testsuites')).toMatchObject({ tests: '0', failures: '0', errors: '0', time: '0.000' });
  });
});

describe.skipIf(XMLLINT === undefined)('the JUnit report by xmllint', () => {
  const all = (): ScenarioRun[] => [basic, branch, failed, basic, stopped, hostile, invalid];

  it('is well-formed XML by itself (no schema), for every kind of run and hostile text', () => {
    for (const xml of [renderJunit(all(), { name: HOSTILE, hostname: HOSTILE }), renderJunit([])]) {
      const r = xmllint(xml, '--noout');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('is valid against schema/junit.xsd', () => {
    for (const xml of [renderJunit(all(), { name: HOSTILE, hostname: HOSTILE }), renderJunit([]), renderJunit([invalid])]) {
      const r = xmllint(xml, '--noout', '--schema', XSD);
      expect(r.stderr.trim()).toMatch(/validates$/);
      expect(r.status).toBe(0);
    }
  });

  it('the schema rejects what CI servers would not read (so validity means something)', () => {
    const good = renderJunit([basic], { hostname: 'h' });
    const bad = [
      good.replace(/<testsuite name="[^"]*"/, '<testsuite'), // a suite without its name
      good.replace(/ tests="1"/, ' tests="one"'), // a count that is not a number
      good.replace(/<testcase name="[^"]*"/, '<testcase'), // a test case without its name
      good.replace(/<system-out>/, '<failure/><system-out>').replace(/<\/testcase>/, '<testcase name="x"/></testcase>'), // a test case inside a test case
      good.replace(/ time="(\d+\.\d+)"/, ' time="1,5s"'), // a time that is not seconds
      good.replace(/<testsuites /, '<testsuites><bogus/></testsuites><testsuites '), // not one root element (not even well-formed)
    ];
    for (const xml of bad) expect(xmllint(xml, '--noout', '--schema', XSD).status, xml.slice(0, 300)).not.toBe(0);
  });

  it('reads back the hostile text exactly (what XML can carry of it), in attributes and in text', () => {
    const xml = renderJunit([hostile], { name: HOSTILE, hostname: 'h' });
    expect(xpath(xml, 'string(/testsuites/@name)')).toBe(HOSTILE_KEPT);
    expect(xpath(xml, 'string(//testcase/@name)')).toBe(HOSTILE_KEPT);
    expect(xpath(xml, 'string(//testsuite/@name)')).toBe(`dir/${HOSTILE_KEPT}.json`);
    expect(xpath(xml, 'string(//failure/@message)')).toMatch(/486 Busy <&> ]]> here$/);
    expect(xpath(xml, 'string(//failure)')).toContain('486 Busy <&> ]]> here');
    const inv = renderJunit([invalid]);
    expect(xpath(inv, 'string(//error)')).toBe(`broken.json:3:7: unknown command "MakeCal" <did you mean MakeCall?> ${HOSTILE_KEPT}`);
  });

  it('counts what CI servers count: test cases, failures and errors, by XPath', () => {
    const xml = renderJunit(all(), { hostname: 'h' });
    expect(xpath(xml, 'count(//testcase)')).toBe('7');
    expect(xpath(xml, 'count(//testcase[failure])')).toBe(String(attributesOf(xml, 'testsuites').failures));
    expect(xpath(xml, 'count(//testcase[error])')).toBe(String(attributesOf(xml, 'testsuites').errors));
    expect(xpath(xml, 'sum(//testsuite/@tests)')).toBe('7');
  });
});
