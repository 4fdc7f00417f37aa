// LLM test generation with the TestGen-LLM filter (Alshahwan et al., Meta 2024): for the files
// with the most uncovered lines, the QA agent proposes a test file; a proposal is kept only if the
// project still builds with it, every test passes in each of five runs (no flakiness, nothing
// that passed before broken), and line coverage rises. Kept tests stay in the working copy, so
// each later proposal has to add coverage on top of them.
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LlmPort } from '../clients/router.js';
import { askForFile } from '../qa-agent.js';
import {
  AnswerError,
  checkTestPath,
  testGenerationPrompt,
  type ProjectFacts,
  type TestTarget,
} from '../domain/qa-agent.js';
import type { CoverageReport, TestReport } from '../reports/index.js';

/** What one evaluation of the working copy measured. */
export interface Evaluation {
  runner: string;
  /** The build/type-check step passed (true when the project has none). */
  builds: boolean;
  buildDetail?: string;
  /** Merged over the runs; flaky tests listed by id. */
  report: TestReport;
  flaky: string[];
  runs: number;
  coverage?: CoverageReport;
  /** The sandbox stopped a run. */
  stoppedBy?: string;
}

export interface Evaluator {
  /** Builds and tests the project in `dir` (in the sandbox) `runs` times, coverage on. */
  evaluate(dir: string, runs: number, signal?: AbortSignal): Promise<Evaluation>;
}

export interface GeneratedTestRecord {
  path: string;
  target: string;
  kept: boolean;
  reason: string;
  coverageGainPct: number;
}

export interface TestGenResult {
  proposed: number;
  kept: number;
  rejected: number;
  tests: GeneratedTestRecord[];
  lineCoverageBeforePct: number;
  lineCoverageAfterPct: number;
  /** The kept files, path → content and the model (canonical "provider/model") that wrote it. */
  files: Record<string, { content: string; model: string; provider: string }>;
  usage: { inputTokens: number; outputTokens: number; costUsd: number; calls: number };
}

export interface TestGenOptions {
  /** A private working copy: kept tests are written into it. */
  dir: string;
  facts: ProjectFacts;
  llm: LlmPort;
  model: string;
  tenantId: string;
  generationId?: string;
  maxTests: number;
  /** Runs per proposal; TestGen-LLM's five. */
  runs?: number;
  /** The evaluation of the project as it is, if the caller already has one. */
  baseline?: Evaluation;
  evaluator: Evaluator;
  signal?: AbortSignal;
  onProgress?: (record: GeneratedTestRecord) => void;
}

/** Files ordered by uncovered lines, most first; test files and files fully covered left out. */
export function pickTargets(coverage: CoverageReport, facts: ProjectFacts, max: number): string[] {
  return coverage.files
    .filter((f) => f.lines.covered < f.lines.total && !f.path.endsWith(facts.testSuffix))
    .sort((a, b) => b.lines.total - b.lines.covered - (a.lines.total - a.lines.covered))
    .slice(0, max)
    .map((f) => f.path);
}

const passedIds = (r: TestReport) =>
  new Set(r.tests.filter((t) => t.status === 'passed').map((t) => t.id));

/** Why `after` is not acceptable relative to `before`, or undefined when it is. */
function rejection(before: Evaluation, after: Evaluation, runs: number): string | undefined {
  if (after.stoppedBy) return `the sandbox stopped the run (${after.stoppedBy})`;
  if (!after.builds) return `does not build${after.buildDetail ? `: ${after.buildDetail}` : ''}`;
  if (after.flaky.length > 0)
    return `flaky over ${runs} runs: ${after.flaky.slice(0, 3).join(', ')}`;
  const failing = after.report.tests.filter((t) => t.status === 'failed' || t.status === 'errored');
  if (failing.length > 0) {
    const first = failing[0]!;
    const msg = first.failure?.message.split('\n')[0] ?? '';
    return `${failing.length} failing (${first.name}${msg ? `: ${msg.slice(0, 160)}` : ''})`;
  }
  const now = passedIds(after.report);
  const lost = [...passedIds(before.report)].filter((id) => !now.has(id));
  if (lost.length > 0) return `breaks tests that passed before: ${lost.slice(0, 3).join(', ')}`;
  if (!after.coverage || !before.coverage) return 'no coverage to compare';
  if (after.coverage.totals.lines.covered <= before.coverage.totals.lines.covered)
    return 'coverage did not rise';
  return undefined;
}

export async function generateTests(options: TestGenOptions): Promise<TestGenResult> {
  const runs = options.runs ?? 5;
  const { dir, facts } = options;
  let current = options.baseline ?? (await options.evaluator.evaluate(dir, 1, options.signal));
  if (!current.coverage)
    throw new Error('the project reports no coverage: nothing to aim tests at');
  const before = current.coverage.totals.lines.pct;
  const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 };
  const tests: GeneratedTestRecord[] = [];
  const files: TestGenResult['files'] = {};
  const record = (r: GeneratedTestRecord) => {
    tests.push(r);
    options.onProgress?.(r);
  };

  for (const file of pickTargets(current.coverage, facts, options.maxTests)) {
    options.signal?.throwIfAborted();
    const cov = current.coverage!.files.find((f) => f.path === file);
    if (!cov || cov.lines.covered >= cov.lines.total) continue; // covered by an earlier kept test
    const target: TestTarget = {
      file,
      source: await readFile(path.join(dir, file), 'utf8'),
      uncovered: cov.uncovered,
      lines: { covered: cov.lines.covered, total: cov.lines.total },
    };
    const prompt = testGenerationPrompt(target, facts);
    let proposed;
    let author = { model: '', provider: '' };
    try {
      proposed = await askForFile(
        options.llm,
        prompt,
        {
          model: options.model,
          tenantId: options.tenantId,
          ...(options.generationId ? { generationId: options.generationId } : {}),
          caller: 'qtest/qa-generate',
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (answer) => {
          author = { model: answer.model, provider: answer.provider };
          usage.calls += 1;
          usage.inputTokens += answer.inputTokens;
          usage.outputTokens += answer.outputTokens;
          usage.costUsd += answer.costUsd;
        },
      );
    } catch (err) {
      if (!(err instanceof AnswerError)) throw err;
      record({ path: '', target: file, kept: false, reason: err.message, coverageGainPct: 0 });
      continue;
    }
    const checked = checkTestPath(proposed.path, facts);
    if (!checked.ok) {
      record({
        path: proposed.path,
        target: file,
        kept: false,
        reason: checked.reason,
        coverageGainPct: 0,
      });
      continue;
    }
    const abs = path.join(dir, checked.path);
    const existed = await access(abs).then(
      () => true,
      () => false,
    );
    if (existed) {
      record({
        path: checked.path,
        target: file,
        kept: false,
        reason: 'would overwrite an existing file',
        coverageGainPct: 0,
      });
      continue;
    }
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, proposed.content);
    const after = await options.evaluator.evaluate(dir, runs, options.signal);
    const why = rejection(current, after, runs);
    if (why) {
      await rm(abs, { force: true });
      record({ path: checked.path, target: file, kept: false, reason: why, coverageGainPct: 0 });
      continue;
    }
    const gain = after.coverage!.totals.lines.pct - current.coverage!.totals.lines.pct;
    files[checked.path] = { content: proposed.content, ...author };
    record({
      path: checked.path,
      target: file,
      kept: true,
      reason: `line coverage ${current.coverage!.totals.lines.pct}% → ${after.coverage!.totals.lines.pct}%`,
      coverageGainPct: Math.round(gain * 100) / 100,
    });
    current = after;
  }
  const kept = tests.filter((t) => t.kept).length;
  return {
    proposed: tests.length,
    kept,
    rejected: tests.length - kept,
    tests,
    lineCoverageBeforePct: before,
    lineCoverageAfterPct: current.coverage!.totals.lines.pct,
    files,
    usage,
  };
}
