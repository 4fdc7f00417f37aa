// Public surface of @quantumlayer/capsule: the service (for the embedded runner and the CLI) and
// the format library.
export { createCapsuleApp, SERVICE_NAME } from './app.js';
export type { CapsuleApp, CapsulePorts } from './app.js';
export { capsuleEnvSchema } from './config.js';
export type { CapsuleEnv } from './config.js';
export { Capsules, CapsuleNotFoundError, CapsuleRequestError, traceability } from './capsules.js';
export * from './domain/index.js';
