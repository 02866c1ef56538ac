// Interop of the ENGINE with a real registrar and proxy: Kamailio (Debian package `kamailio`),
// started by each test on 127.0.0.1 with a configuration the test writes (test/interop/kamailio.ts:
// location table in memory, digest authentication with the passwords in the configuration, 401
// on REGISTER and 407 on INVITE, a record-routing proxy) and stopped at its end.
//   1. alice (1001) and bob (1002) register with passwords, alice calls bob by DN through the
//      proxy, holds, resumes and hangs up: the run passes; the wire shows the challenges and the
//      retried requests with credentials, the INVITE sent to Kamailio, the Record-Route coming
//      back and every in-dialog request routed through it; the cleanup un-REGISTERs both.
//   2. alice calls bob and transfers him (BlindTransfer) to carol (1003) by DN through the proxy:
//      bob is TRANSFERRED, carol answers the call bob places (challenged too); the run passes.
//   3. A wrong password: the run rejects with EngineError `register` naming the status (401),
//      the instances that had started are closed (their ports free, alice un-REGISTERed).
//   4. Register and Unregister steps (register: false): both succeed and Kamailio's location
//      table follows; with a wrong password the Register step fails with the status.
// 5. examples/pbx/register-and-call.json with its variables.
// Ports: 34200–34499 (every test its own block). Without kamailio the tests are skipped, with a
// warning; CI installs it (.ci/run). SIPFLOW_KEEP_KAMAILIO_LOGS=1 keeps Kamailio's files.
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, EngineError, loadScenarioFile, type RunEvent, type RunResult, type SipEvent } from '../../src/engine/index.js';
import { type Kamailio, kamailioMissing, killLeftoverKamailio, startKamailio } from './kamailio.js';

const ALICE_PW = 'alice-Secret.1';
const BOB_PW = 'bob-Secret.2';
const CAROL_PW = 'carol-Secret.3';
/** Distinctive, so that finding it in an error means it leaked. */
const WRONG_PW = 'wrong-pw-Qx93';
const USERS = [
  { user: '1001', password: ALICE_PW },
  { user: '1002', password: BOB_PW },
  { user: '1003', password: CAROL_PW },
];
const TEST_TIMEOUT_MS = 30_000;

const NO_KAMAILIO = kamailioMissing(import.meta.url);
afterEach(killLeftoverKamailio);

/** Runs `body` with a Kamailio on `port`, stopped afterwards (and its log added to a failure). */
async function withKamailio(port: number, body: (k: Kamailio) => Promise<void>): Promise<void> {
  const k = await startKamailio({ port, users: USERS });
  try {
    await body(k);
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- kamailio log (tail) ---\n${k.log().slice(-6000)}`;
    throw err;
  } finally {
    await k.stop();
  }
}

/** A PBX-mode instance of these tests. */
function pbx(k: Kamailio, dn: string, password: string, rest: Record<string, unknown>): Record<string, unknown> {
  return { dn, pbxHost: '127.0.0.1', pbxPort: k.port, password, ...rest };
}

/** A run on a fresh engine with every event collected; `onEvent` sees each as it comes. */
async function run(
  portBase: number,
  scenario: unknown,
  vars: Record<string, string>,
  onEvent?: (e: RunEvent) => void,
): Promise<{ result: RunResult; events: RunEvent[]; engine: Engine }> {
  const engine = new Engine({ portBase, closeTimeoutMs: 1000, notifyGraceMs: 500 });
  const events: RunEvent[] = [];
  engine.on((e) => {
    events.push(e);
    onEvent?.(e);
  });
  const result = await engine.run(scenario, { env: {}, vars });
  return { result, events, engine };
}

const sipOf = (events: readonly RunEvent[], instanceId: string): SipEvent[] => events.filter((e): e is SipEvent => e.type === 'sip' && e.instanceId === instanceId);
const logsOf = (events: readonly RunEvent[]): string[] => events.flatMap((e) => (e.type === 'scenario:action-log' ? [e.message] : []));
const header = (raw: string, name: string): string[] => [...raw.matchAll(new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'gmi'))].map((m) => m[1]!);
const firstLine = (raw: string): string => raw.slice(0, raw.indexOf('\r\n'));
/** A request's method of a response, from its CSeq. */
const cseqMethod = (e: SipEvent): string => e.cseq.split(' ')[1] ?? '';

/** One line per event, for failure messages. */
function story(events: readonly RunEvent[]): string {
  return events
    .map((e) => {
      switch (e.type) {
        case 'scenario:node-state':
          return `${e.nodeId}: ${e.previousState} > ${e.newState}${e.error !== undefined ? ` (${e.error})` : ''}`;
        case 'scenario:action-log':
          return `[${e.level}] ${e.instanceId} ${e.nodeId}: ${e.message}`;
        case 'sip':
          return `${e.instanceId} ${e.direction} ${e.direction === 'sent' ? 'to' : 'from'} ${e.remote.port}: ${firstLine(e.raw)} (${e.cseq})`;
        default:
          return e.type;
      }
    })
    .join('\n');
}

/**
 * Checks that a challenged request of `instanceId` was answered the RFC 3261 §22.2 way: the first
 * `method` went to Kamailio without credentials, got `status` (401/407) with a challenge for realm
 * 127.0.0.1, and the next `method` (same Call-ID, CSeq one higher) carries the credentials header.
 */
function expectChallengeAnswered(events: readonly RunEvent[], instanceId: string, method: string, status: 401 | 407, kPort: number, why: string): void {
  const sip = sipOf(events, instanceId);
  const first = sip.findIndex((e) => e.direction === 'sent' && e.method === method);
  expect(first, why).toBeGreaterThanOrEqual(0);
  const request = sip[first]!;
  expect(request.remote, why).toEqual({ address: '127.0.0.1', port: kPort });
  expect(header(request.raw, status === 401 ? 'Authorization' : 'Proxy-Authorization'), why).toEqual([]);
  const challenge = sip.find((e, i) => i > first && e.direction === 'received' && e.status === status && e.sipCallId === request.sipCallId && cseqMethod(e) === method);
  expect(challenge, why).toBeDefined();
  const challengeHeader = header(challenge!.raw, status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
  expect(challengeHeader.join(), why).toMatch(/^Digest .*realm="127\.0\.0\.1"/);
  const retry = sip.find((e, i) => i > first && e.direction === 'sent' && e.method === method && e.sipCallId === request.sipCallId && e.cseq !== request.cseq);
  expect(retry, why).toBeDefined();
  expect(Number(retry!.cseq.split(' ')[0]), why).toBe(Number(request.cseq.split(' ')[0]) + 1);
  const credentials = header(retry!.raw, status === 401 ? 'Authorization' : 'Proxy-Authorization');
  expect(credentials.length, why).toBe(1);
  expect(credentials[0], why).toMatch(new RegExp(`^Digest .*username="${instanceId === 'alice' ? 1001 : instanceId === 'bob' ? 1002 : 1003}"`));
  expect(credentials[0], why).toMatch(/realm="127\.0\.0\.1"/);
}

/**
 * RFC 3261 §12.1.1: "the UAS MUST copy all Record-Route header field values from the request into
 * the response" that establishes a dialog (the 2xx, and a 1xx with a To tag), in order. Checks
 * every 18x and 200 `instanceId` sent to the `invite` it received.
 */
function expectRecordRouteCopied(events: readonly RunEvent[], instanceId: string, invite: SipEvent, why: string): void {
  const recordRoute = header(invite.raw, 'Record-Route');
  const responses = sipOf(events, instanceId).filter((e) => e.direction === 'sent' && e.status !== undefined && e.status > 100 && e.status < 300 && e.sipCallId === invite.sipCallId && e.cseq === invite.cseq);
  expect(responses.map((e) => e.status), why).toContain(200);
  for (const r of responses) {
    expect(header(r.raw, 'Record-Route'), `${instanceId}'s ${r.status} to the INVITE it got through the proxy must copy its Record-Route (RFC 3261 §12.1.1)\n${why}`).toEqual(recordRoute);
  }
}

/** Whether UDP 127.0.0.1:`port` can be bound now (the instance that had it closed its socket). */
async function udpFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => s.close(() => resolve())).catch(() => undefined);
  }
}

describe.skipIf(NO_KAMAILIO)('engine ↔ Kamailio registrar and record-routing proxy (UDP, 127.0.0.1)', () => {
  it('two instances register with passwords, call by DN through the proxy, hold, resume and hang up', async () => {
    const K_PORT = 34200;
    const PORT_BASE = 34210;
    await withKamailio(K_PORT, async (k) => {
      let atStart: Promise<boolean[]> | undefined;
      const { result, events, engine } = await run(
        PORT_BASE,
        {
          name: 'call through Kamailio',
          instances: {
            alice: pbx(k, '1001', '${ALICE_PW}', {
              steps: [
                { command: 'MakeCall', targetUri: '1002' },
                { event: 'TIMEOUT', timeout: 200 },
                'Hold',
                { event: 'TIMEOUT', timeout: 200 },
                'Retrieve',
                { event: 'TIMEOUT', timeout: 200 },
                'Release',
              ],
            }),
            bob: pbx(k, '1002', '${BOB_PW}', { steps: ['INCOMING', 'Answer', 'HELD', 'RETRIEVED', 'DISCONNECTED'] }),
          },
        },
        { ALICE_PW, BOB_PW },
        (e) => void (e.type === 'scenario:started' && (atStart = Promise.all([k.isRegistered('1001'), k.isRegistered('1002')]))),
      );
      const why = `${result.failure?.message ?? ''}\n${story(events)}`;
      expect(result.status, why).toBe('passed');
      expect(result.nodes.filter((n) => n.state !== 'completed'), why).toEqual([]);
      expect(result.instances.map((i) => [i.id, i.mode, i.address]), why).toEqual([
        ['alice', 'pbx', { address: '127.0.0.1', port: PORT_BASE }],
        ['bob', 'pbx', { address: '127.0.0.1', port: PORT_BASE + 2 }],
      ]);

      // Both registered before the chains started (digest: 401, then Authorization), and
      // Kamailio had both bindings then; the cleanup removed them.
      const logs = logsOf(events);
      expect(logs, why).toContain('Registered DN 1001');
      expect(logs, why).toContain('Registered DN 1002');
      expect(await atStart, why).toEqual([true, true]);
      expectChallengeAnswered(events, 'alice', 'REGISTER', 401, K_PORT, why);
      expectChallengeAnswered(events, 'bob', 'REGISTER', 401, K_PORT, why);
      expect([await k.isRegistered('1001'), await k.isRegistered('1002')], why).toEqual([false, false]);

      // The INVITE goes to Kamailio (sip:1002@127.0.0.1:<port>) and is challenged (407) and
      // retried with Proxy-Authorization.
      const alice = sipOf(events, 'alice');
      const invites = alice.filter((e) => e.direction === 'sent' && e.method === 'INVITE');
      expect(firstLine(invites[0]!.raw), why).toBe(`INVITE sip:1002@127.0.0.1:${K_PORT} SIP/2.0`);
      expectChallengeAnswered(events, 'alice', 'INVITE', 407, K_PORT, why);

      // Bob gets it from Kamailio, addressed to his registered contact, with Kamailio's
      // Record-Route, which his 180 and 200 copy (RFC 3261 §12.1.1) so that it comes back to alice.
      const bob = sipOf(events, 'bob');
      const bobInvite = bob.find((e) => e.direction === 'received' && e.method === 'INVITE');
      expect(bobInvite?.remote, why).toEqual({ address: '127.0.0.1', port: K_PORT });
      expect(firstLine(bobInvite!.raw), why).toMatch(new RegExp(`^INVITE sip:1002@127\\.0\\.0\\.1:${PORT_BASE + 2}[;> ]`));
      const recordRoute = header(bobInvite!.raw, 'Record-Route');
      expect(recordRoute.length, why).toBe(1);
      expect(recordRoute[0], why).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${K_PORT};lr`));
      expectRecordRouteCopied(events, 'bob', bobInvite!, why);
      const ok = alice.find((e) => e.direction === 'received' && e.status === 200 && cseqMethod(e) === 'INVITE');
      expect(ok, why).toBeDefined();
      expect(header(ok!.raw, 'Record-Route'), why).toEqual(recordRoute);

      // Every request of the dialog (ACK, the two re-INVITEs, BYE) goes through Kamailio, with
      // its Route, to bob's Contact; bob received the two re-INVITEs and the BYE from Kamailio.
      const inDialog = alice.slice(alice.indexOf(ok!) + 1).filter((e) => e.direction === 'sent' && e.sipCallId === ok!.sipCallId && e.method !== undefined);
      expect(inDialog.map((e) => e.method), why).toEqual(['ACK', 'INVITE', 'ACK', 'INVITE', 'ACK', 'BYE']);
      for (const e of inDialog) {
        expect(e.remote, why).toEqual({ address: '127.0.0.1', port: K_PORT });
        expect(header(e.raw, 'Route'), why).toEqual(recordRoute);
        expect(firstLine(e.raw), why).toMatch(new RegExp(`^${e.method} sip:1002@127\\.0\\.0\\.1:${PORT_BASE + 2}[;> ]`));
      }
      expect(inDialog[1]!.raw, why).toMatch(/^a=sendonly\r?$/m);
      expect(inDialog[3]!.raw, why).toMatch(/^a=sendrecv\r?$/m);
      const bobGot = bob.filter((e) => e.direction === 'received' && e.method !== undefined).map((e) => `${e.method} ${e.remote.port}`);
      expect(bobGot, why).toEqual(['INVITE', 'ACK', 'INVITE', 'ACK', 'INVITE', 'ACK', 'BYE'].map((m) => `${m} ${K_PORT}`));
      expect(logs, why).toContain('Call HELD by remote party');
      expect(logs, why).toContain('Call RETRIEVED by remote party');

      expect(result.calls.map((c) => [c.instanceId, c.direction, c.peer, c.end?.reason]), why).toEqual([
        ['alice', 'outgoing', '1002', 'local-bye'],
        ['bob', 'incoming', '1001', 'remote-bye'],
      ]);
      expect(result.calls[0]!.sipCallId, why).toBe(result.calls[1]!.sipCallId);
      // Passwords are in no log or failure text.
      expect(logs.join('\n'), why).not.toContain(ALICE_PW);
      expect(logs.join('\n'), why).not.toContain(BOB_PW);
      expect(engine.running).toBe(false);
    });
  }, TEST_TIMEOUT_MS);

  it('a blind transfer through the proxy: alice transfers bob to carol by DN, bob is TRANSFERRED, carol answers', async () => {
    const K_PORT = 34240;
    const PORT_BASE = 34250;
    await withKamailio(K_PORT, async (k) => {
      const { result, events } = await run(
        PORT_BASE,
        {
          name: 'blind transfer through Kamailio',
          instances: {
            alice: pbx(k, '1001', '${ALICE_PW}', {
              steps: [{ command: 'MakeCall', targetUri: '1002' }, { event: 'TIMEOUT', timeout: 200 }, { command: 'BlindTransfer', targetUri: '1003' }],
            }),
            bob: pbx(k, '1002', '${BOB_PW}', { steps: ['INCOMING', 'Answer', 'TRANSFERRED', { event: 'TIMEOUT', timeout: 300 }, 'Release'] }),
            carol: pbx(k, '1003', '${CAROL_PW}', { steps: ['INCOMING', 'Answer', 'DISCONNECTED'] }),
          },
        },
        { ALICE_PW, BOB_PW, CAROL_PW },
      );
      const why = `${result.failure?.message ?? ''}\n${story(events)}`;
      expect(result.status, why).toBe('passed');
      expect(result.nodes.filter((n) => n.state !== 'completed'), why).toEqual([]);
      const logs = logsOf(events);
      for (const dn of ['1001', '1002', '1003']) expect(logs, why).toContain(`Registered DN ${dn}`);

      // Both answering UASs copy Kamailio's Record-Route into their 180 and 200 (RFC 3261 §12.1.1).
      const bobGot = sipOf(events, 'bob').find((e) => e.direction === 'received' && e.method === 'INVITE');
      expect(header(bobGot!.raw, 'Record-Route').length, why).toBe(1);
      expectRecordRouteCopied(events, 'bob', bobGot!, why);
      const carolGot = sipOf(events, 'carol').find((e) => e.direction === 'received' && e.method === 'INVITE');
      expect(header(carolGot!.raw, 'Record-Route').length, why).toBe(1);
      expectRecordRouteCopied(events, 'carol', carolGot!, why);
      // The REFER goes through Kamailio in alice and bob's dialog; Refer-To names carol's DN at the PBX.
      const refer = sipOf(events, 'alice').find((e) => e.direction === 'sent' && e.method === 'REFER');
      expect(refer?.remote, why).toEqual({ address: '127.0.0.1', port: K_PORT });
      expect(header(refer!.raw, 'Refer-To').join(), why).toMatch(new RegExp(`^<?sip:1003@127\\.0\\.0\\.1:${K_PORT}>?$`));
      const bobSip = sipOf(events, 'bob');
      expect(bobSip.find((e) => e.direction === 'received' && e.method === 'REFER')?.remote, why).toEqual({ address: '127.0.0.1', port: K_PORT });
      // Bob's call to carol: to Kamailio, challenged (407) and retried with his credentials.
      const bobInvites = bobSip.filter((e) => e.direction === 'sent' && e.method === 'INVITE');
      expect(firstLine(bobInvites[0]!.raw), why).toBe(`INVITE sip:1003@127.0.0.1:${K_PORT} SIP/2.0`);
      expectChallengeAnswered(events, 'bob', 'INVITE', 407, K_PORT, why);
      // Alice learns of the outcome by NOTIFY (through Kamailio), and ends her leg.
      const notifies = sipOf(events, 'alice').filter((e) => e.direction === 'received' && e.method === 'NOTIFY');
      expect(notifies.length, why).toBeGreaterThanOrEqual(1);
      expect(notifies.every((e) => e.remote.port === K_PORT), why).toBe(true);
      // Carol got bob's INVITE from Kamailio.
      const carolInvite = sipOf(events, 'carol').find((e) => e.direction === 'received' && e.method === 'INVITE');
      expect(carolInvite?.remote, why).toEqual({ address: '127.0.0.1', port: K_PORT });
      expect(header(carolInvite!.raw, 'From').join(), why).toMatch(/sip:1002@127\.0\.0\.1/);

      const call = (id: string): RunResult['calls'][number] | undefined => result.calls.find((c) => c.instanceId === id);
      expect(result.calls.length, why).toBe(3);
      expect(call('alice'), why).toMatchObject({ direction: 'outgoing', peer: '1002', end: { reason: 'local-bye' } });
      // Bob's call-1 now runs with carol; his Release ends it.
      expect(call('bob'), why).toMatchObject({ callId: 'call-1', direction: 'incoming', peer: '1003', end: { reason: 'local-bye' } });
      expect(call('carol'), why).toMatchObject({ direction: 'incoming', peer: '1002', end: { reason: 'remote-bye' } });
      expect(call('bob')!.sipCallId, why).toBe(call('carol')!.sipCallId);
      expect(logs.join('\n'), why).not.toMatch(new RegExp(`${ALICE_PW}|${BOB_PW}|${CAROL_PW}`));
      expect(await Promise.all(['1001', '1002', '1003'].map((u) => k.isRegistered(u))), why).toEqual([false, false, false]);
    });
  }, TEST_TIMEOUT_MS);

  it('a wrong password: the run rejects with EngineError register naming the status, and the started instances are closed', async () => {
    const K_PORT = 34280;
    const PORT_BASE = 34290;
    await withKamailio(K_PORT, async (k) => {
      const engine = new Engine({ portBase: PORT_BASE, closeTimeoutMs: 1000 });
      const events: RunEvent[] = [];
      engine.on((e) => events.push(e));
      const scenario = {
        name: 'wrong password',
        instances: {
          alice: pbx(k, '1001', '${ALICE_PW}', { steps: [{ event: 'TIMEOUT', timeout: 100 }] }),
          bob: pbx(k, '1002', '${BOB_PW}', { steps: [{ event: 'TIMEOUT', timeout: 100 }] }),
        },
      };
      const error = await engine.run(scenario, { env: {}, vars: { ALICE_PW, BOB_PW: WRONG_PW } }).then(
        (r) => r,
        (err: unknown) => err,
      );
      const why = `${String(error)}\n${story(events)}`;
      expect(error, why).toBeInstanceOf(EngineError);
      const e = error as EngineError;
      expect(e.code, why).toBe('register');
      expect(e.message, why).toMatch(/\bbob\b/);
      expect(e.message, why).toMatch(/\b401\b/);
      expect(e.message, why).not.toContain(WRONG_PW);
      expect(engine.running, why).toBe(false);
      // Alice had registered first; bob's REGISTER with credentials got a second 401.
      const logs = logsOf(events);
      expect(logs, why).toContain('Registered DN 1001');
      expect(logs, why).toContain('Registering DN 1002');
      expect(logs, why).not.toContain('Registered DN 1002');
      const bobRegisters = sipOf(events, 'bob').filter((ev) => cseqMethod(ev) === 'REGISTER').map((ev) => `${ev.direction} ${ev.method ?? ev.status}`);
      expect(bobRegisters, why).toEqual(['sent REGISTER', 'received 401', 'sent REGISTER', 'received 401']);
      expect(header(sipOf(events, 'bob').filter((ev) => ev.method === 'REGISTER')[1]!.raw, 'Authorization').length, why).toBe(1);
      expect(events.some((ev) => ev.type === 'scenario:started'), why).toBe(false);
      expect(logs.at(-1), why).toBe('Cleanup completed');
      // Both instances closed: their ports are free; alice's binding was removed.
      expect([await udpFree(PORT_BASE), await udpFree(PORT_BASE + 2)], why).toEqual([true, true]);
      expect([await k.isRegistered('1001'), await k.isRegistered('1002')], why).toEqual([false, false]);
      // The engine takes the next run.
      const again = await engine.run(scenario, { env: {}, vars: { ALICE_PW, BOB_PW } });
      expect(again.status, story(events)).toBe('passed');
    });
  }, TEST_TIMEOUT_MS);

  it('Register and Unregister steps succeed and Kamailio follows; with a wrong password Register fails with the status', async () => {
    const K_PORT = 34320;
    const PORT_BASE = 34330;
    await withKamailio(K_PORT, async (k) => {
      let atStart: Promise<boolean> | undefined;
      let afterRegister: Promise<boolean> | undefined;
      const { result, events } = await run(
        PORT_BASE,
        {
          name: 'Register and Unregister',
          instances: {
            alice: pbx(k, '1001', '${ALICE_PW}', {
              register: false,
              steps: [{ id: 'reg', command: 'Register', expires: 120 }, { event: 'TIMEOUT', timeout: 300 }, { id: 'unreg', command: 'Unregister' }],
            }),
          },
        },
        { ALICE_PW },
        (e) => {
          if (e.type === 'scenario:started') atStart = k.isRegistered('1001');
          if (e.type === 'scenario:node-state' && e.nodeId === 'reg' && e.newState === 'completed') afterRegister = k.isRegistered('1001');
        },
      );
      const why = `${result.failure?.message ?? ''}\n${story(events)}`;
      expect(result.status, why).toBe('passed');
      expect(result.nodes.map((n) => [n.nodeId, n.state]), why).toEqual([
        ['reg', 'completed'],
        ['alice.steps[1]', 'completed'],
        ['unreg', 'completed'],
      ]);
      expect(await atStart, why).toBe(false);
      expect(await afterRegister, why).toBe(true);
      expect(await k.isRegistered('1001'), why).toBe(false);
      const logs = logsOf(events);
      expect(logs, why).not.toContain('Registering DN 1001');
      expect(logs, why).toContain('Registered DN 1001 (expires 120 s)');
      expect(logs, why).toContain('Unregistered DN 1001');
      const registers = sipOf(events, 'alice').filter((e) => cseqMethod(e) === 'REGISTER');
      expect(registers.map((e) => `${e.direction} ${e.method ?? e.status}`), why).toEqual([
        'sent REGISTER', 'received 401', 'sent REGISTER', 'received 200',
        'sent REGISTER', 'received 401', 'sent REGISTER', 'received 200',
      ]);
      expect(registers.filter((e) => e.direction === 'sent').map((e) => header(e.raw, 'Expires').join()), why).toEqual(['120', '120', '0', '0']);
      expect(header(registers[4]!.raw, 'Authorization'), why).toEqual([]);
      expect(header(registers[6]!.raw, 'Authorization').length, why).toBe(1);
      // Kamailio granted what was asked: the Contact of the 200 carries expires=120.
      expect(header(registers[3]!.raw, 'Contact').join(), why).toMatch(/expires=120\b/);

      // A wrong password: the Register step fails with Kamailio's 401; nothing is bound.
      const failed = await run(
        PORT_BASE + 10,
        {
          name: 'Register with a wrong password',
          instances: { alice: pbx(k, '1001', '${ALICE_PW}', { register: false, steps: [{ id: 'reg', command: 'Register' }] }) },
        },
        { ALICE_PW: WRONG_PW },
      );
      const why2 = `${failed.result.failure?.message ?? ''}\n${story(failed.events)}`;
      expect(failed.result.status, why2).toBe('failed');
      expect(failed.result.failure, why2).toMatchObject({ nodeId: 'reg', instanceId: 'alice' });
      expect(failed.result.failure?.message, why2).toMatch(/\b401\b/);
      expect(failed.result.failure?.message, why2).not.toContain(WRONG_PW);
      expect(failed.result.nodes.map((n) => [n.nodeId, n.state]), why2).toEqual([['reg', 'failed']]);
      expect(await k.isRegistered('1001'), why2).toBe(false);
    });
  }, TEST_TIMEOUT_MS);

  it('runs examples/pbx/register-and-call.json with its variables: both register, alice calls bob by DN through the PBX', async () => {
    await withKamailio(34460, async (k) => {
      const file = fileURLToPath(new URL('../../examples/pbx/register-and-call.json', import.meta.url));
      const engine = new Engine({ portBase: 34470, closeTimeoutMs: 500 });
      const result = await engine.run(loadScenarioFile(file, { env: {}, vars: { PBX_HOST: '127.0.0.1', PBX_PORT: String(k.port), ALICE_PASSWORD: ALICE_PW, BOB_PASSWORD: BOB_PW } }));
      expect(result.failure?.message).toBeUndefined();
      expect(result.status).toBe('passed');
      expect(result.calls.map((c) => [c.instanceId, c.direction, c.end?.reason])).toEqual([
        ['alice', 'outgoing', 'local-bye'],
        ['bob', 'incoming', 'remote-bye'],
      ]);
    });
  }, TEST_TIMEOUT_MS);
});
