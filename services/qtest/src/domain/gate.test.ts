import { acceptanceCoverage, applyGate, type GateInput } from './gate.js';

const good: GateInput = {
  steps: [
    { name: 'install', ok: true },
    { name: 'build', ok: true },
  ],
  tests: { passed: 40, failed: 0, errored: 0, flaky: 0, total: 40 },
  lineCoveragePct: 91.2,
  security: { ok: true, reasons: [] },
  acceptance: { total: 3, uncovered: [] },
};
const opts = { minLineCoveragePct: 80 };

describe('applyGate', () => {
  it('accepts a run where every check passed', () => {
    expect(applyGate(good, opts)).toEqual({ verdict: 'accepted', failedGates: [] });
  });

  it('names each failed check, one line each', () => {
    const r = applyGate(
      {
        ...good,
        tests: { passed: 37, failed: 2, errored: 1, flaky: 1, total: 41 },
        lineCoveragePct: 72.44,
        security: { ok: false, reasons: ['secret: AWS access key in src/config.ts:3'] },
        acceptance: { total: 5, uncovered: ['AC-002', 'AC-005'] },
      },
      opts,
    );
    expect(r.verdict).toBe('rejected');
    expect(r.failedGates).toEqual([
      '3 of 41 tests failed',
      '1 flaky test',
      'line coverage 72.4% < 80%',
      'secret: AWS access key in src/config.ts:3',
      '2 of 5 acceptance criteria have no passing test (AC-002, AC-005)',
    ]);
  });

  it('rejects a failed install or build, and a run without tests or coverage', () => {
    const r = applyGate(
      {
        steps: [{ name: 'build', ok: false, detail: 'tsc exited with 2' }],
        tests: { passed: 0, failed: 0, errored: 0, flaky: 0, total: 0 },
      },
      opts,
    );
    expect(r).toEqual({
      verdict: 'rejected',
      failedGates: [
        'build failed: tsc exited with 2',
        'no tests were found',
        'no line coverage was reported',
      ],
    });
  });

  it('is inconclusive when the sandbox stopped the run, and does not judge coverage then', () => {
    const r = applyGate(
      {
        ...good,
        tests: {
          passed: 3,
          failed: 0,
          errored: 0,
          flaky: 0,
          total: 3,
          stoppedBy: 'wall-time',
          stopReason: 'ran longer than 300 s',
        },
        lineCoveragePct: undefined,
      },
      opts,
    );
    expect(r).toEqual({
      verdict: 'inconclusive',
      failedGates: ['tests stopped by the sandbox (wall-time): ran longer than 300 s'],
    });
  });
});

describe('acceptanceCoverage', () => {
  const t = (id: string, name: string, status: 'passed' | 'failed' = 'passed', suite?: string) => ({
    id,
    name,
    status,
    suite,
  });

  it('counts a criterion as covered when a passing, non-flaky test names it', () => {
    const r = acceptanceCoverage(
      ['AC-001', 'AC-002', 'AC-003', 'AC-004'],
      [
        t('a', 'AC-001 a member can borrow a book'),
        t('b', 'AC-002 and AC-003: overdue loans are listed', 'failed'),
        t('c', 'lists loans', 'passed', 'AC-003 loans'),
        t('d', 'AC-004 renewals'),
      ],
      new Set(['d']),
    );
    expect(r).toEqual({ total: 4, covered: ['AC-001', 'AC-003'], uncovered: ['AC-002', 'AC-004'] });
  });

  it('does not mistake AC-0010 for AC-001', () => {
    expect(acceptanceCoverage(['AC-001'], [t('a', 'AC-0010 something')]).uncovered).toEqual([
      'AC-001',
    ]);
  });
});
