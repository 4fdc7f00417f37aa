import { create } from '@bufbuild/protobuf';
import { UsageKind, UsageOutcome, UsageRecordedSchema } from '@quantumlayer/contracts';
import {
  enqueue,
  toOutgoingEvent,
  type Database,
  type Logger,
  type OutgoingEvent,
} from '@quantumlayer/kit';
import type { Counter, Registry } from 'prom-client';
import { Counter as PromCounter } from 'prom-client';
import type { CallOutcome } from '../domain/types.js';
import type { UsageRecord, UsageSink } from '../engine/usage.js';
import { insertUsageRows } from '../store/usage.js';

const KIND: Record<UsageRecord['kind'], UsageKind> = {
  completion: UsageKind.COMPLETION,
  stream_completion: UsageKind.STREAM_COMPLETION,
  embedding: UsageKind.EMBEDDING,
};

const OUTCOME: Record<CallOutcome, UsageOutcome> = {
  succeeded: UsageOutcome.SUCCEEDED,
  failed: UsageOutcome.FAILED,
  timed_out: UsageOutcome.TIMED_OUT,
  rate_limited: UsageOutcome.RATE_LIMITED,
  budget_exceeded: UsageOutcome.BUDGET_EXCEEDED,
  cancelled: UsageOutcome.CANCELLED,
  content_filtered: UsageOutcome.CONTENT_FILTERED,
};

export function usageEvent(u: UsageRecord): OutgoingEvent {
  const message = create(UsageRecordedSchema, {
    tenantId: u.tenantId,
    generationId: u.generationId,
    requestId: u.requestId,
    provider: u.provider,
    model: u.model,
    kind: KIND[u.kind],
    tokens: {
      inputTokens: u.tokens.inputTokens,
      outputTokens: u.tokens.outputTokens,
      totalTokens: u.tokens.inputTokens + u.tokens.outputTokens,
      cachedInputTokens: u.tokens.cachedInputTokens ?? 0,
    },
    cost: { usdMicros: BigInt(u.costMicros) },
    latencyMs: u.latencyMs,
    timeToFirstTokenMs: u.ttftMs,
    outcome: OUTCOME[u.outcome],
    attemptCount: u.attemptCount,
    caller: u.caller,
    stepId: u.stepId,
  });
  return toOutgoingEvent(UsageRecordedSchema, message, {
    source: 'router',
    ceSubject: u.generationId || u.tenantId,
    tenantId: u.tenantId,
    time: u.time,
  });
}

export interface UsageRecorderOptions {
  db: Database;
  logger: Logger;
  registry?: Registry;
  flushIntervalMs: number;
  maxBatch: number;
  /** Called after each committed batch (wakes the outbox relay at once instead of at its poll). */
  onCommitted?: () => void;
}

/**
 * Writes usage rows and their UsageRecorded events through the transactional outbox, in batches.
 *
 * Why batched and after the response: a transaction per call would put a database round trip
 * (and, embedded, PGlite work on the same thread) on every call's critical path, which is most of
 * the router's overhead budget. Calls are queued and written together within `flushIntervalMs`:
 * one transaction inserts every row and every event, so the events on the bus are exactly the
 * rows committed. The cost is a window of at most `flushIntervalMs` in which a crash loses records
 * of calls already answered; shutdown flushes. A failed batch is retried, not dropped.
 */
export class UsageRecorder implements UsageSink {
  private queue: UsageRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private readonly written: Counter | undefined;
  private failures = 0;
  private closed = false;

  constructor(private readonly o: UsageRecorderOptions) {
    this.written = o.registry
      ? new PromCounter({
          name: 'ql_router_usage_records_total',
          help: 'Usage records written (row + UsageRecorded outbox event), by result',
          labelNames: ['result'],
          registers: [o.registry],
        })
      : undefined;
  }

  get pending(): number {
    return this.queue.length;
  }

  record(usage: UsageRecord): void {
    this.queue.push(usage);
    if (this.queue.length >= this.o.maxBatch) this.kick(0);
    else this.kick(this.o.flushIntervalMs);
  }

  /** Writes everything queued so far; resolves when it is committed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing || this.queue.length > 0) {
      if (this.writing) await this.writing.catch(() => undefined);
      else await this.writeBatch();
    }
  }

  /** Final flush at shutdown; later records are still accepted and written synchronously by flush. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private kick(delayMs: number): void {
    if (this.timer || this.writing) return;
    if (delayMs === 0 || this.closed) {
      void this.writeBatch();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeBatch();
    }, delayMs);
  }

  private writeBatch(): Promise<void> {
    if (this.writing) return this.writing;
    const batch = this.queue.splice(0, this.o.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    this.writing = (async () => {
      try {
        await this.o.db.transaction(async (tx) => {
          await insertUsageRows(tx, batch);
          await enqueue(tx, batch.map(usageEvent));
        });
        this.failures = 0;
        this.written?.inc({ result: 'ok' }, batch.length);
        this.o.onCommitted?.();
      } catch (err) {
        // Put the batch back in front; the rows are not lost while the process lives.
        this.queue = batch.concat(this.queue);
        this.failures++;
        this.written?.inc({ result: 'retried' }, batch.length);
        this.o.logger.warn({ err, batch: batch.length }, 'usage batch failed; will retry');
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** this.failures, 5_000)));
      } finally {
        this.writing = undefined;
      }
      if (this.queue.length > 0)
        this.kick(this.queue.length >= this.o.maxBatch ? 0 : this.o.flushIntervalMs);
    })();
    return this.writing;
  }
}
