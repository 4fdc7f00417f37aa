import { parseGoCoverProfile, parseGoTestJson } from '../reports/index.js';
import { SANDBOX_WORKDIR } from '../sandbox/index.js';
import { goToolchain } from './toolchains.js';
import {
  CACHE_DIR,
  displayCommand,
  readReport,
  REPORT_DIR,
  SANDBOX_REPORT_DIR,
  type Collected,
  type PlanContext,
  type RunnerPlan,
} from './plan.js';

export async function goPlan(_ctx: PlanContext): Promise<RunnerPlan> {
  const tc = await goToolchain();
  // -count=1: go test caches passing results, which would hide a flaky test on later runs.
  const argv = [
    'go',
    'test',
    '-count=1',
    '-json',
    `-coverprofile=${SANDBOX_REPORT_DIR}/cover.out`,
    './...',
  ];
  return {
    runner: 'go',
    display: displayCommand(argv),
    main: { command: 'go', args: argv.slice(1) },
    // The build cache lives in the copy so runs 2..n do not recompile the standard library;
    // `./...` skips directories starting with a dot.
    env: { ...tc.env, GOCACHE: `${SANDBOX_WORKDIR}/${CACHE_DIR}/go-build` },
    readOnlyBinds: tc.readOnlyBinds,
    extraPath: tc.extraPath,
    notes: tc.notes,
    async collect(copy, main): Promise<Collected> {
      let report: Collected['report'];
      let reportError: string | undefined;
      try {
        report = parseGoTestJson(main.stdout);
      } catch (err) {
        reportError = `go test -json output: ${(err as Error).message}`;
      }
      const coverage = await readReport(copy, `${REPORT_DIR}/cover.out`, parseGoCoverProfile);
      return {
        ...(report ? { report } : { reportError: reportError ?? 'no go test -json output' }),
        ...('value' in coverage ? { coverage: coverage.value } : { coverageError: coverage.error }),
      };
    },
  };
}
