import type { Database } from '@quantumlayer/kit';
import type { BudgetKey, BudgetStore, Reservation, ReserveResult } from '../engine/budget.js';

/**
 * Generation spend in the router's own database, when no Redis is configured. The reservation is
 * one conditional upsert, so concurrent calls (and replicas sharing a Postgres) serialise on the
 * row lock and can never reserve past the limit together.
 */
export class DbBudgetStore implements BudgetStore {
  readonly kind: 'postgres' | 'pglite';

  constructor(private readonly db: Database) {
    this.kind = db.kind;
  }

  async reserve(key: BudgetKey, amountMicros: number, limitMicros: number): Promise<ReserveResult> {
    if (amountMicros <= limitMicros) {
      const r = await this.db.query<{ spent_micros: string }>(
        `INSERT INTO router_generation_spend AS s (tenant_id, generation_id, reserved_micros)
         VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, generation_id) DO UPDATE
           SET reserved_micros = s.reserved_micros + EXCLUDED.reserved_micros, updated_at = now()
           WHERE s.spent_micros + s.reserved_micros + EXCLUDED.reserved_micros <= $4
         RETURNING spent_micros`,
        [key.tenantId, key.generationId, amountMicros, limitMicros],
      );
      if (r.rows.length > 0) return { ok: true, reservation: { key, amountMicros } };
    }
    const now = await this.spent(key);
    return { ok: false, ...now };
  }

  async settle(r: Reservation, actualMicros: number, requestId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const first = await tx.query(
        `INSERT INTO router_settled_requests (tenant_id, generation_id, request_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING request_id`,
        [r.key.tenantId, r.key.generationId, requestId],
      );
      const charge = first.rows.length > 0 ? actualMicros : 0;
      await tx.query(
        `UPDATE router_generation_spend
           SET reserved_micros = GREATEST(reserved_micros - $3, 0), spent_micros = spent_micros + $4, updated_at = now()
         WHERE tenant_id = $1 AND generation_id = $2`,
        [r.key.tenantId, r.key.generationId, r.amountMicros, charge],
      );
    });
  }

  async spent(key: BudgetKey) {
    const r = await this.db.query<{
      spent_micros: string | number;
      reserved_micros: string | number;
    }>(
      `SELECT spent_micros, reserved_micros FROM router_generation_spend WHERE tenant_id = $1 AND generation_id = $2`,
      [key.tenantId, key.generationId],
    );
    const row = r.rows[0];
    return {
      spentMicros: Number(row?.spent_micros ?? 0),
      reservedMicros: Number(row?.reserved_micros ?? 0),
    };
  }
}
