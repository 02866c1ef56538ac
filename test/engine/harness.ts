// Shared by the engine tests: run a scenario on loopback and look at what it did.

import type { VirtualClock } from '../../src/sip/transport/clock.js';
import { Engine, type CallSummary, type EngineOptions, type NodeResult, type RunEvent, type RunOptions, type RunResult, type SipEvent } from '../../src/engine/index.js';

/** A run and its events, with readers for the usual questions. */
export interface Ran {
  readonly result: RunResult;
  readonly events: readonly RunEvent[];
  readonly engine: Engine;
  /** Every action log message (of one instance, or all). */
  logs(instanceId?: string): string[];
  /** One instance's SIP messages in order: `sent INVITE`, `received 180` … */
  wire(instanceId: string): string[];
  /** One instance's SIP message events (or every instance's), in order. */
  sips(instanceId?: string): SipEvent[];
  /** A node's final state and error. */
  node(nodeId: string): { state: string; error: string | undefined; runs: number };
  /** A node's whole result (timings included); throws naming the nodes when there is none. */
  nodeResult(nodeId: string): NodeResult;
  /** The one call of `instanceId` under `key`; throws naming the calls when there is not exactly one. */
  call(instanceId: string, key: string | undefined): CallSummary;
  /** The run's internal errors (a listener or the stack threw): there should be none. */
  internalErrors(): string[];
  /** The failure message of the run, if any. */
  readonly failure: string | undefined;
}

/**
 * Runs `scenario` (any input loadScenario takes) on a new engine and collects every event.
 * `engine` options are merged over the defaults; give each test its own `portBase`.
 */
export async function runScenario(scenario: unknown, engine: EngineOptions & { portBase: number }, run: RunOptions = {}): Promise<Ran> {
  const e = new Engine({ closeTimeoutMs: 500, notifyGraceMs: 300, ...engine });
  const events: RunEvent[] = [];
  e.on((ev) => events.push(ev));
  const result = await e.run(scenario, { env: {}, ...run });
  return wrap(result, events, e);
}

/** Like {@link runScenario}, with an engine you made (to stop it, or add listeners first). */
export async function runOn(e: Engine, scenario: unknown, run: RunOptions = {}): Promise<Ran> {
  const events: RunEvent[] = [];
  const off = e.on((ev) => events.push(ev));
  try {
    const result = await e.run(scenario, { env: {}, ...run });
    return wrap(result, events, e);
  } finally {
    off();
  }
}

function wrap(result: RunResult, events: RunEvent[], engine: Engine): Ran {
  return {
    result,
    events,
    engine,
    logs: (instanceId) => events.flatMap((ev) => (ev.type === 'scenario:action-log' && (instanceId === undefined || ev.instanceId === instanceId) ? [ev.message] : [])),
    wire: (instanceId) => events.flatMap((ev) => (ev.type === 'sip' && ev.instanceId === instanceId ? [`${ev.direction} ${ev.method ?? ev.status}`] : [])),
    sips: (instanceId) => events.filter((ev): ev is SipEvent => ev.type === 'sip' && (instanceId === undefined || ev.instanceId === instanceId)),
    node: (nodeId) => {
      const n = nodeResult(result, nodeId);
      return { state: n.state, error: n.error, runs: n.runs };
    },
    nodeResult: (nodeId) => nodeResult(result, nodeId),
    call: (instanceId, key) => {
      const found = result.calls.filter((c) => c.instanceId === instanceId && c.callId === key);
      if (found.length !== 1) throw new Error(`${found.length} calls of ${instanceId} under ${key}; the run's calls: ${result.calls.map((c) => `${c.instanceId}/${c.callId}`).join(', ')}`);
      return found[0]!;
    },
    internalErrors: () => events.flatMap((ev) => (ev.type === 'scenario:action-log' && ev.message.startsWith('internal:') ? [ev.message] : [])),
    failure: result.failure?.message,
  };
}

function nodeResult(result: RunResult, nodeId: string): NodeResult {
  const n = result.nodes.find((x) => x.nodeId === nodeId);
  if (n === undefined) throw new Error(`no node ${nodeId} in the result: ${result.nodes.map((x) => x.nodeId).join(', ')}`);
  return n;
}

/** Resolves after `ms` of real time (for tests that act while a run is in progress). */
export function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `work` while moving `clock` on `stepMs` at a time, letting promises settle between steps
 * (engines and load runs over a MemoryNetwork); throws after `limitMs` of virtual time.
 */
export async function drive<T>(clock: VirtualClock, work: Promise<T>, limitMs = 3_600_000, stepMs = 10): Promise<T> {
  let done = false;
  const watched = work.finally(() => (done = true));
  watched.catch(() => undefined);
  const end = clock.now() + limitMs;
  while (!done && clock.now() < end) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    clock.advanceTo(Math.min(end, clock.now() + stepMs));
  }
  if (!done) throw new Error(`did not finish within ${limitMs} ms of virtual time`);
  return watched;
}
