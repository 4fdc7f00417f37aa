export { buildProgram, runCli, EXIT } from './program.js';
export type { Io } from './program.js';
export { generateEmbedded, LOCAL_TENANT } from './embedded.js';
export type { EmbeddedOptions, EmbeddedResult, Progress } from './embedded.js';
