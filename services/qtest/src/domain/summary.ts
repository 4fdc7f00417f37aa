// The summary of a run: what the TestRun message, the TestsCompleted event, the database row and
// `ql qtest run` show. The full report (every test of every run, coverage per file, findings)
// is a blob beside it.
import { z } from 'zod';
import { SecuritySeverityCountsSchema } from '../security/report.js';

const pct = z.number().min(0).max(100).nullable();
const count = z.number().int().nonnegative();

export const RunSummarySchema = z.object({
  runner: z.string(),
  tests: z.object({
    total: count,
    passed: count,
    failed: count,
    skipped: count,
    errored: count,
    flaky: count,
  }),
  runs: count,
  /** Percent 0..100; null when the runner produced no coverage. */
  coverage: z.object({ lines: pct, branches: pct, functions: pct }),
  verdict: z.enum(['accepted', 'rejected', 'inconclusive']),
  failedGates: z.array(z.string()),
  security: SecuritySeverityCountsSchema,
  acceptance: z.object({ total: count, covered: count }),
  /** What the sandbox stopped, and why. */
  stopped: z.object({ by: z.string(), reason: z.string(), step: z.string() }).nullable(),
  healed: count,
  durationMs: count,
});
export type RunSummary = z.infer<typeof RunSummarySchema>;
