import type { TestCase, TestReport, TestStatus } from '../reports/schema.js';
import { testTotals } from '../reports/util.js';
import type { RunStatus } from './schema.js';

export interface MergedRuns {
  /** One entry per test: passed only if it passed in every run that produced a report. */
  report: TestReport;
  /** Tests that passed in some runs and did not in others. */
  flaky: string[];
  /** Per-run statuses of the tests whose status was not the same in every run. */
  history: Record<string, RunStatus[]>;
}

/** Worst first: the merged status of a test that never passed. */
const SEVERITY: readonly TestStatus[] = ['errored', 'failed', 'skipped', 'passed'];

/**
 * Merges the reports of repeated runs of the same tests. `undefined` stands for a run that
 * produced no report (the tool crashed or was stopped): its tests show as `missing` in the
 * history but do not make anything flaky, since that run says nothing about single tests.
 * A test missing from a run that did report is counted as not passing there.
 */
export function mergeRuns(
  reports: ReadonlyArray<TestReport | undefined>,
  runner?: string,
): MergedRuns {
  const present = reports.filter((r): r is TestReport => r !== undefined);
  const name = runner ?? present[0]?.runner ?? 'unknown';
  if (present.length === 0) {
    return { report: { runner: name, totals: testTotals([]), tests: [] }, flaky: [], history: {} };
  }
  if (reports.length === 1 && present.length === 1 && present[0]) {
    return { report: present[0], flaky: [], history: {} };
  }

  const order = new Set<string>();
  const byRun = reports.map((r) => {
    const map = new Map<string, TestCase>();
    for (const t of r?.tests ?? []) {
      map.set(t.id, t);
      order.add(t.id);
    }
    return map;
  });

  const tests: TestCase[] = [];
  const flaky: string[] = [];
  const history: Record<string, RunStatus[]> = {};
  for (const id of order) {
    const statuses: RunStatus[] = byRun.map((m) => m.get(id)?.status ?? 'missing');
    const reported = statuses.filter((_, i) => reports[i] !== undefined);
    const passes = reported.filter((s) => s === 'passed').length;
    const isFlaky = passes > 0 && passes < reported.length;
    const same = statuses.every((s) => s === statuses[0]);
    if (!same) history[id] = statuses;

    const first = byRun.find((m) => m.has(id))?.get(id) as TestCase;
    const worst = SEVERITY.find((s) => reported.includes(s)) ?? 'failed';
    // A flaky test does not count as passed; one that was only missing or skipped besides its
    // passes has no failure of its own to show, so it is reported as failed.
    const status: TestStatus = isFlaky
      ? worst === 'skipped' || worst === 'passed'
        ? 'failed'
        : worst
      : worst;
    const sample = byRun.find((m) => m.get(id)?.status === status)?.get(id) ?? first;
    const merged: TestCase = { ...sample, status };
    if (isFlaky) {
      flaky.push(id);
      const runsList = (want: (s: RunStatus) => boolean): string =>
        statuses.flatMap((s, i) => (want(s) && reports[i] !== undefined ? [i + 1] : [])).join(', ');
      const summary =
        `flaky: passed in ${passes} of ${reported.length} runs ` +
        `(passed: ${runsList((s) => s === 'passed')}; not passed: ${runsList((s) => s !== 'passed')})`;
      merged.failure = sample.failure
        ? { ...sample.failure, message: `${summary}: ${sample.failure.message}` }
        : { message: summary };
    }
    tests.push(merged);
  }
  const durations = present.map((r) => r.totals.durationMs);
  const meanMs = durations.reduce((a, b) => a + b, 0) / durations.length;
  return {
    report: { runner: name, totals: testTotals(tests, meanMs), tests },
    flaky,
    history,
  };
}
