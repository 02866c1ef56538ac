// The fuzz targets (test/fuzz/targets.ts) in CI, a bounded number of cases each: fast-check picks
// a seed input and a mutation seed, so a failure shrinks to a small case and replays from the
// seed it prints. `npm run fuzz` runs the same targets for hours.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { mutate, prng } from '../fuzz/mutate.js';
import { type FuzzTarget, TARGETS } from '../fuzz/targets.js';

function property(target: FuzzTarget, numRuns: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(fc.nat(target.seeds.length - 1), fc.nat(target.seeds.length - 1), fc.integer(), async (a, b, seed) => {
      await target.run(mutate(target.seeds[a]!, target.seeds[b]!, prng(seed)));
    }),
    { numRuns },
  );
}

describe('fuzz targets, bounded', () => {
  it('parser: 2,000 mutants, each a message or a SipParseError', () => property(TARGETS.parser, 2000), 60_000);
  it('ua: 300 mutants into a UserAgent, no error, nothing held once its timers ran', () => property(TARGETS.ua, 300), 120_000);
  it('scenario: 500 mutants, validateScenario never throws nor reports an internal error', () => property(TARGETS.scenario, 500), 60_000);
});
