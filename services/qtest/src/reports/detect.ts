import { ReportParseError } from './errors.js';
import { parseGoTestJson } from './go-test-json.js';
import { parseJestJson } from './jest-json.js';
import { parseJUnitXml } from './junit.js';
import { parseCobertura, parseJacoco } from './coverage-xml.js';
import { parseCoveragePy, parseIstanbulJson } from './coverage-json.js';
import { parseGoCoverProfile, parseLcov } from './coverage-text.js';
import type { CoverageFormat, CoverageReport, TestReport } from './schema.js';

export type TestReportFormat = 'junit' | 'jest-json' | 'go-test-json';

/** Parses a test report, from the hint or else from what the content looks like. */
export function parseTestReport(content: string, hint?: TestReportFormat): TestReport {
  const format = hint ?? detectTestReportFormat(content);
  switch (format) {
    case 'junit':
      return parseJUnitXml(content);
    case 'jest-json':
      return parseJestJson(content);
    case 'go-test-json':
      return parseGoTestJson(content);
  }
}

export function detectTestReportFormat(content: string): TestReportFormat {
  const head = content.trimStart();
  if (head.startsWith('<')) return 'junit';
  if (head.startsWith('{')) {
    const firstLine = head.split('\n', 1)[0] ?? '';
    if (/"Action"\s*:/.test(firstLine)) return 'go-test-json';
    if (/"testResults"\s*:/.test(head) || /"numTotalTests"\s*:/.test(head)) return 'jest-json';
  }
  throw new ReportParseError(
    'test report',
    'unrecognised format (expected JUnit XML, jest/vitest JSON or go test -json)',
  );
}

/** Parses a coverage report, from the hint or else from what the content looks like. */
export function parseCoverage(content: string, hint?: CoverageFormat): CoverageReport {
  const format = hint ?? detectCoverageFormat(content);
  switch (format) {
    case 'lcov':
      return parseLcov(content);
    case 'istanbul':
    case 'istanbul-summary':
      return parseIstanbulJson(content);
    case 'cobertura':
      return parseCobertura(content);
    case 'jacoco':
      return parseJacoco(content);
    case 'go':
      return parseGoCoverProfile(content);
    case 'coverage.py':
      return parseCoveragePy(content);
  }
}

export function detectCoverageFormat(content: string): CoverageFormat {
  const head = content.trimStart();
  if (head.startsWith('mode:')) return 'go';
  if (head.startsWith('<')) {
    if (/<report[\s>]/.test(head) || /DTD Report/.test(head.slice(0, 400))) return 'jacoco';
    if (/<coverage[\s>]/.test(head)) return 'cobertura';
  }
  if (head.startsWith('{')) {
    if (/"meta"\s*:/.test(head) && /"totals"\s*:/.test(head)) return 'coverage.py';
    if (/^\{\s*"total"\s*:/.test(head)) return 'istanbul-summary';
    if (/"statementMap"\s*:/.test(head)) return 'istanbul';
  }
  if (/^(TN|SF):/m.test(head) && /^end_of_record/m.test(head)) return 'lcov';
  throw new ReportParseError(
    'coverage report',
    'unrecognised format (expected LCOV, istanbul JSON, Cobertura, JaCoCo, Go cover profile or coverage.py JSON)',
  );
}
