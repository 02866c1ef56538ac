// What a command or event handler gets: its node, its instance, the run, a scope that aborts on
// the node's timeout and on the run's end, and small helpers. A handler resolves when its node
// succeeds and throws (a NodeFailure, ideally) when it fails; it never sets timers of its own.

import type { Call } from '../call.js';
import { NodeFailure } from '../errors.js';
import type { InstanceRuntime } from '../instance-runtime.js';
import type { RunContext } from '../run-context.js';
import type { LogLevel, MediaEvent, SipMessageSummary } from '../run-events.js';
import type { CompiledNode } from '../scenario/index.js';
import { raceSignal, waitOn, type AbortScope } from '../wait.js';

/** A handler's view of its node's run. */
export class NodeContext<N extends CompiledNode = CompiledNode> {
  readonly node: N;
  readonly instance: InstanceRuntime;
  readonly run: RunContext;
  /**
   * Aborts when the node's timeout runs out (reason NodeTimeout) or the run ends (RunHalted). What
   * the engine's own waits take ({@link Call.take}, {@link race}, {@link sleep} …).
   */
  readonly scope: AbortScope;
  /** What the node is waiting for, in words, for the message when its timeout runs out. */
  waitingFor: string | undefined;
  /** The call the node works on, once it found it (for the timeout message). */
  callInUse: Call | undefined;

  constructor(node: N, instance: InstanceRuntime, run: RunContext, scope: AbortScope) {
    this.node = node;
    this.instance = instance;
    this.run = run;
    this.scope = scope;
  }

  /**
   * The node's scope as an AbortSignal, for the stack's calls that take one (an INVITE, a REFER,
   * a playback). Made on first use: most nodes never need one.
   */
  get signal(): AbortSignal {
    return this.scope.signal;
  }

  /**
   * Whether anybody listens to action logs: a handler on a hot path asks first, so that a load
   * without listeners builds no message and no summary object (see {@link log}).
   */
  get logging(): boolean {
    return this.run.hub.wants('scenario:action-log');
  }

  /** An action log of this node (nothing is built when nobody listens). */
  log(message: string, extra: { level?: LogLevel; sipMessage?: Omit<SipMessageSummary, 'callId'> & { callId?: string }; callId?: string } = {}): void {
    if (!this.run.hub.wants('scenario:action-log')) return;
    const callId = extra.callId ?? this.node.callId;
    this.run.log({
      message,
      nodeId: this.node.id,
      instanceId: this.instance.spec.id,
      callId,
      ...(extra.level !== undefined ? { level: extra.level } : {}),
      ...(extra.sipMessage !== undefined ? { sipMessage: { ...extra.sipMessage, callId: extra.sipMessage.callId ?? callId } } : {}),
    });
  }

  /** A `media` run event of this node, on its call key. */
  media(event: Omit<MediaEvent, 'type' | 'timestamp' | 'instanceId' | 'nodeId' | 'callId' | 'sipCallId'>): void {
    const sipCallId = this.callInUse?.sipCallId;
    this.run.media({ ...event, instanceId: this.instance.spec.id, nodeId: this.node.id, callId: this.node.callId, ...(sipCallId !== undefined && sipCallId !== '' ? { sipCallId } : {}) });
  }

  /**
   * The call under `key` (the node's callId by default) on the node's instance.
   * @throws NodeFailure naming the key when there is none.
   */
  call(key: string = this.node.callId): Call {
    const call = this.run.store.get(this.instance.spec.id, key);
    if (call === undefined) throw new NodeFailure(`no call under key ${key} on instance ${this.instance.spec.id}`);
    this.callInUse = call;
    return call;
  }

  /** `work`, or the scope's reason when it aborts first. */
  race<T>(work: Promise<T>): Promise<T> {
    return raceSignal(work, this.scope);
  }

  /**
   * Lets `work` settle after the node has given up on it (its CANCEL answered, say), for at most
   * `ms` on the run's clock, and not past the run's end. Never rejects.
   */
  settle(work: Promise<unknown>, ms: number): Promise<void> {
    return waitOn(this.run.clock, ms, this.run.scope, work);
  }

  /** Waits `ms` on the run's clock; rejects with the scope's reason when it aborts first. */
  sleep(ms: number): Promise<void> {
    const { clock } = this.run;
    const scope = this.scope;
    if (scope.aborted) return Promise.reject(scope.reason);
    return new Promise<void>((resolve, reject) => {
      const timer = clock.setTimer(ms, () => {
        listening.remove();
        resolve();
      });
      const listening = scope.onAbort(() => {
        clock.clearTimer(timer);
        reject(scope.reason);
      });
    });
  }
}

/** Runs one command or event; resolves on success, throws on failure. */
export type NodeHandler<N extends CompiledNode = CompiledNode> = (ctx: NodeContext<N>) => Promise<void>;
