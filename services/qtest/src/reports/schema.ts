import { z } from 'zod';

export const TestStatusSchema = z.enum(['passed', 'failed', 'skipped', 'errored']);
export type TestStatus = z.infer<typeof TestStatusSchema>;

export const TestFailureSchema = z.object({
  message: z.string(),
  type: z.string().optional(),
  stack: z.string().optional(),
});

export const TestCaseSchema = z.object({
  /** Unique within the report: suite or file, then the test's name. */
  id: z.string(),
  name: z.string(),
  suite: z.string().optional(),
  file: z.string().optional(),
  status: TestStatusSchema,
  durationMs: z.number().nonnegative(),
  failure: TestFailureSchema.optional(),
  output: z.string().optional(),
});
export type TestCase = z.infer<typeof TestCaseSchema>;

export const TestTotalsSchema = z.object({
  tests: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  errored: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export type TestTotals = z.infer<typeof TestTotalsSchema>;

export const TestSuiteSchema = z.object({
  name: z.string(),
  file: z.string().optional(),
  totals: TestTotalsSchema,
});
export type TestSuite = z.infer<typeof TestSuiteSchema>;

export const TestReportSchema = z.object({
  runner: z.string(),
  totals: TestTotalsSchema,
  suites: z.array(TestSuiteSchema).optional(),
  tests: z.array(TestCaseSchema),
});
export type TestReport = z.infer<typeof TestReportSchema>;

/**
 * covered/total with pct rounded to 2 decimals. Convention: a total of 0 gives pct 100
 * (nothing to cover is fully covered). Istanbul truncates instead (5/9 → 55.55, here 55.56);
 * covered and total are always the tool's numbers.
 */
export const CoverageMetricSchema = z.object({
  covered: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  pct: z.number().min(0).max(100),
});
export type CoverageMetric = z.infer<typeof CoverageMetricSchema>;

/** An inclusive range of uncovered lines; lines with no code inside it do not split it. */
export const LineRangeSchema = z.object({
  start: z.number().int().positive(),
  end: z.number().int().positive(),
});
export type LineRange = z.infer<typeof LineRangeSchema>;

export const CoverageFormatSchema = z.enum([
  'lcov',
  'istanbul',
  'istanbul-summary',
  'cobertura',
  'jacoco',
  'go',
  'coverage.py',
]);
export type CoverageFormat = z.infer<typeof CoverageFormatSchema>;

export const CoverageTotalsSchema = z.object({
  lines: CoverageMetricSchema,
  branches: CoverageMetricSchema,
  functions: CoverageMetricSchema,
  statements: CoverageMetricSchema.optional(),
});
export type CoverageTotals = z.infer<typeof CoverageTotalsSchema>;

export const FileCoverageSchema = CoverageTotalsSchema.extend({
  path: z.string(),
  uncovered: z.array(LineRangeSchema),
});
export type FileCoverage = z.infer<typeof FileCoverageSchema>;

export const CoverageReportSchema = z.object({
  format: CoverageFormatSchema,
  totals: CoverageTotalsSchema,
  files: z.array(FileCoverageSchema),
});
export type CoverageReport = z.infer<typeof CoverageReportSchema>;
