import { createHash, randomBytes } from 'node:crypto';
import { isTenantId, TENANT_ID_RULE } from '../tenancy.js';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Database, Migration } from '../db/index.js';

/**
 * Content-addressed blob storage. Large payloads (file sets, archives, reports) live here and
 * events carry only a `BlobRef`. Keys are `sha256:<hex>` of the content, so writing the same bytes
 * twice stores them once and every read can be verified. Blobs are partitioned by tenant: a
 * tenant asking for another tenant's key gets "not found", even when the bytes are identical.
 */
export type BlobKey = `sha256:${string}`;

export interface BlobRef {
  key: BlobKey;
  size: number;
  mediaType: string;
}

export interface BlobStore {
  put(tenantId: string, data: Uint8Array, options?: { mediaType?: string }): Promise<BlobRef>;
  /** Throws `BlobNotFoundError` when absent, `BlobIntegrityError` when the bytes do not match. */
  get(tenantId: string, key: string): Promise<Uint8Array>;
  stat(tenantId: string, key: string): Promise<BlobRef | undefined>;
  has(tenantId: string, key: string): Promise<boolean>;
  delete(tenantId: string, key: string): Promise<boolean>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} not found`);
    this.name = 'BlobNotFoundError';
  }
}

export class BlobIntegrityError extends Error {
  constructor(
    readonly key: string,
    readonly actual: string,
  ) {
    super(`blob ${key} is corrupt: content hashes to ${actual}`);
    this.name = 'BlobIntegrityError';
  }
}

const KEY = /^sha256:[0-9a-f]{64}$/;
const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

export function blobKeyOf(data: Uint8Array): BlobKey {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function parseBlobKey(key: string): BlobKey {
  if (!KEY.test(key))
    throw new Error(`blob key "${key}": must be sha256: followed by 64 lower-case hex digits`);
  return key as BlobKey;
}

function checkTenant(tenantId: string): string {
  if (!isTenantId(tenantId)) {
    throw new Error(`tenant id "${tenantId}": ${TENANT_ID_RULE}`);
  }
  return tenantId;
}

function verified(key: BlobKey, data: Uint8Array): Uint8Array {
  const actual = blobKeyOf(data);
  if (actual !== key) throw new BlobIntegrityError(key, actual);
  return data;
}

/** Embedded mode: one file per blob under `<root>/<tenant>/<aa>/<hex>`, written atomically. */
export class LocalDiskBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(tenantId: string, key: BlobKey): string {
    const hex = key.slice('sha256:'.length);
    return join(this.root, checkTenant(tenantId), hex.slice(0, 2), hex);
  }

  async put(
    tenantId: string,
    data: Uint8Array,
    options?: { mediaType?: string },
  ): Promise<BlobRef> {
    const key = blobKeyOf(data);
    const path = this.path(tenantId, key);
    const ref: BlobRef = {
      key,
      size: data.byteLength,
      mediaType: options?.mediaType ?? DEFAULT_MEDIA_TYPE,
    };
    if (await this.has(tenantId, key)) return ref;
    await mkdir(join(path, '..'), { recursive: true });
    // Write then rename: a reader never sees half a blob, and a crash leaves only a temp file.
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    await writeFile(`${path}.meta.json`, JSON.stringify({ mediaType: ref.mediaType }));
    await rename(tmp, path);
    return ref;
  }

  async get(tenantId: string, key: string): Promise<Uint8Array> {
    const k = parseBlobKey(key);
    try {
      return verified(k, new Uint8Array(await readFile(this.path(tenantId, k))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(k);
      throw err;
    }
  }

  async stat(tenantId: string, key: string): Promise<BlobRef | undefined> {
    const k = parseBlobKey(key);
    const path = this.path(tenantId, k);
    try {
      const s = await stat(path);
      let mediaType = DEFAULT_MEDIA_TYPE;
      try {
        mediaType = (
          JSON.parse(await readFile(`${path}.meta.json`, 'utf8')) as { mediaType: string }
        ).mediaType;
      } catch {
        // A blob without metadata is still a blob; its media type is simply unknown.
      }
      return { key: k, size: s.size, mediaType };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(tenantId: string, key: string): Promise<boolean> {
    return (await this.stat(tenantId, key)) !== undefined;
  }

  async delete(tenantId: string, key: string): Promise<boolean> {
    const k = parseBlobKey(key);
    const path = this.path(tenantId, k);
    const existed = await this.has(tenantId, k);
    await rm(path, { force: true });
    await rm(`${path}.meta.json`, { force: true });
    return existed;
  }
}

export const blobMigrations: Migration[] = [
  {
    id: 'kit_0001_blobs',
    statements: [
      `CREATE TABLE IF NOT EXISTS ql_blobs (
        tenant_id text NOT NULL,
        key text NOT NULL,
        size bigint NOT NULL,
        media_type text NOT NULL,
        data bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
      )`,
    ],
  },
];

/** Blobs in the service's Postgres schema: for small deployments without object storage. */
export class PostgresBlobStore implements BlobStore {
  constructor(private readonly db: Database) {}

  async put(
    tenantId: string,
    data: Uint8Array,
    options?: { mediaType?: string },
  ): Promise<BlobRef> {
    const key = blobKeyOf(data);
    const mediaType = options?.mediaType ?? DEFAULT_MEDIA_TYPE;
    await this.db.query(
      `INSERT INTO ql_blobs (tenant_id, key, size, media_type, data) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, key) DO NOTHING`,
      [
        checkTenant(tenantId),
        key,
        data.byteLength,
        mediaType,
        Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      ],
    );
    return { key, size: data.byteLength, mediaType };
  }

  async get(tenantId: string, key: string): Promise<Uint8Array> {
    const k = parseBlobKey(key);
    const r = await this.db.query<{ data: Uint8Array }>(
      `SELECT data FROM ql_blobs WHERE tenant_id = $1 AND key = $2`,
      [checkTenant(tenantId), k],
    );
    const row = r.rows[0];
    if (!row) throw new BlobNotFoundError(k);
    return verified(k, new Uint8Array(row.data));
  }

  async stat(tenantId: string, key: string): Promise<BlobRef | undefined> {
    const k = parseBlobKey(key);
    const r = await this.db.query<{ size: string | number; media_type: string }>(
      `SELECT size, media_type FROM ql_blobs WHERE tenant_id = $1 AND key = $2`,
      [checkTenant(tenantId), k],
    );
    const row = r.rows[0];
    return row ? { key: k, size: Number(row.size), mediaType: row.media_type } : undefined;
  }

  async has(tenantId: string, key: string): Promise<boolean> {
    return (await this.stat(tenantId, key)) !== undefined;
  }

  async delete(tenantId: string, key: string): Promise<boolean> {
    const r = await this.db.query(`DELETE FROM ql_blobs WHERE tenant_id = $1 AND key = $2`, [
      checkTenant(tenantId),
      parseBlobKey(key),
    ]);
    return r.rowCount > 0;
  }
}

/**
 * Picks the store from `QL_BLOB_URL`: `file:///dir` for local disk, `postgres://…` for the
 * service database (whose `ql_blobs` table must be migrated with `blobMigrations`). Unset means
 * local disk under the data directory.
 */
export function createBlobStore(options: {
  url?: string;
  dataDir: string;
  db?: Database;
}): BlobStore {
  if (!options.url) return new LocalDiskBlobStore(join(options.dataDir, 'blobs'));
  const url = new URL(options.url);
  if (url.protocol === 'file:') return new LocalDiskBlobStore(decodeURIComponent(url.pathname));
  if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') {
    if (!options.db)
      throw new Error('QL_BLOB_URL: a postgres blob store needs the service database');
    return new PostgresBlobStore(options.db);
  }
  throw new Error(`QL_BLOB_URL: unsupported scheme ${url.protocol} (expected file: or postgres:)`);
}
