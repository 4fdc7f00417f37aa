import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectNatsBus,
  createLogger,
  createRedis,
  deadLetterStream,
  deletePrefixed,
  openDatabase,
  type EventBus,
  type Logger,
} from '@quantumlayer/kit';
import { createRouterApp, type RouterApp, type RouterPorts } from '../../src/app.js';

/** The machine's servers outlive a test run, so every run names its own schema, stream and keys. */
export const TEST_DATABASE_URL =
  process.env.QL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_NATS_URL = process.env.QL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const TEST_REDIS_URL = process.env.QL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const API_KEY = 'sk-test-router-0123456789';

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

/** For `.then(unexpected, (e) => e as E)`: the call must fail, and the result is typed as its error. */
export function unexpected(): never {
  throw new Error('expected the call to fail, it succeeded');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface RunningRouter {
  app: RouterApp;
  httpUrl: string;
  grpcAddress: string;
  bus: EventBus;
  namespace: string;
  configPath: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Router file text. */
  yaml: string;
  env?: Record<string, string>;
  /** Use the real Redis for generation budgets. */
  redis?: boolean;
  ports?: Partial<RouterPorts>;
  logger?: Logger;
}

/**
 * A router wired to the real Postgres (its own schema) and NATS (its own namespace), with real
 * provider adapters pointed at loopback fakes by the router file; everything it created is
 * removed by `stop`.
 */
export async function startRouter(options: StartOptions): Promise<RunningRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'router-test-'));
  const configPath = join(dir, 'router.yaml');
  writeFileSync(configPath, options.yaml);
  const namespace = uniqueName('rt');
  const schema = uniqueName('router');
  const redisPrefix = `ql:test:${namespace}:`;
  const logger =
    options.logger ??
    createLogger({ service: 'router', level: process.env.QL_TEST_LOG_LEVEL ?? 'silent' });
  const bus = await connectNatsBus({
    servers: TEST_NATS_URL,
    namespace,
    name: 'router-test',
    logger,
  });
  await bus.ensureStreams([deadLetterStream({ storage: 'memory' })]);
  const env: Record<string, string> = {
    QL_ROUTER_CONFIG: configPath,
    QL_HTTP_PORT: '0',
    QL_GRPC_PORT: '0',
    QL_HOST: '127.0.0.1',
    QL_DATABASE_URL: TEST_DATABASE_URL,
    QL_NATS_URL: TEST_NATS_URL,
    QL_ROUTER_SCHEMA: schema,
    QL_ROUTER_REDIS_PREFIX: redisPrefix,
    QL_LOG_LEVEL: 'silent',
    TEST_API_KEY: API_KEY,
    ...(options.redis ? { QL_REDIS_URL: TEST_REDIS_URL } : {}),
    ...options.env,
  };
  let app: RouterApp;
  try {
    app = await createRouterApp({ env, bus, logger, tracing: null, ...options.ports });
  } catch (err) {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { httpPort, grpcPort } = await app.start();
  return {
    app,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    bus,
    namespace,
    configPath,
    async stop() {
      await app.stop('test done');
      const cleanup = await openDatabase({ url: TEST_DATABASE_URL, schema });
      await cleanup.dropSchema().catch(() => undefined);
      await cleanup.close();
      if (options.redis) {
        const redis = createRedis(TEST_REDIS_URL, { keyPrefix: redisPrefix });
        await deletePrefixed(redis).catch(() => undefined);
        await redis.quit();
      }
      await bus.deleteStreams(['QL_USAGE', 'QL_DLQ']).catch(() => undefined);
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A chat model entry of a router file. */
export function modelYaml(id: string, extra = ''): string {
  return `      - id: ${id}
        inputCostPerMTok: 1
        outputCostPerMTok: 2
        quality: 0.7
        contextWindow: 128000
        maxOutputTokens: 4096
${extra}`;
}
