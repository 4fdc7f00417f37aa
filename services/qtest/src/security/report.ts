import { z } from 'zod';

// The scan report is stored with the run (blob) and read back by the gate and the CLI, so it is
// a zod schema with the type derived from it, like codegen's ValidationReport.

export const SECURITY_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const SecuritySeveritySchema = z.enum(SECURITY_SEVERITIES);
export type SecuritySeverity = z.infer<typeof SecuritySeveritySchema>;

export const FindingSourceSchema = z.enum(['rule', 'secret', 'dependency']);
export type FindingSource = z.infer<typeof FindingSourceSchema>;

export const SecurityFindingSchema = z.object({
  /** `security/code-eval`, `secrets/aws-access-key-id`, `dependency/vulnerable-package` … */
  rule: z.string().min(1),
  severity: SecuritySeveritySchema,
  /** Project-relative POSIX path. */
  file: z.string(),
  line: z.number().int().min(1).optional(),
  column: z.number().int().min(1).optional(),
  message: z.string(),
  source: FindingSourceSchema,
  /** The offending text, shortened; secrets are masked by the scanner. */
  snippet: z.string().optional(),
  /** Dependency findings: the package and the advisory. */
  advisory: z
    .object({
      id: z.string(),
      aliases: z.array(z.string()),
      ecosystem: z.string(),
      package: z.string(),
      version: z.string(),
      fixed: z.string().optional(),
      severitySource: z.string(),
      dev: z.boolean().optional(),
    })
    .optional(),
});
export type SecurityFinding = z.infer<typeof SecurityFindingSchema>;

export const SecuritySeverityCountsSchema = z.object({
  critical: z.number().int().min(0),
  high: z.number().int().min(0),
  medium: z.number().int().min(0),
  low: z.number().int().min(0),
  info: z.number().int().min(0),
});
export type SecuritySeverityCounts = z.infer<typeof SecuritySeverityCountsSchema>;

export const AuditSummarySchema = z.object({
  /** Lock files read (project-relative); empty when the project has none. */
  lockfiles: z.array(z.string()),
  /** Distinct (ecosystem, name, version) checked. */
  packages: z.number().int().min(0),
  /** Advisories in the database for the ecosystems of those packages. */
  advisoriesChecked: z.number().int().min(0),
  /** Where the database came from (path or label). */
  database: z.string(),
});
export type AuditSummary = z.infer<typeof AuditSummarySchema>;

export const SecurityScanReportSchema = z.object({
  schemaVersion: z.literal(1),
  findings: z.array(SecurityFindingSchema),
  counts: SecuritySeverityCountsSchema,
  /** null: no vulnerability database was configured, so dependencies were NOT audited. */
  audited: AuditSummarySchema.nullable(),
  filesScanned: z.number().int().min(0),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  /**
   * Parts of the scan that did not finish (a check crashed, a lock file did not parse). A report
   * with entries here cannot vouch for the project: the gate fails it.
   */
  incomplete: z.array(z.string()),
  /** Facts a reader needs to judge the result (audit not run, unpinned requirements …). */
  notes: z.array(z.string()),
  /** One line, e.g. "2 findings (1 critical, 1 high) in 14 files; audit: 212 packages …". */
  summary: z.string(),
  durationMs: z.number().min(0),
});
export type SecurityScanReport = z.infer<typeof SecurityScanReportSchema>;
