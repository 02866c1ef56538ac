// Hold and resume (RFC 3264 §8.4): re-offers that change the direction of our streams.

import { withDirection } from './direction.js';
import type { MediaDirection, SessionDescription } from './model.js';
import { nextVersion } from './session-version.js';

/**
 * A re-offer putting the call on hold (RFC 3264 §8.4): `current` (our last description in the
 * session) with every active stream set to `mode` — `sendonly` (the usual hold: we may still
 * send music on hold) or `inactive` — and the `o=` version incremented. A session-level
 * direction attribute is removed so the media-level ones rule; rejected streams (port 0) are
 * left alone.
 *
 * @example
 * ```ts
 * const hold = holdOffer(lastOffer); // a=sendonly, o= version + 1
 * reinvite.body = serializeSdp(hold);
 * ```
 */
export function holdOffer(current: SessionDescription, mode: 'sendonly' | 'inactive' = 'sendonly'): SessionDescription {
  return redirect(current, mode);
}

/**
 * A re-offer taking the call off hold: `current` with every active stream set to `direction`
 * (default `sendrecv`) and the `o=` version incremented.
 *
 * @example
 * ```ts
 * const resume = resumeOffer(holdOffer(lastOffer)); // a=sendrecv, version + 2 from lastOffer
 * ```
 */
export function resumeOffer(current: SessionDescription, direction: MediaDirection = 'sendrecv'): SessionDescription {
  return redirect(current, direction);
}

function redirect(current: SessionDescription, direction: MediaDirection): SessionDescription {
  const next = nextVersion(current);
  next.attributes = next.attributes.filter((a) => a.kind !== 'direction');
  for (const m of next.media) {
    if (m.port !== 0) m.attributes = withDirection(m.attributes, direction);
  }
  return next;
}
