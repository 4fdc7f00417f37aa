export { runProjectTests, buildPlan } from './run.js';
export { detectRunner, jsRunnerOfScript, LOOKED_FOR, type Detection } from './detect.js';
export { mergeRuns, type MergedRuns } from './flaky.js';
export { parseLibtestOutput } from './libtest.js';
export { NoTestRunnerError, RunnerOptionsError, ToolchainUnavailableError } from './errors.js';
export type { RunnerPlan, PlanContext, Step, Collected } from './plan.js';
export {
  InstallRecordSchema,
  ProgressEventSchema,
  ProjectTestResultSchema,
  RunnerKindSchema,
  RunProjectTestsOptionsSchema,
  RunRecordSchema,
  RunStatusSchema,
  StoppedBySchema,
  ToolchainOptionsSchema,
  type InstallRecord,
  type ProgressEvent,
  type ProjectTestResult,
  type RunnerKind,
  type RunProjectTestsOptions,
  type RunRecord,
  type RunStatus,
  type ToolchainOptions,
} from './schema.js';
