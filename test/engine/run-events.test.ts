// The ways out of the engine: listeners, reporters (a method per event kind) and the async
// iterator all see the same events in the same order; one that throws is reported and the run goes
// on; an event kind nobody wants is never built.
import { describe, expect, it, vi } from 'vitest';
import { RunEventHub } from '../../src/engine/event-hub.js';

const original = RunEventHub.prototype.emit;
import { Engine, type RunEvent, type RunReporter } from '../../src/engine/index.js';

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

  it('a second run while one runs is refused, as in sipflow', async () => {
    const engine = new Engine({ portBase: 36160, closeTimeoutMs: 300 });
    const first = engine.run({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 300 }] } } });
    await expect(engine.run(scenario)).rejects.toMatchObject({ name: 'EngineError', code: 'already-running', message: 'scenario already running' });
    expect((await first).status).toBe('passed');
    expect(engine.stop()).toBe(false);
  }, 20_000);
});
