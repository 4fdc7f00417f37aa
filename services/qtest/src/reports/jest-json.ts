import { z } from 'zod';
import { parseJsonOrThrow, ReportParseError, zodDetail } from './errors.js';
import type { TestCase, TestReport, TestStatus, TestSuite } from './schema.js';
import { splitStack, stripAnsi, testTotals, uniqueIds } from './util.js';

const FORMAT = 'jest JSON';

const AssertionSchema = z.object({
  ancestorTitles: z.array(z.string()).default([]),
  title: z.string(),
  fullName: z.string().optional(),
  status: z.string(),
  duration: z.number().nullish(),
  failureMessages: z.array(z.string()).nullish(),
});

const FileResultSchema = z.object({
  name: z.string(),
  status: z.string().optional(),
  message: z.string().optional(),
  startTime: z.number().optional(),
  endTime: z.number().optional(),
  assertionResults: z.array(AssertionSchema),
});

const JestJsonSchema = z.object({
  numTotalTests: z.number(),
  startTime: z.number().optional(),
  testResults: z.array(FileResultSchema),
});

/** Jest's `--json` output; vitest's `--reporter=json` has the same shape. */
export function parseJestJson(json: string): TestReport {
  const parsed = JestJsonSchema.safeParse(parseJsonOrThrow(FORMAT, json));
  if (!parsed.success) throw new ReportParseError(FORMAT, zodDetail(parsed.error));
  const report = parsed.data;
  const tests: TestCase[] = [];
  const suites: TestSuite[] = [];
  let lastEnd: number | undefined;
  for (const file of report.testResults) {
    const own: TestCase[] = file.assertionResults.map((a) => {
      const name = a.fullName ?? [...a.ancestorTitles, a.title].join(' ');
      const status = mapStatus(a.status);
      const test: TestCase = {
        id: `${file.name} > ${name}`,
        name,
        file: file.name,
        status,
        durationMs: a.duration ?? 0,
      };
      if (a.ancestorTitles.length > 0) test.suite = a.ancestorTitles.join(' > ');
      const raw = a.failureMessages?.[0];
      if (status === 'failed' && raw) test.failure = splitStack(raw);
      return test;
    });
    // A file that failed to run (syntax error, failing import) has no assertions: one errored entry.
    if (own.length === 0 && file.status === 'failed') {
      const detail = splitStack(file.message ?? 'test file failed to run');
      own.push({
        id: file.name,
        name: file.name,
        file: file.name,
        status: 'errored',
        durationMs: 0,
        failure: {
          ...detail,
          message: stripAnsi(detail.message).trim() || 'test file failed to run',
        },
      });
    }
    tests.push(...own);
    const fileMs =
      file.startTime !== undefined && file.endTime !== undefined
        ? file.endTime - file.startTime
        : undefined;
    if (file.endTime !== undefined) lastEnd = Math.max(lastEnd ?? 0, file.endTime);
    suites.push({ name: file.name, file: file.name, totals: testTotals(own, fileMs) });
  }
  const unique = uniqueIds(tests);
  const wall =
    report.startTime !== undefined && lastEnd !== undefined
      ? lastEnd - report.startTime
      : undefined;
  return { runner: 'jest', totals: testTotals(unique, wall), suites, tests: unique };
}

function mapStatus(status: string): TestStatus {
  switch (status) {
    case 'passed':
      return 'passed';
    case 'failed':
      return 'failed';
    case 'pending':
    case 'skipped':
    case 'todo':
    case 'disabled':
      return 'skipped';
    default:
      throw new ReportParseError(FORMAT, `unknown assertion status "${status}"`);
  }
}
