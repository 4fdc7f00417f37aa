import { and, eq } from 'drizzle-orm';
import { integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { openDatabase, type Database, type Migration } from '../src/db/index.js';
import { TEST_DATABASE_URL, uniqueName } from './support/env.js';

// A small tenant-scoped repository, as a service would write one.
const projects = pgTable(
  'projects',
  {
    tenantId: text('tenant_id').notNull(),
    id: text('id').notNull(),
    name: text('name').notNull(),
    revision: integer('revision').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('projects_pk').on(t.tenantId, t.id)],
);

const migrations: Migration[] = [
  {
    id: '0001_projects',
    statements: [
      `CREATE TABLE IF NOT EXISTS projects (tenant_id text NOT NULL, id text NOT NULL, name text NOT NULL, revision integer NOT NULL DEFAULT 1, created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE UNIQUE INDEX IF NOT EXISTS projects_pk ON projects (tenant_id, id)`,
    ],
  },
  {
    id: '0002_projects_name_idx',
    statements: [`CREATE INDEX IF NOT EXISTS projects_name ON projects (name)`],
  },
];

class ProjectRepository {
  constructor(private readonly db: Database) {}
  async create(tenantId: string, id: string, name: string) {
    await this.db.drizzle.insert(projects).values({ tenantId, id, name });
  }
  async get(tenantId: string, id: string) {
    const rows = await this.db.drizzle
      .select()
      .from(projects)
      .where(and(eq(projects.tenantId, tenantId), eq(projects.id, id)));
    return rows[0];
  }
  async rename(tenantId: string, id: string, name: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const current = await tx.query<{ revision: number }>(
        `SELECT revision FROM projects WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      if (current.rows.length === 0) return false;
      const r = await tx.query(
        `UPDATE projects SET name = $1, revision = revision + 1 WHERE tenant_id = $2 AND id = $3`,
        [name, tenantId, id],
      );
      return r.rowCount === 1;
    });
  }
}

describe.each([
  ['postgres', TEST_DATABASE_URL],
  ['pglite', undefined],
])('database on %s', (kind, url) => {
  let db: Database;
  const schema = uniqueName('kit_db');

  beforeAll(async () => {
    db = await openDatabase({ url, schema });
  });
  afterAll(async () => {
    await db.dropSchema();
    await db.close();
  });

  it('is the expected driver', () => {
    expect(db.kind).toBe(kind);
    expect(db.schema).toBe(schema);
  });

  it('runs migrations twice without error, applying each once', async () => {
    expect(await db.migrate(migrations)).toEqual(['0001_projects', '0002_projects_name_idx']);
    expect(await db.migrate(migrations)).toEqual([]);
    const rows = await db.query<{ id: string }>(`SELECT id FROM ql_migrations ORDER BY id`);
    expect(rows.rows.map((r) => r.id)).toEqual(['0001_projects', '0002_projects_name_idx']);
  });

  it('keeps tables in the service schema', async () => {
    const r = await db.query<{ table_schema: string }>(
      `SELECT table_schema FROM information_schema.tables WHERE table_name = 'projects' AND table_schema = $1`,
      [schema],
    );
    expect(r.rows).toHaveLength(1);
  });

  it('passes a repository test: tenant isolation, transactions, rollback', async () => {
    const repo = new ProjectRepository(db);
    await repo.create('tenant-a', 'p1', 'Library');
    expect(await repo.get('tenant-a', 'p1')).toMatchObject({ name: 'Library', revision: 1 });
    // Another tenant asking for the same id sees nothing.
    expect(await repo.get('tenant-b', 'p1')).toBeUndefined();
    expect(await repo.rename('tenant-a', 'p1', 'Bookshop')).toBe(true);
    expect(await repo.rename('tenant-b', 'p1', 'Stolen')).toBe(false);
    expect(await repo.get('tenant-a', 'p1')).toMatchObject({ name: 'Bookshop', revision: 2 });

    await expect(
      db.transaction(async (tx) => {
        await tx.query(`UPDATE projects SET name = 'lost' WHERE tenant_id = $1`, ['tenant-a']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await repo.get('tenant-a', 'p1')).toMatchObject({ name: 'Bookshop' });
    await expect(repo.create('tenant-a', 'p1', 'dup')).rejects.toThrow();
  });

  it('names the failing migration', async () => {
    await expect(
      db.migrate([...migrations, { id: '0003_broken', statements: ['CREATE TABLE nope ('] }]),
    ).rejects.toThrow(/migration 0003_broken failed/);
  });
});
