// Pure domain of the codegen service: typed artifacts (Requirements, ComplexityReport, Blueprint,
// FileSet) with their zod schemas, the rule-based requirements parser and the complexity
// analyzer. No I/O and no generated proto types here (DESIGN §3).
export * from './artifacts/index.js';
export * from './requirements/index.js';
export * from './complexity/index.js';
