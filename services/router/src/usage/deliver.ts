import {
  PublishError,
  enqueue,
  type Database,
  type EventBus,
  type Logger,
  type OutgoingEvent,
} from '@quantumlayer/kit';
import type { QueuedUsage, UsageDelivery } from './types.js';

export interface UsageTargets {
  bus: Pick<EventBus, 'publish'>;
  /** The router's database: its outbox takes the events the bus did not confirm. */
  db: Pick<Database, 'transaction'>;
  logger: Pick<Logger, 'warn'>;
}

export interface UsageDelivererOptions {
  /**
   * After the bus fails a batch, the batches of this long go straight to the outbox: a bus that
   * does not answer costs each publish its whole PubAck timeout, which would hold every record
   * behind it in memory (and past the shutdown deadline).
   */
  spillCoolDownMs: number;
  now?: () => number;
}

/**
 * Publishes batches of UsageRecorded events straight to the bus and waits for every PubAck; the
 * events are durable once JetStream has confirmed them, and billing's ledger is built from them.
 *
 * Why not the transactional outbox for every call: the router writes no row that its usage
 * events must agree with (generation spend lives in the budget store), and the outbox's insert,
 * the relay's read-back and its publish cost the router's thread and the database more than
 * publishing once. The outbox stays the fallback: the events of a batch the bus did not confirm
 * (NATS down, reconnecting, no stream) go into `ql_outbox` in one transaction, and the relay
 * publishes them when the bus is back. `deliver` rejects only when neither took them: the caller
 * keeps the batch and retries it with the same event ids (JetStream drops a repeat within its
 * duplicate window, consumers' inboxes after it).
 */
export class UsageDeliverer {
  /** Until then, batches skip the bus (it failed the last one). */
  private spillUntil = 0;
  private readonly now: () => number;

  constructor(
    private readonly targets: UsageTargets,
    private readonly options: UsageDelivererOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Bound: it is handed to the queue as its `deliver`. */
  readonly deliver = async (batch: readonly QueuedUsage[]): Promise<UsageDelivery> => {
    const events = batch.map((q) => q.event);
    if (events.length === 0) return { published: 0, spilled: 0 };
    if (this.now() < this.spillUntil) return this.spill(events, 0);
    try {
      await this.targets.bus.publish(events);
      return { published: events.length, spilled: 0 };
    } catch (err) {
      this.spillUntil = this.now() + this.options.spillCoolDownMs;
      // Only what the bus did not store goes to the outbox: a copy relayed after JetStream's
      // duplicate window would be stored twice.
      const confirmed = new Set(err instanceof PublishError ? err.confirmed : []);
      const rest = confirmed.size > 0 ? events.filter((e) => !confirmed.has(e.id)) : events;
      this.targets.logger.warn(
        { err, events: rest.length, confirmed: confirmed.size },
        'usage events not confirmed by the bus; writing them to the outbox',
      );
      return this.spill(rest, events.length - rest.length);
    }
  };

  private async spill(events: OutgoingEvent[], published: number): Promise<UsageDelivery> {
    await this.targets.db.transaction((tx) => enqueue(tx, events));
    return { published, spilled: events.length };
  }
}
