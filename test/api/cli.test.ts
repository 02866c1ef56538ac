// The sipflow CLI: exit codes 0 (ok), 1 (malformed message), 2 (usage or input error).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/api/cli.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));
const BASIC_CALL = fileURLToPath(new URL('../../examples/basic-call.json', import.meta.url));

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(existsSync(CLI))('sipflow CLI (built dist/)', () => {
  it('is executable, so npx sipflow can run it', () => {
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
  });

  it('prints the version and help', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = run(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('parse <file|->');
  });

  it('parses a message file and prints its fields', () => {
    const r = run(['parse', `${FIXTURES}wsinv.dat`]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { method: string; callId: string; vias: string[] };
    expect(out.method).toBe('INVITE');
    expect(out.callId).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(out.vias).toHaveLength(3);
  });

  it('reads standard input with -', () => {
    const r = run(['parse', '-'], 'OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: x1\r\n\r\n');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).callId).toBe('x1');
  });

  it('exits 1 with the reason for a malformed message', () => {
    const r = run(['parse', `${FIXTURES}badaspec.dat`]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: 'SipParseError', header: 'To' });
  });

  it('exits 2 on usage errors and unreadable files', () => {
    expect(run([]).status).toBe(2);
    expect(run(['frobnicate']).status).toBe(2);
    expect(run(['parse']).status).toBe(2);
    const missing = run(['parse', '/nonexistent/file.sip']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });

  it('stops as on Ctrl-C when its reader goes away (| head), ending its calls, without an EPIPE crash', async () => {
    // Ports 29170–29173.
    const child = spawn(process.execPath, [CLI, 'load', BASIC_CALL, '--format', 'json', '--warmup', '0', '--rate', '20', '--stats-interval', '0.2', '--port-base', '29170'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // The first line read, the reader goes: the next write finds the pipe closed.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|internal error/);
    expect(stderr).toContain('Interrupted: stopping the load and ending its calls');
    expect(code).toBe(1);
  }, 30_000);
});

describe.skipIf(existsSync(CLI))('sipflow CLI', () => {
  it('needs a build first (npm run build)', () => {
    console.warn('skipping CLI tests: dist/api/cli.js is missing; run npm run build');
  });
});
