// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time and total (inclusive) time per
// function, highest first. V8's sampler attributes samples to inlined functions too, so a small
// helper inlined into its caller still shows up under its own name.
//
//   node .bench-out/bench/cpuprofile-summary.js <file.cpuprofile> [top=30] [function ...]
//
// For each function named after `top`, also prints its hottest lines (of the compiled JS, which
// tsc keeps close to the TypeScript source) from the profile's per-line ticks.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: cpuprofile-summary <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of prof.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}

function label(cf: CallFrame): string {
  const fn = cf.functionName === '' ? '(anonymous)' : cf.functionName;
  if (cf.url === '') return fn;
  const rel = cf.url.includes('/.bench-out/') ? cf.url.slice(cf.url.indexOf('/.bench-out/') + 12) : path.basename(cf.url);
  return `${fn}  ${rel}:${cf.lineNumber + 1}`;
}

const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
for (let i = 0; i < prof.samples.length; i++) {
  // timeDeltas[i] is the time before sample i; attribute the next delta to sample i (as DevTools does).
  const dt = prof.timeDeltas[i + 1] ?? 0;
  const id = prof.samples[i]!;
  all += dt;
  const leaf = byId.get(id)!;
  const l = label(leaf.callFrame);
  self.set(l, (self.get(l) ?? 0) + dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const lab = label(byId.get(cur)!.callFrame);
    if (seen.has(lab)) continue; // recursion: count once
    seen.add(lab);
    total.set(lab, (total.get(lab) ?? 0) + dt);
  }
}

const pct = (us: number): string => ((100 * us) / all).toFixed(1).padStart(5) + '%';
console.log(`${prof.samples.length} samples, ${(all / 1000).toFixed(0)} ms`);
console.log(`\nTop ${top} by self time:`);
console.log('  self    total   function');
for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${pct(total.get(l) ?? 0)}   ${l}`);
}

for (const fn of process.argv.slice(4)) {
  const lines = new Map<string, number>();
  let url = '';
  let sum = 0;
  for (const n of prof.nodes) {
    if (n.callFrame.functionName !== fn) continue;
    url = n.callFrame.url;
    for (const t of n.positionTicks ?? []) {
      lines.set(String(t.line), (lines.get(String(t.line)) ?? 0) + t.ticks);
      sum += t.ticks;
    }
  }
  if (sum === 0) {
    console.log(`\n${fn}: no line ticks`);
    continue;
  }
  let source: string[] = [];
  try {
    source = readFileSync(url.startsWith('file:') ? fileURLToPath(url) : url, 'utf8').split('\n');
  } catch {
    // no source text, line numbers only
  }
  console.log(`\nHottest lines of ${fn} (share of its self ticks):`);
  for (const [line, ticks] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    const text = (source[Number(line) - 1] ?? '').trim();
    console.log(`${((100 * ticks) / sum).toFixed(1).padStart(5)}%  ${line.padStart(4)}: ${text.length > 110 ? text.slice(0, 107) + '...' : text}`);
  }
}
