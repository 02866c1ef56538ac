// Replays the fuzz corpus (test/fuzz/corpus/<target>/*.bin: every input that ever broke a
// target, saved by `npm run fuzz`, plus hand-made ones) and the seeds: each must now pass.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusDir } from './corpus-dir.js';
import { TARGETS } from './targets.js';

describe('fuzz corpus replay', () => {
  for (const target of Object.values(TARGETS)) {
    const dir = join(corpusDir(), target.name);
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin') && !f.startsWith('.'));
    it(`${target.name}: ${target.seeds.length} seeds and ${files.length} saved inputs pass`, async () => {
      for (const [i, seed] of target.seeds.entries()) await expect(target.run(seed), `seed ${i}`).resolves.toBeUndefined();
      for (const f of files) await expect(target.run(new Uint8Array(readFileSync(join(dir, f)))), f).resolves.toBeUndefined();
    }, 60_000);
  }
});
