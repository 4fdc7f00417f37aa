import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseGoTestJson,
  parseJestJson,
  parseJUnitXml,
  parseTestReport,
  ReportParseError,
  TestReportSchema,
  type TestReport,
} from '../../src/reports/index.js';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const statuses = (report: TestReport) => report.tests.map((t) => [t.id, t.status]);
const byName = (report: TestReport, name: string) => {
  const test = report.tests.find((t) => t.name === name);
  if (!test) throw new Error(`no test ${name}`);
  return test;
};

describe('JUnit XML from real runners (fixtures/generate.sh)', () => {
  it('node --test --test-reporter=junit: top-level tests, suites, skip and todo', () => {
    const report = parseTestReport(fixture('node-test.junit.xml'));
    expect(TestReportSchema.parse(report)).toEqual(report);
    // node's own closing comments: tests 5, pass 1, fail 2, skipped 1, todo 1.
    expect(report.totals).toMatchObject({ tests: 5, passed: 1, failed: 2, skipped: 2, errored: 0 });
    expect(statuses(report)).toEqual([
      ['test > top-level throws', 'failed'],
      ['math > adds', 'passed'],
      ['math > divides wrongly on purpose', 'failed'],
      ['math > skipped on purpose', 'skipped'],
      ['math > todo on purpose', 'skipped'],
    ]);
    expect(byName(report, 'divides wrongly on purpose').failure).toMatchObject({
      message: 'Expected values to be strictly equal:0.25 !== 0.5',
      type: 'testCodeFailure',
    });
    expect(byName(report, 'top-level throws').failure?.message).toBe('boom');
  });

  it('pytest --junitxml: failure vs setup error, entities decoded', () => {
    const xml = fixture('pytest.junit.xml');
    const report = parseJUnitXml(xml);
    expect(report.runner).toBe('pytest');
    const seconds = Number(/<testsuite [^>]*time="([\d.]+)"/.exec(xml)?.[1]);
    expect(report.totals).toEqual({
      tests: 5,
      passed: 2,
      failed: 1,
      skipped: 1,
      errored: 1,
      durationMs: seconds * 1000,
    });
    expect(byName(report, 'test_wrong_on_purpose').failure?.message).toBe(
      "AssertionError: assert 4 == 5\n +  where 4 = area('square', 2)",
    );
    expect(byName(report, 'test_error_on_purpose')).toMatchObject({
      status: 'errored',
      failure: { message: 'failed on setup with "RuntimeError: fixture setup exploded"' },
    });
    expect(byName(report, 'test_skipped').status).toBe('skipped');
  });

  it('maven surefire TEST-*.xml (JUnit 5)', () => {
    const report = parseTestReport(fixture('surefire.TEST-sample.GradesTest.xml'));
    expect(report.runner).toBe('surefire');
    expect(report.totals).toMatchObject({ tests: 4, passed: 1, failed: 1, skipped: 1, errored: 1 });
    expect(byName(report, 'wrongOnPurpose')).toMatchObject({
      id: 'sample.GradesTest > wrongOnPurpose',
      suite: 'sample.GradesTest',
      status: 'failed',
      failure: {
        message: 'expected: <A> but was: <B>',
        type: 'org.opentest4j.AssertionFailedError',
      },
    });
    expect(byName(report, 'wrongOnPurpose').failure?.stack).toMatch(/GradesTest\.java:16/);
    expect(byName(report, 'errorOnPurpose').failure).toMatchObject({
      message: 'score out of range: 101',
      type: 'java.lang.IllegalArgumentException',
    });
  });
});

describe('JUnit XML shapes without a local tool (hand-written from the documented formats)', () => {
  it('nested testsuites, system-out, time in seconds (go-junit-report / nextest style)', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="4" failures="1" errors="1" time="1.5">
  <testsuite name="crate" tests="4">
    <testsuite name="crate::parser" file="src/parser.rs" time="0.75">
      <testcase name="parses_empty" classname="crate::parser" time="0.25">
        <system-out>ok output</system-out>
      </testcase>
      <testcase name="rejects_garbage" classname="crate::parser" time="0.5">
        <failure message="assertion failed: left == right" type="panic">thread panicked at src/parser.rs:10</failure>
      </testcase>
    </testsuite>
    <testcase name="crashes" classname="crate" time="0.001"><error message="signal 11"/></testcase>
    <testcase name="later" classname="crate"><skipped/></testcase>
  </testsuite>
</testsuites>`;
    const report = parseJUnitXml(xml, 'cargo-nextest');
    expect(report.runner).toBe('cargo-nextest');
    expect(report.totals).toEqual({
      tests: 4,
      passed: 1,
      failed: 1,
      skipped: 1,
      errored: 1,
      durationMs: 1500,
    });
    expect(report.tests.map((t) => [t.id, t.status, t.durationMs])).toEqual([
      ['crate > crashes', 'errored', 1],
      ['crate > later', 'skipped', 0],
      ['crate > crate::parser > parses_empty', 'passed', 250],
      ['crate > crate::parser > rejects_garbage', 'failed', 500],
    ]);
    // A suite's own testcases come before its nested suites'; ids carry the suite path.
    expect(report.tests[2]).toMatchObject({ file: 'src/parser.rs', output: 'ok output' });
    expect(report.tests[3]?.failure).toEqual({
      message: 'assertion failed: left == right',
      type: 'panic',
      stack: 'thread panicked at src/parser.rs:10',
    });
    expect(report.suites?.map((s) => [s.name, s.totals.tests])).toEqual([
      ['crate', 2],
      ['crate > crate::parser', 2],
    ]);
  });
});

describe('jest --json (real output of the sample project)', () => {
  it('statuses, counts and failure message', () => {
    const content = fixture('jest.results.json');
    const report = parseTestReport(content);
    expect(report).toEqual(parseJestJson(content));
    const raw = JSON.parse(content) as { numPassedTests: number; numFailedTests: number };
    expect(report.totals).toMatchObject({
      tests: 7,
      passed: raw.numPassedTests,
      failed: raw.numFailedTests,
      skipped: 1,
      errored: 0,
    });
    expect(statuses(report)).toEqual([
      ['/project/math.jest.cjs > math adds', 'passed'],
      ['/project/math.jest.cjs > math divides', 'passed'],
      ['/project/math.jest.cjs > math clamps low', 'passed'],
      ['/project/math.jest.cjs > math clamps high (wrong on purpose)', 'failed'],
      ['/project/math.jest.cjs > math divides by zero', 'skipped'],
      ['/project/strings.jest.cjs > shouts', 'passed'],
      ['/project/strings.jest.cjs > pads', 'passed'],
    ]);
    const failed = byName(report, 'math clamps high (wrong on purpose)');
    expect(failed.suite).toBe('math');
    expect(failed.failure?.message).toBe(
      'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 11\nReceived: 10',
    );
    expect(failed.failure?.stack).toMatch(/math\.jest\.cjs:17:30/);
  });

  it('vitest-shaped output (hand-written): a file that failed to load becomes one errored entry', () => {
    const json = JSON.stringify({
      numTotalTests: 1,
      startTime: 1000,
      testResults: [
        {
          name: '/p/a.test.ts',
          status: 'passed',
          startTime: 1000,
          endTime: 1200,
          assertionResults: [
            {
              ancestorTitles: [],
              title: 'works',
              status: 'passed',
              duration: 1.5,
              failureMessages: [],
            },
            { ancestorTitles: ['s'], title: 'later', status: 'todo', failureMessages: [] },
          ],
        },
        {
          name: '/p/b.test.ts',
          status: 'failed',
          message: 'SyntaxError: Unexpected token\n    at b.test.ts:1:1',
          assertionResults: [],
        },
      ],
    });
    const report = parseJestJson(json);
    expect(report.totals).toEqual({
      tests: 3,
      passed: 1,
      failed: 0,
      skipped: 1,
      errored: 1,
      durationMs: 200,
    });
    expect(report.tests[2]).toMatchObject({
      id: '/p/b.test.ts',
      status: 'errored',
      failure: { message: 'SyntaxError: Unexpected token' },
    });
  });
});

describe('go test -json (real output, go 1.19)', () => {
  it('tests and subtests, failure output', () => {
    const report = parseTestReport(fixture('go-test.ndjson'));
    expect(report.runner).toBe('go');
    expect(report.totals).toMatchObject({ tests: 6, passed: 3, failed: 2, skipped: 1, errored: 0 });
    expect(statuses(report)).toEqual([
      ['example.com/sample > TestAdd', 'passed'],
      ['example.com/sample > TestDiv', 'failed'],
      ['example.com/sample > TestDiv/ok', 'passed'],
      ['example.com/sample > TestDiv/wrong_on_purpose', 'failed'],
      ['example.com/sample > TestSkipped', 'skipped'],
      ['example.com/sample > TestSign', 'passed'],
    ]);
    expect(byName(report, 'TestDiv/wrong_on_purpose').failure?.message).toBe(
      'calc_test.go:19: Div(7, 2) = 3, want 4',
    );
  });

  it('a package that fails to build (hand-written stream) is one errored entry', () => {
    const stream = [
      '# example.com/broken',
      '{"Action":"output","Package":"example.com/broken","Output":"FAIL\\texample.com/broken [build failed]\\n"}',
      '{"Action":"fail","Package":"example.com/broken","Elapsed":0}',
    ].join('\n');
    const report = parseGoTestJson(stream);
    expect(report.totals).toMatchObject({ tests: 1, errored: 1 });
    expect(report.tests[0]?.failure?.message).toBe('package failed outside any test');
  });
});

describe('malformed test reports', () => {
  it.each([
    ['<testsuites><testsuite>', 'junit', /^JUnit XML: malformed XML at line 1/],
    ['<other/>', 'junit', /JUnit XML: no <testsuites> or <testsuite> root element/],
    ['<testsuite><testcase/></testsuite>', 'junit', /JUnit XML: <testcase> without a name/],
    ['{"numTotalTests": 1}', 'jest-json', /^jest JSON: testResults: /],
    ['{"Action":"run"}\n{"Action":', 'go-test-json', /^go test -json: line 2 is not valid JSON/],
    ['{"Test":"T"}', 'go-test-json', /^go test -json: line 1: Action: /],
  ] as const)('%j as %s', (content, hint, message) => {
    const run = () => parseTestReport(content, hint);
    expect(run).toThrow(ReportParseError);
    expect(run).toThrow(message);
  });

  it('names the formats it knows when detection fails', () => {
    expect(() => parseTestReport('plain text')).toThrow(/test report: unrecognised format/);
  });
});
