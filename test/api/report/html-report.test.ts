// The HTML report without a browser: its structure. Everything from the run is escaped (SIP text
// with <script>, ]]>, quotes; JSON data blocks that `</script>` cannot end), the page refers to
// nothing outside itself, there is one arrow per SIP message, the verdict and failure come first,
// media and node timelines are drawn, and a 1,000-message run renders quickly and compactly.
// Real runs go over UDP loopback (SIP ports 26600–26639).
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine, loadScenario, loadScenarioFile, type RunEvent, type SipEvent } from '../../../src/engine/index.js';
import { renderHtmlReport } from '../../../src/api/report/html-report.js';
import { ladderRows } from '../../../src/api/report/html-ladder.js';
import { mediaMarks } from '../../../src/api/report/html-media.js';
import { nodeSpans } from '../../../src/api/report/html-timeline.js';
import { escapeHtml, jsonForScript } from '../../../src/api/report/html-util.js';
import { buildLadder } from '../../../src/api/report/ladder.js';
import { ScenarioRecorder, type ScenarioRun } from '../../../src/api/report/scenario-run.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const EVIL = `<script>alert("x")</script> ]]> '"& </script><img src=x onerror=alert(2)> \u2028`;

/** A scenario whose MakeCall is rejected (486) with no failure branch: the run fails. Text fields carry markup. */
const FAILING = {
  name: 'busy <script>alert("name")</script> ]]>',
  instances: {
    alice: { dn: '100', displayName: 'Al "</script><script>alert(1)</script>', steps: [{ command: 'MakeCall', targetUri: '200', label: 'call <b>bob</b> & "quote"' }, 'Release'] },
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

/**
 * A hand-made run of `messages` SIP messages between alice, bob and a PBX outside the run: calls of
 * INVITE/180/200/ACK/BYE/200 (some INVITEs retransmitted), DTMF and a hold on each call, and
 * markup in the messages. Events go through a ScenarioRecorder as the engine's would.
 */
function syntheticRun(messages: number, options: { fail?: boolean } = {}): ScenarioRun {
  const rec = new ScenarioRecorder({ file: 'synthetic.json', now: () => 1_700_000_000_000 });
  const t0 = 1_700_000_000_000;
  let us = t0 * 1000;
  const alice = { address: '127.0.0.1', port: 26990 };
  const bob = { address: '127.0.0.1', port: 26992 };
  const pbx = { address: '10.0.0.1', port: 5060 };
  const ev = <T extends RunEvent>(e: T): T => e;
  rec.onStarted(ev({ type: 'scenario:started', scenarioId: 'synthetic', timestamp: t0, instances: [
    { id: 'alice', dn: '100', label: 'alice', mode: 'local', address: alice, contact: '<sip:100@127.0.0.1:26990>' },
    { id: 'bob', dn: '200', label: 'bob', mode: 'local', address: bob, contact: '<sip:200@127.0.0.1:26992>' },
  ], nodes: [{ id: 'alice.steps[0]', instanceId: 'alice', kind: 'command', name: 'MakeCall', callId: 'call-1' }, { id: 'bob.steps[0]', instanceId: 'bob', kind: 'event', name: 'INCOMING', callId: 'call-1' }] }));
  rec.onNodeState(ev({ type: 'scenario:node-state', nodeId: 'alice.steps[0]', instanceId: 'alice', previousState: 'pending', newState: 'running', timestamp: t0 }));
  rec.onNodeState(ev({ type: 'scenario:node-state', nodeId: 'bob.steps[0]', instanceId: 'bob', previousState: 'pending', newState: 'running', timestamp: t0 }));
  let sent = 0;
  const send = (from: 'alice' | 'bob' | 'pbx', to: 'alice' | 'bob' | 'pbx', head: string, sipCallId: string, cseq: string, key: string, sdp: boolean): void => {
    us += 1500;
    const ends = { alice, bob, pbx };
    const body = sdp ? `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n` : '';
    const raw = `${head}\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK${cseq.replace(' ', '')}\r\nCall-ID: ${sipCallId}\r\nCSeq: ${cseq}\r\nSubject: ${EVIL}\r\n${sdp ? 'Content-Type: application/sdp\r\n' : ''}Content-Length: ${body.length}\r\n\r\n${body}`;
    const [method, status] = /^\d/.test(head.split(' ')[1] ?? '') ? [undefined, Number(head.split(' ')[1])] : [head.split(' ')[0], undefined];
    const base = { type: 'sip' as const, timestamp: Math.round(us / 1000), timeUs: us, raw, sipCallId, cseq, callId: key, ...(method !== undefined ? { method } : { status, reason: head.split(' ').slice(2).join(' ') }) };
    if (from !== 'pbx') rec.onSip(ev<SipEvent>({ ...base, instanceId: from, direction: 'sent', local: ends[from], remote: ends[to] }));
    if (to !== 'pbx') rec.onSip(ev<SipEvent>({ ...base, instanceId: to, direction: 'received', local: ends[to], remote: ends[from], timeUs: us + 200, timestamp: Math.round((us + 200) / 1000) }));
    sent++;
  };
  for (let c = 0; sent < messages; c++) {
    const id = `call${c}-${EVIL.slice(0, 8)}@h`;
    const peer = c % 3 === 2 ? 'pbx' : 'bob';
    const key = `call-${c + 1}`;
    type Step = [from: 'alice' | 'bob' | 'pbx', to: 'alice' | 'bob' | 'pbx', head: string, cseq: string, sdp: boolean];
    const invite: Step = ['alice', peer, 'INVITE sip:200@h SIP/2.0', '1 INVITE', true];
    const script: Step[] = [
      invite,
      ...(c % 4 === 0 ? [invite] : []),
      [peer, 'alice', 'SIP/2.0 180 Ringing', '1 INVITE', false],
      [peer, 'alice', 'SIP/2.0 200 OK', '1 INVITE', true],
      ['alice', peer, 'ACK sip:200@h SIP/2.0', '1 ACK', false],
      ['alice', peer, 'BYE sip:200@h SIP/2.0', '2 BYE', false],
      [peer, 'alice', 'SIP/2.0 200 OK', '2 BYE', false],
    ];
    for (const [from, to, head, cseq, sdp] of script) {
      if (sent >= messages) break;
      send(from, to, head, id, cseq, key, sdp);
      if (head.startsWith('ACK')) {
        const at = Math.round(us / 1000);
        rec.onMedia(ev({ type: 'media', kind: 'dtmf-sent', digits: String(c % 10), instanceId: 'alice', callId: key, timestamp: at }));
        rec.onMedia(ev({ type: 'media', kind: 'held', by: 'us', direction: 'sendonly', instanceId: 'alice', callId: key, timestamp: at }));
      }
      if (head.startsWith('BYE')) rec.onMedia(ev({ type: 'media', kind: 'resumed', by: 'us', direction: 'sendrecv', instanceId: 'alice', callId: key, timestamp: Math.round(us / 1000) }));
    }
  }
  const end = Math.round(us / 1000) + 1;
  rec.onNodeState(ev({ type: 'scenario:node-state', nodeId: 'bob.steps[0]', instanceId: 'bob', previousState: 'running', newState: 'completed', timestamp: end }));
  if (options.fail === true) {
    rec.onNodeState(ev({ type: 'scenario:node-state', nodeId: 'alice.steps[0]', instanceId: 'alice', previousState: 'running', newState: 'failed', error: `MakeCall failed: ${EVIL}`, timestamp: end }));
    rec.onFailed(ev({ type: 'scenario:failed', scenarioId: 'synthetic', error: `instance alice: MakeCall failed: ${EVIL}`, nodeId: 'alice.steps[0]', instanceId: 'alice', timestamp: end }));
  } else {
    rec.onNodeState(ev({ type: 'scenario:node-state', nodeId: 'alice.steps[0]', instanceId: 'alice', previousState: 'running', newState: 'completed', timestamp: end }));
    rec.onCompleted(ev({ type: 'scenario:completed', scenarioId: 'synthetic', timestamp: end }));
  }
  return rec.record();
}

/** Every start tag of the page outside the inline script, with its attributes. */
function tags(html: string): Array<{ name: string; attrs: Map<string, string> }> {
  const body = html.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>');
  const out: Array<{ name: string; attrs: Map<string, string> }> = [];
  for (const m of body.matchAll(/<([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    const attrs = new Map<string, string>();
    for (const a of m[2]!.matchAll(/([^\s=>/]+)(?:="([^"]*)")?/g)) attrs.set(a[1]!.toLowerCase(), a[2] ?? '');
    out.push({ name: m[1]!.toLowerCase(), attrs });
  }
  return out;
}

/** The JSON data blocks, parsed. */
function dataBlocks(html: string): Array<{ arrows: Array<{ raw: string }> }> {
  return [...html.matchAll(/<script type="application\/json" id="r\d+-data">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]!));
}

const count = (html: string, needle: RegExp): number => [...html.matchAll(needle)].length;

let hold: ScenarioRun;
let dtmf: ScenarioRun;
let failed: ScenarioRun;
beforeAll(async () => {
  hold = await runScenario(loadScenarioFile(EXAMPLES + 'hold-retrieve.json'), 'examples/hold-retrieve.json', 26600);
  dtmf = await runScenario(loadScenarioFile(EXAMPLES + 'dtmf.json'), 'examples/dtmf.json', 26610);
  failed = await runScenario(loadScenario(FAILING), 'inline <busy>.json', 26620);
}, 60_000);

describe('escaping', () => {
  it('escapes HTML text and attributes, and JSON for a script element', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const json = jsonForScript({ raw: EVIL });
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual({ raw: EVIL });
  });

  it('no text from the run becomes markup: only our own script runs, data blocks round-trip', () => {
    for (const run of [syntheticRun(60, { fail: true }), failed]) {
      const html = renderHtmlReport([run], { generatedAt: 0 });
      // (Boolean checks: a failing match would print the whole page.)
      expect(html.includes('<script>alert')).toBe(false);
      expect(html.includes('<img')).toBe(false);
      expect(html.includes(']]>')).toBe(false);
      for (const block of html.match(/<script type="application\/json"[\s\S]*?<\/script>/g)!) expect(/[\u2028\u2029]/.test(block)).toBe(false);
      // <script>: the page's own script, and one JSON data block per run.
      expect(count(html, /<script/g)).toBe(2);
      expect(count(html, /<script type="application\/json"/g)).toBe(1);
      expect(count(html, /<\/script>/g)).toBe(2);
      // Every message comes back whole from the data block.
      const [data] = dataBlocks(html);
      expect(data!.arrows.map((a) => a.raw)).toEqual(buildLadder(run).arrows.map((a) => a.raw));
      // No tag carries an event handler.
      for (const t of tags(html)) expect([...t.attrs.keys()].filter((k) => k.startsWith('on')), t.name).toEqual([]);
    }
    const html = renderHtmlReport([failed], { generatedAt: 0 });
    expect(html).toContain('busy &lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; ]]&gt;');
    expect(html).toContain('486 Busy &lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
  });
});

describe('self-contained', () => {
  it('refers to nothing outside itself, and its policy allows nothing but its own script', () => {
    const html = renderHtmlReport([hold, failed, syntheticRun(100)], { generatedAt: 0 });
    const page = tags(html);
    for (const t of page) {
      expect(['link', 'img', 'iframe', 'object', 'embed', 'base', 'image', 'use', 'audio', 'video', 'source', 'form'], t.name).not.toContain(t.name);
      for (const [k, v] of t.attrs) {
        if (['src', 'href', 'xlink:href', 'action', 'formaction', 'poster', 'data', 'srcset', 'background'].includes(k)) expect(v, `${t.name} ${k}`).toMatch(/^#[\w-]+$/);
        expect(v, `${t.name} ${k}`).not.toMatch(/(?:https?:)?\/\/|url\(|javascript:/i);
      }
      if (t.name === 'script') expect([...t.attrs.keys()]).not.toContain('src');
    }
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(style).not.toMatch(/@import|url\(|https?:/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(?:https?:)?\/\//i);
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(script).not.toMatch(/fetch\(|XMLHttpRequest|WebSocket|import\(|https?:/);
    const csp = page.find((t) => t.name === 'meta' && t.attrs.get('http-equiv') === 'Content-Security-Policy')!.attrs.get('content')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
  });
});

describe('the ladder', () => {
  it('has one focusable arrow per SIP message, with unique ids', () => {
    for (const run of [hold, dtmf, failed]) {
      const html = renderHtmlReport([run], { generatedAt: 0 });
      const arrows = tags(html).filter((t) => t.name === 'g' && (t.attrs.get('class') ?? '').split(' ').includes('arrow'));
      // Between instances of the run every message is sent by one of them: one arrow per sent message.
      expect(arrows.length).toBe(run.sip.filter((e) => e.direction === 'sent').length);
      expect(arrows.length).toBe(buildLadder(run).arrows.length);
      expect(new Set(arrows.map((a) => a.attrs.get('id'))).size).toBe(arrows.length);
      expect(arrows.every((a) => a.attrs.get('tabindex') === '0' && a.attrs.get('role') === 'button')).toBe(true);
      expect(arrows.map((a) => a.attrs.get('aria-label'))).toContain(arrows[0]!.attrs.get('aria-label'));
    }
  });

  it('marks retransmissions, names each call in the legend, and reaches parties outside the run', () => {
    const run = syntheticRun(70);
    const ladder = buildLadder(run);
    const html = renderHtmlReport([run], { generatedAt: 0 });
    const retrans = ladder.arrows.filter((a) => a.retransmission).length;
    expect(retrans).toBeGreaterThan(0);
    expect(count(html, /class="row arrow c\d retrans"/g)).toBe(retrans);
    expect(count(html, /class="f-call"/g)).toBe(ladder.calls.length);
    for (const c of ladder.calls) expect(html).toContain(`<b>${escapeHtml(c.label)}</b>`);
    expect(html).toContain('lh-col remote');
    expect(html).toContain('10.0.0.1:5060');
  });

  it('puts media marks between the messages they happened between', () => {
    const ladder = buildLadder(hold);
    const rows = ladderRows(hold, ladder);
    const words = rows.map((r) => (r.kind === 'arrow' ? `${r.arrow.label} ${r.arrow.cseq}` : r.kind === 'media' ? hold.media[r.media]!.kind + ':' + hold.media[r.media]!.by : 'fail'));
    const held = words.indexOf('held:us');
    const resumed = words.indexOf('resumed:us');
    expect(words.slice(0, held)).toContain('ACK 2 ACK');
    expect(words.slice(0, held)).not.toContain('INVITE 3 INVITE');
    expect(words.slice(held, resumed)).toContain('INVITE 3 INVITE');
    expect(words.slice(resumed)).toContain('BYE 4 BYE');
    expect(rows.filter((r) => r.kind === 'arrow').length).toBe(ladder.arrows.length);
    const html = renderHtmlReport([hold], { generatedAt: 0 });
    // A hold bar on each side (alice held, bob was held), from held to resumed.
    expect(count(html, /class="period hold c\d"/g)).toBe(2);
  });

  it('marks every DTMF digit on its call', () => {
    const html = renderHtmlReport([dtmf], { generatedAt: 0 });
    const digits = dtmf.media.filter((m) => m.kind.startsWith('dtmf')).length;
    expect(digits).toBe(12);
    expect(count(html, /class="row mark dtmf dtmf-(sent|received) c0"/g)).toBe(digits);
    expect(count(html, /class="pt dtmf-(sent|received) c0"/g)).toBe(digits);
    const marks = mediaMarks(dtmf, buildLadder(dtmf));
    expect(marks.events.every((m) => m.call === 0)).toBe(true);
  });
});

describe('verdict and failure', () => {
  it('shows a failure first: the node, its instance, the reason, the messages around it and a jump to them', () => {
    const html = renderHtmlReport([failed], { generatedAt: 0 });
    const section = html.slice(html.indexOf('<section'));
    expect(section.indexOf('class="badge" id="r0-verdict">FAILED<')).toBeGreaterThan(0);
    const failure = section.indexOf('class="failure"');
    expect(failure).toBeGreaterThan(0);
    expect(failure).toBeLessThan(section.indexOf('SIP ladder'));
    expect(section.indexOf('SIP ladder')).toBeLessThan(section.indexOf('Node timeline'));
    const block = section.slice(failure, section.indexOf('</div>', section.indexOf('class="excerpt"')));
    expect(block).toContain('<code>alice.steps[0]</code> <b>MakeCall</b>');
    expect(block).toContain('on instance <b>alice</b> (100)');
    expect(block).toContain(escapeHtml(failed.failure!.message));
    expect(block).toContain('href="#r0-fail"');
    expect(block).toMatch(/486 Busy/);
    expect(section).toContain('id="r0-fail"');
    // The failed node's bar, coloured failed, with the error in its tooltip.
    const bar = /<div class="bar s-failed fatal" id="(r0-n\d+)"[^>]*>(.*?)<\/div>/.exec(section)!;
    expect(bar[2]).toContain(escapeHtml('MakeCall failed: 486 Busy </script>'));
    expect(block).toContain(`href="#${bar[1]}"`);
  });

  it('says passed, stopped and invalid runs for what they are, each first in its section', () => {
    const refused = new ScenarioRecorder({ file: 'broken.json', now: () => 0 });
    refused.refuse('invalid', 'broken.json:3:5: unknown command "MakeCal" <did you mean MakeCall?>');
    const stopped = new ScenarioRecorder({ file: 'stopped.json', now: () => 0 });
    stopped.onStopped({ type: 'scenario:stopped', scenarioId: 'stopped', timestamp: 5 });
    const html = renderHtmlReport([hold, stopped.record(), refused.record()], { title: 'nightly', generatedAt: 0 });
    const sections = html.split('<section').slice(1);
    expect(sections.map((s) => /class="badge" id="r\d-verdict">(\w+)</.exec(s)![1])).toEqual(['PASSED', 'STOPPED', 'INVALID']);
    for (const s of sections) expect(s.indexOf('class="verdict"')).toBeLessThan(200);
    expect(sections[2]).toContain('unknown command &quot;MakeCal&quot; &lt;did you mean MakeCall?&gt;');
    expect(sections[2]).not.toContain('SIP ladder');
    expect(html).toContain('<title>nightly</title>');
    // The summary at the top lists every run with its verdict and links to it.
    expect(html.indexOf('<ol class="runs">')).toBeLessThan(html.indexOf('<section'));
    expect(count(html, /<li class="v-\w+"><a href="#r\d">/g)).toBe(3);
  });

  it('draws one timeline bar per node run, coloured by how it ended', () => {
    for (const run of [hold, failed]) {
      const html = renderHtmlReport([run], { generatedAt: 0 });
      const spans = nodeSpans(run);
      expect(count(html, /<div class="bar s-/g)).toBe(spans.length);
      for (const state of ['completed', 'failed', 'stopped'] as const) expect(count(html, new RegExp(`<div class="bar s-${state}`, 'g'))).toBe(spans.filter((s) => s.state === state).length);
    }
  });
});

describe('a 1,000-message run', () => {
  it('renders in well under a second per thousand messages, about 1 KB of page per message', () => {
    const run = syntheticRun(1000, { fail: true });
    const started = performance.now();
    const html = renderHtmlReport([run], { generatedAt: 0 });
    const ms = performance.now() - started;
    const bytes = Buffer.byteLength(html);
    console.log(`1,000-message report: ${(bytes / 1024).toFixed(0)} KiB, rendered in ${ms.toFixed(0)} ms`);
    expect(count(html, /<g class="row arrow /g)).toBe(1000);
    expect(ms).toBeLessThan(1500);
    const raw = run.sip.filter((e) => e.direction === 'sent' || e.remote.port === 5060).reduce((n, e) => n + e.raw.length, 0);
    expect(bytes).toBeLessThan(raw * 1.3 + 1000 * 1200);
  });
});
