import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseCobertura,
  parseCoverage,
  parseCoveragePy,
  parseGoCoverProfile,
  parseIstanbulJson,
  parseJacoco,
  parseLcov,
  ReportParseError,
  CoverageReportSchema,
  type CoverageReport,
} from '../../src/reports/index.js';

// Every fixture here is real tool output made by fixtures/generate.sh from the sample-* projects.
const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/** The tool's own totals: istanbul's text-summary (jest.text-summary.txt). */
function istanbulTextSummary(): Record<string, { covered: number; total: number }> {
  const out: Record<string, { covered: number; total: number }> = {};
  for (const match of fixture('jest.text-summary.txt').matchAll(
    /^(Statements|Branches|Functions|Lines)\s*:.*\(\s*(\d+)\/(\d+)\s*\)/gm,
  )) {
    out[(match[1] as string).toLowerCase()] = {
      covered: Number(match[2]),
      total: Number(match[3]),
    };
  }
  return out;
}

const counts = (m: { covered: number; total: number }) => ({ covered: m.covered, total: m.total });
const byPath = (report: CoverageReport, suffix: string) => {
  const file = report.files.find((f) => f.path.endsWith(suffix));
  if (!file) throw new Error(`no ${suffix} in report`);
  return file;
};

describe('istanbul family (jest --coverage)', () => {
  const summary = istanbulTextSummary();

  it('reads the text-summary the checks compare against', () => {
    expect(summary).toEqual({
      statements: { covered: 14, total: 20 },
      branches: { covered: 4, total: 7 },
      functions: { covered: 5, total: 9 },
      lines: { covered: 14, total: 20 },
    });
  });

  it.each([
    ['lcov', 'jest.lcov.info'],
    ['istanbul', 'jest.coverage-final.json'],
    ['istanbul-summary', 'jest.coverage-summary.json'],
    ['cobertura', 'jest.cobertura.xml'],
  ])('%s totals equal istanbul text-summary', (format, file) => {
    const report = parseCoverage(fixture(file));
    expect(report.format).toBe(format);
    expect(CoverageReportSchema.parse(report)).toEqual(report);
    expect(counts(report.totals.lines)).toEqual(summary.lines);
    expect(counts(report.totals.branches)).toEqual(summary.branches);
    expect(counts(report.totals.functions)).toEqual(summary.functions);
    if (report.totals.statements)
      expect(counts(report.totals.statements)).toEqual(summary.statements);
  });

  it('rounds pct to 2 decimals where istanbul truncates (5/9)', () => {
    const report = parseLcov(fixture('jest.lcov.info'));
    expect(report.totals.functions).toEqual({ covered: 5, total: 9, pct: 55.56 });
    expect(report.totals.lines).toEqual({ covered: 14, total: 20, pct: 70 });
  });

  it('per-file numbers and uncovered ranges match the text reporter (9,21-25 and 16-19)', () => {
    for (const report of [
      parseLcov(fixture('jest.lcov.info')),
      parseIstanbulJson(fixture('jest.coverage-final.json')),
      parseCobertura(fixture('jest.cobertura.xml')),
    ]) {
      const math = byPath(report, 'math.cjs');
      expect(counts(math.lines)).toEqual({ covered: 8, total: 11 });
      expect(math.functions).toEqual({ covered: 3, total: 4, pct: 75 });
      expect(math.uncovered).toEqual([
        { start: 9, end: 9 },
        { start: 21, end: 25 },
      ]);
      const strings = byPath(report, 'strings.cjs');
      expect(strings.lines).toEqual({ covered: 6, total: 9, pct: 66.67 });
      expect(counts(strings.functions)).toEqual({ covered: 2, total: 5 });
      expect(strings.uncovered).toEqual([{ start: 16, end: 19 }]);
    }
    const lcovMath = byPath(parseLcov(fixture('jest.lcov.info')), 'math.cjs');
    expect(lcovMath.branches).toEqual({ covered: 4, total: 6, pct: 66.67 });
  });

  it('coverage-summary.json has totals but no line detail', () => {
    const report = parseIstanbulJson(fixture('jest.coverage-summary.json'));
    expect(report.format).toBe('istanbul-summary');
    expect(byPath(report, 'strings.cjs').branches).toEqual({ covered: 0, total: 1, pct: 0 });
    expect(report.files.every((f) => f.uncovered.length === 0)).toBe(true);
  });
});

describe('coverage.py (python3-coverage 6.5, --branch)', () => {
  // The tool's report (coverage-py.report.txt): 16 stmts, 8 miss, 8 branches, missing 7-9, 15, 20-23.
  it('matches coverage report and coverage json totals', () => {
    const report = parseCoveragePy(fixture('coverage-py.json'));
    expect(report.format).toBe('coverage.py');
    expect(report.totals.lines).toEqual({ covered: 8, total: 16, pct: 50 });
    expect(report.totals.statements).toEqual(report.totals.lines);
    expect(report.totals.branches).toEqual({ covered: 2, total: 8, pct: 25 });
    // coverage.py 6.5 reports no functions: 0 of 0, which is 100% by convention.
    expect(report.totals.functions).toEqual({ covered: 0, total: 0, pct: 100 });
    const text = fixture('coverage-py.report.txt');
    expect(text).toMatch(/TOTAL\s+16\s+8\s+8\s+2\s+42%/);
    expect(report.files).toEqual([
      expect.objectContaining({
        path: 'shapes.py',
        uncovered: [
          { start: 7, end: 9 },
          { start: 15, end: 15 },
          { start: 20, end: 23 },
        ],
      }),
    ]);
  });

  it('its Cobertura XML (coverage xml) gives the same lines and branches', () => {
    const report = parseCoverage(fixture('coverage-py.cobertura.xml'));
    expect(report.format).toBe('cobertura');
    expect(counts(report.totals.lines)).toEqual({ covered: 8, total: 16 });
    expect(counts(report.totals.branches)).toEqual({ covered: 2, total: 8 });
    expect(byPath(report, 'shapes.py').uncovered).toEqual(
      byPath(parseCoveragePy(fixture('coverage-py.json')), 'shapes.py').uncovered,
    );
  });
});

describe('Go cover profile (go 1.19, mode: set)', () => {
  it('statement totals equal go tool cover -func', () => {
    const report = parseCoverage(fixture('go.coverprofile'));
    expect(report.format).toBe('go');
    const total = /total:\s+\(statements\)\s+([\d.]+)%/.exec(fixture('go.cover-func.txt'));
    expect(report.totals.statements).toEqual({ covered: 5, total: 8, pct: Number(total?.[1]) });
    expect(report.totals.statements?.pct).toBe(62.5);
  });

  it('derives lines from blocks', () => {
    // Hand-derived from the 8 blocks: lines 6-8,10-14,17-22,24 = 15; 12-13, 19-20, 24 unrun.
    const file = byPath(parseGoCoverProfile(fixture('go.coverprofile')), 'calc.go');
    expect(file.path).toBe('example.com/sample/calc.go');
    expect(file.lines).toEqual({ covered: 10, total: 15, pct: 66.67 });
    expect(file.uncovered).toEqual([
      { start: 12, end: 13 },
      { start: 19, end: 20 },
      { start: 24, end: 24 },
    ]);
    expect(file.functions).toEqual({ covered: 0, total: 0, pct: 100 });
  });

  it('merges a block repeated by several test binaries, keeping the highest count', () => {
    const report = parseGoCoverProfile(
      'mode: count\na.go:1.1,2.2 2 0\na.go:1.1,2.2 2 3\na.go:4.1,4.9 1 0\n',
    );
    expect(report.totals.statements).toEqual({ covered: 2, total: 3, pct: 66.67 });
    expect(report.files[0]?.uncovered).toEqual([{ start: 4, end: 4 }]);
  });
});

describe('JaCoCo XML (jacoco 0.8.6 offline instrumentation)', () => {
  it('totals are the report counters; per-file lines agree with them', () => {
    const report = parseCoverage(fixture('jacoco.xml'));
    expect(report).toEqual(parseJacoco(fixture('jacoco.xml')));
    expect(report.format).toBe('jacoco');
    // <report> counters: LINE missed 2 covered 6, BRANCH 2/6, METHOD 1/1.
    expect(report.totals).toEqual({
      lines: { covered: 6, total: 8, pct: 75 },
      branches: { covered: 6, total: 8, pct: 75 },
      functions: { covered: 1, total: 2, pct: 50 },
    });
    const file = byPath(report, 'Grades.java');
    expect(file.path).toBe('sample/Grades.java');
    expect(file.lines).toEqual(report.totals.lines);
    // Lines 16 (return "C") and 20 (unused) have only missed instructions.
    expect(file.uncovered).toEqual([{ start: 16, end: 20 }]);
  });
});

describe('malformed coverage input', () => {
  it.each([
    ['SF:a.js\nDA:x,1\nend_of_record\n', 'lcov', /^LCOV: line 2: DA line "x" is not a count$/],
    ['SF:a.js\nDA:1,1\n', 'lcov', /LCOV: record for a.js has no end_of_record/],
    ['{"a.js": {"statementMap": {}}}', 'istanbul', /istanbul JSON: a\.js\.s: /],
    ['{not json', 'istanbul', /istanbul JSON: not valid JSON/],
    ['<coverage><packages>', 'cobertura', /Cobertura XML: malformed XML at line 1/],
    [
      '<report><counter type="LINE" missed="x" covered="1"/></report>',
      'jacoco',
      /JaCoCo XML: report counter LINE: attribute missed="x" is not a number/,
    ],
    ['mode: set\na.go:1.1 1 1\n', 'go', /Go cover profile: line 2: expected/],
    ['mode: sometimes\n', 'go', /first line must be "mode: set\|count\|atomic"/],
    ['{"meta": {"version": "7"}, "files": {}}', 'coverage.py', /coverage\.py JSON: totals: /],
  ] as const)('%j as %s', (content, format, message) => {
    const run = () => parseCoverage(content, format);
    expect(run).toThrow(ReportParseError);
    expect(run).toThrow(message);
  });

  it('says which formats it knows when it cannot detect one', () => {
    expect(() => parseCoverage('hello')).toThrow(/coverage report: unrecognised format/);
  });
});
