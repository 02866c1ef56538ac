// The engine: runs a scenario on real SIP user agents. It starts every instance (local or PBX
// mode, registering where asked), runs every chain of the execution graph at once, reports what
// happens as run events, and cleans up after every run, passed, failed or stopped.

import { RealClock, type Clock } from '../sip/transport/clock.js';
import type { UserAgentLimits } from '../sip/dialog/user-agent.js';
import type { TimerSettings } from '../sip/transaction/timers.js';
import type { Endpoint, Transport } from '../sip/transport/transport.js';
import type { Call, CallEnd } from './call.js';
import { receiveInvite } from './call-wiring.js';
import { EngineError, RunHalted, describeError } from './errors.js';
import { RunEventHub } from './event-hub.js';
import { Executor, type ChainOutcome, type NodeResult } from './executor.js';
import { HANDLERS } from './handlers/index.js';
import type { RunContext } from './run-context.js';
import { cleanupRun, graphOf, newRunContext, runSettings, startInstances } from './run-setup.js';
import type { RunEvent, RunInstance, RunReporter } from './run-events.js';
import type { ExecutionGraph, LoadOptions, Scenario } from './scenario/index.js';
import { AbortScope } from './wait.js';

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /** First local-mode SIP port; instances take it and the next free ones, two apart. Default 15060. */
  portBase?: number;
  /** Incoming calls that may wait in an instance's queue for an INCOMING node; beyond, 503 with Retry-After. Default 32. */
  queueLimit?: number;
  /**
   * Bounds on each instance's user agent (live transactions, calls at once, the Retry-After of
   * the 503 beyond them); the defaults of {@link UserAgentLimits} when left out.
   */
  limits?: UserAgentLimits;
  /** Give every call its own RTP session (default true). Off: SDP still offered (port 9), no RTP. */
  media?: boolean;
  /** Time source for SIP timers, node timeouts and media. Default a RealClock. */
  clock?: Clock;
  /** SIP timers (T1, T2, T4, Timer D) for every instance. */
  timers?: Partial<TimerSettings>;
  /** Opens a SIP transport (UDP by default; a MemoryNetwork's in tests). */
  bindTransport?: (local: Endpoint) => Promise<Transport>;
  /** How long the cleanup waits for answers to its BYEs, CANCELs and un-REGISTERs, ms. Default 2000. */
  closeTimeoutMs?: number;
  /** After a BlindTransfer's 202, how long to wait for the first NOTIFY before the BYE, ms. Default 2000. */
  notifyGraceMs?: number;
  /** Wall-clock time in Unix ms, read once per run for event timestamps. Default `performance.timeOrigin + performance.now()`. */
  epoch?: () => number;
  /**
   * Where recordings go (created when the first one starts). Default `sipflow-output` in the
   * working directory. Files are named `<instance>-<call key>-<Call-ID>.wav`.
   */
  outputDir?: string;
  /**
   * Leave credentials readable in `sip` run events (and so in NDJSON, reports and pcaps drawn
   * from them). By default the credentials of Authorization and Proxy-Authorization headers are
   * masked in place (`response="****…"`, see `maskCredentials`). Default false.
   */
  unsafeShowSecrets?: boolean;
}

/** Options of {@link Engine.run}. */
export interface RunOptions extends LoadOptions {
  /** Aborting it stops the run, as {@link Engine.stop} does. */
  signal?: AbortSignal;
  /** The name run events give the scenario; its name, or its file, by default. */
  scenarioId?: string;
}

/** A call of the run, as the result summarises it. */
export interface CallSummary {
  readonly instanceId: string;
  /** The logical key, when a node stored the call (queued calls that no node took have none). */
  readonly callId: string | undefined;
  readonly sipCallId: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly peer: string;
  /** Unix ms. */
  readonly startedAt: number;
  readonly answeredAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly end: Omit<CallEnd, 'at'> | undefined;
  /** The WAV files recorded of the call (absolute paths), with their length in ms once completed. */
  readonly recordings: readonly { readonly file: string; readonly stereo: boolean; readonly durationMs: number | undefined }[];
}

/** What a run came to. */
export interface RunResult {
  readonly status: 'passed' | 'failed' | 'stopped';
  readonly scenarioId: string;
  /** Why it failed: the node (when a node did) and the reason. */
  readonly failure: { readonly nodeId?: string; readonly instanceId?: string; readonly message: string } | undefined;
  /** Every node of the graph with its final state and timings. */
  readonly nodes: readonly NodeResult[];
  readonly calls: readonly CallSummary[];
  readonly instances: readonly RunInstance[];
  /** Unix ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
}

/** The state of the run in progress. */
interface ActiveRun {
  readonly scope: AbortScope;
}

/**
 * Runs scenarios: one at a time per engine (a second start is an error, as in sipflow).
 *
 * @example
 * ```ts
 * const engine = new Engine();
 * engine.on((e) => { if (e.type === 'scenario:node-state') console.log(e.nodeId, e.newState); });
 * const result = await engine.run(loadScenarioFile('examples/basic-call.json'));
 * console.log(result.status); // 'passed'
 * ```
 */
export class Engine {
  private readonly options: EngineOptions;
  private readonly hub: RunEventHub;
  private active: ActiveRun | undefined;

  constructor(options: EngineOptions = {}) {
    this.options = options;
    this.hub = new RunEventHub((err, where) => this.internalError(err, where));
  }

  /** Whether a run is in progress. */
  get running(): boolean {
    return this.active !== undefined;
  }

  /**
   * Calls `listener` with every run event, in order, except `rtp` packets (a reporter with `onRtp`
   * gets those); returns the function that stops it.
   */
  on(listener: (event: RunEvent) => void): () => void {
    return this.hub.subscribe(listener);
  }

  /**
   * Adds a reporter (a method per event kind); returns the function that removes it. Only kinds it
   * has a method for are built for it; `onRtp` is the one way to get `rtp` packet events, and it
   * must be there when a call's media opens.
   */
  addReporter(reporter: RunReporter): () => void {
    return this.hub.addReporter(reporter);
  }

  /**
   * The run events from now until the end of the next run, as an async iterator (every kind but `rtp`).
   *
   * @example
   * ```ts
   * const events = engine.events();
   * const done = engine.run(scenario);
   * for await (const e of events) console.log(e.type);
   * ```
   */
  events(signal?: AbortSignal): AsyncGenerator<RunEvent, void, undefined> {
    return this.hub.iterate(signal);
  }

  /** Stops the run in progress: every waiting or playing node ends at once as `stopped`. False when nothing runs. */
  stop(): boolean {
    const active = this.active;
    if (active === undefined) return false;
    active.scope.abort(new RunHalted('stopped', 'the run was stopped'));
    return true;
  }

  /**
   * Runs a scenario: a loaded {@link Scenario}, a compiled {@link ExecutionGraph}, or anything
   * `loadScenario` takes (text, a value; `options` pass vars, baseDir … to it). Resolves with the
   * result once the run and its cleanup are over.
   *
   * @throws EngineError `already-running` when a run is in progress; `instance-start` or
   *   `register` when an instance cannot start (those already started are closed first);
   *   ScenarioError when the scenario has errors.
   */
  async run(input: Scenario | ExecutionGraph | unknown, options: RunOptions = {}): Promise<RunResult> {
    if (this.active !== undefined) throw new EngineError('already-running', 'scenario already running');
    const graph = graphOf(input, options);
    const scope = AbortScope.following(options.signal, () => new RunHalted('stopped', 'the run was stopped'));
    const active: ActiveRun = { scope };
    this.active = active;
    try {
      return await this.execute(graph, scope, options.scenarioId ?? graph.name ?? graph.source.file ?? 'scenario');
    } finally {
      scope.release();
      this.active = undefined;
    }
  }

  private async execute(graph: ExecutionGraph, scope: AbortScope, scenarioId: string): Promise<RunResult> {
    const clock = this.options.clock ?? new RealClock();
    const run = newRunContext({ clock, settings: runSettings(this.options), hub: this.hub, scope, epoch: this.options.epoch?.() ?? performance.timeOrigin + performance.now() });
    const instances = run.instances;
    const hub = this.hub;
    const startedAt = run.timestamp();

    // Instances, in scenario order; registration in PBX mode.
    try {
      await startInstances(graph, run, (instance, call) => receiveInvite(run, instance, call));
    } catch (err) {
      await cleanupRun(run);
      if (scope.aborted && !(err instanceof EngineError)) {
        return this.finish(run, graph, scenarioId, startedAt, 'stopped', undefined, new Map());
      }
      throw err;
    }

    if (hub.wants('scenario:started')) {
      hub.emit({
        type: 'scenario:started',
        scenarioId,
        timestamp: run.timestamp(),
        instances: [...instances.values()].map((i) => i.describe()),
        nodes: graph.nodes.map((n) => ({ id: n.id, instanceId: n.instance, kind: n.kind, name: n.name, callId: n.callId, ...(n.label !== undefined ? { label: n.label } : {}) })),
      });
    }

    // Every start node of every instance begins its own chain, all at once.
    const executor = new Executor(run, graph, HANDLERS as never);
    let failure: Extract<ChainOutcome, { kind: 'failed' }> | undefined;
    const chains = graph.instances.flatMap((instance) =>
      instance.startNodes.map((start) =>
        executor.runChain(start).then((outcome) => {
          if (outcome.kind !== 'failed' || failure !== undefined || scope.aborted) return;
          failure = outcome;
          scope.abort(new RunHalted('failed', `the run failed: instance ${outcome.instanceId}: ${outcome.message}`));
        }),
      ),
    );
    if (chains.length === 0 && [...instances.values()].some((i) => i.spec.register)) {
      // Register-only: the instances stay registered until the run is stopped (reference §4.2).
      await new Promise<void>((resolve) => (scope.aborted ? resolve() : scope.onAbort(resolve)));
    }
    await Promise.all(chains);
    const stopped = scope.aborted && failure === undefined;
    await cleanupRun(run);
    return this.finish(run, graph, scenarioId, startedAt, failure !== undefined ? 'failed' : stopped ? 'stopped' : 'passed', failure, executor.results);
  }

  private finish(
    run: RunContext,
    graph: ExecutionGraph,
    scenarioId: string,
    startedAt: number,
    status: RunResult['status'],
    failure: Extract<ChainOutcome, { kind: 'failed' }> | undefined,
    nodes: ReadonlyMap<string, NodeResult>,
  ): RunResult {
    const endedAt = run.timestamp();
    const result: RunResult = {
      status,
      scenarioId,
      failure: failure === undefined ? undefined : { nodeId: failure.nodeId, instanceId: failure.instanceId, message: failure.message },
      nodes: graph.nodes.map(
        (n) => nodes.get(n.id) ?? { nodeId: n.id, instanceId: n.instance, state: 'pending', runs: 0, startedAt: undefined, endedAt: undefined, durationMs: undefined, error: undefined },
      ),
      calls: run.store.calls.map((c) => summarize(c, run)),
      instances: [...run.instances.values()].map((i) => i.describe()),
      startedAt,
      endedAt,
      durationMs: endedAt - startedAt,
    };
    const hub = this.hub;
    if (status === 'passed') hub.emit({ type: 'scenario:completed', scenarioId, timestamp: endedAt });
    else if (status === 'stopped') hub.emit({ type: 'scenario:stopped', scenarioId, timestamp: endedAt });
    else {
      hub.emit({
        type: 'scenario:failed',
        scenarioId,
        error: failure === undefined ? 'scenario failed' : `instance ${failure.instanceId}: ${failure.message}`,
        ...(failure !== undefined ? { nodeId: failure.nodeId, instanceId: failure.instanceId } : {}),
        timestamp: endedAt,
      });
    }
    return result;
  }

  private reportingError = false;

  /** A listener or reporter threw: tell the others with an error log, without recursing when that throws too. */
  private internalError(err: unknown, where: string): void {
    if (this.reportingError) return;
    this.reportingError = true;
    try {
      this.hub.emit({ type: 'scenario:action-log', nodeId: '', instanceId: '', message: `internal: ${where}: ${describeError(err)}`, level: 'error', timestamp: Math.round(this.options.epoch?.() ?? performance.timeOrigin + performance.now()) });
    } finally {
      this.reportingError = false;
    }
  }
}

function summarize(call: Call, run: RunContext): CallSummary {
  const unix = (t: number | undefined): number | undefined => (t === undefined ? undefined : run.timestamp() - Math.round(run.clock.now() - t));
  return {
    instanceId: call.instanceId,
    callId: call.key,
    sipCallId: call.sipCallId,
    direction: call.direction,
    peer: call.peer,
    startedAt: unix(call.createdAt)!,
    answeredAt: unix(call.answeredAt),
    endedAt: unix(call.end?.at),
    end: call.end === undefined ? undefined : { reason: call.end.reason, detail: call.end.detail, ...(call.end.status !== undefined ? { status: call.end.status } : {}) },
    recordings: call.recordings.map((r) => ({ ...r })),
  };
}
