import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLibtestOutput } from '../../src/runners/index.js';
import { TestReportSchema } from '../../src/reports/index.js';

// Real `cargo test --no-fail-fast 2>&1` output of fixtures/cargo (and of a copy with a type error).
const fixture = (name: string): string =>
  readFileSync(join(__dirname, 'fixtures', 'libtest', name), 'utf8');

describe('parseLibtestOutput', () => {
  test('reads every test binary of a cargo test run, with its failures', () => {
    const report = parseLibtestOutput(fixture('cargo-test.txt'));
    expect(TestReportSchema.parse(report)).toEqual(report);
    expect(report.tests.map((t) => [t.id, t.status])).toEqual([
      ['unittests src/lib.rs > tests::divides_by_zero', 'passed'],
      ['unittests src/lib.rs > tests::not_ready', 'skipped'],
      ['unittests src/lib.rs > tests::adds', 'passed'],
      ['unittests src/lib.rs > tests::wrong_on_purpose', 'failed'],
      ['tests/integration.rs > divides', 'passed'],
      ['doc-tests fixture > src/lib.rs - add (line 3)', 'passed'],
    ]);
    // libtest's own summary lines: 2 passed; 1 failed; 1 ignored / 1 passed / 1 passed.
    expect(report.totals).toMatchObject({ tests: 6, passed: 4, failed: 1, skipped: 1, errored: 0 });
    expect(report.suites?.map((s) => [s.name, s.totals.tests])).toEqual([
      ['unittests src/lib.rs', 4],
      ['tests/integration.rs', 1],
      ['doc-tests fixture', 1],
    ]);
    const failed = report.tests.find((t) => t.status === 'failed');
    expect(failed?.failure?.message).toBe('assertion `left == right` failed: wrong on purpose');
    expect(failed?.failure?.stack).toContain('panicked at src/lib.rs:34:9');
    expect(failed?.failure?.stack).not.toContain('test result:');
  });

  test('a build that fails gives one errored entry with the compiler error', () => {
    const report = parseLibtestOutput(fixture('cargo-build-error.txt'));
    expect(report.tests).toHaveLength(1);
    expect(report.tests[0]).toMatchObject({
      id: 'cargo build',
      status: 'errored',
      failure: { message: 'error[E0277]: cannot add `&str` to `i32`' },
    });
  });

  test('a test binary that dies before its summary leaves an errored entry', () => {
    const output = [
      '     Running unittests src/lib.rs (target/debug/deps/fixture-bf07fdf98814b1a7)',
      '',
      'running 3 tests',
      'test tests::a ... ok',
      'error: test failed, to rerun pass `--lib`',
      '',
      'Caused by:',
      "  process didn't exit successfully: `/project/target/debug/deps/fixture-bf07fdf98814b1a7` (signal: 24, SIGXCPU: cpu time limit exceeded)",
    ].join('\n');
    const report = parseLibtestOutput(output);
    expect(report.tests.map((t) => [t.id, t.status])).toEqual([
      ['unittests src/lib.rs > tests::a', 'passed'],
      ['unittests src/lib.rs > (test binary)', 'errored'],
    ]);
    expect(report.tests[1]?.failure?.message).toBe('test binary stopped after 1 of 3 tests');
  });

  test('binary names without a target label lose their build hash, so ids stay stable', () => {
    const output = [
      '     Running target/debug/deps/fixture-0123456789abcdef',
      'running 1 test',
      'test t ... ignored, needs a database',
      'test result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out',
    ].join('\n');
    expect(parseLibtestOutput(output).tests).toEqual([
      {
        id: 'target/debug/deps/fixture > t',
        name: 't',
        suite: 'target/debug/deps/fixture',
        status: 'skipped',
        durationMs: 0,
      },
    ]);
  });
});
