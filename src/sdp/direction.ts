// Media directions (RFC 3264 §5.1, §6.1, §8.4): which way a stream flows, as declared, as
// answered, and as set for hold and resume.

import { directionAttribute } from './attributes.js';
import type { MediaDescription, MediaDirection, SdpAttribute, SdpConnection, SessionDescription } from './model.js';

/** True when `d` lets its side send media. */
export function canSend(d: MediaDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

/** True when `d` lets its side receive media. */
export function canReceive(d: MediaDirection): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

/** The direction with the given send and receive abilities. */
export function directionOf(send: boolean, receive: boolean): MediaDirection {
  if (send) return receive ? 'sendrecv' : 'sendonly';
  return receive ? 'recvonly' : 'inactive';
}

/** The direction seen from the other side: sendonly ↔ recvonly; sendrecv and inactive stay. */
export function reverseDirection(d: MediaDirection): MediaDirection {
  return directionOf(canReceive(d), canSend(d));
}

/** What both directions allow: sends only if both send, receives only if both receive. */
export function intersectDirections(a: MediaDirection, b: MediaDirection): MediaDirection {
  return directionOf(canSend(a) && canSend(b), canReceive(a) && canReceive(b));
}

/**
 * The direction an answer gives a stream offered as `offered` (RFC 3264 §6.1): sendonly →
 * recvonly, recvonly → sendonly, inactive → inactive, sendrecv → `preferred`; in general the
 * reverse of the offer narrowed to what the answerer prefers.
 *
 * @example
 * ```ts
 * answerDirection('sendonly'); // 'recvonly' — the remote put us on hold
 * answerDirection('sendrecv', 'recvonly'); // 'recvonly'
 * ```
 */
export function answerDirection(offered: MediaDirection, preferred: MediaDirection = 'sendrecv'): MediaDirection {
  return intersectDirections(reverseDirection(offered), preferred);
}

/** The `c=` that applies to a media section: its own first one, else the session's. */
export function connectionFor(sd: SessionDescription, media: MediaDescription): SdpConnection | undefined {
  return media.connections[0] ?? sd.connection;
}

/** True for the RFC 2543 hold address `c=IN IP4 0.0.0.0` (RFC 3264 §8.4). */
export function isNullConnection(c: SdpConnection | undefined): boolean {
  return c !== undefined && c.addrType.toUpperCase() === 'IP4' && c.address === '0.0.0.0';
}

/**
 * The direction a description declares for one of its media sections: the media-level direction
 * attribute, else the session-level one, else sendrecv (RFC 3264 §5.1). A connection address of
 * 0.0.0.0 — the RFC 2543 way to put a call on hold (RFC 3264 §8.4) — makes it inactive.
 *
 * @example
 * ```ts
 * mediaDirection(remoteOffer, remoteOffer.media[0]!); // 'sendonly' when the remote holds the call
 * ```
 */
export function mediaDirection(sd: SessionDescription, media: MediaDescription): MediaDirection {
  if (isNullConnection(connectionFor(sd, media))) return 'inactive';
  return directionAttribute(media.attributes) ?? directionAttribute(sd.attributes) ?? 'sendrecv';
}

/**
 * `attributes` with its direction set to `d`: the first direction attribute replaced in place,
 * any others removed, or `a=<d>` appended when there was none. Returns a new array.
 */
export function withDirection(attributes: readonly SdpAttribute[], d: MediaDirection): SdpAttribute[] {
  const out: SdpAttribute[] = [];
  let done = false;
  for (const a of attributes) {
    if (a.kind !== 'direction') out.push(a);
    else if (!done) {
      out.push({ kind: 'direction', direction: d });
      done = true;
    }
  }
  if (!done) out.push({ kind: 'direction', direction: d });
  return out;
}
