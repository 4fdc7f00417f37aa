import type { SourceFile } from './files.js';
import { basename, isLockFile, isProbablyBinary, isTestFile } from './files.js';
import { isPlaceholder, isSecretName } from './security/ast.js';
import type { CheckResult, Finding, Severity } from './report.js';
import { statusFromFindings } from './report.js';

/**
 * Secret scanner. Credentials have recognisable shapes (prefixes, lengths, PEM armour), so this
 * works on the text of every file — configs, .env, YAML, Dockerfiles included — rather than on
 * syntax trees. Each hit must also look random (Shannon entropy) and not be a placeholder, so
 * `sk-your-key-here` or `AKIA…EXAMPLE` in documentation do not fail a build.
 */

export interface SecretPattern {
  id: string;
  title: string;
  severity: Severity;
  regex: RegExp;
  /** Capture group holding the secret (default: whole match). */
  group?: number;
  /** Minimum Shannon entropy (bits per character) of the secret part. */
  minEntropy?: number;
  /** Extra acceptance test on the secret (decodes, checksums …). */
  accept?: (secret: string, match: RegExpExecArray, line: string) => boolean;
  /** Adjusts severity from the match (test keys, local hosts …). */
  severityOf?: (secret: string, match: RegExpExecArray) => Severity;
}

function decodeJwtPart(part: string): unknown {
  try {
    return JSON.parse(
      Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'),
    );
  } catch {
    return undefined;
  }
}

const LOCAL_HOST =
  /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|host\.docker\.internal|[a-z][a-z0-9_-]*)(:\d+)?([/?#]|$)/i;

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'secrets/private-key',
    title: 'Private key (PEM)',
    severity: 'critical',
    regex:
      /-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----([\s\S]{0,200})/g,
    group: 0,
    // Armour alone (docs, regexes, "-----BEGIN PRIVATE KEY-----\n...") is not a key: require a body.
    accept: (_s, m) => /[A-Za-z0-9+/=]{40,}/.test((m[3] ?? '').replace(/\\n|\s/g, '')),
  },
  {
    id: 'secrets/aws-access-key-id',
    title: 'AWS access key id',
    severity: 'critical',
    regex: /\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b/g,
    group: 1,
    minEntropy: 3.0,
    accept: (s) => !/EXAMPLE$/.test(s),
  },
  {
    id: 'secrets/aws-secret-access-key',
    title: 'AWS secret access key',
    severity: 'critical',
    regex:
      /aws_?secret_?(?:access_?)?key\w*["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    minEntropy: 4.0,
    accept: (s) => !/EXAMPLEKEY$/.test(s),
  },
  {
    id: 'secrets/anthropic-api-key',
    title: 'Anthropic API key',
    severity: 'critical',
    regex: /\b(sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,})/g,
    group: 1,
    minEntropy: 4.0,
  },
  {
    id: 'secrets/openai-api-key',
    title: 'OpenAI API key',
    severity: 'critical',
    regex: /\b(sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{32,})/g,
    group: 1,
    minEntropy: 4.0,
  },
  {
    id: 'secrets/github-token',
    title: 'GitHub token',
    severity: 'critical',
    regex: /\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b/g,
    group: 1,
    minEntropy: 3.5,
  },
  {
    id: 'secrets/slack-token',
    title: 'Slack token',
    severity: 'critical',
    regex:
      /\b(xox[baprse]-(?:\d+-)+[A-Za-z0-9-]{10,}|xox[baprse]-[A-Za-z0-9]{10,}-[A-Za-z0-9-]{10,})/g,
    group: 1,
    minEntropy: 3.0,
  },
  {
    id: 'secrets/slack-webhook',
    title: 'Slack incoming webhook URL',
    severity: 'high',
    regex:
      /(https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{20,})/g,
    group: 1,
  },
  {
    id: 'secrets/stripe-key',
    title: 'Stripe secret or restricted key',
    severity: 'critical',
    regex: /\b((?:sk|rk)_(live|test)_[A-Za-z0-9]{20,})\b/g,
    group: 1,
    minEntropy: 3.5,
    severityOf: (_s, m) => (m[2] === 'live' ? 'critical' : 'high'),
  },
  {
    id: 'secrets/google-api-key',
    title: 'Google API key',
    severity: 'high',
    regex: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g,
    group: 1,
    minEntropy: 3.5,
  },
  {
    id: 'secrets/npm-token',
    title: 'npm access token',
    severity: 'critical',
    regex: /\b(npm_[A-Za-z0-9]{36})\b/g,
    group: 1,
    minEntropy: 3.5,
  },
  {
    id: 'secrets/jwt',
    title: 'JSON Web Token',
    severity: 'high',
    regex: /\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})/g,
    group: 1,
    accept: (s) => {
      const header = decodeJwtPart(s.split('.')[0]!);
      return typeof header === 'object' && header !== null && 'alg' in header;
    },
  },
  {
    id: 'secrets/credentials-in-url',
    title: 'Password in a connection URL',
    severity: 'medium',
    regex: /\b[a-z][a-z0-9+.-]*:\/\/([^:\s/@'"`]+):([^@\s/'"`]+)@([^\s'"`]+)/gi,
    group: 2,
    accept: (s) =>
      !/^\$|^%|^\{|^:/.test(s) &&
      !isPlaceholder(s) &&
      !/^(password|pass|secret|postgres|root|admin|user|guest)$/i.test(s),
    // Compose files and .env.example point at local services with throwaway passwords.
    severityOf: (_s, m) => (LOCAL_HOST.test(m[3] ?? '') ? 'low' : 'medium'),
  },
];

const GENERIC_ID = 'secrets/generic-secret';
const CONFIG_FILE =
  /(^|\/)(\.env(\..+)?|[^/]+\.(ya?ml|toml|ini|cfg|conf|properties)|Dockerfile[^/]*|docker-compose[^/]*|compose\.ya?ml|\.npmrc|\.pypirc)$/i;
/** name = "value" / name: value / NAME=value, with the name ending in a secret noun. */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_])(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1\s*(?::=|=>|=|:)\s*(?:(["'`])([^"'`\r\n]{12,}?)\3|([^\s"'`,;#]{16,}))/g;
const NON_PRODUCTION =
  /(^|[-_.:])(test|testing|tests|dev|development|local|ci|e2e|fake|dummy|sample|insecure|unsafe|example|not[-_]?a[-_]?secret|do[-_]?not[-_]?use)([-_.:]|$)/i;
const ALLOW_COMMENT = /pragma:\s*allowlist[ -]secret|ql-allow-secret|gitleaks:allow|nosec/i;

export function shannonEntropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function mask(secret: string): string {
  const visible = Math.min(6, Math.floor(secret.length / 4));
  return `${secret.slice(0, visible)}${'*'.repeat(8)}`;
}

function looksLikeReference(value: string): boolean {
  return (
    /\$\{|\{\{|^\$[A-Z_]|process\.env|import\.meta|os\.environ|getenv|env\(|secrets\.|vault:|arn:aws:secretsmanager|^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/i.test(
      value,
    ) || /^[A-Z][A-Z0-9_]+$/.test(value)
  );
}

export interface SecretScanOptions {
  failOn?: Severity;
  /** Extra patterns (e.g. an internal token format). */
  patterns?: readonly SecretPattern[];
  /** Minimum entropy for generic `secret = "…"` assignments (bits/char, default 3.5). */
  genericMinEntropy?: number;
}

export function scanFileForSecrets(file: SourceFile, options: SecretScanOptions = {}): Finding[] {
  if (isProbablyBinary(file.content) || isLockFile(file.path)) return [];
  const patterns = [...SECRET_PATTERNS, ...(options.patterns ?? [])];
  const genericMin = options.genericMinEntropy ?? 3.5;
  const findings: Finding[] = [];
  const lines = file.content.split('\n');
  const lineStarts: number[] = [];
  let offset = 0;
  for (const l of lines) {
    lineStarts.push(offset);
    offset += l.length + 1;
  }
  const lineOf = (index: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const covered: Array<[number, number]> = [];
  const test = isTestFile(file.path);

  for (const p of patterns) {
    const re = new RegExp(
      p.regex.source,
      p.regex.flags.includes('g') ? p.regex.flags : `${p.regex.flags}g`,
    );
    for (let m = re.exec(file.content); m; m = re.exec(file.content)) {
      const secret = m[p.group ?? 0] ?? m[0];
      const start = m.index + (p.group ? m[0].indexOf(secret) : 0);
      const row = lineOf(start);
      const line = lines[row] ?? '';
      if (ALLOW_COMMENT.test(line)) continue;
      if (p.minEntropy !== undefined && shannonEntropy(secret) < p.minEntropy) continue;
      if (
        p.id !== 'secrets/private-key' &&
        isPlaceholder(
          secret.replace(/^(sk|rk)_(live|test)_|^sk-(proj-)?|^gh[pousr]_|^xox[baprse]-/, ''),
        )
      )
        continue;
      if (p.accept && !p.accept(secret, m, line)) continue;
      let severity = p.severityOf ? p.severityOf(secret, m) : p.severity;
      if (test && p.id === 'secrets/jwt') severity = 'medium'; // sample tokens in tests are usually unsigned fakes
      covered.push([start, start + secret.length]);
      findings.push({
        check: 'secrets',
        ruleId: p.id,
        severity,
        file: file.path,
        line: row + 1,
        column: start - lineStarts[row]! + 1,
        message: `${p.title} in source; revoke it and load it from the environment or a secret store`,
        snippet: mask(secret),
      });
    }
  }

  // Generic: a secret-named key assigned a random-looking literal. Tests hold fake ones on purpose.
  if (!test) {
    const config = CONFIG_FILE.test(file.path) || basename(file.path).startsWith('.env');
    const assignment = new RegExp(ASSIGNMENT.source, ASSIGNMENT.flags);
    for (let m = assignment.exec(file.content); m; m = assignment.exec(file.content)) {
      const name = m[2]!;
      const quoted = m[4];
      const value = quoted ?? m[5];
      if (!value || (!quoted && !config)) continue;
      const key = name.split('.').pop()!;
      if (!isSecretName(key)) continue;
      const start = m.index + m[0].lastIndexOf(value);
      if (covered.some(([a, b]) => start < b && start + value.length > a)) continue;
      const row = lineOf(start);
      if (ALLOW_COMMENT.test(lines[row] ?? '')) continue;
      if (
        value.length < 12 ||
        /\s/.test(value.trim()) ||
        isPlaceholder(value) ||
        looksLikeReference(value)
      )
        continue;
      if (shannonEntropy(value) < genericMin || !/[0-9]/.test(value) || !/[A-Za-z]/.test(value))
        continue;
      // CI/dev-only values say so ("test-jwt-secret-0123…"); real ones rarely do.
      if (NON_PRODUCTION.test(value)) continue;
      findings.push({
        check: 'secrets',
        ruleId: GENERIC_ID,
        severity: 'high',
        file: file.path,
        line: row + 1,
        column: start - lineStarts[row]! + 1,
        message: `${name} holds a high-entropy literal that looks like a credential; load it from the environment`,
        snippet: mask(value),
      });
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

export async function scanSecrets(
  files: readonly SourceFile[],
  options: SecretScanOptions = {},
): Promise<CheckResult> {
  const started = performance.now();
  const failOn = options.failOn ?? 'high';
  const findings: Finding[] = [];
  let filesChecked = 0;
  for (const file of files) {
    if (isProbablyBinary(file.content) || isLockFile(file.path)) continue;
    filesChecked++;
    findings.push(...scanFileForSecrets(file, options));
  }
  await Promise.resolve();
  return {
    check: 'secrets',
    status: statusFromFindings(findings, failOn),
    durationMs: performance.now() - started,
    filesChecked,
    findings,
    details: { patterns: SECRET_PATTERNS.length + (options.patterns?.length ?? 0) + 1 },
  };
}
