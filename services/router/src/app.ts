import { RouterService } from '@quantumlayer/contracts';
import {
  ConfigError,
  createRedis,
  createServiceRuntime,
  domainStream,
  loadConfig,
  type Redis,
  type ServicePorts,
  type ServiceRuntime,
} from '@quantumlayer/kit';
import {
  loadRouterConfigFile,
  providerApiKey,
  routerEnvSchema,
  type RouterEnv,
  type RouterFileConfig,
  type UpstreamFetch,
} from './config.js';
import { Catalog } from './domain/catalog.js';
import type { BudgetStore } from './engine/budget.js';
import { RouterEngine } from './engine/engine.js';
import { registerOpenAIRoutes } from './http/openai.js';
import { createProvider as createAdapter } from './providers/index.js';
import type { ProviderAdapter, ProviderSettings } from './providers/types.js';
import { toRpcError } from './rpc/errors.js';
import { routerServiceImpl } from './rpc/handlers.js';
import { DbBudgetStore } from './store/db-budget.js';
import { routerMigrations } from './store/migrations.js';
import { RedisBudgetStore } from './store/redis-budget.js';
import { RouterMetrics } from './telemetry/metrics.js';
import { createHttpFetch, type HttpFetch } from './upstream/http-fetch.js';
import { UsageDeliverer } from './usage/deliver.js';
import { UsageQueue } from './usage/queue.js';
import type { UsageSink } from './usage/types.js';

export const SERVICE_NAME = 'router';

/** What tests and the embedded runner may hand in instead of building it from configuration. */
export interface RouterPorts extends ServicePorts {
  /** The parsed router file; skips reading `QL_ROUTER_CONFIG`. */
  routerConfig?: RouterFileConfig;
  /** Builds an adapter per configured provider (default: the SDK-based adapters). */
  createProvider?: (settings: ProviderSettings) => ProviderAdapter;
  budget?: BudgetStore;
  /** Replaces the usage queue (which publishes UsageRecorded events). */
  usage?: UsageSink;
}

export interface RouterApp {
  readonly runtime: ServiceRuntime<RouterEnv>;
  readonly engine: RouterEngine;
  readonly config: RouterFileConfig;
  readonly usage: UsageSink;
  readonly budget: BudgetStore;
  start(): Promise<{ httpPort: number; grpcPort: number }>;
  stop(reason?: string): Promise<boolean>;
}

/**
 * The composition root: configuration (environment + router file), one adapter per provider,
 * the engine, its stores, and the gRPC and HTTP APIs on the shared service runtime.
 */
export async function createRouterApp(ports: RouterPorts = {}): Promise<RouterApp> {
  const source = ports.env ?? {};
  // Both layers of configuration are checked before anything is opened.
  const env = loadConfig(routerEnvSchema, source);
  let file = ports.routerConfig;
  if (!file) {
    if (!env.QL_ROUTER_CONFIG) {
      throw new ConfigError([
        {
          variable: 'QL_ROUTER_CONFIG',
          message: 'is required but not set (path of the router YAML file)',
        },
      ]);
    }
    file = loadRouterConfigFile(env.QL_ROUTER_CONFIG);
  }
  const config = file;
  const catalog = new Catalog(config);

  const runtime = await createServiceRuntime(
    {
      name: SERVICE_NAME,
      configSchema: routerEnvSchema,
      migrations: routerMigrations,
      streams: [domainStream('usage')],
      schema: env.QL_ROUTER_SCHEMA,
      grpc: { mapError: toRpcError },
    },
    { ...ports, env: source },
  );
  const { logger, lifecycle, readiness } = runtime;

  try {
    const build = ports.createProvider ?? createAdapter;
    // One keep-alive client shared by every provider that uses it (its agents pool per host).
    let httpFetch: HttpFetch | undefined;
    const upstreamFetch = (choice: UpstreamFetch): typeof fetch | undefined => {
      if (choice === 'platform') return undefined;
      httpFetch ??= createHttpFetch({ maxSockets: config.upstream.maxSocketsPerHost });
      return httpFetch;
    };
    const providers = new Map<string, ProviderAdapter>();
    const unavailable = new Map<string, string>();
    for (const p of config.providers) {
      const apiKey = providerApiKey(p, source);
      if (p.apiKeyEnv && !apiKey) {
        unavailable.set(p.name, `not configured: ${p.apiKeyEnv} is not set`);
        logger.warn(
          { provider: p.name, variable: p.apiKeyEnv },
          'provider key not set: its models are unavailable',
        );
        continue;
      }
      try {
        const settings: ProviderSettings = {
          name: p.name,
          kind: p.kind,
          baseUrl: p.baseUrl,
          apiKey,
          region: p.region,
          timeoutMs: p.timeoutMs ?? config.timeouts.attemptMs,
          headers: p.headers,
          maxSockets: config.upstream.maxSocketsPerHost,
          client: p.client ?? config.upstream.client,
        };
        const fetchImpl = upstreamFetch(p.fetch ?? config.upstream.fetch);
        if (fetchImpl) settings.fetch = fetchImpl;
        providers.set(p.name, build(settings));
      } catch (err) {
        unavailable.set(
          p.name,
          `adapter failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        logger.error(
          { provider: p.name, err },
          'provider adapter could not be built: its models are unavailable',
        );
      }
    }

    let redis: Redis | undefined;
    let budget = ports.budget;
    if (!budget) {
      if (runtime.config.QL_REDIS_URL) {
        redis = createRedis(runtime.config.QL_REDIS_URL, { keyPrefix: env.QL_ROUTER_REDIS_PREFIX });
        const r = redis;
        readiness.register('redis', async () => void (await r.ping()));
        budget = new RedisBudgetStore(redis, config.budgets.generationTtlSeconds);
      } else {
        budget = new DbBudgetStore(runtime.db);
      }
    }

    const recorder: UsageSink =
      ports.usage ??
      new UsageQueue({
        deliver: new UsageDeliverer(
          { bus: runtime.bus, db: runtime.db, logger },
          { spillCoolDownMs: config.usage.spillCoolDownMs },
        ).deliver,
        logger,
        registry: runtime.registry,
        flushIntervalMs:
          config.usage.flushIntervalMs ?? (runtime.bus.kind === 'memory' ? 200 : 100),
        maxBatch: config.usage.maxBatch,
        maxQueued: config.usage.maxQueued,
        // A spilled batch is in the outbox: publish it as soon as the bus takes it.
        onDelivered: (outcome) => {
          if (outcome.spilled > 0) runtime.relay.wake();
        },
      });

    const metrics = new RouterMetrics(runtime.registry);
    const engine = new RouterEngine({
      catalog,
      providers,
      unavailable,
      config,
      budget,
      usage: recorder,
      metrics,
      logger,
    });

    runtime.grpc.addService(RouterService, routerServiceImpl(engine));
    registerOpenAIRoutes(runtime.http, engine, {
      defaultTenant: config.http.defaultTenant,
      bodyLimit: env.QL_HTTP_BODY_LIMIT_BYTES,
      logger,
    });

    readiness.register('providers', async () => {
      if (providers.size === 0) throw new Error('no provider is configured (missing keys?)');
    });
    // Once the servers are closed no call can add usage: deliver the last batch (anything
    // spilled to the outbox is published by the relay in the bus phase).
    lifecycle.onShutdown('flush', 'usage', () =>
      recorder.close ? recorder.close() : recorder.flush(),
    );
    lifecycle.onShutdown('pools', 'providers', async () => {
      engine.shutdown();
      await Promise.all([...providers.values()].map((a) => a.close?.().catch(() => undefined)));
      httpFetch?.destroy();
      if (redis) await redis.quit().catch(() => undefined);
    });

    logger.info(
      {
        providers: [...providers.keys()],
        unavailable: Object.fromEntries(unavailable),
        models: catalog.models.length,
        aliases: catalog.aliases.map((a) => a.name),
        budgets: budget.kind,
      },
      'router configured',
    );

    return {
      runtime,
      engine,
      config,
      usage: recorder,
      budget,
      start: () => runtime.start(),
      stop: (reason) => runtime.stop(reason),
    };
  } catch (err) {
    await runtime.stop('startup failed').catch(() => undefined);
    throw err;
  }
}
