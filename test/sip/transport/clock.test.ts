// Clock: the virtual clock's ordering and bookkeeping, and the real clock's basic contract.
import { describe, expect, it, vi } from 'vitest';
import { RealClock, VirtualClock } from '../../../src/sip/transport/clock.js';

describe('VirtualClock', () => {
  it('starts at 0 and moves only when advanced', () => {
    const c = new VirtualClock();
    expect(c.now()).toBe(0);
    c.advance(250);
    expect(c.now()).toBe(250);
    c.advanceTo(1000);
    expect(c.now()).toBe(1000);
  });

  it('fires timers in due order, ties in the order they were set, each at its due time', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimer(300, () => log.push(`c@${c.now()}`));
    c.setTimer(100, () => log.push(`a@${c.now()}`));
    c.setTimer(100, () => log.push(`b@${c.now()}`));
    c.setTimer(0, () => log.push(`z@${c.now()}`));
    c.advance(299);
    expect(log).toEqual(['z@0', 'a@100', 'b@100']);
    c.advance(1);
    expect(log).toEqual(['z@0', 'a@100', 'b@100', 'c@300']);
    expect(c.pendingTimers).toBe(0);
  });

  it('fires timers set while advancing when they fall due within the same advance', () => {
    // The shape of a retransmission timer: re-arm with a doubled interval.
    const c = new VirtualClock();
    const sent: number[] = [];
    let interval = 500;
    const fire = (): void => {
      sent.push(c.now());
      interval *= 2;
      c.setTimer(interval, fire);
    };
    c.setTimer(interval, fire);
    c.advance(32_000);
    expect(sent).toEqual([500, 1500, 3500, 7500, 15500, 31500]);
    expect(c.nextDue).toBe(31500 + 32000);
  });

  it('cancels timers, and cancelling twice or after firing is harmless', () => {
    const c = new VirtualClock();
    let fired = 0;
    const h = c.setTimer(10, () => fired++);
    const k = c.setTimer(20, () => fired++);
    c.clearTimer(h);
    c.clearTimer(h);
    c.advance(30);
    c.clearTimer(k);
    expect(fired).toBe(1);
    expect(c.pendingTimers).toBe(0);
  });

  it('a timer may cancel another that is due at the same moment', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    let second = c.setTimer(10, () => log.push('second'));
    c.setTimer(5, () => {
      log.push('first');
      c.clearTimer(second);
      second = c.setTimer(100, () => log.push('re-armed'));
    });
    c.advance(50);
    expect(log).toEqual(['first']);
    c.advance(100);
    expect(log).toEqual(['first', 're-armed']);
  });

  it('runUntilIdle drains every timer and reports where time ended', () => {
    const c = new VirtualClock();
    c.setTimer(64_000, () => undefined);
    c.setTimer(5, () => c.setTimer(10, () => undefined));
    expect(c.runUntilIdle()).toBe(64_000);
    expect(c.pendingTimers).toBe(0);
  });

  it('runUntilIdle stops a timer that re-arms for ever', () => {
    const c = new VirtualClock();
    const loop = (): void => void c.setTimer(1, loop);
    c.setTimer(1, loop);
    expect(() => c.runUntilIdle(1000)).toThrow(/re-arming/);
  });

  it('rejects time travel and nonsense delays', () => {
    const c = new VirtualClock();
    c.advance(10);
    expect(() => c.advanceTo(5)).toThrow(RangeError);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.advance(Number.NaN)).toThrow(RangeError);
    expect(() => c.setTimer(Number.POSITIVE_INFINITY, () => undefined)).toThrow(RangeError);
  });
});

describe('RealClock', () => {
  it('fires a timer after its delay and can cancel one', async () => {
    const c = new RealClock();
    const start = c.now();
    const cancelled = c.setTimer(5, () => {
      throw new Error('should have been cancelled');
    });
    c.clearTimer(cancelled);
    const elapsed = await new Promise<number>((resolve) => c.setTimer(20, () => resolve(c.now() - start)));
    expect(elapsed).toBeGreaterThanOrEqual(19);
    expect(c.pendingTimers).toBe(0);
  });

  it('counts pending timers exactly: clearing twice, clearing after firing, or a handle of another clock changes nothing', async () => {
    const c = new RealClock();
    const other = new RealClock();
    const fired: string[] = [];
    const a = c.setTimer(1, () => fired.push('a'));
    const b = c.setTimer(1, () => fired.push('b'));
    const foreign = other.setTimer(1, () => fired.push('foreign'));
    expect([c.pendingTimers, other.pendingTimers]).toEqual([2, 1]);
    c.clearTimer(foreign); // not c's: neither cleared nor counted
    expect([c.pendingTimers, other.pendingTimers]).toEqual([2, 1]);
    c.clearTimer(b);
    c.clearTimer(b);
    expect(c.pendingTimers).toBe(1);
    await new Promise<void>((resolve) => c.setTimer(15, resolve));
    expect(fired.sort()).toEqual(['a', 'foreign']);
    c.clearTimer(a); // already fired
    expect([c.pendingTimers, other.pendingTimers]).toEqual([0, 0]);
  });

  it('fires timers of one delay and of several in due order, never before they are due', async () => {
    const c = new RealClock();
    const start = c.now();
    const fired: Array<[string, number, number]> = [];
    const set = (name: string, ms: number): void => {
      const due = c.now() + ms;
      c.setTimer(ms, () => fired.push([name, c.now() - due, c.now() - start]));
    };
    set('30a', 30);
    set('10a', 10);
    set('20', 20);
    set('10b', 10);
    set('30b', 30);
    set('0', 0);
    await new Promise<void>((resolve) => c.setTimer(60, resolve));
    expect(fired.map(([n]) => n)).toEqual(['0', '10a', '10b', '20', '30a', '30b']);
    for (const [, late] of fired) expect(late).toBeGreaterThanOrEqual(0);
    expect(c.pendingTimers).toBe(0);
  });

  it('clearing the first of a list, or every timer of it, leaves the others on time and nothing armed', async () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const c = new RealClock();
    const fired: string[] = [];
    const first = c.setTimer(10, () => fired.push('first'));
    c.setTimer(10, () => fired.push('second'));
    const third = c.setTimer(10, () => fired.push('third'));
    c.clearTimer(first);
    c.clearTimer(third);
    const lonely = c.setTimer(25, () => fired.push('lonely'));
    c.clearTimer(lonely);
    // one Node timeout armed and keeping the process alive: the 10 ms list's (the 25 ms list, its
    // only timer cleared, keeps its timeout unref'd, which getActiveResourcesInfo does not count)
    expect(timeouts()).toBe(before + 1);
    await new Promise<void>((resolve) => setTimeout(resolve, 40));
    expect(fired).toEqual(['second']);
    expect(c.pendingTimers).toBe(0);
    expect(timeouts()).toBe(before);
  });

  it('a delay set and cleared over and over arms one Node timeout, unref\'d while its list is empty; the next timer still fires on time', async () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    try {
      const c = new RealClock();
      for (let i = 0; i < 100; i++) c.clearTimer(c.setTimer(15, () => expect.unreachable('a cleared timer fired')));
      expect(set).toHaveBeenCalledTimes(1);
      expect(clear).not.toHaveBeenCalled();
      // nothing keeps the process alive while the list is empty
      expect(timeouts()).toBe(before);
      const setAt = performance.now();
      const firedAt = await new Promise<number>((resolve) => c.setTimer(15, () => resolve(performance.now())));
      // (the kept timeout fired first, found nothing due and armed for this one)
      expect(firedAt - setAt).toBeGreaterThanOrEqual(15);
      expect(c.pendingTimers).toBe(0);
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
      expect(timeouts()).toBe(before);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('keeps at most 32 empty lists\' timeouts: beyond, an emptied list\'s timeout is cleared at once', () => {
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    try {
      const c = new RealClock();
      // 40 delays, each set and cleared: the first 32 keep theirs (unref'd), the other 8 clear theirs
      for (let ms = 1001; ms <= 1040; ms++) c.clearTimer(c.setTimer(ms, () => expect.unreachable('a cleared timer fired')));
      expect(set).toHaveBeenCalledTimes(40);
      expect(clear).toHaveBeenCalledTimes(8);
      // a kept list's delay again: no new timeout; a dropped one's: a new one
      c.clearTimer(c.setTimer(1001, () => undefined));
      expect(set).toHaveBeenCalledTimes(40);
      c.clearTimer(c.setTimer(1040, () => undefined));
      expect(set).toHaveBeenCalledTimes(41);
      expect(c.pendingTimers).toBe(0);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('fires a timer set, or clears one, from inside a firing timer, and goes on after one that throws', async () => {
    const c = new RealClock();
    const fired: string[] = [];
    const thrown: unknown[] = [];
    const onError = (err: unknown): void => void thrown.push(err);
    process.on('uncaughtException', onError);
    try {
      let later: ReturnType<RealClock['setTimer']> | undefined;
      c.setTimer(5, () => {
        fired.push('a');
        c.setTimer(5, () => fired.push('set inside'));
        c.clearTimer(later!);
      });
      c.setTimer(5, () => {
        throw new Error('boom');
      });
      later = c.setTimer(5, () => fired.push('cleared inside'));
      c.setTimer(5, () => fired.push('after the throw'));
      await new Promise<void>((resolve) => c.setTimer(30, resolve));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(fired).toEqual(['a', 'after the throw', 'set inside']);
    expect(thrown.map(String)).toEqual(['Error: boom']);
    expect(c.pendingTimers).toBe(0);
  });

  it('takes a delay beyond setTimeout\'s longest without firing at once', async () => {
    const c = new RealClock();
    let fired = false;
    const far = c.setTimer(2 ** 33, () => (fired = true));
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(false);
    c.clearTimer(far);
    expect(c.pendingTimers).toBe(0);
  });
});
