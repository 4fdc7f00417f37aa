import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, baseConfigSchema, env } from '@quantumlayer/kit';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { ProviderKind } from './providers/types.js';

/**
 * Two layers of configuration: the `QL_*` environment (ports, servers, where the router file is)
 * and the router file itself (providers, models, prices, aliases, resilience settings), a YAML
 * document named by `QL_ROUTER_CONFIG`. API keys never live in the file: a provider names the
 * environment variable that holds its key (`apiKeyEnv`).
 */
export const routerEnvSchema = baseConfigSchema.extend({
  QL_ROUTER_CONFIG: z.string().min(1, 'expected the path of the router YAML file'),
  /** Postgres schema of the router; tests give each run its own. */
  QL_ROUTER_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a Postgres schema name (lower-case, digits, _)')
    .optional(),
  /** Prefix of every Redis key the router writes (budgets). */
  QL_ROUTER_REDIS_PREFIX: z.string().min(1).default('ql:router:'),
  QL_HTTP_BODY_LIMIT_BYTES: env.positiveInt(8 * 1024 * 1024),
});

export type RouterEnv = z.infer<typeof routerEnvSchema>;

export const PROVIDER_KINDS = [
  'openai',
  'anthropic',
  'bedrock',
  'groq',
  'ollama',
  'vllm',
  'openai-compatible',
] as const satisfies readonly ProviderKind[];

/** Kinds whose hosted API refuses calls without a key. */
const KEY_REQUIRED: ReadonlySet<ProviderKind> = new Set(['openai', 'anthropic', 'groq']);

export const POLICIES = ['cost', 'speed', 'quality', 'balanced'] as const;
export const CAPABILITIES = ['tools', 'json', 'vision'] as const;

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

const nonNegative = (what: string) =>
  z.number({ message: `expected ${what} (a number)` }).min(0, `expected ${what} ≥ 0`);
const positiveInt = (what: string) =>
  z
    .number({ message: `expected ${what} (a positive integer)` })
    .int(`expected ${what} as an integer`)
    .positive(`expected ${what} > 0`);

const breakerSchema = z.strictObject({
  /** Failure share (percent) over the rolling window that opens the breaker. */
  errorThresholdPercentage: z.number().gt(0).max(100).default(50),
  /** Attempts within the window before the error rate is judged at all. */
  volumeThreshold: z.number().int().min(1).default(5),
  rollingWindowMs: positiveInt('a window in ms').default(30_000),
  rollingBuckets: z.number().int().min(1).max(100).default(10),
  /** Cool-down before one trial call is let through (half-open). */
  resetTimeoutMs: positiveInt('a cool-down in ms').default(30_000),
});

const timeoutsSchema = z.strictObject({
  /** Streams: the first token must arrive within this, or the attempt fails over. */
  firstTokenMs: positiveInt('a timeout in ms').default(20_000),
  /** One attempt, start to last byte. */
  attemptMs: positiveInt('a timeout in ms').default(120_000),
  /** The whole call, all attempts and waits included (a gRPC deadline can shorten it). */
  callMs: positiveInt('a timeout in ms').default(300_000),
});

const partialTimeouts = z.strictObject({
  firstTokenMs: positiveInt('a timeout in ms').optional(),
  attemptMs: positiveInt('a timeout in ms').optional(),
});

/**
 * The HTTP client under the provider SDKs (openai, groq-sdk, Anthropic) and the Ollama client:
 * `node-http` is the router's keep-alive node:http `fetch` (src/upstream/http-fetch.ts), the
 * hot path; `platform` is Node's built-in fetch (undici), the SDKs' own default. Bedrock always
 * uses the AWS SDK's keep-alive node:http handler.
 */
export const UPSTREAM_FETCH = ['node-http', 'platform'] as const;
export type UpstreamFetch = (typeof UPSTREAM_FETCH)[number];
const upstreamFetch = z.enum(UPSTREAM_FETCH, {
  message: `expected one of ${UPSTREAM_FETCH.join('|')}`,
});

/**
 * How the Chat Completions kinds (openai, vllm, openai-compatible, groq) reach their upstream:
 * `direct` speaks the wire over the router's own keep-alive node:http client (the hot path,
 * src/providers/openai-direct.ts), `sdk` goes through the official SDK on `fetch`.
 */
export const UPSTREAM_CLIENT = ['direct', 'sdk'] as const;
export type UpstreamClient = (typeof UPSTREAM_CLIENT)[number];
const upstreamClient = z.enum(UPSTREAM_CLIENT, {
  message: `expected one of ${UPSTREAM_CLIENT.join('|')}`,
});
/** The kinds `client` applies to. */
export const DIRECT_KINDS: ReadonlySet<string> = new Set([
  'openai',
  'vllm',
  'openai-compatible',
  'groq',
]);

const modelSchema = z
  .strictObject({
    id: z.string().min(1, 'expected the provider’s model id').max(200),
    displayName: z.string().optional(),
    type: z.enum(['chat', 'embedding']).default('chat'),
    inputCostPerMTok: nonNegative('a USD price per million input tokens'),
    outputCostPerMTok: nonNegative('a USD price per million output tokens').default(0),
    cachedInputCostPerMTok: nonNegative('a USD price per million cached input tokens').optional(),
    quality: z
      .number({ message: 'expected a quality score between 0 and 1' })
      .min(0, 'expected a quality score between 0 and 1')
      .max(1, 'expected a quality score between 0 and 1')
      .default(0.5),
    contextWindow: positiveInt('a context window in tokens'),
    maxOutputTokens: positiveInt('a token count').optional(),
    capabilities: z.array(z.enum(CAPABILITIES)).optional(),
    /** Embedding models: native vector size. */
    dimensions: positiveInt('a vector size').optional(),
    timeouts: partialTimeouts.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.maxOutputTokens !== undefined && m.maxOutputTokens > m.contextWindow) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxOutputTokens'],
        message: `must not exceed contextWindow (${m.contextWindow})`,
      });
    }
  });

const providerSchema = z
  .strictObject({
    name: z.string().regex(NAME, 'expected lower-case letters, digits, ".", "_" or "-" (no "/")'),
    kind: z.enum(PROVIDER_KINDS, { message: `expected one of ${PROVIDER_KINDS.join('|')}` }),
    baseUrl: z
      .string()
      .url('expected an absolute http(s) URL')
      .refine((u) => /^https?:\/\//.test(u), 'expected an http:// or https:// URL')
      .optional(),
    apiKeyEnv: z
      .string()
      .regex(ENV_NAME, 'expected the NAME of an environment variable (A-Z, 0-9, _)')
      .optional(),
    region: z.string().min(1).optional(),
    /** The SDK's own last-resort timeout; the router's per-attempt timeouts are tighter. */
    timeoutMs: positiveInt('a timeout in ms').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    breaker: breakerSchema.partial().optional(),
    timeouts: partialTimeouts.optional(),
    /** This provider's HTTP client; default `upstream.fetch`. */
    fetch: upstreamFetch.optional(),
    /** Chat Completions kinds: direct client or SDK; default `upstream.client`. */
    client: upstreamClient.optional(),
    models: z.array(modelSchema).min(1, 'expected at least one model'),
  })
  .superRefine((p, ctx) => {
    if (KEY_REQUIRED.has(p.kind) && !p.apiKeyEnv) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKeyEnv'],
        message: `required for kind ${p.kind}: name the environment variable holding the key`,
      });
    }
    if (p.client !== undefined && !DIRECT_KINDS.has(p.kind)) {
      ctx.addIssue({
        code: 'custom',
        path: ['client'],
        message: `only for kinds ${[...DIRECT_KINDS].join('|')}`,
      });
    }
    if (p.kind === 'bedrock' && !p.region) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'required for kind bedrock' });
    }
    const seen = new Set<string>();
    p.models.forEach((m, i) => {
      if (seen.has(m.id))
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'id'],
          message: `duplicate model id "${m.id}"`,
        });
      seen.add(m.id);
    });
  });

const routeSchema = z.strictObject({
  alias: z
    .string()
    .regex(NAME, 'expected lower-case letters, digits, ".", "_" or "-" (no "/")')
    .refine((a) => a !== 'auto', '"auto" is reserved'),
  policy: z.enum(POLICIES, { message: `expected one of ${POLICIES.join('|')}` }).optional(),
  candidates: z.array(z.string().min(1)).min(1, 'expected at least one candidate'),
});

const fileSchema = z
  .strictObject({
    providers: z.array(providerSchema).min(1, 'expected at least one provider'),
    routes: z.array(routeSchema).default([]),
    routing: z
      .strictObject({
        defaultPolicy: z.enum(POLICIES).default('balanced'),
        /** Weights of the balanced policy; normalised to sum 1. */
        weights: z
          .strictObject({
            quality: nonNegative('a weight').default(0.4),
            cost: nonNegative('a weight').default(0.3),
            speed: nonNegative('a weight').default(0.3),
          })
          .prefault({}),
        /** Provider attempts per call, retries and fallbacks included. */
        maxAttempts: z.number().int().min(1).max(20).default(4),
        /** Output tokens assumed when ranking by cost and the request sets no max_tokens. */
        expectedOutputTokens: positiveInt('a token count').default(500),
        /** Smoothing of the live latency averages (weight of the newest sample). */
        ewmaAlpha: z.number().gt(0).max(1).default(0.2),
      })
      .prefault({}),
    retry: z
      .strictObject({
        /** Retries of one candidate after retryable errors (fallbacks are not retries). */
        maxRetriesPerCandidate: z.number().int().min(0).max(10).default(2),
        baseDelayMs: z.number().int().min(0).default(250),
        maxDelayMs: z.number().int().min(0).default(8_000),
        /** A Retry-After longer than this gives up on the candidate instead of waiting. */
        maxRetryAfterMs: z.number().int().min(0).default(20_000),
      })
      .prefault({}),
    timeouts: timeoutsSchema.prefault({}),
    breaker: breakerSchema.prefault({}),
    budgets: z
      .strictObject({
        /** Router-wide ceiling on one call's estimated worst-case cost. */
        maxRequestCostUsd: z.number().positive().optional(),
        /** Budget of a generation when the caller does not send one. Unset: none. */
        generationUsd: z.number().positive().optional(),
        /** How long generation spend is kept (Redis key TTL). */
        generationTtlSeconds: positiveInt('seconds').default(7 * 24 * 3600),
      })
      .prefault({}),
    http: z
      .strictObject({
        /** Tenant charged for HTTP calls that send no `x-ql-tenant-id`. */
        defaultTenant: z.string().min(1).default('default'),
      })
      .prefault({}),
    upstream: z
      .strictObject({
        /** Chat Completions kinds: the direct client (default) or the SDKs. */
        client: upstreamClient.default('direct'),
        fetch: upstreamFetch.default('node-http'),
        /** Concurrent connections per upstream host (node-http and Bedrock; more calls queue). */
        maxSocketsPerHost: positiveInt('a connection count').default(256),
      })
      .prefault({}),
    usage: z
      .strictObject({
        /**
         * Calls are published as UsageRecorded events in batches, at most this long after the
         * call. Default 100 ms with NATS, 200 ms embedded (the in-memory bus runs on the router's
         * thread, so fewer, larger batches leave more of it to the calls).
         */
        flushIntervalMs: z.number().int().min(0).max(5_000).optional(),
        maxBatch: z.number().int().min(1).max(5_000).default(500),
        /** Records held while deliveries fail or lag; past it the oldest are dropped. */
        maxQueued: z.number().int().min(1).max(10_000_000).default(1_000_000),
        /** After the bus fails a batch, batches go straight to the outbox for this long. */
        spillCoolDownMs: z.number().int().min(0).max(600_000).default(10_000),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const providers = new Map<string, z.infer<typeof providerSchema>>();
    cfg.providers.forEach((p, i) => {
      if (providers.has(p.name))
        ctx.addIssue({
          code: 'custom',
          path: ['providers', i, 'name'],
          message: `duplicate provider name "${p.name}"`,
        });
      providers.set(p.name, p);
    });
    const aliases = new Set<string>();
    cfg.routes.forEach((r, i) => {
      if (aliases.has(r.alias))
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'alias'],
          message: `duplicate alias "${r.alias}"`,
        });
      if (providers.has(r.alias))
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'alias'],
          message: `"${r.alias}" is also a provider name`,
        });
      aliases.add(r.alias);
      r.candidates.forEach((c, j) => {
        const slash = c.indexOf('/');
        const provider = slash > 0 ? providers.get(c.slice(0, slash)) : undefined;
        if (!provider) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'candidates', j],
            message: `expected "<provider>/<model>" naming a configured provider, got "${c}"`,
          });
        } else if (!provider.models.some((m) => m.id === c.slice(slash + 1))) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'candidates', j],
            message: `provider "${provider.name}" has no model "${c.slice(slash + 1)}"`,
          });
        }
      });
    });
  });

export type RouterFileConfig = z.infer<typeof fileSchema>;
export type ProviderConfig = RouterFileConfig['providers'][number];
export type ModelConfig = ProviderConfig['models'][number];
export type BreakerConfig = RouterFileConfig['breaker'];
export type TimeoutConfig = RouterFileConfig['timeouts'];
/** Input shape (before defaults), for tests and embedders that build a config in code. */
export type RouterFileInput = z.input<typeof fileSchema>;

/** `providers[0].models[1].id` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/**
 * A bad router file. It is a `ConfigError` on `QL_ROUTER_CONFIG`, so `runMain` prints it as one
 * line; each problem names the file, the path inside it and the rule.
 */
export class RouterConfigError extends ConfigError {
  constructor(
    readonly file: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(
      issues.map((i) => ({
        variable: 'QL_ROUTER_CONFIG',
        message: `${file}: ${i.path}: ${i.message}`,
      })),
    );
    this.name = 'RouterConfigError';
  }
}

const SECRET_KEY = /^(api[_-]?key|key|secret|token|password|access[_-]?key.*)$/i;

/** Validates a parsed document; `file` only names the source in errors. */
export function parseRouterConfig(doc: unknown, file = '<inline>'): RouterFileConfig {
  const result = fileSchema.safeParse(doc, { reportInput: true });
  if (result.success) return result.data;
  throw new RouterConfigError(
    file,
    result.error.issues.slice(0, 20).map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const secret = issue.keys.find((k) => SECRET_KEY.test(k));
        return {
          path: formatPath([...issue.path, ...(secret ? [secret] : [])]),
          message: secret
            ? 'keys never go in the router file: set apiKeyEnv to the name of the environment variable that holds it'
            : `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
        };
      }
      const message =
        issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      return { path: formatPath(issue.path), message };
    }),
  );
}

/** Reads and validates the router file; every failure is a `RouterConfigError` naming it. */
export function loadRouterConfigFile(path: string): RouterFileConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RouterConfigError(file, [
      {
        path: '(file)',
        message: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`,
      },
    ]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RouterConfigError(
      file,
      doc.errors.slice(0, 5).map((e) => ({
        path: e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
        message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }
  return parseRouterConfig(doc.toJS(), file);
}

/** The secret of each provider, from the environment variable it names (never logged). */
export function providerApiKey(
  provider: ProviderConfig,
  source: Record<string, string | undefined>,
): string | undefined {
  if (!provider.apiKeyEnv) return undefined;
  const value = source[provider.apiKeyEnv];
  return value === undefined || value === '' ? undefined : value;
}
