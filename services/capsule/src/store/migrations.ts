import type { Migration } from '@quantumlayer/kit';

/**
 * One row per stored capsule (the archive itself is a blob). The id is the archive's sha256, so
 * building the same inputs again finds the existing row. SQL both PostgreSQL 15 and PGlite accept.
 */
export const capsuleMigrations: Migration[] = [
  {
    id: 'capsule_0001_capsules',
    statements: [
      `CREATE TABLE IF NOT EXISTS capsule_capsules (
        tenant_id text NOT NULL,
        capsule_id text NOT NULL,
        generation_id text NOT NULL DEFAULT '',
        app_name text NOT NULL,
        app_version text NOT NULL,
        file_name text NOT NULL,
        archive_key text NOT NULL,
        archive_size bigint NOT NULL,
        manifest_digest text NOT NULL,
        manifest_key text NOT NULL,
        manifest_size bigint NOT NULL,
        sbom_key text NOT NULL,
        sbom_size bigint NOT NULL,
        signing_key_id text NOT NULL,
        file_count integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, capsule_id)
      )`,
      `CREATE INDEX IF NOT EXISTS capsule_capsules_by_time
        ON capsule_capsules (tenant_id, created_at DESC, capsule_id)`,
      `CREATE INDEX IF NOT EXISTS capsule_capsules_by_generation
        ON capsule_capsules (tenant_id, generation_id)`,
    ],
  },
];
