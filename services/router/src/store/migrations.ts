import type { Migration } from '@quantumlayer/kit';

/**
 * The router's tables, in its own schema. SQL that both PostgreSQL 15 and PGlite (18) accept,
 * one statement per entry.
 */
export const routerMigrations: Migration[] = [
  {
    // No longer written: usage is UsageRecorded events only (billing keeps the ledger). Dropped
    // in a later release, once no router that still inserts into it can be running (dropping it
    // now would fail every usage batch of the old replicas during a rolling deploy).
    id: 'router_0001_usage',
    statements: [
      `CREATE TABLE IF NOT EXISTS router_usage (
        seq bigserial PRIMARY KEY,
        request_id text NOT NULL,
        tenant_id text NOT NULL,
        generation_id text NOT NULL DEFAULT '',
        kind text NOT NULL,
        provider text NOT NULL,
        model text NOT NULL,
        outcome text NOT NULL,
        input_tokens integer NOT NULL,
        output_tokens integer NOT NULL,
        cached_input_tokens integer NOT NULL DEFAULT 0,
        cost_micros bigint NOT NULL,
        latency_ms integer NOT NULL,
        ttft_ms integer NOT NULL DEFAULT 0,
        attempt_count integer NOT NULL,
        caller text NOT NULL DEFAULT '',
        step_id text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX IF NOT EXISTS router_usage_tenant_time ON router_usage (tenant_id, created_at)`,
      `CREATE INDEX IF NOT EXISTS router_usage_generation ON router_usage (tenant_id, generation_id) WHERE generation_id <> ''`,
    ],
  },
  {
    id: 'router_0002_generation_budget',
    statements: [
      `CREATE TABLE IF NOT EXISTS router_generation_spend (
        tenant_id text NOT NULL,
        generation_id text NOT NULL,
        spent_micros bigint NOT NULL DEFAULT 0,
        reserved_micros bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, generation_id)
      )`,
      `CREATE TABLE IF NOT EXISTS router_settled_requests (
        tenant_id text NOT NULL,
        generation_id text NOT NULL,
        request_id text NOT NULL,
        settled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, generation_id, request_id)
      )`,
    ],
  },
];
