// Embedded databases from a cached template: the first open builds the template, later ones copy
// it; each copy is an independent database; a broken template is rebuilt.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openEmbeddedDatabase } from '../src/index.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kit-pglite-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

it('copies an initialized cluster from the cache; each copy is its own database', async () => {
  const cacheDir = path.join(root, 'cache');
  const a = await openEmbeddedDatabase({ schema: 'svc', dataDir: path.join(root, 'a'), cacheDir });
  expect(await readdir(cacheDir)).toEqual(['template']);
  await a.query('CREATE TABLE things (id int PRIMARY KEY)');
  await a.query('INSERT INTO things VALUES (1)');

  const started = performance.now();
  const b = await openEmbeddedDatabase({ schema: 'svc', dataDir: path.join(root, 'b'), cacheDir });
  const copyMs = performance.now() - started;
  // The template holds no tables of a: b starts empty.
  const tables = await b.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'svc'`,
  );
  expect(tables.rows[0]!.n).toBe(0);
  expect((await a.query<{ id: number }>('SELECT id FROM things')).rows).toEqual([{ id: 1 }]);
  await Promise.all([a.close(), b.close()]);
  // Not a timing assertion of the test's outcome, just a record next to the test that uses it.
  process.stdout.write(`pglite from template: ${Math.round(copyMs)} ms\n`);
});

it('rebuilds a template that does not open', async () => {
  const cacheDir = path.join(root, 'broken-cache');
  const first = await openEmbeddedDatabase({
    schema: 'svc',
    dataDir: path.join(root, 'c'),
    cacheDir,
  });
  await first.close();
  // Corrupt the template's control file: a copy of it cannot start.
  await writeFile(path.join(cacheDir, 'template', 'global', 'pg_control'), 'garbage');
  const db = await openEmbeddedDatabase({ schema: 'svc', dataDir: path.join(root, 'd'), cacheDir });
  expect((await db.query<{ x: number }>('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
  await db.close();
  // …because the template was rebuilt, not because the corruption went unnoticed.
  const control = await readFile(path.join(cacheDir, 'template', 'global', 'pg_control'), 'utf8');
  expect(control).not.toBe('garbage');
});
