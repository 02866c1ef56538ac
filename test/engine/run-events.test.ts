// The ways out of the engine: listeners, reporters (a method per event kind) and the async
// iterator all see the same events in the same order; one that throws is reported and the run goes
// on; an event kind nobody wants is never built.
import { describe, expect, it, vi } from 'vitest';
import { RunEventHub } from '../../src/engine/event-hub.js';

const original = RunEventHub.prototype.emit;
import { fileURLToPath } from 'node:url';
import { Engine, type MediaEvent, type RtpEvent, type RunEvent, type RunReporter, type SipEvent } from '../../src/engine/index.js';
import { decodeRtp } from '../../src/media/rtp-packet.js';

const scenario = {
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
};

describe('run events', () => {
  it('reach listeners, reporters and the async iterator alike, in order, and the iterator ends with the run', async () => {
    const engine = new Engine({ portBase: 36100, closeTimeoutMs: 300 });
    const heard: RunEvent[] = [];
    engine.on((e) => heard.push(e));
    const reported: string[] = [];
    const reporter: RunReporter = {
      onStarted: (e) => reported.push(e.type),
      onNodeState: (e) => reported.push(e.type),
      onActionLog: (e) => reported.push(e.type),
      onSip: (e) => reported.push(e.type),
      onCompleted: (e) => reported.push(e.type),
    };
    const remove = engine.addReporter(reporter);
    const iterated: RunEvent[] = [];
    const iterating = (async () => {
      for await (const e of engine.events()) iterated.push(e);
    })();
    const result = await engine.run(scenario);
    await iterating;
    expect(result.status).toBe('passed');
    expect(iterated).toEqual(heard);
    expect(reported).toEqual(heard.map((e) => e.type));
    expect(heard.at(-1)?.type).toBe('scenario:completed');
    remove();
  }, 20_000);

  it('a listener or reporter that throws is reported as an error log and the run goes on', async () => {
    const engine = new Engine({ portBase: 36120, closeTimeoutMs: 300 });
    const logs: string[] = [];
    engine.on((e) => {
      if (e.type === 'scenario:node-state') throw new Error('listener boom');
    });
    engine.addReporter({
      onSip: () => {
        throw new Error('reporter boom');
      },
    });
    engine.on((e) => {
      if (e.type === 'scenario:action-log' && e.level === 'error') logs.push(e.message);
    });
    const result = await engine.run(scenario);
    expect(result.status).toBe('passed');
    expect(logs.some((m) => m.includes('listener boom'))).toBe(true);
    expect(logs.some((m) => m.includes('reporter boom') && m.includes('onSip'))).toBe(true);
  }, 20_000);

  it('builds no event of a kind nobody wants (no sip or action-log event is made for a node-state reporter)', async () => {
    const emitted: string[] = [];
    const spy = vi.spyOn(RunEventHub.prototype, 'emit').mockImplementation(function (this: RunEventHub, event: RunEvent) {
      emitted.push(event.type);
      original.call(this, event);
    });
    const engine = new Engine({ portBase: 36140, closeTimeoutMs: 300 });
    const kinds = new Set<string>();
    engine.addReporter({ onNodeState: (e) => kinds.add(e.type) });
    try {
      const result = await engine.run(scenario);
      expect(result.status).toBe('passed');
    } finally {
      spy.mockRestore();
    }
    expect([...kinds]).toEqual(['scenario:node-state']);
    // Only what someone wants, and the run's own last event, was ever built and emitted.
    expect(new Set(emitted)).toEqual(new Set(['scenario:node-state', 'scenario:completed']));
  }, 20_000);

  it('started names every node; sip events carry microseconds; media events mark DTMF, playback and holds; rtp events carry every packet, for a reporter that asks', async () => {
    const tone = fileURLToPath(new URL('../fixtures/audio/tone-440hz-8k-mono.wav', import.meta.url));
    const engine = new Engine({ portBase: 36180, closeTimeoutMs: 300 });
    const events: RunEvent[] = [];
    engine.on((e) => events.push(e));
    const packets: RtpEvent[] = [];
    engine.addReporter({ onRtp: (e) => packets.push(e) });
    const result = await engine.run({
      instances: {
        alice: {
          dn: '100',
          steps: [
            { id: 'call', command: 'MakeCall', targetUri: '200' },
            { id: 'play', command: 'PlayAudio', filePath: tone },
            { id: 'hold', command: 'Hold' },
            { id: 'retrieve', command: 'Retrieve' },
            { id: 'digits', command: 'SendDTMF', digits: '42', intervalMs: 50 },
            { event: 'TIMEOUT', timeout: 300 },
            'Release',
          ],
        },
        bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigits: '42', timeout: 8000 }, 'DISCONNECTED'] },
      },
    });
    expect(result.status).toBe('passed');
    // The listener got no rtp events: only the reporter that asked.
    expect(events.some((e) => e.type === 'rtp')).toBe(false);
    const started = events.find((e) => e.type === 'scenario:started')!;
    expect(started.type === 'scenario:started' && started.nodes.map((n) => `${n.instanceId}:${n.id}:${n.name}`).slice(0, 3)).toEqual(['alice:call:MakeCall', 'alice:play:PlayAudio', 'alice:hold:Hold']);
    // timeUs is the same instant as timestamp, finer, and never goes back.
    const sips = events.filter((e): e is SipEvent => e.type === 'sip');
    for (const e of sips) expect(Math.abs(e.timeUs / 1000 - e.timestamp)).toBeLessThanOrEqual(0.5);
    for (let i = 1; i < sips.length; i++) expect(sips[i]!.timeUs).toBeGreaterThanOrEqual(sips[i - 1]!.timeUs);
    // Media happenings, in order, on the right nodes and keys.
    const media = events.filter((e): e is MediaEvent => e.type === 'media').map((e) => [e.instanceId, e.kind, e.nodeId ?? '', e.by ?? e.digits ?? e.outcome ?? '']);
    expect(media.filter((m) => m[0] === 'alice')).toEqual([
      ['alice', 'playback-started', 'play', ''],
      ['alice', 'playback-ended', 'play', 'completed'],
      ['alice', 'held', 'hold', 'us'],
      ['alice', 'resumed', 'retrieve', 'us'],
      ['alice', 'dtmf-sent', 'digits', '4'],
      ['alice', 'dtmf-sent', 'digits', '2'],
    ]);
    expect(media.filter((m) => m[0] === 'bob')).toEqual([
      ['bob', 'held', '', 'peer'],
      ['bob', 'resumed', '', 'peer'],
      ['bob', 'dtmf-received', '', '4'],
      ['bob', 'dtmf-received', '', '2'],
    ]);
    // Every RTP packet both ways, as on the wire: alice's sent ones are bob's received ones.
    const sent = packets.filter((p) => p.instanceId === 'alice' && p.protocol === 'rtp' && p.direction === 'sent');
    const got = packets.filter((p) => p.instanceId === 'bob' && p.protocol === 'rtp' && p.direction === 'received' && p.remote.port === sent[0]!.local.port);
    expect(sent.length).toBeGreaterThan(50);
    expect(got.length).toBeGreaterThan(sent.length * 0.95);
    expect(sent.filter((p) => decodeRtp(p.data).payloadType === 101).length).toBeGreaterThan(0);
    expect(sent[0]).toMatchObject({ callId: 'call-1', sipCallId: result.calls[0]!.sipCallId });
    expect(packets.some((p) => p.protocol === 'rtcp')).toBe(true);
  }, 20_000);

  it('a second run while one runs is refused, as in sipflow', async () => {
    const engine = new Engine({ portBase: 36160, closeTimeoutMs: 300 });
    const first = engine.run({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 300 }] } } });
    await expect(engine.run(scenario)).rejects.toMatchObject({ name: 'EngineError', code: 'already-running', message: 'scenario already running' });
    expect((await first).status).toBe('passed');
    expect(engine.stop()).toBe(false);
  }, 20_000);
});
