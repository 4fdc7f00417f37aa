import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { openDatabase, type Database } from '../../src/db/index.js';
import { initTracing, type TracingHandle } from '../../src/tracing.js';
import {
  HEADERS,
  Inbox,
  OutboxRelay,
  PublishError,
  TerminalError,
  busMigrations,
  deadLetterStream,
  decodeEvent,
  domainStream,
  enqueue,
  type DeliveredEvent,
  type EventBus,
  type OutgoingEvent,
  type PublishResult,
  type Subscription,
} from '../../src/bus/index.js';
import { ThingHappenedSchema } from '../fixtures/thing.js';
import { uniqueName } from '../support/env.js';
import { consumerSpec, sleep, thing, waitFor } from './helpers.js';

export interface BusUnderTest {
  kind: 'nats' | 'memory';
  connect(namespace: string, registry?: Registry): Promise<EventBus>;
  /** Postgres for the NATS run; PGlite (embedded mode) for the in-memory one. */
  databaseUrl: string | undefined;
}

/**
 * One suite, run against both buses: the in-memory bus must keep JetStream's ack, redelivery,
 * dead-letter, de-duplication and back-pressure semantics so embedded mode behaves like the
 * distributed deployment.
 */
export function busContract(t: BusUnderTest): void {
  // The root config's per-project testTimeout is not applied by jest 30; set it here.
  describe(`event bus contract: ${t.kind}`, () => {
    const namespace = uniqueName('t');
    let bus: EventBus;
    let tracing: TracingHandle;
    const registry = new Registry();

    beforeAll(async () => {
      // Registers the W3C propagator and the async context manager, as a service's main does.
      tracing = initTracing({ service: 'bus-test' });
      bus = await t.connect(namespace, registry);
      await bus.ensureStreams([
        domainStream('bustest', { maxAgeMs: 3_600_000 }),
        deadLetterStream({ maxAgeMs: 3_600_000 }),
      ]);
      // Idempotent: a second declaration changes nothing.
      await bus.ensureStreams([
        domainStream('bustest', { maxAgeMs: 3_600_000 }),
        deadLetterStream({ maxAgeMs: 3_600_000 }),
      ]);
    });

    afterAll(async () => {
      await bus.deleteStreams(['QL_BUSTEST', 'QL_DLQ']);
      await bus.close();
      await tracing.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it('delivers the payload with CloudEvents headers, trace context and logical names', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const event = thing('roundtrip', 7, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
      const received: DeliveredEvent[] = [];
      const sub = await bus.subscribe(consumerSpec('roundtrip'), async (e) => {
        received.push(e);
      });
      const [result] = await bus.publish(event);
      expect(result).toMatchObject({ id: event.id, duplicate: false, stream: 'QL_BUSTEST' });
      await waitFor('delivery', () => received.length === 1);
      const got = received[0]!;
      expect(got).toMatchObject({
        id: event.id,
        type: 'quantumlayer.bustest.v1.ThingHappened',
        source: 'bus-test',
        ceSubject: 'gen-roundtrip',
        tenantId: 'tenant-a',
        subject: 'ql.bustest.v1.roundtrip',
        stream: 'QL_BUSTEST',
        deliveryCount: 1,
      });
      expect(got.headers[HEADERS.msgId]).toBe(event.id);
      expect(got.headers[HEADERS.time]).toBe(event.time);
      expect(trace.getSpanContext(got.traceContext)?.traceId).toBe(traceId);
      expect(decodeEvent(ThingHappenedSchema, got)).toMatchObject({ thingId: 'roundtrip-7', n: 7 });
      await sub.stop();
    });

    it('injects the active trace context when the event carries none', async () => {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const parent = trace.setSpanContext(context.active(), {
        traceId,
        spanId: 'b7ad6b7169203331',
        traceFlags: TraceFlags.SAMPLED,
      });
      await context.with(parent, () => bus.publish(thing('inject', 1)));
      const received: DeliveredEvent[] = [];
      const sub = await bus.subscribe(consumerSpec('inject'), async (e) => {
        received.push(e);
      });
      await waitFor('delivery', () => received.length === 1);
      expect(received[0]!.traceparent).toContain(traceId);
      await sub.stop();
    });

    it('drops a repeated event id (de-duplication) so the consumer sees it once', async () => {
      const event = thing('dedupe', 1);
      const first = await bus.publish(event);
      const again = await bus.publish([event, { ...event }]);
      expect(first[0]!.duplicate).toBe(false);
      expect(again.map((r: PublishResult) => r.duplicate)).toEqual([true, true]);
      const seen: string[] = [];
      const sub = await bus.subscribe(consumerSpec('dedupe'), async (e) => {
        seen.push(e.id);
      });
      await waitFor('delivery', () => seen.length === 1);
      await sleep(300);
      expect(seen).toEqual([event.id]);
      await sub.stop();
    });

    it('redelivers after a failure with a growing delivery count', async () => {
      const counts: number[] = [];
      const sub = await bus.subscribe(consumerSpec('retry'), async (e) => {
        counts.push(e.deliveryCount);
        if (e.deliveryCount < 3) throw new Error('transient');
      });
      await bus.publish(thing('retry', 1));
      await waitFor('third delivery', () => counts.length === 3);
      await sleep(200);
      expect(counts).toEqual([1, 2, 3]);
      await sub.stop();
      expect(await bus.consumerState('QL_BUSTEST', 'bustest-retry')).toMatchObject({
        numPending: 0,
        numAckPending: 0,
      });
    });

    it('redelivers a delivery whose handler does not settle within ackWait', async () => {
      const counts: number[] = [];
      const sub = await bus.subscribe(consumerSpec('ackwait', { ackWaitMs: 1_000 }), async (e) => {
        counts.push(e.deliveryCount);
        if (e.deliveryCount === 1) await sleep(1_800);
      });
      await bus.publish(thing('ackwait', 1));
      await waitFor('redelivery', () => counts.length === 2, 5_000);
      expect(counts).toEqual([1, 2]);
      await sub.stop();
    });

    it('dead-letters a poison event after exactly maxDeliver deliveries, with headers describing it', async () => {
      const letters: DeliveredEvent[] = [];
      const dlq = await bus.subscribe(
        consumerSpec('dlq', {
          durable: 'bustest-dlq-reader',
          filterSubject: 'ql.dlq.bustest',
          stream: 'QL_DLQ',
        }),
        async (e) => {
          letters.push(e);
        },
      );
      let attempts = 0;
      const spec = consumerSpec('poison', { maxDeliver: 3 });
      const sub = await bus.subscribe(spec, async () => {
        attempts++;
        throw new Error(`poison attempt ${attempts}\nsecond line`);
      });
      const event = thing('poison', 1);
      await bus.publish(event);
      await waitFor('dead letter', () => letters.length === 1, 10_000);
      await sleep(300);
      expect(attempts).toBe(3);
      const letter = letters[0]!;
      expect(letter.subject).toBe('ql.dlq.bustest');
      expect(letter.id).toBe(event.id);
      expect(letter.type).toBe(event.type);
      expect(Buffer.from(letter.data).equals(Buffer.from(event.data))).toBe(true);
      expect(letter.headers).toMatchObject({
        [HEADERS.dlqSubject]: 'ql.bustest.v1.poison',
        [HEADERS.dlqStream]: 'QL_BUSTEST',
        [HEADERS.dlqConsumer]: 'bustest-poison',
        [HEADERS.dlqDeliveries]: '3',
        [HEADERS.dlqReason]: 'max-deliver',
        [HEADERS.dlqError]: 'poison attempt 3 second line',
      });
      expect(await bus.consumerState('QL_BUSTEST', 'bustest-poison')).toMatchObject({
        numPending: 0,
        numAckPending: 0,
      });

      // A TerminalError (here: the wrong message type) skips the retries.
      let terminalAttempts = 0;
      const terminal = await bus.subscribe(consumerSpec('terminal'), async (e) => {
        terminalAttempts++;
        throw new TerminalError(`cannot handle ${e.type}`);
      });
      await bus.publish(thing('terminal', 1));
      await waitFor('terminal dead letter', () => letters.length === 2, 10_000);
      expect(terminalAttempts).toBe(1);
      expect(letters[1]!.headers).toMatchObject({
        [HEADERS.dlqReason]: 'terminal',
        [HEADERS.dlqDeliveries]: '1',
      });
      await Promise.all([sub.stop(), dlq.stop(), terminal.stop()]);
      const metrics = await registry.metrics();
      expect(metrics).toContain('ql_bus_dead_lettered_total{consumer="bustest-poison"} 1');
      expect(metrics).toContain(
        'ql_bus_consumed_total{consumer="bustest-poison",outcome="retry"} 2',
      );
    });

    it('never runs more than maxInFlight handlers at once (back-pressure)', async () => {
      const maxInFlight = 4;
      let running = 0;
      let peak = 0;
      let done = 0;
      const sub = await bus.subscribe(consumerSpec('backpressure', { maxInFlight }), async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(30);
        running--;
        done++;
      });
      await bus.publish(Array.from({ length: 40 }, (_, i) => thing('backpressure', i)));
      await waitFor('all handled', () => done === 40);
      expect(peak).toBe(maxInFlight);
      await sub.stop();
    });

    it('stop() waits for the in-flight handler, which is acknowledged, not redelivered', async () => {
      let started = false;
      let finished = false;
      const deliveries: number[] = [];
      const sub = await bus.subscribe(consumerSpec('stop'), async (e) => {
        deliveries.push(e.deliveryCount);
        started = true;
        await sleep(400);
        finished = true;
      });
      await bus.publish(thing('stop', 1));
      await waitFor('handler start', () => started);
      await sub.stop();
      expect(finished).toBe(true);
      expect(sub.inFlight).toBe(0);
      expect(await bus.consumerState('QL_BUSTEST', 'bustest-stop')).toMatchObject({
        numPending: 0,
        numAckPending: 0,
      });
      const again = await bus.subscribe(consumerSpec('stop'), async (e) => {
        deliveries.push(e.deliveryCount);
      });
      await sleep(300);
      expect(deliveries).toEqual([1]);
      await again.stop();
    });

    it('keeps the newest messages of a stream at its cap, in order, for a consumer created later', async () => {
      // Its own stream: the cap applies to a whole stream. Past the cap, the memory bus trims
      // its oldest messages many times over (and compacts its storage): what is left must be
      // exactly the newest, with their sequence numbers, as JetStream keeps them.
      await bus.ensureStreams([{ name: 'QL_BUSCAP', subjects: ['ql.buscap.>'], maxMsgs: 1500 }]);
      try {
        const total = 5000;
        for (let i = 0; i < total; i += 500) {
          const batch = Array.from({ length: 500 }, (_, k) => ({
            ...thing('cap', i + k),
            subject: 'ql.buscap.v1.cap',
          }));
          await bus.publish(batch);
        }
        const seen: number[] = [];
        const sub = await bus.subscribe(
          {
            ...consumerSpec('cap', { maxInFlight: 256 }),
            stream: 'QL_BUSCAP',
            filterSubject: 'ql.buscap.v1.cap',
          },
          async (e) => {
            seen.push(decodeEvent(ThingHappenedSchema, e).n);
          },
        );
        await waitFor('the kept messages', () => seen.length >= 1500);
        await sleep(100);
        await sub.stop();
        expect(seen).toHaveLength(1500);
        expect(seen).toEqual(Array.from({ length: 1500 }, (_, k) => total - 1500 + k));
      } finally {
        await bus.deleteStreams(['QL_BUSCAP']);
      }
    });

    it('refuses to publish to a subject no stream captures', async () => {
      await expect(bus.publish(thing('x', 1, { subject: 'ql.nostream.v1.x' }))).rejects.toThrow();
    });

    it('names the events it did store when a batch is only partly confirmed', async () => {
      const stored = [thing('partial', 1), thing('partial', 2)];
      const refused = thing('partial', 3, { subject: 'ql.nostream.v1.partial' });
      const err = await bus.publish([...stored, refused]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect([...(err as PublishError).confirmed].sort()).toEqual(stored.map((e) => e.id).sort());
    });

    it('is ready, and updates a consumer in place but refuses to change its filter', async () => {
      await expect(bus.ready()).resolves.toBeUndefined();
      const spec = consumerSpec('update');
      await bus.ensureConsumer(spec);
      await bus.ensureConsumer({ ...spec, ackWaitMs: 7_000, maxInFlight: 3 });
      await bus.ensureConsumer({ ...spec, ackWaitMs: 7_000, maxInFlight: 3 });
      await expect(
        bus.ensureConsumer({ ...spec, filterSubject: 'ql.bustest.v1.other' }),
      ).rejects.toThrow(/filters/);
      await expect(bus.ensureConsumer({ ...spec, stream: 'QL_MISSING' })).rejects.toThrow(
        /does not exist/,
      );
      await expect(
        bus.subscribe(consumerSpec('bad', { maxDeliver: 0 }), async () => undefined),
      ).rejects.toThrow(/maxDeliver/);
    });

    describe('outbox and inbox', () => {
      let db: Database;
      const schema = uniqueName('kit_bus');

      beforeAll(async () => {
        db = await openDatabase({ url: t.databaseUrl, schema });
        await db.migrate([
          ...busMigrations,
          {
            id: '0001_test_tables',
            statements: [
              `CREATE TABLE orders (id text PRIMARY KEY, n integer NOT NULL)`,
              // No unique constraint on purpose: a duplicate effect would show as a second row.
              `CREATE TABLE effects (event_id text NOT NULL, n integer NOT NULL)`,
            ],
          },
        ]);
      });

      afterAll(async () => {
        await db.dropSchema();
        await db.close();
      });

      const countEffects = async () => {
        const r = await db.query<{ n: string; d: string }>(
          `SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM effects`,
        );
        return { total: Number(r.rows[0]!.n), distinct: Number(r.rows[0]!.d) };
      };

      it('inbox applies an effect once per consumer and event id', async () => {
        const inbox = new Inbox(db);
        const effect = async (
          tx: Parameters<Parameters<Inbox['process']>[2]>[0],
          e: { id: string },
        ) => {
          await tx.query(`INSERT INTO effects (event_id, n) VALUES ($1, 0)`, [e.id]);
        };
        expect(await inbox.process('c1', { id: 'inbox-a' }, effect)).toBe(true);
        expect(await inbox.process('c1', { id: 'inbox-a' }, effect)).toBe(false);
        // Concurrent duplicates land in one group commit: still one effect.
        const both = await Promise.all([
          inbox.process('c1', { id: 'inbox-b' }, effect),
          inbox.process('c1', { id: 'inbox-b' }, effect),
          inbox.process('c2', { id: 'inbox-b' }, effect),
        ]);
        expect(both.filter(Boolean)).toHaveLength(2);
        // A failing effect rejects only its own event and records nothing for it.
        const results = await Promise.allSettled([
          inbox.process('c1', { id: 'inbox-c' }, effect),
          inbox.process('c1', { id: 'inbox-d' }, async () => {
            throw new Error('effect failed');
          }),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
        expect(await inbox.process('c1', { id: 'inbox-d' }, effect)).toBe(true);
        const r = await db.query<{ event_id: string }>(
          `SELECT event_id FROM effects ORDER BY event_id`,
        );
        expect(r.rows.map((x) => x.event_id)).toEqual([
          'inbox-a',
          'inbox-b',
          'inbox-b',
          'inbox-c',
          'inbox-d',
        ]);
        await db.query(`DELETE FROM effects`);
        // Pruning forgets old ids only.
        await db.query(
          `UPDATE ql_inbox SET processed_at = now() - interval '30 days' WHERE event_id = 'inbox-a'`,
        );
        expect(await inbox.prune(new Date(Date.now() - 7 * 24 * 3600_000))).toBe(1);
        expect(await inbox.process('c1', { id: 'inbox-b' }, effect)).toBe(false);
        await db.query(`DELETE FROM effects`);
      });

      it('relays committed outbox rows in insertion order, and none from a rolled-back transaction', async () => {
        const events = Array.from({ length: 30 }, (_, i) => thing('order', i));
        await db.transaction(async (tx) => enqueue(tx, events.slice(0, 20)));
        await expect(
          db.transaction(async (tx) => {
            await enqueue(tx, thing('order', 999));
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
        await db.transaction(async (tx) => enqueue(tx, events.slice(20)));
        const relayMetrics = new Registry();
        const relay = new OutboxRelay({ db, bus, batchSize: 7, registry: relayMetrics });
        expect(await relayMetrics.metrics()).toContain('ql_bus_outbox_backlog 30');
        expect(await relay.drain()).toBe(30);
        expect(await relay.backlog()).toBe(0);
        expect(await relayMetrics.metrics()).toContain('ql_bus_outbox_backlog 0');
        const seen: number[] = [];
        const sub = await bus.subscribe(consumerSpec('order', { maxInFlight: 1 }), async (e) => {
          seen.push(decodeEvent(ThingHappenedSchema, e).n);
        });
        await waitFor('30 events', () => seen.length === 30);
        expect(seen).toEqual(events.map((_, i) => i));
        await sub.stop();
      });

      it('relay retries a failed batch with backoff, then publishes it', async () => {
        let failures = 0;
        const published: string[] = [];
        const relay = new OutboxRelay({
          db,
          pollIntervalMs: 20,
          bus: {
            publish: async (events: OutgoingEvent | readonly OutgoingEvent[]) => {
              if (failures < 2) {
                failures++;
                throw new Error('NATS unavailable');
              }
              const list = Array.isArray(events) ? events : [events as OutgoingEvent];
              published.push(...list.map((e) => e.id));
              return bus.publish(list);
            },
          },
        });
        const events = [thing('retry_relay', 1), thing('retry_relay', 2)];
        await db.transaction((tx) => enqueue(tx, events));
        relay.start();
        try {
          await waitFor('relayed after failures', () => published.length === 2, 10_000);
          expect(failures).toBe(2);
          expect(published).toEqual(events.map((e) => e.id));
          // Published is not yet committed: the delete becomes visible at commit.
          await waitFor('outbox empty', async () => (await relay.backlog()) === 0);
        } finally {
          await relay.stop();
        }
      });

      it('applies every effect exactly once through outbox, relay replicas and inbox, across consumer crashes and restarts', async () => {
        const total = 1_500;
        const topic = 'exactly_once';
        const inbox = new Inbox(db, { registry });
        const spec = consumerSpec(topic, {
          maxInFlight: 32,
          ackWaitMs: 1_000,
          stopTimeoutMs: 5_000,
        });
        const handler = async (e: DeliveredEvent) => {
          const { n } = decodeEvent(ThingHappenedSchema, e);
          await inbox.process(spec.durable, e, async (tx) => {
            await tx.query(`INSERT INTO effects (event_id, n) VALUES ($1, $2)`, [e.id, n]);
          });
        };

        const produce = async (from: number, count: number) => {
          await db.transaction(async (tx) => {
            for (let k = from; k < from + count; k++) {
              await tx.query(`INSERT INTO orders (id, n) VALUES ($1, $2)`, [`o-${k}`, k]);
            }
            await enqueue(
              tx,
              Array.from({ length: count }, (_, k) => thing(topic, from + k)),
            );
          });
        };

        // A relay that dies after the PubAcks but before its commit: its rows are sent again.
        const crashing = new OutboxRelay({
          db,
          bus: {
            publish: async (events: OutgoingEvent | readonly OutgoingEvent[]) => {
              await bus.publish(events);
              throw new Error('relay crashed after publishing');
            },
          },
        });
        await produce(0, 50);
        await expect(crashing.relayOnce()).rejects.toThrow('relay crashed');
        expect(await crashing.backlog()).toBe(50);

        // Three replicas share the work (SKIP LOCKED), one woken by LISTEN/NOTIFY where available.
        const relays = [
          new OutboxRelay({ db, bus, batchSize: 50, pollIntervalMs: 20 }),
          new OutboxRelay({
            db,
            bus,
            batchSize: 100,
            pollIntervalMs: 20,
            listenUrl: t.databaseUrl,
          }),
          new OutboxRelay({ db, bus, batchSize: 100, pollIntervalMs: 20 }),
        ];
        let sub: Subscription | undefined;
        try {
          relays.forEach((r) => r.start());
          sub = await bus.subscribe(spec, handler);
          const producer = (async () => {
            for (let i = 50; i < total; i += 50) {
              await produce(i, 50);
              await sleep(5);
            }
          })();

          await waitFor('first effects', async () => (await countEffects()).distinct >= 300);
          await sub.abort(); // crash: in-flight outcomes are lost, their events come back after ackWait
          sub = await bus.subscribe(spec, handler);
          await waitFor('more effects', async () => (await countEffects()).distinct >= 800);
          await sub.stop(); // graceful restart
          sub = await bus.subscribe(spec, handler);
          await producer;

          await waitFor(
            'all effects',
            async () => (await countEffects()).distinct === total,
            30_000,
            100,
          );
          await waitFor('consumer settled', async () => {
            const s = await bus.consumerState('QL_BUSTEST', spec.durable);
            return s.numPending === 0 && s.numAckPending === 0;
          });
          await sleep(300);
          expect(await countEffects()).toEqual({ total, distinct: total });
          await waitFor('outbox empty', async () => (await relays[0]!.backlog()) === 0);
        } finally {
          await sub?.stop();
          await Promise.all(relays.map((r) => r.stop()));
        }
      });

      it('inbox.handler applies effects in bulk, once', async () => {
        await db.query(`DELETE FROM effects`);
        const inbox = new Inbox(db);
        const spec = consumerSpec('bulk', { maxInFlight: 64 });
        const calls: number[] = [];
        const sub = await bus.subscribe(
          spec,
          inbox.handler(spec.durable, async (tx, events) => {
            calls.push(events.length);
            const params = events.flatMap((e) => [e.id, decodeEvent(ThingHappenedSchema, e).n]);
            const values = events.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
            await tx.query(`INSERT INTO effects (event_id, n) VALUES ${values}`, params);
          }),
        );
        const events = Array.from({ length: 300 }, (_, i) => thing('bulk', i));
        await bus.publish(events);
        await bus.publish(events.slice(0, 50).map((e) => ({ ...e, id: e.id }))); // de-duplicated
        await waitFor('bulk effects', async () => (await countEffects()).distinct === 300);
        await sub.stop();
        expect(await countEffects()).toEqual({ total: 300, distinct: 300 });
        expect(calls.reduce((a, b) => a + b, 0)).toBe(300);
      });
    });
  });
}
