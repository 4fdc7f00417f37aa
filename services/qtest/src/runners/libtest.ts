import type { TestCase, TestReport, TestStatus, TestSuite } from '../reports/schema.js';
import { stripAnsi, testTotals, uniqueIds } from '../reports/util.js';

/**
 * Parses what `cargo test` prints (stdout and stderr merged, in order). Stable libtest has no
 * machine-readable output (`--format json` is nightly-only, `-Z unstable-options`), so this reads
 * the plain text it has printed the same way for years: a `Running <target>` or `Doc-tests <crate>`
 * line per test binary, `test <name> ... ok|FAILED|ignored` per test, and `---- <name> stdout ----`
 * sections with the failures. libtest prints no per-test durations: they are 0.
 */
export function parseLibtestOutput(output: string): TestReport {
  const lines = stripAnsi(output).split(/\r?\n/);
  const tests: TestCase[] = [];
  const suites: TestSuite[] = [];
  let suite: { name: string; expected: number; tests: TestCase[]; finished: boolean } | undefined;
  const failures = new Map<string, string[]>();
  let section: string[] | undefined;
  const buildErrors: string[] = [];

  const closeSuite = (trailer?: string): void => {
    if (!suite) return;
    for (const t of suite.tests) {
      const body = failures.get(`${suite.name}\u0000${t.name}`);
      if (t.status === 'failed' && body) {
        const text = body.join('\n').trim();
        const panic = /panicked at [^\n]*:\n([^\n]+)/.exec(text)?.[1];
        t.failure = { message: (panic ?? text.split('\n')[0] ?? 'failed').trim(), stack: text };
      } else if (t.status === 'failed') {
        t.failure = { message: 'failed' };
      }
    }
    // A binary that died (abort, segfault, a limit) before reporting all its tests.
    if (!suite.finished && suite.tests.length < suite.expected) {
      suite.tests.push({
        id: `${suite.name} > (test binary)`,
        name: '(test binary)',
        suite: suite.name,
        status: 'errored',
        durationMs: 0,
        failure: {
          message: `test binary stopped after ${suite.tests.length} of ${suite.expected} tests`,
          ...(trailer ? { stack: trailer } : {}),
        },
      });
    }
    tests.push(...suite.tests);
    suites.push({ name: suite.name, totals: testTotals(suite.tests) });
    suite = undefined;
  };

  let pendingName: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const running = /^\s+Running (.+)$/.exec(line);
    const doc = /^\s+Doc-tests (\S+)/.exec(line);
    if (running || doc) {
      closeSuite(
        lines
          .slice(Math.max(0, i - 8), i)
          .join('\n')
          .trim() || undefined,
      );
      pendingName = running ? suiteName(running[1] ?? '') : `doc-tests ${doc?.[1] ?? ''}`;
      section = undefined;
      continue;
    }
    const count = /^running (\d+) tests?$/.exec(line);
    if (count && pendingName !== undefined) {
      suite = { name: pendingName, expected: Number(count[1]), tests: [], finished: false };
      pendingName = undefined;
      continue;
    }
    if (!suite) {
      if (/^error(\[E\d+\])?: /.test(line)) buildErrors.push(line);
      continue;
    }
    const result = /^test (.+?) \.\.\. (ok|FAILED|ignored(?:, .*)?)$/.exec(line);
    if (result && section === undefined) {
      const name = result[1] ?? '';
      suite.tests.push({
        id: `${suite.name} > ${name}`,
        name,
        suite: suite.name,
        status: statusOf(result[2] ?? ''),
        durationMs: 0,
      });
      continue;
    }
    const header = /^---- (.+) (?:stdout|stderr) ----$/.exec(line);
    if (header) {
      section = [];
      failures.set(`${suite.name}\u0000${header[1] ?? ''}`, section);
      continue;
    }
    if (/^test result: /.test(line)) {
      suite.finished = true;
      section = undefined;
      closeSuite();
      continue;
    }
    if (line === 'failures:') {
      section = undefined;
      continue;
    }
    section?.push(line);
  }
  closeSuite('output ended before the test binary reported its result');

  if (tests.length === 0 && buildErrors.length > 0) {
    tests.push({
      id: 'cargo build',
      name: 'cargo build',
      status: 'errored',
      durationMs: 0,
      failure: { message: buildErrors[0] ?? 'build failed', stack: buildErrors.join('\n') },
    });
  }
  const unique = uniqueIds(tests);
  return { runner: 'cargo', totals: testTotals(unique), suites, tests: unique };
}

function statusOf(word: string): TestStatus {
  if (word === 'ok') return 'passed';
  if (word === 'FAILED') return 'failed';
  return 'skipped';
}

/**
 * "unittests src/lib.rs (target/debug/deps/calc-0123abcd…)" → "unittests src/lib.rs"; older cargo
 * prints only the binary path, whose hash suffix changes with the build: dropped so ids are stable.
 */
function suiteName(running: string): string {
  const paren = running.indexOf(' (');
  if (paren > 0) return running.slice(0, paren).trim();
  return running.trim().replace(/-[0-9a-f]{16}$/, '');
}
