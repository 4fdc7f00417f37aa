import type { CheckResult, Finding, ValidationReport } from './report.js';
import { CHECK_NAMES, skippedCheck, statusFromFindings, summarize } from './report.js';

const finding = (severity: Finding['severity']): Finding => ({
  check: 'security',
  ruleId: 'security/x',
  severity,
  file: 'a.ts',
  line: 1,
  column: 1,
  message: 'm',
});

function checks(overrides: Partial<Record<(typeof CHECK_NAMES)[number], CheckResult>>) {
  const base = Object.fromEntries(CHECK_NAMES.map((n) => [n, skippedCheck(n, 'test')]));
  return { ...base, ...overrides } as ValidationReport['checks'];
}

describe('report status', () => {
  it('fails a check only at or above the threshold', () => {
    expect(statusFromFindings([finding('medium')], 'high')).toBe('passed');
    expect(statusFromFindings([finding('high')], 'high')).toBe('failed');
    expect(statusFromFindings([finding('low')], 'low')).toBe('failed');
    expect(statusFromFindings([], 'high', true)).toBe('incomplete');
  });

  it('summarises: failed beats incomplete beats passed', () => {
    const sec: CheckResult = {
      ...skippedCheck('security', ''),
      status: 'passed',
      findings: [finding('medium')],
    };
    expect(summarize(checks({ security: sec }), 3, 'high')).toMatchObject({
      status: 'passed',
      summary: {
        findings: 1,
        blocking: 0,
        bySeverity: { medium: 1 },
        text: 'passed: 1 finding (1 medium) in 3 files',
      },
    });
    const deps: CheckResult = { ...skippedCheck('dependencies', ''), status: 'incomplete' };
    expect(summarize(checks({ security: sec, dependencies: deps }), 3, 'high').status).toBe(
      'incomplete',
    );
    const bad: CheckResult = { ...sec, status: 'failed', findings: [finding('critical')] };
    expect(summarize(checks({ security: bad, dependencies: deps }), 3, 'high')).toMatchObject({
      status: 'failed',
      summary: { blocking: 1 },
    });
  });
});
