import { z } from 'zod';

/**
 * Configuration comes from environment variables prefixed `QL_`, parsed once at startup. A bad
 * or missing value stops the service with a message that names the variable and the rule, so an
 * operator can fix it without reading code.
 */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(problems.map((p) => `${p.variable}: ${p.message}`).join('; '));
    this.name = 'ConfigError';
  }
}

function urlWithScheme(schemes: string[], what: string) {
  return z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return schemes.includes(url.protocol.replace(/:$/, '')) && url.host !== '';
      } catch {
        return false;
      }
    },
    { message: `expected ${what} (${schemes.map((s) => `${s}://`).join(' or ')}…)` },
  );
}

/** Field builders shared by every service's schema, so the same variable means the same thing. */
export const env = {
  port: (fallback: number) =>
    z.coerce
      .number({ message: 'expected a TCP port number' })
      .int('expected an integer port')
      .min(0, 'expected a port between 0 and 65535')
      .max(65535, 'expected a port between 0 and 65535')
      .default(fallback),
  postgresUrl: () => urlWithScheme(['postgres', 'postgresql'], 'a PostgreSQL URL').optional(),
  natsUrl: () => urlWithScheme(['nats', 'tls', 'ws', 'wss'], 'a NATS URL').optional(),
  redisUrl: () => urlWithScheme(['redis', 'rediss'], 'a Redis URL').optional(),
  blobUrl: () =>
    urlWithScheme(['file', 'postgres', 'postgresql', 's3'], 'a blob store URL').optional(),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  positiveInt: (fallback: number) =>
    z.coerce
      .number({ message: 'expected a number' })
      .int('expected an integer')
      .positive('expected a positive integer')
      .default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(fallback),
};

/** The variables every service understands (DESIGN.md §4). Services extend this schema. */
export const baseConfigSchema = z.object({
  QL_HTTP_PORT: env.port(8080),
  QL_GRPC_PORT: env.port(50051),
  QL_HOST: z.string().min(1).default('0.0.0.0'),
  QL_NATS_URL: env.natsUrl(),
  QL_DATABASE_URL: env.postgresUrl(),
  QL_REDIS_URL: env.redisUrl(),
  QL_BLOB_URL: env.blobUrl(),
  QL_LOG_LEVEL: env.logLevel(),
  QL_SHUTDOWN_TIMEOUT_MS: env.positiveInt(15_000),
  QL_DATA_DIR: z.string().min(1).default('.ql'),
  /** Prefix for every stream and subject: isolates test runs and shared dev clusters. */
  QL_BUS_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,31}$/, 'expected lower-case letters, digits or _ (max 32)')
    .optional(),
});

export type BaseConfig = z.infer<typeof baseConfigSchema>;

type Env = Record<string, string | undefined>;

export function loadConfig<S extends z.ZodType>(schema: S, source: Env = process.env): z.infer<S> {
  // An empty variable is treated as unset: `QL_NATS_URL=` in a compose file means "none".
  const cleaned: Env = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = issue.path.map(String).join('.') || '(config)';
      const given = cleaned[variable];
      const message =
        issue.code === 'invalid_type' && given === undefined
          ? 'is required but not set'
          : issue.message;
      return {
        variable,
        message:
          given === undefined || isSecretName(variable) ? message : `${message}, got "${given}"`,
      };
    }),
  );
}

/** Whether the configuration asks for the distributed deployment or the embedded one. */
export function isEmbedded(config: Pick<BaseConfig, 'QL_NATS_URL'>): boolean {
  return !config.QL_NATS_URL;
}

export function isSecretName(name: string): boolean {
  return /(KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL)/i.test(name);
}
