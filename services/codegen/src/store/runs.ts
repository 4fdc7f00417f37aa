import type { SqlExecutor } from '@quantumlayer/kit';

export type RunStage = 'analysis' | 'drafting' | 'validation';

export interface RunRow {
  tenantId: string;
  generationId: string;
  stage: RunStage;
  attempt: number;
  /** `analyzed`, `failed`, `drafted`, `validated`, `rejected`. */
  outcome: string;
  appName?: string;
  requirementsKey?: string;
  blueprintKey?: string;
  filesetKey?: string;
  reportKey?: string;
  detail?: string;
  durationMs?: number;
}

/** Records a stage's outcome; a repeat of the same stage and attempt keeps the first record. */
export async function recordRun(tx: SqlExecutor, row: RunRow): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO codegen_runs (tenant_id, generation_id, stage, attempt, outcome, app_name,
       requirements_key, blueprint_key, fileset_key, report_key, detail, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (tenant_id, generation_id, stage, attempt) DO NOTHING`,
    [
      row.tenantId,
      row.generationId,
      row.stage,
      row.attempt,
      row.outcome,
      row.appName ?? '',
      row.requirementsKey ?? '',
      row.blueprintKey ?? '',
      row.filesetKey ?? '',
      row.reportKey ?? '',
      (row.detail ?? '').slice(0, 4000),
      Math.round(row.durationMs ?? 0),
    ],
  );
  return r.rowCount > 0;
}

/** The runs of one generation, oldest first (the tenant filter is part of every query). */
export async function listRuns(
  db: SqlExecutor,
  tenantId: string,
  generationId: string,
): Promise<RunRow[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT * FROM codegen_runs WHERE tenant_id = $1 AND generation_id = $2
     ORDER BY created_at, stage, attempt`,
    [tenantId, generationId],
  );
  return r.rows.map((x) => ({
    tenantId: String(x['tenant_id']),
    generationId: String(x['generation_id']),
    stage: x['stage'] as RunStage,
    attempt: Number(x['attempt']),
    outcome: String(x['outcome']),
    appName: String(x['app_name']),
    requirementsKey: String(x['requirements_key']),
    blueprintKey: String(x['blueprint_key']),
    filesetKey: String(x['fileset_key']),
    reportKey: String(x['report_key']),
    detail: String(x['detail']),
    durationMs: Number(x['duration_ms']),
  }));
}
