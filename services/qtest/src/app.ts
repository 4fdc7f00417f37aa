import { CapsuleBuiltSchema, QTestService } from '@quantumlayer/contracts';
import {
  createServiceRuntime,
  deadLetterStream,
  domainStream,
  eventConsumer,
  loadConfig,
  type ServicePorts,
  type ServiceRuntime,
} from '@quantumlayer/kit';
import { RouterLlm, type LlmPort } from './clients/router.js';
import { qtestEnvSchema, type QTestEnv } from './config.js';
import { onCapsuleBuilt, TEST_CONSUMER } from './events/handlers/capsule-built.js';
import { QTestMetrics } from './metrics.js';
import { QTest } from './qtest.js';
import { toRpcError } from './rpc/errors.js';
import { qtestServiceImpl } from './rpc/handlers.js';
import { qtestMigrations } from './store/migrations.js';

export const SERVICE_NAME = 'qtest';

export interface QTestPorts extends ServicePorts {
  /** The QA agent's LLM; by default the router at QL_QTEST_ROUTER_ADDRESS, if set. */
  llm?: LlmPort;
}

export interface QTestApp {
  readonly runtime: ServiceRuntime<QTestEnv>;
  readonly qtest: QTest;
  start(): Promise<{ httpPort: number; grpcPort: number }>;
  stop(reason?: string): Promise<boolean>;
}

/**
 * The composition root: QTest over the runtime's blob store and database (and the router when
 * configured), QTestService on gRPC, and the CapsuleBuilt consumer (subscribed in `start()`).
 */
export async function createQTestApp(ports: QTestPorts = {}): Promise<QTestApp> {
  const source = ports.env ?? {};
  const env = loadConfig(qtestEnvSchema, source);
  const runtime = await createServiceRuntime(
    {
      name: SERVICE_NAME,
      configSchema: qtestEnvSchema,
      migrations: qtestMigrations,
      streams: [domainStream('generation'), deadLetterStream()],
      schema: env.QL_QTEST_SCHEMA,
      grpc: { mapError: toRpcError },
    },
    { ...ports, env: source },
  );
  const config = runtime.config;
  const router =
    !ports.llm && config.QL_QTEST_ROUTER_ADDRESS
      ? new RouterLlm(config.QL_QTEST_ROUTER_ADDRESS)
      : undefined;
  const llm = ports.llm ?? router;
  const qtest = new QTest({
    db: runtime.db,
    blobs: runtime.blobs,
    config,
    logger: runtime.logger,
    metrics: new QTestMetrics(runtime.registry),
    ...(llm ? { llm } : {}),
  });
  runtime.grpc.addService(QTestService, qtestServiceImpl(qtest, runtime.db));

  return {
    runtime,
    qtest,
    async start() {
      const bound = await runtime.start();
      await runtime.subscribe(
        eventConsumer({
          service: SERVICE_NAME,
          durable: TEST_CONSUMER,
          schema: CapsuleBuiltSchema,
          maxInFlight: config.QL_QTEST_CONCURRENCY,
          shutdownTimeoutMs: config.QL_SHUTDOWN_TIMEOUT_MS,
        }),
        onCapsuleBuilt({
          qtest,
          inbox: runtime.inbox,
          relay: runtime.relay,
          logger: runtime.logger,
        }),
      );
      return bound;
    },
    async stop(reason) {
      const stopped = await runtime.stop(reason);
      router?.close();
      return stopped;
    },
  };
}
