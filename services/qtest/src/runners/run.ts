import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zodDetail } from '../reports/errors.js';
import type { CoverageReport, TestReport } from '../reports/schema.js';
import { stripAnsi } from '../reports/util.js';
import {
  DEFAULT_LIMITS,
  describeLimit,
  installStep,
  runSandboxed,
  type SandboxLimits,
  type SandboxResult,
  type StoppedBy,
} from '../sandbox/index.js';
import { cargoPlan } from './cargo.js';
import { copyProject } from './copy.js';
import { detectRunner, readPackageJson, type Detection } from './detect.js';
import { RunnerOptionsError } from './errors.js';
import { exists } from './files.js';
import { mergeRuns } from './flaky.js';
import { goPlan } from './go.js';
import { jestPlan, nodeTestPlan, vitestPlan } from './js.js';
import { gradlePlan, mavenPlan } from './jvm.js';
import { pytestPlan } from './python.js';
import {
  relativizeCoverage,
  relativizeReport,
  REPORT_DIR,
  type PlanContext,
  type RunnerPlan,
} from './plan.js';
import {
  RunProjectTestsOptionsSchema,
  type InstallRecord,
  type ProgressEvent,
  type ProjectTestResult,
  type RunnerKind,
  type RunProjectTestsOptions,
  type RunRecord,
} from './schema.js';

const TAIL_CHARS = 4000;

export async function buildPlan(runner: RunnerKind, ctx: PlanContext): Promise<RunnerPlan> {
  switch (runner) {
    case 'jest':
      return jestPlan(ctx);
    case 'vitest':
      return vitestPlan(ctx);
    case 'node-test':
      return nodeTestPlan(ctx);
    case 'pytest':
      return pytestPlan(ctx);
    case 'go':
      return goPlan(ctx);
    case 'cargo':
      return cargoPlan(ctx);
    case 'maven':
      return mavenPlan(ctx);
    case 'gradle':
      return gradlePlan(ctx);
  }
}

/** The end of a process's output (stdout, then stderr), without colour codes. */
export function outputTail(result: Pick<SandboxResult, 'stdout' | 'stderr'>): string {
  const text = stripAnsi(
    [result.stdout.trimEnd(), result.stderr.trimEnd()].filter(Boolean).join('\n'),
  );
  return text.length > TAIL_CHARS ? `…${text.slice(-TAIL_CHARS)}` : text;
}

/**
 * A limit that killed a process below the test runner (jest's workers, node:test's per-file
 * processes, surefire's forked JVM): the sandbox sees only the runner exit with a failure, and
 * the runner prints what happened to its child, often on stdout.
 */
const CHILD_EVIDENCE: ReadonlyArray<[StoppedBy, RegExp]> = [
  [
    'memory',
    /JavaScript heap out of memory|Fatal process out of memory|Cannot allocate Wasm memory|java\.lang\.OutOfMemoryError|insufficient memory for the Java Runtime Environment|memory allocation of \d+ bytes failed/,
  ],
  ['cpu-time', /signal: '?SIGXCPU'?|CPU time limit exceeded/],
];

function childStop(
  result: SandboxResult,
  limits: SandboxLimits,
): { by: StoppedBy; reason: string } | undefined {
  if (result.exitCode === 0 && result.signal === null) return undefined;
  const text = stripAnsi(`${result.stdout.slice(-16_384)}\n${result.stderr.slice(-16_384)}`);
  for (const [by, re] of CHILD_EVIDENCE) {
    const m = re.exec(text);
    if (!m) continue;
    return { by, reason: `${describeLimit(by, limits)} in a test process: "${m[0]}"` };
  }
  return undefined;
}

function emit(onProgress: ((e: ProgressEvent) => void) | undefined, event: ProgressEvent): void {
  try {
    onProgress?.(event);
  } catch {
    // A broken progress callback must not fail the run it reports on.
  }
}

/**
 * Runs a project's tests in the sandbox, `runs` times, on a private copy of `dir`: detects the
 * runner, installs dependencies from the lock file when needed (the only step with network),
 * has the tool write a machine-readable report and coverage, and merges the runs so a test that
 * did not pass every time is flaky. The project's failures and the sandbox's stops are in the
 * result; it throws only for bad options, a project no runner fits, a missing toolchain or an
 * unusable sandbox.
 */
export async function runProjectTests(options: RunProjectTestsOptions): Promise<ProjectTestResult> {
  const parsed = RunProjectTestsOptionsSchema.safeParse(options);
  if (!parsed.success) throw new RunnerOptionsError(`runProjectTests: ${zodDetail(parsed.error)}`);
  const opts = parsed.data;
  if (!(await stat(opts.dir).catch(() => null))?.isDirectory()) {
    throw new RunnerOptionsError(`dir: ${opts.dir} is not a directory`);
  }
  const detection: Detection = opts.runner
    ? { runner: opts.runner, reason: 'given by the caller' }
    : await detectRunner(opts.dir);
  const runs = opts.runs;
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const hasLock =
    (await exists(join(opts.dir, 'package-lock.json'))) ||
    (await exists(join(opts.dir, 'npm-shrinkwrap.json')));
  const hasModules = await exists(join(opts.dir, 'node_modules'));
  const jsRunner = ['jest', 'vitest', 'node-test'].includes(detection.runner);
  const install =
    opts.install ?? (jsRunner && hasLock && !hasModules && opts.nodeModules === undefined);
  if (install && !hasLock) {
    throw new RunnerOptionsError(
      'install: needs package-lock.json or npm-shrinkwrap.json in dir (dependencies install from the lock file only)',
    );
  }

  const base = await mkdtemp(join(tmpdir(), 'ql-qtest-run-'));
  const copy = join(base, 'project');
  try {
    emit(opts.onProgress, { phase: 'copy', runs, message: `copying ${opts.dir}` });
    // A node_modules bound in by the caller hides the project's own: copying it would be waste
    // (157 MB, 13 500 files, ~8 s for a blueprint project).
    await copyProject(opts.dir, copy, {
      runner: detection.runner,
      dropNodeModules: install || opts.nodeModules !== undefined,
    });
    const notes = [`runner: ${detection.runner} (${detection.reason})`];

    let installRecord: InstallRecord | undefined;
    if (install) {
      emit(opts.onProgress, {
        phase: 'install',
        runs,
        message: 'npm ci --ignore-scripts (network on)',
      });
      const r = await installStep({
        workDir: copy,
        ...(opts.installLimits ? { limits: opts.installLimits } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      installRecord = {
        command: 'npm ci --ignore-scripts --no-audit --no-fund',
        ok: r.exitCode === 0 && !r.stoppedBy,
        exitCode: r.exitCode,
        signal: r.signal,
        wallMs: r.wallMs,
        ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        outputTail: outputTail(r),
      };
      if (!installRecord.ok) {
        const report: TestReport = { runner: detection.runner, totals: emptyTotals(), tests: [] };
        emit(opts.onProgress, {
          phase: 'done',
          runs,
          message: 'dependency install failed; tests not run',
        });
        return {
          runner: detection.runner,
          command: '',
          report,
          runs: [],
          flaky: [],
          history: {},
          ...(r.stoppedBy
            ? { stopped: { by: r.stoppedBy, reason: r.reason ?? r.stoppedBy, run: 0 } }
            : {}),
          install: installRecord,
          notes: [...notes, 'tests not run: the dependency install failed'],
        };
      }
    }

    const pkg = await readPackageJson(copy);
    const plan = await buildPlan(detection.runner, {
      copy,
      nodeModules: opts.nodeModules ?? join(copy, 'node_modules'),
      pkg: pkg instanceof Error ? undefined : pkg,
      toolchains: opts.toolchains ?? {},
    });
    notes.push(...plan.notes);
    const readOnlyBinds = [
      ...plan.readOnlyBinds,
      ...(opts.nodeModules ? [{ source: opts.nodeModules, target: 'node_modules' }] : []),
    ];
    const sandbox = {
      workDir: copy,
      env: plan.env,
      limits,
      readOnlyBinds,
      extraPath: plan.extraPath,
      ...(opts.signal ? { signal: opts.signal } : {}),
    };

    const records: RunRecord[] = [];
    const reports: Array<TestReport | undefined> = [];
    let coverage: CoverageReport | undefined;
    let stopped: ProjectTestResult['stopped'];
    for (let index = 1; index <= runs; index++) {
      emit(opts.onProgress, {
        phase: 'run',
        run: index,
        runs,
        message: `run ${index} of ${runs}: ${plan.display}`,
      });
      // A run must never read the previous run's reports.
      await rm(join(copy, REPORT_DIR), { recursive: true, force: true });
      await mkdir(join(copy, REPORT_DIR));
      const main = await runSandboxed({
        ...sandbox,
        command: plan.main.command,
        args: plan.main.args,
      });
      const stop = main.stoppedBy
        ? { by: main.stoppedBy, reason: main.reason ?? main.stoppedBy }
        : childStop(main, limits);
      let postError: string | undefined;
      if (plan.post && !stop) {
        const post = await runSandboxed({
          ...sandbox,
          command: plan.post.command,
          args: plan.post.args,
        });
        if (post.exitCode !== 0 || post.stoppedBy) {
          postError = `${plan.post.command} ${plan.post.args.slice(0, 3).join(' ')}: ${
            post.reason ?? `exit ${post.exitCode ?? post.signal}`
          }: ${outputTail(post).slice(-500)}`;
        }
      }
      const collected = await plan.collect(copy, main);
      const report = collected.report ? relativizeReport(collected.report) : undefined;
      reports.push(report);
      if (!coverage && collected.coverage) coverage = relativizeCoverage(collected.coverage);
      const coverageError = collected.coverage ? undefined : (postError ?? collected.coverageError);
      records.push({
        index,
        exitCode: main.exitCode,
        signal: main.signal,
        wallMs: main.wallMs,
        cpuUserMs: main.cpuUserMs,
        cpuSystemMs: main.cpuSystemMs,
        ...(main.maxRssBytes !== undefined ? { maxRssBytes: main.maxRssBytes } : {}),
        ...(stop ? { stoppedBy: stop.by, reason: stop.reason } : {}),
        ...(report ? { totals: report.totals } : {}),
        ...(collected.reportError && !report ? { reportError: collected.reportError } : {}),
        ...(coverageError ? { coverageError } : {}),
        outputTail: outputTail(main),
      });
      if (stop) {
        // Flakiness is moot once a run hits a limit; repeating it would only burn the budget.
        stopped = { ...stop, run: index };
        break;
      }
    }

    const merged = mergeRuns(reports, plan.runner);
    const silent = records.filter((r) => r.reportError !== undefined && !r.stoppedBy);
    if (silent.length > 0 && silent.length < records.length) {
      // Not a flaky test but a flaky run: say so, since the merge cannot blame a test for it.
      notes.push(
        `runs ${silent.map((r) => r.index).join(', ')} of ${records.length} produced no test report`,
      );
    }
    emit(opts.onProgress, {
      phase: 'done',
      runs,
      message:
        `${merged.report.totals.passed}/${merged.report.totals.tests} passed` +
        (merged.flaky.length > 0 ? `, ${merged.flaky.length} flaky` : '') +
        (stopped ? `; stopped: ${stopped.reason}` : ''),
    });
    return {
      runner: plan.runner,
      command: plan.display,
      report: merged.report,
      ...(coverage ? { coverage } : {}),
      runs: records,
      flaky: merged.flaky,
      history: merged.history,
      ...(stopped ? { stopped } : {}),
      ...(installRecord ? { install: installRecord } : {}),
      notes,
    };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

function emptyTotals(): TestReport['totals'] {
  return { tests: 0, passed: 0, failed: 0, skipped: 0, errored: 0, durationMs: 0 };
}
