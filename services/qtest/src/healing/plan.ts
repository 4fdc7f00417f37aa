import type { TestCase } from '../reports/index.js';
import type { CodeChange } from './change.js';
import { isTestPath, unifiedDiff } from './change.js';
import type { FailureClassification } from './classify.js';

type TestFailure = NonNullable<TestCase['failure']>;

/** What the QA agent is asked: update this test to the intended new behaviour in `diff`. */
export interface ProposeUpdateRequest {
  test: TestCase;
  /** The test's file, when the report names it. */
  file?: string;
  failure: TestFailure;
  /** The code change, unified diff. */
  diff: string;
  /** Why the failure was judged drift (which line replaced which value). */
  evidence: string;
}

/** A new content for one test file (project-relative path). */
export interface ProposedUpdate {
  file: string;
  content: string;
}

export interface HealingOptions {
  /** The QA agent (wired through the router by the service). null: no proposal. */
  proposeUpdate: (request: ProposeUpdateRequest) => Promise<ProposedUpdate | null>;
  /**
   * Re-runs the test with the update applied; true only if it now passes. Updates are proposed
   * and verified one at a time, in order, so an implementation that keeps accepted updates in
   * its workspace gives later proposals for the same file the healed text to start from.
   */
  verify: (update: ProposedUpdate, request: ProposeUpdateRequest) => Promise<boolean>;
  /** The change the tests were run against (the diff the QA agent sees). */
  change?: CodeChange;
}

export interface HealedTest {
  test: TestCase;
  update: ProposedUpdate;
  evidence: string;
}

export interface RejectedHeal {
  test: TestCase;
  reason: string;
  update?: ProposedUpdate;
}

export interface ReportedFailure {
  test: TestCase;
  evidence: string;
}

export interface HealingPlan {
  healed: HealedTest[];
  rejected: RejectedHeal[];
  /** Real regressions: reported, never passed to the QA agent. */
  regressions: ReportedFailure[];
  environment: ReportedFailure[];
  counts: {
    drift: number;
    healed: number;
    rejected: number;
    regressions: number;
    environment: number;
  };
}

/** Jest reports absolute paths (/project/src/a.test.ts), the agent relative ones. */
function samePath(reported: string, proposed: string): boolean {
  const a = reported.replace(/\\/g, '/');
  const b = proposed.replace(/\\/g, '/').replace(/^\.\//, '');
  return a === b || a.endsWith(`/${b}`);
}

/**
 * Heals assertion drift only: each drifted test goes to `proposeUpdate`, and its update is
 * accepted only when it touches that test's file (never code: healing must not make a test pass
 * by changing what it tests) and `verify` reports the test passing with it. Regressions and
 * environment failures are reported as they are.
 */
export async function planHealing(
  classifications: readonly FailureClassification[],
  options: HealingOptions,
): Promise<HealingPlan> {
  const plan: HealingPlan = {
    healed: [],
    rejected: [],
    regressions: [],
    environment: [],
    counts: { drift: 0, healed: 0, rejected: 0, regressions: 0, environment: 0 },
  };
  const diff = options.change ? unifiedDiff(options.change) : '';
  for (const c of classifications) {
    if (c.class === 'regression') {
      plan.regressions.push({ test: c.test, evidence: c.evidence });
      continue;
    }
    if (c.class === 'environment') {
      plan.environment.push({ test: c.test, evidence: c.evidence });
      continue;
    }
    plan.counts.drift++;
    const reject = (reason: string, update?: ProposedUpdate) =>
      plan.rejected.push({ test: c.test, reason, ...(update ? { update } : {}) });
    if (!c.test.failure) {
      reject('no failure to show the QA agent');
      continue;
    }
    const request: ProposeUpdateRequest = {
      test: c.test,
      ...(c.test.file ? { file: c.test.file } : {}),
      failure: c.test.failure,
      diff,
      evidence: c.evidence,
    };
    let update: ProposedUpdate | null;
    try {
      update = await options.proposeUpdate(request);
    } catch (err) {
      reject(`proposeUpdate failed: ${(err as Error).message}`);
      continue;
    }
    if (!update) {
      reject('the QA agent proposed no update');
      continue;
    }
    const ownFile = c.test.file ? samePath(c.test.file, update.file) : isTestPath(update.file);
    if (!ownFile) {
      reject(
        `the update changes ${update.file}, not the test's file${c.test.file ? ` (${c.test.file})` : ''}: healing only edits the failing test`,
        update,
      );
      continue;
    }
    if (!update.content.trim()) {
      reject('the update empties the test file', update);
      continue;
    }
    let passes: boolean;
    try {
      passes = await options.verify(update, request);
    } catch (err) {
      reject(`verify failed: ${(err as Error).message}`, update);
      continue;
    }
    if (!passes) {
      reject('the test still fails with the update', update);
      continue;
    }
    plan.healed.push({ test: c.test, update, evidence: c.evidence });
  }
  plan.counts.healed = plan.healed.length;
  plan.counts.rejected = plan.rejected.length;
  plan.counts.regressions = plan.regressions.length;
  plan.counts.environment = plan.environment.length;
  return plan;
}
