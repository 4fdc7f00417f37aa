import { SyntaxTrees } from './context.js';
import type { SourceFile } from './files.js';
import { shorten } from './files.js';
import type { LanguageId } from './languages.js';
import { detectLanguage } from './languages.js';
import type { CheckResult, Finding, Severity } from './report.js';
import { statusFromFindings } from './report.js';
import type { Node } from './tree-sitter.js';

export interface SyntaxCheckOptions {
  failOn?: Severity;
  /** Stop listing errors of one file after this many (one broken brace cascades). */
  maxErrorsPerFile?: number;
  /** Shared parse cache; one is created (and disposed) when not given. */
  trees?: SyntaxTrees;
}

/**
 * Parses every file whose language we know and reports tree-sitter's ERROR nodes (input the
 * grammar could not fit) and MISSING nodes (tokens it had to invent to recover).
 */
export async function checkSyntax(
  files: readonly SourceFile[],
  options: SyntaxCheckOptions = {},
): Promise<CheckResult> {
  const started = performance.now();
  const failOn = options.failOn ?? 'high';
  const maxErrors = options.maxErrorsPerFile ?? 20;
  const trees = options.trees ?? new SyntaxTrees();
  const findings: Finding[] = [];
  const languages = new Set<LanguageId>();
  const unparsed: string[] = [];
  let filesChecked = 0;
  try {
    for (const file of files) {
      if (!detectLanguage(file.path)) continue;
      const outcome = await trees.get(file);
      if (!outcome) continue;
      if (!outcome.ok) {
        unparsed.push(file.path);
        findings.push({
          check: 'syntax',
          ruleId: 'syntax/parser-failure',
          severity: 'medium',
          file: file.path,
          line: 1,
          column: 1,
          message: `could not parse as ${outcome.lang}: ${outcome.error}`,
          data: { language: outcome.lang },
        });
        continue;
      }
      filesChecked++;
      languages.add(outcome.parsed.lang);
      const root = outcome.parsed.tree.rootNode;
      if (!root.hasError) continue;
      const errors = collectErrors(root, maxErrors + 1);
      for (const node of errors.slice(0, maxErrors)) {
        findings.push(toFinding(file.path, outcome.parsed.lang, node));
      }
      if (errors.length > maxErrors) {
        findings.push({
          check: 'syntax',
          ruleId: 'syntax/too-many-errors',
          severity: 'info',
          file: file.path,
          line: errors[maxErrors]!.startPosition.row + 1,
          column: errors[maxErrors]!.startPosition.column + 1,
          message: `more than ${maxErrors} syntax errors; the rest are not listed`,
        });
      }
    }
  } finally {
    if (!options.trees) await trees.dispose();
  }
  return {
    check: 'syntax',
    status: statusFromFindings(findings, failOn, unparsed.length > 0),
    durationMs: performance.now() - started,
    filesChecked,
    findings,
    details: { languages: [...languages].sort(), ...(unparsed.length ? { unparsed } : {}) },
  };
}

/** Outermost ERROR nodes and all MISSING nodes, in document order; clean subtrees are skipped. */
function collectErrors(root: Node, limit: number): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [root];
  while (stack.length && out.length < limit) {
    const node = stack.pop()!;
    if (node.isMissing) {
      out.push(node);
      continue;
    }
    if (node.type === 'ERROR') {
      out.push(node);
      continue;
    }
    if (!node.hasError) continue;
    for (let i = node.childCount - 1; i >= 0; i--) {
      const child = node.child(i);
      if (child) stack.push(child);
    }
  }
  return out;
}

function toFinding(file: string, lang: LanguageId, node: Node): Finding {
  const start = node.startPosition;
  const end = node.endPosition;
  const missing = node.isMissing;
  const text = shorten(node.text, 60);
  return {
    check: 'syntax',
    ruleId: missing ? 'syntax/missing' : 'syntax/error',
    severity: 'high',
    file,
    line: start.row + 1,
    column: start.column + 1,
    endLine: end.row + 1,
    endColumn: end.column + 1,
    message: missing
      ? `syntax error: missing ${JSON.stringify(node.type)}${node.parent ? ` in ${node.parent.type}` : ''}`
      : text
        ? `syntax error: unexpected ${JSON.stringify(text)}`
        : 'syntax error',
    ...(text && !missing ? { snippet: text } : {}),
    data: { language: lang },
  };
}
