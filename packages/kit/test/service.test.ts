import { create } from '@bufbuild/protobuf';
import { GenerationRequestedSchema } from '@quantumlayer/contracts';
import { baseConfigSchema, ConfigError } from '../src/config.js';
import { createServiceRuntime, type ServiceRuntime } from '../src/service.js';
import {
  connectNatsBus,
  decodeEvent,
  deadLetterStream,
  deadLetterSubject,
  domainStream,
  enqueue,
  toOutgoingEvent,
} from '../src/bus/index.js';
import type { BaseConfig } from '../src/config.js';
import { openDatabase } from '../src/db/index.js';
import { createGrpcClient, HealthService } from '../src/rpc/index.js';
import { TEST_DATABASE_URL, TEST_NATS_URL, uniqueName } from './support/env.js';

describe('createServiceRuntime', () => {
  it('refuses a bad configuration before opening anything, naming the variable', async () => {
    await expect(
      createServiceRuntime(
        { name: 'svc', configSchema: baseConfigSchema },
        { env: { QL_DATABASE_URL: 'not-a-url' }, tracing: null },
      ),
    ).rejects.toThrow(
      new ConfigError([
        {
          variable: 'QL_DATABASE_URL',
          message: 'expected a PostgreSQL URL (postgres:// or postgresql://…), got "not-a-url"',
        },
      ]),
    );
  });

  describe('on the real servers', () => {
    const ns = uniqueName('svc');
    let runtime: ServiceRuntime<BaseConfig>;

    beforeAll(async () => {
      runtime = await createServiceRuntime(
        {
          name: 'svc',
          schema: ns,
          configSchema: baseConfigSchema,
          streams: [domainStream('generation'), deadLetterStream()],
          migrations: [
            {
              id: '0001_seen',
              statements: [
                'CREATE TABLE IF NOT EXISTS seen (id text NOT NULL, description text NOT NULL)',
              ],
            },
          ],
        },
        {
          env: {
            QL_DATABASE_URL: TEST_DATABASE_URL,
            QL_NATS_URL: TEST_NATS_URL,
            QL_HTTP_PORT: '0',
            QL_GRPC_PORT: '0',
            QL_HOST: '127.0.0.1',
            QL_LOG_LEVEL: 'silent',
            QL_BUS_NAMESPACE: ns,
          },
          tracing: null,
        },
      );
    });

    afterAll(async () => {
      // The runtime closed its own connections; clean up through fresh ones.
      const db = await openDatabase({ url: TEST_DATABASE_URL, schema: ns });
      await db.dropSchema();
      await db.close();
      const bus = await connectNatsBus({ servers: TEST_NATS_URL, namespace: ns });
      await bus.deleteStreams(['QL_GENERATION', 'QL_DLQ']);
      await bus.close();
    });

    it('runs: outbox → JetStream → inbox, health, readiness, then the ordered shutdown', async () => {
      expect(runtime.db.kind).toBe('postgres');
      expect(runtime.bus.kind).toBe('nats');
      const seen = new Promise<string>((resolve, reject) => {
        runtime
          .subscribe(
            {
              stream: 'QL_GENERATION',
              durable: 'svc-test',
              filterSubject: 'ql.generation.v1.generation_requested',
              maxDeliver: 3,
              ackWaitMs: 5000,
              maxInFlight: 4,
              deadLetterSubject: deadLetterSubject('svc'),
            },
            async (event) => {
              const msg = decodeEvent(GenerationRequestedSchema, event);
              await runtime.inbox.process('svc-test', event, async (tx) => {
                await tx.query(`INSERT INTO seen (id, description) VALUES ($1, $2)`, [
                  event.id,
                  msg.description,
                ]);
              });
              resolve(msg.description);
            },
          )
          .catch(reject);
      });
      const { httpPort, grpcPort } = await runtime.start();

      const event = toOutgoingEvent(
        GenerationRequestedSchema,
        create(GenerationRequestedSchema, {
          generationId: 'g1',
          tenantId: 't1',
          description: 'a todo app',
        }),
        { source: 'svc', ceSubject: 'g1', tenantId: 't1' },
      );
      await runtime.db.transaction((tx) => enqueue(tx, event));
      expect(await seen).toBe('a todo app');

      const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        checks: { database: { ok: true }, bus: { ok: true } },
      });
      const health = createGrpcClient(HealthService, `127.0.0.1:${grpcPort}`, {
        defaultTimeoutMs: 2000,
      });
      expect((await health.check({ service: '' })).status).toBe(1);
      health.close();

      expect(await runtime.stop('test')).toBe(true);
      await expect(fetch(`http://127.0.0.1:${httpPort}/healthz`)).rejects.toThrow();
      await expect(runtime.db.ping()).rejects.toThrow();
    });
  });
});
