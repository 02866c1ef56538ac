import { describe, expect, it } from 'vitest';
import { ALICE, BOB, errorsOf, offerFor, pass, until, world } from './ua-harness.js';
import { holdOffer, parseSdp, serializeSdp } from '../../../src/sdp/index.js';

describe('smoke', () => {
  it('call, hold, bye', async () => {
    const w = world();
    w.bob.on('invite', (call) => {
      call.ringing();
      void call.answer();
    });
    const progress: number[] = [];
    const session = await until(w.clock, w.alice.invite(`sip:bob@${BOB.address}:${BOB.port}`, { sdp: offerFor(ALICE, 40000), onProgress: (r) => progress.push(r.status) }));
    expect(progress).toEqual([180]);
    expect(session.state).toBe('confirmed');
    await pass(w.clock, 50);
    const bobSession = w.bob.activeSessions[0]!;
    expect(bobSession).toBeDefined();
    const changes: string[] = [];
    bobSession.on('reinvite', (e) => changes.push(e.localSdp!));
    await until(w.clock, session.reinvite(serializeSdp(holdOffer(parseSdp(session.localSdp!)))));
    await pass(w.clock, 100);
    expect(changes.length).toBe(1);
    expect(changes[0]).toContain('a=recvonly');
    await until(w.clock, session.bye());
    await pass(w.clock, 100);
    expect(bobSession.state).toBe('terminated');
    expect(bobSession.signal.reason.reason).toBe('remote-bye');
    expect(errorsOf(w.events.alice)).toEqual([]);
    expect(errorsOf(w.events.bob)).toEqual([]);
    await until(w.clock, Promise.all([w.alice.close(), w.bob.close()]));
    expect(w.clock.pendingTimers).toBe(0);
  });
});
