// Load runs: a scenario as a call template, repeated at a rate. The instances start once (one
// UserAgent each, shared by every call); chains that start with a command (client chains) start
// together as one "call" `rate` times a second, after an optional linear ramp, until `calls` or
// `durationS`, never more than `concurrency` at once; chains that start with INCOMING (server
// chains) run once per incoming call. Every call runs on the full engine (every command and
// event) with its own calls and keys, and leaves nothing behind when it ends.

import { type EventLoopUtilization, type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { RealClock, sharedRealClock, type Clock } from '../sip/transport/clock.js';
import type { Endpoint, Transport } from '../sip/transport/transport.js';
import { DEFAULT_TIMERS } from '../sip/transaction/timers.js';
import { UdpTransport } from '../sip/transport/udp.js';
import type { IncomingCall } from '../sip/dialog/incoming-call.js';
import { receiveInvite } from './call-wiring.js';
import type { EngineOptions } from './engine.js';
import { EngineError, RunHalted, describeError } from './errors.js';
import { RunEventHub } from './event-hub.js';
import { Executor, type ChainOutcome } from './executor.js';
import { ForeignPeer, type ForeignCallFigures } from './foreign-peer.js';
import { HANDLERS } from './handlers/index.js';
import type { InstanceRuntime } from './instance-runtime.js';
import { LoadStats, type LoadFailureGroup, type LoadRefusals, type LoadSnapshot, type LoopFigures, type ProcessMemory } from './load-stats.js';
import type { RunContext } from './run-context.js';
import { cleanupRun, endCalls, graphOf, hasCallsToEnd, newRunContext, runSettings, startInstances, type NewRunContext } from './run-setup.js';
import { AbortScope, waitOn } from './wait.js';
import type { CompiledNode, ExecutionGraph, LoadOptions, Scenario } from './scenario/index.js';
import { SessionStore } from './session-store.js';

/** SO_RCVBUF asked for on a load run's sockets (capped by the system, e.g. Linux's net.core.rmem_max). */
const LOAD_RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** The commands and events that need RTP: with `media: 'auto'`, a scenario without them gets none. */
export const MEDIA_STEPS: readonly string[] = Object.freeze(['PlayAudio', 'SendDTMF', 'DTMFReceived', 'CheckMedia', 'ExpectAudio', 'StartRecording', 'SessionProgress', 'EARLY_MEDIA']);

/** How a load run goes. */
export interface LoadRunOptions {
  /** Calls started per second (after the ramp). Default 10. */
  readonly rate?: number;
  /** Stop starting calls after this many (client calls; server calls when there are no client chains). Default: no limit. */
  readonly calls?: number;
  /** Never more than this many calls at once; a call due beyond it waits. Default 10,000. */
  readonly concurrency?: number;
  /**
   * Never more than this many INVITEs of the run without any response yet (see
   * `UserAgentCounts.invitesWithoutResponse`); a call due beyond it waits. A peer answers an
   * INVITE, or sends 100 (Trying), within 200 ms (RFC 3261 §17.2.1), so that many INVITEs
   * unanswered means the peer, or this process reading its responses, has fallen behind: starting
   * more would only add to the backlog, until retransmissions (from 500 ms, Timer A) double it and
   * calls time out. Held back, the load runs at what the slower side can do. As SIPp's `-l`
   * defaults to a limit derived from the rate, this defaults to the rate × 0.2 s, and at least
   * {@link MIN_SETUP_LIMIT}: a peer that keeps up never reaches it. `Infinity` for no limit.
   * While no response at all has arrived for 4·T1 (2 s; by then an INVITE has gone out three
   * times), the peer is down rather than behind, and the limit holds nothing back: the calls fail
   * as they would, where each INVITE would otherwise keep its place until Timer B (64·T1).
   * {@link LoadSnapshot.heldBySetupLimitS} says how long it held calls back.
   */
  readonly setupLimit?: number;
  /** Stop starting calls after this many seconds; calls in progress then finish. Default: no limit. */
  readonly durationS?: number;
  /** Rise linearly from 0 to `rate` over this many seconds first. Default 0. */
  readonly rampS?: number;
  /** A snapshot of the statistics this often, ms (to `onStats`). Default 1000. */
  readonly statsIntervalMs?: number;
  /**
   * RTP for the calls: `on`, `off` (the SDP is still offered, port 9), or `auto` (default): only when
   * the scenario has a media step (PlayAudio, SendDTMF, DTMFReceived, CheckMedia, ExpectAudio …).
   */
  readonly media?: 'on' | 'off' | 'auto';
  /** Stops the load: calls in progress are stopped and ended, and the result is returned. */
  readonly signal?: AbortSignal;
  /**
   * Receives a snapshot every `statsIntervalMs`, and a last one at the end; `setupHistogram` gives
   * the setup times so far (`[ms, count]` per non-empty millisecond), for merging live.
   */
  readonly onStats?: (snapshot: LoadSnapshot, setupHistogram: () => [number, number][]) => void;
  /** Options for loading the scenario (vars, baseDir …) when it is not compiled yet. */
  readonly load?: LoadOptions;
  /**
   * After the last call, wait this long (ms, on the run's clock) before {@link LoadResult.live}
   * is read and the instances close. The instances stay up meanwhile, answering what the peer
   * re-sends (a BYE whose 200 it lost), and the transactions the calls left end (an answered
   * INVITE's lives 64·T1 = 32 s, RFC 6026): with 40,000 every count should be 0. Default 0 (read
   * at once, then close). The signal cuts the wait short. CLI: `--settle <s>`.
   */
  readonly settleMs?: number;
  /**
   * Before the load, run this many calls on this machine (127.0.0.1, through the run's transport;
   * MakeCall, Answer, Release, no RTP) as fast as they go, {@link WARMUP_CONCURRENCY} at once, then
   * close what they used: half of them {@link WARMUP_SCENARIO} (one instance calls another), a
   * quarter from a scripted peer that writes its messages as other SIP stacks do (SIPp, a PBX, a
   * softphone with compact headers) to an instance that answers, and a quarter from an instance to
   * that peer, which answers. A warm-up of sipflow calling only itself leaves the shapes other
   * peers' messages take uncompiled, and their first calls are slow again. It puts the
   * code every call runs (parser, transactions, dialogs, SDP, the engine) through V8's optimising
   * compiler before the first call of the load, which otherwise pays for it: for its first second
   * or two a cold process answers several times slower, and a load of a few seconds measures
   * mostly that. Its figures are in {@link LoadResult.warmup}, apart from the load's; nothing of it
   * is counted in the load's statistics or CPU. Default 0 (none). CLI: `--warmup <calls>`.
   */
  readonly warmupCalls?: number;
  /**
   * Called once the instances listen, after the warm-up and before the first call: where each
   * instance listens, and the warm-up's figures. A peer that calls in (server chains) can start
   * from here on. CLI: the `load:ready` line.
   */
  readonly onReady?: (ready: LoadReady) => void;
}

/** What {@link LoadRunOptions.onReady} is told. */
export interface LoadReady {
  /** The instances and where they listen. */
  readonly instances: LoadResult['instances'];
  /** The warm-up's figures, when there was one. */
  readonly warmup: LoadWarmup | undefined;
}

/** Calls the warm-up ({@link LoadRunOptions.warmupCalls}) keeps going at once. */
export const WARMUP_CONCURRENCY = 32;

/**
 * The warm-up's own call ({@link LoadRunOptions.warmupCalls}, half of them): `warmup-caller` (DN 1) calls
 * `warmup-callee` (DN 2), which answers; the caller hangs up at once and the callee sees it.
 */
export const WARMUP_SCENARIO = Object.freeze({
  name: 'sipflow load warm-up',
  instances: {
    'warmup-caller': { dn: '1', steps: [{ command: 'MakeCall', targetUri: '2' }, 'Release'] },
    'warmup-callee': { dn: '2', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
});

/** The warm-up's calls to its {@link ForeignPeer} at `target`: an instance calls it and hangs up once it answers. */
function warmupCallOutScenario(target: string): unknown {
  return { name: 'sipflow load warm-up: calls out', instances: { 'warmup-caller': { dn: '1', steps: [{ command: 'MakeCall', targetUri: target }, 'Release'] } } };
}

/** What one part of the warm-up did: calls made, failed, and why the first failed. */
type WarmupPart = Pick<LoadWarmup, 'calls' | 'failed' | 'problem'>;

/** The DN of the warm-up's answering instance. */
const WARMUP_CALLEE_DN = '2';

/** The warm-up's calls from its {@link ForeignPeer}: an instance that answers. */
const WARMUP_ANSWER_SCENARIO = Object.freeze({
  name: 'sipflow load warm-up: calls in',
  instances: { 'warmup-callee': { dn: WARMUP_CALLEE_DN, steps: ['INCOMING', 'Answer', 'DISCONNECTED'] } },
});

/** What the warm-up before a load did ({@link LoadRunOptions.warmupCalls}). */
export interface LoadWarmup {
  /** Warm-up calls made. */
  readonly calls: number;
  /**
   * Of {@link calls}, those with the peer that writes its messages as other SIP stacks do (SIPp, a
   * PBX, a softphone with compact headers): a quarter calling in, a quarter called.
   */
  readonly foreign: number;
  /** Warm-up calls that failed (a failing warm-up does not stop the load, but is worth a look). */
  readonly failed: number;
  /** The first failure's reason, when one failed, or why the warm-up could not run at all. */
  readonly problem: string | undefined;
  readonly durationMs: number;
  /** CPU time (user + system, µs) the warm-up took. */
  readonly cpuUs: number;
}

/** What the instances of a load still held after its last call (and {@link LoadRunOptions.settleMs}), summed: a leak shows here. */
export interface LoadLiveCounts {
  /** Client and server transactions. */
  readonly transactions: number;
  /** Dialogs requests could still be matched to. */
  readonly dialogs: number;
  /** Confirmed sessions. */
  readonly sessions: number;
  /** Incoming and outgoing calls not finally answered. */
  readonly pendingCalls: number;
  /** Requests sent and not finally answered. */
  readonly unanswered: number;
  /** Open RTP sessions (each a socket pair). */
  readonly mediaSessions: number;
  /** Timers pending on the run's clock (undefined when the clock cannot tell). */
  readonly timers: number | undefined;
}

/** What a load run came to. */
export interface LoadResult {
  /** `completed`: it reached its calls or duration; `stopped`: the signal stopped it. */
  readonly status: 'completed' | 'stopped';
  /** The statistics over the whole run. */
  readonly totals: LoadSnapshot;
  /** Failed calls grouped by failing node and reason, most frequent first. */
  readonly failures: readonly LoadFailureGroup[];
  /** Setup times, `[ms, count]` per non-empty millisecond (for merging runs). */
  readonly setupHistogram: readonly [number, number][];
  /** The instances and where they listened. */
  readonly instances: readonly { readonly id: string; readonly address: string; readonly port: number }[];
  /** Whether the calls had RTP. */
  readonly media: boolean;
  /** What the instances still held after the last call (see {@link LoadRunOptions.settleMs}). */
  readonly live: LoadLiveCounts;
  /** What the instances' limits did: requests refused with 503 (never calls, so not in {@link totals}), lingering transactions ended early. */
  readonly refusals: LoadRefusals;
  readonly durationMs: number;
  /**
   * CPU time this process spent from the start of the load to its end (user + system, µs; start-up
   * and scenario loading excluded), and per call (every call and served call counted once).
   */
  readonly cpu: { readonly userUs: number; readonly systemUs: number; readonly perCallUs: number | undefined };
  /** The warm-up before the load, when {@link LoadRunOptions.warmupCalls} asked for one. */
  readonly warmup?: LoadWarmup;
}

/** Client and server chains of a graph: start nodes by what they start with. */
function chainsOf(graph: ExecutionGraph): { client: string[]; server: Map<string, string[]> } {
  const client: string[] = [];
  const server = new Map<string, string[]>();
  for (const instance of graph.instances) {
    for (const start of instance.startNodes) {
      const node = graph.node(start)!;
      if (node.kind === 'event' && node.name === 'INCOMING') server.set(instance.id, [...(server.get(instance.id) ?? []), start]);
      else client.push(start);
    }
  }
  return { client, server };
}

/** Whether a graph has a step that needs RTP. */
export function needsMedia(graph: ExecutionGraph): boolean {
  return graph.nodes.some((n: CompiledNode) => MEDIA_STEPS.includes(n.name) || (n.fields as { record?: unknown }).record === true) || graph.instances.some((i) => i.record !== 'off');
}

/**
 * Runs scenarios as load: see {@link LoadRunOptions}. One load at a time per runner.
 *
 * @example
 * ```ts
 * const runner = new LoadRunner({ portBase: 20000 });
 * const result = await runner.run(loadScenarioFile('call.json'), { rate: 50, calls: 500, onStats: (s) => console.log(s.completed) });
 * console.log(result.totals.failed, result.failures);
 * ```
 */
export class LoadRunner {
  private readonly options: EngineOptions;
  private running = false;

  /** `options` as an {@link Engine}'s: ports, timers, clock, close timeout … (`media` is set per run). */
  constructor(options: EngineOptions = {}) {
    this.options = options;
  }

  /**
   * Runs `input` (a loaded scenario, a compiled graph, or anything `loadScenario` takes) as load.
   *
   * @throws EngineError `already-running`, `instance-start`, `register`, or `bad-load` for options
   *   that make no sense (a rate or concurrency not above 0, nothing that starts calls); ScenarioError
   *   for a scenario with errors.
   */
  async run(input: Scenario | ExecutionGraph | unknown, options: LoadRunOptions = {}): Promise<LoadResult> {
    if (this.running) throw new EngineError('already-running', 'a load run is already in progress');
    const graph = graphOf(input, options.load);
    const rate = options.rate ?? 10;
    const concurrency = options.concurrency ?? 10_000;
    const setupLimit = options.setupLimit ?? defaultSetupLimit(rate);
    if (!(setupLimit >= 1)) throw new EngineError('bad-load', `the setup limit must be 1 or more (Infinity for none), not ${setupLimit}`);
    const rampS = options.rampS ?? 0;
    const intervalMs = options.statsIntervalMs ?? 1000;
    for (const [name, value, min] of [['rate', rate, 0], ['concurrency', concurrency, 0], ['ramp', rampS, -1], ['stats interval', intervalMs, 0]] as const) {
      if (!(Number.isFinite(value) && value > min)) throw new EngineError('bad-load', `the ${name} must be a number above ${min}, not ${value}`);
    }
    if (options.calls !== undefined && !(Number.isInteger(options.calls) && options.calls > 0)) throw new EngineError('bad-load', `calls must be a whole number above 0, not ${options.calls}`);
    if (options.durationS !== undefined && !(options.durationS > 0)) throw new EngineError('bad-load', `the duration must be above 0 s, not ${options.durationS}`);
    const { client, server } = chainsOf(graph);
    if (client.length === 0 && server.size === 0) throw new EngineError('bad-load', 'the scenario has no chain to run: no instance has steps');
    const media = options.media === 'on' ? true : options.media === 'off' ? false : needsMedia(graph);

    const warmupCalls = options.warmupCalls ?? 0;
    if (!(Number.isInteger(warmupCalls) && warmupCalls >= 0)) throw new EngineError('bad-load', `warm-up calls must be a whole number, 0 or above, not ${warmupCalls}`);

    this.running = true;
    const scope = AbortScope.following(options.signal, () => new RunHalted('stopped', 'the load was stopped'));
    try {
      const warmup = warmupCalls > 0 ? await this.warmUp(warmupCalls, scope) : undefined;
      const result = await new Load(this.context(scope, media), graph, { ...options, rate, concurrency, setupLimit, rampS, intervalMs, warmup, t1: this.options.timers?.t1 ?? DEFAULT_TIMERS.t1 }, client, server).go();
      return warmup === undefined ? result : { ...result, warmup };
    } finally {
      scope.release();
      this.running = false;
    }
  }

  /** A run context for a load (or its warm-up) under `scope`. */
  private context(scope: AbortScope, media: boolean): NewRunContext {
    return newRunContext({
      clock: this.options.clock ?? new RealClock(),
      settings: {
        ...runSettings(this.options),
        media,
        // A load instance takes bursts of datagrams from many calls at once: room for about
        // 4 MiB of them (best effort: the system's maximum applies) before the kernel drops any
        // while a garbage collection holds up the event loop.
        bindTransport: this.options.bindTransport ?? ((local) => UdpTransport.bind({ host: local.address, port: local.port, recvBufferSize: LOAD_RECV_BUFFER_BYTES })),
      },
      hub: new RunEventHub(() => undefined),
      scope,
      epoch: performance.timeOrigin + performance.now(),
    });
  }

  /**
   * The warm-up ({@link LoadRunOptions.warmupCalls}), as fast as the calls go, in three parts:
   * half of the calls {@link WARMUP_SCENARIO}, then a quarter from a {@link ForeignPeer} to an
   * instance that answers, then a quarter from an instance to the peer, which answers. (The
   * foreign parts last: the code is compiled by then, and their shapes widen what it was compiled
   * for.) Never throws: what went wrong is in the returned figures.
   */
  private async warmUp(calls: number, scope: AbortScope): Promise<LoadWarmup> {
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    let made = 0;
    let failed = 0;
    let foreignMade = 0;
    let problem: string | undefined;
    const add = (part: WarmupPart, foreignCalls = false): void => {
      made += part.calls;
      if (foreignCalls) foreignMade += part.calls;
      failed += part.failed;
      problem ??= part.problem;
    };
    const foreign = Math.floor(calls / 4);
    try {
      add(await this.warmUpPart(scope, (own) => this.warmUpLoad(own, WARMUP_SCENARIO, calls - 2 * foreign)));
      if (foreign > 0) {
        if (!scope.aborted) add(await this.warmUpPart(scope, (own) => this.foreignCallsIn(foreign, own)), true);
        if (!scope.aborted) add(await this.warmUpPart(scope, (own) => this.foreignCallsOut(foreign, own)), true);
      }
    } catch (err) {
      problem ??= `the warm-up could not run: ${describeError(err)}`;
    }
    const cpu = process.cpuUsage(cpuAtStart);
    return { calls: made, foreign: foreignMade, failed, problem, durationMs: Math.round(performance.now() - started), cpuUs: cpu.user + cpu.system };
  }

  /** One part of the warm-up under a scope of its own. */
  private async warmUpPart<T>(scope: AbortScope, part: (own: AbortScope) => Promise<T>): Promise<T> {
    const own = AbortScope.following(scope);
    try {
      return await part(own);
    } finally {
      own.release();
    }
  }

  /** A warm-up scenario as a load of `calls` calls; `onReady` as the load's. */
  private async warmUpLoad(scope: AbortScope, scenario: unknown, calls: number, onReady?: (ready: LoadReady) => void): Promise<WarmupPart> {
    const graph = graphOf(scenario);
    const { client, server } = chainsOf(graph);
    // Calls go as fast as the process takes them: the rate never holds them back, the concurrency does.
    const o = { rate: 1e9, calls, concurrency: WARMUP_CONCURRENCY, setupLimit: Infinity, rampS: 0, intervalMs: 1e9, warmup: undefined, t1: DEFAULT_TIMERS.t1, onReady };
    const result = await new Load(this.context(scope, false), graph, o, client, server).go();
    const t = result.totals;
    return { calls: t.started, failed: t.failed + t.servedFailed, problem: result.failures[0]?.reason };
  }

  /** Warm-up: the peer calls an instance that answers (the peer's styles in turn). */
  private async foreignCallsIn(calls: number, scope: AbortScope): Promise<WarmupPart> {
    let peer: ForeignPeer | undefined;
    let peerCalls: Promise<ForeignCallFigures> | undefined;
    try {
      const load = await this.warmUpLoad(scope, WARMUP_ANSWER_SCENARIO, calls, (ready) => {
        const at = ready.instances[0]!;
        peerCalls = ForeignPeer.open(this.bindOf(), at.address, this.clockOf()).then(async (p) => {
          peer = p;
          const figures = await p.callIn({ address: at.address, port: at.port }, WARMUP_CALLEE_DN, calls, WARMUP_CONCURRENCY);
          // A call that never reached the instance would keep the load waiting for it.
          if (figures.failed > 0) scope.abort(new RunHalted('stopped', `the warm-up peer's calls failed: ${figures.problem}`));
          return figures;
        });
        peerCalls.catch((err: unknown) => scope.abort(new RunHalted('stopped', `the warm-up peer could not start: ${describeError(err)}`)));
      });
      const figures = await peerCalls;
      return { calls, failed: Math.max(figures?.failed ?? calls, load.failed), problem: figures?.problem ?? load.problem };
    } finally {
      await peer?.close();
    }
  }

  /** Warm-up: an instance calls the peer, which answers (its styles in turn). */
  private async foreignCallsOut(calls: number, scope: AbortScope): Promise<WarmupPart> {
    const peer = await ForeignPeer.open(this.bindOf(), '127.0.0.1', this.clockOf());
    try {
      const { address, port } = peer.local;
      return await this.warmUpLoad(scope, warmupCallOutScenario(`sip:warm-up@${address}:${port}`), calls);
    } finally {
      await peer.close();
    }
  }

  /**
   * The clock the warm-up's peer times its calls on: the engine's when it was given one (a test's
   * virtual clock), else the process's real clock (the same time as each run's own real clock).
   */
  private clockOf(): Clock {
    return this.options.clock ?? sharedRealClock();
  }

  /** How the warm-up's peer binds its socket: as an engine's instances do. */
  private bindOf(): (local: Endpoint) => Promise<Transport> {
    return runSettings(this.options).bindTransport;
  }
}

/** How often the event-loop lag of a load is sampled, ms. */
const LAG_RESOLUTION_MS = 10;

/** The smallest default {@link LoadRunOptions.setupLimit}: room for a slow rate's INVITEs to reach a far peer. */
export const MIN_SETUP_LIMIT = 20;

/** The default {@link LoadRunOptions.setupLimit} for a rate: the INVITEs 0.2 s of it sends, at least {@link MIN_SETUP_LIMIT}. */
export function defaultSetupLimit(rate: number): number {
  return Math.max(MIN_SETUP_LIMIT, Math.ceil(rate * 0.2));
}

/**
 * The store INVITEs arriving in a load run are received into: it keeps none. A queued call belongs
 * to no call of the load yet; the server call whose INCOMING takes it puts it in its own store
 * (which ends it with that call). One for the run, where each INVITE used to get a store and a
 * copy of the run's context of its own.
 */
class ArrivalStore extends SessionStore {
  override track(): void {}
  override renamed(): void {}
}

/** One load run in progress. */
class Load {
  private readonly stats: LoadStats;
  private readonly startAt: number;
  private readonly inFlight = new Set<Promise<void>>();
  private stopStarting = false;
  private wake: (() => void) | undefined;
  /** The instances' retransmissions when the load started (see {@link noteInstances}). */
  private retransmissionsBefore = 0;

  constructor(
    private readonly run: NewRunContext,
    private readonly graph: ExecutionGraph,
    private readonly o: LoadRunOptions & { rate: number; concurrency: number; setupLimit: number; rampS: number; intervalMs: number; warmup: LoadWarmup | undefined; t1: number },
    private readonly client: readonly string[],
    private readonly server: ReadonlyMap<string, readonly string[]>,
  ) {
    this.startAt = run.clock.now();
    this.stats = new LoadStats(this.startAt, () => this.loopFigures(), processMemory);
    this.arrivals = { ...run, store: new ArrivalStore() };
  }

  /** What INVITEs arriving on the instances are received with (see {@link ArrivalStore}). */
  private readonly arrivals: RunContext;

  /** How late this process's event loop runs, sampled every {@link LAG_RESOLUTION_MS} while the load goes. */
  private lagMonitor: IntervalHistogram | undefined;
  /** The event loop's use of time when the load began. */
  private busyAtStart: EventLoopUtilization | undefined;

  private loopFigures(): LoopFigures | undefined {
    const h = this.lagMonitor;
    const start = this.busyAtStart;
    if (h === undefined || start === undefined || h.count === 0) return undefined;
    // A sample is the whole interval between two ticks of a timer due every LAG_RESOLUTION_MS:
    // the lag is what goes beyond it.
    const lateness = (ns: number): number => Math.round(Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS) * 10) / 10;
    const used = performance.eventLoopUtilization(start);
    return { lagP99Ms: lateness(h.percentile(99)), lagMaxMs: lateness(h.max), activeMs: used.active, idleMs: used.idle };
  }

  async go(): Promise<LoadResult> {
    const { run, graph } = this;
    const cpuAtStart = process.cpuUsage();
    try {
      await startInstances(graph, run, (instance, call) => this.incoming(instance, call));
    } catch (err) {
      await cleanupRun(run);
      throw err;
    }
    for (const instance of run.instances.values()) instance.counters = this.stats.wire;
    this.retransmissionsBefore = this.retransmissionsSoFar();
    // The event loop's figures from here (the instances listen, no call yet) to the end of the load.
    const lagMonitor = (this.lagMonitor = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS }));
    lagMonitor.enable();
    this.busyAtStart = performance.eventLoopUtilization();
    this.o.onReady?.({ instances: this.instances(), warmup: this.o.warmup });
    const snapshots = this.statsLoop();
    let live: LoadLiveCounts;
    let refusals: LoadRefusals;
    try {
      if (this.client.length > 0) await this.startClients();
      else await this.serveOnly();
      // Calls in progress finish (or are stopped with the run). Not Promise.race over them: each
      // race adds a reaction to every call still in flight, and with thousands in flight (an
      // overloaded load, or calls held open) draining them cost O(n²) (at 2,000 calls/s asked of a
      // process that serves 750, the drain took 100 s of CPU). New calls can arrive meanwhile (served
      // calls): wait again for those.
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      await this.settle();
    } finally {
      snapshots.stop();
      lagMonitor.disable();
      this.stopStarting = true;
      live = this.liveCounts();
      this.noteInstances();
      refusals = { ...this.stats.refused };
      await cleanupRun(run);
    }
    const totals = this.stats.snapshot(run.clock.now());
    this.o.onStats?.(totals, () => this.stats.setupHistogram());
    const cpu = process.cpuUsage(cpuAtStart);
    const calls = totals.started + totals.served;
    return {
      status: run.scope.aborted ? 'stopped' : 'completed',
      totals,
      failures: this.stats.failureGroups(),
      setupHistogram: this.stats.setupHistogram(),
      instances: this.instances(),
      media: run.settings.media,
      live,
      refusals,
      durationMs: run.clock.now() - this.startAt,
      cpu: { userUs: cpu.user, systemUs: cpu.system, perCallUs: calls > 0 ? Math.round((cpu.user + cpu.system) / calls) : undefined },
    };
  }

  /** The instances and where they listen. */
  private instances(): LoadResult['instances'] {
    return [...this.run.instances.values()].map((i) => ({ id: i.spec.id, address: i.local.address, port: i.local.port }));
  }

  /** Waits `settleMs` on the run's clock (cut short by the signal). */
  private async settle(): Promise<void> {
    const ms = this.o.settleMs ?? 0;
    if (ms > 0) await waitOn(this.run.clock, ms, this.run.scope);
  }

  /** The instances' refusals, summed. */
  private refusals(): LoadRefusals {
    let atMaxDialogs = 0;
    let atMaxTransactions = 0;
    let lingeringEnded = 0;
    for (const instance of this.run.instances.values()) {
      atMaxDialogs += instance.refusals.atMaxDialogs;
      atMaxTransactions += instance.refusals.atMaxTransactions;
      lingeringEnded += instance.refusals.lingeringEnded;
    }
    return { atMaxDialogs, atMaxTransactions, lingeringEnded };
  }

  /** What the instances hold now, summed. */
  private liveCounts(): LoadLiveCounts {
    let transactions = 0;
    let dialogs = 0;
    let sessions = 0;
    let pendingCalls = 0;
    let unanswered = 0;
    let mediaSessions = 0;
    for (const instance of this.run.instances.values()) {
      const c = instance.ua.counts;
      transactions += c.transactions.client + c.transactions.server;
      dialogs += c.dialogs;
      sessions += c.sessions;
      pendingCalls += c.incoming + c.outgoing;
      unanswered += c.unanswered;
      mediaSessions += instance.openMediaSessions;
    }
    const clock = this.run.clock as { pendingTimers?: unknown };
    const timers = typeof clock.pendingTimers === 'number' ? clock.pendingTimers : undefined;
    return { transactions, dialogs, sessions, pendingCalls, unanswered, mediaSessions, timers };
  }

  /**
   * Into the statistics, from the instances: what their user agents have sent again since the
   * load started, and what their limits did.
   */
  private noteInstances(): void {
    this.stats.wire.retransmissions = this.retransmissionsSoFar() - this.retransmissionsBefore;
    Object.assign(this.stats.refused, this.refusals());
  }

  private retransmissionsSoFar(): number {
    let n = 0;
    for (const instance of this.run.instances.values()) n += instance.ua.counts.retransmissions;
    return n;
  }

  /** A snapshot to onStats every interval. */
  private statsLoop(): { stop: () => void } {
    const { clock } = this.run;
    let timer = clock.setTimer(this.o.intervalMs, tick);
    const self = this;
    function tick(): void {
      self.noteInstances();
      self.o.onStats?.(self.stats.snapshot(clock.now()), () => self.stats.setupHistogram());
      timer = clock.setTimer(self.o.intervalMs, tick);
    }
    return { stop: () => clock.clearTimer(timer) };
  }

  /** How many calls should have started `elapsedMs` into the load: the ramp's triangle, then the rate. */
  private due(elapsedMs: number): number {
    const t = elapsedMs / 1000;
    const { rate, rampS } = this.o;
    if (rampS > 0 && t < rampS) return Math.floor((rate * t * t) / (2 * rampS));
    return Math.floor(rate * (t - rampS / 2));
  }

  /** Starts client calls on schedule until the calls, the duration or the signal say stop. */
  private async startClients(): Promise<void> {
    const { clock } = this.run;
    const scope = this.run.scope;
    const tickMs = Math.max(1, Math.min(20, 1000 / this.o.rate));
    // Which limit held due calls back at the last turn, and when that was: the time until this
    // turn counts as held by it.
    let heldBy: 'concurrency' | 'setup' | undefined;
    let lastAt = clock.now();
    // When a response last arrived: a peer silent this long is down, not behind (see setupLimit).
    let responses = this.stats.wire.responses;
    let heardAt = lastAt;
    while (!scope.aborted) {
      const now = clock.now();
      if (heldBy !== undefined) this.stats.held(heldBy, now - lastAt);
      lastAt = now;
      heldBy = undefined;
      if (this.stats.wire.responses !== responses) {
        responses = this.stats.wire.responses;
        heardAt = now;
      }
      const elapsed = now - this.startAt;
      if (this.o.durationS !== undefined && elapsed >= this.o.durationS * 1000) break;
      if (this.o.calls !== undefined && this.stats.startedCalls >= this.o.calls) break;
      let want = this.due(elapsed) - this.stats.startedCalls;
      if (this.o.calls !== undefined) want = Math.min(want, this.o.calls - this.stats.startedCalls);
      if (want > 0) {
        const slots = this.o.concurrency - this.stats.concurrent;
        // No response at all for 4·T1: the peer is down, and the setup limit holds nothing back.
        const silent = now - heardAt >= 4 * this.o.t1;
        const setupRoom = this.o.setupLimit === Infinity || silent ? Infinity : this.o.setupLimit - this.invitesWithoutResponse();
        if (slots < want || setupRoom < want) heldBy = setupRoom < slots ? 'setup' : 'concurrency';
        want = Math.min(want, slots, setupRoom);
      }
      for (let i = 0; i < want; i++) this.track(this.callOf(this.client, undefined));
      // A call's end wakes this loop early only when a limit held calls back: otherwise the next
      // call is due by the rate, and waking at every call's end cost a timer and a race per call.
      await this.sleep(tickMs, heldBy !== undefined);
    }
  }

  /** INVITEs the run's instances have sent that no response has reached yet. */
  private invitesWithoutResponse(): number {
    let n = 0;
    for (const instance of this.run.instances.values()) n += instance.ua.counts.invitesWithoutResponse;
    return n;
  }

  /** Server chains only: wait until the calls, the duration or the signal say stop. */
  private async serveOnly(): Promise<void> {
    const { clock } = this.run;
    const scope = this.run.scope;
    while (!scope.aborted) {
      const elapsed = clock.now() - this.startAt;
      if (this.o.durationS !== undefined && elapsed >= this.o.durationS * 1000) break;
      if (this.o.calls !== undefined && this.stats.endedCalls >= this.o.calls) break;
      // Woken by a call's end only when that may be the last one.
      await this.sleep(50, this.o.calls !== undefined && this.stats.endedCalls + this.inFlight.size >= this.o.calls);
    }
  }

  /**
   * Resolves after `ms`, or at once when the load is stopped, or (with `wakeOnEnd`) when a call
   * ends: that may free a slot, or be the last call.
   */
  private async sleep(ms: number, wakeOnEnd: boolean): Promise<void> {
    if (!wakeOnEnd) return waitOn(this.run.clock, ms, this.run.scope);
    await waitOn(this.run.clock, ms, this.run.scope, new Promise<void>((resolve) => (this.wake = resolve)));
    this.wake = undefined;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    const done = (): void => {
      this.inFlight.delete(work);
      this.wake?.();
    };
    void work.then(done, done);
  }

  /** An INVITE to an instance: a server call runs its server chains; an instance without any queues it (and refuses when full). */
  private incoming(instance: InstanceRuntime, call: IncomingCall): void {
    const starts = this.server.get(instance.spec.id);
    // The call is kept by no store until a server call's INCOMING takes it into its own.
    receiveInvite(this.arrivals, instance, call);
    if (starts === undefined || this.stopStarting || this.run.scope.aborted) return;
    if (this.client.length === 0 && this.o.calls !== undefined && this.stats.startedCalls >= this.o.calls) return;
    this.track(this.callOf(starts, this.client.length > 0 ? instance : undefined));
  }

  /**
   * One call: the given chains run together with calls and keys of their own; a failure stops its
   * other chains. `serving`: server chains answering a client call of this run (counted apart).
   */
  private async callOf(starts: readonly string[], serving: InstanceRuntime | undefined): Promise<void> {
    const stats = this.stats;
    if (serving !== undefined) stats.served();
    else stats.started();
    // The call's own scope ends with the call's failure or with the run.
    const own = AbortScope.following(this.run.scope);
    const ctx: RunContext = { ...this.run, store: new SessionStore(), scope: own };
    const executor = new Executor(ctx, this.graph, HANDLERS as never);
    let failure: { nodeId: string; instanceId: string; message: string } | undefined;
    const settled = (outcome: ChainOutcome): void => {
      if (outcome.kind !== 'failed' || failure !== undefined) return;
      failure = { nodeId: outcome.nodeId, instanceId: outcome.instanceId, message: outcome.message };
      own.abort(new RunHalted('failed', `the call failed: instance ${outcome.instanceId}: ${outcome.message}`));
    };
    try {
      // (One chain, the usual call, without Promise.all's promise and closures: a held call keeps them.)
      if (starts.length === 1) settled(await executor.runChain(starts[0]!));
      else await Promise.all(starts.map((start) => executor.runChain(start).then(settled)));
    } catch (err) {
      failure ??= { nodeId: '', instanceId: serving?.spec.id ?? '', message: `internal: ${describeError(err)}` };
    }
    // Setup time of the call's first outgoing call that was answered.
    const placed = ctx.store.calls.find((c) => c.direction === 'outgoing' && c.answeredAt !== undefined);
    if (placed !== undefined) stats.answered(placed.answeredAt! - placed.createdAt);
    if (hasCallsToEnd(ctx.store)) await endCalls(ctx, ctx.store);
    if (this.run.scope.aborted && failure === undefined && [...executor.results.values()].some((r) => r.state === 'stopped')) {
      failure = { nodeId: '', instanceId: serving?.spec.id ?? '', message: 'stopped with the load' };
    }
    own.release();
    if (serving !== undefined) stats.servedEnded(failure);
    else stats.ended(failure);
  }
}

/** The process's memory, for the load statistics (none when the system will not say: out of file descriptors, say). */
function processMemory(): ProcessMemory | undefined {
  try {
    const m = process.memoryUsage();
    return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
  } catch {
    return undefined;
  }
}
