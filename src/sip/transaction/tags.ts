// Random identifiers of RFC 3261: branches (§8.1.1.7) and tags (§19.3).

import { randomBytes } from 'node:crypto';

/** A new RFC 3261 branch: the magic cookie and 96 random bits. */
export function newBranch(): string {
  return 'z9hG4bK' + randomBytes(12).toString('base64url');
}

/** A new random tag (RFC 3261 §19.3: at least 32 bits of randomness; this has 48). */
export function newTag(): string {
  return randomBytes(6).toString('hex');
}
