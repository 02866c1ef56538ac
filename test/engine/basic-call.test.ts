// The engine end to end on loopback: a two-party call, every node's story and every SIP message
// in the run events, the result, and a clean end.
import { describe, expect, it } from 'vitest';
import { Engine, type RunEvent } from '../../src/engine/index.js';

describe('a basic call on loopback', () => {
  it('passes, reports every node and SIP message, and cleans up', async () => {
    const engine = new Engine({ portBase: 25060 });
    const events: RunEvent[] = [];
    engine.on((e) => events.push(e));
    const result = await engine.run(
      {
        name: 'basic call',
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 300 }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
        },
      },
      { env: {} },
    );
    expect(result.status).toBe('passed');
    expect(result.scenarioId).toBe('basic call');
    expect(result.nodes.map((n) => [n.nodeId, n.state, n.runs])).toEqual([
      ['alice.steps[0]', 'completed', 1],
      ['alice.steps[1]', 'completed', 1],
      ['alice.steps[2]', 'completed', 1],
      ['bob.steps[0]', 'completed', 1],
      ['bob.steps[1]', 'completed', 1],
      ['bob.steps[2]', 'completed', 1],
    ]);
    expect(result.instances.map((i) => [i.id, i.address])).toEqual([
      ['alice', { address: '127.0.0.1', port: 25060 }],
      ['bob', { address: '127.0.0.1', port: 25062 }],
    ]);
    expect(result.calls.map((c) => [c.instanceId, c.callId, c.direction, c.peer, c.end?.reason])).toEqual([
      ['alice', 'call-1', 'outgoing', '200', 'local-bye'],
      ['bob', 'call-1', 'incoming', '100', 'remote-bye'],
    ]);
    expect(result.calls[0]!.sipCallId).toBe(result.calls[1]!.sipCallId);

    const types = events.map((e) => e.type);
    expect(types[0]).not.toBe('scenario:completed');
    expect(types.at(-1)).toBe('scenario:completed');
    expect(types.indexOf('scenario:started')).toBeLessThan(types.indexOf('scenario:node-state'));
    const states = events.flatMap((e) => (e.type === 'scenario:node-state' && e.nodeId === 'bob.steps[1]' ? [`${e.previousState}>${e.newState}`] : []));
    expect(states).toEqual(['pending>running', 'running>completed']);
    // Each instance's own view is in order (across instances, loopback may interleave).
    const wire = (id: string): string[] => events.flatMap((e) => (e.type === 'sip' && e.instanceId === id ? [`${e.direction} ${e.method ?? e.status}`] : []));
    expect(wire('alice')).toEqual(['sent INVITE', 'received 180', 'received 200', 'sent ACK', 'sent BYE', 'received 200']);
    expect(wire('bob')).toEqual(['received INVITE', 'sent 180', 'sent 200', 'received ACK', 'received BYE', 'sent 200']);
    const invite = events.find((e) => e.type === 'sip' && e.method === 'INVITE');
    expect(invite).toMatchObject({ local: { address: '127.0.0.1', port: 25060 }, remote: { address: '127.0.0.1', port: 25062 }, callId: 'call-1' });
    expect(invite?.type === 'sip' && invite.raw.startsWith('INVITE sip:200@127.0.0.1:25062 SIP/2.0\r\n')).toBe(true);
    const logs = events.flatMap((e) => (e.type === 'scenario:action-log' ? [e.message] : []));
    expect(logs).toContain('Starting cleanup');
    expect(logs.at(-1)).toBe('Cleanup completed');
    expect(engine.running).toBe(false);
  }, 20_000);
});
