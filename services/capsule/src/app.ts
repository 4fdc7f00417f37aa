import { CapsuleService, CodeValidatedSchema } from '@quantumlayer/contracts';
import {
  createServiceRuntime,
  deadLetterStream,
  domainStream,
  eventConsumer,
  loadConfig,
  type ServicePorts,
  type ServiceRuntime,
} from '@quantumlayer/kit';
import { Capsules } from './capsules.js';
import { capsuleEnvSchema, type CapsuleEnv } from './config.js';
import { BUILD_CONSUMER, onCodeValidated } from './events/handlers/code-validated.js';
import { loadSigningKeys } from './keys.js';
import { toRpcError } from './rpc/errors.js';
import { capsuleServiceImpl } from './rpc/handlers.js';
import { capsuleMigrations } from './store/migrations.js';

export const SERVICE_NAME = 'capsule';

export type CapsulePorts = ServicePorts;

export interface CapsuleApp {
  readonly runtime: ServiceRuntime<CapsuleEnv>;
  readonly capsules: Capsules;
  /** The public key (SPKI PEM) capsules are signed with: what `ql capsule verify` trusts. */
  readonly publicKeyPem: string;
  start(): Promise<{ httpPort: number; grpcPort: number }>;
  stop(reason?: string): Promise<boolean>;
}

/**
 * The composition root: the signing keys, the Capsules operations over the runtime's blob store
 * and database, the CapsuleService on gRPC, and the CodeValidated consumer (subscribed in
 * `start()`, once the servers are up).
 */
export async function createCapsuleApp(ports: CapsulePorts = {}): Promise<CapsuleApp> {
  const source = ports.env ?? {};
  const env = loadConfig(capsuleEnvSchema, source);
  const runtime = await createServiceRuntime(
    {
      name: SERVICE_NAME,
      configSchema: capsuleEnvSchema,
      migrations: capsuleMigrations,
      streams: [domainStream('generation'), deadLetterStream()],
      schema: env.QL_CAPSULE_SCHEMA,
      grpc: { mapError: toRpcError },
    },
    { ...ports, env: source },
  );
  const config = runtime.config;
  let keys;
  try {
    keys = await loadSigningKeys(config, runtime.logger);
  } catch (err) {
    await runtime.stop('configuration error');
    throw err;
  }
  const capsules = new Capsules({
    db: runtime.db,
    blobs: runtime.blobs,
    signer: keys.signer,
    trusted: keys.trusted,
    defaultAppVersion: config.QL_CAPSULE_DEFAULT_APP_VERSION,
  });
  runtime.grpc.addService(CapsuleService, capsuleServiceImpl(capsules, runtime.db));

  return {
    runtime,
    capsules,
    publicKeyPem: keys.publicKeyPem,
    async start() {
      const bound = await runtime.start();
      await runtime.subscribe(
        eventConsumer({
          service: SERVICE_NAME,
          durable: BUILD_CONSUMER,
          schema: CodeValidatedSchema,
          maxInFlight: config.QL_CAPSULE_CONCURRENCY,
          shutdownTimeoutMs: config.QL_SHUTDOWN_TIMEOUT_MS,
        }),
        onCodeValidated({
          capsules,
          inbox: runtime.inbox,
          relay: runtime.relay,
          logger: runtime.logger,
        }),
      );
      return bound;
    },
    stop: (reason) => runtime.stop(reason),
  };
}
