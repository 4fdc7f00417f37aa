import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Pool, PoolClient } from 'pg';

/**
 * One database handle per service: drizzle over `pg` when a URL is configured, or over PGlite
 * (in-process PostgreSQL) in embedded mode. Each service lives in its own Postgres schema; the
 * connection's search_path points there, so tables are declared unqualified with `pgTable` and
 * the same code runs in any schema (tests use a schema of their own per run).
 */
export type DrizzleDb = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export interface QueryResult<R> {
  rows: R[];
  /** Rows inserted, updated or deleted by the statement (0 for plain SELECTs on PGlite). */
  rowCount: number;
}

/** What both a database and an open transaction offer: drizzle plus raw parameterized SQL. */
export interface SqlExecutor {
  readonly drizzle: DrizzleDb;
  /** Runs one statement with `$1…$n` placeholders. */
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>>;
}

export interface Migration {
  /** Unique, ordered id such as `0001_outbox`. Applied ids are recorded and never re-run. */
  id: string;
  /** One statement per entry: PGlite refuses several statements in one prepared query. */
  statements: string[];
}

export interface Database extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  readonly schema: string;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Applies pending migrations in order, under a lock; returns the ids it applied. */
  migrate(migrations: readonly Migration[]): Promise<string[]>;
  /** Round trip used by readiness checks. */
  ping(): Promise<void>;
  /** Drops the service schema and everything in it (tests clean up with this). */
  dropSchema(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `postgres://…` — unset means embedded PGlite. */
  url?: string | undefined;
  /** The service's schema, e.g. `router`. Letters, digits and `_` only. */
  schema: string;
  /** PGlite data directory; unset keeps the embedded database in memory. */
  dataDir?: string | undefined;
  /** Pool size for `pg`. */
  maxConnections?: number;
  applicationName?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `database schema "${schema}": must be lower-case letters, digits or _ (max 63), starting with a letter or _`,
    );
  }
}

const quote = (ident: string) => `"${ident}"`;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  assertSchemaName(options.schema);
  const schema = options.schema;
  let drizzle: DrizzleDb;
  let closeDriver: () => Promise<void>;
  let kind: Database['kind'];
  // Raw SQL goes straight to the driver: converting `$n` text into drizzle's SQL objects cost
  // more CPU than small statements themselves (the bus's inbox and outbox are on this path).
  let base: SqlExecutor;
  let transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => Promise<T>;

  if (options.url) {
    const [{ default: pg }, { drizzle: drizzlePg }] = await Promise.all([
      import('pg'),
      import('drizzle-orm/node-postgres'),
    ]);
    // The schema must exist before a pooled connection can use it in search_path.
    const bootstrap = new pg.Client({ connectionString: options.url });
    await bootstrap.connect();
    try {
      await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`);
    } catch (err) {
      // Concurrent CREATE SCHEMA IF NOT EXISTS can still race on the catalog's unique index.
      if ((err as { code?: string }).code !== '23505') throw err;
    } finally {
      await bootstrap.end();
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      application_name: options.applicationName ?? `ql-${schema}`,
      options: `-c search_path=${quote(schema)},public`,
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    drizzle = drizzlePg(pool) as unknown as DrizzleDb;
    const on = (client: Pool | PoolClient, d: DrizzleDb): SqlExecutor => ({
      drizzle: d,
      async query<R>(text: string, params?: readonly unknown[]) {
        const r = await client.query(text, params as unknown[] | undefined);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      },
    });
    base = on(pool, drizzle);
    transaction = async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(on(client, drizzlePg(client) as unknown as DrizzleDb));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    };
    closeDriver = () => pool.end();
    kind = 'postgres';
  } else {
    const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('drizzle-orm/pglite'),
    ]);
    const client = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
    await client.exec(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`);
    // PGlite is a single connection, so setting search_path once covers every query.
    await client.exec(`SET search_path TO ${quote(schema)}, public`);
    drizzle = drizzlePglite(client) as unknown as DrizzleDb;
    type Queryable = Pick<typeof client, 'query'>;
    const on = (c: Queryable, d: DrizzleDb): SqlExecutor => ({
      drizzle: d,
      async query<R>(text: string, params?: readonly unknown[]) {
        const r = await c.query<R>(text, params as unknown[] | undefined);
        return { rows: r.rows, rowCount: r.affectedRows ?? 0 };
      },
    });
    base = on(client, drizzle);
    // PGlite's transaction holds its connection lock: other queries wait until it ends. Drizzle
    // runs its own PGlite transactions the same way, over the transaction object.
    transaction = (fn) =>
      client.transaction((tx) =>
        fn(on(tx, drizzlePglite(tx as unknown as typeof client) as unknown as DrizzleDb)),
      );
    closeDriver = () => client.close();
    kind = 'pglite';
  }

  let closed = false;

  const db: Database = {
    ...base,
    kind,
    schema,
    transaction,
    async migrate(migrations) {
      const ids = new Set<string>();
      for (const m of migrations) {
        if (ids.has(m.id)) throw new Error(`migration ${m.id}: duplicate id`);
        ids.add(m.id);
      }
      await base.query(
        `CREATE TABLE IF NOT EXISTS ql_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      return db.transaction(async (tx) => {
        // Several replicas starting at once: one applies, the others wait and then see it done.
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`ql_migrations:${schema}`]);
        const done = new Set(
          (await tx.query<{ id: string }>(`SELECT id FROM ql_migrations`)).rows.map((r) => r.id),
        );
        const applied: string[] = [];
        for (const m of migrations) {
          if (done.has(m.id)) continue;
          for (const statement of m.statements) {
            try {
              await tx.query(statement);
            } catch (err) {
              throw new Error(`migration ${m.id} failed: ${(err as Error).message}`, {
                cause: err,
              });
            }
          }
          await tx.query(`INSERT INTO ql_migrations (id) VALUES ($1)`, [m.id]);
          applied.push(m.id);
        }
        return applied;
      });
    },
    async ping() {
      await base.query('SELECT 1');
    },
    async dropSchema() {
      await base.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeDriver();
    },
  };
  return db;
}
