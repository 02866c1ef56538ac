// Engine benchmark: a two-party call scenario (MakeCall, Answer, Release, DISCONNECTED) run end
// to end over loopback again and again, next to the same call made with the stack alone (two
// UserAgents and, with media, two MediaSessions, created and closed per call as the engine does).
// The difference is the engine's own time: compiling nothing (the graph is compiled once), but
// starting instances, keeping the session store and records, running the executor, building run
// events and cleaning up.
//
//   npm run bench:engine
//
// Environment knobs (optional): BENCH_RUNS (runs per variant and round, default 40), BENCH_ROUNDS
// (default 3). Variants alternate within a round, so a noisy host affects them alike; the figures
// are medians over rounds. CPU is this process's user+system time per run.

import { MediaSession } from '../src/media/media-session.js';
import { createOffer, negotiated, parseSdp, serializeSdp, sdpOfferAnswer } from '../src/sdp/index.js';
import { UserAgent } from '../src/sip/dialog/user-agent.js';
import { Engine, compileScenario, type RunEvent } from '../src/engine/index.js';
import { machine, median, printTable } from './harness.js';

const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 40));
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const BASE_PORT = 38000;

const graph = compileScenario({
  instances: {
    alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] },
    bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
});

/** One run of the scenario on an engine; throws unless it passed. */
async function engineRun(media: boolean, listen: boolean): Promise<void> {
  const engine = new Engine({ portBase: BASE_PORT, media, closeTimeoutMs: 500 });
  let events = 0;
  if (listen) engine.on((e: RunEvent) => void (events += e.type.length));
  const result = await engine.run(graph);
  if (result.status !== 'passed') throw new Error(`engine run ${result.status}: ${result.failure?.message}`);
  if (listen && events === 0) throw new Error('no events');
}

/** The same call with the stack alone: two user agents (and media sessions), invite, answer, bye, close. */
async function stackRun(media: boolean): Promise<void> {
  const host = '127.0.0.1';
  const aliceMedia = media ? await MediaSession.open({ host }) : undefined;
  const bobMedia = media ? await MediaSession.open({ host }) : undefined;
  const alicePort = aliceMedia?.local.port ?? 9;
  const bobPort = bobMedia?.local.port ?? 9;
  const alice = new UserAgent({ bind: { host, port: BASE_PORT }, identity: { user: '100' }, offerAnswer: sdpOfferAnswer({ address: host, port: alicePort }), closeTimeout: 500 });
  const bob = new UserAgent({ bind: { host, port: BASE_PORT + 2 }, identity: { user: '200' }, offerAnswer: sdpOfferAnswer({ address: host, port: bobPort }), closeTimeout: 500 });
  await Promise.all([alice.ready, bob.ready]);
  const ended = new Promise<void>((resolve) => {
    bob.on('invite', (call) => {
      call.ringing();
      const answer = sdpOfferAnswer({ address: host, port: bobPort }).createAnswer(call.remoteSdp!, undefined);
      void call.answer(answer).then((session) => {
        bobMedia?.update(negotiated(parseSdp(call.remoteSdp!), parseSdp(answer), 'answerer')!);
        session.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    });
  });
  const offer = createOffer({ address: host, port: alicePort });
  const session = await alice.invite(`sip:200@${host}:${BASE_PORT + 2}`, { sdp: serializeSdp(offer) });
  aliceMedia?.update(negotiated(offer, parseSdp(session.remoteSdp!), 'offerer')!);
  await session.bye();
  await ended;
  await Promise.all([alice.close(), bob.close(), aliceMedia?.close(), bobMedia?.close()]);
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function time(fn: () => Promise<void>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const VARIANTS: ReadonlyArray<{ name: string; run: () => Promise<void> }> = [
  { name: 'stack, media', run: () => stackRun(true) },
  { name: 'engine, media', run: () => engineRun(true, false) },
  { name: 'engine, media, listener', run: () => engineRun(true, true) },
  { name: 'stack, no media', run: () => stackRun(false) },
  { name: 'engine, no media', run: () => engineRun(false, false) },
  { name: 'engine, no media, listener', run: () => engineRun(false, true) },
];

async function main(): Promise<void> {
  console.log(`Engine benchmark: a two-party call end to end on loopback (${RUNS} runs per variant, ${ROUNDS} rounds)`);
  console.log(machine());
  // Warm up every path once.
  for (const v of VARIANTS) await v.run();
  const perRound = new Map<string, { wall: number[]; cpu: number[] }>(VARIANTS.map((v) => [v.name, { wall: [], cpu: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const samples = new Map<string, Sample[]>(VARIANTS.map((v) => [v.name, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const v of VARIANTS) samples.get(v.name)!.push(await time(v.run));
    }
    for (const v of VARIANTS) {
      const s = samples.get(v.name)!;
      perRound.get(v.name)!.wall.push(median(s.map((x) => x.wallMs)));
      perRound.get(v.name)!.cpu.push(median(s.map((x) => x.cpuMs)));
    }
  }
  const figure = (name: string): { wall: number; cpu: number } => {
    const r = perRound.get(name)!;
    return { wall: median(r.wall), cpu: median(r.cpu) };
  };
  const rows = VARIANTS.map((v) => {
    const f = figure(v.name);
    return [v.name, f.wall.toFixed(2), (1000 / f.wall).toFixed(0), f.cpu.toFixed(2)];
  });
  console.log('');
  printTable(['variant', 'ms per run (median)', 'runs/s', 'CPU ms per run'], rows);
  console.log('');
  for (const media of ['media', 'no media']) {
    const stack = figure(`stack, ${media}`);
    const engine = figure(`engine, ${media}`);
    const listened = figure(`engine, ${media}, listener`);
    console.log(
      `${media}: the engine's own time is ${(engine.wall - stack.wall).toFixed(2)} ms of ${engine.wall.toFixed(2)} ms per run ` +
        `(${((100 * (engine.wall - stack.wall)) / engine.wall).toFixed(0)} %); CPU ${(engine.cpu - stack.cpu).toFixed(2)} ms of ${engine.cpu.toFixed(2)} ms; ` +
        `a listener on every event adds ${(listened.wall - engine.wall).toFixed(2)} ms`,
    );
  }
}

await main();
