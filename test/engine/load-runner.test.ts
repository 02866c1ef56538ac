// Load runs end to end on loopback: a client chain (MakeCall → TIMEOUT → Release) into a server
// chain (INCOMING → Answer → DISCONNECTED) at a modest rate, with exact counts; failures grouped
// by node and reason; the rate, calls, concurrency and duration limits; media auto/on/off; nothing
// left behind; the warm-up before the load and onReady; the event-loop lag. Ports: 30000–30999 (a block of 20 per test).

import { describe, expect, it } from 'vitest';
import { defaultSetupLimit, EngineError, LoadRunner, MIN_SETUP_LIMIT, type LoadReady, type LoadSnapshot } from '../../src/engine/index.js';
import { UdpTransport } from '../../src/sip/transport/udp.js';
import type { SipRequest } from '../../src/sip/parser/index.js';
import { RawSip } from './raw-sip.js';

const ports = (i: number): number => 30000 + 20 * i;

const callAndAnswer = (hold = 50): unknown => ({
  name: 'load: call and answer',
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: hold }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
});

describe('LoadRunner', () => {
  it('measures its own event loop: a 150-ms stall during the load shows as its most lag, not its 99th percentile, and as busy time', async () => {
    let stalled = false;
    const result = await new LoadRunner({ portBase: ports(13), closeTimeoutMs: 500 }).run(callAndAnswer(), {
      rate: 20,
      calls: 40,
      statsIntervalMs: 200,
      onStats: (s) => {
        if (stalled || s.elapsedS < 0.3) return;
        stalled = true;
        const until = Date.now() + 150;
        while (Date.now() < until); // what a CPU-starved process does to every message
      },
    });
    expect(stalled).toBe(true);
    expect(result.totals.completed).toBe(40);
    expect(result.totals.loopLagMaxMs).toBeGreaterThanOrEqual(120);
    expect(result.totals.loopLagMaxMs).toBeLessThan(1000);
    // one stall among two seconds of 10-ms samples is not the 99th percentile
    expect(result.totals.loopLagP99Ms).toBeLessThan(result.totals.loopLagMaxMs!);
    // the stall was busy time: above nothing, below all of it
    expect(result.totals.maxLoopBusy).toBeGreaterThan(0);
    expect(result.totals.maxLoopBusy).toBeLessThanOrEqual(100);
  }, 20_000);

  it('runs the client chain at the rate until the calls, each answered by a server chain: exact counts', async () => {
    const snapshots: LoadSnapshot[] = [];
    const result = await new LoadRunner({ portBase: ports(0), closeTimeoutMs: 500 }).run(callAndAnswer(), { rate: 40, calls: 60, statsIntervalMs: 250, onStats: (s) => snapshots.push(s) });
    expect(result.status).toBe('completed');
    expect(result.failures).toEqual([]);
    expect(result.totals).toMatchObject({ started: 60, completed: 60, failed: 0, concurrent: 0, received4xx: 0, received5xx: 0, received6xx: 0 });
    expect(result.setupHistogram.reduce((n, [, c]) => n + c, 0)).toBe(60);
    expect(result.totals.setupP50Ms).toBeLessThan(100);
    // 60 calls at 40/s: about 1.5 s of starting; the interval snapshots rise to it.
    expect(result.durationMs).toBeGreaterThan(1400);
    expect(snapshots.length).toBeGreaterThanOrEqual(5);
    expect(snapshots.at(-1)).toEqual(result.totals);
    expect(result.media).toBe(false); // no media step: auto means none
  }, 20_000);

  it('groups failures by node and reason, and counts the error responses received', async () => {
    const scenario = {
      instances: {
        alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: '200' }, 'Release'] },
        bob: { dn: '200', steps: ['INCOMING', { command: 'Reject', status: 486 }] },
      },
    };
    const result = await new LoadRunner({ portBase: ports(1), closeTimeoutMs: 500 }).run(scenario, { rate: 50, calls: 20 });
    expect(result.totals).toMatchObject({ started: 20, completed: 0, failed: 20, received4xx: 20 });
    expect(result.failures).toEqual([{ nodeId: 'dial', instanceId: 'alice', reason: 'MakeCall failed: 486 Busy Here', count: 20 }]);
  }, 20_000);

  it('never runs more calls at once than the concurrency', async () => {
    let most = 0;
    const result = await new LoadRunner({ portBase: ports(2), closeTimeoutMs: 500 }).run(callAndAnswer(400), { rate: 100, calls: 30, concurrency: 5, statsIntervalMs: 50, onStats: (s) => (most = Math.max(most, s.concurrent)) });
    expect(result.totals).toMatchObject({ started: 30, completed: 30, maxConcurrent: 5 });
    expect(most).toBeLessThanOrEqual(5);
  }, 20_000);

  it('stops starting calls after the duration, and calls in progress finish', async () => {
    const result = await new LoadRunner({ portBase: ports(3), closeTimeoutMs: 500 }).run(callAndAnswer(300), { rate: 20, durationS: 1 });
    expect(result.status).toBe('completed');
    expect(result.totals.started).toBeGreaterThanOrEqual(18);
    expect(result.totals.started).toBeLessThanOrEqual(21);
    expect(result.totals.completed).toBe(result.totals.started);
  }, 20_000);

  it('stops at once on its signal: the calls in progress are ended and counted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 700);
    const result = await new LoadRunner({ portBase: ports(4), closeTimeoutMs: 500 }).run(callAndAnswer(5000), { rate: 20, signal: controller.signal });
    expect(result.status).toBe('stopped');
    expect(result.totals.concurrent).toBe(0);
    expect(result.totals.started).toBeGreaterThan(5);
    expect(result.totals.completed + result.totals.failed).toBe(result.totals.started);
  }, 20_000);

  it('ramps up linearly before the rate', async () => {
    const snapshots: LoadSnapshot[] = [];
    await new LoadRunner({ portBase: ports(5), closeTimeoutMs: 500 }).run(callAndAnswer(20), { rate: 40, rampS: 1, durationS: 2, statsIntervalMs: 500, onStats: (s) => snapshots.push(s) });
    // Ramp: 0.5 s → 5 calls, 1 s → 20, 1.5 s → 40, 2 s → 60.
    const at = (t: number): number => snapshots.find((s) => Math.abs(s.elapsedS - t) < 0.15)!.started;
    expect(at(0.5)).toBeGreaterThanOrEqual(4);
    expect(at(0.5)).toBeLessThanOrEqual(7);
    expect(at(1)).toBeGreaterThanOrEqual(18);
    expect(at(1)).toBeLessThanOrEqual(22);
    expect(snapshots.at(-1)!.started).toBeGreaterThanOrEqual(57);
    expect(snapshots.at(-1)!.started).toBeLessThanOrEqual(61);
  }, 20_000);

  it('opens RTP only when asked or when the scenario has a media step', async () => {
    const withMedia = { instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { command: 'SendDTMF', digits: '1' }, 'Release'] }, bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'DTMFReceived', expectedDigit: '1' }, 'DISCONNECTED'] } } };
    const auto = await new LoadRunner({ portBase: ports(6), closeTimeoutMs: 500 }).run(withMedia, { rate: 20, calls: 5 });
    expect(auto).toMatchObject({ media: true, totals: { completed: 5, failed: 0 } });
    const off = await new LoadRunner({ portBase: ports(7), closeTimeoutMs: 500 }).run(callAndAnswer(), { rate: 20, calls: 3, media: 'on' });
    expect(off.media).toBe(true);
  }, 20_000);

  it('refuses options that make no sense, with EngineError bad-load', async () => {
    const runner = new LoadRunner({ portBase: ports(8) });
    for (const o of [{ rate: 0 }, { concurrency: -1 }, { calls: 1.5 }, { durationS: 0 }, { rate: Number.NaN }]) {
      await expect(runner.run(callAndAnswer(), o)).rejects.toMatchObject({ name: 'EngineError', code: 'bad-load' });
    }
    await expect(runner.run({ instances: { a: { dn: '1' } } }, {})).rejects.toBeInstanceOf(EngineError);
    for (const warmupCalls of [-1, 1.5, Number.NaN]) {
      await expect(runner.run(callAndAnswer(), { warmupCalls })).rejects.toMatchObject({ name: 'EngineError', code: 'bad-load' });
    }
  });

  it('warms up before the load: its calls are made and reported apart, then onReady, then the load with exact counts', async () => {
    const order: string[] = [];
    let ready: LoadReady | undefined;
    const result = await new LoadRunner({ portBase: ports(9), closeTimeoutMs: 500 }).run(callAndAnswer(), {
      rate: 50,
      calls: 10,
      warmupCalls: 60,
      statsIntervalMs: 100,
      onReady: (r) => (order.push('ready'), (ready = r)),
      onStats: () => order.push('stats'),
    });
    expect(order[0]).toBe('ready');
    expect(order.filter((x) => x === 'ready')).toHaveLength(1);
    // A quarter of the calls from the foreign peer, a quarter to it, the rest between two instances.
    expect(ready?.warmup).toMatchObject({ calls: 60, foreign: 30, failed: 0, problem: undefined });
    expect(ready!.warmup!.durationMs).toBeGreaterThan(0);
    expect(ready!.warmup!.cpuUs).toBeGreaterThan(0);
    expect(result.warmup).toEqual(ready!.warmup);
    expect(ready!.instances).toEqual(result.instances);
    expect(result.instances.map((i) => i.id).sort()).toEqual(['alice', 'bob']);
    // None of the warm-up's calls is in the load's figures.
    expect(result.totals).toMatchObject({ started: 10, completed: 10, failed: 0, served: 10, servedFailed: 0 });
    expect(result.live).toMatchObject({ transactions: expect.any(Number), dialogs: 0, sessions: 0, pendingCalls: 0 });
  });

  it('tells onReady without a warm-up too, and leaves result.warmup out', async () => {
    let ready: LoadReady | undefined;
    const result = await new LoadRunner({ portBase: ports(10), closeTimeoutMs: 500 }).run(callAndAnswer(), { rate: 50, calls: 3, onReady: (r) => (ready = r) });
    expect(ready).toEqual({ instances: result.instances, warmup: undefined });
    expect('warmup' in result).toBe(false);
    expect(result.totals.completed).toBe(3);
  });

  it('reports a warm-up that could not run, and runs the load all the same', async () => {
    let binds = 0;
    const result = await new LoadRunner({
      portBase: ports(11),
      closeTimeoutMs: 500,
      // The first bind (the warm-up's first instance) fails; the load's own binds go through.
      bindTransport: (local) => (++binds === 1 ? Promise.reject(new Error('no room for the warm-up')) : UdpTransport.bind({ host: local.address, port: local.port })),
    }).run(callAndAnswer(), { rate: 50, calls: 4, warmupCalls: 20 });
    expect(result.warmup).toMatchObject({ calls: 0, failed: 0 });
    expect(result.warmup!.problem).toMatch(/^the warm-up could not run: .*no room for the warm-up/);
    expect(result.totals).toMatchObject({ started: 4, completed: 4, failed: 0 });
  });

  it('stops during the warm-up on its signal: no load call starts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const t0 = performance.now();
    const result = await new LoadRunner({ portBase: ports(12), closeTimeoutMs: 500 }).run(callAndAnswer(), { rate: 50, calls: 10, warmupCalls: 1_000_000, signal: controller.signal });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(result.status).toBe('stopped');
    expect(result.warmup!.calls).toBeGreaterThan(0);
    expect(result.warmup!.calls).toBeLessThan(1_000_000);
    expect(result.totals.started).toBe(0);
  });

  it('holds due calls back while setupLimit INVITEs have had no response, and says for how long', async () => {
    // A peer that falls behind: for its first 400 ms it takes INVITEs and answers none (no 100
    // either), then it answers every one, the waiting ones first, with 486.
    const base = ports(13);
    const peer = await RawSip.open(base + 10);
    const invites: Array<{ callId: string; port: number; invite: Parameters<RawSip['respond']>[0] }> = [];
    let stalled = true;
    let mostWaiting = 0;
    peer.onMessage = (m, from) => {
      if (!m.isRequest || m.method !== 'INVITE') return;
      if (stalled) {
        if (!invites.some((i) => i.callId === m.callId)) invites.push({ callId: m.callId!, port: from.port, invite: m });
        mostWaiting = Math.max(mostWaiting, invites.length);
      } else void peer.respond(m, 486, from.port, { toTag: 'busy' });
    };
    setTimeout(() => {
      stalled = false;
      for (const i of invites) void peer.respond(i.invite, 486, i.port, { toTag: 'busy' });
    }, 400);
    try {
      const scenario = { instances: { alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 10}` }, 'Release'] } } };
      const result = await new LoadRunner({ portBase: base, closeTimeoutMs: 500 }).run(scenario, { rate: 100, calls: 20, setupLimit: 4 });
      // Never more than 4 INVITEs out unanswered: the other calls due in those 400 ms waited.
      expect(mostWaiting).toBe(4);
      expect(result.totals).toMatchObject({ started: 20, completed: 0, failed: 20, received4xx: 20, retransmissions: 0 });
      expect(result.failures).toEqual([{ nodeId: 'dial', instanceId: 'alice', reason: 'MakeCall failed: 486 Busy Here', count: 20 }]);
      expect(result.totals.heldBySetupLimitS).toBeGreaterThan(0.25);
      expect(result.totals.heldBySetupLimitS).toBeLessThan(0.6);
      expect(result.totals.heldByConcurrencyS).toBe(0);
    } finally {
      await peer.close();
    }
  }, 20_000);

  it('holds nothing back once the peer has sent no response at all for 4·T1: it is down, not behind', async () => {
    const base = ports(16);
    const peer = await RawSip.open(base + 10);
    const invites = new Set<string>();
    peer.onInvite = (invite) => invites.add(invite.callId!);
    try {
      const scenario = { instances: { alice: { dn: '100', steps: [{ id: 'dial', command: 'MakeCall', targetUri: `sip:300@127.0.0.1:${base + 10}`, timeout: 300 }] } } };
      // T1 50 ms: silent after 200 ms, and each INVITE's Timer B after 3.2 s.
      const result = await new LoadRunner({ portBase: base, closeTimeoutMs: 500, timers: { t1: 50 } }).run(scenario, { rate: 50, calls: 10, setupLimit: 2 });
      expect(invites.size).toBe(10);
      expect(result.totals).toMatchObject({ started: 10, failed: 10 });
      // Held while the first two INVITEs waited (up to 200 ms of silence), then no more.
      expect(result.totals.heldBySetupLimitS).toBeGreaterThan(0.1);
      expect(result.totals.heldBySetupLimitS).toBeLessThan(0.4);
      // Every INVITE the peer got beyond the first of each call was a retransmission (Timer A), and
      // the statistics count exactly those.
      const inviteDatagrams = peer.received.filter((r) => r.message.isRequest && (r.message as SipRequest).method === 'INVITE').length;
      expect(inviteDatagrams).toBeGreaterThan(10);
      expect(result.totals.retransmissions).toBe(inviteDatagrams - 10);
    } finally {
      await peer.close();
    }
  }, 20_000);

  it('limits INVITEs without a response by default to 0.2 s of the rate, at least MIN_SETUP_LIMIT, and refuses a limit below 1', async () => {
    expect([defaultSetupLimit(10), defaultSetupLimit(100), defaultSetupLimit(1000), defaultSetupLimit(2501)]).toEqual([MIN_SETUP_LIMIT, MIN_SETUP_LIMIT, 200, 501]);
    const runner = new LoadRunner({ portBase: ports(14) });
    for (const setupLimit of [0, -3, Number.NaN]) {
      await expect(runner.run(callAndAnswer(), { setupLimit })).rejects.toMatchObject({ name: 'EngineError', code: 'bad-load' });
    }
    // A peer that keeps up is never held back.
    const result = await new LoadRunner({ portBase: ports(15), closeTimeoutMs: 500 }).run(callAndAnswer(20), { rate: 50, calls: 10 });
    expect(result.totals).toMatchObject({ completed: 10, heldBySetupLimitS: 0, heldByConcurrencyS: 0 });
  }, 20_000);
});
