// Public surface of @quantumlayer/codegen: the service (for the embedded runner and the CLI)
// and the pure parts other packages build on.
export { createCodegenApp, SERVICE_NAME } from './app.js';
export type { CodegenApp, CodegenPorts } from './app.js';
export { codegenEnvSchema } from './config.js';
export type { CodegenEnv } from './config.js';
export * from './codegen.js';
export { inputFailure } from './errors.js';
export type { InputFailure } from './errors.js';
export { artifactFromProto, artifactToProto } from './rpc/artifacts.js';
export * from './domain/index.js';
export * from './templates/index.js';
export {
  validate,
  ValidationReportSchema,
  MemoryRegistryClient,
  NpmRegistryClient,
  CHECK_NAMES,
} from './validators/index.js';
export type {
  CheckName,
  Finding,
  RegistryClients,
  Severity,
  ValidationReport,
} from './validators/index.js';
export { cleanEnv, verifyProject, VERIFY_STEPS } from './templates/verify.js';
export type { VerifyResult, StepResult } from './templates/verify.js';
