import { Counter, Gauge, type Registry } from 'prom-client';

export type ConsumeOutcome = 'ok' | 'retry' | 'dead_letter' | 'discarded';

export interface BusMetrics {
  published(subject: string, count: number): void;
  consumed(durable: string, outcome: ConsumeOutcome): void;
  deadLettered(durable: string): void;
}

export const noopBusMetrics: BusMetrics = {
  published: () => undefined,
  consumed: () => undefined,
  deadLettered: () => undefined,
};

// Several components of one service (bus, relay, inbox, or several buses in embedded mode) may
// share a registry; registering a name twice throws, so reuse what is already there.
function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function createBusMetrics(registry: Registry | undefined): BusMetrics {
  if (!registry) return noopBusMetrics;
  const published = counter(
    registry,
    'ql_bus_published_total',
    'Events stored by a stream (PubAck received).',
    ['subject'],
  );
  const consumed = counter(registry, 'ql_bus_consumed_total', 'Deliveries handled, by outcome.', [
    'consumer',
    'outcome',
  ]);
  const dead = counter(
    registry,
    'ql_bus_dead_lettered_total',
    'Events moved to a dead-letter subject.',
    ['consumer'],
  );
  return {
    published: (subject, count) => published.inc({ subject }, count),
    consumed: (consumer, outcome) => consumed.inc({ consumer, outcome }),
    deadLettered: (consumer) => dead.inc({ consumer }),
  };
}

/** Outbox backlog, read from the table when scraped so it is right whichever replica relays. */
export function registerOutboxBacklogGauge(registry: Registry, read: () => Promise<number>): void {
  if (registry.getSingleMetric('ql_bus_outbox_backlog')) return;
  new Gauge({
    name: 'ql_bus_outbox_backlog',
    help: 'Outbox rows not yet published.',
    registers: [registry],
    async collect() {
      try {
        this.set(await read());
      } catch {
        // A scrape during shutdown or a database blip keeps the last value.
      }
    },
  });
}
