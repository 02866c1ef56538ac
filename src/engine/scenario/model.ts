// The scenario as both formats mean it: instances with their settings and start nodes, and nodes
// (commands and events) with their fields and success/failure successors. Each reader produces
// it, the validator checks it, the compiler turns it into the execution graph and the converters
// write it out in the other format.

import type { ScenarioDiagnostic, JsonPath } from './diagnostics.js';
import type { InstanceFieldName } from './catalog.js';

/** Which format a scenario was written in. */
export type ScenarioFormat =
  /** The flow JSON the sipflow desktop app saves: `{ nodes, edges }`. */
  | 'sipflow'
  /** sipflow's hand-writable format: `{ instances: { name: { …settings, steps } } }`. */
  | 'compact';

/** An instance (a SIP user agent) as written. */
export interface ScenarioInstance {
  /** Its key: the sipflow node id, or the compact instance name. */
  readonly id: string;
  /** The settings that were given, type-checked; a setting left out (or replaced by sipflow's default) is absent. */
  readonly settings: Readonly<Partial<Record<InstanceFieldName, unknown>>>;
  /** Its start nodes, in order (sipflow: instance edges in edge order; compact: its chains). */
  readonly starts: readonly string[];
  /** Where it is in the document. */
  readonly path: JsonPath;
  /** Where each given setting is. */
  readonly fieldPaths: Readonly<Record<string, JsonPath>>;
}

/** A command or event node (a compact step) as written. */
export interface ScenarioNode {
  /** The sipflow node id, or the compact step id (given, or derived from its path: `alice.steps[2]`). */
  readonly id: string;
  readonly kind: 'command' | 'event';
  /** The command or event name as written (the validator reports unknown ones). */
  readonly name: string;
  /** The instance the node belongs to by its own fields (sipflow's resolution); `undefined` when unresolved. */
  readonly instance: string | undefined;
  /** The given values of its fields (common and its own), type-checked; placeholders filled unless kept. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The node that runs next when it succeeds. */
  readonly success?: string;
  /** The node that runs next when it fails (a failure branch). */
  readonly failure?: string;
  /** Where it is in the document. */
  readonly path: JsonPath;
  /** Where each given field is. */
  readonly fieldPaths: Readonly<Record<string, JsonPath>>;
}

/**
 * A scenario read from either format, validated, ready to compile or convert. Made by
 * {@link loadScenario}; the same meaning whatever format it came from.
 */
export interface Scenario {
  readonly format: ScenarioFormat;
  readonly name?: string;
  readonly description?: string;
  /** Instances in document order. */
  readonly instances: readonly ScenarioInstance[];
  /** Command and event nodes in document order. */
  readonly nodes: readonly ScenarioNode[];
  /** What was found that does not stop the scenario. */
  readonly warnings: readonly ScenarioDiagnostic[];
  /** The file it was read from, when known. */
  readonly file?: string;
  /** The directory relative paths (PlayAudio files) resolve against, when known. */
  readonly baseDir?: string;
  /** `kept` when `${NAME}` placeholders were left in place (for converting); such a scenario cannot be compiled. */
  readonly placeholders: 'filled' | 'kept';
}

/** What a reader hands the validator. */
export interface ScenarioModel {
  readonly format: ScenarioFormat;
  readonly name?: string;
  readonly description?: string;
  readonly instances: ScenarioInstance[];
  readonly nodes: ScenarioNode[];
}
