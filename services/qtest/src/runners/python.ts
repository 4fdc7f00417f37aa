import { parseCoveragePy, parseJUnitXml } from '../reports/index.js';
import { pythonToolchain } from './toolchains.js';
import {
  displayCommand,
  readReport,
  REPORT_DIR,
  SANDBOX_REPORT_DIR,
  type Collected,
  type PlanContext,
  type RunnerPlan,
} from './plan.js';

/** Test code is not what coverage should measure (jest and vitest leave it out too). */
const OMIT = '*/test_*.py,*_test.py,*/tests/*,*/test/*,*/conftest.py';

/**
 * pytest calls its one suite "pytest"; without that name the ids are `<module> > <test>`
 * (`test_shapes > test_square`), which tells two modules' tests of the same name apart.
 */
function unnameSuite(xml: string): string {
  return xml.replace(/(<testsuite\b[^>]*?\bname=")pytest(")/, '$1$2');
}

/**
 * pytest with a JUnit report; with coverage.py when the interpreter has it, which `coverage run`
 * drives directly, so pytest-cov is not needed (and its absence does not cost the coverage).
 */
export async function pytestPlan(ctx: PlanContext): Promise<RunnerPlan> {
  const tc = await pythonToolchain(ctx.toolchains);
  const pytestArgs = [
    '-p',
    'no:cacheprovider',
    `--junitxml=${SANDBOX_REPORT_DIR}/junit.xml`,
    // xunit1 keeps each test's file (xunit2 drops it).
    '-o',
    'junit_family=xunit1',
  ];
  const argv = tc.coverage
    ? [
        tc.python,
        '-m',
        'coverage',
        'run',
        '--branch',
        // Only the project: Debian's dist-packages would otherwise be measured as well.
        '--source=.',
        `--omit=${OMIT}`,
        '-m',
        'pytest',
        ...pytestArgs,
      ]
    : [tc.python, '-m', 'pytest', ...pytestArgs];
  return {
    runner: 'pytest',
    display: displayCommand(argv),
    main: { command: argv[0] as string, args: argv.slice(1) },
    ...(tc.coverage
      ? {
          post: {
            command: tc.python,
            args: [
              '-m',
              'coverage',
              'json',
              '-q',
              `--omit=${OMIT}`,
              '-o',
              `${SANDBOX_REPORT_DIR}/coverage.json`,
            ],
          },
        }
      : {}),
    // COVERAGE_FILE rather than --data-file: older coverage.py (Debian's 6.5) lacks the option.
    env: { ...tc.env, COVERAGE_FILE: `${SANDBOX_REPORT_DIR}/.coverage` },
    readOnlyBinds: tc.readOnlyBinds,
    extraPath: tc.extraPath,
    notes: tc.notes,
    async collect(copy): Promise<Collected> {
      const report = await readReport(copy, `${REPORT_DIR}/junit.xml`, (x) =>
        parseJUnitXml(unnameSuite(x), 'pytest'),
      );
      const coverage = tc.coverage
        ? await readReport(copy, `${REPORT_DIR}/coverage.json`, parseCoveragePy)
        : undefined;
      return {
        ...('value' in report ? { report: report.value } : { reportError: report.error }),
        ...(coverage
          ? 'value' in coverage
            ? { coverage: coverage.value }
            : { coverageError: coverage.error }
          : {}),
      };
    },
  };
}
