import type { SqlExecutor } from '@quantumlayer/kit';
import type { UsageRecord } from '../engine/usage.js';

/**
 * Inserts usage rows inside the caller's transaction: the whole batch as one JSON parameter
 * expanded by `jsonb_to_recordset`, so a batch costs one statement and one bound value however
 * many rows it holds (placeholder-per-column SQL spends more time building the statement than
 * the database spends inserting).
 */
export async function insertUsageRows(
  tx: SqlExecutor,
  records: readonly UsageRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map((u) => ({
    request_id: u.requestId,
    tenant_id: u.tenantId,
    generation_id: u.generationId,
    kind: u.kind,
    provider: u.provider,
    model: u.model,
    outcome: u.outcome,
    input_tokens: u.tokens.inputTokens,
    output_tokens: u.tokens.outputTokens,
    cached_input_tokens: u.tokens.cachedInputTokens ?? 0,
    cost_micros: u.costMicros,
    latency_ms: u.latencyMs,
    ttft_ms: u.ttftMs,
    attempt_count: u.attemptCount,
    caller: u.caller,
    step_id: u.stepId,
    created_at: u.time.toISOString(),
  }));
  await tx.query(
    `INSERT INTO router_usage (${COLUMNS})
     SELECT ${COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS r(${TYPED})`,
    [JSON.stringify(rows)],
  );
}

const SPEC: [string, string][] = [
  ['request_id', 'text'],
  ['tenant_id', 'text'],
  ['generation_id', 'text'],
  ['kind', 'text'],
  ['provider', 'text'],
  ['model', 'text'],
  ['outcome', 'text'],
  ['input_tokens', 'integer'],
  ['output_tokens', 'integer'],
  ['cached_input_tokens', 'integer'],
  ['cost_micros', 'bigint'],
  ['latency_ms', 'integer'],
  ['ttft_ms', 'integer'],
  ['attempt_count', 'integer'],
  ['caller', 'text'],
  ['step_id', 'text'],
  ['created_at', 'timestamptz'],
];
const COLUMNS = SPEC.map(([c]) => c).join(', ');
const TYPED = SPEC.map(([c, t]) => `${c} ${t}`).join(', ');

export interface UsageRow {
  request_id: string;
  tenant_id: string;
  generation_id: string;
  kind: string;
  provider: string;
  model: string;
  outcome: string;
  input_tokens: number;
  output_tokens: number;
  cost_micros: string | number;
  attempt_count: number;
}

export async function usageByRequest(db: SqlExecutor, requestId: string): Promise<UsageRow[]> {
  const r = await db.query<UsageRow>(
    `SELECT * FROM router_usage WHERE request_id = $1 ORDER BY seq`,
    [requestId],
  );
  return r.rows;
}
