import { SyntaxTrees } from '../context.js';
import type { SourceFile } from '../files.js';
import { dirname, isTestFile, normalizePath, shorten } from '../files.js';
import { detectLanguage, isJsLike } from '../languages.js';
import type { CheckResult, Finding, Severity } from '../report.js';
import { statusFromFindings } from '../report.js';
import { jsAuthEvidence, jsProtectedMounts, runJsRules } from './javascript.js';
import { runPythonRules } from './python.js';
import type { ProjectFacts, RawFinding, SecurityRuleId, SecurityRuleInfo } from './types.js';

export * from './types.js';

const JS = ['javascript', 'typescript', 'tsx'] as const;
const JS_PY = [...JS, 'python'] as const;

export const SECURITY_RULES: Record<SecurityRuleId, SecurityRuleInfo> = {
  'security/sql-injection': {
    id: 'security/sql-injection',
    severity: 'high',
    title: 'SQL built from non-constant strings',
    fix: 'Use placeholders ($1, ?, :name) or a tagged sql`` template and pass values as parameters. Critical when request data reaches the query.',
    languages: JS_PY,
  },
  'security/command-injection': {
    id: 'security/command-injection',
    severity: 'critical',
    title: 'Shell command built from non-constant input',
    fix: 'Use execFile/spawn (subprocess.run) with an argument array and no shell.',
    languages: JS_PY,
  },
  'security/code-eval': {
    id: 'security/code-eval',
    severity: 'high',
    title: 'Dynamic code evaluation (eval, new Function, vm.*, exec)',
    fix: 'Parse data (JSON.parse / json.loads) or dispatch through an explicit table.',
    languages: JS_PY,
  },
  'security/path-traversal': {
    id: 'security/path-traversal',
    severity: 'high',
    title: 'File-system path from request data without containment check',
    fix: 'path.resolve(root, input) and verify the result startsWith(root + path.sep), or keep only path.basename(input).',
    languages: JS,
  },
  'security/hardcoded-secret': {
    id: 'security/hardcoded-secret',
    severity: 'high',
    title: 'Hard-coded secret or secret fallback',
    fix: 'Read secrets from the environment / a secret store and fail at startup when they are missing.',
    languages: JS_PY,
  },
  'security/weak-password-hash': {
    id: 'security/weak-password-hash',
    severity: 'high',
    title: 'Passwords hashed with MD5/SHA-1',
    fix: 'Use bcrypt, scrypt or argon2 with a per-user salt.',
    languages: JS_PY,
  },
  'security/weak-hash': {
    id: 'security/weak-hash',
    severity: 'low',
    title: 'MD5/SHA-1 used (not for passwords)',
    fix: 'Prefer SHA-256 where collisions matter.',
    languages: JS_PY,
  },
  'security/weak-cipher': {
    id: 'security/weak-cipher',
    severity: 'high',
    title: 'Broken cipher or API (createCipher, DES, RC4, ECB)',
    fix: 'Use createCipheriv with aes-256-gcm and a random IV.',
    languages: JS_PY,
  },
  'security/insecure-random': {
    id: 'security/insecure-random',
    severity: 'high',
    title: 'Math.random / random module used for tokens or secrets',
    fix: 'Use crypto.randomBytes / crypto.randomUUID (Python: secrets).',
    languages: JS_PY,
  },
  'security/missing-authz': {
    id: 'security/missing-authz',
    severity: 'high',
    title: 'Mutating route without auth while the app has auth',
    fix: 'Add the auth preHandler (Fastify) or middleware (Express) to POST/PUT/PATCH/DELETE routes, or an onRequest hook on the plugin.',
    languages: JS,
  },
};

export interface SecurityCheckOptions {
  failOn?: Severity;
  trees?: SyntaxTrees;
  /** Only run these rules (default: all). */
  rules?: readonly SecurityRuleId[];
}

/** Runs the security rules on every JS/TS/Python file; needs the whole set for project facts. */
export async function checkSecurity(
  files: readonly SourceFile[],
  options: SecurityCheckOptions = {},
): Promise<CheckResult> {
  const started = performance.now();
  const failOn = options.failOn ?? 'high';
  const trees = options.trees ?? new SyntaxTrees();
  const enabled = new Set<SecurityRuleId>(
    options.rules ?? (Object.keys(SECURITY_RULES) as SecurityRuleId[]),
  );
  const findings: Finding[] = [];
  let filesChecked = 0;
  const skipped: string[] = [];
  try {
    const parsed = [];
    for (const file of files) {
      const lang = detectLanguage(file.path);
      if (!isJsLike(lang) && lang !== 'python') continue;
      const outcome = await trees.get(file);
      if (!outcome?.ok) {
        skipped.push(file.path);
        continue;
      }
      parsed.push(outcome.parsed);
    }
    const project: ProjectFacts = {
      hasAuth: false,
      protectedFiles: new Set(),
      protectedNames: new Set(),
    };
    const paths = new Set(parsed.map((p) => normalizePath(p.file.path)));
    for (const p of parsed) {
      if (!isJsLike(p.lang) || isTestFile(p.file.path)) continue;
      const evidence = project.hasAuth ? undefined : jsAuthEvidence(p.tree, p.lang);
      if (evidence) {
        project.hasAuth = true;
        project.authEvidence = `${p.file.path} ${evidence}`;
      }
      const mounts = jsProtectedMounts(p.tree, p.lang);
      for (const name of mounts.names) project.protectedNames!.add(name);
      for (const spec of mounts.specifiers) {
        const target = resolveRelative(p.file.path, spec, paths);
        if (target) project.protectedFiles!.add(target);
      }
    }
    for (const p of parsed) {
      filesChecked++;
      const ctx = {
        file: p.file,
        lang: p.lang,
        tree: p.tree,
        project,
        isTest: isTestFile(p.file.path),
      };
      const raw: RawFinding[] = p.lang === 'python' ? runPythonRules(ctx) : runJsRules(ctx);
      for (const r of raw) {
        if (!enabled.has(r.rule)) continue;
        const start = r.node.startPosition;
        const end = r.node.endPosition;
        findings.push({
          check: 'security',
          ruleId: r.rule,
          severity: r.severity ?? SECURITY_RULES[r.rule].severity,
          file: p.file.path,
          line: start.row + 1,
          column: start.column + 1,
          endLine: end.row + 1,
          endColumn: end.column + 1,
          message: r.message,
          snippet:
            r.rule === 'security/hardcoded-secret' ? maskSecret(r.node.text) : shorten(r.node.text),
        });
      }
    }
  } finally {
    if (!options.trees) await trees.dispose();
  }
  return {
    check: 'security',
    status: statusFromFindings(findings, failOn),
    durationMs: performance.now() - started,
    filesChecked,
    findings: dedupe(findings),
    details: { rules: [...enabled].sort(), ...(skipped.length ? { unparsed: skipped } : {}) },
  };
}

/** The file a relative import names, trying the TS-for-JS extension swap and index files. */
function resolveRelative(
  from: string,
  spec: string,
  paths: ReadonlySet<string>,
): string | undefined {
  const parts = [...dirname(normalizePath(from)).split('/').filter(Boolean)];
  for (const seg of spec.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  const base = parts.join('/');
  const stem = base.replace(/\.[cm]?[jt]sx?$/, '');
  const candidates = [
    base,
    ...['.ts', '.tsx', '.js', '.mts', '.mjs', '/index.ts', '/index.js'].map((e) => stem + e),
  ];
  return candidates.find((c) => paths.has(c));
}

function maskSecret(text: string): string {
  const inner = text.replace(/^['"`]|['"`]$/g, '');
  return inner.length <= 4 ? '****' : `${inner.slice(0, 2)}…${'*'.repeat(4)}`;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.ruleId}\u0000${f.file}\u0000${f.line}\u0000${f.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
