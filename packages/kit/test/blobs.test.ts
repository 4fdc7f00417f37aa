import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blobKeyOf,
  blobMigrations,
  BlobIntegrityError,
  BlobNotFoundError,
  createBlobStore,
  LocalDiskBlobStore,
  PostgresBlobStore,
  type BlobStore,
} from '../src/blobs/index.js';
import { openDatabase, type Database } from '../src/db/index.js';
import { TEST_DATABASE_URL, uniqueName } from './support/env.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function blobSuite(
  name: string,
  make: () => Promise<{
    store: BlobStore;
    corrupt: (tenant: string, key: string) => Promise<void>;
    cleanup: () => Promise<void>;
  }>,
) {
  describe(name, () => {
    let store: BlobStore;
    let corrupt: (tenant: string, key: string) => Promise<void>;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ store, corrupt, cleanup } = await make()));
    afterAll(() => cleanup());

    it('stores by content hash and reads back', async () => {
      const ref = await store.put('tenant-a', bytes('hello capsule'), { mediaType: 'text/plain' });
      expect(ref).toEqual({
        key: blobKeyOf(bytes('hello capsule')),
        size: 13,
        mediaType: 'text/plain',
      });
      expect(ref.key).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(new TextDecoder().decode(await store.get('tenant-a', ref.key))).toBe('hello capsule');
      expect(await store.stat('tenant-a', ref.key)).toEqual(ref);
      // Same bytes, same key: stored once.
      expect(
        await store.put('tenant-a', bytes('hello capsule'), { mediaType: 'text/plain' }),
      ).toEqual(ref);
    });

    it('keeps tenants apart', async () => {
      const ref = await store.put('tenant-a', bytes('private'));
      expect(await store.has('tenant-b', ref.key)).toBe(false);
      await expect(store.get('tenant-b', ref.key)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('deletes', async () => {
      const ref = await store.put('tenant-a', bytes('short-lived'));
      expect(await store.delete('tenant-a', ref.key)).toBe(true);
      expect(await store.delete('tenant-a', ref.key)).toBe(false);
      await expect(store.get('tenant-a', ref.key)).rejects.toThrow(/not found/);
    });

    it('detects corrupted content on read', async () => {
      const ref = await store.put('tenant-a', bytes('precious'));
      await corrupt('tenant-a', ref.key);
      await expect(store.get('tenant-a', ref.key)).rejects.toBeInstanceOf(BlobIntegrityError);
    });

    it('rejects malformed keys and tenant ids that could escape', async () => {
      await expect(store.get('tenant-a', 'sha256:xyz')).rejects.toThrow(
        /must be sha256: followed by 64/,
      );
      await expect(store.put('../etc', bytes('x'))).rejects.toThrow(/tenant id/);
    });
  });
}

blobSuite('local disk blob store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ql-blobs-'));
  const store = new LocalDiskBlobStore(dir);
  return {
    store,
    corrupt: async (tenant, key) => {
      const hex = key.slice(7);
      await writeFile(join(dir, tenant, hex.slice(0, 2), hex), 'tampered');
    },
    cleanup: async () => {
      // No temp files are left behind by atomic writes.
      const leftovers = (await readdir(dir, { recursive: true })).filter((f) =>
        String(f).endsWith('.tmp'),
      );
      expect(leftovers).toEqual([]);
      await rm(dir, { recursive: true, force: true });
    },
  };
});

for (const [kind, url] of [
  ['postgres', TEST_DATABASE_URL],
  ['pglite', undefined],
] as const) {
  blobSuite(`postgres blob store on ${kind}`, async () => {
    const db: Database = await openDatabase({ url, schema: uniqueName('kit_blobs') });
    await db.migrate(blobMigrations);
    const store = createBlobStore({ url: 'postgres://unused', dataDir: '.', db });
    expect(store).toBeInstanceOf(PostgresBlobStore);
    return {
      store,
      corrupt: async (tenant, key) => {
        await db.query(`UPDATE ql_blobs SET data = $1 WHERE tenant_id = $2 AND key = $3`, [
          Buffer.from('tampered'),
          tenant,
          key,
        ]);
      },
      cleanup: async () => {
        await db.dropSchema();
        await db.close();
      },
    };
  });
}
