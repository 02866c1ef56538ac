// Shared by the engine tests: run a scenario on loopback and look at what it did.

import { Engine, type EngineOptions, type RunEvent, type RunOptions, type RunResult } from '../../src/engine/index.js';

/** A run and its events, with readers for the usual questions. */
export interface Ran {
  readonly result: RunResult;
  readonly events: readonly RunEvent[];
  readonly engine: Engine;
  /** Every action log message (of one instance, or all). */
  logs(instanceId?: string): string[];
  /** One instance's SIP messages in order: `sent INVITE`, `received 180` … */
  wire(instanceId: string): string[];
  /** A node's final state and error. */
  node(nodeId: string): { state: string; error: string | undefined; runs: number };
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
    node: (nodeId) => {
      const n = result.nodes.find((x) => x.nodeId === nodeId);
      if (n === undefined) throw new Error(`no node ${nodeId} in the result: ${result.nodes.map((x) => x.nodeId).join(', ')}`);
      return { state: n.state, error: n.error, runs: n.runs };
    },
    failure: result.failure?.message,
  };
}

/** Resolves after `ms` of real time (for tests that act while a run is in progress). */
export function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
