import { Counter, type Registry } from 'prom-client';
import type { Database, Migration, SqlExecutor } from '../db/index.js';
import { outboxMigrations } from './outbox.js';
import type { DeliveredEvent, EventHandler } from './types.js';

/**
 * Inbox: a consumer records each processed event id in the same transaction as the event's
 * effect, so a redelivered event (lost ack, crash, outbox re-send) finds its id and changes
 * nothing. With the outbox this gives effectively-once processing over at-least-once delivery.
 */
export const inboxMigrations: Migration[] = [
  {
    id: 'ql_bus_0002_inbox',
    statements: [
      `CREATE TABLE IF NOT EXISTS ql_inbox (
        consumer text NOT NULL,
        event_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`,
      `CREATE INDEX IF NOT EXISTS ql_inbox_processed_at ON ql_inbox (processed_at)`,
    ],
  },
];

/** Both tables; services append these to their own migrations. */
export const busMigrations: Migration[] = [...outboxMigrations, ...inboxMigrations];

/** Applies the effects of several fresh events inside the inbox transaction. */
export type BatchEffect<E> = (tx: SqlExecutor, events: E[]) => Promise<void>;

interface Item {
  consumer: string;
  key: string;
  event: { id: string };
  apply: BatchEffect<{ id: string }>;
  resolve(applied: boolean): void;
  reject(err: unknown): void;
}

export interface InboxOptions {
  /**
   * Deliveries that arrive while a transaction is committing wait and share the next one
   * (group commit): one round trip and one commit for many events. This caps that group.
   */
  maxBatch?: number;
  /** Transactions committing at once; more than one only helps with a pool (not PGlite). */
  concurrency?: number;
  registry?: Registry;
}

export class Inbox {
  private readonly queue: Item[] = [];
  private running = 0;
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly duplicates: Counter<'consumer'> | undefined;

  constructor(
    private readonly db: Database,
    options: InboxOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.concurrency = options.concurrency ?? (db.kind === 'pglite' ? 1 : 2);
    const r = options.registry;
    if (r) {
      this.duplicates =
        (r.getSingleMetric('ql_bus_inbox_duplicates_total') as Counter<'consumer'> | undefined) ??
        new Counter({
          name: 'ql_bus_inbox_duplicates_total',
          help: 'Events found already processed by the inbox and skipped.',
          labelNames: ['consumer'],
          registers: [r],
        });
    }
  }

  /**
   * Records `event.id` for `consumer` and, only if it was not recorded before, runs `effect` in
   * the same transaction. Resolves after commit: true if the effect ran, false for a duplicate.
   * The effect must use only `tx` (it may share the transaction with other events' effects) and
   * may throw to reject this event alone.
   */
  process<E extends { id: string }>(
    consumer: string,
    event: E,
    effect: (tx: SqlExecutor, event: E) => Promise<void>,
  ): Promise<boolean> {
    const apply: BatchEffect<E> = async (tx, events) => {
      for (const e of events) await effect(tx, e);
    };
    return this.submit(consumer, event, apply);
  }

  /**
   * An event handler whose effects are applied in bulk: concurrent deliveries are grouped and
   * `apply` receives, once per transaction, the fresh events of the group. The handler resolves
   * (and the bus acks) after commit.
   */
  handler(consumer: string, apply: BatchEffect<DeliveredEvent>): EventHandler {
    return async (event) => {
      await this.submit(consumer, event, apply);
    };
  }

  /** Forgets ids processed before `before`; keep them longer than any redelivery or re-send. */
  async prune(before: Date): Promise<number> {
    const r = await this.db.query(`DELETE FROM ql_inbox WHERE processed_at < $1`, [
      before.toISOString(),
    ]);
    return r.rowCount;
  }

  private submit<E extends { id: string }>(
    consumer: string,
    event: E,
    apply: BatchEffect<E>,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({
        consumer,
        key: `${consumer}\u0000${event.id}`,
        event,
        apply: apply as BatchEffect<{ id: string }>,
        resolve,
        reject,
      });
      this.kick();
    });
  }

  private kick(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running++;
      void this.commit(batch).finally(() => {
        this.running--;
        this.kick();
      });
    }
  }

  private async commit(batch: Item[]): Promise<void> {
    let fresh: Set<Item>;
    try {
      fresh = await this.db.transaction((tx) => this.applyBatch(tx, batch));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One bad event must not fail the others: retry each in its own transaction.
      for (const item of batch) await this.commit([item]);
      return;
    }
    for (const item of batch) {
      const applied = fresh.has(item);
      if (!applied) this.duplicates?.inc({ consumer: item.consumer });
      item.resolve(applied);
    }
  }

  private async applyBatch(tx: SqlExecutor, batch: Item[]): Promise<Set<Item>> {
    const first = new Map<string, Item>();
    for (const item of batch) if (!first.has(item.key)) first.set(item.key, item);
    // Inserting keys in one global order keeps two concurrent batches from deadlocking.
    const ordered = [...first.values()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    // One JSON parameter for the whole group (see enqueue in outbox.ts for why).
    const { rows } = await tx.query<{ consumer: string; event_id: string }>(
      `INSERT INTO ql_inbox (consumer, event_id)
       SELECT consumer, event_id FROM jsonb_to_recordset($1::jsonb) AS x(consumer text, event_id text)
       ON CONFLICT DO NOTHING RETURNING consumer, event_id`,
      [
        JSON.stringify(
          ordered.map((item) => ({ consumer: item.consumer, event_id: item.event.id })),
        ),
      ],
    );
    const inserted = new Set(rows.map((r) => `${r.consumer}\u0000${r.event_id}`));
    const fresh = new Set<Item>();
    // Effects run in arrival order, grouped by effect so a bulk effect is called once.
    const groups = new Map<BatchEffect<{ id: string }>, { id: string }[]>();
    for (const item of first.values()) {
      if (!inserted.has(item.key)) continue;
      fresh.add(item);
      const list = groups.get(item.apply);
      if (list) list.push(item.event);
      else groups.set(item.apply, [item.event]);
    }
    for (const [apply, events] of groups) await apply(tx, events);
    return fresh;
  }
}
