import type { SqlExecutor } from '@quantumlayer/kit';

export interface CapsuleRecord {
  tenantId: string;
  capsuleId: string;
  generationId: string;
  appName: string;
  appVersion: string;
  fileName: string;
  archiveKey: string;
  archiveSize: number;
  manifestDigest: string;
  manifestKey: string;
  manifestSize: number;
  sbomKey: string;
  sbomSize: number;
  signingKeyId: string;
  fileCount: number;
  createdAt: Date;
}

const COLUMNS = `tenant_id, capsule_id, generation_id, app_name, app_version, file_name, archive_key,
  archive_size, manifest_digest, manifest_key, manifest_size, sbom_key, sbom_size, signing_key_id,
  file_count, created_at`;

function fromRow(x: Record<string, unknown>): CapsuleRecord {
  return {
    tenantId: String(x['tenant_id']),
    capsuleId: String(x['capsule_id']),
    generationId: String(x['generation_id']),
    appName: String(x['app_name']),
    appVersion: String(x['app_version']),
    fileName: String(x['file_name']),
    archiveKey: String(x['archive_key']),
    archiveSize: Number(x['archive_size']),
    manifestDigest: String(x['manifest_digest']),
    manifestKey: String(x['manifest_key']),
    manifestSize: Number(x['manifest_size']),
    sbomKey: String(x['sbom_key']),
    sbomSize: Number(x['sbom_size']),
    signingKeyId: String(x['signing_key_id']),
    fileCount: Number(x['file_count']),
    createdAt: new Date(x['created_at'] as string | Date),
  };
}

/** Inserts the record unless the tenant already has this capsule; returns the stored one. */
export async function saveCapsule(
  tx: SqlExecutor,
  r: Omit<CapsuleRecord, 'createdAt'>,
): Promise<{ record: CapsuleRecord; created: boolean }> {
  const inserted = await tx.query<Record<string, unknown>>(
    `INSERT INTO capsule_capsules (tenant_id, capsule_id, generation_id, app_name, app_version,
       file_name, archive_key, archive_size, manifest_digest, manifest_key, manifest_size, sbom_key,
       sbom_size, signing_key_id, file_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (tenant_id, capsule_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      r.tenantId,
      r.capsuleId,
      r.generationId,
      r.appName,
      r.appVersion,
      r.fileName,
      r.archiveKey,
      r.archiveSize,
      r.manifestDigest,
      r.manifestKey,
      r.manifestSize,
      r.sbomKey,
      r.sbomSize,
      r.signingKeyId,
      r.fileCount,
    ],
  );
  if (inserted.rows[0]) return { record: fromRow(inserted.rows[0]), created: true };
  const existing = await getCapsule(tx, r.tenantId, r.capsuleId);
  return { record: existing!, created: false };
}

/** The tenant's capsule, or undefined (another tenant's is not visible). */
export async function getCapsule(
  db: SqlExecutor,
  tenantId: string,
  capsuleId: string,
): Promise<CapsuleRecord | undefined> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM capsule_capsules WHERE tenant_id = $1 AND capsule_id = $2`,
    [tenantId, capsuleId],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

export interface PageCursor {
  createdAt: string;
  capsuleId: string;
}

/** Newest first, keyset-paginated on (created_at, capsule_id). */
export async function listCapsules(
  db: SqlExecutor,
  tenantId: string,
  limit: number,
  after?: PageCursor,
): Promise<CapsuleRecord[]> {
  const r = after
    ? await db.query<Record<string, unknown>>(
        `SELECT ${COLUMNS} FROM capsule_capsules
         WHERE tenant_id = $1 AND (created_at, capsule_id) < ($2::timestamptz, $3)
         ORDER BY created_at DESC, capsule_id DESC LIMIT $4`,
        [tenantId, after.createdAt, after.capsuleId, limit],
      )
    : await db.query<Record<string, unknown>>(
        `SELECT ${COLUMNS} FROM capsule_capsules WHERE tenant_id = $1
         ORDER BY created_at DESC, capsule_id DESC LIMIT $2`,
        [tenantId, limit],
      );
  return r.rows.map(fromRow);
}
