export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './tracing.js';
export * from './http.js';
export * from './lifecycle.js';
export * from './db/index.js';
export {
  defaultPgliteCacheDir,
  openEmbeddedDatabase,
  preparePgliteDataDir,
} from './db/pglite-template.js';
export * from './blobs/index.js';
export * from './tenancy.js';
export * from './redis.js';
export * from './rpc/index.js';
export * from './bus/index.js';
export * from './service.js';
export * from './generation.js';
export * from './fifo.js';
