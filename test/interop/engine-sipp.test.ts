// Interop of the ENGINE with SIPp (UDP, 127.0.0.1): scenarios run by the engine against SIPp's
// built-in scenarios, SIPp started and stopped by the tests.
//   1. MakeCall → TIMEOUT → Release into SIPp's `uas`: the run passes, SIPp counts 1 successful call.
//   2. SIPp's `uac` calls an instance on a fixed port (INCOMING → Answer → DISCONNECTED): the run
//      passes, SIPp counts 1 successful call.
//   3. SIPp's `uac` calls 3 times in a row into a chain that loops back to INCOMING after each
//      DISCONNECTED; the engine is stopped once SIPp is done: 3 incoming calls, each ended by
//      SIPp's BYE, SIPp counts 3 successful calls.
// Ports: 34000–34199 (every test its own block). Without sipp on PATH the tests are skipped, with
// a warning. SIPFLOW_KEEP_SIPP_LOGS=1 keeps SIPp's files.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type RunEvent, type RunResult } from '../../src/engine/index.js';
import { runScenario } from '../engine/harness.js';
import { describeRun, killLeftoverSipp, lastCsvRow, makeSippDir, removeSippDir, screenCount, sippArgs, sippMissing, type SippRun, startSipp, waitForUdpPort, waitUntil } from './sipp.js';

/** SIPp's -timeout (it then fails, -timeout_error); the child is killed outright a little later. */
const SIPP_TIMEOUT_S = 20;
const SIPP_KILL_MS = (SIPP_TIMEOUT_S + 5) * 1000;
const TEST_TIMEOUT_MS = SIPP_KILL_MS + 10_000;

const NO_SIPP = sippMissing(import.meta.url);
afterEach(killLeftoverSipp);

/** Runs `body` with a fresh SIPp directory, removed afterwards. */
async function inSippDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await makeSippDir(prefix);
  try {
    await body(dir);
  } finally {
    await removeSippDir(dir);
  }
}

/** SIPp's verdict: exit 0 and `calls` successful calls, none failed (statistics CSV and final screen). */
async function expectSippCalls(run: SippRun, statsFile: string, calls: number, details: string[]): Promise<void> {
  const stats = await lastCsvRow(statsFile).catch(() => new Map<string, string>());
  const why = describeRun(run, [`statistics: ${JSON.stringify([...stats])}`, ...details]);
  expect(run.code, why).toBe(0);
  expect([stats.get('SuccessfulCall(C)'), stats.get('FailedCall(C)')], why).toEqual([String(calls), '0']);
  expect([screenCount(run.stdout, 'Successful call'), screenCount(run.stdout, 'Failed call')], why).toEqual([calls, 0]);
}

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
          return `${e.instanceId} ${e.direction} ${e.method ?? e.status} ${e.direction === 'sent' ? 'to' : 'from'} ${e.remote.port}`;
        default:
          return e.type;
      }
    })
    .join('\n');
}

/** Starts `scenario` on `engine`, collecting its events; `started` resolves with the scenario:started event. */
function startRun(engine: Engine, scenario: unknown): { events: RunEvent[]; started: Promise<void>; done: Promise<RunResult> } {
  const events: RunEvent[] = [];
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  engine.on((e) => {
    events.push(e);
    if (e.type === 'scenario:started') onStarted();
  });
  const done = engine.run(scenario, { env: {} });
  // A run that throws before it starts (a port taken …) must not leave `started` pending forever.
  done.then(onStarted, onStarted);
  return { events, started, done };
}

describe.skipIf(NO_SIPP)('engine ↔ SIPp (UDP, 127.0.0.1)', () => {
  it("MakeCall into SIPp's uas: the run passes and SIPp counts 1 successful call", async () => {
    const PORT_BASE = 34000;
    const SIPP_PORT = 34010;
    const MEDIA_PORT = 34020;
    await inSippDir('sipflow-engine-sipp-uas-', async (dir) => {
      const statsFile = join(dir, 'stats.csv');
      const sipp = startSipp(['-sn', 'uas', ...sippArgs({ port: SIPP_PORT, calls: 1, timeoutS: SIPP_TIMEOUT_S, statsFile }), '-mp', String(MEDIA_PORT)], dir, SIPP_KILL_MS);
      await waitForUdpPort(SIPP_PORT);
      const target = `sip:service@127.0.0.1:${SIPP_PORT}`;
      const ran = await runScenario(
        {
          name: 'call SIPp uas',
          instances: {
            alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: target }, { event: 'TIMEOUT', timeout: 300 }, 'Release'] },
          },
        },
        { portBase: PORT_BASE },
      );
      const run = await sipp;
      const why = `${ran.failure ?? ''}\n${story(ran.events)}`;
      expect(ran.result.status, why).toBe('passed');
      expect(ran.result.nodes.map((n) => [n.nodeId, n.state]), why).toEqual([
        ['alice.steps[0]', 'completed'],
        ['alice.steps[1]', 'completed'],
        ['alice.steps[2]', 'completed'],
      ]);
      expect(ran.result.instances.map((i) => [i.id, i.address]), why).toEqual([['alice', { address: '127.0.0.1', port: PORT_BASE }]]);
      // SIPp's uas: 180, then 200 with SDP; our ACK, our BYE and its 200.
      expect(ran.wire('alice'), why).toEqual(['sent INVITE', 'received 180', 'received 200', 'sent ACK', 'sent BYE', 'received 200']);
      const invite = ran.events.find((e) => e.type === 'sip' && e.method === 'INVITE');
      expect(invite?.type === 'sip' && invite.raw.startsWith(`INVITE ${target} SIP/2.0\r\n`), why).toBe(true);
      expect(invite, why).toMatchObject({ remote: { address: '127.0.0.1', port: SIPP_PORT } });
      expect(ran.result.calls.map((c) => [c.instanceId, c.direction, c.peer, c.end?.reason, c.answeredAt !== undefined]), why).toEqual([['alice', 'outgoing', 'service', 'local-bye', true]]);
      await expectSippCalls(run, statsFile, 1, [why]);
    });
  }, TEST_TIMEOUT_MS);

  it("SIPp's uac calls an instance on a fixed port: INCOMING, Answer, DISCONNECTED pass, SIPp counts 1 successful call", async () => {
    const PORT_BASE = 34042;
    const BOB_PORT = 34040;
    const SIPP_PORT = 34050;
    const MEDIA_PORT = 34060;
    await inSippDir('sipflow-engine-sipp-uac-', async (dir) => {
      const engine = new Engine({ portBase: PORT_BASE, closeTimeoutMs: 500 });
      const { events, started, done } = startRun(engine, {
        name: 'SIPp uac calls bob',
        instances: { bob: { dn: '200', port: BOB_PORT, steps: ['INCOMING', 'Answer', 'DISCONNECTED'] } },
      });
      await started;
      expect(engine.running, story(events)).toBe(true);
      const statsFile = join(dir, 'stats.csv');
      const run = await startSipp(
        [`127.0.0.1:${BOB_PORT}`, '-sn', 'uac', '-s', '200', ...sippArgs({ port: SIPP_PORT, calls: 1, timeoutS: SIPP_TIMEOUT_S, statsFile }), '-mp', String(MEDIA_PORT)],
        dir,
        SIPP_KILL_MS,
      );
      const result = await done;
      const why = `${result.failure?.message ?? ''}\n${story(events)}`;
      expect(result.status, why).toBe('passed');
      expect(result.instances.map((i) => [i.id, i.address]), why).toEqual([['bob', { address: '127.0.0.1', port: BOB_PORT }]]);
      expect(result.nodes.map((n) => [n.nodeId, n.state]), why).toEqual([
        ['bob.steps[0]', 'completed'],
        ['bob.steps[1]', 'completed'],
        ['bob.steps[2]', 'completed'],
      ]);
      const wire = events.flatMap((e) => (e.type === 'sip' ? [`${e.direction} ${e.method ?? e.status} ${e.remote.port}`] : []));
      expect(wire, why).toEqual([
        `received INVITE ${SIPP_PORT}`,
        `sent 180 ${SIPP_PORT}`,
        `sent 200 ${SIPP_PORT}`,
        `received ACK ${SIPP_PORT}`,
        `received BYE ${SIPP_PORT}`,
        `sent 200 ${SIPP_PORT}`,
      ]);
      expect(result.calls.map((c) => [c.instanceId, c.callId, c.direction, c.peer, c.end?.reason]), why).toEqual([['bob', 'call-1', 'incoming', 'sipp', 'remote-bye']]);
      await expectSippCalls(run, statsFile, 1, [why]);
      expect(engine.running).toBe(false);
    });
  }, TEST_TIMEOUT_MS);

  it("SIPp's uac calls 3 times in a row into a chain that loops back to INCOMING: all 3 answered and ended by SIPp's BYE", async () => {
    const PORT_BASE = 34082;
    const BOB_PORT = 34080;
    const SIPP_PORT = 34090;
    const MEDIA_PORT = 34100;
    const CALLS = 3;
    await inSippDir('sipflow-engine-sipp-loop-', async (dir) => {
      const engine = new Engine({ portBase: PORT_BASE, closeTimeoutMs: 500 });
      const { events, started, done } = startRun(engine, {
        name: 'SIPp uac calls bob 3 times',
        instances: {
          bob: {
            dn: '200',
            port: BOB_PORT,
            steps: [{ id: 'wait', event: 'INCOMING', timeout: 15_000 }, { id: 'answer', command: 'Answer' }, { id: 'gone', event: 'DISCONNECTED', next: 'wait' }],
          },
        },
      });
      await started;
      const statsFile = join(dir, 'stats.csv');
      // One call at a time (-l 1), two per second at most (-r 2).
      const run = await startSipp(
        [`127.0.0.1:${BOB_PORT}`, '-sn', 'uac', '-s', '200', '-r', '2', '-l', '1', ...sippArgs({ port: SIPP_PORT, calls: CALLS, timeoutS: SIPP_TIMEOUT_S, statsFile }), '-mp', String(MEDIA_PORT)],
        dir,
        SIPP_KILL_MS,
      );
      // SIPp is done once the 200 to its last BYE arrived: wait until the chain is back at
      // INCOMING a fourth time (the third DISCONNECTED completed), then stop the run.
      const waitingAgain = (): number => events.filter((e) => e.type === 'scenario:node-state' && e.nodeId === 'wait' && e.newState === 'running').length;
      await waitUntil(() => waitingAgain() > CALLS, 5000);
      expect(engine.stop()).toBe(true);
      const result = await done;
      const why = `${result.failure?.message ?? ''}\n${story(events)}`;
      expect(result.status, why).toBe('stopped');
      expect(result.nodes.map((n) => [n.nodeId, n.state, n.runs]), why).toEqual([
        ['wait', 'stopped', CALLS + 1],
        ['answer', 'completed', CALLS],
        ['gone', 'completed', CALLS],
      ]);
      const calls = result.calls;
      expect(calls.map((c) => [c.instanceId, c.callId, c.direction, c.peer, c.end?.reason, c.answeredAt !== undefined]), why).toEqual(
        Array.from({ length: CALLS }, () => ['bob', 'call-1', 'incoming', 'sipp', 'remote-bye', true]),
      );
      expect(new Set(calls.map((c) => c.sipCallId)).size, why).toBe(CALLS);
      // In a row: each call ended before the next one started.
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.startedAt, why).toBeGreaterThanOrEqual(calls[i - 1]!.endedAt!);
      const received = events.flatMap((e) => (e.type === 'sip' && e.direction === 'received' && e.method !== undefined ? [e.method] : []));
      expect(received, why).toEqual(Array.from({ length: CALLS }, () => ['INVITE', 'ACK', 'BYE']).flat());
      await expectSippCalls(run, statsFile, CALLS, [why]);
    });
  }, TEST_TIMEOUT_MS);
});
