import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/db/index.js';
import {
  OutboxRelay,
  connectNatsBus,
  deadLetterStream,
  domainStream,
  enqueue,
  outboxMigrations,
  type NatsEventBus,
} from '../../src/bus/index.js';
import { TEST_DATABASE_URL, TEST_NATS_URL, uniqueName } from '../support/env.js';
import { sleep, thing, waitFor } from './helpers.js';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const FIXTURE = path.join(__dirname, '../fixtures/consumer-service.ts');

/** The fixture service as a real child process, with its stdout lines observable. */
class ServiceProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        QL_LOG_LEVEL: 'warn',
        QL_HOST: '127.0.0.1',
        QL_HTTP_PORT: '0',
        QL_GRPC_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      this.lines.push(...parts);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get errorOutput(): string {
    return this.stderr;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async ready(): Promise<void> {
    await Promise.race([
      waitFor('service ready', () => this.lines.includes('ready'), 30_000),
      this.exited.then(({ code }) => {
        throw new Error(`service exited (${code}) before ready: ${this.stderr}`);
      }),
    ]);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

describe('bus acceptance (NATS JetStream, Postgres, fixture service as a child process)', () => {
  const namespace = uniqueName('t');
  const producerSchema = uniqueName('kit_bus_producer');
  const consumerSchema = uniqueName('kit_bus_consumer');
  let bus: NatsEventBus;
  let producerDb: Database;
  let consumerDb: Database;
  const children: ServiceProcess[] = [];

  const start = async (env: Record<string, string>) => {
    const child = new ServiceProcess({
      QL_DATABASE_URL: TEST_DATABASE_URL,
      QL_NATS_URL: TEST_NATS_URL,
      QL_DB_SCHEMA: consumerSchema,
      QL_BUS_NAMESPACE: namespace,
      ...env,
    });
    children.push(child);
    await child.ready();
    return child;
  };

  beforeAll(async () => {
    bus = await connectNatsBus({ servers: TEST_NATS_URL, namespace, name: 'bus-acceptance' });
    await bus.ensureStreams([
      domainStream('bustest', { maxAgeMs: 3_600_000 }),
      deadLetterStream({ maxAgeMs: 3_600_000 }),
    ]);
    producerDb = await openDatabase({ url: TEST_DATABASE_URL, schema: producerSchema });
    await producerDb.migrate([
      ...outboxMigrations,
      {
        id: '0001_orders',
        statements: [`CREATE TABLE orders (id text PRIMARY KEY, n integer NOT NULL)`],
      },
    ]);
    consumerDb = await openDatabase({ url: TEST_DATABASE_URL, schema: consumerSchema });
  });

  afterAll(async () => {
    for (const c of children) if (c.running) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await bus.deleteStreams(['QL_BUSTEST', 'QL_DLQ']);
    await bus.close();
    await producerDb.dropSchema();
    await producerDb.close();
    await consumerDb.dropSchema();
    await consumerDb.close();
  });

  const effects = async (filter = '') => {
    const r = await consumerDb.query<{ n: string; d: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM effects ${filter}`,
    );
    return { total: Number(r.rows[0]!.n), distinct: Number(r.rows[0]!.d) };
  };

  it('applies 10,000 outbox events exactly once while the consumer is SIGKILLed and restarted twice', async () => {
    const total = 10_000;
    const topic = 'acceptance';
    const durable = 'bustest-acceptance';
    const serviceEnv = {
      QL_FIXTURE_DURABLE: durable,
      QL_FIXTURE_FILTER: `ql.bustest.v1.${topic}`,
      QL_FIXTURE_ACK_WAIT_MS: '2000',
      QL_FIXTURE_MAX_IN_FLIGHT: '256',
    };
    let service = await start(serviceEnv);

    const relay = new OutboxRelay({
      db: producerDb,
      bus,
      batchSize: 500,
      listenUrl: TEST_DATABASE_URL,
    });
    relay.start();
    // The producer writes business rows and their events in the same transactions, paced so the
    // kills land while events are still flowing.
    const producer = (async () => {
      const perTx = 100;
      for (let i = 0; i < total; i += perTx) {
        await producerDb.transaction(async (tx) => {
          const ns = Array.from({ length: perTx }, (_, k) => i + k);
          await tx.query(
            `INSERT INTO orders (id, n) VALUES ${ns.map((_, k) => `($${2 * k + 1}, $${2 * k + 2})`).join(', ')}`,
            ns.flatMap((n) => [`o-${n}`, n]),
          );
          await enqueue(
            tx,
            ns.map((n) => thing(topic, n)),
          );
        });
        await sleep(25);
      }
    })();

    try {
      const kills: number[] = [];
      for (const threshold of [2_000, 5_000]) {
        await waitFor(
          `${threshold} effects`,
          async () => (await effects()).distinct >= threshold,
          60_000,
          20,
        );
        service.kill('SIGKILL');
        const { signal } = await service.exited;
        expect(signal).toBe('SIGKILL');
        kills.push((await effects()).distinct);
        service = await start(serviceEnv);
      }
      await producer;
      await waitFor('every effect', async () => (await effects()).distinct === total, 60_000, 100);
      await waitFor('consumer settled', async () => {
        const s = await bus.consumerState('QL_BUSTEST', durable);
        return s.numPending === 0 && s.numAckPending === 0;
      });
      await sleep(500);

      // Both kills hit a consumer with work left to do, and three processes shared the work.
      expect(kills.every((k) => k < total)).toBe(true);
      const pids = await consumerDb.query<{ pid: number }>(`SELECT DISTINCT pid FROM effects`);
      expect(pids.rows.length).toBe(3);
      expect(await effects()).toEqual({ total, distinct: total });
      const orders = await producerDb.query<{ n: string }>(`SELECT count(*) AS n FROM orders`);
      expect(Number(orders.rows[0]!.n)).toBe(total);
      await waitFor('outbox empty', async () => (await relay.backlog()) === 0);
    } finally {
      await producer.catch(() => undefined);
      await relay.stop();
      service.kill('SIGTERM');
      await service.exited;
    }
  });

  it('on SIGTERM finishes the in-flight handler, acks it and exits 0 within the deadline', async () => {
    const durable = 'bustest-sigterm';
    const service = await start({
      QL_FIXTURE_DURABLE: durable,
      QL_FIXTURE_FILTER: 'ql.bustest.v1.sigterm',
      QL_FIXTURE_HANDLER_DELAY_MS: '1500',
      // Far longer than the test: a redelivery could only come from a missing ack.
      QL_FIXTURE_ACK_WAIT_MS: '60000',
      QL_SHUTDOWN_TIMEOUT_MS: '8000',
    });
    const event = thing('sigterm', 1);
    await bus.publish(event);
    await waitFor('handler start', () => service.lines.includes(`handler-started ${event.id}`));

    const signalled = Date.now();
    service.kill('SIGTERM');
    const { code } = await service.exited;
    const tookMs = Date.now() - signalled;

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(8_000);
    // The handler was allowed to finish: it had ~1.5 s of sleep left when the signal came.
    expect(tookMs).toBeGreaterThan(1_000);
    expect(await effects(`WHERE event_id = '${event.id}'`)).toEqual({ total: 1, distinct: 1 });
    expect(await bus.consumerState('QL_BUSTEST', durable)).toMatchObject({
      numPending: 0,
      numAckPending: 0,
    });
  });

  it('refuses to start with a bad QL_DATABASE_URL: exit 1 and one line naming the variable', async () => {
    const service = new ServiceProcess({
      QL_DATABASE_URL: 'not-a-url',
      QL_NATS_URL: TEST_NATS_URL,
      QL_DB_SCHEMA: consumerSchema,
    });
    const { code } = await service.exited;
    expect(code).toBe(1);
    expect(service.lines).toEqual([]);
    expect(service.errorOutput).toBe(
      'bustest-consumer: configuration error: QL_DATABASE_URL: expected a PostgreSQL URL (postgres:// or postgresql://…), got "not-a-url"\n',
    );
  });
});
