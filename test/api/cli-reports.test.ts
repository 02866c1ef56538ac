// The CLI end to end on the examples, as CI would use it: one `sipflow run` writes NDJSON to
// stdout, an HTML report, a JUnit file and a capture, and each is checked by what reads it in real
// life: the events schema (Ajv), xmllint against schema/junit.xsd, our own pcap reader and tshark,
// and headless Chromium for the HTML. Tools that are missing skip their check with a message.
//
// Ports: this file uses 29000–29099 (--port-base).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/api/cli/main.js';
import type { CliIo } from '../../src/api/cli/terminal.js';
import { Cdp, chromiumVersion } from './report/cdp.js';
import { readPcap } from './report/pcap-reader.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sipflow-cli-reports-'));
const out = { html: join(dir, 'run.html'), junit: join(dir, 'junit.xml'), pcap: join(dir, 'run.pcap'), recordings: join(dir, 'recordings') };
const has = (tool: string, ...args: string[]): boolean => spawnSync(tool, args, { encoding: 'utf8', timeout: 20_000 }).status === 0;
const XMLLINT = has('xmllint', '--version');
const TSHARK = has('tshark', '--version');
const CHROMIUM = chromiumVersion(process.env.SIPFLOW_CHROMIUM ?? 'chromium') !== undefined;
for (const [ok, tool, pkg] of [
  [XMLLINT, 'xmllint', 'libxml2-utils'],
  [TSHARK, 'tshark', 'tshark'],
  [CHROMIUM, 'chromium', 'chromium'],
] as const) {
  if (!ok) console.warn(`${tool} not found: skipping its check in test/api/cli-reports.test.ts (apt-get install ${pkg} to run it)`);
}

interface Line {
  v: number;
  file: string;
  type: string;
  direction?: string;
  kind?: string;
  audioFile?: string;
}
let code = -1;
let lines: Line[] = [];
let stdout = '';

beforeAll(async () => {
  const busy = join(dir, 'busy.json');
  writeFileSync(busy, JSON.stringify({ instances: { alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: '200' }] }, bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 486 }] } } }));
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    onInterrupt: () => () => undefined,
  };
  const examples = ['basic-call.json', 'dtmf.json', 'attended-transfer.json', 'hold-retrieve.sipflow.json', 'dtmf-info-and-recording.json'].map((f) => join(ROOT, 'examples', f));
  code = await main(['run', ...examples, busy, '--format', 'json', '--report', out.html, '--junit', out.junit, '--pcap', out.pcap, '--port-base', '29000', '--output-dir', out.recordings], io);
  expect(err).toBe('');
  lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** SIP messages on the wire: every sent one (on loopback, every received one is another instance's sent one). */
const sipOnWire = (): number => lines.filter((l) => l.type === 'sip' && l.direction === 'sent').length;

describe('sipflow run with every report', () => {
  it('exits 1 (one scenario failed) and prints only NDJSON on stdout, every line valid against schema/events.schema.json', () => {
    expect(code).toBe(1);
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema/events.schema.json'), 'utf8')) as object);
    for (const [i, line] of stdout.trimEnd().split('\n').entries()) expect(validate(JSON.parse(line)), `line ${i + 1}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    const ends = lines.filter((l) => l.type === 'scenario:completed' || l.type === 'scenario:failed').map((l) => `${l.file.split('/').pop()} ${l.type}`);
    expect(ends).toEqual(['basic-call.json scenario:completed', 'dtmf.json scenario:completed', 'attended-transfer.json scenario:completed', 'hold-retrieve.sipflow.json scenario:completed', 'dtmf-info-and-recording.json scenario:completed', 'busy.json scenario:failed']);
  });

  it('writes the recordings to --output-dir, each told by a recording-stopped line', () => {
    const files = readdirSync(out.recordings).sort();
    expect(files).toHaveLength(2);
    const told = lines.filter((l) => l.type === 'media' && l.kind === 'recording-stopped').map((l) => l.audioFile?.split('/').pop()).sort();
    expect(told).toEqual(files);
  });

  it.runIf(XMLLINT)('writes a JUnit file that xmllint finds valid against schema/junit.xsd, with the failure in it', () => {
    const r = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'schema/junit.xsd'), out.junit], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const count = (expr: string): string => spawnSync('xmllint', ['--xpath', expr, out.junit], { encoding: 'utf8' }).stdout.trim();
    expect(count('count(//testsuite)')).toBe('6');
    // Each recording is an attachment of its test case.
    const recorded = count('string(//testsuite[contains(@name, "dtmf-info-and-recording")]//system-out)');
    for (const f of readdirSync(out.recordings)) expect(recorded).toContain(`[[ATTACHMENT|${join(out.recordings, f)}]]`);
    expect(count('string(/testsuites/@failures)')).toBe('1');
    expect(count('string(//failure/@message)')).toContain('486 Busy Here');
  });

  it('writes a capture whose SIP packets are the messages of the runs, read back by our own reader', () => {
    const pcap = readPcap(readFileSync(out.pcap));
    const sip = pcap.records.filter((r) => /^(SIP\/2\.0 \d{3} [^\r\n]*|[A-Z]+ \S+ SIP\/2\.0)\r\n/.test(Buffer.from(r.payload).toString('latin1')));
    expect(sip.length).toBe(sipOnWire());
    expect(pcap.records.length).toBeGreaterThan(sip.length + 100); // and the RTP
  });

  it.runIf(TSHARK)('tshark decodes the same number of SIP messages from the capture', () => {
    const r = spawnSync('tshark', ['-r', out.pcap, '-Y', 'sip', '-T', 'fields', '-e', 'sip.CSeq'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBe(sipOnWire());
  });

  describe.runIf(CHROMIUM)('the HTML report in headless Chromium', () => {
    let cdp: Cdp | undefined;
    let profile = '';
    afterAll(async () => {
      await cdp?.close();
      if (profile !== '') rmSync(profile, { recursive: true, force: true });
    }, 30_000);

    it('shows one arrow per SIP message, and clicking one shows its message', async () => {
      profile = mkdtempSync(join(tmpdir(), 'sipflow-cli-chromium-'));
      cdp = await Cdp.launch({ userDataDir: profile, executable: process.env.SIPFLOW_CHROMIUM ?? 'chromium' });
      const page = await cdp.newPage();
      for (const domain of ['Page', 'Runtime']) await page.send(`${domain}.enable`);
      await page.navigate(pathToFileURL(out.html).href);
      expect(await page.evaluate<number>(`document.querySelectorAll('svg.ladder g.arrow').length`)).toBe(sipOnWire());
      expect(await page.evaluate<number>(`document.querySelectorAll('section.run').length`)).toBe(6);
      // The recordings are linked relative to the report, so the links lead to the files.
      const links = await page.evaluate<string[]>(`[...document.querySelectorAll('ul.recs a')].map((a) => a.href)`);
      expect(links.sort()).toEqual(readdirSync(out.recordings).map((f) => pathToFileURL(join(out.recordings, f)).href).sort());
      const at = await page.evaluate<{ x: number; y: number }>(`(() => {
        const el = document.querySelector('#r0 g.arrow');
        el.scrollIntoView({ block: 'center' });
        const r = el.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      })()`);
      await page.click(at.x, at.y);
      const text = await page.evaluate<string>(`document.getElementById('r0-panel').querySelector('pre.raw').textContent`);
      expect(text).toMatch(/^INVITE sip:200@127\.0\.0\.1:\d+ SIP\/2\.0\n/);
      await page.screenshot(join(dir, 'cli-report.png'));
    }, 60_000);
  });
});
