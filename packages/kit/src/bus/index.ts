import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { MemoryEventBus } from './memory.js';
import { connectNatsBus } from './nats.js';
import type { EventBus, StreamSpec } from './types.js';

export * from './types.js';
export {
  HEADERS,
  decodeEvent,
  eventHeaders,
  keepDeliveryAlive,
  newEventId,
  toOutgoingEvent,
  type EventMeta,
} from './events.js';
export {
  DEAD_LETTER_STREAM,
  Namespace,
  deadLetterStream,
  deadLetterSubject,
  domainOf,
  domainStream,
  eventConsumer,
  snakeCase,
  streamFor,
  subjectFor,
  subjectMatches,
} from './naming.js';
export { MemoryEventBus, type MemoryBusOptions } from './memory.js';
export { NatsEventBus, connectNatsBus, type NatsBusOptions } from './nats.js';
export {
  OutboxRelay,
  enqueue,
  outboxChannel,
  outboxMigrations,
  type OutboxRelayOptions,
} from './outbox.js';
export {
  Inbox,
  busMigrations,
  inboxMigrations,
  type BatchEffect,
  type InboxOptions,
} from './inbox.js';
export { createBusMetrics, type BusMetrics, type ConsumeOutcome } from './metrics.js';

export interface CreateEventBusOptions {
  /** `QL_NATS_URL`; unset means embedded mode and the in-memory bus. */
  natsUrl?: string | undefined;
  /** Connection name, usually the service name. */
  name?: string;
  namespace?: string;
  logger?: Logger;
  registry?: Registry;
  /** Streams to ensure once connected (dev, tests, embedded mode). */
  streams?: readonly StreamSpec[];
}

/** The bus a service's configuration asks for (DESIGN.md §4-5). */
export async function createEventBus(options: CreateEventBusOptions): Promise<EventBus> {
  const bus: EventBus = options.natsUrl
    ? await connectNatsBus({
        servers: options.natsUrl,
        name: options.name,
        namespace: options.namespace,
        logger: options.logger,
        registry: options.registry,
      })
    : new MemoryEventBus({
        namespace: options.namespace,
        logger: options.logger,
        registry: options.registry,
      });
  if (options.streams?.length) {
    try {
      await bus.ensureStreams(options.streams);
    } catch (err) {
      await bus.close();
      throw err;
    }
  }
  return bus;
}
