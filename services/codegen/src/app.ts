import {
  CodeDraftedSchema,
  CodegenService,
  GenerationRequestedSchema,
  RequirementsAnalyzedSchema,
} from '@quantumlayer/contracts';
import {
  createServiceRuntime,
  deadLetterStream,
  domainStream,
  eventConsumer,
  loadConfig,
  type ServicePorts,
  type ServiceRuntime,
} from '@quantumlayer/kit';
import path from 'node:path';
import type { DescMessage } from '@bufbuild/protobuf';
import { Codegen } from './codegen.js';
import { codegenEnvSchema, type CodegenEnv } from './config.js';
import { onCodeDrafted, VALIDATE_CONSUMER } from './events/handlers/code-drafted.js';
import { ANALYZE_CONSUMER, onGenerationRequested } from './events/handlers/generation-requested.js';
import { DRAFT_CONSUMER, onRequirementsAnalyzed } from './events/handlers/requirements-analyzed.js';
import type { HandlerDeps } from './events/handlers/shared.js';
import { toRpcError } from './rpc/errors.js';
import { codegenServiceImpl } from './rpc/handlers.js';
import { codegenMigrations } from './store/migrations.js';
import {
  NpmLockfileProvider,
  type LockfileProvider,
  type StackRegistry,
} from './templates/index.js';
import {
  GoProxyClient,
  NpmRegistryClient,
  PypiRegistryClient,
  type RegistryClients,
} from './validators/index.js';

export const SERVICE_NAME = 'codegen';

/** What tests and the embedded runner may hand in instead of building it from configuration. */
export interface CodegenPorts extends ServicePorts {
  /** Registry clients of the dependency check (tests: a loopback registry). */
  registries?: RegistryClients;
  /** Lock-file source of the templates; `null` renders projects without a lock file. */
  lockfiles?: LockfileProvider | null;
  stacks?: StackRegistry;
}

export interface CodegenApp {
  readonly runtime: ServiceRuntime<CodegenEnv>;
  readonly codegen: Codegen;
  start(): Promise<{ httpPort: number; grpcPort: number }>;
  stop(reason?: string): Promise<boolean>;
}

/**
 * The composition root: the Codegen operations over the runtime's blob store, the
 * CodegenService on gRPC, and the three consumers of the generation pipeline (analyze, the
 * blueprint-mode drafter, validate). Consumers subscribe in `start()`, after the servers are
 * ready, so nothing is taken before the service can finish it.
 */
export async function createCodegenApp(ports: CodegenPorts = {}): Promise<CodegenApp> {
  const source = ports.env ?? {};
  const env = loadConfig(codegenEnvSchema, source);
  const runtime = await createServiceRuntime(
    {
      name: SERVICE_NAME,
      configSchema: codegenEnvSchema,
      migrations: codegenMigrations,
      streams: [domainStream('generation'), deadLetterStream()],
      schema: env.QL_CODEGEN_SCHEMA,
      grpc: { mapError: toRpcError },
    },
    { ...ports, env: source },
  );
  const config = runtime.config;
  const cacheDir = config.QL_CODEGEN_CACHE_DIR;
  const registries =
    ports.registries ??
    clientsFor(config, cacheDir === undefined ? undefined : path.join(cacheDir, 'registry'));
  const lockfiles =
    ports.lockfiles !== undefined
      ? ports.lockfiles
      : new NpmLockfileProvider({
          ...(cacheDir === undefined ? {} : { cacheDir: path.join(cacheDir, 'lockfiles') }),
          offline: config.QL_CODEGEN_OFFLINE,
          env: { npm_config_registry: config.QL_CODEGEN_NPM_REGISTRY_URL },
        });
  const codegen = new Codegen({
    blobs: runtime.blobs,
    defaultStack: config.QL_CODEGEN_DEFAULT_STACK,
    failOn: config.QL_CODEGEN_FAIL_ON,
    registries,
    lockfiles,
    ...(ports.stacks ? { stacks: ports.stacks } : {}),
  });
  runtime.grpc.addService(CodegenService, codegenServiceImpl(codegen));

  const deps: HandlerDeps = {
    codegen,
    inbox: runtime.inbox,
    relay: runtime.relay,
    logger: runtime.logger,
  };
  const consumer = (durable: string, schema: DescMessage) =>
    eventConsumer({
      service: SERVICE_NAME,
      durable,
      schema,
      maxInFlight: config.QL_CODEGEN_CONCURRENCY,
      shutdownTimeoutMs: config.QL_SHUTDOWN_TIMEOUT_MS,
    });

  return {
    runtime,
    codegen,
    async start() {
      const ports = await runtime.start();
      await runtime.subscribe(
        consumer(ANALYZE_CONSUMER, GenerationRequestedSchema),
        onGenerationRequested(deps),
      );
      if (config.QL_CODEGEN_BLUEPRINT_DRAFTER) {
        await runtime.subscribe(
          consumer(DRAFT_CONSUMER, RequirementsAnalyzedSchema),
          onRequirementsAnalyzed(deps),
        );
      }
      await runtime.subscribe(consumer(VALIDATE_CONSUMER, CodeDraftedSchema), onCodeDrafted(deps));
      return ports;
    },
    stop: (reason) => runtime.stop(reason),
  };
}

function clientsFor(config: CodegenEnv, cacheDir: string | undefined): RegistryClients {
  const shared = {
    offline: config.QL_CODEGEN_OFFLINE,
    ...(cacheDir === undefined ? {} : { cacheDir }),
  };
  return {
    npm: new NpmRegistryClient({ ...shared, baseUrl: config.QL_CODEGEN_NPM_REGISTRY_URL }),
    pypi: new PypiRegistryClient({ ...shared, baseUrl: config.QL_CODEGEN_PYPI_URL }),
    go: new GoProxyClient({ ...shared, baseUrl: config.QL_CODEGEN_GOPROXY_URL }),
  };
}
