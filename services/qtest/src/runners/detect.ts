import { z } from 'zod';
import { NoTestRunnerError } from './errors.js';
import { listProjectFiles, readProjectFile } from './files.js';
import type { RunnerKind } from './schema.js';

export interface Detection {
  runner: RunnerKind;
  /** What decided it, in words ("package.json test script runs jest"). */
  reason: string;
}

const PackageJsonSchema = z.object({
  type: z.string().optional(),
  scripts: z.record(z.string(), z.string()).optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  devDependencies: z.record(z.string(), z.string()).optional(),
});
export type PackageJson = z.infer<typeof PackageJsonSchema>;

/** npm init's placeholder: a project with it has no tests to run. */
const NPM_PLACEHOLDER = /no test specified/;

export const LOOKED_FOR: readonly string[] = [
  'package.json whose test script runs jest, vitest or `node --test`, or with jest/vitest in its dependencies',
  'go.mod (go test)',
  'Cargo.toml (cargo test)',
  'pom.xml (maven surefire)',
  'build.gradle[.kts] or settings.gradle[.kts] (gradle)',
  'pytest.ini, conftest.py, pyproject.toml, setup.py, setup.cfg, tox.ini or test_*.py / *_test.py (pytest)',
];

/** Reads and checks package.json; undefined when absent, an Error when it is not valid. */
export async function readPackageJson(dir: string): Promise<PackageJson | Error | undefined> {
  let raw: string | undefined;
  try {
    raw = await readProjectFile(dir, 'package.json', 4 * 1024 * 1024);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
  if (raw === undefined) return undefined;
  try {
    const parsed = PackageJsonSchema.safeParse(JSON.parse(raw));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    return new Error(`package.json: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  } catch (err) {
    return new Error(`package.json: not valid JSON (${(err as Error).message})`);
  }
}

/** Which JS runner a test script invokes, if any (the script is judged as text here). */
export function jsRunnerOfScript(script: string): 'jest' | 'vitest' | 'node-test' | undefined {
  if (NPM_PLACEHOLDER.test(script)) return undefined;
  if (/(^|[\s/])vitest(\.mjs)?(\s|$)/.test(script)) return 'vitest';
  if (/(^|[\s/])jest(\.js)?(\s|$)/.test(script)) return 'jest';
  if (/(^|[\s/])node(\s[^&|;]*?)?\s--test(\s|$)/.test(` ${script} `)) return 'node-test';
  return undefined;
}

/**
 * Picks the project's test runner from its files: the JS test script or dependencies first,
 * then the build files of go, cargo, maven and gradle, then signs of a Python project.
 */
export async function detectRunner(dir: string): Promise<Detection> {
  const seen: string[] = [];
  const pkg = await readPackageJson(dir);
  if (pkg instanceof Error) seen.push(pkg.message);
  else if (pkg) {
    const script = pkg.scripts?.test;
    const fromScript = script !== undefined ? jsRunnerOfScript(script) : undefined;
    if (fromScript)
      return { runner: fromScript, reason: `package.json test script runs ${fromScript}` };
    const deps = { ...pkg.dependencies, ...pkg.devDependencies };
    if ('vitest' in deps)
      return { runner: 'vitest', reason: 'vitest is a dependency in package.json' };
    if ('jest' in deps) return { runner: 'jest', reason: 'jest is a dependency in package.json' };
    seen.push(
      script === undefined
        ? 'package.json without a test script or jest/vitest dependency'
        : `package.json test script "${script.slice(0, 80)}" runs no supported runner`,
    );
  }

  const files = new Set(await listProjectFiles(dir, '.'));
  const has = (name: string): boolean => files.has(name);
  if (has('go.mod')) return { runner: 'go', reason: 'go.mod' };
  if (has('Cargo.toml')) return { runner: 'cargo', reason: 'Cargo.toml' };
  if (has('pom.xml')) return { runner: 'maven', reason: 'pom.xml' };
  const gradle = ['build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts'];
  const gradleFile = gradle.find(has);
  if (gradleFile) return { runner: 'gradle', reason: gradleFile };

  const pyMarkers = [
    'pytest.ini',
    'conftest.py',
    'pyproject.toml',
    'setup.py',
    'setup.cfg',
    'tox.ini',
  ];
  const pyMarker = pyMarkers.find(has);
  if (pyMarker) return { runner: 'pytest', reason: pyMarker };
  const testsDir = await listProjectFiles(dir, 'tests');
  const testDir = await listProjectFiles(dir, 'test');
  const pyTest = [...files, ...testsDir, ...testDir].find((f) =>
    /^test_.*\.py$|_test\.py$/.test(f),
  );
  if (pyTest) return { runner: 'pytest', reason: `Python test file ${pyTest}` };

  throw new NoTestRunnerError(dir, LOOKED_FOR, seen);
}
