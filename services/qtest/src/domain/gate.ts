// The quality gate of DESIGN §6, as a pure function of what a run measured. Each check that
// fails adds one human-readable line; a run the sandbox could not finish is INCONCLUSIVE rather
// than REJECTED, because running it again may well succeed (a timeout on a loaded machine).
import type { TestCase } from '../reports/index.js';

export type GateVerdict = 'accepted' | 'rejected' | 'inconclusive';

/** One step of the run before the tests: dependency install, build/type-check. */
export interface StepOutcome {
  name: string;
  ok: boolean;
  /** Set when the sandbox stopped the step (a limit), as opposed to the step failing. */
  stoppedBy?: string;
  detail?: string;
}

export interface GateInput {
  steps: StepOutcome[];
  tests?: {
    passed: number;
    failed: number;
    errored: number;
    flaky: number;
    total: number;
    /** The sandbox stopped a test run (limit reached): the counts are incomplete. */
    stoppedBy?: string;
    stopReason?: string;
  };
  /** Line coverage 0..100, or undefined when the runner produced none. */
  lineCoveragePct?: number;
  security?: { ok: boolean; reasons: string[] };
  acceptance?: { total: number; uncovered: string[] };
}

export interface GateOptions {
  minLineCoveragePct: number;
}

export interface GateResult {
  verdict: GateVerdict;
  failedGates: string[];
}

const pct = (n: number) => `${(Math.round(n * 10) / 10).toFixed(1)}%`;

export function applyGate(input: GateInput, options: GateOptions): GateResult {
  const failed: string[] = [];
  let inconclusive = false;
  for (const step of input.steps) {
    if (step.ok) continue;
    if (step.stoppedBy) inconclusive = true;
    failed.push(
      step.stoppedBy
        ? `${step.name} stopped by the sandbox (${step.stoppedBy})${step.detail ? `: ${step.detail}` : ''}`
        : `${step.name} failed${step.detail ? `: ${step.detail}` : ''}`,
    );
  }
  const t = input.tests;
  if (!t) {
    if (failed.length === 0) failed.push('tests did not run');
  } else {
    if (t.stoppedBy) {
      inconclusive = true;
      failed.push(
        `tests stopped by the sandbox (${t.stoppedBy})${t.stopReason ? `: ${t.stopReason}` : ''}`,
      );
    }
    if (t.total === 0 && !t.stoppedBy) failed.push('no tests were found');
    const broken = t.failed + t.errored;
    if (broken > 0) failed.push(`${broken} of ${t.total} tests failed`);
    if (t.flaky > 0) failed.push(`${t.flaky} flaky ${t.flaky === 1 ? 'test' : 'tests'}`);
  }
  if (t && !t.stoppedBy) {
    if (input.lineCoveragePct === undefined) failed.push('no line coverage was reported');
    else if (input.lineCoveragePct < options.minLineCoveragePct)
      failed.push(`line coverage ${pct(input.lineCoveragePct)} < ${options.minLineCoveragePct}%`);
  }
  if (input.security && !input.security.ok) failed.push(...input.security.reasons);
  if (input.acceptance && input.acceptance.uncovered.length > 0) {
    const { uncovered, total } = input.acceptance;
    const shown = uncovered.slice(0, 10).join(', ') + (uncovered.length > 10 ? ', …' : '');
    failed.push(
      `${uncovered.length} of ${total} acceptance criteria have no passing test (${shown})`,
    );
  }
  const verdict: GateVerdict =
    failed.length === 0 ? 'accepted' : inconclusive ? 'inconclusive' : 'rejected';
  return { verdict, failedGates: failed };
}

const AC_ID = /\bAC-\d+\b/g;

/**
 * Which acceptance criteria a passing test proves: a test claims a criterion by naming its id
 * (`AC-001 …`), as the blueprint templates and the QA agent's prompt both do. A flaky or failing
 * test proves nothing.
 */
export function acceptanceCoverage(
  criteria: readonly string[],
  tests: readonly Pick<TestCase, 'id' | 'name' | 'status' | 'suite'>[],
  /** Ids of the tests found flaky. */
  flaky: ReadonlySet<string> = new Set(),
): { total: number; covered: string[]; uncovered: string[] } {
  const proven = new Set<string>();
  for (const t of tests) {
    if (t.status !== 'passed' || flaky.has(t.id)) continue;
    for (const id of `${t.suite ?? ''} ${t.name}`.match(AC_ID) ?? []) proven.add(id);
  }
  const covered = criteria.filter((c) => proven.has(c));
  return {
    total: criteria.length,
    covered,
    uncovered: criteria.filter((c) => !proven.has(c)),
  };
}
