// The engine: scenarios (formats, validation, graph) and running them on real user agents.

export * from './scenario/index.js';
export { Engine, type EngineOptions, type RunOptions, type RunResult, type CallSummary } from './engine.js';
export type { NodeResult } from './executor.js';
export { EngineError, NodeFailure, NodeTimeout, RunHalted, type EngineErrorCode } from './errors.js';
export * from './run-events.js';
export { LoadRunner, MEDIA_STEPS, MIN_SETUP_LIMIT, defaultSetupLimit, needsMedia, WARMUP_CONCURRENCY, WARMUP_SCENARIO, type LoadRunOptions, type LoadResult, type LoadLiveCounts, type LoadReady, type LoadWarmup } from './load-runner.js';
export { LoadStats, LOAD_CSV_COLUMNS, SETUP_HISTOGRAM_MS, LOOP_LAG_WARNING_MS, LOOP_BUSY_WARNING_PERCENT, loadCsvRow, percentileOf, mergeLoadSummaries, type LoadSnapshot, type LoadFailureGroup, type LoadSummaryPart, type LoadRefusals, type WireCounters, type LoopFigures, type ProcessMemory } from './load-stats.js';
