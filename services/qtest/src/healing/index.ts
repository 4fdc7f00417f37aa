// Self-healing of tests after a code change: tests that passed before and fail now are sorted
// into environment, assertion drift and regression; only drift is handed to the QA agent, and
// only a verified update to the failing test itself is accepted.
export { classifyFailures, explainByChange } from './classify.js';
export type {
  ClassifyInput,
  FailureClass,
  FailureClassification,
  SandboxStop,
} from './classify.js';
export { planHealing } from './plan.js';
export type {
  HealedTest,
  HealingOptions,
  HealingPlan,
  ProposeUpdateRequest,
  ProposedUpdate,
  RejectedHeal,
  ReportedFailure,
} from './plan.js';
export { parseAssertion, failureText, cleanFailureText, thrownError } from './assertions.js';
export type { AssertionFormat, ParsedAssertion } from './assertions.js';
export {
  changedFiles,
  unifiedDiff,
  isTestPath,
  CodeChangeSchema,
  FileChangeSchema,
} from './change.js';
export type { ChangedFile, ChangedLine, CodeChange, FileChange } from './change.js';
export { environmentEvidence } from './environment.js';
