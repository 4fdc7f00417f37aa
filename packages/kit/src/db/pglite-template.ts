// A fresh PGlite data directory in about a second instead of ten: PGlite runs initdb (in WASM)
// for every new directory, which dominates the start of an embedded run. The first run keeps an
// initialized, empty cluster as a template in the cache; later runs copy it.
import { randomBytes } from 'node:crypto';
import { access, cp, mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from './index.js';

export function defaultPgliteCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'quantumlayer', 'pglite');
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/**
 * Fills `target` (which must not exist) with an initialized, empty PGlite cluster copied from
 * the template in `cacheDir`, creating the template first if needed. A template written by
 * another PGlite build may not open: `openEmbeddedDatabase` rebuilds it once when that happens.
 */
export async function preparePgliteDataDir(
  target: string,
  cacheDir: string = defaultPgliteCacheDir(),
): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const template = path.join(cacheDir, 'template');
  if (!(await exists(path.join(template, 'PG_VERSION')))) {
    await mkdir(cacheDir, { recursive: true });
    // Built aside and renamed into place: a concurrent run sees either nothing or a whole one.
    const building = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      const db = await PGlite.create({ dataDir: building });
      await db.close();
      await rename(building, template).catch(async (err: NodeJS.ErrnoException) => {
        if (!(await exists(path.join(template, 'PG_VERSION')))) throw err;
      });
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  }
  await cp(template, target, { recursive: true, errorOnExist: true, force: false });
}

/**
 * An embedded (PGlite) database in a new directory `dataDir`, started from the cached template.
 * For one-shot embedded runs (the CLI); services keep using `openDatabase`.
 */
export async function openEmbeddedDatabase(options: {
  schema: string;
  dataDir: string;
  cacheDir?: string;
}): Promise<Database> {
  const cacheDir = options.cacheDir ?? defaultPgliteCacheDir();
  await preparePgliteDataDir(options.dataDir, cacheDir);
  try {
    return await openDatabase({ schema: options.schema, dataDir: options.dataDir });
  } catch {
    // A template from another PGlite build: start over from a fresh one.
    await rm(options.dataDir, { recursive: true, force: true });
    await rm(path.join(cacheDir, 'template'), { recursive: true, force: true });
    await preparePgliteDataDir(options.dataDir, cacheDir);
    return openDatabase({ schema: options.schema, dataDir: options.dataDir });
  }
}
