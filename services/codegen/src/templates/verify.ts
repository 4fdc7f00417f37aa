// Checking a written project the way the quality gate does: install it from its own lock file
// (`npm ci --ignore-scripts`), type-check it, run its own tests. Shared by the e2e test and the
// generate-all eval script. The project must be our own templates' output: it runs unsandboxed.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const VERIFY_STEPS = ['npm ci', 'tsc --noEmit', 'npm test'] as const;
export type VerifyStepName = (typeof VERIFY_STEPS)[number];

export interface StepResult {
  step: VerifyStepName;
  /** Exit code; null when killed (time limit or abort). */
  code: number | null;
  /** The last 30 000 characters of stdout and stderr, interleaved. */
  output: string;
  ms: number;
  timedOut: boolean;
}

export interface VerifyResult {
  ok: boolean;
  /** The steps that ran, in order; the last one failed when `ok` is false. */
  steps: StepResult[];
  failed?: StepResult;
}

export interface VerifyOptions {
  /** Time limit of one step (default 3 minutes). */
  stepTimeoutMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_STEP_TIMEOUT_MS = 180_000;
const KEEP_OUTPUT = 30_000;

/** The environment of a plain shell: nothing of pnpm's, npm's or jest's own leaks in. */
export function cleanEnv(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(source)) {
    if (/^(npm_|pnpm_|JEST_|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, CI: '1', NO_UPDATE_NOTIFIER: '1' };
}

/** Runs one command in `cwd` with a clean environment; never rejects on a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  cwd: string,
  options: VerifyOptions = {},
): Promise<Omit<StepResult, 'step'>> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let output = '';
    let timedOut = false;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-KEEP_OUTPUT);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: performance.now() - started, timedOut });
    });
  });
}

function stepCommand(step: VerifyStepName, dir: string): [string, string[]] {
  switch (step) {
    case 'npm ci':
      return ['npm', ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund']];
    case 'tsc --noEmit':
      return [path.join(dir, 'node_modules', '.bin', 'tsc'), ['--noEmit']];
    case 'npm test':
      return ['npm', ['test']];
  }
}

/**
 * Installs, type-checks and tests the project in `dir`, stopping at the first failing step.
 * `npm test` also counts as failed when its output does not show a jest summary with no failures
 * (a test script that exits 0 without running tests proves nothing).
 */
export async function verifyProject(
  dir: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const steps: StepResult[] = [];
  for (const step of VERIFY_STEPS) {
    const [command, args] = stepCommand(step, dir);
    const result: StepResult = { step, ...(await runCommand(command, args, dir, options)) };
    steps.push(result);
    const ok =
      result.code === 0 &&
      (step !== 'npm test' ||
        (/^Tests:\s+\d+ passed, \d+ total/m.test(result.output) &&
          !/^(Tests|Test Suites):.*failed/m.test(result.output)));
    if (!ok) return { ok: false, steps, failed: result };
  }
  return { ok: true, steps };
}

/** The last `lines` lines of a step's output, for a one-screen failure report. */
export function outputTail(output: string, lines = 20): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}
