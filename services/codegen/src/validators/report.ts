import { z } from 'zod';

/**
 * The ValidationReport is an artifact in its own right: the capsule records it and agent mode
 * feeds its findings back to the repair loop, so it is a zod schema (validated at the process
 * boundary) with the TS type derived from it.
 */

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

export const CHECK_NAMES = ['syntax', 'typecheck', 'security', 'secrets', 'dependencies'] as const;
export const CheckNameSchema = z.enum(CHECK_NAMES);
export type CheckName = z.infer<typeof CheckNameSchema>;

/**
 * passed: ran and found nothing at or above the blocking severity.
 * failed: at least one blocking finding.
 * incomplete: ran, but could not decide something (e.g. registry unreachable) — never "passed".
 * skipped: not requested, or nothing it applies to.
 * error: the check itself crashed; `error` says why.
 */
export const CHECK_STATUSES = ['passed', 'failed', 'incomplete', 'skipped', 'error'] as const;
export const CheckStatusSchema = z.enum(CHECK_STATUSES);
export type CheckStatus = z.infer<typeof CheckStatusSchema>;

export const FindingSchema = z.object({
  check: CheckNameSchema,
  /** Stable id of the rule, e.g. `syntax/error`, `security/sql-injection`, `TS2322`. */
  ruleId: z.string().min(1),
  severity: SeveritySchema,
  /** Path of the file as given in the input file set ('' for project-level findings). */
  file: z.string(),
  /** 1-based line and column (column counts UTF-16 code units, as editors do). */
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  endLine: z.number().int().min(1).optional(),
  endColumn: z.number().int().min(1).optional(),
  message: z.string(),
  /** The offending source text, shortened; secrets are masked. */
  snippet: z.string().optional(),
  /** Rule-specific structured data (package name, version range, language …). */
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const CheckResultSchema = z.object({
  check: CheckNameSchema,
  status: CheckStatusSchema,
  durationMs: z.number().min(0),
  filesChecked: z.number().int().min(0),
  findings: z.array(FindingSchema),
  /** Set when status is `error` (or a partial failure inside an otherwise finished check). */
  error: z.string().optional(),
  /** Free-form facts about the run, e.g. languages parsed, packages looked up. */
  details: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
    .optional(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

const countsBySeverity = z.object({
  info: z.number().int().min(0),
  low: z.number().int().min(0),
  medium: z.number().int().min(0),
  high: z.number().int().min(0),
  critical: z.number().int().min(0),
});

export const ReportStatusSchema = z.enum(['passed', 'failed', 'incomplete']);
export type ReportStatus = z.infer<typeof ReportStatusSchema>;

export const ValidationSummarySchema = z.object({
  files: z.number().int().min(0),
  findings: z.number().int().min(0),
  /** Findings at or above `failOn`. */
  blocking: z.number().int().min(0),
  bySeverity: countsBySeverity,
  byCheck: z.object({
    syntax: z.number().int().min(0),
    typecheck: z.number().int().min(0),
    security: z.number().int().min(0),
    secrets: z.number().int().min(0),
    dependencies: z.number().int().min(0),
  }),
  /** One human line, e.g. "failed: 3 findings (1 critical, 2 high) in 12 files". */
  text: z.string(),
});
export type ValidationSummary = z.infer<typeof ValidationSummarySchema>;

export const ValidationReportSchema = z.object({
  schemaVersion: z.literal(1),
  status: ReportStatusSchema,
  /** Findings of this severity or worse fail the report. */
  failOn: SeveritySchema,
  startedAt: z.string(),
  durationMs: z.number().min(0),
  checks: z.object({
    syntax: CheckResultSchema,
    typecheck: CheckResultSchema,
    security: CheckResultSchema,
    secrets: CheckResultSchema,
    dependencies: CheckResultSchema,
  }),
  summary: ValidationSummarySchema,
});
export type ValidationReport = z.infer<typeof ValidationReportSchema>;

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/** Sorts by file, then position, then severity (worst first), so reports diff cleanly. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      severityRank(b.severity) - severityRank(a.severity) ||
      a.ruleId.localeCompare(b.ruleId),
  );
}

/** The status a finished check gets from its findings. */
export function statusFromFindings(
  findings: readonly Finding[],
  failOn: Severity,
  incomplete = false,
): CheckStatus {
  if (findings.some((f) => atLeast(f.severity, failOn))) return 'failed';
  return incomplete ? 'incomplete' : 'passed';
}

export function skippedCheck(check: CheckName, reason: string): CheckResult {
  return {
    check,
    status: 'skipped',
    durationMs: 0,
    filesChecked: 0,
    findings: [],
    details: { reason },
  };
}

export function summarize(
  checks: ValidationReport['checks'],
  files: number,
  failOn: Severity,
): { status: ReportStatus; summary: ValidationSummary } {
  const bySeverity = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
  const byCheck = { syntax: 0, typecheck: 0, security: 0, secrets: 0, dependencies: 0 };
  let blocking = 0;
  let findings = 0;
  for (const name of CHECK_NAMES) {
    for (const f of checks[name].findings) {
      findings++;
      bySeverity[f.severity]++;
      byCheck[name]++;
      if (atLeast(f.severity, failOn)) blocking++;
    }
  }
  const results = CHECK_NAMES.map((n) => checks[n]);
  const status: ReportStatus =
    blocking > 0 || results.some((c) => c.status === 'failed')
      ? 'failed'
      : results.some((c) => c.status === 'incomplete' || c.status === 'error')
        ? 'incomplete'
        : 'passed';
  const parts = [...SEVERITIES]
    .reverse()
    .filter((s) => bySeverity[s] > 0)
    .map((s) => `${bySeverity[s]} ${s}`);
  const unsure = results.filter((c) => c.status === 'incomplete' || c.status === 'error');
  const text =
    `${status}: ${findings} finding${findings === 1 ? '' : 's'}` +
    (parts.length ? ` (${parts.join(', ')})` : '') +
    ` in ${files} file${files === 1 ? '' : 's'}` +
    (unsure.length ? `; not conclusive: ${unsure.map((c) => c.check).join(', ')}` : '');
  return { status, summary: { files, findings, blocking, bySeverity, byCheck, text } };
}
