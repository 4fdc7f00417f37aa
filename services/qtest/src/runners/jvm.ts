import { parseJacoco, parseJUnitXml } from '../reports/index.js';
import type { CoverageReport, TestReport } from '../reports/schema.js';
import { findProjectDirs, listProjectFiles, readProjectFile } from './files.js';
import { gradleToolchain, mavenToolchain } from './toolchains.js';
import {
  combineCoverage,
  combineReports,
  displayCommand,
  readReport,
  type Collected,
  type PlanContext,
  type RunnerPlan,
} from './plan.js';

const SKIP = new Set(['node_modules', '.git', 'src']);

/** JUnit XML files (`TEST-*.xml`) in the given directories of the copy, as one report. */
async function collectJUnit(
  copy: string,
  dirs: string[],
  runner: string,
): Promise<{ report?: TestReport; errors: string[] }> {
  const reports: TestReport[] = [];
  const errors: string[] = [];
  for (const dir of dirs) {
    for (const name of (await listProjectFiles(copy, dir)).sort()) {
      if (!/^TEST-.*\.xml$/.test(name)) continue;
      const r = await readReport(copy, `${dir}/${name}`, (x) => parseJUnitXml(x, runner));
      if ('value' in r) reports.push(r.value);
      else errors.push(r.error);
    }
  }
  return reports.length > 0 ? { report: combineReports(reports, runner), errors } : { errors };
}

async function collectJacoco(copy: string, candidates: string[]): Promise<Collected> {
  const found: CoverageReport[] = [];
  const errors: string[] = [];
  for (const rel of candidates) {
    const r = await readReport(copy, rel, parseJacoco);
    if ('value' in r) found.push(r.value);
    else if (!r.error.endsWith('was not written')) errors.push(r.error);
  }
  const coverage = combineCoverage(found);
  if (coverage) return { coverage };
  return { coverageError: errors[0] ?? 'no JaCoCo XML report was written' };
}

async function mentions(copy: string, file: string, what: RegExp): Promise<boolean> {
  const text = await readProjectFile(copy, file, 4 * 1024 * 1024).catch(() => undefined);
  return text !== undefined && what.test(text);
}

/**
 * Maven offline against a local repository the sandbox may read (no network in test runs:
 * artifacts not already in the repository fail to resolve, and the output says which).
 */
export async function mavenPlan(ctx: PlanContext): Promise<RunnerPlan> {
  const tc = await mavenToolchain(ctx.toolchains);
  const jacoco = await mentions(ctx.copy, 'pom.xml', /jacoco-maven-plugin/);
  const argv = [
    'mvn',
    '-o',
    '-B',
    `-Dmaven.repo.local=${tc.repository}`,
    '-Dstyle.color=never',
    // With JaCoCo the report goal must still run after failing tests.
    ...(jacoco ? ['-Dmaven.test.failure.ignore=true', 'test', 'jacoco:report'] : ['test']),
  ];
  const notes = [...tc.notes];
  if (!jacoco) notes.push('coverage: the pom does not configure jacoco-maven-plugin');
  return {
    runner: 'maven',
    display: displayCommand(argv),
    main: { command: 'mvn', args: argv.slice(1) },
    env: tc.env,
    readOnlyBinds: tc.readOnlyBinds,
    extraPath: tc.extraPath,
    notes,
    async collect(copy): Promise<Collected> {
      const dirs = await findProjectDirs(copy, 'surefire-reports', 4, SKIP);
      const { report, errors } = await collectJUnit(copy, dirs, 'surefire');
      const out: Collected = report
        ? { report }
        : { reportError: errors[0] ?? 'no target/surefire-reports/TEST-*.xml was written' };
      if (!jacoco) return out;
      const sites = (await findProjectDirs(copy, 'target', 3, SKIP)).map(
        (t) => `${t}/site/jacoco/jacoco.xml`,
      );
      return { ...out, ...(await collectJacoco(copy, sites)) };
    },
  };
}

export async function gradlePlan(ctx: PlanContext): Promise<RunnerPlan> {
  const tc = await gradleToolchain();
  const jacoco =
    (await mentions(ctx.copy, 'build.gradle', /jacoco/)) ||
    (await mentions(ctx.copy, 'build.gradle.kts', /jacoco/));
  const argv = [
    'gradle',
    '--offline',
    '--no-daemon',
    '--continue',
    'test',
    ...(jacoco ? ['jacocoTestReport'] : []),
  ];
  return {
    runner: 'gradle',
    display: displayCommand(argv),
    main: { command: 'gradle', args: argv.slice(1) },
    env: tc.env,
    readOnlyBinds: tc.readOnlyBinds,
    extraPath: tc.extraPath,
    notes: jacoco
      ? tc.notes
      : [...tc.notes, 'coverage: the build does not apply the jacoco plugin'],
    async collect(copy): Promise<Collected> {
      // build/test-results/<task>/TEST-*.xml
      const dirs: string[] = [];
      for (const results of await findProjectDirs(copy, 'test-results', 4, SKIP)) {
        dirs.push(
          ...(await findProjectDirs(`${copy}/${results}`, 'test', 0, SKIP)).map(
            (d) => `${results}/${d}`,
          ),
        );
      }
      const { report, errors } = await collectJUnit(copy, dirs, 'gradle');
      const out: Collected = report
        ? { report }
        : { reportError: errors[0] ?? 'no build/test-results/**/TEST-*.xml was written' };
      if (!jacoco) return out;
      const builds = (await findProjectDirs(copy, 'build', 3, SKIP)).map(
        (b) => `${b}/reports/jacoco/test/jacocoTestReport.xml`,
      );
      return { ...out, ...(await collectJacoco(copy, builds)) };
    },
  };
}
