// The HTML report as a browser renders it: headless Chromium (driven over the DevTools protocol
// through pipes, see cdp.ts) loads real reports from file:// and the test checks the rendered page:
// one arrow per SIP message, a real click or keyboard focus + Enter shows the message in the panel,
// the call filter restacks the ladder, a failed run shows its failure first and jumps to it, a
// 1,000-message run stays usable, and nothing logs an error or loads anything but the file itself.
// Real runs go over UDP loopback (SIP ports 26500–26549). Without chromium on PATH (or the browser
// named by SIPFLOW_CHROMIUM) the test is skipped with a warning. Screenshots are written next to the reports; the temp folder is removed
// at the end unless SIPFLOW_KEEP_REPORTS=1.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, loadScenario, loadScenarioFile, type RunEvent } from '../../../src/engine/index.js';
import { renderHtmlReport } from '../../../src/api/report/html-report.js';
import { buildLadder } from '../../../src/api/report/ladder.js';
import { ScenarioRecorder, type ScenarioRun } from '../../../src/api/report/scenario-run.js';
import { Cdp, chromiumVersion, type CdpPage } from './cdp.js';

/** The browser to drive: `chromium` on PATH, or SIPFLOW_CHROMIUM. */
const EXECUTABLE = process.env.SIPFLOW_CHROMIUM ?? 'chromium';
const CHROMIUM = chromiumVersion(EXECUTABLE);
if (CHROMIUM === undefined) {
  console.warn(`${EXECUTABLE} not found: skipping test/api/report/html-browser.test.ts (install Chromium, e.g. apt-get install chromium, to run it)`);
}
const KEEP = process.env.SIPFLOW_KEEP_REPORTS === '1';
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** MakeCall to a DN that rejects (486), no failure branch: the run fails. Text fields carry markup. */
const FAILING = {
  name: 'busy <script>alert("name")</script>',
  instances: {
    alice: { dn: '100', displayName: 'Al "</script><script>alert(1)</script>', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 486, reason: 'Busy </script><img src=x onerror=alert(2)>' }] },
  },
};

async function runScenario(scenario: unknown, file: string, portBase: number): Promise<ScenarioRun> {
  const engine = new Engine({ portBase, closeTimeoutMs: 300 });
  const rec = new ScenarioRecorder({ file });
  engine.addReporter(rec);
  await engine.run(scenario);
  return rec.record();
}

/** A hand-made passing run of `messages` messages between alice and bob, calls of 7 (the INVITE sent twice), a DTMF digit per call. */
function bigRun(messages: number): ScenarioRun {
  const t0 = 1_700_000_000_000;
  const rec = new ScenarioRecorder({ file: 'synthetic-1000.json', now: () => t0 });
  const alice = { address: '127.0.0.1', port: 26998 };
  const bob = { address: '127.0.0.1', port: 26999 };
  const ev = <T extends RunEvent>(e: T): T => e;
  rec.onStarted(ev({ type: 'scenario:started', scenarioId: 'a thousand messages', timestamp: t0, nodes: [{ id: 'alice.steps[0]', instanceId: 'alice', kind: 'command', name: 'MakeCall', callId: 'call-1' }], instances: [
    { id: 'alice', dn: '100', label: 'alice', mode: 'local', address: alice, contact: '<sip:100@127.0.0.1>' },
    { id: 'bob', dn: '200', label: 'bob', mode: 'local', address: bob, contact: '<sip:200@127.0.0.1>' },
  ] }));
  rec.onNodeState(ev({ type: 'scenario:node-state', nodeId: 'alice.steps[0]', instanceId: 'alice', previousState: 'pending', newState: 'running', timestamp: t0 }));
  let us = t0 * 1000;
  let n = 0;
  for (let c = 0; n < messages; c++) {
    const sipCallId = `big-${c}@127.0.0.1`;
    const flow: Array<[boolean, string, string]> = [[true, 'INVITE sip:200@127.0.0.1 SIP/2.0', '1 INVITE'], [true, 'INVITE sip:200@127.0.0.1 SIP/2.0', '1 INVITE'], [false, 'SIP/2.0 180 Ringing', '1 INVITE'], [false, 'SIP/2.0 200 OK', '1 INVITE'], [true, 'ACK sip:200@127.0.0.1 SIP/2.0', '1 ACK'], [true, 'BYE sip:200@127.0.0.1 SIP/2.0', '2 BYE'], [false, 'SIP/2.0 200 OK', '2 BYE']];
    for (const [fromAlice, head, cseq] of flow) {
      if (n++ >= messages) break;
      us += 2000;
      const raw = `${head}\r\nCall-ID: ${sipCallId}\r\nCSeq: ${cseq}\r\nSubject: call <${c}>\r\nContent-Length: 0\r\n\r\n`;
      const status = head.startsWith('SIP/2.0') ? Number(head.split(' ')[1]) : undefined;
      const what = status !== undefined ? { status, reason: head.split(' ').slice(2).join(' ') } : { method: head.split(' ')[0]! };
      const [from, to] = fromAlice ? (['alice', 'bob'] as const) : (['bob', 'alice'] as const);
      const ends = { alice, bob };
      const base = { type: 'sip' as const, raw, sipCallId, cseq, callId: `call-${c + 1}`, ...what };
      rec.onSip(ev({ ...base, instanceId: from, direction: 'sent', local: ends[from], remote: ends[to], timeUs: us, timestamp: Math.round(us / 1000) }));
      rec.onSip(ev({ ...base, instanceId: to, direction: 'received', local: ends[to], remote: ends[from], timeUs: us + 100, timestamp: Math.round((us + 100) / 1000) }));
      if (head.startsWith('ACK')) rec.onMedia(ev({ type: 'media', kind: 'dtmf-sent', digits: String(c % 10), instanceId: 'alice', callId: `call-${c + 1}`, timestamp: Math.round(us / 1000) }));
    }
  }
  const end = Math.round(us / 1000) + 1;
  rec.onNodeState(ev({ type: 'scenario:node-state', nodeId: 'alice.steps[0]', instanceId: 'alice', previousState: 'running', newState: 'completed', timestamp: end }));
  rec.onCompleted(ev({ type: 'scenario:completed', scenarioId: 'a thousand messages', timestamp: end }));
  return rec.record();
}

describe.skipIf(CHROMIUM === undefined)(`the HTML report in headless ${CHROMIUM ?? 'Chromium'}`, () => {
  let dir = '';
  let profile = '';
  let cdp: Cdp | undefined;
  let page: CdpPage;
  const runs: Record<'attended' | 'hold' | 'dtmf' | 'play' | 'failed' | 'big', ScenarioRun> = {} as never;
  const files: Record<'examples' | 'failed' | 'big', string> = {} as never;
  let requests: string[] = [];
  let problems: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sipflow-html-report-'));
    profile = await mkdtemp(join(tmpdir(), 'sipflow-chromium-'));
    runs.attended = await runScenario(loadScenarioFile(EXAMPLES + 'attended-transfer.json'), 'examples/attended-transfer.json', 26500);
    runs.hold = await runScenario(loadScenarioFile(EXAMPLES + 'hold-retrieve.json'), 'examples/hold-retrieve.json', 26510);
    runs.dtmf = await runScenario(loadScenarioFile(EXAMPLES + 'dtmf.json'), 'examples/dtmf.json', 26520);
    runs.play = await runScenario(loadScenarioFile(EXAMPLES + 'play-audio.json'), 'examples/play-audio.json', 26530);
    runs.failed = await runScenario(loadScenario(FAILING), 'inline-busy.json', 26540);
    runs.big = bigRun(1000);
    for (const r of [runs.attended, runs.hold, runs.dtmf, runs.play]) expect(r.status, r.file).toBe('passed');
    expect(runs.failed.status).toBe('failed');
    files.examples = join(dir, 'examples.html');
    files.failed = join(dir, 'failed.html');
    files.big = join(dir, 'big.html');
    await writeFile(files.examples, renderHtmlReport([runs.attended, runs.hold, runs.dtmf, runs.play], { title: 'examples' }));
    await writeFile(files.failed, renderHtmlReport([runs.failed]));
    await writeFile(files.big, renderHtmlReport([runs.big]));

    cdp = await Cdp.launch({ userDataDir: profile, executable: EXECUTABLE });
    page = await cdp.newPage();
    page.on((e) => {
      const p = e.params as Record<string, any>;
      if (e.method === 'Network.requestWillBeSent') requests.push(String(p.request?.url));
      else if (e.method === 'Runtime.exceptionThrown') problems.push(`exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`);
      else if (e.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(p.type)) problems.push(`console.${p.type}: ${JSON.stringify(p.args?.map((a: any) => a.value ?? a.description))}`);
      else if (e.method === 'Log.entryAdded' && ['error', 'warning'].includes(p.entry?.level)) problems.push(`log ${p.entry.level}: ${p.entry.text} ${p.entry.url ?? ''}`);
      else if (e.method === 'Page.javascriptDialogOpening') problems.push(`dialog: ${p.message}`);
    });
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await page.send(`${domain}.enable`);
    await page.send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });
  }, 120_000);

  afterAll(async () => {
    await cdp?.close();
    if (profile !== '') await rm(profile, { recursive: true, force: true });
    if (dir !== '' && !KEEP) await rm(dir, { recursive: true, force: true });
    if (dir !== '' && KEEP) console.log(`reports and screenshots kept in ${dir}`);
  }, 30_000);

  /** Loads a report; returns how long until its load event and two frames later. */
  async function load(name: keyof typeof files): Promise<number> {
    requests = [];
    problems = [];
    const started = performance.now();
    await page.navigate(pathToFileURL(files[name]).href);
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))');
    return performance.now() - started;
  }

  /** Nothing but the report itself was requested, and nothing logged an error, warning or exception. */
  function expectClean(name: keyof typeof files): void {
    expect(requests).toEqual([pathToFileURL(files[name]).href]);
    expect(problems).toEqual([]);
  }

  async function screenshot(name: string, fullPage = false): Promise<void> {
    const path = join(dir, `${name}.png`);
    await page.screenshot(path, fullPage);
    console.log(`screenshot: ${path}${KEEP ? '' : ' (removed at the end; SIPFLOW_KEEP_REPORTS=1 keeps it)'}`);
  }

  /** Scrolls an element into view and returns the centre of `part` (a selector inside it) on screen, checking nothing covers it. */
  async function centreOf(selector: string, part = ''): Promise<{ x: number; y: number }> {
    const at = await page.evaluate<{ x: number; y: number; hit: boolean }>(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = (${JSON.stringify(part)} ? el.querySelector(${JSON.stringify(part)}) : el).getBoundingClientRect();
      const x = r.x + r.width / 2, y = r.y + r.height / 2;
      const top = document.elementFromPoint(x, y);
      return { x, y, hit: top === el || el.contains(top) };
    })()`);
    expect(at.hit, `${selector} is not covered`).toBe(true);
    return at;
  }

  const panelOf = (prefix: string): Promise<{ i: string | null; text: string; head: string }> =>
    page.evaluate(`(() => { const p = document.getElementById('${prefix}-panel'); return { i: p.getAttribute('data-i'), text: p.querySelector('pre.raw').textContent, head: p.querySelector('.ph').textContent }; })()`);
  const shown = (raw: string): string => raw.replace(/\r\n/g, '\n');

  it('draws one arrow per SIP message in every run, and loads nothing but itself', async () => {
    await load('examples');
    const counts = await page.evaluate<number[]>(`[...document.querySelectorAll('section.run')].map((s) => s.querySelectorAll('svg.ladder g.arrow').length)`);
    const expected = [runs.attended, runs.hold, runs.dtmf, runs.play].map((r) => r.sip.filter((e) => e.direction === 'sent').length);
    expect(counts).toEqual(expected);
    expect(counts).toEqual([runs.attended, runs.hold, runs.dtmf, runs.play].map((r) => buildLadder(r).arrows.length));
    // Each arrow is drawn: a line with a size on the page.
    const drawn = await page.evaluate<number>(`[...document.querySelectorAll('#r0 g.arrow .ln')].filter((l) => l.getBoundingClientRect().width > 50).length`);
    expect(drawn).toBe(counts[0]);
    // DTMF digits, holds and the playback are marked on their calls.
    const media = await page.evaluate<{ dtmf: number; holds: number; plays: number }>(`({ dtmf: document.querySelectorAll('#r2 .mark.dtmf').length, holds: document.querySelectorAll('#r1 .period.hold').length, plays: document.querySelectorAll('#r3 .period.playback').length })`);
    expect(media).toEqual({ dtmf: runs.dtmf.media.filter((m) => m.kind.startsWith('dtmf')).length, holds: 2, plays: 1 });
    await screenshot('examples-full', true);
    expectClean('examples');
  }, 30_000);

  it('shows the whole message in the panel when an arrow is clicked', async () => {
    await load('examples');
    const ladder = buildLadder(runs.attended);
    const refer = ladder.arrows.find((a) => a.method === 'REFER' && a.status === undefined)!;
    expect(refer).toBeDefined();
    expect(await panelOf('r0')).toMatchObject({ i: null });
    const at = await centreOf(`#r0-a${refer.index}`, '.hit');
    await page.click(at.x, at.y);
    const panel = await panelOf('r0');
    expect(panel.i).toBe(String(refer.index));
    expect(panel.text).toBe(shown(refer.raw));
    expect(panel.head).toContain('REFER');
    expect(panel.head).toContain(refer.sipCallId);
    expect(await page.evaluate(`document.getElementById('r0-a${refer.index}').classList.contains('sel')`)).toBe(true);
    await screenshot('examples-clicked');
    expectClean('examples');
  }, 30_000);

  it('Tab reaches the next message, Enter shows it, ↓ moves on', async () => {
    await load('examples');
    const ladder = buildLadder(runs.hold);
    await page.evaluate(`document.getElementById('r1-a3').focus()`);
    await page.press('Tab');
    expect(await page.evaluate(`document.activeElement.id`)).toBe('r1-a4');
    await page.press('Enter');
    let panel = await panelOf('r1');
    expect(panel.i).toBe('4');
    expect(panel.text).toBe(shown(ladder.arrows[4]!.raw));
    await page.press('ArrowDown');
    panel = await panelOf('r1');
    expect(panel.i).toBe('5');
    expect(panel.text).toBe(shown(ladder.arrows[5]!.raw));
    expect(await page.evaluate(`document.activeElement.id`)).toBe('r1-a5');
    expectClean('examples');
  }, 30_000);

  it('filters by call: a call unticked leaves the ladder with no gap, "show all" brings it back', async () => {
    await load('examples');
    const ladder = buildLadder(runs.attended);
    expect(ladder.calls.length).toBe(3);
    const consult = ladder.arrows.filter((a) => a.call === 1).length;
    const before = await page.evaluate<{ shown: number; height: number }>(`({ shown: [...document.querySelectorAll('#r0 g.arrow')].filter((a) => a.getBoundingClientRect().height > 0).length, height: document.getElementById('r0-svg').getBoundingClientRect().height })`);
    const box = await centreOf('#r0-tools input.f-call[value="1"]');
    await page.click(box.x, box.y);
    const after = await page.evaluate<{ shown: number; height: number; count: string }>(`({ shown: [...document.querySelectorAll('#r0 g.arrow')].filter((a) => a.getBoundingClientRect().height > 0).length, height: document.getElementById('r0-svg').getBoundingClientRect().height, count: document.querySelector('#r0-tools .f-count').textContent })`);
    expect(after.shown).toBe(before.shown - consult);
    expect(before.height - after.height).toBeGreaterThanOrEqual(consult * 40);
    expect(after.count).toBe(`showing ${before.shown - consult} of ${before.shown} messages`);
    const all = await centreOf('#r0-tools .f-all');
    await page.click(all.x, all.y);
    expect(await page.evaluate(`[...document.querySelectorAll('#r0 g.arrow')].filter((a) => a.getBoundingClientRect().height > 0).length`)).toBe(before.shown);
    expectClean('examples');
  }, 30_000);

  it('a failed run shows its failure first, its text as text, and jumps to the messages around it', async () => {
    await load('failed');
    const first = await page.evaluate<{ verdict: string; top: number; ladderTop: number; text: string; firstChild: string; panes: number }>(`(() => {
      const s = document.querySelector('section.run');
      const f = s.querySelector('.failure');
      return { verdict: s.querySelector('.badge').textContent, top: f.getBoundingClientRect().top, ladderTop: document.getElementById('r0-scroll').getBoundingClientRect().top,
        text: f.innerText, firstChild: s.firstElementChild.className, panes: document.querySelectorAll('img, script:not([type])').length };
    })()`);
    expect(first.verdict).toBe('FAILED');
    expect(first.firstChild).toBe('verdict');
    expect(first.top).toBeLessThan(first.ladderTop);
    expect(first.top).toBeLessThan(400);
    expect(first.text).toContain('alice.steps[0]');
    expect(first.text).toContain('on instance alice');
    expect(first.text).toContain(runs.failed.failure!.message); // `</script><img …>` shown as text
    expect(first.panes).toBe(1); // no <img> and no script but ours came out of the run's text
    await screenshot('failed');
    const link = await centreOf('#r0-failure a.jump');
    await page.click(link.x, link.y);
    const seen = await page.evaluate<{ inside: boolean; flash: boolean }>(`(() => {
      const m = document.getElementById('r0-fail').getBoundingClientRect();
      const v = document.getElementById('r0-scroll').getBoundingClientRect();
      return { inside: m.top >= v.top && m.bottom <= v.bottom && m.top >= 0 && m.bottom <= innerHeight, flash: document.getElementById('r0-fail').classList.contains('flash') };
    })()`);
    expect(seen).toEqual({ inside: true, flash: true });
    // The failed node's bar tells its error on keyboard focus.
    const tip = await page.evaluate<{ display: string; text: string }>(`(() => { const b = document.querySelector('.bar.fatal'); b.focus(); const t = b.querySelector('.tip'); return { display: getComputedStyle(t).display, text: t.textContent }; })()`);
    expect(tip.display).toBe('block');
    expect(tip.text).toContain('486 Busy </script><img src=x onerror=alert(2)>');
    await screenshot('failed-jumped');
    expectClean('failed');
  }, 30_000);

  it('a 1,000-message run loads, and a late message still answers a click', async () => {
    const ms = await load('big');
    const arrows = await page.evaluate<number>(`document.querySelectorAll('svg.ladder g.arrow').length`);
    expect(arrows).toBe(1000);
    // Each call's second INVITE is a retransmission: dashed.
    const retrans = await page.evaluate<{ count: number; dash: string }>(`({ count: document.querySelectorAll('g.arrow.retrans').length, dash: getComputedStyle(document.querySelector('#r0-a1 .ln')).strokeDasharray })`);
    expect(retrans.count).toBe(buildLadder(runs.big).arrows.filter((a) => a.retransmission).length);
    expect(retrans.count).toBe(143);
    expect(retrans.dash).not.toBe('none');
    console.log(`1,000-message report loaded and laid out in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10_000);
    const ladder = buildLadder(runs.big);
    const started = performance.now();
    const at = await centreOf('#r0-a990', '.hit');
    await page.click(at.x, at.y);
    const panel = await panelOf('r0');
    expect(panel.i).toBe('990');
    expect(panel.text).toBe(shown(ladder.arrows[990]!.raw));
    console.log(`scroll to message 991 and click: ${(performance.now() - started).toFixed(0)} ms`);
    // The sticky header stays on top of the ladder while it scrolls.
    const sticky = await page.evaluate<number>(`Math.abs(document.querySelector('#r0-scroll .lhead').getBoundingClientRect().top - document.getElementById('r0-scroll').getBoundingClientRect().top)`);
    expect(sticky).toBeLessThan(2);
    await screenshot('big-clicked');
    expectClean('big');
  }, 60_000);
});
