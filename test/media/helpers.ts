// What several media test files share: hex views of bytes, and catching the typed error a codec or
// parser throws.

import { expect } from 'vitest';

/** The bytes as lower-case hex, no separators. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Bytes from hex text; whitespace (for readable grouping) is ignored. */
export const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/**
 * Runs `fn`, which must throw an instance of `type` whose `name` is `name`, and returns that error
 * for further checks.
 */
export function thrown<E extends Error>(type: abstract new (...args: never[]) => E, name: string, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    expect((err as E).name).toBe(name);
    return err as E;
  }
  throw new Error(`expected a ${name} to be thrown`);
}
