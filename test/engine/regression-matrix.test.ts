// The original sipflow's regression matrix (reference §6.1–6.3), each case a scenario run end to
// end on UDP loopback: CORE-01..05 (the call, hold, blind and attended transfer), DIALOG-01..04
// (several calls per instance, exact keys, the default key, INCOMING in arrival order) and
// NEG-01..07 (commands and events on a wrong key fail, or time out, without touching any other
// call). Fixture names follow the matrix: alice is ua-a (caller / transferor), bob ua-b, carol
// ua-c (the consult peer or transfer target).
//
// Ports: this file uses 32400–32767 only, 16 per test (engine portBase = block; instances at
// +0/+2/+4/+6), all below the kernel's ephemeral range (32768+).
import { describe, expect, it } from 'vitest';
import { ScenarioError, type SipEvent } from '../../src/engine/index.js';
import { runScenario, type Ran } from './harness.js';

const BASE = 32400;
/** Each test's own block of 16 ports (i ≤ 22). */
const block = (i: number): number => {
  if (i > 22) throw new Error('out of this file’s ports');
  return BASE + 16 * i;
};

// ---- helpers ---------------------------------------------------------------------------------

/** Requests of `method` that `instanceId` received (or sent). */
function requests(ran: Ran, instanceId: string, method: string, direction: 'sent' | 'received' = 'received'): SipEvent[] {
  return ran.sips(instanceId).filter((e) => e.direction === direction && e.method === method);
}


/** Every call of the run ended by the scenario itself (a BYE either way), none left for the cleanup. */
function expectNoOrphans(ran: Ran): void {
  for (const call of ran.result.calls) {
    expect(call.end?.reason, `${call.instanceId}/${call.callId}`).toMatch(/^(local-bye|remote-bye)$/);
  }
  expect(ran.engine.running).toBe(false);
  expect(ran.logs().at(-1)).toBe('Cleanup completed');
}

// ---- CORE ------------------------------------------------------------------------------------

describe('CORE', () => {
  it('CORE-01: MakeCall → INCOMING → Answer → Release by the caller → the callee’s DISCONNECTED; both sides hold `primary`, no orphan', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', callId: 'primary' }, { event: 'TIMEOUT', timeout: 200 }, { id: 'a-release', command: 'Release', callId: 'primary' }] },
          bob: { dn: '200', steps: [{ event: 'INCOMING', callId: 'primary' }, { command: 'Answer', callId: 'primary' }, { id: 'b-gone', event: 'DISCONNECTED', callId: 'primary', timeout: 3000 }] },
        },
      },
      { portBase: block(0) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.result.nodes.every((n) => n.state === 'completed')).toBe(true);
    expect(ran.result.calls.map((c) => [c.instanceId, c.callId, c.direction, c.end?.reason])).toEqual([
      ['alice', 'primary', 'outgoing', 'local-bye'],
      ['bob', 'primary', 'incoming', 'remote-bye'],
    ]);
    expect(ran.result.calls[0]!.sipCallId).toBe(ran.result.calls[1]!.sipCallId);
    expect(ran.nodeResult('b-gone').endedAt!).toBeGreaterThanOrEqual(ran.nodeResult('a-release').startedAt!);
    expectNoOrphans(ran);
    expect(ran.internalErrors()).toEqual([]);
  }, 15_000);

  it('CORE-01: … and Release by the callee → the caller’s DISCONNECTED', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', callId: 'primary' }, { id: 'a-gone', event: 'DISCONNECTED', callId: 'primary', timeout: 3000 }] },
          bob: { dn: '200', steps: [{ event: 'INCOMING', callId: 'primary' }, { command: 'Answer', callId: 'primary' }, { event: 'TIMEOUT', timeout: 200 }, { command: 'Release', callId: 'primary' }] },
        },
      },
      { portBase: block(1) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.result.calls.map((c) => [c.instanceId, c.callId, c.end?.reason])).toEqual([
      ['alice', 'primary', 'remote-bye'],
      ['bob', 'primary', 'local-bye'],
    ]);
    expect(ran.wire('bob')).toEqual(['received INVITE', 'sent 180', 'sent 200', 'received ACK', 'sent BYE', 'received 200']);
    expectNoOrphans(ran);
  }, 15_000);

  it('CORE-02: INCOMING(inbound) waits first, then the call comes; Answer, Release(inbound) → the caller’s DISCONNECTED; a DISCONNECTED after our own Release completes at once', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ event: 'TIMEOUT', timeout: 300 }, { id: 'a-call', command: 'MakeCall', targetUri: '200', callId: 'primary' }, { id: 'a-gone', event: 'DISCONNECTED', callId: 'primary', timeout: 3000 }] },
          bob: {
            dn: '200',
            steps: [
              { id: 'b-incoming', event: 'INCOMING', callId: 'inbound', timeout: 3000 },
              { command: 'Answer', callId: 'inbound' },
              { event: 'TIMEOUT', timeout: 200 },
              { id: 'b-release', command: 'Release', callId: 'inbound' },
              { id: 'b-gone', event: 'DISCONNECTED', callId: 'inbound', timeout: 1000 },
            ],
          },
        },
      },
      { portBase: block(2) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.nodeResult('b-incoming').startedAt!).toBeLessThan(ran.nodeResult('a-call').startedAt!);
    expect(ran.result.calls.map((c) => [c.instanceId, c.callId, c.end?.reason])).toEqual([
      ['alice', 'primary', 'remote-bye'],
      ['bob', 'inbound', 'local-bye'],
    ]);
    expect(ran.nodeResult('b-gone').state).toBe('completed');
    expect(ran.nodeResult('b-gone').durationMs!).toBeLessThan(100);
    expectNoOrphans(ran);
  }, 15_000);

  it('CORE-03: Hold(primary) → HELD(primary), Retrieve(primary) → RETRIEVED(primary); the consult call is not touched', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'primary' },
              { command: 'MakeCall', targetUri: '300', callId: 'consult' },
              { id: 'a-hold', command: 'Hold', callId: 'primary' },
              { id: 'a-retrieve', command: 'Retrieve', callId: 'primary' },
              { event: 'TIMEOUT', timeout: 200 },
              { command: 'Release', callId: 'primary' },
              { command: 'Release', callId: 'consult' },
            ],
          },
          bob: {
            dn: '200',
            steps: [
              { event: 'INCOMING', callId: 'primary' },
              { command: 'Answer', callId: 'primary' },
              { id: 'b-held', event: 'HELD', callId: 'primary', timeout: 3000 },
              { id: 'b-retrieved', event: 'RETRIEVED', callId: 'primary', timeout: 3000 },
              { event: 'DISCONNECTED', callId: 'primary', timeout: 3000 },
            ],
          },
          carol: {
            dn: '300',
            steps: [
              { event: 'INCOMING', callId: 'consult', timeout: 3000 },
              { command: 'Answer', callId: 'consult' },
              { id: 'c-held', event: 'HELD', callId: 'consult', timeout: 600, onFailure: 'c-gone' },
              { id: 'c-gone', event: 'DISCONNECTED', callId: 'consult', timeout: 3000 },
            ],
          },
        },
      },
      { portBase: block(3) },
    );
    expect(ran.result.status).toBe('passed');
    for (const id of ['a-hold', 'a-retrieve', 'b-held', 'b-retrieved', 'c-gone']) expect(ran.nodeResult(id).state).toBe('completed');
    expect(ran.nodeResult('c-held').state).toBe('failed');
    // Alice's re-INVITEs went on primary only.
    const invites = requests(ran, 'alice', 'INVITE', 'sent');
    expect(invites.map((e) => e.callId)).toEqual(['primary', 'consult', 'primary', 'primary']);
    expect(requests(ran, 'carol', 'INVITE')).toHaveLength(1);
    expectNoOrphans(ran);
  }, 15_000);

  it('CORE-04: BlindTransfer(primary → carol) → TRANSFERRED(primary); the REFER goes only from primary and the waiter resolves on the same key', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'primary' },
              { command: 'MakeCall', targetUri: '400', callId: 'consult' },
              { id: 'a-transfer', command: 'BlindTransfer', callId: 'primary', targetUri: '300' },
              { event: 'TIMEOUT', timeout: 200 },
              { command: 'Release', callId: 'consult' },
            ],
          },
          bob: {
            dn: '200',
            steps: [
              { event: 'INCOMING', callId: 'primary' },
              { command: 'Answer', callId: 'primary' },
              { id: 'b-transferred', event: 'TRANSFERRED', callId: 'primary', timeout: 3000 },
              { event: 'TIMEOUT', timeout: 200 },
              { command: 'Release', callId: 'primary' },
            ],
          },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { event: 'DISCONNECTED', timeout: 3000 }] },
          dave: { dn: '400', steps: [{ event: 'INCOMING', callId: 'consult', timeout: 3000 }, { command: 'Answer', callId: 'consult' }, { event: 'DISCONNECTED', callId: 'consult', timeout: 3000 }] },
        },
      },
      { portBase: block(4) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.nodeResult('a-transfer').state).toBe('completed');
    expect(ran.nodeResult('b-transferred').state).toBe('completed');
    expect(requests(ran, 'alice', 'REFER', 'sent').map((e) => e.callId)).toEqual(['primary']);
    expect(requests(ran, 'dave', 'REFER')).toEqual([]);
    expect(requests(ran, 'bob', 'REFER').map((e) => e.callId)).toEqual(['primary']);
    // Bob's key primary now holds the call with carol.
    expect(ran.call('bob', 'primary').sipCallId).toBe(ran.call('carol', 'call-1').sipCallId);
    expect(ran.call('bob', 'primary').end?.reason).toBe('local-bye');
    expect(ran.call('dave', 'consult').end?.reason).toBe('remote-bye');
    expectNoOrphans(ran);
  }, 15_000);

  it('CORE-05: MuteTransfer(primary, consult) → final NOTIFY → both legs ended and both keys freed; nothing is ended before the final NOTIFY', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'primary' },
              { command: 'Hold', callId: 'primary' },
              { command: 'MakeCall', targetUri: '300', callId: 'consult' },
              { id: 'a-transfer', command: 'MuteTransfer', primaryCallId: 'primary', consultCallId: 'consult', timeout: 3000 },
              // Both keys are free again: Release finds no call (a warning, not a BYE).
              { id: 'a-release-primary', command: 'Release', callId: 'primary' },
              { id: 'a-release-consult', command: 'Release', callId: 'consult' },
            ],
          },
          bob: {
            dn: '200',
            steps: [
              { event: 'INCOMING', callId: 'primary' },
              { command: 'Answer', callId: 'primary' },
              { id: 'b-transferred', event: 'TRANSFERRED', callId: 'primary', timeout: 3000 },
              { event: 'TIMEOUT', timeout: 200 },
              { command: 'Release', callId: 'primary' },
            ],
          },
          carol: {
            dn: '300',
            steps: [{ event: 'INCOMING', callId: 'consult', timeout: 3000 }, { command: 'Answer', callId: 'consult' }, { id: 'c-gone', event: 'DISCONNECTED', callId: 'consult', timeout: 3000 }],
          },
        },
      },
      { portBase: block(5) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.nodeResult('a-transfer').state).toBe('completed');
    expect(ran.nodeResult('b-transferred').state).toBe('completed');
    const alice = ran.sips('alice');
    const finalNotify = alice.findIndex((e) => e.direction === 'received' && e.method === 'NOTIFY' && /\r?\n\r?\nSIP\/2\.0 200/.test(e.raw));
    expect(finalNotify).toBeGreaterThan(0);
    // Alice sent no BYE before the final NOTIFY; after it, the primary leg got hers.
    const byes = alice.flatMap((e, i) => (e.direction === 'sent' && e.method === 'BYE' ? [[i, e.callId]] : []));
    expect(byes.length).toBeGreaterThan(0);
    for (const [i] of byes) expect(i as number).toBeGreaterThan(finalNotify);
    expect(byes.map(([, key]) => key)).toContain('primary');
    expect(ran.call('alice', 'primary').end).toBeDefined();
    expect(ran.call('alice', 'consult').end).toBeDefined();
    expect(ran.events.filter((e) => e.type === 'scenario:action-log' && (e.nodeId === 'a-release-primary' || e.nodeId === 'a-release-consult') && e.level === 'warn')).toHaveLength(2);
    // The bob–carol call is the one left, under bob's primary and carol's consult.
    expect(ran.call('bob', 'primary').sipCallId).toBe(ran.call('carol', 'consult').sipCallId);
    expect(ran.call('carol', 'consult').end?.reason).toBe('remote-bye');
    expect(ran.internalErrors()).toEqual([]);
  }, 15_000);

  it('CORE-05: both ids are required (a MuteTransfer without consultCallId does not load)', async () => {
    await expect(
      runScenario(
        {
          instances: {
            alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', callId: 'primary' }, { command: 'MuteTransfer', primaryCallId: 'primary' }] },
            bob: { dn: '200', steps: ['INCOMING', 'Answer'] },
          },
        },
        { portBase: block(6) },
      ),
    ).rejects.toSatisfy((err: unknown) => err instanceof ScenarioError && /consultCallId is required/.test(err.message));
  }, 15_000);
});

// ---- DIALOG ----------------------------------------------------------------------------------

describe('DIALOG', () => {
  it('DIALOG-01: several calls per instance at once, keyed by instance and callId (the same key on other instances is another call)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            chains: [
              [{ command: 'MakeCall', targetUri: '200', callId: 'primary' }, { event: 'TIMEOUT', timeout: 500 }, { id: 'a-release-primary', command: 'Release', callId: 'primary' }],
              [{ command: 'MakeCall', targetUri: '300', callId: 'consult' }, { event: 'TIMEOUT', timeout: 800 }, { id: 'a-release-consult', command: 'Release', callId: 'consult' }],
            ],
          },
          bob: { dn: '200', steps: [{ event: 'INCOMING', callId: 'primary' }, { command: 'Answer', callId: 'primary' }, { id: 'b-gone', event: 'DISCONNECTED', callId: 'primary', timeout: 3000 }] },
          carol: { dn: '300', steps: [{ event: 'INCOMING', callId: 'primary' }, { command: 'Answer', callId: 'primary' }, { id: 'c-gone', event: 'DISCONNECTED', callId: 'primary', timeout: 3000 }] },
        },
      },
      { portBase: block(7) },
    );
    expect(ran.result.status).toBe('passed');
    const primary = ran.call('alice', 'primary');
    const consult = ran.call('alice', 'consult');
    // Both were up at the same time.
    expect(Math.max(primary.answeredAt!, consult.answeredAt!)).toBeLessThan(Math.min(primary.endedAt!, consult.endedAt!));
    expect(primary.sipCallId).not.toBe(consult.sipCallId);
    expect(ran.call('bob', 'primary').sipCallId).toBe(primary.sipCallId);
    expect(ran.call('carol', 'primary').sipCallId).toBe(consult.sipCallId);
    // Each Release ended its own call only: bob's call ended before carol's.
    expect(ran.nodeResult('b-gone').endedAt!).toBeLessThan(ran.nodeResult('a-release-consult').startedAt!);
    expect(ran.nodeResult('c-gone').endedAt!).toBeGreaterThanOrEqual(ran.nodeResult('a-release-consult').startedAt!);
    expectNoOrphans(ran);
  }, 15_000);

  it('DIALOG-02: commands and events touch only their own key (Hold/Retrieve/Release on b never reach a)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'a' },
              { command: 'MakeCall', targetUri: '300', callId: 'b' },
              { command: 'Hold', callId: 'b' },
              { command: 'Retrieve', callId: 'b' },
              { id: 'a-release-b', command: 'Release', callId: 'b' },
              // Until bob's two wrong waits (400 ms each) are over.
              { event: 'TIMEOUT', timeout: 1200 },
              { id: 'a-hold-a', command: 'Hold', callId: 'a' },
              { id: 'a-release-a', command: 'Release', callId: 'a' },
            ],
          },
          bob: {
            dn: '200',
            steps: [
              { event: 'INCOMING', callId: 'a' },
              { command: 'Answer', callId: 'a' },
              // Nothing of alice's b reaches this call: these wait in vain.
              { id: 'b-no-held', event: 'HELD', callId: 'a', timeout: 400, onFailure: 'b-no-gone' },
              { id: 'b-no-gone', event: 'DISCONNECTED', callId: 'a', timeout: 400, onFailure: 'b-held' },
              { id: 'b-held', event: 'HELD', callId: 'a', timeout: 3000 },
              { id: 'b-gone', event: 'DISCONNECTED', callId: 'a', timeout: 3000 },
            ],
          },
          carol: {
            dn: '300',
            steps: [
              { event: 'INCOMING', callId: 'b' },
              { command: 'Answer', callId: 'b' },
              { id: 'c-held', event: 'HELD', callId: 'b', timeout: 3000 },
              { id: 'c-retrieved', event: 'RETRIEVED', callId: 'b', timeout: 3000 },
              { id: 'c-gone', event: 'DISCONNECTED', callId: 'b', timeout: 3000 },
            ],
          },
        },
      },
      { portBase: block(8) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.nodeResult('b-no-held').state).toBe('failed');
    expect(ran.nodeResult('b-no-gone').state).toBe('failed');
    for (const id of ['b-held', 'b-gone', 'c-held', 'c-retrieved', 'c-gone']) expect(ran.nodeResult(id).state).toBe('completed');
    expect(ran.nodeResult('b-held').endedAt!).toBeGreaterThanOrEqual(ran.nodeResult('a-hold-a').startedAt!);
    expect(ran.nodeResult('b-gone').endedAt!).toBeGreaterThanOrEqual(ran.nodeResult('a-release-a').startedAt!);
    expect(requests(ran, 'bob', 'INVITE')).toHaveLength(2);
    expect(requests(ran, 'carol', 'INVITE')).toHaveLength(3);
    expectNoOrphans(ran);
  }, 15_000);

  it('DIALOG-03: an empty callId means call-1', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', callId: '' }, { event: 'TIMEOUT', timeout: 200 }, { command: 'Release', callId: 'call-1' }] },
          bob: { dn: '200', steps: ['INCOMING', { command: 'Answer', callId: '' }, { id: 'b-gone', event: 'DISCONNECTED', callId: '', timeout: 3000 }] },
        },
      },
      { portBase: block(9) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.result.calls.map((c) => [c.instanceId, c.callId])).toEqual([
      ['alice', 'call-1'],
      ['bob', 'call-1'],
    ]);
    expect(ran.sips('alice').every((e) => e.callId === 'call-1')).toBe(true);
    const logs = ran.events.filter((e) => e.type === 'scenario:action-log' && e.nodeId !== '' && e.instanceId !== '');
    expect(logs.every((e) => e.type === 'scenario:action-log' && e.callId === 'call-1')).toBe(true);
    expectNoOrphans(ran);
  }, 15_000);

  it('DIALOG-04: INCOMING is FIFO for back-to-back INVITEs: two callers, two INCOMING nodes with different callIds, taken in arrival order (both queued)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', timeout: 5000 }, { id: 'a-gone', event: 'DISCONNECTED', timeout: 5000 }] },
          dave: { dn: '400', steps: [{ event: 'TIMEOUT', timeout: 60 }, { command: 'MakeCall', targetUri: '200', timeout: 5000 }, { id: 'd-gone', event: 'DISCONNECTED', timeout: 5000 }] },
          bob: {
            dn: '200',
            steps: [
              { event: 'TIMEOUT', timeout: 500 },
              { id: 'b-first', event: 'INCOMING', callId: 'first' },
              { id: 'b-second', event: 'INCOMING', callId: 'second' },
              { command: 'Answer', callId: 'second' },
              { command: 'Answer', callId: 'first' },
              { command: 'Release', callId: 'first' },
              { command: 'Release', callId: 'second' },
            ],
          },
        },
      },
      { portBase: block(10) },
    );
    expect(ran.result.status).toBe('passed');
    // Arrival order on bob's socket: alice's INVITE first.
    const arrivals = requests(ran, 'bob', 'INVITE').map((e) => /^From:.*sip:(\d+)@/m.exec(e.raw)?.[1]);
    expect(arrivals).toEqual(['100', '400']);
    expect(ran.call('bob', 'first').peer).toBe('100');
    expect(ran.call('bob', 'second').peer).toBe('400');
    expect(ran.call('bob', 'first').sipCallId).toBe(ran.call('alice', 'call-1').sipCallId);
    expect(ran.call('bob', 'second').sipCallId).toBe(ran.call('dave', 'call-1').sipCallId);
    expectNoOrphans(ran);
  }, 15_000);

  it('DIALOG-04: … also when the INCOMING node is already waiting when the first call arrives', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ event: 'TIMEOUT', timeout: 200 }, { command: 'MakeCall', targetUri: '200', timeout: 5000 }, { event: 'DISCONNECTED', timeout: 5000 }] },
          dave: { dn: '400', steps: [{ event: 'TIMEOUT', timeout: 280 }, { command: 'MakeCall', targetUri: '200', timeout: 5000 }, { event: 'DISCONNECTED', timeout: 5000 }] },
          bob: {
            dn: '200',
            steps: [
              { id: 'b-first', event: 'INCOMING', callId: 'first', timeout: 3000 },
              { id: 'b-second', event: 'INCOMING', callId: 'second', timeout: 3000 },
              { command: 'Answer', callId: 'first' },
              { command: 'Answer', callId: 'second' },
              { event: 'TIMEOUT', timeout: 100 },
              { command: 'Release', callId: 'second' },
              { command: 'Release', callId: 'first' },
            ],
          },
        },
      },
      { portBase: block(11) },
    );
    expect(ran.result.status).toBe('passed');
    const arrivals = requests(ran, 'bob', 'INVITE').map((e) => /^From:.*sip:(\d+)@/m.exec(e.raw)?.[1]);
    expect(arrivals).toEqual(['100', '400']);
    expect(ran.call('bob', 'first').peer).toBe('100');
    expect(ran.call('bob', 'second').peer).toBe('400');
    expectNoOrphans(ran);
  }, 15_000);
});

// ---- NEG -------------------------------------------------------------------------------------

/**
 * The matrix's fixture: alice holds `primary` with bob and `consult` with carol, then runs `bad`
 * (with a failure branch to the rest, so the run goes on), then proves both legs are still up —
 * a Hold on each reaches its peer (one HELD each) — and releases both. `prefix` steps run first
 * on alice and bob (a call that ends before the fixture starts, for instance).
 */
function fixture(bad: Record<string, unknown>, prefix: { alice?: unknown[]; bob?: unknown[] } = {}): unknown {
  return {
    instances: {
      alice: {
        dn: '100',
        steps: [
          ...(prefix.alice ?? []),
          { command: 'MakeCall', targetUri: '200', callId: 'primary' },
          { command: 'MakeCall', targetUri: '300', callId: 'consult' },
          { id: 'bad', ...bad, onFailure: 'a-after' },
          { id: 'a-after', event: 'TIMEOUT', timeout: 200 },
          { id: 'a-hold-primary', command: 'Hold', callId: 'primary' },
          { id: 'a-hold-consult', command: 'Hold', callId: 'consult' },
          { id: 'a-release-primary', command: 'Release', callId: 'primary' },
          { id: 'a-release-consult', command: 'Release', callId: 'consult' },
        ],
      },
      bob: {
        dn: '200',
        steps: [
          ...(prefix.bob ?? []),
          { event: 'INCOMING', callId: 'primary', timeout: 3000 },
          { command: 'Answer', callId: 'primary' },
          { id: 'b-held', event: 'HELD', callId: 'primary', timeout: 3000 },
          { id: 'b-gone', event: 'DISCONNECTED', callId: 'primary', timeout: 3000 },
        ],
      },
      carol: {
        dn: '300',
        steps: [
          { event: 'INCOMING', callId: 'consult', timeout: 3000 },
          { command: 'Answer', callId: 'consult' },
          { id: 'c-held', event: 'HELD', callId: 'consult', timeout: 3000 },
          { id: 'c-gone', event: 'DISCONNECTED', callId: 'consult', timeout: 3000 },
        ],
      },
    },
  };
}

/** Both legs of the fixture saw exactly: their INVITE, one hold re-INVITE (the later Hold), one BYE (the later Release); nothing else. */
function expectLegsUntouched(ran: Ran): void {
  expect(ran.result.status).toBe('passed');
  for (const id of ['a-hold-primary', 'a-hold-consult', 'a-release-primary', 'a-release-consult', 'b-held', 'b-gone', 'c-held', 'c-gone']) {
    expect(ran.nodeResult(id).state, id).toBe('completed');
  }
  // The HELD each peer saw came from the later Hold, not from the bad step.
  expect(ran.nodeResult('b-held').endedAt!).toBeGreaterThanOrEqual(ran.nodeResult('a-hold-primary').startedAt!);
  expect(ran.nodeResult('c-held').endedAt!).toBeGreaterThanOrEqual(ran.nodeResult('a-hold-consult').startedAt!);
  for (const peer of ['bob', 'carol']) {
    const received = ran.sips(peer).filter((e) => e.direction === 'received' && e.method !== undefined && e.method !== 'ACK');
    expect(received.map((e) => e.method), peer).toEqual(['INVITE', 'INVITE', 'BYE']);
  }
  expect(ran.call('alice', 'primary').end?.reason).toBe('local-bye');
  expect(ran.call('alice', 'consult').end?.reason).toBe('local-bye');
  expect(ran.call('bob', 'primary').end?.reason).toBe('remote-bye');
  expect(ran.call('carol', 'consult').end?.reason).toBe('remote-bye');
  // Alice sent nothing on either leg for the bad step.
  const aliceRequests = ran.sips('alice').filter((e) => e.direction === 'sent' && e.method !== undefined && e.method !== 'ACK');
  expect(aliceRequests.map((e) => `${e.method} ${e.callId}`)).toEqual(['INVITE primary', 'INVITE consult', 'INVITE primary', 'INVITE consult', 'BYE primary', 'BYE consult']);
  expect(ran.internalErrors()).toEqual([]);
}

describe('NEG (DIALOG-02): a wrong key fails or times out without touching any other call', () => {
  it('NEG-01: Hold with a wrong callId while primary and consult exist', async () => {
    const ran = await runScenario(fixture({ command: 'Hold', callId: 'nope' }), { portBase: block(12) });
    expect(ran.nodeResult('bad').state).toBe('failed');
    expect(ran.nodeResult('bad').error).toMatch(/nope/);
    expectLegsUntouched(ran);
  }, 15_000);

  it('NEG-02: Retrieve on a missing callId', async () => {
    const ran = await runScenario(fixture({ command: 'Retrieve', callId: 'missing' }), { portBase: block(13) });
    expect(ran.nodeResult('bad').state).toBe('failed');
    expect(ran.nodeResult('bad').error).toMatch(/missing/);
    expectLegsUntouched(ran);
  }, 15_000);

  it('NEG-03: Release with a wrong callId succeeds with a warning (as in sipflow) and ends nothing', async () => {
    const ran = await runScenario(fixture({ command: 'Release', callId: 'nope' }), { portBase: block(14) });
    expect(ran.nodeResult('bad').state).toBe('completed');
    const warnings = ran.events.filter((e) => e.type === 'scenario:action-log' && e.nodeId === 'bad' && e.level === 'warn');
    expect(warnings.map((e) => e.type === 'scenario:action-log' && e.message)).toEqual(['No active dialog to release (already terminated)']);
    expectLegsUntouched(ran);
  }, 15_000);

  it('NEG-04: BlindTransfer on a callId with no call', async () => {
    const ran = await runScenario(fixture({ command: 'BlindTransfer', callId: 'nope', targetUri: '300' }), { portBase: block(15) });
    expect(ran.nodeResult('bad').state).toBe('failed');
    expect(ran.nodeResult('bad').error).toMatch(/nope/);
    expectLegsUntouched(ran);
  }, 15_000);

  it('NEG-04: BlindTransfer on a callId whose call has ended', async () => {
    const ran = await runScenario(
      fixture(
        { command: 'BlindTransfer', callId: 'old', targetUri: '300' },
        {
          alice: [{ command: 'MakeCall', targetUri: '200', callId: 'old' }, { command: 'Release', callId: 'old' }],
          bob: [{ event: 'INCOMING', callId: 'old' }, { command: 'Answer', callId: 'old' }, { event: 'DISCONNECTED', callId: 'old', timeout: 3000 }],
        },
      ),
      { portBase: block(16) },
    );
    expect(ran.nodeResult('bad').state).toBe('failed');
    expect(ran.result.status).toBe('passed');
    // Alice's requests: the old call (INVITE, BYE), then the fixture's; no REFER anywhere.
    expect(requests(ran, 'alice', 'REFER', 'sent')).toEqual([]);
    expect(ran.call('alice', 'primary').end?.reason).toBe('local-bye');
    expect(ran.call('alice', 'consult').end?.reason).toBe('local-bye');
    expect(ran.call('bob', 'primary').end?.reason).toBe('remote-bye');
    expect(ran.call('carol', 'consult').end?.reason).toBe('remote-bye');
    for (const id of ['a-hold-primary', 'a-hold-consult', 'b-held', 'b-gone', 'c-held', 'c-gone']) expect(ran.nodeResult(id).state, id).toBe('completed');
    expect(requests(ran, 'carol', 'INVITE')).toHaveLength(2);
  }, 15_000);

  it('NEG-05: MuteTransfer with a wrong primaryCallId (the consult call stays up)', async () => {
    const ran = await runScenario(fixture({ command: 'MuteTransfer', primaryCallId: 'nope', consultCallId: 'consult', timeout: 1000 }), { portBase: block(17) });
    expect(ran.nodeResult('bad').state).toBe('failed');
    expect(ran.nodeResult('bad').error).toMatch(/nope/);
    expectLegsUntouched(ran);
  }, 15_000);

  it('NEG-06: MuteTransfer with a wrong consultCallId (the primary call is not cleaned up)', async () => {
    const ran = await runScenario(fixture({ command: 'MuteTransfer', primaryCallId: 'primary', consultCallId: 'nope', timeout: 1000 }), { portBase: block(18) });
    expect(ran.nodeResult('bad').state).toBe('failed');
    expect(ran.nodeResult('bad').error).toMatch(/consult/);
    expectLegsUntouched(ran);
  }, 15_000);

  it('NEG-07: HELD, RETRIEVED, TRANSFERRED and DISCONNECTED waiting on one key are not resolved by another key’s events (which stay for their own key)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'a' },
              { command: 'MakeCall', targetUri: '200', callId: 'b' },
              { command: 'Hold', callId: 'b' },
              { command: 'Retrieve', callId: 'b' },
              { command: 'BlindTransfer', callId: 'b', targetUri: '300' },
              { event: 'TIMEOUT', timeout: 2400 },
              { id: 'a-release-a', command: 'Release', callId: 'a' },
            ],
          },
          bob: {
            dn: '200',
            steps: [
              { event: 'INCOMING', callId: 'a' },
              { command: 'Answer', callId: 'a' },
              { event: 'INCOMING', callId: 'b' },
              { command: 'Answer', callId: 'b' },
              // Each wrong-key wait must time out; the right key's event is still there after it.
              { id: 'held-a', event: 'HELD', callId: 'a', timeout: 400, onFailure: 'held-b' },
              { id: 'held-b', event: 'HELD', callId: 'b', timeout: 2000 },
              { id: 'retrieved-a', event: 'RETRIEVED', callId: 'a', timeout: 300, onFailure: 'retrieved-b' },
              { id: 'retrieved-b', event: 'RETRIEVED', callId: 'b', timeout: 2000 },
              { id: 'transferred-a', event: 'TRANSFERRED', callId: 'a', timeout: 300, onFailure: 'transferred-b' },
              { id: 'transferred-b', event: 'TRANSFERRED', callId: 'b', timeout: 2000 },
              { id: 'gone-a-early', event: 'DISCONNECTED', callId: 'a', timeout: 600, onFailure: 'gone-b' },
              { id: 'gone-b', event: 'DISCONNECTED', callId: 'b', timeout: 2000 },
              { id: 'gone-a', event: 'DISCONNECTED', callId: 'a', timeout: 3000 },
            ],
          },
          // Carol hangs up (ending bob's b) while bob's DISCONNECTED waits on a.
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { event: 'TIMEOUT', timeout: 1200 }, { id: 'c-release', command: 'Release' }] },
        },
      },
      { portBase: block(19) },
    );
    expect(ran.result.status).toBe('passed');
    for (const id of ['held-a', 'retrieved-a', 'transferred-a', 'gone-a-early']) expect(ran.nodeResult(id).state, id).toBe('failed');
    for (const id of ['held-b', 'retrieved-b', 'transferred-b', 'gone-b', 'gone-a']) expect(ran.nodeResult(id).state, id).toBe('completed');
    // The wrong-key DISCONNECTED timed out although b ended (carol's Release) while it waited; a ended only with alice's Release.
    expect(ran.nodeResult('c-release').endedAt!).toBeGreaterThan(ran.nodeResult('gone-a-early').startedAt!);
    expect(ran.nodeResult('c-release').endedAt!).toBeLessThan(ran.nodeResult('gone-a-early').endedAt!);
    expect(ran.nodeResult('gone-a').endedAt!).toBeGreaterThanOrEqual(ran.nodeResult('a-release-a').startedAt!);
    expect(ran.call('bob', 'a').end?.reason).toBe('remote-bye');
    expect(ran.call('bob', 'b').end?.reason).toBe('remote-bye');
    expect(ran.call('bob', 'b').sipCallId).toBe(ran.call('carol', 'call-1').sipCallId);
    // Call a saw only its INVITE and the final BYE.
    const aSip = ran.call('bob', 'a').sipCallId;
    expect(ran.sips('bob').filter((e) => e.direction === 'received' && e.sipCallId === aSip && e.method !== undefined && e.method !== 'ACK').map((e) => e.method)).toEqual(['INVITE', 'BYE']);
  }, 20_000);
});
