/**
 * Validators for generated code, shared by the codegen service and agent mode: tree-sitter
 * syntax check, TypeScript type-check, security rules, secret scanner and hallucinated-
 * dependency check, combined by `validate()` into a ValidationReport.
 */
export * from './report.js';
export * from './files.js';
export * from './languages.js';
export { SyntaxTrees, blankTrailingCommas } from './context.js';
export type { ParsedFile, ParseOutcome } from './context.js';
export { GrammarError, loadLanguage, preloadLanguages } from './tree-sitter.js';
export type { Node as SyntaxNode, Tree as SyntaxTree } from './tree-sitter.js';
export * from './syntax.js';
export * from './typecheck.js';
export * from './security/index.js';
export * from './secrets.js';
export * from './dependencies/index.js';
export * from './validate.js';
