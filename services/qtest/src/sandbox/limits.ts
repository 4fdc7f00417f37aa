import { z } from 'zod';

/** Resource limits applied to one sandboxed command. */
export interface SandboxLimits {
  /** CPU seconds per process (RLIMIT_CPU): SIGXCPU at the limit, SIGKILL one second later. */
  cpuSeconds: number;
  /** Wall-clock budget for the whole sandbox, enforced by the runner. */
  wallMs: number;
  /**
   * Writable memory per process (RLIMIT_DATA: heap and private writable mappings). Not RLIMIT_AS:
   * WebAssembly reserves ~10 GiB of address space per memory (guard regions, never touched), so an
   * address-space cap breaks PGlite and any other WASM in a project's tests while capping nothing
   * real.
   */
  memoryBytes: number;
  /** Tasks (processes and threads) of the sandbox user (RLIMIT_NPROC). A node process uses ~7. */
  processes: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  openFiles: number;
  /** Largest file a process may write (RLIMIT_FSIZE). */
  fileSizeBytes: number;
}

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  cpuSeconds: 120,
  wallMs: 300_000,
  memoryBytes: 4 * 1024 ** 3,
  processes: 512,
  openFiles: 4096,
  fileSizeBytes: 512 * 1024 ** 2,
});

const positiveInt = z.number().int().positive();

export const sandboxLimitsSchema = z
  .object({
    cpuSeconds: positiveInt,
    wallMs: positiveInt,
    memoryBytes: positiveInt,
    processes: positiveInt,
    openFiles: positiveInt.min(16),
    fileSizeBytes: positiveInt,
  })
  .strict();

/** Environment variable names we pass into the sandbox: portable shell names only. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a shell variable name');

const absolutePath = z.string().startsWith('/', 'must be an absolute path');

export const readOnlyBindSchema = z
  .object({
    source: absolutePath,
    target: z
      .string()
      .min(1)
      .refine((t) => !t.split('/').includes('..'), 'must not contain ".."')
      .optional(),
  })
  .strict();
export type ReadOnlyBind = z.infer<typeof readOnlyBindSchema>;

export const runOptionsSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()),
    workDir: z.string().startsWith('/', 'must be an absolute path'),
    network: z.boolean().optional(),
    env: z.record(envName, z.string()).optional(),
    limits: sandboxLimitsSchema.partial().optional(),
    signal: z.instanceof(AbortSignal).optional(),
    maxOutputBytes: positiveInt.optional(),
    /**
     * Host directories made visible read-only (toolchains outside /usr: pyenv, rustup, a maven
     * repository, a shared node_modules). `target` defaults to the same path; a relative target
     * is inside the project.
     */
    readOnlyBinds: z.array(readOnlyBindSchema).optional(),
    /** Directories put in front of the sandbox's PATH (a bound toolchain's bin directory). */
    extraPath: z.array(absolutePath).optional(),
  })
  .strict();

export type RunSandboxedOptions = z.input<typeof runOptionsSchema>;

export type StoppedBy =
  | 'wall-time'
  | 'cpu-time'
  | 'memory'
  | 'processes'
  | 'file-size'
  | 'open-files'
  | 'output'
  | 'aborted';

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** CPU of the command and the children it waited for (GNU time inside the sandbox). */
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssBytes?: number;
  stoppedBy?: StoppedBy;
  reason?: string;
}

export function resolveLimits(partial: Partial<SandboxLimits> | undefined): SandboxLimits {
  return sandboxLimitsSchema.parse({ ...DEFAULT_LIMITS, ...partial });
}
