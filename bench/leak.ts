// Leak check (issue 17): CALLS calls (default 50,000) of a two-party scenario (MakeCall → Release
// against INCOMING → Answer → DISCONNECTED) as a load run over real UDP on 127.0.0.1, at RATE
// calls/s (default 250; both sides run in this one process), signalling only. After the last call
// and SETTLE_S seconds (default 35: the answered INVITEs' transactions live 32 s, RFC 6026) it
// prints what the instances still hold (transactions, dialogs, sessions, pending calls, unanswered
// requests, RTP sessions, timers: all should be 0) and the heap after a full GC, next to the heap
// after a warm-up of 1,000 calls.
//
//   npm run bench:leak            (CALLS, RATE, SETTLE_S from the environment)
//
// SNAPSHOTS=<dir> also writes a V8 heap snapshot after the warm-up and one at the end (after the
// full GC), to diff in Chrome DevTools' Comparison view when the heap does not come back.

import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { LoadRunner } from '../src/engine/index.js';

const CALLS = Number(process.env.CALLS ?? 50_000);
const RATE = Number(process.env.RATE ?? 250);
const SETTLE_S = Number(process.env.SETTLE_S ?? 35);
const SNAPSHOTS = process.env.SNAPSHOTS;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:leak does)');

const scenario = {
  name: 'leak check',
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
};

// Measured a second after a run: its sockets finish closing (libuv frees the handles a loop turn
// after close() resolves), and until then they hold the run's user agents and all they refer to.
async function heapMb(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function snapshot(name: string): void {
  if (SNAPSHOTS !== undefined) console.log(`heap snapshot: ${writeHeapSnapshot(join(SNAPSHOTS, `${name}.heapsnapshot`))}`);
}

const warm = await new LoadRunner({ portBase: 38600 }).run(scenario, { rate: RATE, calls: 1000, media: 'off', settleMs: SETTLE_S * 1000, load: { env: {} } });
const heapAfterWarmUp = await heapMb();
console.log(`warm-up: ${warm.totals.completed} calls, heap ${heapAfterWarmUp.toFixed(1)} MB`);
snapshot('warm-up');
let last = 0;
const result = await new LoadRunner({ portBase: 38600 }).run(scenario, {
  rate: RATE,
  calls: CALLS,
  media: 'off',
  settleMs: SETTLE_S * 1000,
  statsIntervalMs: 10_000,
  load: { env: {} },
  onStats: (s) => {
    if (s.completed + s.failed === last) return;
    last = s.completed + s.failed;
    console.log(`${s.elapsedS.toFixed(0)} s: ${s.completed} completed, ${s.failed} failed, ${s.concurrent} up, heap ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1)} MB, rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MB`);
  },
});
const heapAtEnd = await heapMb();
snapshot(`after-${CALLS}`);
console.log(JSON.stringify({ calls: CALLS, rate: RATE, completed: result.totals.completed, failed: result.totals.failed, failures: result.failures, live: result.live }));
console.log(`heap after a full GC: ${heapAfterWarmUp.toFixed(1)} MB after the warm-up, ${heapAtEnd.toFixed(1)} MB after ${CALLS} calls and ${SETTLE_S} s (${(heapAtEnd - heapAfterWarmUp).toFixed(1)} MB more)`);
