import type { Migration } from '@quantumlayer/kit';

/**
 * One row per quality-gate run; the full report is a blob (`report_key`), the row keeps the
 * summary a TestRun message and the next run of the same generation need (self-healing compares
 * with the last run's report). SQL both PostgreSQL 15 and PGlite accept.
 */
export const qtestMigrations: Migration[] = [
  {
    id: 'qtest_0001_runs',
    statements: [
      `CREATE TABLE IF NOT EXISTS qtest_runs (
        tenant_id text NOT NULL,
        run_id text NOT NULL,
        generation_id text NOT NULL DEFAULT '',
        manifest_digest text NOT NULL DEFAULT '',
        attempt integer NOT NULL DEFAULT 0,
        capsule_key text NOT NULL DEFAULT '',
        verdict text NOT NULL,
        summary jsonb NOT NULL,
        report_key text NOT NULL,
        report_size bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, run_id)
      )`,
      `CREATE INDEX IF NOT EXISTS qtest_runs_by_generation
        ON qtest_runs (tenant_id, generation_id, created_at DESC)`,
    ],
  },
];
