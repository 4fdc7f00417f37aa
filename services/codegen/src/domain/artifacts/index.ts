export * from './common.js';
export * from './requirements.js';
export * from './complexity.js';
export * from './blueprint.js';
export * from './fileset.js';
