import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AbortScope, onAbort, raceSignal, waitOn } from '../../src/engine/wait.js';
import { VirtualClock } from '../../src/sip/transport/clock.js';

describe('AbortScope', () => {
  it('aborts with its parent (a scope or an AbortSignal), with the parent reason or a mapped one', () => {
    const parent = new AbortController();
    const plain = AbortScope.following(parent.signal);
    const mapped = AbortScope.following(parent.signal, (r) => new Error(`stopped: ${String(r)}`));
    const grandchild = AbortScope.following(plain);
    parent.abort('bye');
    expect(plain.aborted).toBe(true);
    expect(plain.reason).toBe('bye');
    expect((mapped.reason as Error).message).toBe('stopped: bye');
    expect(grandchild.reason).toBe('bye');
  });

  it('is aborted at once under an already aborted parent', () => {
    const parent = new AbortScope();
    parent.abort('gone');
    const child = AbortScope.following(parent);
    expect(child.aborted).toBe(true);
    expect(child.reason).toBe('gone');
  });

  it('release() stops following: the parent then aborts alone, and keeps no link to it', () => {
    const parent = new AbortController();
    const children = Array.from({ length: 3 }, () => AbortScope.following(parent.signal));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(3);
    for (const c of children) c.release();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    parent.abort();
    expect(children.every((c) => !c.aborted)).toBe(true);

    const root = new AbortScope();
    const kids = Array.from({ length: 5 }, () => AbortScope.following(root));
    // Released out of order (middle, first, last): the others still follow.
    kids[2]!.release();
    kids[0]!.release();
    kids[4]!.release();
    root.abort('end');
    expect(kids.map((k) => k.aborted)).toEqual([false, true, false, true, false]);
  });

  it('the child aborting does not touch the parent, and leaves the parent\'s list', () => {
    const parent = new AbortScope();
    const child = AbortScope.following(parent);
    let heard = 0;
    child.onAbort(() => heard++);
    child.abort('own');
    expect(parent.aborted).toBe(false);
    parent.abort('later');
    expect(child.reason).toBe('own');
    expect(heard).toBe(1);
  });

  it('calls its listeners once, in order; removing one (twice, or after the abort) is harmless', () => {
    const scope = new AbortScope();
    const heard: string[] = [];
    scope.onAbort(() => heard.push('a'));
    const removeB = scope.onAbort(() => heard.push('b'));
    scope.onAbort(() => heard.push('c'));
    removeB.remove();
    removeB.remove();
    scope.abort(1);
    scope.abort(2);
    expect(heard).toEqual(['a', 'c']);
    expect(scope.reason).toBe(1);
    scope.onAbort(() => heard.push('late')).remove();
    expect(heard).toEqual(['a', 'c']);
  });

  it('a listener that removes a later one during the abort keeps it from being called; the rest still are', () => {
    const scope = new AbortScope();
    const heard: string[] = [];
    scope.onAbort(() => {
      heard.push('a');
      b.remove();
      child.release();
      scope.onAbort(() => heard.push('added during the abort'));
    });
    const b = scope.onAbort(() => heard.push('b'));
    const child = AbortScope.following(scope);
    scope.onAbort(() => heard.push('c'));
    scope.abort('now');
    expect(heard).toEqual(['a', 'c']);
    expect(child.aborted).toBe(false);
  });

  it('a listener that throws does not stop the others; its error is thrown afterwards, not from abort()', async () => {
    const scope = new AbortScope();
    const heard: string[] = [];
    scope.onAbort(() => {
      throw new Error('listener broke');
    });
    scope.onAbort(() => heard.push('after'));
    // The test runner's own handler would count the error as the test's failure: set it aside.
    const others = process.listeners('uncaughtException');
    for (const l of others) process.off('uncaughtException', l);
    const thrown = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    try {
      expect(() => scope.abort('x')).not.toThrow();
      expect(heard).toEqual(['after']);
      expect(((await thrown) as Error).message).toBe('listener broke');
    } finally {
      for (const l of others) process.on('uncaughtException', l);
    }
  });

  it('gives an AbortSignal on demand that follows it (aborted already when the scope is)', () => {
    const scope = new AbortScope();
    const signal = scope.signal;
    expect(scope.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    scope.abort('stop');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('stop');
    const late = new AbortScope();
    late.abort('early');
    expect(late.signal.reason).toBe('early');
  });

  it('is a CancelSignal: abort listeners are called once, in order with its own, and can be removed', () => {
    const scope = new AbortScope();
    const calls: string[] = [];
    const a = (): void => void calls.push('a');
    const b = (): void => void calls.push('b');
    scope.addEventListener('abort', a, { once: true });
    scope.onAbort(() => calls.push('own'));
    scope.addEventListener('abort', b, { once: true });
    scope.removeEventListener('abort', a);
    scope.removeEventListener('abort', a); // twice: harmless
    scope.abort('x');
    scope.abort('y');
    expect(calls).toEqual(['own', 'b']);
    scope.removeEventListener('abort', b); // after the abort: harmless
  });

  it('aborts by default with an AbortError, as an AbortController does', () => {
    const scope = new AbortScope();
    scope.abort();
    expect((scope.reason as DOMException).name).toBe('AbortError');
  });

  it('onAbort() takes a scope or an AbortSignal alike', () => {
    const scope = new AbortScope();
    const controller = new AbortController();
    let heard = 0;
    onAbort(scope, () => heard++);
    onAbort(controller.signal, () => heard++);
    onAbort(controller.signal, () => heard++).remove();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    scope.abort();
    controller.abort();
    expect(heard).toBe(2);
  });
});

describe('raceSignal', () => {
  it('takes a scope as well as a signal', async () => {
    const scope = new AbortScope();
    const pending = raceSignal(new Promise(() => undefined), scope);
    scope.abort(new Error('scope ended'));
    await expect(pending).rejects.toThrow('scope ended');
    await expect(raceSignal(Promise.resolve(3), new AbortScope())).resolves.toBe(3);
  });

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
