// The scenario model: reading both formats, validation, the execution graph, conversion and typed
// authoring. Nothing here touches the network.

export * from './catalog.js';
export { type DiagnosticCode, type DiagnosticSeverity, type JsonPath, type ScenarioDiagnostic, ScenarioError, formatDiagnostic, formatPath } from './diagnostics.js';
export { suggest } from './did-you-mean.js';
export { type CallTarget, type CompiledCommandNode, type CompiledNodeBase, type CompiledEventNode, type CompiledInstance, type CompiledNode, type ExecutionGraph, type SourceRef } from './graph.js';
export { DEFAULT_SCENARIO_LIMITS, type ScenarioLimits } from './input.js';
export { type JsonValue, type JsonLocation, type JsoncIssue, type JsoncLimits, type JsoncResult, type SourcePoint, type SourceSpan, DEFAULT_JSONC_LIMITS, parseJsonc, locate } from './jsonc.js';
export { type LoadOptions, type ValidationResult, compileScenario, detectFormat, loadScenario, loadScenarioFile, validateScenario, validateScenarioFile } from './load.js';
export type { Scenario, ScenarioFormat, ScenarioInstance, ScenarioNode } from './model.js';
export type { PlaceholderSource } from './placeholders.js';
export * from './types.js';
export { type Conversion, type SipflowFlow, type SipflowFlowEdge, type SipflowFlowNode, type ToCompactOptions, convertToCompact, convertToSipflow, toCompact, toSipflow } from './convert.js';
export { stringifyScenario } from './format-json.js';
export { defineScenario } from './define.js';
export { type JsonSchema, compactScenarioSchema, sipflowFlowSchema } from './schema.js';
