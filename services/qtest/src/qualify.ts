// The quality gate run of one project directory (DESIGN §6): from a private copy, in the sandbox,
// dependencies install from the lock file (network on for that step only, scripts off), the
// project builds / type-checks (network off), its tests run `runs` times with coverage, the
// project is scanned, acceptance criteria are matched to passing tests, and the gate decides.
// Used by the service (on an unpacked capsule) and by `ql qtest run <dir>`.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acceptanceCoverage, applyGate } from './domain/gate.js';
import type { RunSummary } from './domain/summary.js';
import type { CoverageReport, CoverageTotals, TestCase } from './reports/index.js';
import type { TestGenResult } from './generate/testgen.js';
import type { HealingReport } from './heal.js';
import type { SandboxLimits } from './sandbox/index.js';
import { buildProject, installDependencies, runInstalledTests, type StepRecord } from './steps.js';
import type { ProjectTestResult } from './runners/index.js';
import {
  scanProject,
  securityGate,
  type SecurityScanReport,
  type VulnDb,
} from './security/index.js';

export interface QualityReport {
  version: 1;
  summary: RunSummary;
  steps: StepRecord[];
  tests: ProjectTestResult | null;
  /** Total line, branch and function coverage ({ covered, total, pct }), null without a report. */
  coverage: CoverageTotals | null;
  security: SecurityScanReport;
  acceptance: { total: number; covered: string[]; uncovered: string[] } | null;
  /** Repair rounds only: how this round's failures compare with the previous round's. */
  healing?: HealingReport;
  /** Agent mode, coverage under the gate: tests the QA agent proposed and the filter kept. */
  generated?: Omit<TestGenResult, 'files' | 'usage'> & {
    /** FileSet blob key of the kept tests. */
    fileSet?: string;
  };
}

export interface QualifyOptions {
  /** The project. It is copied; nothing is written into it. */
  dir: string;
  runs: number;
  minLineCoveragePct: number;
  /** Acceptance criteria ids the tests must prove (from the requirements), when known. */
  acceptanceCriteria?: readonly string[];
  /** OSV snapshot: a path, or one loaded once by a long-running caller. */
  vulnDb?: string | VulnDb;
  limits?: Partial<SandboxLimits>;
  /** Parent of the private working copy (default: the OS temp dir). */
  workRoot?: string;
  signal?: AbortSignal;
  onStep?: (event: { step: string; state: 'started' | 'done' | 'failed'; detail?: string }) => void;
}

function countTests(tests: readonly TestCase[], flaky: ReadonlySet<string>) {
  const n = { total: tests.length, passed: 0, failed: 0, skipped: 0, errored: 0 };
  for (const t of tests) if (!flaky.has(t.id)) n[t.status] += 1;
  return n;
}

const pctOf = (c: CoverageReport | undefined, k: 'lines' | 'branches' | 'functions') =>
  c ? c.totals[k].pct : null;

export async function qualifyProject(options: QualifyOptions): Promise<QualityReport> {
  const started = performance.now();
  const work = await mkdtemp(path.join(options.workRoot ?? os.tmpdir(), 'ql-qtest-'));
  const project = path.join(work, 'project');
  const steps: StepRecord[] = [];
  const note = options.onStep ?? (() => undefined);
  const common = {
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  try {
    // A clean copy: whatever node_modules or build output the directory has is not ours to trust.
    // Links stay as written (as copyProject keeps them): resolved, a relative link in the project
    // would become an absolute path into the source directory on the host.
    await cp(options.dir, project, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !/[/\\](node_modules|\.git|dist|coverage)$/.test(src),
    });
    let ready = true;
    for (const [name, step] of [
      ['install', installDependencies],
      ['build', buildProject],
    ] as const) {
      if (!ready) break;
      note({ step: name, state: 'started' });
      const rec = await step(project, common);
      if (!rec) continue;
      steps.push(rec);
      note({ step: name, state: rec.ok ? 'done' : 'failed', detail: rec.detail });
      ready = rec.ok;
    }

    let tests: ProjectTestResult | null = null;
    if (ready) {
      note({ step: 'test', state: 'started', detail: `${options.runs} run(s)` });
      tests = await runInstalledTests(project, options.runs, common);
      note({
        step: 'test',
        state: tests.stopped ? 'failed' : 'done',
        detail: tests.stopped?.reason,
      });
    }

    note({ step: 'scan', state: 'started' });
    const security = await scanProject({
      dir: options.dir,
      ...(options.vulnDb ? { vulnDb: options.vulnDb } : {}),
    });
    note({ step: 'scan', state: 'done' });

    const flaky = new Set(tests?.flaky ?? []);
    // Without test results no criterion is proven: all of them are uncovered.
    const acceptance = options.acceptanceCriteria
      ? acceptanceCoverage(options.acceptanceCriteria, tests?.report.tests ?? [], flaky)
      : null;
    // A flaky test is reported as flaky, not also as failed (the merged report marks it failed).
    const totals = tests ? countTests(tests.report.tests, flaky) : undefined;
    const gate = applyGate(
      {
        steps,
        ...(tests && totals
          ? {
              tests: {
                total: totals.total,
                passed: totals.passed,
                failed: totals.failed,
                errored: totals.errored,
                flaky: flaky.size,
                ...(tests.stopped
                  ? { stoppedBy: tests.stopped.by, stopReason: tests.stopped.reason }
                  : {}),
              },
            }
          : {}),
        ...(tests?.coverage ? { lineCoveragePct: tests.coverage.totals.lines.pct } : {}),
        security: securityGate(security),
        ...(acceptance ? { acceptance } : {}),
      },
      { minLineCoveragePct: options.minLineCoveragePct },
    );
    const stoppedStep = steps.find((s) => s.stoppedBy);
    const stopped = stoppedStep
      ? { by: stoppedStep.stoppedBy!, reason: stoppedStep.stopReason ?? '', step: stoppedStep.name }
      : tests?.stopped
        ? { by: tests.stopped.by, reason: tests.stopped.reason, step: 'test' }
        : null;
    const summary: RunSummary = {
      runner: tests?.runner ?? '',
      tests: {
        total: totals?.total ?? 0,
        passed: totals?.passed ?? 0,
        failed: totals?.failed ?? 0,
        skipped: totals?.skipped ?? 0,
        errored: totals?.errored ?? 0,
        flaky: flaky.size,
      },
      runs: tests?.runs.length ?? 0,
      coverage: {
        lines: pctOf(tests?.coverage, 'lines'),
        branches: pctOf(tests?.coverage, 'branches'),
        functions: pctOf(tests?.coverage, 'functions'),
      },
      verdict: gate.verdict,
      failedGates: gate.failedGates,
      security: security.counts,
      acceptance: { total: acceptance?.total ?? 0, covered: acceptance?.covered.length ?? 0 },
      stopped,
      healed: 0,
      durationMs: Math.round(performance.now() - started),
    };
    return {
      version: 1,
      summary,
      steps,
      tests,
      coverage: tests?.coverage?.totals ?? null,
      security,
      acceptance,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
