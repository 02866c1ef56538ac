import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { followSignal, raceSignal, waitOn } from '../../src/engine/wait.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';

describe('followSignal', () => {
  it('aborts with the parent, with the parent reason or a mapped one', () => {
    const parent = new AbortController();
    const plain = followSignal(parent.signal);
    const mapped = followSignal(parent.signal, (r) => new Error(`stopped: ${String(r)}`));
    parent.abort('bye');
    expect(plain.controller.signal.reason).toBe('bye');
    expect((mapped.controller.signal.reason as Error).message).toBe('stopped: bye');
  });

  it('is aborted at once under an already aborted parent', () => {
    const parent = new AbortController();
    parent.abort('gone');
    const child = followSignal(parent.signal);
    expect(child.controller.signal.aborted).toBe(true);
    expect(child.controller.signal.reason).toBe('gone');
  });

  it('release() removes its one listener: the parent then aborts alone', () => {
    const parent = new AbortController();
    const children = Array.from({ length: 3 }, () => followSignal(parent.signal));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(3);
    for (const c of children) c.release();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    parent.abort();
    expect(children.every((c) => !c.controller.signal.aborted)).toBe(true);
  });

  it('the child aborting does not touch the parent', () => {
    const parent = new AbortController();
    const child = followSignal(parent.signal);
    child.controller.abort('own');
    expect(parent.signal.aborted).toBe(false);
  });

  it('without a parent it is a plain controller', () => {
    const { controller, release } = followSignal(undefined);
    release();
    expect(controller.signal.aborted).toBe(false);
  });
});

describe('raceSignal', () => {
  it('settles with the work and leaves no listener', async () => {
    const c = new AbortController();
    await expect(raceSignal(Promise.resolve(7), c.signal)).resolves.toBe(7);
    await expect(raceSignal(Promise.reject(new Error('no')), c.signal)).rejects.toThrow('no');
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason when the signal aborts first, or has already', async () => {
    const c = new AbortController();
    const pending = raceSignal(new Promise(() => undefined), c.signal);
    c.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(raceSignal(Promise.reject(new Error('late')), c.signal)).rejects.toThrow('stop');
  });
});

describe('waitOn', () => {
  it('resolves on the clock, on abort, or when the work settles, and clears its timer', async () => {
    const clock = new VirtualClock();
    const c = new AbortController();
    let done = false;
    void waitOn(clock, 100, c.signal).then(() => (done = true));
    clock.advance(99);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await Promise.resolve();
    expect(done).toBe(true);
    await waitOn(clock, 1000, c.signal, Promise.resolve());
    expect(clock.nextDue).toBeUndefined();
    const waiting = waitOn(clock, 1000, c.signal);
    c.abort();
    await waiting;
    expect(clock.nextDue).toBeUndefined();
  });
});
