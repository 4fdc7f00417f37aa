import { baseConfigSchema, env } from '@quantumlayer/kit';
import { z } from 'zod';

const boundedInt = (min: number, max: number, fallback: number, what: string) =>
  z.coerce
    .number({ message: `expected ${what}` })
    .int(`expected an integer (${what})`)
    .min(min, `expected ${what} between ${min} and ${max}`)
    .max(max, `expected ${what} between ${min} and ${max}`)
    .default(fallback);

/** The qtest service's `QL_*` environment (DESIGN.md §4); parsed once, at start. */
export const qtestEnvSchema = baseConfigSchema.extend({
  /** Postgres schema of the service; tests give each run its own. */
  QL_QTEST_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a Postgres schema name (lower-case, digits, _)')
    .optional(),
  /** Runs of a capsule's tests: a test that does not pass every run is flaky (DESIGN §6). */
  QL_QTEST_RUNS: boundedInt(1, 10, 5, 'a number of runs'),
  /** The gate's line coverage threshold, in percent. */
  QL_QTEST_COVERAGE_MIN: boundedInt(0, 100, 80, 'a percentage'),
  /** Capsules tested at once (each one is a sandbox full of processes). */
  QL_QTEST_CONCURRENCY: env.positiveInt(1),
  /** Wall-clock limit of one sandboxed step (install, build, one test run), in seconds. */
  QL_QTEST_STEP_TIMEOUT_S: boundedInt(10, 7200, 600, 'seconds'),
  /** Writable-memory limit (RLIMIT_DATA) per sandboxed process, in MiB. */
  QL_QTEST_MEMORY_MB: boundedInt(1024, 65536, 4096, 'MiB'),
  /** OSV vulnerability database snapshot (a directory of OSV JSON files, or one JSON file). */
  QL_QTEST_VULN_DB: z.string().min(1).optional(),
  /** The router's gRPC address (host:port); without it there is no LLM and `Generate` refuses. */
  QL_QTEST_ROUTER_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.:_\-[\]/]+:\d+$/, 'expected host:port of the router gRPC server')
    .optional(),
  /** Router model selector of the QA agent. */
  QL_QTEST_MODEL: z.string().min(1).default('auto'),
  /** Where capsules are unpacked for a run (each run gets its own directory, removed after). */
  QL_QTEST_WORK_DIR: z.string().min(1).optional(),
});

export type QTestEnv = z.infer<typeof qtestEnvSchema>;
