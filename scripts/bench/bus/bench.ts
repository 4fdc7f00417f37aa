/**
 * Event throughput, end to end, against the real servers (Postgres + NATS JetStream):
 *
 *   raw        plain nats.js: js.publish → pull consume → ack, no kit code (the baseline);
 *   bus        EventBus.publish → EventBus.subscribe (headers, PubAcks, delivery rules);
 *   process    outbox → JetStream → inbox with a per-event effect: producer transactions write
 *              business rows and outbox rows, the relay publishes, the consumer applies each
 *              effect through `inbox.process` (group-committed);
 *   bulk       the same with a bulk effect (`inbox.handler`).
 *
 * As deployed, the consumer is another process (this script re-run as a child) with its own
 * schema; the producer and its relay run here. Each row is timed from the first publish or
 * producer transaction until the consumer has committed (or acked) the last event.
 *
 *   node --import tsx scripts/bench/bus/bench.ts [events]
 *
 * QL_BENCH_DATABASE_URL / QL_BENCH_NATS_URL override the local servers; QL_BENCH_ONLY=raw,bus,…
 * picks rows; QL_BENCH_CONSUMER_NODE_ARGS passes node flags (e.g. --cpu-prof) to the consumer.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { create } from '@bufbuild/protobuf';
import { GenerationRequestedSchema } from '../../../packages/contracts/src/index.js';
import {
  Inbox,
  OutboxRelay,
  connectNatsBus,
  decodeEvent,
  domainStream,
  enqueue,
  inboxMigrations,
  outboxMigrations,
  toOutgoingEvent,
  type ConsumerSpec,
  type EventBus,
  type EventHandler,
  type OutgoingEvent,
} from '../../../packages/kit/src/bus/index.js';
import { openDatabase } from '../../../packages/kit/src/db/index.js';
import {
  createRawStream,
  deleteRawStream,
  rawConsume,
  rawPublish,
  type RawTarget,
} from '../../../packages/kit/test/fixtures/raw-jetstream.js';

type Mode = 'raw' | 'bus' | 'process' | 'bulk';
const MODES: Mode[] = ['raw', 'bus', 'process', 'bulk'];

const DATABASE_URL = process.env.QL_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.QL_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const EVENTS_PER_TX = 100;
const PRODUCERS = 2;
const MAX_IN_FLIGHT = 1_000;
const RELAY_BATCH = 1_000;

const description =
  'A bookshop inventory service with a REST API, PostgreSQL storage, authentication for staff, ' +
  'low-stock alerts by e-mail and a nightly sales report.';

function event(n: number): OutgoingEvent {
  const generationId = `gen-${n}`;
  return toOutgoingEvent(
    GenerationRequestedSchema,
    create(GenerationRequestedSchema, { generationId, tenantId: 'tenant-bench', description }),
    { source: 'bench', ceSubject: generationId, tenantId: 'tenant-bench' },
  );
}

function consumerSpec(durable: string): ConsumerSpec {
  return {
    stream: 'QL_GENERATION',
    durable,
    filterSubject: 'ql.generation.v1.generation_requested',
    maxDeliver: 5,
    ackWaitMs: 30_000,
    maxInFlight: MAX_IN_FLIGHT,
    deadLetterSubject: 'ql.dlq.bench',
  };
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return u.user + u.system;
}

interface Names {
  namespace: string;
  producerSchema: string;
  consumerSchema: string;
  raw: RawTarget;
}

// ---------------------------------------------------------------------------------------------
// The consumer process.

async function consumerMain(mode: Mode, total: number, names: Names): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (mode === 'raw') {
    let cpu = process.cpuUsage();
    await rawConsume(names.raw, total, MAX_IN_FLIGHT, () => {
      cpu = process.cpuUsage();
      say('ready');
    });
    say(`cpu ${cpuMicros(cpu)}`);
    say('done');
    return;
  }
  const bus = await connectNatsBus({
    servers: NATS_URL,
    namespace: names.namespace,
    name: 'bench-consumer',
  });
  const db = await openDatabase({
    url: DATABASE_URL,
    schema: names.consumerSchema,
    maxConnections: 4,
  });
  const inbox = new Inbox(db);
  const durable = `bench-${mode}`;
  let n = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const counted =
    (inner: EventHandler): EventHandler =>
    async (e) => {
      await inner(e);
      if (++n === total) finish();
    };

  let handler: EventHandler;
  if (mode === 'bus') {
    handler = counted(async (e) => {
      decodeEvent(GenerationRequestedSchema, e);
    });
  } else if (mode === 'process') {
    handler = counted(async (e) => {
      const m = decodeEvent(GenerationRequestedSchema, e);
      await inbox.process(durable, e, async (tx) => {
        await tx.query(`INSERT INTO effects (event_id, generation_id) VALUES ($1, $2)`, [
          e.id,
          m.generationId,
        ]);
      });
    });
  } else {
    handler = counted(
      inbox.handler(durable, async (tx, events) => {
        const rows = events.map((e) => ({
          event_id: e.id,
          generation_id: decodeEvent(GenerationRequestedSchema, e).generationId,
        }));
        await tx.query(
          `INSERT INTO effects (event_id, generation_id)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, generation_id text)`,
          [JSON.stringify(rows)],
        );
      }),
    );
  }
  const sub = await bus.subscribe(consumerSpec(durable), handler);
  const cpu = process.cpuUsage();
  say('ready');
  await finished;
  await sub.stop();
  say(`cpu ${cpuMicros(cpu)}`);
  say('done');
  await bus.close();
  await db.close();
}

// ---------------------------------------------------------------------------------------------
// The producer side and the report.

function startConsumer(mode: Mode, total: number, names: Names) {
  // QL_BENCH_CONSUMER_NODE_ARGS, e.g. `--cpu-prof`, profiles the consumer process.
  const nodeArgs = process.env.QL_BENCH_CONSUMER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', process.argv[1]!, String(total)],
    {
      env: {
        ...process.env,
        QL_BENCH_ROLE: 'consumer',
        QL_BENCH_MODE: mode,
        QL_BENCH_NAMES: JSON.stringify(names),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const waiters = new Map<string, () => void>();
  const seen = new Set<string>();
  let cpuMicros = 0;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('cpu ')) cpuMicros = Number(line.slice(4));
      seen.add(line);
      waiters.get(line)?.();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (l: string) =>
    Promise.race([
      seen.has(l) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(l, resolve)),
      exited.then((code) => {
        throw new Error(`consumer (${mode}) exited with ${code} before "${l}"`);
      }),
    ]);
  return { line, exited, kill: () => child.kill('SIGKILL'), cpuMicros: () => cpuMicros };
}

interface Row {
  mode: Mode;
  seconds: number;
  /** CPU time per event of the producing process (this one) and of the consumer process. */
  producerCpuUs: number;
  consumerCpuUs: number;
  note?: string;
}

const LABELS: Record<Mode, string> = {
  raw: 'raw nats.js publish → consume (baseline)',
  bus: 'EventBus publish → subscribe',
  process: 'outbox → JetStream → inbox, per-event effect',
  bulk: 'outbox → JetStream → inbox, bulk effect',
};

async function run(mode: Mode, total: number, names: Names, bus: EventBus): Promise<Row> {
  if (mode === 'raw') await createRawStream(names.raw, MAX_IN_FLIGHT);
  else {
    // Every row starts from an empty stream, so its consumer sees only its own events.
    await bus.deleteStreams(['QL_GENERATION']);
    await bus.ensureStreams([domainStream('generation', { maxAgeMs: 3_600_000 })]);
  }
  const events = Array.from({ length: total }, (_, i) => event(i));
  const consumer = startConsumer(mode, total, names);
  try {
    await consumer.line('ready');
    const started = performance.now();
    const cpu = process.cpuUsage();
    let note: string | undefined;
    if (mode === 'raw') {
      await rawPublish(names.raw, events);
    } else if (mode === 'bus') {
      for (let i = 0; i < total; i += RELAY_BATCH)
        await bus.publish(events.slice(i, i + RELAY_BATCH));
    } else {
      const db = await openDatabase({
        url: DATABASE_URL,
        schema: names.producerSchema,
        maxConnections: 4,
      });
      const relay = new OutboxRelay({ db, bus, batchSize: RELAY_BATCH, listenUrl: DATABASE_URL });
      relay.start();
      try {
        let next = 0;
        const producer = async () => {
          while (next < total) {
            const from = next;
            next += EVENTS_PER_TX;
            const batch = events.slice(from, from + EVENTS_PER_TX);
            await db.transaction(async (tx) => {
              await tx.query(
                `INSERT INTO orders (id, tenant_id)
                 SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, tenant_id text)`,
                [
                  JSON.stringify(
                    batch.map((e) => ({ id: `order-${e.ceSubject}`, tenant_id: 'tenant-bench' })),
                  ),
                ],
              );
              await enqueue(tx, batch);
            });
          }
        };
        await Promise.all(Array.from({ length: PRODUCERS }, producer));
        note = `producers committed in ${((performance.now() - started) / 1000).toFixed(2)} s`;
        await consumer.line('done');
      } finally {
        await relay.stop();
        await db.query(`TRUNCATE orders`);
        await db.close();
      }
    }
    await consumer.line('done');
    const seconds = (performance.now() - started) / 1000;
    const producerCpuUs = cpuMicros(cpu) / total;
    await consumer.exited;
    return { mode, seconds, note, producerCpuUs, consumerCpuUs: consumer.cpuMicros() / total };
  } catch (err) {
    consumer.kill();
    throw err;
  } finally {
    if (mode === 'raw') await deleteRawStream(names.raw).catch(() => undefined);
  }
}

async function verify(names: Names, total: number): Promise<void> {
  const db = await openDatabase({ url: DATABASE_URL, schema: names.consumerSchema });
  try {
    const r = await db.query<{ n: string; d: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM effects`,
    );
    const { n, d } = r.rows[0]!;
    if (Number(n) !== total || Number(d) !== total) {
      throw new Error(`effects: ${n} rows, ${d} distinct; expected ${total} of each`);
    }
    await db.query(`TRUNCATE effects, ql_inbox`);
  } finally {
    await db.close();
  }
}

async function main(total: number): Promise<void> {
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const names: Names = {
    namespace: `bench_${suffix}`,
    producerSchema: `bench_producer_${suffix}`,
    consumerSchema: `bench_consumer_${suffix}`,
    raw: { servers: NATS_URL, stream: `BENCH_RAW_${suffix}`.toUpperCase() },
  };
  const only = process.env.QL_BENCH_ONLY?.split(',');
  const modes = MODES.filter((m) => !only || only.includes(m));
  console.log(
    `bus benchmark: ${total} events; ${PRODUCERS} producers × ${EVENTS_PER_TX} events/tx, relay batch ${RELAY_BATCH}, ` +
      `maxInFlight ${MAX_IN_FLIGHT}; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)} at start`,
  );

  const bus = await connectNatsBus({
    servers: NATS_URL,
    namespace: names.namespace,
    name: 'bench-producer',
  });
  const producerDb = await openDatabase({ url: DATABASE_URL, schema: names.producerSchema });
  const consumerDb = await openDatabase({ url: DATABASE_URL, schema: names.consumerSchema });
  const rows: Row[] = [];
  try {
    await producerDb.migrate([
      ...outboxMigrations,
      {
        id: '0001_bench',
        statements: [`CREATE TABLE orders (id text PRIMARY KEY, tenant_id text NOT NULL)`],
      },
    ]);
    await consumerDb.migrate([
      ...inboxMigrations,
      {
        id: '0001_bench',
        statements: [`CREATE TABLE effects (event_id text NOT NULL, generation_id text NOT NULL)`],
      },
    ]);
    for (const mode of modes) {
      rows.push(await run(mode, total, names, bus));
      if (mode === 'process' || mode === 'bulk') await verify(names, total);
    }
  } finally {
    await bus.deleteStreams(['QL_GENERATION']).catch(() => undefined);
    await bus.close();
    await producerDb.dropSchema().catch(() => undefined);
    await producerDb.close();
    await consumerDb.dropSchema().catch(() => undefined);
    await consumerDb.close();
  }
  const width = Math.max(...rows.map((r) => LABELS[r.mode].length));
  for (const r of rows) {
    const rate = Math.round(total / r.seconds);
    console.log(
      `${LABELS[r.mode].padEnd(width)}  ${String(rate).padStart(6)} events/s  ${r.seconds.toFixed(2).padStart(6)} s  ` +
        `CPU/event: producer ${Math.round(r.producerCpuUs)} µs, consumer ${Math.round(r.consumerCpuUs)} µs` +
        (r.note ? `  (${r.note})` : ''),
    );
  }
  console.log(`load ${loadavg()[0]!.toFixed(2)} at end; every effect checked: once per event`);
}

const total = Number(process.argv[2] ?? 20_000);
const role = process.env.QL_BENCH_ROLE;
const done =
  role === 'consumer'
    ? consumerMain(
        process.env.QL_BENCH_MODE as Mode,
        total,
        JSON.parse(process.env.QL_BENCH_NAMES!) as Names,
      )
    : main(total);
done.catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
