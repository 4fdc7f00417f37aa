// Public surface of @quantumlayer/qtest: the service (createQTestApp), the quality-gate run of a
// project directory (qualifyProject, what `ql qtest run` uses), and the libraries under them: the
// bubblewrap sandbox, test runners, report and coverage parsers, property-based API tests from
// OpenAPI, the security scan, self-healing and LLM test generation.
export { createQTestApp, SERVICE_NAME } from './app.js';
export type { QTestApp, QTestPorts } from './app.js';
export { qtestEnvSchema } from './config.js';
export type { QTestEnv } from './config.js';
export { qualifyProject } from './qualify.js';
export type { QualifyOptions, QualityReport } from './qualify.js';
export type { StepRecord } from './steps.js';
export { applyGate, acceptanceCoverage } from './domain/gate.js';
export type { RunSummary } from './domain/summary.js';
export { RouterLlm } from './clients/router.js';
export type { LlmPort, Completion, CompletionCall } from './clients/router.js';
export { generateTests } from './generate/testgen.js';
export type { TestGenResult, GeneratedTestRecord } from './generate/testgen.js';
export * from './sandbox/index.js';
export * from './reports/index.js';
export * from './api/index.js';
export * from './runners/index.js';
export * from './security/index.js';
export * from './healing/index.js';
