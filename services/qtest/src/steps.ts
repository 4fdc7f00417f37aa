// The steps before the tests, each in the sandbox: dependency install from the lock file (network
// on for that step only, lifecycle scripts off) and build / type-check (network off).
import path from 'node:path';
import type { StepOutcome } from './domain/gate.js';
import { readPackageJson } from './runners/detect.js';
import { exists } from './runners/files.js';
import { detectRunner, runProjectTests, type ProjectTestResult } from './runners/index.js';
import { outputTail } from './runners/run.js';
import {
  installStep,
  runSandboxed,
  type SandboxLimits,
  type SandboxResult,
} from './sandbox/index.js';

export interface StepRecord extends StepOutcome {
  command: string;
  exitCode: number | null;
  wallMs: number;
  cpuMs: number;
  maxRssBytes?: number;
  stopReason?: string;
  /** The end of the step's output when it failed, for the reader of the report. */
  outputTail?: string;
}

export interface StepOptions {
  limits?: Partial<SandboxLimits>;
  signal?: AbortSignal;
}

export function stepRecord(name: string, command: string, r: SandboxResult): StepRecord {
  const ok = r.exitCode === 0 && !r.stoppedBy;
  return {
    name,
    ok,
    command,
    exitCode: r.exitCode,
    wallMs: Math.round(r.wallMs),
    cpuMs: Math.round(r.cpuUserMs + r.cpuSystemMs),
    ...(r.maxRssBytes !== undefined ? { maxRssBytes: r.maxRssBytes } : {}),
    ...(r.stoppedBy ? { stoppedBy: r.stoppedBy, stopReason: r.reason ?? '' } : {}),
    ...(ok
      ? {}
      : {
          detail: r.stoppedBy
            ? (r.reason ?? r.stoppedBy)
            : `${command} exited with ${r.exitCode ?? r.signal}`,
          outputTail: outputTail(r),
        }),
  };
}

/** The build / type-check step of a Node project: `typecheck` if it has one, else `build`. */
async function nodeBuildScript(dir: string): Promise<string | undefined> {
  const pkg = await readPackageJson(dir);
  if (!pkg || pkg instanceof Error) return undefined;
  return ['typecheck', 'build'].find((s) => pkg.scripts?.[s]);
}

/** `npm ci` when the project has a package-lock.json; undefined when it has nothing to install. */
export async function installDependencies(
  dir: string,
  options: StepOptions,
): Promise<StepRecord | undefined> {
  if (!(await exists(path.join(dir, 'package-lock.json')))) return undefined;
  const r = await installStep({ workDir: dir, ...options });
  return stepRecord('install', 'npm ci --ignore-scripts', r);
}

/** The project's `typecheck` (else `build`) script; undefined when it has neither. */
export async function buildProject(
  dir: string,
  options: StepOptions,
): Promise<StepRecord | undefined> {
  const script = await nodeBuildScript(dir);
  if (!script) return undefined;
  const r = await runSandboxed({
    command: 'npm',
    args: ['run', '--silent', script],
    workDir: dir,
    ...options,
  });
  return stepRecord('build', `npm run ${script}`, r);
}

/**
 * The tests of a project whose dependencies are installed already (by `installDependencies`),
 * `runs` times in the sandbox. Its node_modules is bound read-only instead of being copied with
 * the project for every run — except for vitest, which writes its cache under node_modules/.vite.
 */
export async function runInstalledTests(
  dir: string,
  runs: number,
  options: StepOptions,
): Promise<ProjectTestResult> {
  const { runner } = await detectRunner(dir);
  const modules = path.join(dir, 'node_modules');
  const bind = runner !== 'vitest' && (await exists(modules));
  return runProjectTests({
    dir,
    runs,
    runner,
    install: false,
    ...(bind ? { nodeModules: modules } : {}),
    ...options,
  });
}
