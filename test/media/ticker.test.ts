// The shared 20 ms heartbeat of media sessions: drift-free on the clock, one timer however many
// sessions, listeners that come and go while it ticks, and one ticker per clock (so sessions
// opened without a clock share the process-wide real clock's).
import { describe, expect, it, vi } from 'vitest';
import { MediaSession } from '../../src/media/media-session.js';
import { tickerFor, Ticker, type TickListener } from '../../src/media/ticker.js';
import { sharedRealClock, VirtualClock } from '../../src/sip/transport/clock.js';

function recorder(into: Array<[string, number]>, name: string): TickListener {
  return { tick: (now) => void into.push([name, now]) };
}

describe('Ticker', () => {
  it('ticks every period from the start, keeping its schedule when a timer fires late', () => {
    const clock = new VirtualClock();
    const ticker = new Ticker(clock, 20);
    const ticks: Array<[string, number]> = [];
    clock.advance(5);
    ticker.add(recorder(ticks, 'a'));
    clock.advance(100);
    expect(ticks.map(([, t]) => t)).toEqual([25, 45, 65, 85, 105]);
    expect(clock.pendingTimers).toBe(1);
  });

  it('uses one timer for any number of listeners, and none once the last is gone', () => {
    const clock = new VirtualClock();
    const ticker = new Ticker(clock, 20);
    const ticks: Array<[string, number]> = [];
    const listeners = Array.from({ length: 100 }, (_, i) => recorder(ticks, `l${i}`));
    for (const l of listeners) ticker.add(l);
    ticker.add(listeners[0]!); // adding twice changes nothing
    expect(ticker.size).toBe(100);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(20);
    expect(ticks).toHaveLength(100);
    for (const l of listeners) ticker.delete(l);
    expect(ticker.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(ticks).toHaveLength(100);
  });

  it('applies listeners added or removed during a tick from the next tick', () => {
    const clock = new VirtualClock();
    const ticker = new Ticker(clock, 20);
    const ticks: Array<[string, number]> = [];
    const late = recorder(ticks, 'late');
    const b = recorder(ticks, 'b');
    const a: TickListener = {
      tick: (now) => {
        ticks.push(['a', now]);
        if (now === 20) {
          ticker.add(late);
          ticker.delete(b);
        }
      },
    };
    ticker.add(a);
    ticker.add(b);
    clock.advance(40);
    expect(ticks).toEqual([
      ['a', 20],
      ['b', 20], // removed during this tick: it still had this one
      ['a', 40],
      ['late', 40],
    ]);
  });

  it('keeps ticking the others when one listener throws, and rethrows that on a microtask', () => {
    const clock = new VirtualClock();
    const ticker = new Ticker(clock, 20);
    const ticks: Array<[string, number]> = [];
    const deferred: Array<() => void> = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => void deferred.push(fn));
    try {
      ticker.add({
        tick: () => {
          throw new Error('session bug');
        },
      });
      ticker.add(recorder(ticks, 'b'));
      clock.advance(40);
    } finally {
      spy.mockRestore();
    }
    expect(ticks).toEqual([
      ['b', 20],
      ['b', 40],
    ]);
    expect(deferred).toHaveLength(2);
    expect(deferred[0]).toThrow('session bug');
  });

  it('is shared per clock and period', () => {
    const one = new VirtualClock();
    const two = new VirtualClock();
    expect(tickerFor(one, 20)).toBe(tickerFor(one, 20));
    expect(tickerFor(one, 20)).not.toBe(tickerFor(two, 20));
    expect(tickerFor(one, 20)).not.toBe(tickerFor(one, 30));
  });
});

describe('MediaSession without a clock', () => {
  it('ticks on the process-wide real clock, so every such session shares one timer', async () => {
    const sessions = await Promise.all([0, 1, 2].map(() => MediaSession.open({ host: '127.0.0.1', portRange: { min: 30000, max: 39999 } })));
    try {
      const ticker = tickerFor(sharedRealClock(), 20);
      const before = ticker.size;
      for (const s of sessions) {
        s.update({ codec: 'PCMU', payloadType: 0, remoteAddress: '127.0.0.1', remotePort: 9, direction: 'sendrecv' });
        void s.play(new Int16Array(8000));
      }
      expect(ticker.size).toBe(before + 3);
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    expect(tickerFor(sharedRealClock(), 20).size).toBe(0);
  });
});
