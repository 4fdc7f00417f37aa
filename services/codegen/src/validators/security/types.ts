import type { SourceFile } from '../files.js';
import type { LanguageId } from '../languages.js';
import type { Severity } from '../report.js';
import type { Node, Tree } from '../tree-sitter.js';

export const SECURITY_RULE_IDS = [
  'security/sql-injection',
  'security/command-injection',
  'security/code-eval',
  'security/path-traversal',
  'security/hardcoded-secret',
  'security/weak-password-hash',
  'security/weak-hash',
  'security/weak-cipher',
  'security/insecure-random',
  'security/missing-authz',
] as const;
export type SecurityRuleId = (typeof SECURITY_RULE_IDS)[number];

export interface SecurityRuleInfo {
  id: SecurityRuleId;
  severity: Severity;
  title: string;
  /** Why it matters and what the fix looks like; shown to the repair agent. */
  fix: string;
  languages: readonly LanguageId[];
}

/** Facts gathered across the whole file set before rules run on single files. */
export interface ProjectFacts {
  /** The app authenticates somewhere (JWT plugin, passport, an `authenticate` decorator …). */
  hasAuth: boolean;
  authEvidence?: string;
  /** Files whose plugin/router is mounted behind an auth hook elsewhere. */
  protectedFiles?: Set<string>;
  /** Names of plugin/router functions mounted behind an auth hook. */
  protectedNames?: Set<string>;
}

export interface RuleContext {
  file: SourceFile;
  lang: LanguageId;
  tree: Tree;
  project: ProjectFacts;
  isTest: boolean;
}

export interface RawFinding {
  rule: SecurityRuleId;
  node: Node;
  message: string;
  /** Overrides the rule's default severity (e.g. user input reaches the sink). */
  severity?: Severity;
}
