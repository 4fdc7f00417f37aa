import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectNatsBus,
  createLogger,
  deadLetterStream,
  openDatabase,
  type EventBus,
} from '@quantumlayer/kit';
import { createCodegenApp, type CodegenApp, type CodegenPorts } from '../../src/app.js';
import { renderProject } from '../../src/templates/index.js';
import { MemoryRegistryClient } from '../../src/validators/index.js';
import type { Requirements } from '../../src/domain/index.js';

/** The machine's servers outlive a test run, so every run names its own schema and streams. */
export const TEST_DATABASE_URL =
  process.env.QL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_NATS_URL = process.env.QL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * A registry that knows exactly the packages the ts-fastify template declares (read from a
 * rendered package.json), so the dependency check runs for real without the network.
 */
export async function templateRegistry(requirements: Requirements): Promise<MemoryRegistryClient> {
  const { files } = await renderProject({ requirements }, { lockfiles: null });
  const manifest = JSON.parse(files.find((f) => f.path === 'package.json')!.content) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const declared = { ...manifest.dependencies, ...manifest.devDependencies };
  return new MemoryRegistryClient(
    'npm',
    // Pinned exact versions: publish exactly those.
    Object.fromEntries(
      Object.entries(declared).map(([name, version]) => [name, [version.replace(/^[\^~]/, '')]]),
    ),
  );
}

export interface RunningCodegen {
  app: CodegenApp;
  grpcAddress: string;
  bus: EventBus;
  schema: string;
  stop(): Promise<void>;
}

/** Codegen on the real Postgres (own schema) and NATS (own namespace); `stop` removes both. */
export async function startCodegen(
  ports: Partial<CodegenPorts> = {},
  env: Record<string, string> = {},
): Promise<RunningCodegen> {
  const dir = mkdtempSync(join(tmpdir(), 'codegen-test-'));
  const namespace = uniqueName('cg');
  const schema = uniqueName('codegen');
  const logger = createLogger({
    service: 'codegen',
    level: process.env.QL_TEST_LOG_LEVEL ?? 'silent',
  });
  const bus = await connectNatsBus({
    servers: TEST_NATS_URL,
    namespace,
    name: 'codegen-test',
    logger,
  });
  await bus.ensureStreams([deadLetterStream({ storage: 'memory' })]);
  let app: CodegenApp;
  try {
    app = await createCodegenApp({
      env: {
        QL_HTTP_PORT: '0',
        QL_GRPC_PORT: '0',
        QL_HOST: '127.0.0.1',
        QL_DATABASE_URL: TEST_DATABASE_URL,
        QL_NATS_URL: TEST_NATS_URL,
        QL_CODEGEN_SCHEMA: schema,
        QL_DATA_DIR: dir,
        QL_LOG_LEVEL: 'silent',
        ...env,
      },
      bus,
      logger,
      tracing: null,
      ...ports,
    });
  } catch (err) {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { grpcPort } = await app.start();
  return {
    app,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    bus,
    schema,
    async stop() {
      await app.stop('test done');
      const cleanup = await openDatabase({ url: TEST_DATABASE_URL, schema });
      await cleanup.dropSchema().catch(() => undefined);
      await cleanup.close();
      await bus.deleteStreams(['QL_GENERATION', 'QL_DLQ']).catch(() => undefined);
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
