// Media benchmark: the per-packet work of a call's media path, in ns per 20 ms frame and in samples
// per second, with what it means for the 1,000-concurrent-session target (50 frames/s each way).
//
//   npm run bench:media
//
// Tasks are entries of TASKS; add more by pushing to it. Each task runs `frames` 20 ms frames (160
// samples each at 8 kHz) per operation and verifies itself before timing. The session tasks time
// one MediaSession's 20 ms tick (next frame of a playback, G.711, RTP header, statistics, and the
// UDP send, real or stubbed) and one received packet through its socket listener (RTP decode,
// statistics, jitter), each on its own; bench/media-load.ts runs a thousand sessions for real.
//
// Environment knobs (optional): BENCH_TIME_MS (per task and round, default 500), BENCH_WARMUP_MS
// (default 300), BENCH_ROUNDS (default 3).

import { Bench } from 'tinybench';
import {
  decodeALaw,
  decodeMuLaw,
  encodeALaw,
  encodeMuLaw,
  G711_FRAME_SAMPLES,
  type G711Codec,
  linearToALaw,
  linearToMuLaw,
  PCMA,
  PCMU,
} from '../src/media/g711.js';
import { createSocket, type Socket } from 'node:dgram';
import { MediaSession } from '../src/media/media-session.js';
import { resample } from '../src/media/resample.js';
import { encodeRtp } from '../src/media/rtp-packet.js';
import { VirtualClock } from '../src/sip/transport/clock.js';
import { batched, benchSettings, keepResults, machine, median, printTable, statOf } from './harness.js';

const { timeMs: TIME_MS, warmupMs: WARMUP_MS, rounds: ROUNDS } = benchSettings({ timeMs: 500, warmupMs: 300, rounds: 3 });
/** Operations per tinybench sample, so the timer call is amortised. */
const BATCH = 64;
/** Sessions and frame rate of the performance target. */
const SESSIONS = 1000;
const FRAMES_PER_SECOND = 50;

/** One thing to time. */
interface MediaTask {
  name: string;
  /** 20 ms frames of 8 kHz audio one `run` handles (for the per-frame and samples/s columns). */
  frames: number;
  /** Does the work once and returns something derived from the result. */
  run: () => number;
  /** Throws when the work is wrong. Runs before any timing. */
  verify?: () => void;
  /** How many times per second per session the target needs `run` (for the 1,000-session column). */
  perSessionPerSecond?: number;
}

// --- Inputs ----------------------------------------------------------------------------------------------

/** One second of a speech-band test signal (two tones plus noise), as 50 frames of 160 samples. */
function testSignal(): Int16Array[] {
  let seed = 12345;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const frames: Int16Array[] = [];
  for (let f = 0; f < 50; f++) {
    frames.push(
      Int16Array.from({ length: G711_FRAME_SAMPLES }, (_, i) => {
        const n = f * G711_FRAME_SAMPLES + i;
        return Math.round(9000 * Math.sin(n * 0.33) + 5000 * Math.sin(n * 1.71) + 6000 * noise());
      }),
    );
  }
  return frames;
}

const FRAMES = testSignal();
const MU_FRAMES = FRAMES.map((f) => encodeMuLaw(f));
const A_FRAMES = FRAMES.map((f) => encodeALaw(f));
const payload = new Uint8Array(G711_FRAME_SAMPLES);
const pcmOut = new Int16Array(G711_FRAME_SAMPLES);
let next = 0;
const nextIndex = (): number => (next = next === 49 ? 0 : next + 1);

function same(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) throw new Error(`${what}: sample ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

const ONE_SECOND_44K = Int16Array.from({ length: 44100 }, (_, n) => Math.round(12000 * Math.sin((2 * Math.PI * 1000 * n) / 44100)));

// --- Tasks -----------------------------------------------------------------------------------------------

/**
 * A codec's encode and decode of one frame into preallocated buffers (as a session does), each
 * verified sample by sample against the per-sample reference conversion.
 */
function intoBufferTasks(codec: G711Codec, encoded: Uint8Array[], toCode: (sample: number) => number, decodeRef: (bytes: Uint8Array) => Int16Array): MediaTask[] {
  return [
    {
      name: `${codec.name} encode (into buffer)`,
      frames: 1,
      perSessionPerSecond: FRAMES_PER_SECOND,
      run: () => codec.encode(FRAMES[nextIndex()]!, payload)[17]!,
      verify: () => FRAMES.forEach((f, k) => same(`${codec.name} encode frame ${k}`, codec.encode(f, payload), Array.from(f, toCode))),
    },
    {
      name: `${codec.name} decode (into buffer)`,
      frames: 1,
      perSessionPerSecond: FRAMES_PER_SECOND,
      run: () => codec.decode(encoded[nextIndex()]!, pcmOut)[17]!,
      verify: () => encoded.forEach((b, k) => same(`${codec.name} decode frame ${k}`, codec.decode(b, pcmOut), Array.from(decodeRef(b)))),
    },
  ];
}

const TASKS: MediaTask[] = [
  ...intoBufferTasks(PCMU, MU_FRAMES, linearToMuLaw, decodeMuLaw),
  ...intoBufferTasks(PCMA, A_FRAMES, linearToALaw, decodeALaw),
  {
    name: 'PCMU encode (allocating)',
    frames: 1,
    run: () => encodeMuLaw(FRAMES[nextIndex()]!)[17]!,
  },
  {
    name: 'PCMU decode (allocating)',
    frames: 1,
    run: () => decodeMuLaw(MU_FRAMES[nextIndex()]!)[17]!,
  },
  {
    name: 'resample 1 s 44.1 kHz → 8 kHz',
    frames: 50,
    run: () => resample(ONE_SECOND_44K, 44100, 8000).samples[4000]!,
    verify: () => {
      const { samples } = resample(ONE_SECOND_44K, 44100, 8000);
      if (samples.length !== 8000 || Math.abs(Math.max(...samples.subarray(400, 7600)) - 12000) > 60) throw new Error('resample output is off');
    },
  },
];

// --- One media session's per-packet work ---------------------------------------------------------------

/** What the session tasks need from a MediaSession's insides (private there; a bench may look). */
interface SessionInsides {
  sockets: { rtp: Socket };
}

async function sessionTasks(): Promise<{ tasks: MediaTask[]; close: () => Promise<void> }> {
  const clock = new VirtualClock();
  const sink = createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const open = (): Promise<MediaSession> => MediaSession.open({ host: '127.0.0.1', portRange: { min: 20000, max: 39998 }, clock });
  const endless = Int16Array.from({ length: 8000 * 3600 }, (_, n) => Math.round(9000 * Math.sin(n * 0.33)));
  const playing = async (remotePort: number): Promise<MediaSession> => {
    const s = await open();
    s.update({ codec: 'PCMU', payloadType: 0, remoteAddress: '127.0.0.1', remotePort, direction: 'sendrecv' });
    void s.play(endless);
    return s;
  };
  // Sends to a peer that was heard from: the session latched and connected its socket, so the
  // datagram goes to the kernel inside send() (an unconnected send resolves the address on a later
  // turn, outside anything timed here) and the loopback delivers it to the sink inside that call.
  const connected = await playing(sink.address().port);
  // RFC 3550 A.1: a source counts once two packets in sequence have arrived.
  for (let k = 1; k <= 3; k++) {
    const hello = encodeRtp({ payloadType: 0, sequence: k, timestamp: 160 * k, ssrc: 7, marker: false, payload: new Uint8Array(160) });
    sink.send(hello, connected.local.port, '127.0.0.1');
  }
  for (let waited = 0; connected.stats().packetsReceived === 0; waited += 10) {
    if (waited > 2000) throw new Error('the session did not receive its peer\'s packet');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 10)); // the connect completes
  // The same tick with the send stubbed: what our code costs, without Node's send path and the kernel.
  const stubbed = await playing(9);
  let stubbedSends = 0;
  (stubbed as unknown as SessionInsides).sockets.rtp.send = (() => void stubbedSends++) as Socket['send'];
  // Receiving: the RTP socket's listener, called with a packet of an in-order stream.
  const receiver = await playing(9);
  (receiver as unknown as SessionInsides).sockets.rtp.send = (() => undefined) as Socket['send'];
  const listener = (receiver as unknown as SessionInsides).sockets.rtp.listeners('message')[0] as (msg: Buffer, rinfo: object) => void;
  const rinfo = { address: '127.0.0.1', family: 'IPv4', port: 40000, size: 172 };
  const packet = Buffer.from(encodeRtp({ payloadType: 0, sequence: 0, timestamp: 0, ssrc: 4321, marker: false, payload: MU_FRAMES[0]! }));
  let seq = 0;
  const receiveOne = (): number => {
    seq = (seq + 1) & 0xffff;
    packet[2] = seq >> 8;
    packet[3] = seq & 0xff;
    packet.writeUInt32BE((seq * 160) >>> 0, 4);
    listener(packet, rinfo);
    return seq;
  };
  let t = 0;
  const tick = (s: MediaSession): number => {
    s.tick((t += 20));
    return t;
  };
  const tasks: MediaTask[] = [
    {
      name: 'session tick, send stubbed',
      frames: 1,
      perSessionPerSecond: FRAMES_PER_SECOND,
      run: () => tick(stubbed),
      verify: () => {
        const before = stubbedSends;
        tick(stubbed);
        if (stubbedSends !== before + 1) throw new Error('a tick of a playing session did not send one packet');
      },
    },
    {
      name: 'session tick + connected send',
      frames: 1,
      perSessionPerSecond: FRAMES_PER_SECOND,
      run: () => tick(connected),
      verify: () => {
        const before = connected.stats().packetsSent;
        tick(connected);
        if (connected.stats().packetsSent !== before + 1) throw new Error('a tick of a playing session did not send one packet');
      },
    },
    {
      name: 'session receives a packet',
      frames: 1,
      perSessionPerSecond: FRAMES_PER_SECOND,
      run: receiveOne,
      verify: () => {
        const before = receiver.stats().packetsReceived;
        for (let i = 0; i < 10; i++) receiveOne();
        if (receiver.stats().packetsReceived !== before + 10) throw new Error('received packets were not counted');
      },
    },
  ];
  return {
    tasks,
    close: async () => {
      await Promise.all([connected, stubbed, receiver].map((s) => s.close()));
      sink.close();
    },
  };
}

// --- Timing ----------------------------------------------------------------------------------------------

const fmt = (x: number, digits = 1): string => (x >= 10_000 ? x.toFixed(0) : x.toFixed(digits));
const rate = (perSec: number): string => (perSec >= 1e9 ? `${(perSec / 1e9).toFixed(2)} G` : `${(perSec / 1e6).toFixed(1)} M`);

async function main(): Promise<void> {
  const sessions = await sessionTasks();
  TASKS.push(...sessions.tasks);
  for (const t of TASKS) t.verify?.();
  console.log(`All ${TASKS.length} tasks verified.`);
  console.log(machine());
  console.log(`tinybench: ${ROUNDS} rounds × ${TIME_MS} ms per task (+ ${WARMUP_MS} ms warmup), ${BATCH} operations per sample.\n`);

  const means = new Map<string, number[]>(TASKS.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TIME_MS, warmup: true, warmupTime: round === 0 ? WARMUP_MS : WARMUP_MS / 3, throws: true });
    for (const t of TASKS) bench.add(t.name, batched(t.run, BATCH));
    await bench.run();
    for (const t of TASKS) means.get(t.name)!.push(statOf(bench.getTask(t.name)).mean);
  }

  const rows: string[][] = [];
  for (const t of TASKS) {
    const all = means.get(t.name)!;
    const ns = median(all);
    const perFrame = ns / t.frames;
    const spread = (50 * (Math.max(...all) - Math.min(...all))) / ns;
    const load = t.perSessionPerSecond === undefined ? undefined : (ns * t.perSessionPerSecond * SESSIONS) / 1e9;
    rows.push([
      t.name,
      fmt(ns / 1000, 2),
      fmt(perFrame),
      spread.toFixed(1),
      rate((G711_FRAME_SAMPLES * 1e9) / perFrame),
      load === undefined ? '' : `${(100 * load).toFixed(2)} %`,
    ]);
  }
  printTable(['task', 'µs/op', 'ns/frame', '±%', 'samples/s', `${SESSIONS} sessions`], rows);
  console.log(`\nµs/op: median over rounds of the mean per operation; ns/frame: the same per 20 ms frame of 8 kHz audio (${G711_FRAME_SAMPLES} samples,`);
  console.log('output side for the resampler); samples/s: 8 kHz samples per second; ±%: half the range of the round means.');
  console.log(`${SESSIONS} sessions: share of one CPU core at ${FRAMES_PER_SECOND} frames/s per session and direction (tasks that run per frame).`);
  const ns = (name: string): number => median(means.get(name)!);
  const perSession = Math.max(ns('PCMU encode (into buffer)') + ns('PCMU decode (into buffer)'), ns('PCMA encode (into buffer)') + ns('PCMA decode (into buffer)'));
  console.log(
    `A session's G.711 work (encode one frame + decode one frame, slower codec): ${fmt(perSession)} ns per 20 ms; ` +
      `${SESSIONS} sessions: ${((100 * perSession * FRAMES_PER_SECOND * SESSIONS) / 1e9).toFixed(2)} % of one core.`,
  );
  const tick = ns('session tick + connected send');
  const receive = ns('session receives a packet');
  console.log(
    `A session's tick with a connected send plus one received packet: ${fmt(tick + receive)} ns per 20 ms; ${SESSIONS} sessions: ` +
      `${((100 * (tick + receive) * FRAMES_PER_SECOND * SESSIONS) / 1e9).toFixed(1)} % of one core, without the receiving side's Node and kernel work ` +
      '(npm run bench:media-load measures everything).',
  );
  await sessions.close();
  keepResults();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1); // sockets may still be open
});
