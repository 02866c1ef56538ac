// `npm run fuzz`: hours of local fuzzing. Mutates the seeds and every saved input of each target
// (test/fuzz/corpus/<target>/) and runs the target on each mutant. An input that breaks a
// contract, or takes longer than --hang-ms, is saved to the corpus as crash-<hash>.bin (commit it:
// CI replays the corpus on every run). Before each run the input is written to
// test/fuzz/corpus/<target>/.current.bin, so an input that kills or freezes the process outright
// is on disk too.
//
//   npm run fuzz -- [--seconds 3600] [--target parser|ua|scenario|all] [--seed n] [--hang-ms 2000]

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir } from './corpus-dir.js';
import { mutate, prng } from './mutate.js';
import { type FuzzTarget, TARGETS } from './targets.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '3600'));
  const which = arg('target', 'all');
  const seed = Number(arg('seed', String(Date.now() % 1_000_000)));
  const hangMs = Number(arg('hang-ms', '2000'));
  const targets: FuzzTarget[] = which === 'all' ? Object.values(TARGETS) : [TARGETS[which as FuzzTarget['name']]].filter((t) => t !== undefined);
  if (targets.length === 0 || !(seconds > 0)) throw new Error('usage: npm run fuzz -- [--seconds n] [--target parser|ua|scenario|all] [--seed n] [--hang-ms n]');
  const random = prng(seed);
  const end = Date.now() + seconds * 1000;
  console.log(`fuzzing ${targets.map((t) => t.name).join(', ')} for ${seconds} s, seed ${seed}`);
  const stats = new Map(targets.map((t) => [t.name, { runs: 0, found: 0 }]));
  // The same problem is found over and over once found: keep a few inputs of each (by its message).
  const kept = new Map<string, number>();
  let lastReport = Date.now();
  while (Date.now() < end) {
    for (const target of targets) {
      const dir = join(corpusDir(), target.name);
      mkdirSync(dir, { recursive: true });
      const saved = readdirSync(dir).filter((f) => f.endsWith('.bin') && !f.startsWith('.')).map((f) => new Uint8Array(readFileSync(join(dir, f))));
      const pool = [...target.seeds, ...saved];
      for (let i = 0; i < 200; i++) {
        const input = mutate(pool[Math.floor(random() * pool.length)]!, pool[Math.floor(random() * pool.length)]!, random);
        writeFileSync(join(dir, '.current.bin'), input);
        const started = performance.now();
        let problem: string | undefined;
        try {
          await target.run(input);
        } catch (err) {
          problem = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        }
        const took = performance.now() - started;
        if (problem === undefined && took > hangMs) problem = `took ${Math.round(took)} ms (over --hang-ms ${hangMs})`;
        const s = stats.get(target.name)!;
        s.runs++;
        if (problem !== undefined) {
          s.found++;
          const kind = `${target.name} ${problem.replace(/\d+/g, 'N').slice(0, 120)}`;
          const seen = kept.get(kind) ?? 0;
          kept.set(kind, seen + 1);
          if (seen >= 3) continue;
          const file = join(dir, `crash-${createHash('sha1').update(input).digest('hex').slice(0, 16)}.bin`);
          writeFileSync(file, input);
          console.log(`${target.name}: ${problem.slice(0, 300)}\n  saved ${file}`);
        }
      }
      rmSync(join(dir, '.current.bin'), { force: true });
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      console.log([...stats].map(([name, s]) => `${name} ${s.runs} runs, ${s.found} found`).join('; '));
    }
  }
  console.log(`done: ${[...stats].map(([name, s]) => `${name} ${s.runs} runs, ${s.found} found`).join('; ')}`);
  process.exitCode = [...stats.values()].some((s) => s.found > 0) ? 1 : 0;
}

await main();
