import { validate } from '@quantumlayer/codegen';
import type { Finding } from '@quantumlayer/codegen';
import type { ProjectFile, ReadProjectOptions } from './files.js';
import { readProjectFiles } from './files.js';
import type { LockedPackage } from './lockfiles.js';
import { parseLockfile } from './lockfiles.js';
import type { VulnDb } from './osv.js';
import { loadVulnDb } from './osv.js';
import type {
  AuditSummary,
  SecurityFinding,
  SecurityScanReport,
  SecuritySeverity,
  SecuritySeverityCounts,
} from './report.js';
import { SECURITY_SEVERITIES } from './report.js';
import type { Ecosystem } from './versions.js';

export interface ScanProjectOptions extends ReadProjectOptions {
  /** Project root on disk. */
  dir: string;
  /**
   * OSV vulnerability database: a path (directory of OSV JSON files, or one JSON file) or an
   * already loaded VulnDb (load once, scan many projects). Absent: the audit is not run.
   */
  vulnDb?: string | VulnDb;
}

export const DEPENDENCY_RULE = 'dependency/vulnerable-package';

/**
 * Security scan of a project on disk: codegen's security rules and secret scanner (the same
 * validators generated code went through, called through codegen's `validate`), plus an audit
 * of the lock files against an OSV snapshot when one is given.
 */
export async function scanProject(options: ScanProjectOptions): Promise<SecurityScanReport> {
  const started = performance.now();
  const { files, lockfiles, skipped, unauditedLockfiles } = await readProjectFiles(
    options.dir,
    options,
  );
  const findings: SecurityFinding[] = [];
  const incomplete: string[] = [];
  const notes: string[] = [];

  let filesScanned = 0;
  if (files.length > 0) {
    let report;
    try {
      report = await validate(files, { checks: ['security', 'secrets'], failOn: 'high' });
    } catch (err) {
      // validate() refuses odd input (e.g. two paths that normalise alike) before any check runs.
      incomplete.push(`security and secrets: ${(err as Error).message}`);
    }
    for (const check of report ? [report.checks.security, report.checks.secrets] : []) {
      if (check.status === 'error') incomplete.push(`${check.check}: ${check.error ?? 'failed'}`);
      const unparsed = check.details?.['unparsed'];
      if (Array.isArray(unparsed) && unparsed.length > 0) {
        notes.push(
          `security rules skipped ${unparsed.length} files that do not parse: ${list(unparsed)}`,
        );
      }
      for (const f of check.findings) findings.push(fromCodegen(f));
    }
    if (report) {
      filesScanned = Math.max(
        report.checks.security.filesChecked,
        report.checks.secrets.filesChecked,
      );
    }
  }
  const tooBig = skipped.filter((s) => s.reason === 'too-large' || s.reason === 'limit');
  if (tooBig.length > 0) {
    notes.push(`not scanned (size limits): ${list(tooBig.map((s) => s.path))}`);
  }

  let audited: AuditSummary | null = null;
  if (options.vulnDb === undefined) {
    notes.push('dependency audit not run: no vulnerability database configured');
  } else {
    const db =
      typeof options.vulnDb === 'string' ? await loadVulnDb(options.vulnDb) : options.vulnDb;
    audited = audit(db, lockfiles, findings, incomplete, notes);
    if (unauditedLockfiles.length > 0) {
      notes.push(`lock file formats not audited: ${list(unauditedLockfiles)}`);
    }
  }

  findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      rank(b.severity) - rank(a.severity) ||
      a.rule.localeCompare(b.rule),
  );
  const counts = countBySeverity(findings);
  return {
    schemaVersion: 1,
    findings,
    counts,
    audited,
    filesScanned,
    skipped,
    incomplete,
    notes,
    summary: summarize(findings.length, counts, filesScanned, audited, incomplete),
    durationMs: performance.now() - started,
  };
}

function fromCodegen(f: Finding): SecurityFinding {
  return {
    rule: f.ruleId,
    severity: f.severity,
    file: f.file,
    line: f.line,
    column: f.column,
    message: f.message,
    source: f.check === 'secrets' ? 'secret' : 'rule',
    ...(f.snippet ? { snippet: f.snippet } : {}),
  };
}

function audit(
  db: VulnDb,
  lockfiles: readonly ProjectFile[],
  findings: SecurityFinding[],
  incomplete: string[],
  notes: string[],
): AuditSummary {
  const packages: LockedPackage[] = [];
  const read: string[] = [];
  for (const lock of lockfiles) {
    try {
      const parsed = parseLockfile(lock.path, lock.content);
      if (!parsed) continue;
      read.push(lock.path);
      packages.push(...parsed.packages);
      notes.push(...parsed.notes);
    } catch (err) {
      incomplete.push(`dependency audit: ${(err as Error).message}`);
    }
  }
  if (read.length === 0) notes.push('dependency audit: the project has no lock file to audit');
  const ecosystems = new Set<Ecosystem>();
  const distinct = new Set<string>();
  for (const pkg of packages) {
    ecosystems.add(pkg.ecosystem);
    distinct.add(`${pkg.ecosystem}\u0000${pkg.name}\u0000${pkg.version}`);
    for (const vuln of db.lookup(pkg.ecosystem, pkg.name, pkg.version)) {
      const ids = [vuln.id, ...vuln.aliases.filter((a) => a !== vuln.id)].slice(0, 3).join(', ');
      findings.push({
        rule: DEPENDENCY_RULE,
        severity: vuln.severity,
        file: pkg.file,
        ...(pkg.line ? { line: pkg.line } : {}),
        message:
          `${pkg.name}@${pkg.version}${pkg.dev ? ' (dev)' : ''}: ${vuln.summary} (${ids}); ` +
          (vuln.fixed ? `fixed in ${vuln.fixed}` : 'no fixed version'),
        source: 'dependency',
        advisory: {
          id: vuln.id,
          aliases: vuln.aliases,
          ecosystem: pkg.ecosystem,
          package: pkg.name,
          version: pkg.version,
          ...(vuln.fixed ? { fixed: vuln.fixed } : {}),
          severitySource: vuln.severitySource,
          ...(pkg.dev ? { dev: true } : {}),
        },
      });
    }
  }
  return {
    lockfiles: read,
    packages: distinct.size,
    advisoriesChecked: db.advisoriesFor(ecosystems),
    database: db.source,
  };
}

function rank(s: SecuritySeverity): number {
  return SECURITY_SEVERITIES.indexOf(s);
}

function countBySeverity(findings: readonly SecurityFinding[]): SecuritySeverityCounts {
  const counts: SecuritySeverityCounts = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function list(items: readonly string[], max = 10): string {
  return (
    items.slice(0, max).join(', ') + (items.length > max ? `, … (${items.length} in all)` : '')
  );
}

function summarize(
  n: number,
  counts: SecuritySeverityCounts,
  files: number,
  audited: AuditSummary | null,
  incomplete: readonly string[],
): string {
  const parts = [...SECURITY_SEVERITIES]
    .reverse()
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`);
  const head =
    `${n} finding${n === 1 ? '' : 's'}` +
    (parts.length ? ` (${parts.join(', ')})` : '') +
    ` in ${files} file${files === 1 ? '' : 's'}`;
  const auditText = audited
    ? `dependency audit: ${audited.packages} packages from ${audited.lockfiles.length} lock file${audited.lockfiles.length === 1 ? '' : 's'} against ${audited.advisoriesChecked} advisories`
    : 'dependency audit not run (no vulnerability database)';
  const unsure = incomplete.length
    ? `; incomplete: ${incomplete.length} part(s) did not finish`
    : '';
  return `${head}; ${auditText}${unsure}`;
}

export interface SecurityGateOptions {
  /** Findings at or above this severity fail (default `high`, DESIGN §6). */
  failOn?: SecuritySeverity;
}

/**
 * DESIGN §6: no high-severity security finding, no secret. Any secret fails whatever its
 * severity (a low-rated one is still a credential in the capsule), and so does a scan that did
 * not finish: an incomplete scan cannot vouch for the absence of findings.
 */
export function securityGate(
  report: SecurityScanReport,
  options: SecurityGateOptions = {},
): { ok: boolean; reasons: string[] } {
  const threshold = rank(options.failOn ?? 'high');
  const reasons: string[] = [];
  for (const f of report.findings) {
    const where = `${f.file}${f.line ? `:${f.line}` : ''}`;
    if (f.source === 'secret') reasons.push(`secret: ${f.rule} in ${where}`);
    else if (rank(f.severity) >= threshold) {
      reasons.push(
        f.source === 'dependency'
          ? `${f.severity} vulnerable dependency: ${f.message} (${where})`
          : `${f.severity} security finding: ${f.rule} in ${where}: ${f.message}`,
      );
    }
  }
  for (const part of report.incomplete) reasons.push(`security scan incomplete: ${part}`);
  return { ok: reasons.length === 0, reasons };
}
