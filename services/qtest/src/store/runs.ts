import type { SqlExecutor } from '@quantumlayer/kit';
import { RunSummarySchema, type RunSummary } from '../domain/summary.js';

export interface RunRecord {
  tenantId: string;
  runId: string;
  generationId: string;
  manifestDigest: string;
  attempt: number;
  /** The tested capsule's blob key ('' when it came inline): what the next round diffs against. */
  capsuleKey: string;
  summary: RunSummary;
  reportKey: string;
  reportSize: number;
  createdAt: Date;
}

const COLUMNS = `tenant_id, run_id, generation_id, manifest_digest, attempt, capsule_key, summary,
  report_key, report_size, created_at`;

function fromRow(x: Record<string, unknown>): RunRecord {
  const summary = typeof x['summary'] === 'string' ? JSON.parse(x['summary']) : x['summary'];
  return {
    tenantId: String(x['tenant_id']),
    runId: String(x['run_id']),
    generationId: String(x['generation_id']),
    manifestDigest: String(x['manifest_digest']),
    attempt: Number(x['attempt']),
    capsuleKey: String(x['capsule_key']),
    summary: RunSummarySchema.parse(summary),
    reportKey: String(x['report_key']),
    reportSize: Number(x['report_size']),
    createdAt: new Date(x['created_at'] as string | Date),
  };
}

/** Records a run; a redelivered event saves the same run id again and changes nothing. */
export async function saveRun(
  tx: SqlExecutor,
  r: Omit<RunRecord, 'createdAt'>,
): Promise<RunRecord> {
  const inserted = await tx.query<Record<string, unknown>>(
    `INSERT INTO qtest_runs (tenant_id, run_id, generation_id, manifest_digest, attempt, capsule_key,
       verdict, summary, report_key, report_size)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
     ON CONFLICT (tenant_id, run_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      r.tenantId,
      r.runId,
      r.generationId,
      r.manifestDigest,
      r.attempt,
      r.capsuleKey,
      r.summary.verdict,
      JSON.stringify(r.summary),
      r.reportKey,
      r.reportSize,
    ],
  );
  if (inserted.rows[0]) return fromRow(inserted.rows[0]);
  return (await getRun(tx, r.tenantId, r.runId))!;
}

/** The tenant's run, or undefined (another tenant's is not visible). */
export async function getRun(
  db: SqlExecutor,
  tenantId: string,
  runId: string,
): Promise<RunRecord | undefined> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM qtest_runs WHERE tenant_id = $1 AND run_id = $2`,
    [tenantId, runId],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** The generation's latest run before `attempt`: what self-healing compares with. */
export async function previousRun(
  db: SqlExecutor,
  tenantId: string,
  generationId: string,
  attempt: number,
): Promise<RunRecord | undefined> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM qtest_runs
     WHERE tenant_id = $1 AND generation_id = $2 AND attempt < $3
     ORDER BY attempt DESC, created_at DESC LIMIT 1`,
    [tenantId, generationId, attempt],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}
