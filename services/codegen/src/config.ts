import { baseConfigSchema, env } from '@quantumlayer/kit';
import { z } from 'zod';
import { SEVERITIES } from './validators/report.js';

/** The codegen service's `QL_*` environment (DESIGN.md §4); parsed once, at start. */
export const codegenEnvSchema = baseConfigSchema.extend({
  /** Postgres schema of the service; tests give each run its own. */
  QL_CODEGEN_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a Postgres schema name (lower-case, digits, _)')
    .optional(),
  /** Stack used when a request names none. */
  QL_CODEGEN_DEFAULT_STACK: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a stack template id such as ts-fastify')
    .default('ts-fastify'),
  /** Findings of this severity or worse fail validation (the quality gate's threshold). */
  QL_CODEGEN_FAIL_ON: z.enum(SEVERITIES).default('high'),
  /** npm registry the dependency check and lock-file generation ask (a mirror in air-gapped setups). */
  QL_CODEGEN_NPM_REGISTRY_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL of an npm registry' })
    .default('https://registry.npmjs.org'),
  /** PyPI JSON API and Go module proxy for the dependency check of other stacks. */
  QL_CODEGEN_PYPI_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL of a PyPI JSON API' })
    .default('https://pypi.org'),
  QL_CODEGEN_GOPROXY_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL of a Go module proxy' })
    .default('https://proxy.golang.org'),
  /** Answer registry and lock-file questions from the on-disk caches only. */
  QL_CODEGEN_OFFLINE: env.bool(false),
  /** Cache directory for registry answers and lock files (default ~/.cache/quantumlayer). */
  QL_CODEGEN_CACHE_DIR: z.string().min(1).optional(),
  /**
   * In blueprint mode codegen also drafts the code (renders the templates) once requirements are
   * analyzed; turn off where the agent service drafts in both modes.
   */
  QL_CODEGEN_BLUEPRINT_DRAFTER: env.bool(true),
  /** Events handled at once per consumer (validation is CPU-bound: keep it near the core count). */
  QL_CODEGEN_CONCURRENCY: env.positiveInt(2),
});

export type CodegenEnv = z.infer<typeof codegenEnvSchema>;
