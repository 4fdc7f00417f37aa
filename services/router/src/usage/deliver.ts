import {
  enqueue,
  type Database,
  type EventBus,
  type Logger,
  type OutgoingEvent,
} from '@quantumlayer/kit';
import { usageEvent } from './event.js';
import type { QueuedUsage, UsageDelivery } from './types.js';

export interface UsageTargets {
  bus: Pick<EventBus, 'publish'>;
  /** The router's database: its outbox takes the events the bus did not confirm. */
  db: Pick<Database, 'transaction'>;
  logger: Pick<Logger, 'warn' | 'error'>;
}

/**
 * Publishes a batch of UsageRecorded events straight to the bus and waits for every PubAck; the
 * events are durable once JetStream has confirmed them, and billing's ledger is built from them.
 *
 * Why not the transactional outbox for every call: the router writes no row that its usage
 * events must agree with (generation spend lives in the budget store), and the outbox's insert,
 * the relay's read-back and its publish cost the router's thread and the database more than
 * publishing once. The outbox stays the fallback: when the bus does not confirm a batch (NATS
 * down or reconnecting), the whole batch goes into `ql_outbox` in one transaction and the relay
 * publishes it when the bus is back; events that did land are dropped by JetStream's
 * de-duplication (same event ids). Rejects only when neither took the batch: the caller keeps it
 * and retries. A record that cannot be encoded is dropped (logged, counted), not retried.
 */
export async function deliverUsage(
  targets: UsageTargets,
  batch: readonly QueuedUsage[],
): Promise<UsageDelivery> {
  const events: OutgoingEvent[] = [];
  let invalid = 0;
  for (const q of batch) {
    try {
      events.push(usageEvent(q.record, q.id));
    } catch (err) {
      // A record that cannot be encoded never will be: retrying it would hold up every record
      // behind it. It is logged whole, so the call can still be billed by hand.
      invalid++;
      targets.logger.error(
        { err, usage: q.record, eventId: q.id },
        'usage record not encodable; dropped',
      );
    }
  }
  if (events.length === 0) return { result: 'published', delivered: 0, invalid };
  try {
    await targets.bus.publish(events);
    return { result: 'published', delivered: events.length, invalid };
  } catch (err) {
    targets.logger.warn(
      { err, events: events.length },
      'usage events not confirmed by the bus; writing them to the outbox',
    );
    await targets.db.transaction((tx) => enqueue(tx, events));
    return { result: 'spilled', delivered: events.length, invalid };
  }
}
