// Typed authoring for people who embed sipflow: a compact scenario written in TypeScript, where a
// misspelt command, event or field is a compile error and editors complete every name.

import type { CompactScenario } from './types.js';

/**
 * Returns the scenario as given; its type makes TypeScript check it as you write it: command and
 * event names, the fields each one takes (and those it requires), instance settings. Pass the
 * result to `loadScenario`, `compileScenario` or an engine run.
 *
 * @example
 * ```ts
 * import { defineScenario, loadScenario } from 'sipflow';
 *
 * const call = defineScenario({
 *   name: 'basic call',
 *   instances: {
 *     alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 2000 }, 'Release'] },
 *     bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
 *   },
 * });
 * const scenario = loadScenario(call);
 * ```
 */
export function defineScenario(scenario: CompactScenario): CompactScenario {
  return scenario;
}
