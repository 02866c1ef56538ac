// The engine's call commands and events end to end, on real UDP loopback: the session store and
// its keys, call records (nothing lost), the incoming queue, MakeCall, Answer, Reject, Release,
// INCOMING / RINGING / DISCONNECTED / TIMEOUT, failures and their messages, the executor's
// chains and branches, stopping, local-mode ports, cleanup, and the identity on the wire.
//
// Ports: this file uses 31000–31999 only, a block of 10 per test (instances at base, +2, +4,
// +6; scripted peers at base+8).

import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { createOffer, sdpOfferAnswer, serializeSdp } from '../../src/sdp/index.js';
import { RequestFailedError } from '../../src/sip/dialog/errors.js';
import type { IncomingCall } from '../../src/sip/dialog/incoming-call.js';
import { UserAgent } from '../../src/sip/dialog/user-agent.js';
import type { SipRequest } from '../../src/sip/parser/index.js';
import { Engine, EngineError, type RunEvent } from '../../src/engine/index.js';
import { runOn, runScenario, wait, type Ran } from './harness.js';
import { RawSip, rawOffer } from './raw-sip.js';

// ---- helpers ---------------------------------------------------------------------------------

let blocks = 0;

/** A block of 10 ports of our range for one test. */
function portBlock(): number {
  const base = 31000 + 10 * blocks++;
  if (base + 9 > 31999) throw new Error('calls.test.ts ran out of its ports (31000–31999)');
  return base;
}

/** Whether we can bind 127.0.0.1:`port` (and let it go again). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Holds 127.0.0.1:`port` until closed. */
function occupy(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

function release(s: Socket): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

/** A node's state changes, `previous>new`. */
function transitions(ran: Ran, nodeId: string): string[] {
  return ran.events.flatMap((e) => (e.type === 'scenario:node-state' && e.nodeId === nodeId ? [`${e.previousState}>${e.newState}`] : []));
}

/** Index in the run's events of a node's change to `state`. */
function nodeAt(ran: Ran, nodeId: string, state: string): number {
  const i = ran.events.findIndex((e) => e.type === 'scenario:node-state' && e.nodeId === nodeId && e.newState === state);
  expect(i, `${nodeId} never became ${state}`).toBeGreaterThanOrEqual(0);
  return i;
}

/** Index in the run's events of the first SIP message of `instanceId` reading `label` (`sent 180` …). */
function sipAt(ran: Ran, instanceId: string, label: string): number {
  const i = ran.events.findIndex((e) => e.type === 'sip' && e.instanceId === instanceId && `${e.direction} ${e.method ?? e.status}` === label);
  expect(i, `${instanceId} never ${label}`).toBeGreaterThanOrEqual(0);
  return i;
}

/** The raw text of the first SIP message of `instanceId` reading `label`. */
function rawOf(ran: Ran, instanceId: string, label: string): string {
  const e = ran.events[sipAt(ran, instanceId, label)]!;
  return e.type === 'sip' ? e.raw : '';
}

/** Action logs with their node and level. */
function logEntries(ran: Ran): Array<{ nodeId: string; instanceId: string; level: string; message: string }> {
  return ran.events.flatMap((e) => (e.type === 'scenario:action-log' ? [{ nodeId: e.nodeId, instanceId: e.instanceId, level: e.level, message: e.message }] : []));
}

/** Every run ends the same way: cleanup logged last, every call ended, the engine idle, the ports free. */
async function expectCleanEnd(ran: Ran): Promise<void> {
  const logs = ran.logs();
  expect(logs).toContain('Starting cleanup');
  expect(logs.at(-1)).toBe('Cleanup completed');
  for (const c of ran.result.calls) expect(c.end, `call ${c.instanceId}/${c.callId ?? c.sipCallId} has not ended`).toBeDefined();
  expect(ran.engine.running).toBe(false);
  for (const i of ran.result.instances) expect(await canBind(i.address.port), `port ${i.address.port} of ${i.id} is still taken`).toBe(true);
  const terminal = ran.events.filter((e) => e.type === 'scenario:completed' || e.type === 'scenario:failed' || e.type === 'scenario:stopped');
  expect(terminal).toHaveLength(1);
  expect(ran.events.at(-1)).toBe(terminal[0]);
}

/** A scripted user agent on 127.0.0.1:`port` that makes and answers SDP on its own. */
async function peerUa(port: number, user: string): Promise<UserAgent> {
  const ua = new UserAgent({ bind: { host: '127.0.0.1', port }, identity: { user }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: 40000 }), closeTimeout: 300 });
  await ua.ready;
  return ua;
}

const OFFER = serializeSdp(createOffer({ address: '127.0.0.1', port: 40002, codecs: ['PCMU', 'PCMA'] }));

/** An engine, a run in progress on it, and a promise for its `scenario:started`. */
function start(scenario: unknown, portBase: number, options: { signal?: AbortSignal } = {}): { engine: Engine; ran: Promise<Ran>; started: Promise<void> } {
  const engine = new Engine({ portBase, closeTimeoutMs: 500, notifyGraceMs: 300 });
  const started = new Promise<void>((resolve) => {
    const off = engine.on((e) => {
      if (e.type !== 'scenario:started') return;
      off();
      resolve();
    });
  });
  const ran = runOn(engine, scenario, options.signal !== undefined ? { signal: options.signal } : {});
  return { engine, ran, started };
}

const T = 10_000;

/**
 * A raw callee on base+8 that rings (180) and then ignores everything, CANCEL included; `finish()`
 * answers the INVITE 487 at last, so that a run still waiting for it can end.
 */
async function deafCallee(base: number): Promise<{ raw: RawSip; finish: () => Promise<void> }> {
  const raw = await RawSip.open(base + 8);
  raw.autoAnswer = false;
  let invite: SipRequest | undefined;
  raw.onInvite = (request) => {
    invite = request;
    void raw.respond(request, 180, base, { toTag: 'deaf', headers: [['Contact', `<sip:300@127.0.0.1:${base + 8}>`]] });
  };
  return { raw, finish: async () => (invite === undefined ? undefined : raw.respond(invite, 487, base, { toTag: 'deaf' })) };
}

/** `promise`'s value, or 'still running' after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still running'> {
  return Promise.race([promise, wait(ms).then(() => 'still running' as const)]);
}

// ---- the session store -------------------------------------------------------------------------

describe('session store: calls by instance and key', () => {
  it('an instance holds several calls at once, each under its own key', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            chains: [
              [{ command: 'MakeCall', targetUri: '200', callId: 'first' }, { event: 'TIMEOUT', timeout: 300 }, { command: 'Release', callId: 'first' }],
              [{ command: 'MakeCall', targetUri: '300', callId: 'second' }, { event: 'TIMEOUT', timeout: 100 }, { command: 'Release', callId: 'second' }],
            ],
          },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
          carol: { dn: '300', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    expect(ran.result.nodes.every((n) => n.state === 'completed')).toBe(true);
    const first = ran.call('alice', 'first');
    const second = ran.call('alice', 'second');
    expect([first.peer, first.direction, first.end?.reason]).toEqual(['200', 'outgoing', 'local-bye']);
    expect([second.peer, second.direction, second.end?.reason]).toEqual(['300', 'outgoing', 'local-bye']);
    expect(first.sipCallId).not.toBe(second.sipCallId);
    expect(ran.call('bob', 'call-1')).toMatchObject({ peer: '100', sipCallId: first.sipCallId, end: { reason: 'remote-bye' } });
    expect(ran.call('carol', 'call-1')).toMatchObject({ peer: '100', sipCallId: second.sipCallId, end: { reason: 'remote-bye' } });
    // Both were up at the same time; `second` ended first, on its own.
    expect(second.answeredAt).toBeLessThan(first.endedAt!);
    expect(first.answeredAt).toBeLessThan(second.endedAt!);
    expect(second.endedAt).toBeLessThan(first.endedAt!);
    // Each BYE went on its own dialog, tagged with its own key.
    const byes = ran.events.flatMap((e) => (e.type === 'sip' && e.instanceId === 'alice' && e.method === 'BYE' ? [[e.callId, e.sipCallId]] : []));
    expect(byes).toEqual([
      ['second', second.sipCallId],
      ['first', first.sipCallId],
    ]);
    await expectCleanEnd(ran);
  }, T);

  it('a command or event on a key with no call fails that node, naming the key, and disturbs no other call', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200' },
              { event: 'DISCONNECTED', callId: 'ghost', timeout: 5000, onFailure: [{ event: 'TIMEOUT', timeout: 200 }, 'Release'] },
            ],
          },
          bob: { dn: '200', steps: ['INCOMING', { command: 'Answer', callId: 'nope', onFailure: ['Answer', 'DISCONNECTED'] }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const answer = ran.node('bob.steps[1]');
    expect(answer.state).toBe('failed');
    expect(answer.error).toContain('nope');
    expect(ran.node('bob.steps[1].onFailure[0]').state).toBe('completed');
    expect(ran.node('bob.steps[1].onFailure[1]').state).toBe('completed');
    const ghost = ran.node('alice.steps[1]');
    expect(ghost.state).toBe('failed');
    expect(ghost.error).toContain('ghost');
    // It failed at once, not after its 5 s.
    expect(ran.result.nodes.find((n) => n.nodeId === 'alice.steps[1]')!.durationMs!).toBeLessThan(1000);
    // The real call went on undisturbed: answered, released by alice after the branch's pause.
    expect(ran.call('alice', 'call-1').end?.reason).toBe('local-bye');
    expect(ran.call('bob', 'call-1').end?.reason).toBe('remote-bye');
    expect(ran.result.calls).toHaveLength(2);
    expect(ran.wire('alice')).toEqual(['sent INVITE', 'received 180', 'received 200', 'sent ACK', 'sent BYE', 'received 200']);
    expect(ran.wire('bob')).toEqual(['received INVITE', 'sent 180', 'sent 200', 'received ACK', 'received BYE', 'sent 200']);
    // The failures are in the action logs, as errors of their nodes.
    expect(logEntries(ran)).toContainEqual({ nodeId: 'bob.steps[1]', instanceId: 'bob', level: 'error', message: answer.error });
    await expectCleanEnd(ran);
  }, T);

  it('a key may be reused once its call has ended (MakeCall again on call-1 after Release)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200' },
              { event: 'TIMEOUT', timeout: 50 },
              'Release',
              { command: 'MakeCall', targetUri: '200' },
              { event: 'TIMEOUT', timeout: 50 },
              'Release',
            ],
          },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED', 'INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    const alices = ran.result.calls.filter((c) => c.instanceId === 'alice');
    expect(alices.map((c) => [c.callId, c.end?.reason])).toEqual([
      ['call-1', 'local-bye'],
      ['call-1', 'local-bye'],
    ]);
    expect(alices[0]!.sipCallId).not.toBe(alices[1]!.sipCallId);
    const bobs = ran.result.calls.filter((c) => c.instanceId === 'bob');
    expect(bobs.map((c) => [c.callId, c.sipCallId, c.end?.reason])).toEqual([
      ['call-1', alices[0]!.sipCallId, 'remote-bye'],
      ['call-1', alices[1]!.sipCallId, 'remote-bye'],
    ]);
    const one = ['sent INVITE', 'received 180', 'received 200', 'sent ACK', 'sent BYE', 'received 200'];
    expect(ran.wire('alice')).toEqual([...one, ...one]);
    await expectCleanEnd(ran);
  }, T);

  it('MakeCall on the key of a live call is an error naming the key; nothing is sent and the live call is untouched', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200' },
              { command: 'MakeCall', targetUri: '200', onFailure: [{ event: 'TIMEOUT', timeout: 100 }, 'Release'] },
            ],
          },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const second = ran.node('alice.steps[1]');
    expect(second.state).toBe('failed');
    expect(second.error).toContain('call-1');
    expect(second.error).toMatch(/in use|live/);
    // One INVITE only; the first call lived on and was released normally.
    expect(ran.wire('alice').filter((m) => m === 'sent INVITE')).toHaveLength(1);
    expect(ran.result.calls.map((c) => [c.instanceId, c.callId, c.end?.reason])).toEqual([
      ['alice', 'call-1', 'local-bye'],
      ['bob', 'call-1', 'remote-bye'],
    ]);
    await expectCleanEnd(ran);
  }, T);

  it('INCOMING on the key of a live call fails naming the key, and the call it took waits for another node', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 300 }, 'Release'] },
          carol: { dn: '300', steps: [{ event: 'TIMEOUT', timeout: 50 }, { command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED'] }] },
          bob: {
            dn: '200',
            steps: [
              'INCOMING',
              'Answer',
              {
                event: 'INCOMING',
                timeout: 2000,
                onFailure: [{ event: 'INCOMING', callId: 'two' }, { command: 'Reject', callId: 'two', status: 603 }, 'DISCONNECTED'],
              },
            ],
          },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const busy = ran.node('bob.steps[2]');
    expect(busy.state).toBe('failed');
    expect(busy.error).toContain('call-1');
    expect(busy.error).toMatch(/in use|live/);
    // carol's call went back to the queue; the branch took it under `two` and refused it.
    expect(ran.call('bob', 'two')).toMatchObject({ peer: '300', end: { reason: 'rejected' } });
    expect(ran.node('carol.steps[1]').error).toBe('MakeCall failed: 603 Decline');
    // The first call was not touched: alice released it after its pause.
    expect(ran.call('bob', 'call-1')).toMatchObject({ peer: '100', end: { reason: 'remote-bye' } });
    await expectCleanEnd(ran);
    // The summary keeps the status that ended the refused call.
    expect(ran.call('bob', 'two').end).toMatchObject({ reason: 'rejected', status: 603 });
  }, T);
});

// ---- records ------------------------------------------------------------------------------------

describe('call records: an event takes the oldest matching record, so nothing is lost', () => {
  it('RINGING after MakeCall still sees the 180 that came before the answer', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'RINGING', timeout: 500 }, { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', { event: 'TIMEOUT', timeout: 100 }, 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    // The 180 arrived while MakeCall ran; RINGING started only after the answer, and took it at once.
    expect(sipAt(ran, 'alice', 'received 180')).toBeLessThan(nodeAt(ran, 'alice.steps[0]', 'completed'));
    expect(nodeAt(ran, 'alice.steps[0]', 'completed')).toBeLessThan(nodeAt(ran, 'alice.steps[1]', 'running'));
    expect(ran.result.nodes.find((n) => n.nodeId === 'alice.steps[1]')!.durationMs!).toBeLessThan(100);
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[1]', message: 'RINGING: received 180 Ringing' }));
    await expectCleanEnd(ran);
  }, T);

  it('a record is taken once: a second RINGING waits for a new 180 and times out', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'RINGING', { event: 'RINGING', timeout: 300, onFailure: ['Release'] }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('alice.steps[1]').state).toBe('completed');
    const second = ran.node('alice.steps[2]');
    expect(second.state).toBe('failed');
    expect(second.error).toMatch(/^RINGING event timeout after 300ms: waiting for a 180 or 183; on call call-1\b/);
    expect(ran.result.nodes.find((n) => n.nodeId === 'alice.steps[2]')!.durationMs!).toBeGreaterThanOrEqual(280);
    await expectCleanEnd(ran);
  }, T);

  it('DISCONNECTED completes at once when the call has already ended', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 250 }, { event: 'DISCONNECTED', timeout: 500 }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    // The BYE came long before DISCONNECTED started.
    expect(sipAt(ran, 'bob', 'received BYE')).toBeLessThan(nodeAt(ran, 'bob.steps[3]', 'running'));
    expect(ran.result.nodes.find((n) => n.nodeId === 'bob.steps[3]')!.durationMs!).toBeLessThan(50);
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'bob.steps[3]', message: 'DISCONNECTED: remote-bye (the peer sent BYE)' }));
    await expectCleanEnd(ran);
  }, T);

  it('RINGING takes a 183 Session Progress (early media) of a scripted callee', async () => {
    const base = portBlock();
    const callee = await peerUa(base + 8, 'carol');
    const seen: IncomingCall[] = [];
    callee.on('invite', (call) => {
      seen.push(call);
      call.progress(OFFER.replace('40002', '40004'));
      setTimeout(() => void call.answer().catch(() => undefined), 100);
    });
    try {
      const ran = await runScenario(
        { instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}` }, { event: 'RINGING', timeout: 500 }, 'Release'] } } },
        { portBase: base },
      );
      expect(ran.failure).toBeUndefined();
      expect(ran.result.status).toBe('passed');
      expect(seen).toHaveLength(1);
      expect(ran.wire('alice')).toContain('received 183');
      expect(ran.wire('alice')).not.toContain('received 180');
      expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[1]', message: 'RINGING: received 183 Session Progress with SDP (early media)' }));
      expect(ran.call('alice', 'call-1')).toMatchObject({ peer: '300', end: { reason: 'local-bye' } });
      await expectCleanEnd(ran);
    } finally {
      await callee.close();
    }
  }, T);

  it('RINGING waits for a 180 or 183 only: a 182 Queued does not count', async () => {
    const base = portBlock();
    const raw = await RawSip.open(base + 8);
    raw.onInvite = (invite) => {
      void raw.respond(invite, 182, base, { toTag: 'rawcallee', headers: [['Contact', `<sip:300@127.0.0.1:${base + 8}>`]] });
      setTimeout(() => void raw.respond(invite, 200, base, { toTag: 'rawcallee', headers: [['Contact', `<sip:300@127.0.0.1:${base + 8}>`]], sdp: rawOffer(40006) }), 50);
    };
    try {
      const ran = await runScenario(
        {
          instances: {
            alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}` }, { event: 'RINGING', timeout: 300, onFailure: ['Release'] }] },
          },
        },
        { portBase: base },
      );
      expect(ran.result.status).toBe('passed');
      expect(ran.wire('alice').slice(0, 4)).toEqual(['sent INVITE', 'received 182', 'received 200', 'sent ACK']);
      const ringing = ran.node('alice.steps[1]');
      expect(ringing.state).toBe('failed');
      expect(ringing.error).toMatch(/^RINGING event timeout after 300ms: waiting for a 180 or 183; on call call-1\b/);
      await expectCleanEnd(ran);
    } finally {
      await raw.close();
    }
  }, T);
});

// ---- the incoming queue ---------------------------------------------------------------------------

describe('incoming queue', () => {
  it('a queued call rings at once and stays alive until INCOMING takes it', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'RINGING', { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
          bob: { dn: '200', steps: [{ event: 'TIMEOUT', timeout: 400 }, 'INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    expect(ran.wire('bob')).toEqual(['received INVITE', 'sent 180', 'sent 200', 'received ACK', 'received BYE', 'sent 200']);
    // The 180 went out while bob was still in his TIMEOUT, before any INCOMING ran.
    expect(sipAt(ran, 'bob', 'sent 180')).toBeLessThan(nodeAt(ran, 'bob.steps[0]', 'completed'));
    expect(sipAt(ran, 'bob', 'sent 200')).toBeGreaterThan(nodeAt(ran, 'bob.steps[2]', 'running'));
    // alice waited for the answer the whole time: the call stayed up in the queue.
    expect(ran.result.nodes.find((n) => n.nodeId === 'alice.steps[0]')!.durationMs!).toBeGreaterThanOrEqual(350);
    expect(ran.call('bob', 'call-1')).toMatchObject({ peer: '100', end: { reason: 'remote-bye' } });
    await expectCleanEnd(ran);
  }, T);

  it('autoRinging false: no 180, and a RINGING of the caller times out (message: what, which key, how long)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'RINGING', timeout: 1000 }, 'Release'] },
          bob: { dn: '200', autoRinging: false, steps: ['INCOMING', 'Answer', { event: 'DISCONNECTED', timeout: 5000 }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('failed');
    expect(ran.result.failure).toMatchObject({ nodeId: 'alice.steps[1]', instanceId: 'alice' });
    expect(ran.failure).toMatch(/^RINGING event timeout after 1s: waiting for a 180 or 183; on call call-1\b/);
    expect(ran.wire('bob').slice(0, 3)).toEqual(['received INVITE', 'sent 200', 'received ACK']);
    expect(ran.wire('bob')).not.toContain('sent 180');
    expect(ran.wire('alice').slice(0, 3)).toEqual(['sent INVITE', 'received 200', 'sent ACK']);
    // The failure stopped bob's chain; Release never ran; the cleanup ended the call.
    expect(ran.node('bob.steps[2]').state).toBe('stopped');
    expect(ran.node('alice.steps[2]')).toMatchObject({ state: 'pending', runs: 0 });
    expect(ran.wire('alice').includes('sent BYE') || ran.wire('bob').includes('sent BYE')).toBe(true);
    await expectCleanEnd(ran);
  }, T);

  it('INCOMING takes the oldest queued call first', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', timeout: 3000 }] },
          carol: { dn: '300', steps: [{ event: 'TIMEOUT', timeout: 100 }, { command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', timeout: 3000 }] },
          bob: {
            dn: '200',
            steps: [
              { event: 'TIMEOUT', timeout: 300 },
              { event: 'INCOMING', callId: 'a' },
              { event: 'INCOMING', callId: 'b' },
              { command: 'Answer', callId: 'a' },
              { command: 'Answer', callId: 'b' },
              { command: 'Release', callId: 'a' },
              { command: 'Release', callId: 'b' },
            ],
          },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    expect(ran.call('bob', 'a')).toMatchObject({ peer: '100', end: { reason: 'local-bye' } });
    expect(ran.call('bob', 'b')).toMatchObject({ peer: '300', end: { reason: 'local-bye' } });
    expect(ran.call('alice', 'call-1').end?.reason).toBe('remote-bye');
    expect(ran.call('carol', 'call-1').end?.reason).toBe('remote-bye');
    await expectCleanEnd(ran);
  }, T);

  it('beyond queueLimit an INVITE gets 503 Service Unavailable', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', timeout: 3000 }] },
          carol: { dn: '300', steps: [{ event: 'TIMEOUT', timeout: 100 }, { command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED'] }] },
          bob: { dn: '200', steps: [{ event: 'TIMEOUT', timeout: 300 }, 'INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
        },
      },
      { portBase: portBlock(), queueLimit: 1 },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('carol.steps[1]')).toMatchObject({ state: 'failed', error: 'MakeCall failed: 503 Service Unavailable' });
    expect(ran.call('carol', 'call-1')).toMatchObject({ end: { reason: 'rejected', status: 503 } });
    expect(ran.wire('carol')).toEqual(['sent INVITE', 'received 503', 'sent ACK']);
    // bob refused it without ringing, said so, and kept the one that waited.
    expect(ran.wire('bob').filter((m) => m !== 'received ACK' && m !== 'sent 200')).toEqual(['received INVITE', 'sent 180', 'received INVITE', 'sent 503', 'sent BYE', 'received 200']);
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ instanceId: 'bob', level: 'warn', message: expect.stringContaining('503') }));
    expect(ran.call('bob', 'call-1')).toMatchObject({ peer: '100', end: { reason: 'local-bye' } });
    const refused = ran.result.calls.filter((c) => c.instanceId === 'bob' && c.callId === undefined);
    expect(refused.map((c) => [c.peer, c.end?.status])).toEqual([['300', 503]]);
    await expectCleanEnd(ran);
  }, T);

  it('the default queueLimit is 32: the 33rd waiting call gets 503, the others 480 when the run ends', async () => {
    const base = portBlock();
    const raw = await RawSip.open(base + 8);
    try {
      const { ran, started } = start({ instances: { bob: { dn: '200', steps: [{ event: 'TIMEOUT', timeout: 400 }] } } }, base);
      await started;
      for (let i = 0; i < 33; i++) await raw.send(raw.invite({ user: `peer${i}`, to: '200', port: base, sdp: rawOffer(40100 + 2 * i) }).text, base);
      const r = await ran;
      expect(r.result.status).toBe('passed');
      // Every INVITE was taken in arrival order: 32 rang and waited, the 33rd was refused.
      expect(r.wire('bob').filter((m) => m === 'sent 180')).toHaveLength(32);
      expect(r.wire('bob').filter((m) => m === 'sent 503')).toHaveLength(1);
      expect(r.result.calls).toHaveLength(33);
      expect(r.result.calls.every((c) => c.callId === undefined && c.end !== undefined)).toBe(true);
      expect(r.result.calls.filter((c) => c.end?.status === 503).map((c) => c.peer)).toEqual(['peer32']);
      // The 32 that waited got 480 at the end, on the wire.
      await raw.waitFor(() => raw.statuses('INVITE').filter((s) => s === 480).length === 32, 1000).catch(() => undefined);
      await expectCleanEnd(r);
      const statuses = raw.statuses('INVITE');
      expect(statuses.filter((s) => s === 180)).toHaveLength(32);
      expect(statuses.filter((s) => s === 503)).toHaveLength(1);
      expect(statuses.filter((s) => s === 480)).toHaveLength(32);
    } finally {
      await raw.close();
    }
  }, T);

  it('an INCOMING that timed out takes no call: the next INCOMING gets it', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ event: 'TIMEOUT', timeout: 200 }, { command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
          bob: { dn: '200', steps: [{ event: 'INCOMING', timeout: 100, onFailure: [{ event: 'INCOMING', callId: 'late' }, { command: 'Answer', callId: 'late' }, { event: 'DISCONNECTED', callId: 'late' }] }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('bob.steps[0]').error).toMatch(/^INCOMING event timeout after 100ms/);
    expect(ran.node('bob.steps[0].onFailure[2]').state).toBe('completed');
    expect(ran.call('bob', 'late')).toMatchObject({ peer: '100', end: { reason: 'remote-bye' } });
    await expectCleanEnd(ran);
  }, T);

  it('a call CANCELled while queued leaves the queue: INCOMING takes the next one', async () => {
    const base = portBlock();
    const caller = await peerUa(base + 8, 'peer');
    try {
      const { ran, started } = start(
        {
          instances: {
            alice: { dn: '100', steps: [{ event: 'TIMEOUT', timeout: 200 }, { command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
            bob: { dn: '200', steps: [{ event: 'TIMEOUT', timeout: 350 }, { event: 'INCOMING', timeout: 1000 }, 'Answer', 'DISCONNECTED'] },
          },
        },
        base,
      );
      await started;
      const abort = new AbortController();
      const invite = caller.invite(`sip:200@127.0.0.1:${base + 2}`, { sdp: OFFER, signal: abort.signal });
      await wait(100);
      abort.abort();
      const err = await invite.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RequestFailedError);
      expect((err as RequestFailedError).kind).toBe('cancelled');
      expect((err as RequestFailedError).status).toBe(487);
      const r = await ran;
      expect(r.failure).toBeUndefined();
      expect(r.result.status).toBe('passed');
      // INCOMING got alice's call, not the cancelled one.
      expect(r.call('bob', 'call-1')).toMatchObject({ peer: '100', end: { reason: 'remote-bye' } });
      const cancelled = r.result.calls.filter((c) => c.instanceId === 'bob' && c.callId === undefined);
      expect(cancelled.map((c) => [c.peer, c.end?.reason])).toEqual([['peer', 'cancelled']]);
      expect(r.wire('bob').slice(0, 5)).toEqual(['received INVITE', 'sent 180', 'received CANCEL', 'sent 200', 'sent 487']);
      await expectCleanEnd(r);
    } finally {
      await caller.close();
    }
  }, T);

  it('calls still queued when the run ends get 480', async () => {
    const base = portBlock();
    const raw = await RawSip.open(base + 8);
    try {
      const { ran, started } = start({ instances: { bob: { dn: '200', steps: [{ event: 'TIMEOUT', timeout: 300 }] } } }, base);
      await started;
      await raw.send(raw.invite({ user: 'peer', to: '200', port: base, sdp: rawOffer(40010) }).text, base);
      const r = await ran;
      expect(r.result.status).toBe('passed');
      expect(r.wire('bob').slice(0, 3)).toEqual(['received INVITE', 'sent 180', 'sent 480']);
      expect(r.result.calls.map((c) => [c.instanceId, c.callId, c.peer, c.end !== undefined])).toEqual([['bob', undefined, 'peer', true]]);
      // The 480 went out during the cleanup, and reached the caller.
      const cleanup = r.events.findIndex((e) => e.type === 'scenario:action-log' && e.message === 'Starting cleanup');
      expect(sipAt(r, 'bob', 'sent 480')).toBeGreaterThan(cleanup);
      await raw.waitFor((m) => !m.isRequest && m.status === 480, 1000).catch(() => undefined);
      await expectCleanEnd(r);
      expect(raw.statuses('INVITE')).toEqual([180, 480]);
    } finally {
      await raw.close();
    }
  }, T);
});

// ---- MakeCall ---------------------------------------------------------------------------------------

describe('MakeCall', () => {
  it('sends an INVITE with an SDP offer from the DN, completes when the 2xx is ACKed', async () => {
    const base = portBlock();
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', label: 'Alice A', codecs: ['PCMA', 'PCMU'], steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', timeout: 3000 }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
        },
      },
      { portBase: base },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    const invite = rawOf(ran, 'alice', 'sent INVITE');
    expect(invite.startsWith(`INVITE sip:200@127.0.0.1:${base + 2} SIP/2.0\r\n`)).toBe(true);
    expect(invite).toMatch(/^From: "Alice A" <sip:100@127\.0\.0\.1(:\d+)?>;tag=\S+\r$/m);
    expect(invite).toMatch(new RegExp(`^Contact: <sip:100@127\\.0\\.0\\.1:${base}>\\r$`, 'm'));
    expect(invite).toMatch(/^Content-Type: application\/sdp\r$/m);
    expect(invite).toMatch(/^m=audio \d+ RTP\/AVP 8 0 101\r$/m);
    expect(invite).toMatch(/^c=IN IP4 127\.0\.0\.1\r$/m);
    // The callee's Contact carries its DN.
    const ok = rawOf(ran, 'bob', 'sent 200');
    expect(ok).toMatch(new RegExp(`^Contact: <sip:200@127\\.0\\.0\\.1:${base + 2}>\\r$`, 'm'));
    expect(ok).toMatch(/^m=audio \d+ RTP\/AVP 8 /m);
    // Completed after its ACK went out; the call is stored under call-1 with the 2xx's dialog.
    expect(sipAt(ran, 'alice', 'sent ACK')).toBeLessThan(nodeAt(ran, 'alice.steps[0]', 'completed'));
    expect(ran.events.find((e) => e.type === 'sip' && e.instanceId === 'alice' && e.method === 'INVITE')).toMatchObject({ callId: 'call-1' });
    // Once INCOMING stored it, bob's messages of the call carry the key too.
    expect(ran.events[sipAt(ran, 'bob', 'sent 200')]).toMatchObject({ callId: 'call-1', sipCallId: ran.call('alice', 'call-1').sipCallId, cseq: '1 INVITE' });
    expect(ran.events[sipAt(ran, 'bob', 'sent BYE')]).toMatchObject({ callId: 'call-1' });
    expect(ran.call('alice', 'call-1')).toMatchObject({ direction: 'outgoing', peer: '200', end: { reason: 'remote-bye' } });
    expect(ran.call('alice', 'call-1').answeredAt).toBeDefined();
    expect(ran.wire('alice')).toEqual(['sent INVITE', 'received 180', 'received 200', 'sent ACK', 'received BYE', 'sent 200']);
    await expectCleanEnd(ran);
  }, T);

  it('From carries the DN and displayName (over the label) as display name', async () => {
    const base = portBlock();
    const ran = await runScenario(
      {
        instances: {
          carol: { dn: '300', label: 'C', displayName: 'Carol D', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: base },
    );
    expect(ran.result.status).toBe('passed');
    const invite = rawOf(ran, 'carol', 'sent INVITE');
    expect(invite).toMatch(/^From: "Carol D" <sip:300@127\.0\.0\.1(:\d+)?>;tag=\S+\r$/m);
    expect(invite).toMatch(new RegExp(`^Contact: <sip:300@127\\.0\\.0\\.1:${base}>\\r$`, 'm'));
    expect(ran.call('bob', 'call-1').peer).toBe('300');
    await expectCleanEnd(ran);
  }, T);

  it('fails on a final non-2xx with its status and reason (a scripted callee answers 486)', async () => {
    const base = portBlock();
    const callee = await peerUa(base + 8, 'carol');
    callee.on('invite', (call) => call.reject(486));
    try {
      const ran = await runScenario({ instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}` }, 'Release'] } } }, { portBase: base });
      expect(ran.result.status).toBe('failed');
      expect(ran.result.failure).toEqual({ nodeId: 'alice.steps[0]', instanceId: 'alice', message: 'MakeCall failed: 486 Busy Here' });
      expect(ran.events.filter((e) => e.type === 'scenario:failed')).toEqual([
        expect.objectContaining({ nodeId: 'alice.steps[0]', instanceId: 'alice', error: 'instance alice: MakeCall failed: 486 Busy Here' }),
      ]);
      expect(transitions(ran, 'alice.steps[0]')).toEqual(['pending>running', 'running>failed']);
      expect(ran.node('alice.steps[1]')).toMatchObject({ state: 'pending', runs: 0 });
      expect(ran.call('alice', 'call-1')).toMatchObject({ end: { reason: 'rejected', status: 486 } });
      expect(ran.wire('alice').filter((m) => m !== 'received 100')).toEqual(['sent INVITE', 'received 486', 'sent ACK']);
      await expectCleanEnd(ran);
    } finally {
      await callee.close();
    }
  }, T);

  it('fails on its timeout after a CANCEL (RFC 3261 §9.1)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', timeout: 300 }] },
          bob: { dn: '200', steps: ['INCOMING', { event: 'DISCONNECTED', timeout: 3000 }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('failed');
    expect(ran.result.failure).toMatchObject({ nodeId: 'alice.steps[0]', instanceId: 'alice' });
    expect(ran.failure).toMatch(/^MakeCall timed out after 300ms: waiting for the answer; on call call-1\b/);
    expect(ran.wire('alice')).toEqual(['sent INVITE', 'received 180', 'sent CANCEL', 'received 200', 'received 487', 'sent ACK']);
    // (the run fails at once, so bob may close before the ACK of the 487 reaches him)
    expect(ran.wire('bob').slice(0, 5)).toEqual(['received INVITE', 'sent 180', 'received CANCEL', 'sent 200', 'sent 487']);
    expect(ran.call('alice', 'call-1').end?.reason).not.toBe('closed');
    expect(ran.call('bob', 'call-1').end?.reason).toBe('cancelled');
    const node = ran.result.nodes.find((n) => n.nodeId === 'alice.steps[0]')!;
    expect(node.durationMs!).toBeGreaterThanOrEqual(290);
    expect(node.durationMs!).toBeLessThan(1500);
    await expectCleanEnd(ran);
  }, T);

  it('its timeout bounds it even when the callee never answers the CANCEL', async () => {
    const base = portBlock();
    const { raw, finish } = await deafCallee(base);
    try {
      const { ran } = start({ instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}`, timeout: 300 }] } } }, base);
      const early = await within(ran, 1500);
      if (early === 'still running') await finish();
      const r = await ran;
      expect(early, 'MakeCall with timeout 300 was still waiting 1.5 s later (for the final response to its CANCEL)').not.toBe('still running');
      expect(r.result.status).toBe('failed');
      expect(r.failure).toMatch(/^MakeCall timed out after 300ms: waiting for the answer; on call call-1\b/);
      expect(r.wire('alice').slice(0, 3)).toEqual(['sent INVITE', 'received 180', 'sent CANCEL']);
      await expectCleanEnd(r);
    } finally {
      await raw.close();
    }
  }, T);

  it('fails on a transport error', async () => {
    const ran = await runScenario(
      { instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: 'sip:999@255.255.255.255:5060', timeout: 3000 }] } } },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('failed');
    expect(ran.result.failure?.nodeId).toBe('alice.steps[0]');
    expect(ran.failure).toMatch(/^MakeCall failed: 503\b/);
    expect(ran.result.nodes[0]!.durationMs!).toBeLessThan(1000);
    expect(ran.call('alice', 'call-1').end?.reason).toBe('transport');
    await expectCleanEnd(ran);
  }, T);

  it('a Release on another chain CANCELs it while it rings; MakeCall then fails as cancelled', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            chains: [[{ command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED'] }], [{ event: 'TIMEOUT', timeout: 200 }, 'Release']],
          },
          bob: { dn: '200', steps: ['INCOMING', { event: 'DISCONNECTED', timeout: 3000 }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('alice.chains[0][0]')).toMatchObject({ state: 'failed', error: 'MakeCall failed: cancelled by Release' });
    expect(ran.node('alice.chains[0][0].onFailure[0]').state).toBe('completed');
    expect(ran.node('alice.chains[1][1]').state).toBe('completed');
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.chains[1][1]', message: 'Release: the unanswered call was cancelled' }));
    expect(ran.wire('alice')).toEqual(['sent INVITE', 'received 180', 'sent CANCEL', 'received 200', 'received 487', 'sent ACK']);
    expect(ran.call('alice', 'call-1').end?.reason).toBe('cancelled');
    expect(ran.call('bob', 'call-1').end?.reason).toBe('cancelled');
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'bob.steps[1]', message: 'DISCONNECTED: cancelled (the caller cancelled)' }));
    await expectCleanEnd(ran);
  }, T);

  it('is stored under its key at once: RINGING on another chain sees its 180 while it still rings', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            chains: [
              [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 50 }, 'Release'],
              [{ event: 'TIMEOUT', timeout: 50 }, { event: 'RINGING', timeout: 1000 }],
            ],
          },
          bob: { dn: '200', steps: ['INCOMING', { event: 'TIMEOUT', timeout: 300 }, 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    expect(nodeAt(ran, 'alice.chains[1][1]', 'completed')).toBeLessThan(nodeAt(ran, 'alice.chains[0][0]', 'completed'));
    await expectCleanEnd(ran);
  }, T);

  it('a ringing call picked up by another party (INVITE with Replaces, RFC 3891 §3): answered at once, our INVITE CANCELled, MakeCall completes with the new call', async () => {
    const base = portBlock();
    const picker = await peerUa(base + 8, '300');
    try {
      const { engine, ran: running } = start(
        {
          instances: {
            alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: '200', timeout: 5000 }, { event: 'TIMEOUT', timeout: 100 }, { id: 'hang-up', command: 'Release' }] },
            bob: { dn: '200', steps: ['INCOMING', { id: 'bob-gone', event: 'DISCONNECTED', timeout: 5000 }] },
          },
        },
        base,
      );
      // Alice's view of her early dialog with bob, from the 180 she received.
      const ringing = await new Promise<string>((resolve) => {
        const off = engine.on((e) => {
          if (e.type !== 'sip' || e.instanceId !== 'alice' || e.status !== 180) return;
          off();
          resolve(e.raw);
        });
      });
      const header = (name: string): string => new RegExp(`^${name}:\\s*(.*?)\\r?$`, 'mi').exec(ringing)![1]!;
      const tag = (value: string): string => /;tag=([^;>\s]+)/.exec(value)![1]!;
      const replaces = `${header('Call-ID')};to-tag=${tag(header('From'))};from-tag=${tag(header('To'))}`;
      const ended = new Promise<string>((resolve) => picker.on('session', (s) => s.signal.addEventListener('abort', () => resolve(String(s.signal.reason?.reason)), { once: true })));
      const session = await picker.invite(`sip:100@127.0.0.1:${base}`, { sdp: OFFER, headers: { Replaces: replaces } });
      const ran = await running;
      expect(ran.failure).toBeUndefined();
      expect(ran.result.status).toBe('passed');
      expect(ran.node('dial').state).toBe('completed');
      expect(ran.logs('alice').some((m) => m.startsWith('MakeCall succeeded: 300 took the ringing call over'))).toBe(true);
      // Our INVITE to bob was CANCELled (487), and bob's DISCONNECTED saw it end.
      expect(ran.wire('alice')).toEqual(expect.arrayContaining(['sent CANCEL', 'received 487', 'sent BYE']));
      expect(ran.call('bob', 'call-1').end?.reason).toBe('cancelled');
      expect(ran.node('bob-gone').state).toBe('completed');
      // call-1 is now the picker's call: Release sent it BYE.
      const call = ran.call('alice', 'call-1');
      expect(call).toMatchObject({ peer: '300', sipCallId: session.callId, end: { reason: 'local-bye' } });
      expect(call.answeredAt).toBeDefined();
      expect(await ended).toBe('remote-bye');
      await expectCleanEnd(ran);
    } finally {
      await picker.close();
    }
  }, T);
});

// ---- Answer ----------------------------------------------------------------------------------------

describe('Answer', () => {
  it('late offer: an INVITE without SDP gets our offer in the 200; the answer comes in the ACK', async () => {
    const base = portBlock();
    const caller = await peerUa(base + 8, 'peer');
    try {
      const { ran, started } = start({ instances: { bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'DISCONNECTED', timeout: 3000 }] } } }, base);
      await started;
      const session = await caller.invite(`sip:200@127.0.0.1:${base}`);
      expect(session.remoteSdp).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101\r$/m);
      await wait(50);
      await session.bye();
      const r = await ran;
      expect(r.failure).toBeUndefined();
      expect(r.result.status).toBe('passed');
      const invite = rawOf(r, 'bob', 'received INVITE');
      expect(invite).not.toMatch(/^m=audio/m);
      expect(rawOf(r, 'bob', 'sent 200')).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101\r$/m);
      expect(rawOf(r, 'bob', 'received ACK')).toMatch(/^m=audio 40000 RTP\/AVP/m);
      expect(sipAt(r, 'bob', 'received ACK')).toBeLessThan(nodeAt(r, 'bob.steps[1]', 'completed'));
      expect(r.call('bob', 'call-1')).toMatchObject({ direction: 'incoming', peer: 'peer', end: { reason: 'remote-bye' } });
      await expectCleanEnd(r);
    } finally {
      await caller.close();
    }
  }, T);

  it('no common codec: 488 and a clear failure on both sides (caller PCMU only, callee PCMA only)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', codecs: ['PCMU'], steps: [{ command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED', { event: 'TIMEOUT', timeout: 100 }] }] },
          bob: { dn: '200', codecs: ['PCMA'], steps: ['INCOMING', { command: 'Answer', onFailure: ['DISCONNECTED'] }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const answer = ran.node('bob.steps[1]');
    expect(answer.state).toBe('failed');
    expect(answer.error).toMatch(/488/);
    expect(answer.error).toMatch(/codec/i);
    expect(ran.node('alice.steps[0]')).toMatchObject({ state: 'failed', error: 'MakeCall failed: 488 Not Acceptable Here' });
    expect(ran.wire('bob')).toEqual(['received INVITE', 'sent 180', 'sent 488', 'received ACK']);
    expect(ran.call('bob', 'call-1').end?.reason).toBe('rejected');
    expect(ran.call('alice', 'call-1')).toMatchObject({ end: { reason: 'rejected', status: 488 } });
    await expectCleanEnd(ran);
    // The summary keeps the status that ended the call on bob's side too.
    expect(ran.call('bob', 'call-1').end).toMatchObject({ reason: 'rejected', status: 488 });
  }, T);

  it('fails when there is no unanswered incoming call under its key (answering twice)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 100 }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { command: 'Answer', onFailure: ['DISCONNECTED'] }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const again = ran.node('bob.steps[2]');
    expect(again.state).toBe('failed');
    expect(again.error).toContain('call-1');
    expect(again.error).toMatch(/no incoming call to answer/);
    expect(ran.wire('bob').filter((m) => m === 'sent 200')).toHaveLength(2); // the answer, and the 200 to the BYE
    await expectCleanEnd(ran);
  }, T);

  it('fails cleanly when the caller gave up after INCOMING took the call', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', timeout: 150, onFailure: [{ event: 'DISCONNECTED' }] }] },
          bob: { dn: '200', steps: ['INCOMING', { event: 'TIMEOUT', timeout: 300 }, { command: 'Answer', onFailure: ['DISCONNECTED'] }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const answer = ran.node('bob.steps[2]');
    expect(answer.state).toBe('failed');
    expect(answer.error).toContain('call-1');
    expect(answer.error).toContain('cancelled');
    expect(ran.wire('bob').filter((m) => m === 'sent 200')).toHaveLength(1); // the 200 to the CANCEL only
    expect(ran.call('bob', 'call-1').end?.reason).toBe('cancelled');
    await expectCleanEnd(ran);
  }, T);

  it('times out when the ACK never comes, saying what it waited for, on which key, for how long', async () => {
    const base = portBlock();
    const raw = await RawSip.open(base + 8);
    try {
      const { ran, started } = start({ instances: { bob: { dn: '200', steps: ['INCOMING', { command: 'Answer', timeout: 300 }] } } }, base);
      await started;
      const invite = raw.invite({ user: 'raw', to: '200', port: base, sdp: rawOffer(40008) });
      await raw.send(invite.text, base);
      const r = await ran;
      expect(r.result.status).toBe('failed');
      expect(r.result.failure?.nodeId).toBe('bob.steps[1]');
      expect(r.failure).toMatch(/^Answer timed out after 300ms: waiting for the ACK; on call call-1\b/);
      expect(raw.statuses('INVITE').slice(0, 2)).toEqual([180, 200]);
      await expectCleanEnd(r);
    } finally {
      await raw.close();
    }
  }, T);
});

// ---- Reject -----------------------------------------------------------------------------------------

describe('Reject', () => {
  it('answers 486 Busy Here by default', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED', { event: 'TIMEOUT', timeout: 100 }] }] },
          bob: { dn: '200', steps: ['INCOMING', 'Reject', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('bob.steps[1]').state).toBe('completed');
    expect(ran.node('alice.steps[0]')).toMatchObject({ state: 'failed', error: 'MakeCall failed: 486 Busy Here' });
    expect(ran.wire('bob')).toEqual(['received INVITE', 'sent 180', 'sent 486', 'received ACK']);
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[0].onFailure[0]', message: 'DISCONNECTED: rejected (486 Busy Here)' }));
    await expectCleanEnd(ran);
    // The summary keeps the status that ended the call.
    expect(ran.call('bob', 'call-1').end).toMatchObject({ reason: 'rejected', status: 486 });
  }, T);

  it('answers the status and reason of its choice', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED'] }] },
          bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 603, reason: 'Not Today' }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('alice.steps[0]').error).toBe('MakeCall failed: 603 Not Today');
    expect(rawOf(ran, 'bob', 'sent 603').startsWith('SIP/2.0 603 Not Today\r\n')).toBe(true);
    await expectCleanEnd(ran);
    expect(ran.call('bob', 'call-1').end).toMatchObject({ reason: 'rejected', status: 603 });
  }, T);

  it('fails on a call that is already answered, and leaves it up', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', timeout: 3000 }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { command: 'Reject', onFailure: ['Release'] }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const reject = ran.node('bob.steps[2]');
    expect(reject.state).toBe('failed');
    expect(reject.error).toContain('call-1');
    expect(ran.call('bob', 'call-1').end?.reason).toBe('local-bye');
    expect(ran.wire('bob')).not.toContain('sent 486');
    await expectCleanEnd(ran);
  }, T);
});

// ---- Release ----------------------------------------------------------------------------------------

describe('Release', () => {
  it('sends BYE on a confirmed call', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release', 'DISCONNECTED'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.wire('alice')).toEqual(['sent INVITE', 'received 180', 'received 200', 'sent ACK', 'sent BYE', 'received 200']);
    expect(sipAt(ran, 'alice', 'received 200')).toBeLessThan(nodeAt(ran, 'alice.steps[1]', 'running'));
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[1]', message: 'Release succeeded' }));
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[2]', message: 'DISCONNECTED: local-bye (we sent BYE)' }));
    await expectCleanEnd(ran);
  }, T);

  it('CANCELs a call that has had no provisional yet, once one comes (RFC 3261 §9.1)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', chains: [[{ command: 'MakeCall', targetUri: '200', onFailure: [{ event: 'TIMEOUT', timeout: 1 }] }], [{ event: 'TIMEOUT', timeout: 50 }, 'Release']] },
          // No 180: the INVITE server transaction sends 100 Trying after 200 ms.
          bob: { dn: '200', autoRinging: false, steps: [{ event: 'TIMEOUT', timeout: 700 }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('alice.chains[0][0]')).toMatchObject({ state: 'failed', error: 'MakeCall failed: cancelled by Release' });
    expect(ran.node('alice.chains[1][1]').state).toBe('completed');
    expect(ran.wire('alice').slice(0, 3)).toEqual(['sent INVITE', 'received 100', 'sent CANCEL']);
    expect(ran.wire('bob')).toContain('received CANCEL');
    expect(ran.wire('bob')).not.toContain('sent 480');
    expect(ran.result.calls.map((c) => [c.instanceId, c.end?.reason])).toEqual([
      ['alice', 'cancelled'],
      ['bob', 'cancelled'],
    ]);
    await expectCleanEnd(ran);
  }, T);

  it('answers an unanswered incoming call 480 by default', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED', { event: 'TIMEOUT', timeout: 100 }] }] },
          bob: { dn: '200', steps: ['INCOMING', 'Release', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('alice.steps[0]').error).toBe('MakeCall failed: 480 Temporarily Unavailable');
    expect(ran.wire('bob')).toEqual(['received INVITE', 'sent 180', 'sent 480', 'received ACK']);
    await expectCleanEnd(ran);
    expect(ran.call('bob', 'call-1').end).toMatchObject({ reason: 'rejected', status: 480 });
  }, T);

  it('answers an unanswered incoming call with its `status`', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', onFailure: ['DISCONNECTED'] }] },
          bob: { dn: '200', steps: ['INCOMING', { command: 'Release', status: 404 }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('alice.steps[0]').error).toBe('MakeCall failed: 404 Not Found');
    expect(ran.wire('bob')).toContain('sent 404');
    await expectCleanEnd(ran);
  }, T);

  it('succeeds with a warning when the call has already ended or never existed', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 50 }, 'Release', 'Release', { command: 'Release', callId: 'ghost' }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED', 'Release'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    for (const id of ['alice.steps[3]', 'alice.steps[4]', 'bob.steps[3]']) {
      expect(ran.node(id).state).toBe('completed');
      expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: id, level: 'warn', message: 'No active dialog to release (already terminated)' }));
    }
    // One BYE only, the first Release's.
    expect(ran.wire('alice').filter((m) => m === 'sent BYE')).toHaveLength(1);
    expect(ran.wire('bob').filter((m) => m === 'sent BYE')).toHaveLength(0);
    await expectCleanEnd(ran);
  }, T);
});

// ---- events ------------------------------------------------------------------------------------------

describe('events', () => {
  it('INCOMING takes the call and stores it under its key without answering it', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 50 }, 'Release'] },
          bob: { dn: '200', steps: [{ event: 'INCOMING', callId: 'in' }, { event: 'TIMEOUT', timeout: 250 }, { command: 'Answer', callId: 'in' }, { event: 'DISCONNECTED', callId: 'in' }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    expect(sipAt(ran, 'bob', 'sent 200')).toBeGreaterThan(nodeAt(ran, 'bob.steps[2]', 'running'));
    expect(ran.result.nodes.find((n) => n.nodeId === 'alice.steps[0]')!.durationMs!).toBeGreaterThanOrEqual(230);
    expect(ran.call('bob', 'in')).toMatchObject({ direction: 'incoming', peer: '100', end: { reason: 'remote-bye' } });
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'bob.steps[0]', message: 'INCOMING event received from 100 (callID: in)' }));
    await expectCleanEnd(ran);
  }, T);

  it('RINGING on an incoming call fails at once', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', timeout: 3000 }] },
          bob: { dn: '200', steps: ['INCOMING', { event: 'RINGING', timeout: 5000, onFailure: ['Answer', 'Release'] }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const ringing = ran.node('bob.steps[1]');
    expect(ringing.state).toBe('failed');
    expect(ringing.error).toContain('call-1');
    expect(ran.result.nodes.find((n) => n.nodeId === 'bob.steps[1]')!.durationMs!).toBeLessThan(500);
    await expectCleanEnd(ran);
  }, T);

  it('DISCONNECTED completes for any end: a refused call', async () => {
    const base = portBlock();
    const callee = await peerUa(base + 8, 'carol');
    callee.on('invite', (call) => call.reject(603, 'Nope'));
    try {
      const ran = await runScenario(
        { instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}`, onFailure: [{ event: 'DISCONNECTED', timeout: 500 }] }] } } },
        { portBase: base },
      );
      expect(ran.result.status).toBe('passed');
      expect(ran.node('alice.steps[0]').error).toBe('MakeCall failed: 603 Nope');
      expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[0].onFailure[0]', message: 'DISCONNECTED: rejected (603 Nope)' }));
      await expectCleanEnd(ran);
    } finally {
      await callee.close();
    }
  }, T);

  it('TIMEOUT waits its timeout and succeeds', async () => {
    const ran = await runScenario({ instances: { alice: { steps: [{ event: 'TIMEOUT', timeout: 200 }] } } }, { portBase: portBlock() });
    expect(ran.result.status).toBe('passed');
    const node = ran.result.nodes[0]!;
    expect(node.state).toBe('completed');
    expect(node.durationMs!).toBeGreaterThanOrEqual(195);
    expect(node.durationMs!).toBeLessThan(600);
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[0]', message: 'TIMEOUT event completed after 200 ms' }));
    await expectCleanEnd(ran);
  }, T);

  it('a wait whose call ends meanwhile fails at once with that reason; DISCONNECTED is the exception', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            chains: [
              [{ command: 'MakeCall', targetUri: '200' }, 'RINGING', { event: 'RINGING', timeout: 5000, onFailure: [{ event: 'TIMEOUT', timeout: 1 }] }],
              [{ event: 'TIMEOUT', timeout: 50 }, { event: 'DISCONNECTED', timeout: 5000 }],
            ],
          },
          bob: {
            dn: '200',
            chains: [
              ['INCOMING', 'Answer', { event: 'HELD', timeout: 5000, onFailure: [{ event: 'TIMEOUT', timeout: 1 }] }],
              [{ event: 'TIMEOUT', timeout: 250 }, 'Release'],
            ],
          },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const byeAt = ran.result.calls.find((c) => c.instanceId === 'bob')!.endedAt!;
    for (const [id, what] of [
      ['alice.chains[0][2]', 'RINGING'],
      ['bob.chains[0][2]', 'HELD'],
    ] as const) {
      const node = ran.result.nodes.find((n) => n.nodeId === id)!;
      expect(node.state, id).toBe('failed');
      expect(node.error).toContain(what);
      expect(node.error).toContain('call-1');
      expect(node.error).toMatch(/remote-bye|local-bye/);
      // It ended with the call (about 250 ms in), not after its 5 s.
      expect(node.durationMs!).toBeLessThan(1500);
      expect(Math.abs(node.endedAt! - byeAt)).toBeLessThan(500);
    }
    expect(ran.result.nodes.find((n) => n.nodeId === 'bob.chains[0][2]')!.error).toBe('HELD: call call-1 ended (local-bye: we sent BYE)');
    expect(ran.result.nodes.find((n) => n.nodeId === 'alice.chains[0][2]')!.error).toBe('RINGING: call call-1 ended (remote-bye: the peer sent BYE)');
    expect(ran.node('alice.chains[1][1]').state).toBe('completed');
    await expectCleanEnd(ran);
  }, T);

  it('timeouts say what was awaited, on which key, for how long', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', callId: 'call-1', timeout: 400, onFailure: ['Release'] }] },
          bob: {
            dn: '200',
            steps: ['INCOMING', 'Answer', { event: 'INCOMING', callId: 'second', timeout: 300, onFailure: [{ event: 'DISCONNECTED', timeout: 3000 }] }],
          },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('alice.steps[1]').error).toMatch(/^DISCONNECTED event timeout after 400ms: waiting for the end of the call; on call call-1 \(confirmed\)/);
    const incoming = ran.node('bob.steps[2]').error;
    expect(incoming).toMatch(/^INCOMING event timeout after 300ms: waiting for an incoming call\b/);
    expect(incoming).toContain('bob');
    // The key the call would have been stored under.
    expect(incoming).toContain('second');
    await expectCleanEnd(ran);
  }, T);
});

// ---- the executor -----------------------------------------------------------------------------------

describe('executor', () => {
  it('starts every start node of every instance at once', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { chains: [[{ event: 'TIMEOUT', timeout: 300 }], [{ event: 'TIMEOUT', timeout: 300 }]] },
          bob: { steps: [{ event: 'TIMEOUT', timeout: 300 }] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    const ids = ['alice.chains[0][0]', 'alice.chains[1][0]', 'bob.steps[0]'];
    for (const id of ids) expect(transitions(ran, id)).toEqual(['pending>running', 'running>completed']);
    const lastStart = Math.max(...ids.map((id) => nodeAt(ran, id, 'running')));
    const firstEnd = Math.min(...ids.map((id) => nodeAt(ran, id, 'completed')));
    expect(lastStart).toBeLessThan(firstEnd);
    expect(ran.result.durationMs).toBeLessThan(600);
    const started = ran.events.findIndex((e) => e.type === 'scenario:started');
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(Math.min(...ids.map((id) => nodeAt(ran, id, 'running'))));
    await expectCleanEnd(ran);
  }, T);

  it('a failure without a branch fails the run and stops the other chains', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { steps: [{ event: 'INCOMING', timeout: 200 }, { event: 'TIMEOUT', timeout: 10 }] },
          bob: { chains: [[{ event: 'TIMEOUT', timeout: 5000 }, { event: 'TIMEOUT', timeout: 10 }], [{ event: 'INCOMING', timeout: 5000 }]] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('failed');
    expect(ran.result.failure).toEqual({ nodeId: 'alice.steps[0]', instanceId: 'alice', message: expect.stringMatching(/^INCOMING event timeout after 200ms/) });
    expect(transitions(ran, 'alice.steps[0]')).toEqual(['pending>running', 'running>failed']);
    expect(ran.node('alice.steps[1]')).toMatchObject({ state: 'pending', runs: 0 });
    for (const id of ['bob.chains[0][0]', 'bob.chains[1][0]']) {
      expect(transitions(ran, id)).toEqual(['pending>running', 'running>stopped']);
      expect(ran.node(id).error).toBeDefined();
    }
    expect(ran.node('bob.chains[0][1]')).toMatchObject({ state: 'pending', runs: 0 });
    expect(ran.result.durationMs).toBeLessThan(2000);
    const failed = ran.events.filter((e) => e.type === 'scenario:failed');
    expect(failed).toEqual([expect.objectContaining({ nodeId: 'alice.steps[0]', instanceId: 'alice', error: `instance alice: ${ran.failure}` })]);
    expect(ran.events.some((e) => e.type === 'scenario:completed' || e.type === 'scenario:stopped')).toBe(false);
    const nodeEvent = ran.events.find((e) => e.type === 'scenario:node-state' && e.nodeId === 'alice.steps[0]' && e.newState === 'failed');
    expect(nodeEvent).toMatchObject({ error: ran.failure });
    await expectCleanEnd(ran);
  }, T);

  it('a failure caught by its branch does not fail the run', async () => {
    const ran = await runScenario(
      { instances: { alice: { steps: [{ event: 'INCOMING', timeout: 100, onFailure: [{ event: 'TIMEOUT', timeout: 10 }] }, { event: 'TIMEOUT', timeout: 10 }] } } },
      { portBase: portBlock() },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.result.failure).toBeUndefined();
    expect(transitions(ran, 'alice.steps[0]')).toEqual(['pending>running', 'running>failed']);
    expect(ran.node('alice.steps[0].onFailure[0]').state).toBe('completed');
    // The branch ends the chain: the success successor never runs.
    expect(ran.node('alice.steps[1]')).toMatchObject({ state: 'pending', runs: 0 });
    expect(ran.events.filter((e) => e.type === 'scenario:completed')).toHaveLength(1);
    expect(ran.events.some((e) => e.type === 'scenario:failed')).toBe(false);
    expect(logEntries(ran)).toContainEqual(expect.objectContaining({ nodeId: 'alice.steps[0]', level: 'error', message: ran.node('alice.steps[0]').error }));
    await expectCleanEnd(ran);
  }, T);

  it('cycles: a chain may loop (redial until answered)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { id: 'dial', command: 'MakeCall', targetUri: '200', timeout: 300, onFailure: [{ event: 'TIMEOUT', timeout: 100, next: 'dial' }] },
              { event: 'TIMEOUT', timeout: 50 },
              'Release',
            ],
          },
          bob: { dn: '200', steps: [{ event: 'TIMEOUT', timeout: 520 }, 'INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: portBlock() },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    const dial = ran.node('dial');
    expect(dial.state).toBe('completed');
    expect(dial.runs).toBeGreaterThanOrEqual(2);
    expect(ran.node('alice.steps[0].onFailure[0]').runs).toBe(dial.runs - 1);
    expect(transitions(ran, 'dial')).toEqual([...Array.from({ length: dial.runs - 1 }, () => ['pending>running', 'running>failed']).flat(), 'pending>running', 'running>completed']);
    const alices = ran.result.calls.filter((c) => c.instanceId === 'alice');
    expect(alices.map((c) => c.end?.reason)).toEqual([...Array.from({ length: dial.runs - 1 }, () => 'cancelled'), 'local-bye']);
    // bob took the live call; the cancelled ones had left his queue.
    expect(ran.call('bob', 'call-1').sipCallId).toBe(alices.at(-1)!.sipCallId);
    await expectCleanEnd(ran);
  }, T);
});

// ---- stopping -------------------------------------------------------------------------------------------

describe('stopping', () => {
  /** Runs `scenario`, stops it after `ms`, and checks what every stop has in common. */
  async function stopAfter(scenario: unknown, ms: number, how: 'stop' | 'signal' = 'stop'): Promise<{ ran: Ran; stopLatency: number }> {
    const abort = new AbortController();
    const { engine, ran } = start(scenario, portBlock(), how === 'signal' ? { signal: abort.signal } : {});
    await wait(ms);
    expect(engine.running).toBe(true);
    const t0 = performance.now();
    if (how === 'stop') expect(engine.stop()).toBe(true);
    else abort.abort();
    const r = await ran;
    const stopLatency = performance.now() - t0;
    expect(r.result.status).toBe('stopped');
    expect(r.result.failure).toBeUndefined();
    expect(r.events.filter((e) => e.type === 'scenario:stopped')).toHaveLength(1);
    expect(r.events.some((e) => e.type === 'scenario:failed' || e.type === 'scenario:completed')).toBe(false);
    expect(engine.stop()).toBe(false);
    // Nobody failed: a stop is not a timeout.
    expect(r.result.nodes.filter((n) => n.state === 'failed')).toEqual([]);
    await expectCleanEnd(r);
    return { ran: r, stopLatency };
  }

  it('during INCOMING', async () => {
    const { ran, stopLatency } = await stopAfter({ instances: { bob: { dn: '200', steps: [{ event: 'INCOMING', timeout: 5000 }, 'Answer'] } } }, 200);
    expect(ran.node('bob.steps[0]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
    expect(transitions(ran, 'bob.steps[0]')).toEqual(['pending>running', 'running>stopped']);
    expect(ran.node('bob.steps[1]')).toMatchObject({ state: 'pending', runs: 0 });
    expect(stopLatency).toBeLessThan(1000);
  }, T);

  it('during a MakeCall that rings (the callee never answers): CANCEL', async () => {
    const { ran, stopLatency } = await stopAfter(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', timeout: 5000 }] },
          bob: { dn: '200', steps: ['INCOMING', { event: 'DISCONNECTED', timeout: 5000 }] },
        },
      },
      250,
    );
    expect(ran.node('alice.steps[0]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
    expect(['stopped', 'completed']).toContain(ran.node('bob.steps[1]').state);
    expect(ran.wire('alice')).toEqual(['sent INVITE', 'received 180', 'sent CANCEL', 'received 200', 'received 487', 'sent ACK']);
    expect(ran.call('bob', 'call-1').end?.reason).toBe('cancelled');
    expect(stopLatency).toBeLessThan(1500);
  }, T);

  it('during a MakeCall that rings at a callee that never answers the CANCEL: still at once', async () => {
    const base = portBlock();
    const { raw, finish } = await deafCallee(base);
    try {
      const { engine, ran } = start({ instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}`, timeout: 5000 }] } } }, base);
      await raw.waitFor((m) => m.isRequest && m.method === 'INVITE', 1000);
      await wait(100);
      expect(engine.stop()).toBe(true);
      const early = await within(ran, 1500);
      if (early === 'still running') await finish();
      const r = await ran;
      expect(early, 'the stopped run was still waiting 1.5 s later (for the final response to its CANCEL)').not.toBe('still running');
      expect(r.result.status).toBe('stopped');
      expect(r.node('alice.steps[0]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
      expect(r.wire('alice')).toContain('sent CANCEL');
      await expectCleanEnd(r);
    } finally {
      await raw.close();
    }
  }, T);

  it('during TIMEOUT', async () => {
    const { ran, stopLatency } = await stopAfter({ instances: { alice: { steps: [{ event: 'TIMEOUT', timeout: 5000 }, { event: 'TIMEOUT', timeout: 10 }] } } }, 150);
    expect(ran.node('alice.steps[0]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
    expect(ran.node('alice.steps[1]').state).toBe('pending');
    expect(ran.result.nodes[0]!.durationMs!).toBeLessThan(1000);
    expect(stopLatency).toBeLessThan(1000);
  }, T);

  it('during DISCONNECTED: the cleanup hangs the call up', async () => {
    const { ran, stopLatency } = await stopAfter(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'DISCONNECTED', timeout: 5000 }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'DISCONNECTED', timeout: 5000 }] },
        },
      },
      250,
    );
    expect(ran.node('alice.steps[1]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
    expect(ran.node('bob.steps[2]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
    expect([...ran.wire('alice'), ...ran.wire('bob')]).toContain('sent BYE');
    expect(stopLatency).toBeLessThan(1500);
  }, T);

  it('aborting the run signal stops it as engine.stop() does', async () => {
    const { ran } = await stopAfter({ instances: { bob: { dn: '200', steps: [{ event: 'INCOMING', timeout: 5000 }] } } }, 150, 'signal');
    expect(ran.node('bob.steps[0]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
  }, T);

  it('stop() with no run in progress returns false', () => {
    expect(new Engine({ portBase: 31999 }).stop()).toBe(false);
  });
});

// ---- one run at a time ----------------------------------------------------------------------------------

describe('one run at a time', () => {
  it('a second run() while one runs rejects with EngineError already-running; the first goes on', async () => {
    const base = portBlock();
    const { engine, ran } = start({ instances: { alice: { steps: [{ event: 'TIMEOUT', timeout: 300 }] } } }, base);
    await wait(50);
    const second = engine.run({ instances: { other: { steps: [{ event: 'TIMEOUT', timeout: 10 }] } } }, { env: {} });
    await expect(second).rejects.toBeInstanceOf(EngineError);
    await expect(second).rejects.toMatchObject({ code: 'already-running' });
    const r = await ran;
    expect(r.result.status).toBe('passed');
    expect(r.result.instances.map((i) => i.id)).toEqual(['alice']);
    await expectCleanEnd(r);
    // Once it is over, the next run starts at once, on the same ports.
    const again = await runOn(engine, { instances: { alice: { steps: [{ event: 'TIMEOUT', timeout: 10 }] } } });
    expect(again.result.status).toBe('passed');
    expect(again.result.instances[0]!.address.port).toBe(base);
  }, T);
});

// ---- local mode ports -----------------------------------------------------------------------------------

describe('local mode ports', () => {
  it('instances take portBase and the next ports two apart, in scenario order, skipping a taken one', async () => {
    const base = portBlock();
    const blocker = await occupy(base);
    try {
      const ran = await runScenario(
        {
          instances: {
            alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
            bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
          },
        },
        { portBase: base },
      );
      expect(ran.result.status).toBe('passed');
      expect(ran.result.instances.map((i) => [i.id, i.address])).toEqual([
        ['alice', { address: '127.0.0.1', port: base + 2 }],
        ['bob', { address: '127.0.0.1', port: base + 4 }],
      ]);
      expect(rawOf(ran, 'alice', 'sent INVITE').startsWith(`INVITE sip:200@127.0.0.1:${base + 4} SIP/2.0`)).toBe(true);
      await expectCleanEnd(ran);
    } finally {
      await release(blocker);
    }
  }, T);

  it('an instance with `port` uses it as is', async () => {
    const base = portBlock();
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', port: base + 8, steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { portBase: base },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.result.instances.map((i) => [i.id, i.address.port])).toEqual([
      ['alice', base + 8],
      ['bob', base],
    ]);
    await expectCleanEnd(ran);
  }, T);

  it('a taken `port` is a clear EngineError instance-start; the instances already started are closed first', async () => {
    const base = portBlock();
    const blocker = await occupy(base + 6);
    const engine = new Engine({ portBase: base, closeTimeoutMs: 500 });
    const events: RunEvent[] = [];
    engine.on((e) => events.push(e));
    try {
      const scenario = {
        instances: {
          alice: { dn: '100', steps: [{ event: 'TIMEOUT', timeout: 10 }] },
          bob: { dn: '200', steps: [{ event: 'TIMEOUT', timeout: 10 }] },
          carol: { dn: '300', port: base + 6, steps: [{ event: 'TIMEOUT', timeout: 10 }] },
        },
      };
      const err = await engine.run(scenario, { env: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe('instance-start');
      expect((err as EngineError).message).toContain('carol');
      expect((err as EngineError).message).toContain(`127.0.0.1:${base + 6}`);
      expect((err as EngineError).message).toContain('EADDRINUSE');
      expect(engine.running).toBe(false);
      // alice and bob had started (base, base+2): their sockets are closed again.
      expect(await canBind(base)).toBe(true);
      expect(await canBind(base + 2)).toBe(true);
      expect(events.some((e) => e.type === 'scenario:node-state')).toBe(false);
      // Free the port and the same engine runs the scenario at once.
      await release(blocker);
      const ran = await runOn(engine, scenario);
      expect(ran.result.status).toBe('passed');
      expect(ran.result.instances.map((i) => i.address.port)).toEqual([base, base + 2, base + 6]);
    } finally {
      await release(blocker).catch(() => undefined);
    }
  }, T);
});

// ---- cleanup -----------------------------------------------------------------------------------------------

describe('cleanup after every run', () => {
  it('ends every call (BYE, CANCEL, 480), frees the ports, and a new run starts at once on them', async () => {
    const base = portBlock();
    const raw = await RawSip.open(base + 8);
    try {
      const scenario = {
        instances: {
          // A confirmed call that nobody releases.
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer'] },
          // A call that rings until the end.
          carol: { dn: '300', steps: [{ command: 'MakeCall', targetUri: '400', timeout: 5000 }] },
          // Takes no call: carol's and the raw peer's wait in its queue.
          dave: { dn: '400', steps: [{ event: 'TIMEOUT', timeout: 5000 }] },
        },
      };
      const { engine, ran, started } = start(scenario, base);
      await started;
      await raw.send(raw.invite({ user: 'peer', to: '400', port: base + 6, sdp: rawOffer(40012) }).text, base + 6);
      await wait(250);
      engine.stop();
      const r = await ran;
      expect(r.result.status).toBe('stopped');
      expect([...r.wire('alice'), ...r.wire('bob')]).toContain('sent BYE');
      expect(r.wire('carol')).toContain('sent CANCEL');
      expect(r.wire('dave')).toContain('sent 480');
      expect(r.result.calls).toHaveLength(5);
      for (const c of r.result.calls) expect(c.end, `${c.instanceId} ${c.callId ?? c.peer}`).toBeDefined();
      expect(r.node('alice.steps[0]').state).toBe('completed');
      expect(r.node('bob.steps[1]').state).toBe('completed');
      expect(r.node('carol.steps[0]').state).toBe('stopped');
      expect(r.node('dave.steps[0]').state).toBe('stopped');
      // Cleanup is the last thing logged, and every port is free again.
      await expectCleanEnd(r);
      for (const p of [base, base + 2, base + 4, base + 6]) expect(await canBind(p)).toBe(true);
      // The same engine runs again at once, on the same ports.
      const again = await runOn(engine, {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      });
      expect(again.result.status).toBe('passed');
      expect(again.result.instances.map((i) => i.address.port)).toEqual([base, base + 2]);
      await expectCleanEnd(again);
      // The peer that waited in dave's queue was told so: 480.
      await raw.waitFor((m) => !m.isRequest && m.status === 480, 500).catch(() => undefined);
      expect(raw.statuses('INVITE')).toEqual([180, 480]);
    } finally {
      await raw.close();
    }
  }, T);

  it('a call still ringing at the end is CANCELled, and the 487 is ACKed on the wire', async () => {
    const base = portBlock();
    const raw = await RawSip.open(base + 8);
    let invite: SipRequest | undefined;
    raw.onInvite = (request) => {
      invite = request;
      void raw.respond(request, 180, base, { toTag: 'rawcallee', headers: [['Contact', `<sip:300@127.0.0.1:${base + 8}>`]] });
    };
    try {
      const { engine, ran, started } = start({ instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}`, timeout: 5000 }] } } }, base);
      await started;
      await raw.waitFor((m) => m.isRequest && m.method === 'INVITE', 1000);
      await wait(100);
      // The callee answers the CANCEL (200, automatic) and then its INVITE with 487.
      const answered = raw.waitFor((m) => m.isRequest && m.method === 'CANCEL', 2000).then(() => raw.respond(invite!, 487, base, { toTag: 'rawcallee' }));
      engine.stop();
      await answered;
      const r = await ran;
      expect(r.result.status).toBe('stopped');
      expect(r.node('alice.steps[0]')).toMatchObject({ state: 'stopped', error: 'the run was stopped' });
      expect(r.wire('alice')).toEqual(['sent INVITE', 'received 180', 'sent CANCEL', 'received 200', 'received 487', 'sent ACK']);
      await raw.waitFor((m) => m.isRequest && m.method === 'ACK', 500).catch(() => undefined);
      expect(raw.received.filter((x) => x.message.isRequest).map((x) => (x.message as SipRequest).method)).toEqual(['INVITE', 'CANCEL', 'ACK']);
      await expectCleanEnd(r);
    } finally {
      await raw.close();
    }
  }, T);

  it('the cleanup of a passed run hangs up a call nobody released, on the wire', async () => {
    const base = portBlock();
    const callee = await peerUa(base + 8, 'carol');
    const sessions: Array<Awaited<ReturnType<IncomingCall['answer']>>> = [];
    callee.on('invite', (call) => void call.answer().then((session) => sessions.push(session), () => undefined));
    try {
      const ran = await runScenario(
        {
          instances: {
            alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }] },
            bob: { dn: '200', steps: ['INCOMING', 'Answer'] },
            dave: { dn: '400', steps: [{ command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 8}` }] },
          },
        },
        { portBase: base },
      );
      expect(ran.result.status).toBe('passed');
      const cleanup = ran.events.findIndex((e) => e.type === 'scenario:action-log' && e.message === 'Starting cleanup');
      const byes = ran.events.flatMap((e, i) => (e.type === 'sip' && e.method === 'BYE' && e.direction === 'sent' ? [i] : []));
      expect(byes.length).toBeGreaterThanOrEqual(2);
      for (const i of byes) expect(i).toBeGreaterThan(cleanup);
      expect(ran.wire('dave').slice(-2)).toEqual(['sent BYE', 'received 200']);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]!.signal.aborted).toBe(true);
      expect((sessions[0]!.signal.reason as { reason?: string }).reason).toBe('remote-bye');
      await expectCleanEnd(ran);
    } finally {
      await callee.close();
    }
  }, T);
});

