import { z } from 'zod';
import { ReportParseError, zodDetail } from './errors.js';
import type { TestCase, TestReport, TestSuite } from './schema.js';
import { roundMs, testTotals, uniqueIds } from './util.js';

const FORMAT = 'go test -json';

const EventSchema = z.object({
  Action: z.string(),
  Package: z.string().optional(),
  Test: z.string().optional(),
  Elapsed: z.number().optional(),
  Output: z.string().optional(),
});
type Event = z.infer<typeof EventSchema>;

interface Pending {
  pkg: string;
  name: string;
  output: string[];
  action?: string;
  elapsed?: number;
}

/** The `go test -json` (test2json) event stream, one JSON object per line. */
export function parseGoTestJson(ndjson: string): TestReport {
  const events: Event[] = [];
  ndjson.split('\n').forEach((line, index) => {
    const trimmed = line.trim();
    // go test interleaves plain text (build errors, "# pkg" headers) with the events.
    if (!trimmed.startsWith('{')) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new ReportParseError(
        FORMAT,
        `line ${index + 1} is not valid JSON (${(error as Error).message})`,
      );
    }
    const parsed = EventSchema.safeParse(value);
    if (!parsed.success) {
      throw new ReportParseError(FORMAT, `line ${index + 1}: ${zodDetail(parsed.error)}`);
    }
    events.push(parsed.data);
  });
  if (events.length === 0) throw new ReportParseError(FORMAT, 'no test2json events found');

  const byKey = new Map<string, Pending>();
  const packages = new Map<string, Pending>();
  for (const event of events) {
    const pkg = event.Package ?? '';
    const target = event.Test ? testEntry(byKey, pkg, event.Test) : packageEntry(packages, pkg);
    if (event.Action === 'output' && event.Output !== undefined) target.output.push(event.Output);
    if (event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip') {
      target.action = event.Action;
      target.elapsed = event.Elapsed;
    }
  }

  const tests: TestCase[] = [];
  const suites: TestSuite[] = [];
  const perPackage = new Map<string, TestCase[]>();
  for (const entry of byKey.values()) {
    const test = toTestCase(entry);
    tests.push(test);
    perPackage.set(entry.pkg, [...(perPackage.get(entry.pkg) ?? []), test]);
  }
  for (const pkg of packages.values()) {
    const own = perPackage.get(pkg.pkg) ?? [];
    // A package that failed with no failing test did not build or crashed outside a test.
    if (pkg.action === 'fail' && !own.some((t) => t.status === 'failed')) {
      const broken: TestCase = {
        id: pkg.pkg,
        name: pkg.pkg,
        suite: pkg.pkg,
        status: 'errored',
        durationMs: roundMs((pkg.elapsed ?? 0) * 1000),
        failure: { message: failureText(pkg.output) || 'package failed outside any test' },
      };
      tests.push(broken);
      own.push(broken);
    }
    if (own.length > 0 || pkg.action) {
      suites.push({
        name: pkg.pkg,
        totals: testTotals(own, pkg.elapsed === undefined ? undefined : pkg.elapsed * 1000),
      });
    }
  }
  const unique = uniqueIds(tests);
  const elapsed = [...packages.values()].map((p) => p.elapsed);
  const wall = elapsed.every((e) => e !== undefined)
    ? elapsed.reduce<number>((sum, e) => sum + (e ?? 0) * 1000, 0)
    : undefined;
  return {
    runner: 'go',
    totals: testTotals(unique, packages.size > 0 ? wall : undefined),
    suites,
    tests: unique,
  };
}

function testEntry(map: Map<string, Pending>, pkg: string, name: string): Pending {
  const key = `${pkg}\u0000${name}`;
  let entry = map.get(key);
  if (!entry) {
    entry = { pkg, name, output: [] };
    map.set(key, entry);
  }
  return entry;
}

function packageEntry(map: Map<string, Pending>, pkg: string): Pending {
  let entry = map.get(pkg);
  if (!entry) {
    entry = { pkg, name: pkg, output: [] };
    map.set(pkg, entry);
  }
  return entry;
}

/** The test's own log lines, without the runner's "=== RUN" / "--- FAIL" framing. */
function failureText(output: string[]): string {
  return output
    .join('')
    .split('\n')
    .filter(
      (line) =>
        !/^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|FAIL|SKIP)|PASS$|FAIL\b|ok\s)/.test(line),
    )
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

function toTestCase(entry: Pending): TestCase {
  const status =
    entry.action === 'pass'
      ? 'passed'
      : entry.action === 'skip'
        ? 'skipped'
        : entry.action === 'fail'
          ? 'failed'
          : // Started but never finished: the binary panicked or timed out.
            'errored';
  const test: TestCase = {
    id: `${entry.pkg} > ${entry.name}`,
    name: entry.name,
    suite: entry.pkg,
    status,
    durationMs: roundMs((entry.elapsed ?? 0) * 1000),
  };
  const output = entry.output.join('');
  if (output) test.output = output;
  if (status === 'failed' || status === 'errored') {
    test.failure = {
      message:
        failureText(entry.output) || (status === 'errored' ? 'test did not finish' : 'test failed'),
    };
  }
  return test;
}
