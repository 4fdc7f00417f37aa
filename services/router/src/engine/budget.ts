/**
 * Generation budgets: before a call, its worst-case cost is reserved atomically against the
 * generation's limit (refused when spent + reserved + estimate would pass it); after the call the
 * reservation is released and the actual cost added to the spend, once per request id, so a
 * caller retrying a call with the same id is not charged twice.
 */
export interface BudgetKey {
  tenantId: string;
  generationId: string;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation }
  | { ok: false; spentMicros: number; reservedMicros: number };

export interface Reservation {
  key: BudgetKey;
  amountMicros: number;
}

export interface BudgetStore {
  readonly kind: 'redis' | 'postgres' | 'pglite' | 'memory';
  reserve(key: BudgetKey, amountMicros: number, limitMicros: number): Promise<ReserveResult>;
  /** Releases the reservation and adds `actualMicros` (once per `requestId`). */
  settle(reservation: Reservation, actualMicros: number, requestId: string): Promise<void>;
  spent(key: BudgetKey): Promise<{ spentMicros: number; reservedMicros: number }>;
}

/** In-process store: unit tests, and a single replica with nothing else configured. */
export class MemoryBudgetStore implements BudgetStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<
    string,
    { spent: number; reserved: number; settled: Set<string> }
  >();

  private entry(key: BudgetKey) {
    const k = `${key.tenantId}\u0000${key.generationId}`;
    let e = this.entries.get(k);
    if (!e) {
      e = { spent: 0, reserved: 0, settled: new Set() };
      this.entries.set(k, e);
    }
    return e;
  }

  async reserve(key: BudgetKey, amountMicros: number, limitMicros: number): Promise<ReserveResult> {
    const e = this.entry(key);
    if (e.spent + e.reserved + amountMicros > limitMicros) {
      return { ok: false, spentMicros: e.spent, reservedMicros: e.reserved };
    }
    e.reserved += amountMicros;
    return { ok: true, reservation: { key, amountMicros } };
  }

  async settle(r: Reservation, actualMicros: number, requestId: string): Promise<void> {
    const e = this.entry(r.key);
    e.reserved = Math.max(0, e.reserved - r.amountMicros);
    if (!e.settled.has(requestId)) {
      e.settled.add(requestId);
      e.spent += actualMicros;
    }
  }

  async spent(key: BudgetKey) {
    const e = this.entry(key);
    return { spentMicros: e.spent, reservedMicros: e.reserved };
  }
}
