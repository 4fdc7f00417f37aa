export { parseRequirements, PARSER_VERSION, MAX_DESCRIPTION_LENGTH } from './parse.js';
export type { ParseOptions } from './parse.js';
export { DescriptionError, EXAMPLE_DESCRIPTION } from './errors.js';
export type { DescriptionErrorCode } from './errors.js';
export { inferFieldType } from './fieldtypes.js';
export type { InferredType, TypeHints } from './fieldtypes.js';
export { acceptanceCriteria } from './acceptance.js';
