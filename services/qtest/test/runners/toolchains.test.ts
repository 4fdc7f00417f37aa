// Real sandbox runs of the runners whose toolchains live outside the Node world: pytest (also
// from a pyenv interpreter outside /usr), go, cargo (rustup's sysroot in ~/.rustup) and maven
// (offline, against a sandbox-readable mirror of ~/.m2). A toolchain absent from this machine
// skips its block, saying so.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxAvailable } from '../../src/sandbox/index.js';
import { ProjectTestResultSchema, runProjectTests } from '../../src/runners/index.js';
import { describeWhen, FIXTURES, onPath, python, statuses, treeDigest } from './helpers.js';

beforeAll(async () => {
  expect(await sandboxAvailable()).toEqual({ ok: true });
});

const HAS =
  'import importlib.util as u; print(bool(u.find_spec("pytest")), bool(u.find_spec("coverage")))';
const pythons = [onPath('python3'), '/usr/bin/python3'].filter((p): p is string => !!p);
const withPytest = pythons.filter((p) => python(p, HAS)?.startsWith('True'));
const withCoverage = withPytest.find((p) => python(p, HAS) === 'True True');
/** An interpreter outside /usr (pyenv, a venv): it must be bound into the sandbox to run. */
const outsideUsr = withPytest
  .map((p) => python(p, 'import sys; print(sys.executable)'))
  .find((exe): exe is string => !!exe && !exe.startsWith('/usr/'));

describeWhen(
  withPytest.length ? undefined : 'no python3 with pytest on this host',
  'pytest',
  () => {
    const dir = join(FIXTURES, 'pytest');
    const expected = [
      ['test_inventory > test_restock_adds', 'passed'],
      ['test_inventory > test_low_lists_items_below_threshold', 'passed'],
      ['test_inventory > test_rejects_zero', 'passed'],
      ['test_inventory > test_wrong_on_purpose', 'failed'],
      ['test_inventory > test_skipped', 'skipped'],
    ];

    (withCoverage ? test : test.skip)(
      `JUnit report and coverage.py coverage${withCoverage ? '' : ' — SKIPPED: no python3 with pytest and coverage.py'}`,
      async () => {
        const before = treeDigest(dir);
        const result = await runProjectTests({ dir });
        expect(result.runner).toBe('pytest');
        expect(statuses(result)).toEqual(expected);
        expect(result.report.tests[3]).toMatchObject({
          file: 'test_inventory.py',
          failure: { message: expect.stringMatching(/^AssertionError: assert 2 == 3/) },
        });
        // coverage.py's numbers for inventory.py: never_called() and restock's raise don't run.
        expect(result.coverage?.files.map((f) => f.path)).toEqual(['inventory.py']);
        expect(result.coverage?.totals.lines).toEqual({ covered: 8, total: 9, pct: 88.89 });
        expect(result.coverage?.files[0]?.uncovered).toEqual([{ start: 13, end: 13 }]);
        // Bytecode caches and .pytest_cache stay out of the project.
        expect(treeDigest(dir)).toBe(before);
      },
    );

    (outsideUsr ? test : test.skip)(
      `an interpreter outside /usr is bound into the sandbox${outsideUsr ? ` (${outsideUsr})` : ' — SKIPPED: none with pytest on this host'}`,
      async () => {
        const result = await runProjectTests({ dir, toolchains: { python: outsideUsr as string } });
        expect(result.command.startsWith(`${outsideUsr} -m `)).toBe(true);
        expect(statuses(result)).toEqual(expected);
      },
    );
  },
);

describeWhen(
  onPath('go') ? undefined : 'go is not installed (Debian: golang-go)',
  'go test',
  () => {
    test('two runs: go test -json, cover profile, no cached results between runs', async () => {
      const result = await runProjectTests({ dir: join(FIXTURES, 'go'), runs: 2 });
      expect(ProjectTestResultSchema.parse(JSON.parse(JSON.stringify(result)))).toEqual(result);
      expect(result.runner).toBe('go');
      expect(statuses(result)).toEqual([
        ['example.com/fixture > TestPushPop', 'passed'],
        ['example.com/fixture > TestEmpty', 'passed'],
        ['example.com/fixture > TestLenWrongOnPurpose', 'failed'],
        ['example.com/fixture > TestSkipped', 'skipped'],
      ]);
      expect(result.report.tests[2]?.failure?.message).toContain('Len() = 1, want 2');
      // Both runs really ran the tests (-count=1): a cached "(cached)" run has no test events.
      expect(result.runs.map((r) => r.totals?.tests)).toEqual([4, 4]);
      // go's cover profile: Unused() is the one statement of 8 that never runs.
      expect(result.coverage?.files.map((f) => f.path)).toEqual(['example.com/fixture/queue.go']);
      expect(result.coverage?.totals.statements).toEqual({ covered: 7, total: 8, pct: 87.5 });
    });
  },
);

const rustc = onPath('rustc');
describeWhen(
  rustc && onPath('cargo') ? undefined : 'no Rust toolchain (rustc/cargo) on this host',
  'cargo test',
  () => {
    test('every test binary, from the plain libtest output; no coverage, and it says so', async () => {
      const result = await runProjectTests({ dir: join(FIXTURES, 'cargo') });
      expect(result.runner).toBe('cargo');
      expect(result.command).toBe('cargo test --offline --no-fail-fast');
      expect([...statuses(result)].sort()).toEqual(
        [
          ['unittests src/lib.rs > tests::adds', 'passed'],
          ['unittests src/lib.rs > tests::divides_by_zero', 'passed'],
          ['unittests src/lib.rs > tests::wrong_on_purpose', 'failed'],
          ['unittests src/lib.rs > tests::not_ready', 'skipped'],
          ['tests/integration.rs > divides', 'passed'],
          ['doc-tests fixture > src/lib.rs - add (line 3)', 'passed'],
        ].sort(),
      );
      expect(result.runs[0]?.exitCode).toBe(101);
      expect(result.coverage).toBeUndefined();
      expect(result.notes.join('\n')).toMatch(/no built-in coverage/);
    });
  },
);

const m2 = join(homedir(), '.m2', 'repository');
const mavenMissing =
  !onPath('mvn') || !onPath('java')
    ? 'maven or java is not installed'
    : !existsSync(join(m2, 'org/junit/jupiter/junit-jupiter/5.10.2')) ||
        !existsSync(join(m2, 'org/apache/maven/plugins/maven-surefire-plugin/3.2.5'))
      ? `${m2} lacks junit-jupiter 5.10.2 / surefire 3.2.5 (maven runs offline)`
      : undefined;
describeWhen(mavenMissing, 'maven surefire', () => {
  let cacheDir: string;
  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'ql-runners-m2-'));
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  test('offline against the local repository, one report per test class', async () => {
    const result = await runProjectTests({
      dir: join(FIXTURES, 'maven'),
      toolchains: { cacheDir },
    });
    expect(result.runner).toBe('maven');
    expect(result.command).toMatch(
      /^mvn -o -B -Dmaven\.repo\.local=\S+ -Dstyle\.color=never test$/,
    );
    // JUnit 5 orders methods by its own hash, not as declared.
    expect([...statuses(result)].sort()).toEqual([
      ['fixture.TemperatureTest > boilingPoint', 'passed'],
      ['fixture.TemperatureTest > freezing', 'passed'],
      ['fixture.TemperatureTest > later', 'skipped'],
      ['fixture.TemperatureTest > wrongOnPurpose', 'failed'],
    ]);
    expect(result.notes).toContain('coverage: the pom does not configure jacoco-maven-plugin');
  });
});
