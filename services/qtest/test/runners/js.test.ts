// Real sandbox runs of the JavaScript runners on the fixtures in fixtures/{jest,vitest,node-test}.
import { join } from 'node:path';
import { sandboxAvailable } from '../../src/sandbox/index.js';
import {
  ProjectTestResultSchema,
  runProjectTests,
  type ProgressEvent,
} from '../../src/runners/index.js';
import { FIXTURES, statuses, treeDigest } from './helpers.js';

/** The workspace's installed jest, bound read-only as the fixture's node_modules: no network. */
const WORKSPACE_NODE_MODULES = join(__dirname, '..', '..', '..', '..', 'node_modules');

beforeAll(async () => {
  // Like the sandbox's own tests: a missing bwrap is a failure, not a skip.
  expect(await sandboxAvailable()).toEqual({ ok: true });
});

describe('jest', () => {
  test('five runs: statuses per test, coverage, the flaky test found, the project untouched', async () => {
    const dir = join(FIXTURES, 'jest');
    const before = treeDigest(dir);
    const events: ProgressEvent[] = [];
    const result = await runProjectTests({
      dir,
      runs: 5,
      nodeModules: WORKSPACE_NODE_MODULES,
      onProgress: (e) => events.push(e),
    });
    expect(ProjectTestResultSchema.parse(JSON.parse(JSON.stringify(result)))).toEqual(result);

    expect(result.runner).toBe('jest');
    // The blueprint's own script, with its node flag, plus the report flags.
    expect(result.command).toMatch(
      /^node --experimental-vm-modules node_modules\/jest\/bin\/jest\.js --coverage --ci .*--json --outputFile=\/project\/\.ql-reports\/jest\.json/,
    );
    const flakyId = 'test/math.test.js > math flaky on alternate runs';
    expect(statuses(result)).toEqual([
      ['test/math.test.js > math adds', 'passed'],
      ['test/math.test.js > math divides', 'passed'],
      ['test/math.test.js > math fails on purpose', 'failed'],
      ['test/math.test.js > math not written yet', 'skipped'],
      [flakyId, 'failed'],
    ]);
    expect(result.flaky).toEqual([flakyId]);
    expect(result.history).toEqual({
      [flakyId]: ['passed', 'failed', 'passed', 'failed', 'passed'],
    });
    // The flaky test does not count as passed.
    expect(result.report.totals).toMatchObject({ tests: 5, passed: 2, failed: 2, skipped: 1 });
    expect(result.runs.map((r) => r.totals?.passed)).toEqual([3, 2, 3, 2, 3]);
    expect(result.runs.every((r) => r.exitCode === 1 && r.stoppedBy === undefined)).toBe(true);
    expect(result.runs[0]?.cpuUserMs).toBeGreaterThan(0);
    expect(result.report.tests.find((t) => t.id === flakyId)?.failure?.message).toMatch(
      /^flaky: passed in 3 of 5 runs \(passed: 1, 3, 5; not passed: 2, 4\)/,
    );

    // Istanbul's numbers for src/math.js: clamp() never runs, nor divide()'s throw (3 of 7
    // lines, 3 of 9 statements, 1 of 6 branches, 2 of 3 functions).
    expect(result.coverage?.files.map((f) => f.path)).toEqual(['src/math.js']);
    expect(result.coverage?.totals).toEqual({
      lines: { covered: 3, total: 7, pct: 42.86 },
      branches: { covered: 1, total: 6, pct: 16.67 },
      functions: { covered: 2, total: 3, pct: 66.67 },
      statements: { covered: 3, total: 9, pct: 33.33 },
    });

    expect(result.install).toBeUndefined();
    expect(events.map((e) => `${e.phase}${e.run ?? ''}`)).toEqual([
      'copy',
      'run1',
      'run2',
      'run3',
      'run4',
      'run5',
      'done',
    ]);
    // Every run worked on a copy: the counter file and the reports never reached the fixture.
    expect(treeDigest(dir)).toBe(before);
  });
});

describe('vitest', () => {
  test('installs from the lock file (npm ci, network on, scripts off), then runs offline', async () => {
    const result = await runProjectTests({ dir: join(FIXTURES, 'vitest') });
    expect(result.install).toMatchObject({
      ok: true,
      exitCode: 0,
      command: 'npm ci --ignore-scripts --no-audit --no-fund',
    });
    expect(result.runner).toBe('vitest');
    expect(result.command).toMatch(
      /^node node_modules\/vitest\/vitest\.mjs run --reporter=default --reporter=junit/,
    );
    expect(statuses(result)).toEqual([
      ['test/cart.test.js > cart > totals the items', 'passed'],
      ['test/cart.test.js > cart > halves with HALF', 'passed'],
      ['test/cart.test.js > cart > fails on purpose', 'failed'],
    ]);
    expect(result.report.tests[2]?.failure?.message).toBe(
      'expected 10 to be +0 // Object.is equality',
    );
    // v8 coverage of src/cart.js: only the TENOFF return (line 10) never runs.
    expect(result.coverage?.files.map((f) => f.path)).toEqual(['src/cart.js']);
    expect(result.coverage?.totals.lines).toEqual({ covered: 5, total: 6, pct: 83.33 });
    expect(result.coverage?.files[0]?.uncovered).toEqual([{ start: 10, end: 10 }]);
    // v8 counts the arrow function given to reduce() too.
    expect(result.coverage?.totals.functions).toEqual({ covered: 3, total: 3, pct: 100 });
  });
});

describe('node:test', () => {
  test('JUnit report and lcov coverage, without the test files in it', async () => {
    const result = await runProjectTests({ dir: join(FIXTURES, 'node-test', 'basic') });
    expect(result.runner).toBe('node-test');
    expect(statuses(result)).toEqual([
      ['strings > shouts', 'passed'],
      ['strings > initials', 'passed'],
      ['strings > fails on purpose', 'failed'],
      ['strings > skipped', 'skipped'],
    ]);
    expect(result.coverage?.files.map((f) => f.path)).toEqual(['src/strings.js']);
    // node's own lcov: initials('') never happens (lines 8-9 of src/strings.js).
    expect(result.coverage?.totals.lines).toEqual({ covered: 9, total: 11, pct: 81.82 });
    expect(result.coverage?.files[0]?.uncovered).toEqual([{ start: 8, end: 9 }]);
    expect(result.runs[0]).toMatchObject({ index: 1, exitCode: 1 });
  });

  test('a test that loops forever is stopped at the wall-time limit, reported, and not repeated', async () => {
    const result = await runProjectTests({
      dir: join(FIXTURES, 'node-test', 'loop'),
      runs: 3,
      limits: { wallMs: 4000 },
    });
    expect(result.stopped).toEqual({
      by: 'wall-time',
      reason: 'killed after 4000 ms of wall time',
      run: 1,
    });
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({
      stoppedBy: 'wall-time',
      exitCode: null,
      signal: 'SIGKILL',
    });
    expect(result.runs[0]?.reportError).toMatch(/junit\.xml/);
    expect(result.report.tests).toEqual([]);
  });

  test('a test that allocates without end is stopped by the memory limit', async () => {
    const result = await runProjectTests({
      dir: join(FIXTURES, 'node-test', 'hog'),
      limits: { memoryBytes: 1.5 * 1024 ** 3, wallMs: 60_000 },
    });
    expect(result.stopped?.by).toBe('memory');
    expect(result.stopped?.reason).toMatch(/memory limit \(1610612736 bytes of data\) reached/);
    expect(result.runs[0]?.stoppedBy).toBe('memory');
    // node:test still reported the file whose process died.
    expect(result.report.totals).toMatchObject({ tests: 1, failed: 1 });
  });

  test('a report the tests replaced with a symlink is refused, not followed', async () => {
    const result = await runProjectTests({ dir: join(FIXTURES, 'node-test', 'symlink') });
    expect(result.runs[0]?.reportError).toBe(
      '.ql-reports/junit.xml: junit.xml is a symlink; not followed',
    );
    expect(result.report.tests).toEqual([]);
  });
});
