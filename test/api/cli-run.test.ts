// `sipflow run`, `validate` and `convert`, run in-process through main() with collected streams
// (and a few times as the built binary, as a user runs it): exit codes, what each format prints,
// the reports written, --var, --timeout, Ctrl-C, usage errors and the help.
//
// Ports: this file uses 27500–28999 only (--port-base), 10 per run.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_USAGE } from '../../src/api/cli/help.js';
import { LOAD_FLAGS, STATS_FLAGS } from '../../src/api/cli/load-command.js';
import { RUN_FLAGS } from '../../src/api/cli/run-command.js';
import { CONVERT_FLAGS, VALIDATE_FLAGS } from '../../src/api/cli/scenario-commands.js';
import { createResponse, parseMessage, serializeMessage } from '../../src/sip/parser/index.js';
import { cli } from './cli-harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const example = (name: string): string => join(ROOT, 'examples', name);
const tmp = mkdtempSync(join(tmpdir(), 'sipflow-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let nextPort = 27500;
const ports = (): string => {
  const base = nextPort;
  nextPort += 10;
  if (nextPort > 28999) throw new Error('cli-run.test.ts ran out of its ports');
  return String(base);
};


/** Writes a scenario into the temp folder; returns its path. */
function scenario(name: string, value: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
}

const failing = {
  name: 'busy callee',
  instances: {
    alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: '200' }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 486 }] },
  },
};

const slow = { instances: { alice: { dn: '100', steps: [{ id: 'wait', event: 'TIMEOUT', timeout: 10_000 }] } } };

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

describe('sipflow run (pretty)', () => {
  it('runs a two-party call: the SIP ladder, then PASSED; exit 0', async () => {
    const r = await cli(['run', example('basic-call.json'), '--port-base', ports()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('▶ ');
    expect(r.stdout).toMatch(/alice \(100\)\s+bob \(200\)/);
    for (const label of ['INVITE', '180 Ringing', '200 OK', 'ACK', 'BYE']) expect(r.stdout).toContain(label);
    expect(r.stdout).toMatch(/✔ PASSED .*basic-call\.json \(2 instances, \d+ SIP messages, /);
    // Not a terminal: no colours, no redrawing; a line per node as it ends.
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stdout).toMatch(/alice MakeCall\s+completed/);
  }, 20_000);

  it('a failed run: FAILED, the node, its instance and the reason, and the messages around it; exit 1', async () => {
    const r = await cli(['run', scenario('busy.json', failing), '--port-base', ports()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✘ FAILED .*busy\.json/);
    expect(r.stdout).toContain('node dial, instance alice: MakeCall failed: 486 Busy Here');
    // Four messages: the ladder above is all there is, so it is not repeated.
    expect(r.stdout).not.toContain('Messages around the failure:');
    // With a longer call before the failure, the messages around it are shown again.
    const late = await cli(['run', scenario('late.json', { instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Hold', 'Retrieve', 'Hold', 'Retrieve', { id: 'wait', event: 'DTMFReceived', expectedDigit: '5', timeout: 200 }] }, bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] } } }), '--port-base', ports()]);
    expect(late.code).toBe(1);
    expect(late.stdout).toContain('node wait, instance alice: ');
    expect(late.stdout).toContain('Messages around the failure:');
    expect(late.stdout).toMatch(/… \d+ earlier messages/);
  }, 20_000);

  it('an invalid scenario: every error with file:line:column on stderr; exit 2, and the other files still run', async () => {
    const bad = scenario('bad.json', '{\n  "instances": {\n    "alice": { "steps": [ "MakeCal" ] }\n  }\n}\n');
    const r = await cli(['run', bad, example('basic-call.json'), '--port-base', ports()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json:3:\d+: error: .*MakeCal.*did you mean MakeCall\?/);
    expect(r.stdout).toMatch(/✘ INVALID .*bad\.json/);
    expect(r.stdout).toMatch(/✔ PASSED .*basic-call\.json/);
    expect(r.stdout).toContain('2 scenarios: 1 passed, 1 invalid');
  }, 20_000);

  it('a directory runs every .json/.jsonc file in it, by name', async () => {
    const dir = mkdtempSync(join(tmp, 'dir-'));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(failing));
    writeFileSync(join(dir, 'a.jsonc'), '// a comment\n' + readFileSync(example('basic-call.json'), 'utf8'));
    writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
    const r = await cli(['run', dir, '--port-base', ports()]);
    expect(r.code).toBe(1);
    expect(r.stdout.indexOf('a.jsonc')).toBeLessThan(r.stdout.indexOf('b.json'));
    expect(r.stdout).toContain('2 scenarios: 1 passed, 1 failed');
    expect(r.stdout).not.toContain('notes.txt');
  }, 30_000);

  it('--verbose adds every action log and every SIP message in full', async () => {
    const r = await cli(['run', example('basic-call.json'), '--port-base', ports(), '--verbose']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MakeCall to 200');
    expect(r.stdout).toMatch(/│ INVITE sip:200@127\.0\.0\.1:\d+ SIP\/2\.0/);
    expect(r.stdout).toMatch(/│ Call-ID: /);
    expect(r.stdout).toContain('Cleanup completed');
  }, 20_000);

  it('on a terminal: colours and instance lines redrawn in place; NO_COLOR turns colours off', async () => {
    const r = await cli(['run', example('hold-retrieve.json'), '--port-base', ports()], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\x1b\[32m/); // green PASSED
    expect(r.stdout).toMatch(/\x1b\[\d+F\x1b\[J/); // cursor up, clear: a redraw
    expect(r.stdout).toMatch(/alice \(100\).*running/);
    const plain = await cli(['run', example('basic-call.json'), '--port-base', ports()], { tty: true, env: { NO_COLOR: '1' } });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/\x1b\[3\dm/);
  }, 30_000);

  it('--var fills placeholders; a missing one is an invalid scenario', async () => {
    const withVar = scenario('vars.json', { instances: { alice: { dn: '${CALLER}', steps: [{ command: 'MakeCall', targetUri: '${CALLEE}' }, 'Release'] }, bob: { dn: '${CALLEE}', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] } } });
    const ok = await cli(['run', withVar, '--var', 'CALLER=555', '--var=CALLEE=777', '--port-base', ports(), '--verbose']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('MakeCall to 777');
    const missing = await cli(['run', withVar, '--var', 'CALLER=555', '--port-base', ports()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CALLEE');
  }, 20_000);

  it('--timeout stops a scenario that runs too long; it fails (exit 1) and says why', async () => {
    const started = Date.now();
    const r = await cli(['run', scenario('slow.json', slow), '--port-base', ports(), '--timeout', '400']);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.stdout).toContain('the run did not finish within --timeout 400 ms');
  }, 20_000);

  it('Ctrl-C stops the run, cleans up, writes the reports asked for, skips the rest; exit 1', async () => {
    const junit = join(tmp, 'interrupted.xml');
    const r = await cli(['run', scenario('slow2.json', slow), example('basic-call.json'), '--port-base', ports(), '--junit', junit], { interruptAfter: 500 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Interrupted');
    expect(r.stdout).toMatch(/✘ STOPPED .*slow2\.json/);
    expect(r.stdout).not.toContain('basic-call.json');
    expect(readFileSync(junit, 'utf8')).toContain('slow2.json');
  }, 20_000);
});

describe('sipflow run --format json', () => {
  it('prints one JSON object per line for every run event, and nothing else', async () => {
    const r = await cli(['run', example('basic-call.json'), '--format', 'json', '--port-base', ports()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { v: number; file: string; type: string });
    for (const e of events) expect(e).toMatchObject({ v: 1, file: example('basic-call.json') });
    const types = new Set(events.map((e) => e.type));
    for (const t of ['scenario:started', 'scenario:node-state', 'scenario:action-log', 'sip', 'scenario:completed']) expect(types).toContain(t);
    expect(events.at(-1)!.type).toBe('scenario:completed');
  }, 20_000);

  it('--rtp adds a line per RTP/RTCP packet, in stream order with the rest; without --format json it is a usage error', async () => {
    const r = await cli(['run', example('basic-call.json'), '--format', 'json', '--rtp', '--port-base', ports()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; protocol?: string; data?: string });
    const rtp = lines.filter((l) => l.type === 'rtp');
    expect(rtp.length).toBeGreaterThan(50);
    expect(new Set(rtp.map((l) => l.protocol))).toEqual(new Set(['rtp', 'rtcp']));
    expect(Buffer.from(rtp[0]!.data!, 'base64')[0]! >> 6).toBe(2);
    expect(lines.at(-1)!.type).toBe('scenario:completed');
    expect((await cli(['run', example('basic-call.json'), '--rtp'])).stderr).toContain('--rtp adds packet lines to --format json');
  }, 20_000);

  it('an invalid scenario is a scenario:not-run line with its diagnostics; exit 2', async () => {
    const r = await cli(['run', scenario('bad2.json', { instances: { a: { steps: ['Frobnicate'] } } }), '--format', 'json']);
    expect(r.code).toBe(2);
    const line = JSON.parse(r.stdout.trim()) as { type: string; status: string; diagnostics: Array<{ message: string }> };
    expect(line).toMatchObject({ type: 'scenario:not-run', status: 'invalid' });
    expect(line.diagnostics[0]!.message).toContain('Frobnicate');
  });
});

describe('reports', () => {
  it('--report, --junit and --pcap write their files from the runs', async () => {
    const html = join(tmp, 'run.html');
    const xml = join(tmp, 'junit.xml');
    const pcap = join(tmp, 'run.pcap');
    const r = await cli(['run', example('basic-call.json'), scenario('busy2.json', failing), '--port-base', ports(), '--report', html, '--junit', xml, '--pcap', pcap]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`HTML report written to ${html}`);
    const page = readFileSync(html, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>') || page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('busy2.json');
    const junit = readFileSync(xml, 'utf8');
    expect(junit).toContain('<testsuites');
    expect(junit).toMatch(/<failure[^>]*486/);
    const capture = readFileSync(pcap);
    expect(capture.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(capture.byteLength).toBeGreaterThan(5000); // SIP and RTP
  }, 30_000);

  it('a report that cannot be written is an error (exit 2), and the others are still written', async () => {
    const xml = join(tmp, 'still.xml');
    const r = await cli(['run', example('basic-call.json'), '--port-base', ports(), '--report', join(tmp, 'no-such-dir', 'r.html'), '--junit', xml]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot write the HTML report');
    expect(existsSync(xml)).toBe(true);
  }, 20_000);
});

describe('sipflow validate and convert', () => {
  it('validate: valid files say so; errors and warnings with file:line:column; exit 2 on errors', async () => {
    const ok = await cli(['validate', example('basic-call.json'), example('hold-retrieve.sipflow.json')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/✔ .*basic-call\.json: valid \(compact format, 2 instances, \d+ nodes\)/);
    expect(ok.stdout).toMatch(/✔ .*hold-retrieve\.sipflow\.json: valid \(sipflow format/);
    const bad = await cli(['validate', scenario('bad3.json', '{\n  "instances": { "a": { "steps": [ { "command": "MakeCall" } ] } }\n}\n')]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/bad3\.json:2:\d+: error: .*targetUri/);
    const json = await cli(['validate', example('basic-call.json'), '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, format: 'compact', diagnostics: [] });
  });

  it('convert: sipflow flow JSON to compact and back gives a scenario that validates, placeholders kept', async () => {
    const compact = await cli(['convert', example('hold-retrieve.sipflow.json')]);
    expect(compact.code).toBe(0);
    const back = scenario('converted.json', compact.stdout);
    expect((await cli(['validate', back])).code).toBe(0);
    const flow = await cli(['convert', back, '--to', 'sipflow']);
    expect(flow.code).toBe(0);
    expect(JSON.parse(flow.stdout)).toHaveProperty('nodes');
    const kept = await cli(['convert', example('pbx/register-and-call.json')]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('${ALICE_PASSWORD}');
  });
});

describe('usage', () => {
  it('an unknown command or flag is named, with the usage; exit 2', async () => {
    const cmd = await cli(['frobnicate']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('unknown command "frobnicate"');
    expect(cmd.stderr).toContain('Usage: sipflow <command>');
    const flag = await cli(['run', example('basic-call.json'), '--formt', 'json']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('unknown option --formt (did you mean --format?)');
    expect(flag.stderr).toContain('Usage: sipflow run');
    expect((await cli(['run'])).code).toBe(2);
    expect((await cli(['run', example('basic-call.json'), '--format', 'xml'])).stderr).toContain('--format must be pretty or json');
    expect((await cli(['run', example('basic-call.json'), '--port-base', 'abc'])).code).toBe(2);
    expect((await cli(['run', join(tmp, 'missing.json')])).stderr).toContain('no such file or directory');
  });

  it('every command has --help, listing every flag it takes', async () => {
    for (const [command, flags] of [
      ['run', RUN_FLAGS],
      ['validate', VALIDATE_FLAGS],
      ['convert', CONVERT_FLAGS],
      ['load', LOAD_FLAGS],
      ['stats', STATS_FLAGS],
    ] as const) {
      const r = await cli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(COMMAND_USAGE[command] + '\n');
      for (const flag of Object.keys(flags)) expect(r.stdout, `${command} --help names --${flag}`).toContain(`--${flag}`);
    }
    expect((await cli(['--help'])).stdout).toContain('run <scenario|dir>');
    expect((await cli(['help', 'run'])).stdout).toBe(COMMAND_USAGE.run + '\n');
  });
});

const BIN = join(ROOT, 'dist/api/cli.js');
describe.runIf(existsSync(BIN))('the built binary, as a user runs it', () => {
  function spawnCli(args: string[]): { done: Promise<{ code: number | null; stdout: string }>; kill: (signal: NodeJS.Signals) => void } {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const done = new Promise<{ code: number | null; stdout: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout })));
    return { done, kill: (s) => child.kill(s) };
  }

  it('sipflow run examples/basic-call.json passes and exits 0 by itself', async () => {
    const { done } = spawnCli(['run', 'examples/basic-call.json', '--port-base', ports()]);
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASSED');
  }, 20_000);

  it('SIGINT during a run: cleanup, reports written, exit 1', async () => {
    const xml = join(tmp, 'sigint.xml');
    const { done, kill } = spawnCli(['run', scenario('slow3.json', slow), '--port-base', ports(), '--junit', xml]);
    await new Promise((r) => setTimeout(r, 1500));
    kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('STOPPED');
    expect(readFileSync(xml, 'utf8')).toContain('slow3.json');
  }, 20_000);

  it('a second SIGINT quits at once (exit 130), while the first one\'s cleanup still waits on a silent peer', async () => {
    // A peer that rings and then says nothing more: the first SIGINT's cleanup CANCELs the call
    // and waits (up to 2 s) for the INVITE's final response, which never comes.
    const silent = createSocket('udp4');
    silent.on('message', (data, from) => {
      const m = parseMessage(new Uint8Array(data));
      if (m.isRequest && m.method === 'INVITE') silent.send(serializeMessage(createResponse(m, 180, undefined, { toTag: 'ringing' })), from.port, from.address);
    });
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const target = `sip:nobody@127.0.0.1:${silent.address().port}`;
      const { done, kill } = spawnCli(['run', scenario('silent-peer.json', { instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: target, timeout: 60_000 }] } } }), '--port-base', ports()]);
      await new Promise((r) => setTimeout(r, 1500));
      kill('SIGINT');
      await new Promise((r) => setTimeout(r, 200));
      const second = performance.now();
      kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      expect(performance.now() - second).toBeLessThan(1000);
    } finally {
      silent.close();
    }
  }, 20_000);
});
