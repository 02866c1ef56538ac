// Session identity over time (RFC 3264 §8): a session id fixed for the session's life and a
// version that increases with each new description.

import { randomInt } from 'node:crypto';
import type { SessionDescription } from './model.js';

/**
 * A new random session id for `o=`: a decimal number below 2^31, so that peers that keep the id in
 * a 32-bit integer (pjsip among them) read it correctly, with room for the version to grow.
 */
export function newSessionId(): string {
  return String(randomInt(1, 2 ** 31));
}

/** A deep copy of a session description (it is plain data). */
export function cloneSdp(sd: SessionDescription): SessionDescription {
  return structuredClone(sd);
}

/**
 * A copy of `sd` with the `o=` session version incremented by one, keeping username, session id
 * and address: what each new offer (or changed answer) within a session must carry (RFC 3264 §8).
 * Works on versions of any size (they are decimal strings).
 *
 * @example
 * ```ts
 * const reoffer = nextVersion(lastOffer); // o=- 4711 4712 ... after o=- 4711 4711 ...
 * ```
 */
export function nextVersion(sd: SessionDescription): SessionDescription {
  const copy = cloneSdp(sd);
  copy.origin.sessionVersion = (BigInt(sd.origin.sessionVersion) + 1n).toString();
  return copy;
}

/** `value` as the decimal digits of a session id or version; throws a TypeError otherwise. */
export function sessionNumber(value: string | bigint | number, field: string): string {
  const text = typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : Number.isSafeInteger(value) ? String(value) : '';
  if (!/^[0-9]+$/.test(text)) throw new TypeError(`${field} must be a non-negative integer (decimal digits), not ${JSON.stringify(String(value))}`);
  return text;
}
