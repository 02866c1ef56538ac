// What every run needs, whether the engine runs a scenario once or a load run repeats its chains:
// the run context (clock, settings, event hub, the way out), the instances started (and
// registered), and the cleanup that ends every call and closes every instance.

import { resolve as resolvePath } from 'node:path';
import type { Clock } from '../sip/transport/clock.js';
import { UdpTransport } from '../sip/transport/udp.js';
import type { IncomingCall } from '../sip/dialog/incoming-call.js';
import { endCall } from './call-wiring.js';
import type { EngineOptions } from './engine.js';
import { EngineError, describeError } from './errors.js';
import type { RunEventHub } from './event-hub.js';
import { InstanceRuntime, PortAllocator } from './instance-runtime.js';
import type { LogInput, RunContext, RunSettings } from './run-context.js';
import { compileScenario, type ExecutionGraph, type LoadOptions } from './scenario/index.js';
import { SessionStore } from './session-store.js';
import { raceSignal, type AbortScope } from './wait.js';

/** `input` as an execution graph: a compiled one as it is, anything else compiled (`loadScenario`'s inputs). */
export function graphOf(input: unknown, options: LoadOptions = {}): ExecutionGraph {
  const isGraph = typeof input === 'object' && input !== null && typeof (input as ExecutionGraph).node === 'function' && Array.isArray((input as ExecutionGraph).nodes);
  return isGraph ? (input as ExecutionGraph) : compileScenario(input, options);
}

/** A run context whose instance map the setup fills. */
export type NewRunContext = RunContext & { readonly instances: Map<string, InstanceRuntime> };

/** The settings of a run from the engine's options, each with its default. */
export function runSettings(o: EngineOptions): RunSettings {
  return {
    portBase: o.portBase ?? 15060,
    queueLimit: o.queueLimit ?? 32,
    media: o.media ?? true,
    timers: o.timers,
    bindTransport: o.bindTransport ?? ((local) => UdpTransport.bind({ host: local.address, port: local.port })),
    closeTimeoutMs: o.closeTimeoutMs ?? 2000,
    notifyGraceMs: o.notifyGraceMs ?? 2000,
    outputDir: resolvePath(o.outputDir ?? 'sipflow-output'),
    limits: o.limits,
    unsafeShowSecrets: o.unsafeShowSecrets ?? false,
  };
}

/** A new run's context: its calls, no instances yet, timestamps from `epoch` (Unix ms) on. */
export function newRunContext(o: { clock: Clock; settings: RunSettings; hub: RunEventHub; scope: AbortScope; epoch: number }): NewRunContext {
  const { clock, hub, epoch } = o;
  const clockAtStart = clock.now();
  const run: NewRunContext = {
    clock,
    settings: o.settings,
    store: new SessionStore(),
    hub,
    instances: new Map<string, InstanceRuntime>(),
    scope: o.scope,
    timestamp: () => Math.round(epoch + (clock.now() - clockAtStart)),
    timeUs: () => Math.round((epoch + (clock.now() - clockAtStart)) * 1000),
    media: (event) => {
      if (hub.wants('media')) hub.emit({ type: 'media', ...event, timestamp: run.timestamp() });
    },
    log: (entry) => emitLog(hub, run, entry),
    reportError: (err, where) => emitLog(hub, run, { message: `internal: ${where}: ${describeError(err)}`, level: 'error' }),
  };
  return run;
}

/**
 * Starts the graph's instances in scenario order (each INVITE they receive goes to `onInvite`),
 * then registers those that register (PBX mode).
 *
 * @throws EngineError `instance-start` or `register`; the run scope's reason when it aborts. The
 *   instances started stay in `run.instances` for {@link cleanupRun}.
 */
export async function startInstances(graph: ExecutionGraph, run: NewRunContext, onInvite: (instance: InstanceRuntime, call: IncomingCall) => void): Promise<void> {
  const ports = new PortAllocator(run.settings.portBase);
  for (const spec of graph.instances) {
    const instance = await InstanceRuntime.start(spec, run, ports);
    run.instances.set(spec.id, instance);
    instance.detectsInbandDtmf = graph.nodes.some((n) => n.instance === spec.id && n.name === 'DTMFReceived');
    instance.onInvite((call) => onInvite(instance, call));
    run.log({ instanceId: spec.id, message: `Instance ${spec.id} (DN ${spec.dn || spec.user}) listening on ${instance.local.address}:${instance.local.port}`, level: 'debug' });
  }
  for (const instance of run.instances.values()) {
    if (!instance.spec.register) continue;
    run.log({ instanceId: instance.spec.id, message: `Registering DN ${instance.spec.dn}` });
    try {
      await raceSignal(instance.register(), run.scope);
    } catch (err) {
      if (run.scope.aborted) throw err;
      // sipflow's words: `instance <id> register failed: …` (the reason already says "register failed").
      const reason = describeError(err).replace(/^register failed: /, '');
      throw new EngineError('register', `instance ${instance.spec.id} register failed: ${reason}`, { cause: err });
    }
    run.log({ instanceId: instance.spec.id, message: `Registered DN ${instance.spec.dn}` });
  }
}

/**
 * Ends every call, then closes every instance (un-REGISTER, sockets). Calls end while every
 * instance still listens, so each side sees the other's BYE, CANCEL or 480 answered (a tidy
 * wire for the reports); each wait is bounded by closeTimeoutMs.
 */
export async function cleanupRun(run: RunContext): Promise<void> {
  run.log({ nodeId: '', instanceId: '', message: 'Starting cleanup' });
  for (const instance of run.instances.values()) instance.queue.splice(0);
  await endCalls(run, run.store);
  await Promise.all([...run.instances.values()].map((i) => i.close().catch((err) => run.reportError(err, `closing instance ${i.spec.id}`))));
  run.log({ nodeId: '', instanceId: '', message: 'Cleanup completed' });
}

/**
 * Ends the live calls of `store`: BYE for answered ones and CANCEL for ours still ringing (their
 * answers awaited at most closeTimeoutMs), then 480 for incoming ones nobody answered; resolves
 * when their media has closed (recordings completed), also bounded.
 */
export async function endCalls(run: RunContext, store: SessionStore): Promise<void> {
  if (!hasCallsToEnd(store)) return;
  const ending: Promise<unknown>[] = [];
  // BYE for answered calls, CANCEL for ours still ringing: their answers come first...
  for (const call of store.live()) {
    if (call.session !== undefined && call.session.endReason === undefined) {
      ending.push(call.session.bye().catch(() => undefined));
    } else if (call.direction === 'outgoing' && call.session === undefined) {
      call.cancel.abort();
      if (call.invite !== undefined) ending.push(call.invite.catch(() => undefined));
    }
  }
  if (ending.length > 0) await within(run.clock, Promise.all(ending), run.settings.closeTimeoutMs);
  // ...then 480 for incoming calls nobody answered (a caller of ours has CANCELled by now).
  for (const call of store.live()) {
    if (call.incoming === undefined || call.incoming.state !== 'pending') continue;
    try {
      call.incoming.reject(480);
    } catch {
      // answered or gone meanwhile
    }
  }
  for (const call of store.live()) endCall(run, call, 'closed', 'the run ended');
  // Every call's media closed and its recording completed before the run returns.
  const closing = store.calls.flatMap((c) => (c.mediaClosed !== undefined ? [c.mediaClosed] : []));
  if (closing.length > 0) await within(run.clock, Promise.all(closing), run.settings.closeTimeoutMs);
}

function emitLog(hub: RunEventHub, run: RunContext, entry: LogInput): void {
  if (!hub.wants('scenario:action-log')) return;
  hub.emit({
    type: 'scenario:action-log',
    nodeId: entry.nodeId ?? '',
    instanceId: entry.instanceId ?? '',
    message: entry.message,
    level: entry.level ?? 'info',
    timestamp: run.timestamp(),
    ...(entry.callId !== undefined ? { callId: entry.callId } : {}),
    ...(entry.sipMessage !== undefined ? { sipMessage: entry.sipMessage } : {}),
  });
}

/** Waits for `work`, at most `ms` on `clock`. */
export function within(clock: Clock, work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = clock.setTimer(ms, resolve);
    work.then(
      () => (clock.clearTimer(timer), resolve()),
      () => (clock.clearTimer(timer), resolve()),
    );
  });
}

/**
 * Whether {@link endCalls} has anything to do: a call not ended yet, or media closing to wait for.
 * (A load's call asks this first, so that a call that ended itself awaits nothing more.)
 */
export function hasCallsToEnd(store: SessionStore): boolean {
  return store.calls.some((c) => !c.ended || c.mediaClosed !== undefined);
}
