import type { Registry } from 'prom-client';
import type { Database, Migration, SqlExecutor } from '../db/index.js';
import type { Logger } from '../logger.js';
import { injectTraceHeaders } from '../tracing.js';
import { HEADERS } from './events.js';
import { registerOutboxBacklogGauge } from './metrics.js';
import type { EventBus, OutgoingEvent } from './types.js';

/**
 * Transactional outbox: a service writes its business rows and the events describing them in
 * one transaction, and a relay publishes committed rows afterwards. So the events on the bus are
 * exactly those of committed transactions; a crash between publish and delete re-sends rows,
 * which JetStream de-duplication (Nats-Msg-Id) and the consumers' inbox drop.
 */
export const outboxMigrations: Migration[] = [
  {
    id: 'ql_bus_0001_outbox',
    statements: [
      `CREATE TABLE IF NOT EXISTS ql_outbox (
        seq bigserial PRIMARY KEY,
        id text NOT NULL,
        subject text NOT NULL,
        type text NOT NULL,
        source text NOT NULL,
        time text NOT NULL,
        ce_subject text NOT NULL,
        tenant_id text,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        data bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      // One notification per inserting statement, delivered at commit, wakes the relays.
      `CREATE OR REPLACE FUNCTION ql_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(left('ql_outbox_' || TG_TABLE_SCHEMA, 63), '');
        RETURN NULL;
      END
      $$`,
      `CREATE TRIGGER ql_outbox_notify AFTER INSERT ON ql_outbox FOR EACH STATEMENT EXECUTE FUNCTION ql_outbox_notify()`,
    ],
  },
];

export function outboxChannel(schema: string): string {
  return `ql_outbox_${schema}`.slice(0, 63);
}

/**
 * Adds events to the outbox inside the caller's transaction. The active trace context is
 * captured now, so consumers continue the trace of the write that produced the event.
 */
export async function enqueue(
  tx: SqlExecutor,
  events: OutgoingEvent | readonly OutgoingEvent[],
): Promise<void> {
  const list: readonly OutgoingEvent[] = Array.isArray(events) ? events : [events as OutgoingEvent];
  if (list.length === 0) return;
  const rows = list.map((e) => {
    const headers: Record<string, string> = { ...e.headers };
    if (e.traceparent) {
      headers[HEADERS.traceparent] = e.traceparent;
      if (e.tracestate) headers[HEADERS.tracestate] = e.tracestate;
    } else {
      injectTraceHeaders(headers);
    }
    return {
      id: e.id,
      subject: e.subject,
      type: e.type,
      source: e.source,
      time: e.time,
      ce_subject: e.ceSubject,
      tenant_id: e.tenantId ?? null,
      headers,
      data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('base64'),
    };
  });
  // The whole batch is one JSON parameter: building a statement with a placeholder per value
  // cost more CPU than the insert itself once batches reach hundreds of rows.
  // jsonb_to_recordset yields rows in array order, so seq follows the caller's order.
  await tx.query(
    `INSERT INTO ql_outbox (id, subject, type, source, time, ce_subject, tenant_id, headers, data)
     SELECT id, subject, type, source, time, ce_subject, tenant_id, headers, decode(data, 'base64')
     FROM jsonb_to_recordset($1::jsonb) AS x(id text, subject text, type text, source text, time text,
       ce_subject text, tenant_id text, headers jsonb, data text)`,
    [JSON.stringify(rows)],
  );
}

interface OutboxRow {
  seq: string | number;
  id: string;
  subject: string;
  type: string;
  source: string;
  time: string;
  ce_subject: string;
  tenant_id: string | null;
  headers: Record<string, string> | string;
  data: Uint8Array;
}

function rowToEvent(row: OutboxRow): OutgoingEvent {
  const headers: Record<string, string> =
    typeof row.headers === 'string'
      ? (JSON.parse(row.headers) as Record<string, string>)
      : { ...row.headers };
  const traceparent = headers[HEADERS.traceparent];
  const tracestate = headers[HEADERS.tracestate];
  delete headers[HEADERS.traceparent];
  delete headers[HEADERS.tracestate];
  return {
    id: row.id,
    subject: row.subject,
    type: row.type,
    source: row.source,
    time: row.time,
    ceSubject: row.ce_subject,
    tenantId: row.tenant_id ?? undefined,
    traceparent,
    tracestate,
    headers,
    data: row.data,
  };
}

export interface OutboxRelayOptions {
  db: Database;
  bus: Pick<EventBus, 'publish'>;
  /** Rows taken, published and deleted per transaction. */
  batchSize?: number;
  /** `postgres://…` of the same database: a dedicated connection LISTENs for new rows. */
  listenUrl?: string | undefined;
  /** Poll period; the safety net with LISTEN, the only wake-up without it (PGlite). */
  pollIntervalMs?: number;
  logger?: Logger;
  registry?: Registry;
}

interface ListenClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  on(event: 'notification', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  end(): Promise<void>;
}

/**
 * Publishes committed outbox rows in insertion order, a batch per transaction:
 * `DELETE … WHERE seq IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING *`, publish, wait for every
 * PubAck, commit. A failed publish rolls the delete back; a crash aborts the transaction; either
 * way the rows are sent again. Replicas skip each other's locked rows, so several can run; order
 * is then kept per replica batch, not across replicas (consumers must not rely on global order).
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private running: Promise<void> | undefined;
  private stopping = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private listener: ListenClient | undefined;
  private published = 0;

  constructor(private readonly o: OutboxRelayOptions) {
    this.batchSize = o.batchSize ?? 500;
    this.pollIntervalMs = o.pollIntervalMs ?? (o.listenUrl ? 1000 : 200);
    if (o.registry) registerOutboxBacklogGauge(o.registry, () => this.backlog());
  }

  /** Events published by this relay so far. */
  get publishedCount(): number {
    return this.published;
  }

  async backlog(): Promise<number> {
    const r = await this.o.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ql_outbox`);
    return Number(r.rows[0]?.n ?? 0);
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = (async () => {
      if (this.o.listenUrl) await this.listen(this.o.listenUrl);
      await this.loop();
    })();
  }

  /** Publishes now instead of at the next notification or poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Finishes the batch in progress, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    this.running = undefined;
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
  }

  /** Publishes until the outbox is empty (tests, benchmarks, a final flush). Returns the count. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.relayOnce(); n > 0; n = await this.relayOnce()) total += n;
    return total;
  }

  /** One batch; returns the number of events published. */
  async relayOnce(): Promise<number> {
    return this.o.db.transaction(async (tx) => {
      const { rows } = await tx.query<OutboxRow>(
        `DELETE FROM ql_outbox WHERE seq IN (SELECT seq FROM ql_outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING seq, id, subject, type, source, time, ce_subject, tenant_id, headers, data`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      rows.sort((a, b) => Number(a.seq) - Number(b.seq));
      await this.o.bus.publish(rows.map(rowToEvent));
      this.published += rows.length;
      return rows.length;
    });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let n = 0;
      try {
        n = await this.relayOnce();
        failures = 0;
      } catch (err) {
        failures++;
        const delay = Math.min(100 * 2 ** failures, 10_000);
        this.o.logger?.warn(
          { err, retryInMs: delay },
          'outbox relay batch failed; rows stay queued',
        );
        // Only stop() cuts a backoff short: new-row notifications would defeat it.
        await this.idle(delay, false);
        continue;
      }
      if (n === 0) await this.idle(this.pollIntervalMs, true);
    }
  }

  /** Waits `ms`; a wake-up ends the wait early when `wakeable`, stop() always does. */
  private idle(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping || (wakeable && this.woken)) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = () => {
        if (!wakeable && !this.stopping) return;
        this.woken = false;
        done();
      };
    });
  }

  private async listen(url: string): Promise<void> {
    const { default: pg } = await import('pg');
    const connectOnce = async () => {
      const client = new pg.Client({
        connectionString: url,
        application_name: 'ql-outbox-relay',
      }) as unknown as ListenClient;
      client.on('notification', () => this.wake());
      client.on('error', (err) => {
        this.o.logger?.warn({ err }, 'outbox LISTEN connection lost; polling until it is back');
        if (this.listener === client) this.listener = undefined;
        void client.end().catch(() => undefined);
        if (!this.stopping) setTimeout(() => void reconnect(), 1000).unref();
      });
      await client.connect();
      await client.query(`LISTEN "${outboxChannel(this.o.db.schema)}"`);
      this.listener = client;
    };
    const reconnect = async () => {
      try {
        await connectOnce();
        // Rows committed while we were not listening: pick them up now.
        this.wake();
      } catch (err) {
        this.o.logger?.warn({ err }, 'outbox LISTEN failed; polling meanwhile');
        if (!this.stopping) setTimeout(() => void reconnect(), 2000).unref();
      }
    };
    await reconnect();
  }
}
