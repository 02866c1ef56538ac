// Secrets (issue 17): a scenario that registers with a digest-challenging registrar, run by the
// CLI with NDJSON, an HTML report and a pcap. The password never appears anywhere, and the
// Authorization's response (the hash that proves the password) is masked in place everywhere,
// unless --unsafe-show-secrets is given. The registrar is a raw UDP socket on 127.0.0.1.
// Ports: 29450 (registrar), 29460+ (instances).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDigestCredentials } from '../../src/sip/dialog/digest.js';
import { RawSip } from '../engine/raw-sip.js';
import { cli } from './cli-harness.js';

const REGISTRAR = 29450;
const PASSWORD = 'S3cret-pass-9f1';
let dir: string;
let registrar: RawSip;
/** The digest responses the instance sent (what must not show). */
const responses: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sipflow-secrets-'));
  registrar = await RawSip.open(REGISTRAR);
  registrar.autoAnswer = false;
  let nonce = 0;
  registrar.onMessage = (m, from) => {
    if (!m.isRequest || m.method !== 'REGISTER') return;
    const auth = m.header('Authorization');
    if (auth === undefined) {
      void registrar.respond(m, 401, from.port, { toTag: 'reg', headers: { 'WWW-Authenticate': `Digest realm="test", nonce="n${++nonce}", qop="auth", algorithm=MD5` } });
      return;
    }
    responses.push(parseDigestCredentials(auth).response);
    const expires = m.header('Expires') ?? '60';
    void registrar.respond(m, 200, from.port, { toTag: 'reg', headers: { Contact: `${m.header('Contact')};expires=${expires}`, Expires: expires } });
  };
  await writeFile(
    join(dir, 'register.json'),
    JSON.stringify({
      name: 'register with a password',
      instances: { alice: { dn: '100', pbxHost: '127.0.0.1', pbxPort: REGISTRAR, password: PASSWORD, steps: [{ event: 'TIMEOUT', timeout: 100 }] } },
    }),
  );
});
afterAll(async () => {
  await registrar.close();
  await rm(dir, { recursive: true, force: true });
});

describe('secrets in the output', () => {
  it('masked by default: stdout (NDJSON), the HTML report and the pcap hold neither the password nor the digest response', async () => {
    responses.length = 0;
    const [report, pcap] = [join(dir, 'masked.html'), join(dir, 'masked.pcap')];
    const ran = await cli(['run', join(dir, 'register.json'), '--format', 'json', '--report', report, '--pcap', pcap, '--port-base', '29460']);
    expect(ran.code, ran.stderr + ran.stdout.slice(-2000)).toBe(0);
    expect(responses.length).toBeGreaterThanOrEqual(2); // REGISTER and the un-REGISTER, each answered a challenge
    const outputs = { stdout: ran.stdout + ran.stderr, report: await readFile(report, 'utf8'), pcap: (await readFile(pcap)).toString('latin1') };
    for (const [name, text] of Object.entries(outputs)) {
      expect(text.includes(PASSWORD), `${name} holds the password`).toBe(false);
      for (const hash of responses) expect(text.includes(hash), `${name} holds a digest response`).toBe(false);
    }
    // Masked in place: the header is there, with its username and the response's length kept.
    expect(ran.stdout).toContain('username=\\"100\\"');
    expect(ran.stdout).toContain(`response=\\"${'*'.repeat(32)}\\"`);
    expect(outputs.pcap).toContain(`response="${'*'.repeat(32)}"`);
  }, 30_000);

  it('--unsafe-show-secrets leaves the digest response readable (the password is never sent, so never shown)', async () => {
    responses.length = 0;
    const ran = await cli(['run', join(dir, 'register.json'), '--format', 'json', '--unsafe-show-secrets', '--port-base', '29470']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(responses.length).toBeGreaterThanOrEqual(2);
    for (const hash of responses) expect(ran.stdout).toContain(hash);
    expect(ran.stdout.includes(PASSWORD)).toBe(false);
  }, 30_000);
});
