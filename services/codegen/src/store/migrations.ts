import type { Migration } from '@quantumlayer/kit';

/**
 * The codegen service's record of what it did for each generation: one row per stage and
 * attempt, with the blobs it produced. Written in the same transaction as the inbox entry and the
 * outbox event, so a row exists exactly when its event was (or will be) published.
 * SQL that both PostgreSQL 15 and PGlite accept, one statement per entry.
 */
export const codegenMigrations: Migration[] = [
  {
    id: 'codegen_0001_runs',
    statements: [
      `CREATE TABLE IF NOT EXISTS codegen_runs (
        tenant_id text NOT NULL,
        generation_id text NOT NULL,
        stage text NOT NULL,
        attempt integer NOT NULL DEFAULT 0,
        outcome text NOT NULL,
        app_name text NOT NULL DEFAULT '',
        requirements_key text NOT NULL DEFAULT '',
        blueprint_key text NOT NULL DEFAULT '',
        fileset_key text NOT NULL DEFAULT '',
        report_key text NOT NULL DEFAULT '',
        detail text NOT NULL DEFAULT '',
        duration_ms integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, generation_id, stage, attempt)
      )`,
    ],
  },
];
