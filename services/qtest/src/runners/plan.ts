import type { CoverageReport, FileCoverage, TestReport } from '../reports/schema.js';
import { sumTotals, testTotals, uniqueIds } from '../reports/util.js';
import { SANDBOX_WORKDIR, type ReadOnlyBind, type SandboxResult } from '../sandbox/index.js';
import { readProjectFile } from './files.js';
import type { PackageJson } from './detect.js';
import type { RunnerKind, ToolchainOptions } from './schema.js';

/** Where runners write their reports, inside the copy; cleared before every run. */
export const REPORT_DIR = '.ql-reports';
/** The same directory as the sandboxed command sees it. */
export const SANDBOX_REPORT_DIR = `${SANDBOX_WORKDIR}/${REPORT_DIR}`;
/** Build caches kept between the runs of one copy (Go's build cache), never between projects. */
export const CACHE_DIR = '.ql-cache';

export interface Step {
  command: string;
  args: string[];
}

export interface Collected {
  report?: TestReport;
  coverage?: CoverageReport;
  reportError?: string;
  coverageError?: string;
}

/** How one runner runs a project: what to execute in the sandbox and how to read its reports. */
export interface RunnerPlan {
  runner: RunnerKind;
  /** The command as a reader would type it. */
  display: string;
  main: Step;
  /**
   * A second command in its own sandbox after the tests (turning raw coverage data into a
   * report), so the tests' own exit status and any limit stop stay those of the test command.
   */
  post?: Step;
  env: Record<string, string>;
  readOnlyBinds: ReadOnlyBind[];
  extraPath: string[];
  notes: string[];
  collect(copy: string, main: SandboxResult): Promise<Collected>;
}

export interface PlanContext {
  /** Host path of the project copy. */
  copy: string;
  /** Host path of the node_modules the tests will see (a bound shared one or the copy's). */
  nodeModules: string;
  pkg: PackageJson | undefined;
  toolchains: ToolchainOptions;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads and parses one report file of the copy; what went wrong becomes the error text. */
export async function readReport<T>(
  copy: string,
  rel: string,
  parse: (content: string) => T,
): Promise<{ value: T } | { error: string }> {
  let content: string | undefined;
  try {
    content = await readProjectFile(copy, rel);
  } catch (err) {
    return { error: errorText(err) };
  }
  if (content === undefined) return { error: `${rel} was not written` };
  try {
    return { value: parse(content) };
  } catch (err) {
    return { error: `${rel}: ${errorText(err)}` };
  }
}

/** One report from several files of the same run (surefire writes one file per class). */
export function combineReports(reports: TestReport[], runner: string): TestReport {
  const tests = uniqueIds(reports.flatMap((r) => r.tests));
  const suites = reports.flatMap((r) => r.suites ?? []);
  const ms = reports.reduce((sum, r) => sum + r.totals.durationMs, 0);
  return { runner, totals: testTotals(tests, ms), suites, tests };
}

export function combineCoverage(reports: CoverageReport[]): CoverageReport | undefined {
  const first = reports[0];
  if (!first) return undefined;
  if (reports.length === 1) return first;
  const files = reports.flatMap((r) => r.files);
  return { format: first.format, totals: sumTotals(files), files };
}

/** Coverage without the files `drop` matches, totals recomputed from the rest. */
export function filterCoverage(
  coverage: CoverageReport,
  drop: (file: FileCoverage) => boolean,
): CoverageReport {
  const files = coverage.files.filter((f) => !drop(f));
  if (files.length === coverage.files.length) return coverage;
  return { ...coverage, totals: sumTotals(files), files };
}

const PREFIX = `${SANDBOX_WORKDIR}/`;
const strip = (value: string): string =>
  value.startsWith(PREFIX) ? value.slice(PREFIX.length) : value;

/** Paths relative to the project root: /project is the sandbox's view, not the reader's. */
export function relativizeReport(report: TestReport): TestReport {
  return {
    ...report,
    ...(report.suites
      ? {
          suites: report.suites.map((s) => ({
            ...s,
            name: strip(s.name),
            ...(s.file !== undefined ? { file: strip(s.file) } : {}),
          })),
        }
      : {}),
    tests: report.tests.map((t) => ({
      ...t,
      id: strip(t.id),
      ...(t.file !== undefined ? { file: strip(t.file) } : {}),
      ...(t.suite !== undefined ? { suite: strip(t.suite) } : {}),
    })),
  };
}

export function relativizeCoverage(coverage: CoverageReport): CoverageReport {
  return { ...coverage, files: coverage.files.map((f) => ({ ...f, path: strip(f.path) })) };
}

/** A command line for display, quoted only where the shell would need it. */
export function displayCommand(argv: string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}
