import { z } from 'zod';
import {
  CoverageReportSchema,
  TestReportSchema,
  TestStatusSchema,
  TestTotalsSchema,
} from '../reports/schema.js';
import { sandboxLimitsSchema, type StoppedBy } from '../sandbox/index.js';

export const RunnerKindSchema = z.enum([
  'jest',
  'vitest',
  'node-test',
  'pytest',
  'go',
  'cargo',
  'maven',
  'gradle',
]);
export type RunnerKind = z.infer<typeof RunnerKindSchema>;

export const StoppedBySchema = z.enum([
  'wall-time',
  'cpu-time',
  'memory',
  'processes',
  'file-size',
  'open-files',
  'output',
  'aborted',
]);
// The sandbox owns the list; this fails to compile when the two drift apart.
const sameStops: [StoppedBy, z.infer<typeof StoppedBySchema>] extends [
  z.infer<typeof StoppedBySchema>,
  StoppedBy,
]
  ? true
  : never = true;
void sameStops;

/** A test's outcome in one run; `missing` when that run's report did not list it. */
export const RunStatusSchema = z.union([TestStatusSchema, z.literal('missing')]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

const nonNegInt = z.number().int().nonnegative();

export const RunRecordSchema = z.object({
  /** 1-based. */
  index: z.number().int().positive(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  wallMs: nonNegInt,
  cpuUserMs: nonNegInt,
  cpuSystemMs: nonNegInt,
  maxRssBytes: nonNegInt.optional(),
  stoppedBy: StoppedBySchema.optional(),
  reason: z.string().optional(),
  /** This run's own totals, before runs are merged. */
  totals: TestTotalsSchema.optional(),
  /** Why this run has no test report (the tool wrote none, or it did not parse). */
  reportError: z.string().optional(),
  coverageError: z.string().optional(),
  /** The end of what the command printed, for a reader who wants to see why it failed. */
  outputTail: z.string(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export const InstallRecordSchema = z.object({
  command: z.string(),
  ok: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  wallMs: nonNegInt,
  stoppedBy: StoppedBySchema.optional(),
  reason: z.string().optional(),
  outputTail: z.string(),
});
export type InstallRecord = z.infer<typeof InstallRecordSchema>;

export const ProjectTestResultSchema = z.object({
  runner: RunnerKindSchema,
  /** The command each run executed (in the sandbox, from the project copy at /project). */
  command: z.string(),
  /** All runs merged: a test passes only if it passed in every run that produced a report. */
  report: TestReportSchema,
  /** From the first run that produced coverage. */
  coverage: CoverageReportSchema.optional(),
  runs: z.array(RunRecordSchema),
  /** Ids of tests that passed in some runs and not in others. */
  flaky: z.array(z.string()),
  /** Per-run status of every test whose status was not the same in all runs. */
  history: z.record(z.string(), z.array(RunStatusSchema)),
  /** The first run the sandbox stopped; later runs are not started. */
  stopped: z
    .object({ by: StoppedBySchema, reason: z.string(), run: z.number().int().nonnegative() })
    .optional(),
  install: InstallRecordSchema.optional(),
  /** What the runner could not do on this host (no coverage tool, …), in words. */
  notes: z.array(z.string()),
});
export type ProjectTestResult = z.infer<typeof ProjectTestResultSchema>;

const absolutePath = z.string().startsWith('/', 'must be an absolute path');

export const ProgressEventSchema = z.object({
  phase: z.enum(['copy', 'install', 'run', 'done']),
  /** 1-based, in the `run` phase. */
  run: z.number().int().positive().optional(),
  runs: z.number().int().positive(),
  message: z.string(),
});
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;

export const ToolchainOptionsSchema = z
  .object({
    /** The Python interpreter for pytest; by default the first of python3 on PATH, /usr/bin/python3 that has pytest. */
    python: absolutePath.optional(),
    /** A maven local repository the sandbox may read; by default ~/.m2/repository. */
    mavenRepository: absolutePath.optional(),
    /** Where a sandbox-readable mirror of a private maven repository is kept. */
    cacheDir: absolutePath.optional(),
  })
  .strict();
export type ToolchainOptions = z.infer<typeof ToolchainOptionsSchema>;

export const RunProjectTestsOptionsSchema = z
  .object({
    /** The project; never modified: every run works on a private copy. */
    dir: absolutePath,
    /** How many times the tests run (5 for new tests, to catch flakiness). */
    runs: z.number().int().min(1).max(20).default(1),
    limits: sandboxLimitsSchema.partial().optional(),
    installLimits: sandboxLimitsSchema.partial().optional(),
    /**
     * Install dependencies from the lock file first (network on, scripts off). Default: when
     * package-lock.json is there and node_modules is not.
     */
    install: z.boolean().optional(),
    /** Skip detection. */
    runner: RunnerKindSchema.optional(),
    /**
     * An installed node_modules on the host, bound read-only into the copy instead of installing
     * (a shared, known-good dependency set).
     */
    nodeModules: absolutePath.optional(),
    toolchains: ToolchainOptionsSchema.optional(),
    signal: z.instanceof(AbortSignal).optional(),
    onProgress: z
      .custom<(event: ProgressEvent) => void>((v) => typeof v === 'function', 'must be a function')
      .optional(),
  })
  .strict();
export type RunProjectTestsOptions = z.input<typeof RunProjectTestsOptionsSchema>;
