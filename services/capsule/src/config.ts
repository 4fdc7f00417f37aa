import { baseConfigSchema, env } from '@quantumlayer/kit';
import { z } from 'zod';

/** The capsule service's `QL_*` environment (DESIGN.md §4); parsed once, at start. */
export const capsuleEnvSchema = baseConfigSchema.extend({
  /** Postgres schema of the service; tests give each run its own. */
  QL_CAPSULE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a Postgres schema name (lower-case, digits, _)')
    .optional(),
  /**
   * The Ed25519 private key (PKCS#8 PEM) that signs manifests, or a file holding it
   * (`QL_CAPSULE_SIGNING_KEY_FILE`). Without either, a key is created under QL_DATA_DIR on first
   * start and kept there (fine for embedded mode; a deployment must configure its key).
   */
  QL_CAPSULE_SIGNING_KEY: z.string().min(1).optional(),
  QL_CAPSULE_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** A file of PEM public keys (concatenated) Verify accepts besides the service's own. */
  QL_CAPSULE_TRUSTED_KEYS_FILE: z.string().min(1).optional(),
  /** Version written into capsules when the project does not say (package.json `version`). */
  QL_CAPSULE_DEFAULT_APP_VERSION: z
    .string()
    .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, 'expected a version such as 0.1.0')
    .default('0.1.0'),
  /** Events handled at once. */
  QL_CAPSULE_CONCURRENCY: env.positiveInt(2),
});

export type CapsuleEnv = z.infer<typeof capsuleEnvSchema>;
