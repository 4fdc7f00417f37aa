import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { blobMigrations, createBlobStore, type BlobStore } from './blobs/index.js';
import { createEventBus, Inbox, OutboxRelay, busMigrations } from './bus/index.js';
import type {
  ConsumerSpec,
  EventBus,
  EventHandler,
  StreamSpec,
  Subscription,
} from './bus/index.js';
import { loadConfig, type BaseConfig } from './config.js';
import { openDatabase, type Database, type Migration } from './db/index.js';
import { createHttpServer, Readiness } from './http.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';
import { createGrpcServer, type GrpcServer, type GrpcServerOptions } from './rpc/index.js';
import { initTracing, type TracingHandle } from './tracing.js';

/** What a service declares about itself; its `app.ts` does the rest with the runtime. */
export interface ServiceDefinition<C extends BaseConfig> {
  /** `router`, `codegen`…: the log `service` field, metric label and default schema name. */
  name: string;
  version?: string;
  /** The service's config schema: `baseConfigSchema.extend({...})`. */
  configSchema: z.ZodType<C>;
  /** The service's own migrations; the kit's outbox, inbox and blob tables are added first. */
  migrations?: readonly Migration[];
  /** Streams this service publishes to, ensured at start (dev, tests, embedded mode). */
  streams?: readonly StreamSpec[];
  /** Postgres schema; defaults to the name. Tests give each run its own. */
  schema?: string;
  /** gRPC options such as `authenticate` and `publicMethods`. */
  grpc?: Omit<GrpcServerOptions, 'name' | 'logger' | 'registry'>;
}

/**
 * Shared pieces handed in by the embedded runner (one process, many services) or by tests;
 * whatever is not given is built from the configuration.
 */
export interface ServicePorts {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  bus?: EventBus;
  db?: Database;
  blobs?: BlobStore;
  tracing?: TracingHandle | null;
}

export interface ServiceRuntime<C extends BaseConfig> {
  readonly name: string;
  readonly config: C;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly lifecycle: Lifecycle;
  readonly db: Database;
  readonly bus: EventBus;
  readonly blobs: BlobStore;
  /** Publishes what the service's transactions put in its outbox. */
  readonly relay: OutboxRelay;
  /** Applies each consumed event once (see `Inbox.process`/`Inbox.handler`). */
  readonly inbox: Inbox;
  readonly http: FastifyInstance;
  readonly grpc: GrpcServer;
  /** Subscribes and registers the subscription for the `consumers` shutdown phase. */
  subscribe(spec: ConsumerSpec, handler: EventHandler): Promise<Subscription>;
  /** Starts the relay, then HTTP and gRPC; resolves with the bound ports. */
  start(): Promise<{ httpPort: number; grpcPort: number }>;
  /** The whole ordered shutdown (also what SIGTERM runs). */
  stop(reason?: string): Promise<boolean>;
}

/**
 * Builds everything a service needs from its definition and `QL_*` configuration, registering
 * each piece for the ordered shutdown of DESIGN.md §4. A configuration error throws `ConfigError`
 * before anything is opened.
 */
export async function createServiceRuntime<C extends BaseConfig>(
  def: ServiceDefinition<C>,
  ports: ServicePorts = {},
): Promise<ServiceRuntime<C>> {
  const config = loadConfig(def.configSchema, ports.env ?? process.env);
  const logger = ports.logger ?? createLogger({ service: def.name, level: config.QL_LOG_LEVEL });
  const registry = createMetricsRegistry(def.name);
  const tracing =
    ports.tracing === undefined
      ? initTracing({ service: def.name, version: def.version })
      : ports.tracing;
  const lifecycle = new Lifecycle({ logger, timeoutMs: config.QL_SHUTDOWN_TIMEOUT_MS });
  const readiness = new Readiness();
  const opened: (() => Promise<void>)[] = [];

  try {
    const db =
      ports.db ??
      (await openDatabase({
        url: config.QL_DATABASE_URL,
        schema: def.schema ?? def.name,
        applicationName: `ql-${def.name}`,
      }));
    if (!ports.db) opened.push(() => db.close());
    await db.migrate([...busMigrations, ...blobMigrations, ...(def.migrations ?? [])]);

    const bus =
      ports.bus ??
      (await createEventBus({
        natsUrl: config.QL_NATS_URL,
        name: def.name,
        namespace: config.QL_BUS_NAMESPACE,
        logger,
        registry,
        streams: def.streams,
      }));
    if (!ports.bus) opened.push(() => bus.close());
    else if (def.streams?.length) await bus.ensureStreams(def.streams);

    const blobs =
      ports.blobs ??
      createBlobStore({ url: config.QL_BLOB_URL, dataDir: join(config.QL_DATA_DIR, def.name), db });
    const relay = new OutboxRelay({ db, bus, listenUrl: config.QL_DATABASE_URL, logger, registry });
    const inbox = new Inbox(db, { registry });
    const http = createHttpServer({ logger, registry, readiness });
    const grpc = createGrpcServer({ ...def.grpc, name: def.name, logger, registry });
    const subscriptions: Subscription[] = [];

    readiness.register('database', () => db.ping());
    readiness.register('bus', () => bus.ready());

    lifecycle.onShutdown('readiness', 'http', () => readiness.markDraining());
    lifecycle.onShutdown('readiness', 'grpc', () => grpc.setServingStatus('', 'NOT_SERVING'));
    lifecycle.onShutdown('consumers', 'subscriptions', async () => {
      await Promise.all(subscriptions.map((s) => s.stop()));
    });
    lifecycle.onShutdown('servers', 'grpc', () => grpc.shutdown(config.QL_SHUTDOWN_TIMEOUT_MS / 3));
    lifecycle.onShutdown('servers', 'http', () => http.close());
    // The relay publishes what the finished handlers committed, then the connection drains.
    lifecycle.onShutdown('bus', 'relay+bus', async () => {
      await relay.stop();
      if (!ports.bus) await bus.close();
    });
    if (!ports.db) lifecycle.onShutdown('pools', 'database', () => db.close());
    if (tracing) lifecycle.onShutdown('telemetry', 'tracing', () => tracing.shutdown());

    let started = false;
    return {
      name: def.name,
      config,
      logger,
      registry,
      readiness,
      lifecycle,
      db,
      bus,
      blobs,
      relay,
      inbox,
      http,
      grpc,
      async subscribe(spec, handler) {
        const sub = await bus.subscribe(spec, handler);
        subscriptions.push(sub);
        return sub;
      },
      async start() {
        if (started) throw new Error(`${def.name}: already started`);
        started = true;
        relay.start();
        await http.listen({ host: config.QL_HOST, port: config.QL_HTTP_PORT });
        const address = http.server.address();
        const httpPort =
          typeof address === 'object' && address ? address.port : config.QL_HTTP_PORT;
        const grpcPort = await grpc.start({ host: config.QL_HOST, port: config.QL_GRPC_PORT });
        logger.info(
          { httpPort, grpcPort, embedded: !config.QL_NATS_URL, db: db.kind, bus: bus.kind },
          'service started',
        );
        return { httpPort, grpcPort };
      },
      async stop(reason = 'stop') {
        return (await lifecycle.shutdown(reason)).ok;
      },
    };
  } catch (err) {
    // A half-built service must not leave connections that keep the process alive.
    for (const close of opened.reverse()) await close().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    throw err;
  }
}
