export {
  DEFAULT_LIMITS,
  sandboxLimitsSchema,
  readOnlyBindSchema,
  type ReadOnlyBind,
  type RunSandboxedOptions,
  type SandboxLimits,
  type SandboxResult,
  type StoppedBy,
} from './limits.js';
export { SandboxUnavailableError } from './errors.js';
export {
  installStep,
  runSandboxed,
  sandboxAvailable,
  SANDBOX_WORKDIR,
  type InstallStepOptions,
} from './runner.js';
export { describeLimit, extractRusage, inferStop } from './detect.js';
