import { cargoToolchain } from './toolchains.js';
import { parseLibtestOutput } from './libtest.js';
import type { Collected, PlanContext, RunnerPlan } from './plan.js';

export async function cargoPlan(_ctx: PlanContext): Promise<RunnerPlan> {
  const tc = await cargoToolchain();
  const line = 'cargo test --offline --no-fail-fast';
  return {
    runner: 'cargo',
    display: line,
    // cargo names each test binary on stderr and libtest prints its results on stdout: merged,
    // in order, so every result belongs to its binary. exec keeps cargo's exit status and signal.
    main: { command: 'sh', args: ['-c', `exec ${line} 2>&1`] },
    env: tc.env,
    readOnlyBinds: tc.readOnlyBinds,
    extraPath: tc.extraPath,
    notes: [
      ...tc.notes,
      'cargo: stable libtest has no JSON output; results are read from its plain text (no per-test durations)',
    ],
    collect(_copy, main): Promise<Collected> {
      const report = parseLibtestOutput(main.stdout);
      return Promise.resolve(
        report.tests.length > 0 || (report.suites ?? []).length > 0
          ? { report }
          : { reportError: 'cargo test printed no test results' },
      );
    },
  };
}
