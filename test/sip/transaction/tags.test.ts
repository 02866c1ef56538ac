// Branches and tags: their shape (RFC 3261 §8.1.1.7 magic cookie, §19.3 randomness) and that they
// stay unique across many refills of the random pool.
import { describe, expect, it } from 'vitest';
import { newBranch, newTag, randomHex } from '../../../src/sip/transaction/tags.js';

describe('branches, tags and random ids', () => {
  it('have the cookie, 96 or 48 random bits, and never repeat across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const b = newBranch();
      const t = newTag();
      const h = randomHex(12);
      expect(b).toMatch(/^z9hG4bK[A-Za-z0-9_-]{16}$/);
      expect(t).toMatch(/^[0-9a-f]{12}$/);
      expect(h).toMatch(/^[0-9a-f]{24}$/);
      for (const id of [b, t, h]) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
  });
});
