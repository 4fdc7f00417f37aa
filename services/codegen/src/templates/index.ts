/**
 * Stack templates: a registry of stacks, each rendering a Blueprint into a complete, formatted
 * project (with its lock file). See README.md in this directory.
 */
export type { RenderContext, RenderedFile, RenderInput, StackTemplate } from './types.js';
export { TemplateInputError } from './types.js';
export { DEFAULT_STACK, defaultStacks, StackRegistry, UnknownStackError } from './registry.js';
export { renderProject, writeProject } from './render.js';
export type { RenderedProject, RenderProjectInput, RenderProjectOptions } from './render.js';
export {
  defaultLockfileCacheDir,
  dependencySetKey,
  LockfileError,
  NpmLockfileProvider,
  pruneDanglingOptionalDependencies,
} from './lockfile.js';
export type { LockfileProvider, NpmLockfileOptions, PackageManifest } from './lockfile.js';
export { formatFile, FormatError } from './format.js';
export {
  tsFastify,
  STACK_ID as TS_FASTIFY,
  STACK_VERSION as TS_FASTIFY_VERSION,
} from './ts-fastify/index.js';
export {
  cleanEnv,
  DEFAULT_STEP_TIMEOUT_MS,
  outputTail,
  runCommand,
  VERIFY_STEPS,
  verifyProject,
} from './verify.js';
export type { StepResult, VerifyOptions, VerifyResult, VerifyStepName } from './verify.js';
