// Shared by the scenario tests: schema validators as a tool reads them, and a graph without its
// source positions (what "the same compiled graph" compares).

import { Ajv2020 } from 'ajv/dist/2020.js';
import { compactScenarioSchema, sipflowFlowSchema, type ExecutionGraph } from '../../../src/engine/scenario/index.js';

/** Ajv in strict mode, as a CI tool or an editor would read the schemas (strictRequired flags a legal pattern we use). */
export function schemaValidators() {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  return { compact: ajv.compile(compactScenarioSchema()), sipflow: ajv.compile(sipflowFlowSchema()) };
}

/** The meaning of a graph: its instances and nodes as plain data, without source positions. */
export function meaning(graph: ExecutionGraph): unknown {
  return JSON.parse(
    JSON.stringify({ name: graph.name, description: graph.description, instances: graph.instances, nodes: graph.nodes }, (key, value: unknown) =>
      key === 'source' ? undefined : value,
    ),
  );
}
