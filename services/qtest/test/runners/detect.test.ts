import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  buildPlan,
  detectRunner,
  jsRunnerOfScript,
  NoTestRunnerError,
  runProjectTests,
  RunnerOptionsError,
  type PlanContext,
} from '../../src/runners/index.js';
import { parseScript, toArgv } from '../../src/runners/npm-script.js';

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'ql-runners-detect-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
function project(files: Record<string, string>): string {
  const dir = join(base, `p${++n}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const pkg = (json: object): Record<string, string> => ({ 'package.json': JSON.stringify(json) });

describe('detectRunner', () => {
  test.each([
    [
      pkg({
        scripts: {
          test: 'node --experimental-vm-modules node_modules/jest/bin/jest.js --coverage',
        },
      }),
      'jest',
    ],
    [pkg({ scripts: { test: 'jest' } }), 'jest'],
    [pkg({ scripts: { test: 'vitest run' } }), 'vitest'],
    [pkg({ scripts: { test: 'node --test test/' } }), 'node-test'],
    [pkg({ scripts: { test: 'node --import tsx --test src/**/*.test.ts' } }), 'node-test'],
    [pkg({ devDependencies: { vitest: '4.1.12' } }), 'vitest'],
    [pkg({ scripts: { build: 'tsc' }, devDependencies: { jest: '30.0.0' } }), 'jest'],
    [{ 'go.mod': 'module x\n' }, 'go'],
    [{ 'Cargo.toml': '[package]\nname = "x"\n' }, 'cargo'],
    [{ 'pom.xml': '<project/>' }, 'maven'],
    [{ 'build.gradle.kts': '' }, 'gradle'],
    [{ 'pyproject.toml': '[project]\nname = "x"\n' }, 'pytest'],
    [{ 'tests/test_x.py': 'def test_x(): pass\n' }, 'pytest'],
    // A JS project's tooling manifest does not hide its Go module.
    [{ ...pkg({ scripts: { lint: 'eslint .' } }), 'go.mod': 'module x\n' }, 'go'],
  ])('%j → %s', async (files, runner) => {
    expect((await detectRunner(project(files))).runner).toBe(runner);
  });

  test('nothing recognisable: the error names what was looked for and what was seen', async () => {
    const dir = project({
      ...pkg({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }),
      'README.md': '# x',
    });
    const err = await detectRunner(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoTestRunnerError);
    const message = (err as Error).message;
    expect(message).toContain(`no test runner found in ${dir}: looked for package.json`);
    for (const word of ['go.mod', 'Cargo.toml', 'pom.xml', 'build.gradle', 'pytest.ini']) {
      expect(message).toContain(word);
    }
    expect(message).toContain('runs no supported runner');
  });

  test('a package.json that is not JSON is reported, not thrown as a SyntaxError', async () => {
    const err = await detectRunner(project({ 'package.json': '{ nope' })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/seen: package.json: not valid JSON/);
  });

  test('jsRunnerOfScript ignores npm init placeholders and unrelated words', () => {
    expect(jsRunnerOfScript('echo "Error: no test specified" && exit 1')).toBeUndefined();
    expect(jsRunnerOfScript('mocha')).toBeUndefined();
    expect(jsRunnerOfScript('node --test-only x.js')).toBeUndefined();
    expect(jsRunnerOfScript('npx jest --ci')).toBe('jest');
  });
});

describe('npm test scripts', () => {
  test('assignments and cross-env become the environment', () => {
    expect(parseScript('cross-env NODE_ENV=test TZ=UTC jest --runInBand')).toEqual({
      env: { NODE_ENV: 'test', TZ: 'UTC' },
      words: [
        { text: 'jest', glob: false },
        { text: '--runInBand', glob: false },
      ],
    });
  });

  test('anything but one simple command is refused', () => {
    expect(parseScript('tsc && jest')).toBeUndefined();
    expect(parseScript('jest | tee out')).toBeUndefined();
    expect(parseScript('jest > out.txt')).toBeUndefined();
  });

  test('globs are left to the sandbox shell, quoted apart from their wildcards', () => {
    const parsed = parseScript('node --test test/*.test.js "my dir/x.js"');
    expect(parsed && toArgv(parsed.words)).toEqual({
      command: 'sh',
      args: ['-c', "exec node --test test/*.test.js 'my dir/x.js'"],
    });
  });
});

describe('plans from package.json', () => {
  const ctx = (pkgJson: PlanContext['pkg']): PlanContext => ({
    copy: '/nonexistent',
    nodeModules: '/nonexistent/node_modules',
    pkg: pkgJson,
    toolchains: {},
  });

  test("jest keeps the script's node flags and environment and adds the report flags", async () => {
    const plan = await buildPlan(
      'jest',
      ctx({
        scripts: {
          test: 'NODE_OPTIONS=--no-warnings node --experimental-vm-modules node_modules/jest/bin/jest.js --coverage',
        },
      }),
    );
    expect(plan.main.command).toBe('node');
    expect(plan.main.args.slice(0, 3)).toEqual([
      '--experimental-vm-modules',
      'node_modules/jest/bin/jest.js',
      '--coverage',
    ]);
    expect(plan.main.args).toEqual(
      expect.arrayContaining(['--json', '--outputFile=/project/.ql-reports/jest.json']),
    );
    expect(plan.env.NODE_OPTIONS).toBe('--no-warnings');
    expect(plan.notes).toEqual([]);
  });

  test('a compound script falls back to the runner itself and says so', async () => {
    const plan = await buildPlan('jest', ctx({ type: 'module', scripts: { test: 'tsc && jest' } }));
    expect(plan.main.args.slice(0, 2)).toEqual([
      '--experimental-vm-modules',
      'node_modules/jest/bin/jest.js',
    ]);
    expect(plan.notes[0]).toMatch(/is not one simple jest command; ran jest directly/);
  });

  test('a wrapper script that mentions jest is not given jest flags', async () => {
    const plan = await buildPlan('jest', ctx({ scripts: { test: 'node scripts/run.js jest' } }));
    expect(plan.main.args.slice(0, 1)).toEqual(['node_modules/jest/bin/jest.js']);
    expect(plan.notes[0]).toMatch(/is not one simple jest command; ran jest directly/);
  });

  test('vitest always runs once, never in watch mode', async () => {
    const plan = await buildPlan('vitest', ctx({ scripts: { test: 'vitest --watch=false src' } }));
    expect(plan.main.args.slice(0, 3)).toEqual([
      'node_modules/vitest/vitest.mjs',
      'run',
      '--watch=false',
    ]);
    expect(plan.notes).toContain(
      'coverage: neither @vitest/coverage-v8 nor @vitest/coverage-istanbul is installed',
    );
  });

  test("node --test: the project's reporters give way to ours, before the test files", async () => {
    const plan = await buildPlan(
      'node-test',
      ctx({ scripts: { test: 'node --test --test-reporter tap --import tsx test/a.test.ts' } }),
    );
    expect(plan.main.args).toEqual([
      '--test',
      '--import',
      'tsx',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=junit',
      '--test-reporter-destination=/project/.ql-reports/junit.xml',
      '--experimental-test-coverage',
      '--test-reporter=lcov',
      '--test-reporter-destination=/project/.ql-reports/lcov.info',
      'test/a.test.ts',
    ]);
  });
});

describe('runProjectTests options', () => {
  test('bad options name the field and the rule', async () => {
    await expect(runProjectTests({ dir: 'relative/path' })).rejects.toThrow(
      new RunnerOptionsError('runProjectTests: dir: must be an absolute path'),
    );
    await expect(runProjectTests({ dir: '/tmp', runs: 0 })).rejects.toThrow(
      /^runProjectTests: runs: /,
    );
    await expect(runProjectTests({ dir: join(base, 'absent') })).rejects.toThrow(
      `dir: ${join(base, 'absent')} is not a directory`,
    );
  });

  test('install: true without a lock file is refused before anything runs', async () => {
    const dir = project(pkg({ scripts: { test: 'jest' } }));
    await expect(runProjectTests({ dir, install: true })).rejects.toThrow(
      /^install: needs package-lock.json or npm-shrinkwrap.json/,
    );
  });
});
