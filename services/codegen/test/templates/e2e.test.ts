// End to end, the way the quality gate checks a capsule: render a project, install it from its
// own lock file (`npm ci --ignore-scripts`), type-check it and run its tests (jest, coverage
// >= 80% enforced by its own config). Uses the npm registry the first time a dependency set is
// seen (lock file generation, package downloads); later runs are served from the lock file cache
// and npm's cache. The generated code is our own templates' output, so it runs unsandboxed here.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Requirements } from '../../src/domain/artifacts/index.js';
import { parseRequirements } from '../../src/domain/requirements/index.js';
import type { RenderedFile } from '../../src/templates/index.js';
import { renderProject, writeProject } from '../../src/templates/index.js';
import type { StepResult } from '../../src/templates/verify.js';
import { DEFAULT_STEP_TIMEOUT_MS, verifyProject } from '../../src/templates/verify.js';
import { MemoryRegistryClient, validate } from '../../src/validators/index.js';
import { COURSES_DESCRIPTION, libraryWithAuth, shopManyToMany } from './fixtures.js';

const STEP_TIMEOUT_MS = DEFAULT_STEP_TIMEOUT_MS;

const timings: string[] = [];

afterAll(() => {
  // One summary line per project, for the record of how long the gate's steps take.
  if (timings.length > 0) console.log(`e2e timings (s):\n${timings.join('\n')}`);
});

const cases: [string, () => Requirements][] = [
  ['library: auth, roles, custom actions, has-many', () => libraryWithAuth],
  ['shop: many-to-many (plain and through), has-one, self-reference', () => shopManyToMany],
  ['courses: from a plain-English description', () => parseRequirements(COURSES_DESCRIPTION)],
];

describe.each(cases)('generated project — %s', (name, requirements) => {
  it(
    'installs from its own lock file, type-checks and passes its own tests',
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ql-e2e-'));
      try {
        let t = performance.now();
        const { files } = await renderProject({ requirements: requirements() });
        const renderMs = performance.now() - t;
        expect(files.map((f) => f.path)).toContain('package-lock.json');
        await writeProject(dir, files);

        const result = await verifyProject(dir, { stepTimeoutMs: STEP_TIMEOUT_MS });
        if (!result.ok) {
          const failed = result.failed!;
          throw new Error(`${failed.step} failed (exit ${failed.code}):\n${failed.output}`);
        }
        const [install, typecheck, test] = result.steps as [StepResult, StepResult, StepResult];
        const lock = files.find((f) => f.path === 'package-lock.json')!.content;
        expect(await readFile(path.join(dir, 'package-lock.json'), 'utf8')).toBe(lock);
        expect(test.output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
        expect(test.output).not.toMatch(/failed/);

        t = performance.now();
        if (name.startsWith('library')) await expectValidatorsPass(files, dir);
        const validateMs = performance.now() - t;

        timings.push(
          `${name.split(':')[0]}: render ${(renderMs / 1000).toFixed(1)}, npm ci ${(install.ms / 1000).toFixed(1)}, ` +
            `tsc ${(typecheck.ms / 1000).toFixed(1)}, npm test ${(test.ms / 1000).toFixed(1)}` +
            (validateMs > 1 ? `, validate ${(validateMs / 1000).toFixed(1)}` : ''),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    4 * STEP_TIMEOUT_MS,
  );
});

/** All five validators, the type-check against the installed dependencies, no registry calls. */
async function expectValidatorsPass(files: readonly RenderedFile[], projectDir: string) {
  const manifest = JSON.parse(files.find((f) => f.path === 'package.json')!.content) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const declared = { ...manifest.dependencies, ...manifest.devDependencies };
  const npm = new MemoryRegistryClient(
    'npm',
    Object.fromEntries(Object.entries(declared).map(([pkg, version]) => [pkg, [version]])),
  );
  const report = await validate(files, { projectDir, registries: { npm } });
  const blocking = Object.values(report.checks)
    .flatMap((c) => c.findings)
    .filter((f) => f.severity === 'high' || f.severity === 'critical');
  expect(blocking).toEqual([]);
  expect(report.checks.typecheck.status).toBe('passed');
  expect(report.checks.typecheck.findings).toEqual([]);
  expect(report.checks.secrets.findings).toEqual([]);
  expect(report.status).toBe('passed');
}
