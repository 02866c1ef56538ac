// The executor: runs each chain of the execution graph, node by node, following success and
// failure branches (reference §2.0). It knows nodes, branches, signals and results; what a node
// does is its handler's business. Every start node of every instance begins its own chain, all
// at once. A node goes pending → running → completed | failed | stopped; a failure without a
// failure branch fails the chain, and the run, which stops the other chains.

import type { Clock } from '../sip/transport/clock.js';
import { NodeTimeout, RunHalted, describeError } from './errors.js';
import { NodeContext, type NodeHandler } from './handlers/context.js';
import type { InstanceRuntime } from './instance-runtime.js';
import type { RunContext } from './run-context.js';
import type { NodeState } from './run-events.js';
import type { CompiledNode, ExecutionGraph } from './scenario/index.js';
import { AbortScope } from './wait.js';

/** What became of a node (the last time it ran, when it ran more than once). */
export interface NodeResult {
  readonly nodeId: string;
  readonly instanceId: string;
  /** `pending` when it never ran. */
  state: NodeState;
  /** How many times it ran (loops and shared nodes run more than once). */
  runs: number;
  /** When it first started and last ended (Unix ms). */
  startedAt: number | undefined;
  endedAt: number | undefined;
  /** How long its last run took, ms. */
  durationMs: number | undefined;
  /** Why it last failed or was stopped. */
  error: string | undefined;
}

/** How a chain ended. */
export type ChainOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'failed'; readonly nodeId: string; readonly instanceId: string; readonly message: string };

/** A node while its handler runs. */
interface RunningNode {
  readonly node: CompiledNode;
  readonly result: NodeResult;
  readonly clockStart: number;
  readonly ctx: NodeContext;
  timer: ReturnType<Clock['setTimer']> | undefined;
  timedOut: boolean;
}

/** The handler of each command and event. */
export type HandlerTable = { readonly [name: string]: NodeHandler<never> };

/** Runs the chains of one run. */
export class Executor {
  readonly results = new Map<string, NodeResult>();
  private readonly run: RunContext;
  private readonly graph: ExecutionGraph;
  private readonly handlers: HandlerTable;

  constructor(run: RunContext, graph: ExecutionGraph, handlers: HandlerTable) {
    this.run = run;
    this.graph = graph;
    this.handlers = handlers;
    for (const node of graph.nodes) {
      this.results.set(node.id, { nodeId: node.id, instanceId: node.instance, state: 'pending', runs: 0, startedAt: undefined, endedAt: undefined, durationMs: undefined, error: undefined });
    }
  }

  /** Runs the chain that starts at `startId`: success → onSuccess, failure → onFailure, or the chain fails. */
  async runChain(startId: string): Promise<ChainOutcome> {
    let id: string | undefined = startId;
    while (id !== undefined) {
      if (this.run.scope.aborted) return { kind: 'stopped' };
      const node: CompiledNode = this.graph.node(id)!;
      // The node runs in this frame (no async function of its own: a held call waits in one
      // frame per chain, not two).
      const running = this.startNode(node);
      let failure: unknown = undefined;
      let failed = false;
      try {
        const handler = this.handlers[node.name] as NodeHandler | undefined;
        if (handler === undefined) throw new Error(`no handler for ${node.name}`);
        await handler(running.ctx);
      } catch (err) {
        failed = true;
        failure = err;
      }
      const outcome = this.endNode(running, failed, failure);
      if (outcome.state === 'completed') id = node.onSuccess;
      else if (outcome.state === 'stopped') return { kind: 'stopped' };
      else if (node.onFailure !== undefined) id = node.onFailure;
      else return { kind: 'failed', nodeId: node.id, instanceId: node.instance, message: outcome.error ?? 'failed' };
    }
    return { kind: 'done' };
  }

  /** A node starts: its result, state event, scope and timeout. */
  private startNode(node: CompiledNode): RunningNode {
    const instance = this.run.instances.get(node.instance)!;
    const result = this.results.get(node.id)!;
    const running: RunningNode = {
      node,
      result,
      clockStart: this.run.clock.now(),
      // One scope for the node: its timeout, or the run's end.
      ctx: new NodeContext(node, instance, this.run, AbortScope.following(this.run.scope)),
      timer: undefined,
      timedOut: false,
    };
    result.runs++;
    result.startedAt ??= this.run.timestamp();
    result.error = undefined;
    this.setState(node, result, 'running');
    // The node's own timeout (TIMEOUT's timeout is its delay, not a bound).
    const timeoutMs = node.name === 'TIMEOUT' ? undefined : node.timeoutMs;
    if (timeoutMs !== undefined) {
      running.timer = this.run.clock.setTimer(timeoutMs, () => {
        running.timedOut = true;
        running.ctx.scope.abort(new NodeTimeout(timeoutMs));
      });
    }
    return running;
  }

  /** A node's handler has settled (`failed` with `failure` when it threw): its state, its result, its log. */
  private endNode(running: RunningNode, failed: boolean, failure: unknown): { state: NodeState; error?: string } {
    const { node, result, ctx } = running;
    if (running.timer !== undefined) this.run.clock.clearTimer(running.timer);
    ctx.scope.release();
    let state: NodeState = 'completed';
    let error: string | undefined;
    if (failed) {
      if (this.run.scope.aborted && !running.timedOut) {
        state = 'stopped';
        error = this.run.scope.reason instanceof RunHalted ? this.run.scope.reason.message : describeError(this.run.scope.reason);
      } else {
        state = 'failed';
        error = failure instanceof NodeTimeout ? timeoutMessage(node, failure.timeoutMs, ctx) : describeError(failure);
      }
    }
    result.endedAt = this.run.timestamp();
    result.durationMs = elapsed(this.run.clock, running.clockStart);
    result.error = error;
    this.setState(node, result, state, error);
    if (state === 'failed') this.run.log({ nodeId: node.id, instanceId: node.instance, callId: node.callId, message: error!, level: 'error' });
    return { state, ...(error !== undefined ? { error } : {}) };
  }

  private setState(node: CompiledNode, result: NodeResult, next: NodeState, error?: string): void {
    const previous = result.state === 'running' ? 'running' : 'pending';
    result.state = next;
    if (!this.run.hub.wants('scenario:node-state')) return;
    this.run.hub.emit({
      type: 'scenario:node-state',
      nodeId: node.id,
      instanceId: node.instance,
      previousState: previous,
      newState: next,
      timestamp: this.run.timestamp(),
      ...(error !== undefined ? { error } : {}),
    });
  }
}

function elapsed(clock: Clock, start: number): number {
  return Math.round((clock.now() - start) * 1000) / 1000;
}

/**
 * sipflow's words for a timeout (`INCOMING event timeout after 10s`), with what was awaited, on
 * which call, and what arrived instead.
 */
function timeoutMessage(node: CompiledNode, ms: number, ctx: NodeContext): string {
  const head = node.kind === 'event' ? `${node.name} event timeout after ${goDuration(ms)}` : `${node.name} timed out after ${goDuration(ms)}`;
  const parts: string[] = [];
  if (ctx.waitingFor !== undefined) parts.push(`waiting for ${ctx.waitingFor}`);
  const call = ctx.callInUse;
  if (call !== undefined) {
    parts.push(`on call ${call.key ?? call.sipCallId} (${call.phase})`);
    const untaken = call.history.filter((r) => !r.taken).map((r) => r.kind);
    if (untaken.length > 0) parts.push(`arrived instead: ${[...new Set(untaken)].join(', ')}`);
  }
  return parts.length > 0 ? `${head}: ${parts.join('; ')}` : head;
}

/** A duration as Go prints it (`500ms`, `10s`, `1.5s`, `1m30s`), as sipflow's messages have it. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms - minutes * 60_000) / 1000;
  const s = `${Number(seconds.toFixed(3))}s`;
  return minutes > 0 ? `${minutes}m${s}` : s;
}
