import { ReportParseError } from './errors.js';
import type { TestCase, TestReport, TestStatus, TestSuite } from './schema.js';
import {
  attr,
  children,
  optNumAttr,
  parseXml,
  roundMs,
  testTotals,
  text,
  uniqueIds,
  type XmlNode,
} from './util.js';

const FORMAT = 'JUnit XML';

/**
 * JUnit XML from jest-junit, vitest, node:test, pytest, go-junit-report/gotestsum,
 * cargo-nextest, surefire and gradle. Suites may nest; `time` is in seconds.
 */
export function parseJUnitXml(xml: string, runner?: string): TestReport {
  const doc = parseXml(FORMAT, xml);
  const rootSuites = children(doc, 'testsuites')[0];
  const topSuites = rootSuites ? children(rootSuites, 'testsuite') : children(doc, 'testsuite');
  if (!rootSuites && topSuites.length === 0) {
    throw new ReportParseError(FORMAT, 'no <testsuites> or <testsuite> root element');
  }
  const tests: TestCase[] = [];
  const suites: TestSuite[] = [];

  const visit = (suite: XmlNode, path: string[], inheritedFile?: string): void => {
    const name = attr(suite, 'name') ?? '';
    const here = name ? [...path, name] : path;
    const file = attr(suite, 'file') ?? attr(suite, 'filepath') ?? inheritedFile;
    const own = children(suite, 'testcase').map((testcase) =>
      toTestCase(testcase, here.join(' > ') || undefined, file),
    );
    tests.push(...own);
    if (own.length > 0) {
      suites.push({
        name: here.join(' > '),
        ...(file ? { file } : {}),
        totals: testTotals(own, secondsAttr(suite)),
      });
    }
    for (const nested of children(suite, 'testsuite')) visit(nested, here, file);
  };

  // node:test puts top-level tests directly under <testsuites>.
  if (rootSuites) tests.push(...children(rootSuites, 'testcase').map((t) => toTestCase(t)));
  for (const suite of topSuites) visit(suite, []);

  const rootTime = rootSuites ? secondsAttr(rootSuites) : undefined;
  const suiteTime = topSuites.reduce<number | undefined>((sum, suite) => {
    const t = secondsAttr(suite);
    return t === undefined || sum === undefined ? undefined : sum + t;
  }, 0);
  const unique = uniqueIds(tests);
  return {
    runner: runner ?? guessRunner(rootSuites, topSuites),
    totals: testTotals(
      unique,
      rootTime ?? (topSuites.length > 0 && !hasLooseTests(rootSuites) ? suiteTime : undefined),
    ),
    suites,
    tests: unique,
  };
}

function hasLooseTests(root: XmlNode | undefined): boolean {
  return children(root, 'testcase').length > 0;
}

function secondsAttr(node: XmlNode): number | undefined {
  const seconds = optNumAttr(node, 'time');
  return seconds === undefined ? undefined : roundMs(seconds * 1000);
}

function toTestCase(testcase: XmlNode, suite?: string, suiteFile?: string): TestCase {
  const name = attr(testcase, 'name');
  if (name === undefined) throw new ReportParseError(FORMAT, '<testcase> without a name attribute');
  const classname = attr(testcase, 'classname');
  const file = attr(testcase, 'file') ?? suiteFile;
  const failure = children(testcase, 'failure')[0];
  const error = children(testcase, 'error')[0];
  const skipped = children(testcase, 'skipped')[0];
  let status: TestStatus = 'passed';
  let problem: XmlNode | undefined;
  if (error) {
    status = 'errored';
    problem = error;
  } else if (failure) {
    status = 'failed';
    problem = failure;
  } else if (skipped) {
    status = 'skipped';
  }
  const output = [...children(testcase, 'system-out'), ...children(testcase, 'system-err')]
    .map(text)
    .join('')
    .trim();
  const group = suite ?? classname ?? file;
  const test: TestCase = {
    id: group ? `${group} > ${name}` : name,
    name,
    status,
    durationMs: secondsAttr(testcase) ?? 0,
  };
  if (suite ?? classname) test.suite = suite ?? classname;
  if (file) test.file = file;
  if (problem) test.failure = toFailure(problem);
  if (output) test.output = output;
  return test;
}

function toFailure(node: XmlNode): NonNullable<TestCase['failure']> {
  const body = text(node).trim();
  const message = attr(node, 'message')?.trim() || body.split('\n')[0]?.trim() || '(no message)';
  const type = attr(node, 'type');
  return { message, ...(type ? { type } : {}), ...(body ? { stack: body } : {}) };
}

function guessRunner(root: XmlNode | undefined, suites: XmlNode[]): string {
  const first = suites[0];
  const rootName = root ? attr(root, 'name') : undefined;
  if (rootName === 'jest tests') return 'jest';
  if (rootName === 'vitest tests') return 'vitest';
  if (first && attr(first, 'name') === 'pytest') return 'pytest';
  if (first && (attr(first, 'xsi:noNamespaceSchemaLocation') ?? '').includes('surefire')) {
    return 'surefire';
  }
  return 'junit';
}
