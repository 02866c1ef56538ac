// Random identifiers of RFC 3261: branches (§8.1.1.7) and tags (§19.3). Their bytes come from the
// operating system's cryptographic generator, 4 KiB at a time: one system call per few hundred
// identifiers instead of one each (a load run makes several per call).

import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `n` cryptographically random bytes from the pool (a view: use it before the next call). */
function random(n: number): Buffer {
  if (used + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const out = pool.subarray(used, used + n);
  used += n;
  return out;
}

/** A new RFC 3261 branch: the magic cookie and 96 random bits. */
export function newBranch(): string {
  return 'z9hG4bK' + random(12).toString('base64url');
}

/** A new random tag (RFC 3261 §19.3: at least 32 bits of randomness; this has 48). */
export function newTag(): string {
  return random(6).toString('hex');
}

/** `bytes` random bytes as hex (a Call-ID's unique part: RFC 3261 §8.1.1.4 asks for global uniqueness). */
export function randomHex(bytes: number): string {
  return random(bytes).toString('hex');
}
