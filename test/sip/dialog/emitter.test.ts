// The typed emitter under every user agent, session and call: order, once, off, what an emit
// sees when its listeners change, and errors thrown by listeners.
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../../src/sip/dialog/emitter.js';

type Events = { a: number; b: string };

class Probe extends TypedEmitter<Events> {
  readonly errors: Array<[unknown, string]> = [];
  fire<K extends keyof Events>(event: K, payload: Events[K]): void {
    this.emit(event, payload);
  }
  clear(): void {
    this.removeAllListeners();
  }
  protected override onListenerError(err: unknown, event: string): void {
    this.errors.push([err, event]);
  }
}

describe('TypedEmitter', () => {
  it('calls the listeners of an event in the order they were added, and only those', () => {
    const e = new Probe();
    const heard: string[] = [];
    e.on('a', (n) => heard.push(`a1:${n}`));
    e.on('b', (s) => heard.push(`b1:${s}`));
    e.on('a', (n) => heard.push(`a2:${n}`));
    e.fire('a', 1);
    e.fire('b', 'x');
    expect(heard).toEqual(['a1:1', 'a2:1', 'b1:x']);
    expect(e.listenerCount('a')).toBe(2);
    expect(e.listenerCount('b')).toBe(1);
  });

  it('off() and the returned function remove one listener (the first, when added twice); once() runs once', () => {
    const e = new Probe();
    const heard: string[] = [];
    const l = (n: number): void => void heard.push(`l${n}`);
    e.on('a', l);
    e.on('a', l);
    const remove = e.on('a', (n) => heard.push(`r${n}`));
    e.once('a', (n) => heard.push(`once${n}`));
    e.off('a', l);
    remove();
    remove();
    e.fire('a', 1);
    e.fire('a', 2);
    expect(heard).toEqual(['l1', 'once1', 'l2']);
    expect(e.listenerCount('a')).toBe(1);
  });

  it('an emit calls the listeners it began with: one removed or added meanwhile does not change it', () => {
    const e = new Probe();
    const heard: string[] = [];
    const second = (): void => void heard.push('second');
    e.on('a', () => {
      heard.push('first');
      e.off('a', second);
      e.on('a', () => heard.push('added'));
    });
    e.on('a', second);
    e.fire('a', 0);
    expect(heard).toEqual(['first', 'second']);
    heard.length = 0;
    e.fire('a', 0);
    expect(heard).toEqual(['first', 'added']); // the one added during this emit waits for the next
  });

  it('a listener that throws goes to onListenerError; the others still run', () => {
    const e = new Probe();
    const heard: number[] = [];
    const boom = new Error('boom');
    e.on('a', () => {
      throw boom;
    });
    e.on('a', (n) => heard.push(n));
    e.fire('a', 7);
    expect(heard).toEqual([7]);
    expect(e.errors).toEqual([[boom, 'a']]);
  });

  it('removeAllListeners() drops them all; emitting with none is harmless', () => {
    const e = new Probe();
    e.fire('a', 1);
    let heard = 0;
    e.on('a', () => heard++);
    e.on('b', () => heard++);
    e.clear();
    e.fire('a', 1);
    e.fire('b', '');
    expect(heard).toBe(0);
    expect(e.listenerCount('a')).toBe(0);
    e.on('b', () => heard++);
    e.fire('b', '');
    expect(heard).toBe(1);
  });
});
