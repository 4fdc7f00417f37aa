import { Fifo, newEventId, type Logger } from '@quantumlayer/kit';
import type { Counter, Registry } from 'prom-client';
import { Counter as PromCounter } from 'prom-client';
import { usageEvent } from './event.js';
import type { QueuedUsage, UsageDelivery, UsageRecord, UsageSink } from './types.js';

export interface UsageQueueOptions {
  /** Makes one batch durable; rejects to have it kept and retried. */
  deliver(batch: QueuedUsage[]): Promise<UsageDelivery>;
  logger: Pick<Logger, 'warn' | 'error'>;
  registry?: Registry;
  flushIntervalMs: number;
  maxBatch: number;
  /**
   * Records held while deliveries fail or lag; past it the oldest are dropped, counted and
   * logged, so an outage cannot exhaust the router's memory.
   */
  maxQueued: number;
  /** Called after each delivered batch (e.g. to wake the outbox relay after a spill). */
  onDelivered?: (outcome: UsageDelivery) => void;
}

/**
 * Queues finished calls and delivers them in batches, one batch at a time, in the background.
 *
 * Why batched and after the response: delivering per call would put a bus round trip on every
 * call. Calls are queued and sent together within `flushIntervalMs`. The cost is a window of at
 * most `flushIntervalMs` (plus a delivery in flight) in which a crash of the process loses
 * records of calls already answered; shutdown flushes. A failed batch is put back in front with
 * its event ids and retried with backoff, so nothing is lost while the process lives and the
 * queue stays under `maxQueued`. A record becomes its event (id and encoding) once, when a batch
 * is formed: not in `record`, which keeps the call's own path to a push, and not again on a retry.
 */
export class UsageQueue implements UsageSink {
  /** Records not yet in a batch (a Fifo: after an outage it may hold a million). */
  private readonly fresh = new Fifo<UsageRecord>();
  /** A failed batch waiting for its retry, ids kept. */
  private retry: QueuedUsage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private readonly delivered: Counter | undefined;
  private failures = 0;
  private closed = false;
  /** Records dropped since the last log line about it (one line per 10 s at most). */
  private droppedUnlogged = 0;
  private lastDropLog = 0;

  constructor(private readonly o: UsageQueueOptions) {
    this.delivered = o.registry
      ? new PromCounter({
          name: 'ql_router_usage_records_total',
          help: 'Usage records (UsageRecorded events) by result: published to the bus, spilled to the outbox when the bus did not confirm them, retried, dropped after an outage outgrew the queue, or invalid (not encodable)',
          labelNames: ['result'],
          registers: [o.registry],
        })
      : undefined;
  }

  get pending(): number {
    return this.fresh.length + this.retry.length;
  }

  record(usage: UsageRecord): void {
    this.fresh.push(usage);
    if (this.pending > this.o.maxQueued) this.shed();
    this.kick(this.pending >= this.o.maxBatch ? 0 : this.o.flushIntervalMs);
  }

  /** Delivers everything queued so far; resolves when it is durable. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing || this.pending > 0) {
      if (this.writing) await this.writing.catch(() => undefined);
      else await this.writeBatch();
    }
  }

  /** Final flush at shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private kick(delayMs: number): void {
    if (this.writing) return;
    if (delayMs === 0 || this.closed) {
      // A full batch does not wait for the timer a first record started.
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.writeBatch();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeBatch();
    }, delayMs);
  }

  private take(): QueuedUsage[] {
    const max = this.o.maxBatch;
    const batch = this.retry.length <= max ? this.retry : this.retry.slice(0, max);
    this.retry = this.retry.length <= max ? [] : this.retry.slice(max);
    let invalid = 0;
    for (let n = Math.min(max - batch.length, this.fresh.length); n > 0; n--) {
      const record = this.fresh.shift()!;
      const id = newEventId();
      try {
        batch.push({ id, record, event: usageEvent(record, id) });
      } catch (err) {
        // A record that cannot be encoded never will be: kept, it would hold up every record
        // behind it. It is logged whole, so the call can still be billed by hand.
        invalid++;
        this.o.logger.error(
          { err, usage: record, eventId: id },
          'usage record not encodable; dropped',
        );
      }
    }
    if (invalid > 0) this.delivered?.inc({ result: 'invalid' }, invalid);
    return batch;
  }

  private writeBatch(): Promise<void> {
    if (this.writing) return this.writing;
    const batch = this.take();
    if (batch.length === 0) return Promise.resolve();
    this.writing = (async () => {
      try {
        const outcome = await this.o.deliver(batch);
        this.failures = 0;
        for (const result of ['published', 'spilled'] as const)
          if (outcome[result] > 0) this.delivered?.inc({ result }, outcome[result]);
        try {
          this.o.onDelivered?.(outcome);
        } catch (err) {
          this.o.logger.warn({ err }, 'usage onDelivered callback failed');
        }
      } catch (err) {
        this.retry = batch.concat(this.retry);
        this.failures++;
        this.delivered?.inc({ result: 'retried' }, batch.length);
        this.o.logger.warn({ err, batch: batch.length }, 'usage batch not delivered; will retry');
        this.shed();
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** this.failures, 5_000)));
      } finally {
        this.writing = undefined;
      }
      if (this.pending > 0)
        this.kick(this.pending >= this.o.maxBatch || this.closed ? 0 : this.o.flushIntervalMs);
    })();
    return this.writing;
  }

  /** Drops the oldest records beyond `maxQueued`. */
  private shed(): void {
    let over = this.pending - this.o.maxQueued;
    if (over <= 0) return;
    const dropped = over;
    const fromRetry = Math.min(over, this.retry.length);
    this.retry = this.retry.slice(fromRetry);
    over -= fromRetry;
    this.fresh.drop(over);
    this.delivered?.inc({ result: 'dropped' }, dropped);
    this.droppedUnlogged += dropped;
    const now = Date.now();
    if (now - this.lastDropLog >= 10_000) {
      this.o.logger.error(
        { dropped: this.droppedUnlogged, kept: this.pending },
        'usage queue full while deliveries fail or lag: oldest records dropped',
      );
      this.droppedUnlogged = 0;
      this.lastDropLog = now;
    }
  }
}
