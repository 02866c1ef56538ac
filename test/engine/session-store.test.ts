// The run's calls by instance and key, and by SIP Call-ID: the same answers with a few calls (kept
// in a list) as with many (kept in maps).
import { describe, expect, it } from 'vitest';
import { Call } from '../../src/engine/call.js';
import { NodeFailure } from '../../src/engine/errors.js';
import { SessionStore } from '../../src/engine/session-store.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';

const clock = new VirtualClock();
const callOn = (instanceId: string, sipCallId: string): Call => new Call({ instanceId, direction: 'incoming', phase: 'calling', sipCallId, peer: 'x', clock });

describe('SessionStore', () => {
  for (const count of [1, 3, 8, 9, 40]) {
    it(`finds every call by key and by Call-ID, per instance, with ${count} calls`, () => {
      const store = new SessionStore();
      const calls: Call[] = [];
      for (let i = 0; i < count; i++) {
        // Two instances share keys and Call-IDs: each finds its own.
        const call = callOn(i % 2 === 0 ? 'alice' : 'bob', `sip-${Math.floor(i / 2)}`);
        store.put(`call-${Math.floor(i / 2)}`, call);
        calls.push(call);
      }
      expect(store.calls).toEqual(calls);
      calls.forEach((call, i) => {
        expect(store.get(call.instanceId, `call-${Math.floor(i / 2)}`)).toBe(call);
        expect(store.bySip(call.instanceId, call.sipCallId)).toBe(call);
        expect(call.key).toBe(`call-${Math.floor(i / 2)}`);
      });
      expect(store.get('carol', 'call-0')).toBeUndefined();
      expect(store.get('alice', 'nope')).toBeUndefined();
      // A transfer gives a call another Call-ID: found under the new one only.
      const first = calls[0]!;
      first.sipCallId = 'renamed';
      store.renamed(first, 'sip-0');
      expect(store.bySip('alice', 'renamed')).toBe(first);
      expect(store.bySip('alice', 'sip-0')).toBeUndefined();
      // A released key is free; the other instance's same key is not touched.
      store.release('alice', 'call-0');
      expect(store.get('alice', 'call-0')).toBeUndefined();
      if (count > 1) expect(store.get('bob', 'call-0')).toBe(calls[1]);
    });
  }

  it('refuses a key a live call holds, and lets it go to a new call once that one has ended', () => {
    const store = new SessionStore();
    const first = callOn('alice', 'a');
    store.put('k', first);
    expect(() => store.put('k', callOn('alice', 'b'))).toThrow(NodeFailure);
    first.end = { reason: 'remote-bye', detail: 'the peer sent BYE', at: 0 };
    const second = callOn('alice', 'c');
    store.put('k', second);
    expect(store.get('alice', 'k')).toBe(second);
    // Still the same store with many calls (past the list).
    for (let i = 0; i < 20; i++) store.put(`n${i}`, callOn('alice', `s${i}`));
    expect(() => store.put('n3', callOn('alice', 'z'))).toThrow(NodeFailure);
    expect(store.get('alice', 'k')).toBe(second);
  });

  it('tracks a call once, however often it is tracked or put', () => {
    const store = new SessionStore();
    const call = callOn('alice', 'a');
    store.track(call);
    store.track(call);
    store.put('k', call);
    expect(store.calls).toEqual([call]);
    expect(store.bySip('alice', 'a')).toBe(call);
  });
});
