import { ProjectTestResultSchema } from '../../src/runners/index.js';
import { mergeRuns } from '../../src/runners/flaky.js';
import type { TestCase, TestReport, TestStatus } from '../../src/reports/index.js';

function report(statuses: Record<string, TestStatus>, durationMs = 10): TestReport {
  const tests: TestCase[] = Object.entries(statuses).map(([id, status]) => ({
    id,
    name: id,
    status,
    durationMs: 1,
    ...(status === 'failed' ? { failure: { message: `${id} broke` } } : {}),
  }));
  const count = (s: TestStatus): number => tests.filter((t) => t.status === s).length;
  return {
    runner: 'jest',
    totals: {
      tests: tests.length,
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped'),
      errored: count('errored'),
      durationMs,
    },
    tests,
  };
}

describe('mergeRuns', () => {
  test('one run is returned as it is', () => {
    const only = report({ a: 'passed', b: 'failed' });
    expect(mergeRuns([only])).toEqual({ report: only, flaky: [], history: {} });
  });

  test('a test that passes in some runs and fails in others is flaky and not passed', () => {
    const runs = [
      report({ stable: 'passed', flip: 'passed', broken: 'failed' }, 10),
      report({ stable: 'passed', flip: 'failed', broken: 'failed' }, 20),
      report({ stable: 'passed', flip: 'passed', broken: 'failed' }, 30),
    ];
    const merged = mergeRuns(runs);
    expect(merged.flaky).toEqual(['flip']);
    expect(merged.history).toEqual({ flip: ['passed', 'failed', 'passed'] });
    const byId = new Map(merged.report.tests.map((t) => [t.id, t]));
    expect(byId.get('stable')?.status).toBe('passed');
    expect(byId.get('broken')?.status).toBe('failed');
    expect(byId.get('broken')?.failure?.message).toBe('broken broke');
    const flip = byId.get('flip');
    expect(flip?.status).toBe('failed');
    expect(flip?.failure?.message).toBe(
      'flaky: passed in 2 of 3 runs (passed: 1, 3; not passed: 2): flip broke',
    );
    expect(merged.report.totals).toEqual({
      tests: 3,
      passed: 1,
      failed: 2,
      skipped: 0,
      errored: 0,
      durationMs: 20,
    });
  });

  test('a test missing from a run that reported counts as not passing there', () => {
    const merged = mergeRuns([report({ a: 'passed', b: 'passed' }), report({ a: 'passed' })]);
    expect(merged.flaky).toEqual(['b']);
    expect(merged.history).toEqual({ b: ['passed', 'missing'] });
    const b = merged.report.tests.find((t) => t.id === 'b');
    expect(b?.status).toBe('failed');
    expect(b?.failure?.message).toMatch(/^flaky: passed in 1 of 2 runs/);
  });

  test('a run without a report shows as missing but makes nothing flaky', () => {
    const merged = mergeRuns([report({ a: 'passed' }), undefined, report({ a: 'passed' })]);
    expect(merged.flaky).toEqual([]);
    expect(merged.history).toEqual({ a: ['passed', 'missing', 'passed'] });
    expect(merged.report.tests[0]?.status).toBe('passed');
    expect(merged.report.totals.passed).toBe(1);
  });

  test('a test that never passed takes its worst status and is not flaky', () => {
    const merged = mergeRuns([
      report({ a: 'failed', s: 'skipped' }),
      report({ a: 'errored', s: 'skipped' }),
    ]);
    expect(merged.flaky).toEqual([]);
    expect(merged.report.tests.map((t) => [t.id, t.status])).toEqual([
      ['a', 'errored'],
      ['s', 'skipped'],
    ]);
    expect(merged.history).toEqual({ a: ['failed', 'errored'] });
  });

  test('passed in one run and skipped in another is flaky', () => {
    const merged = mergeRuns([report({ a: 'passed' }), report({ a: 'skipped' })]);
    expect(merged.flaky).toEqual(['a']);
    expect(merged.report.tests[0]?.status).toBe('failed');
  });

  test('no report at all gives an empty report', () => {
    expect(mergeRuns([undefined, undefined], 'pytest')).toEqual({
      report: {
        runner: 'pytest',
        totals: { tests: 0, passed: 0, failed: 0, skipped: 0, errored: 0, durationMs: 0 },
        tests: [],
      },
      flaky: [],
      history: {},
    });
  });

  test('tests keep the order in which the runs first listed them', () => {
    const merged = mergeRuns([report({ b: 'passed' }), report({ a: 'passed', b: 'passed' })]);
    expect(merged.report.tests.map((t) => t.id)).toEqual(['b', 'a']);
  });

  test('a merged result serializes through its schema', () => {
    const merged = mergeRuns([report({ a: 'passed' }), report({ a: 'failed' })]);
    const result = {
      runner: 'jest',
      command: 'jest',
      report: merged.report,
      runs: [],
      flaky: merged.flaky,
      history: merged.history,
      notes: [],
    };
    expect(ProjectTestResultSchema.parse(JSON.parse(JSON.stringify(result)))).toEqual(result);
  });
});
