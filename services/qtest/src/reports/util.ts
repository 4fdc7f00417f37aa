import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ReportParseError } from './errors.js';
import type {
  CoverageMetric,
  CoverageTotals,
  FileCoverage,
  LineRange,
  TestCase,
  TestTotals,
} from './schema.js';

export function metric(covered: number, total: number): CoverageMetric {
  const pct = total === 0 ? 100 : Math.round((covered / total) * 10000) / 100;
  return { covered, total, pct };
}

export function addMetrics(metrics: CoverageMetric[]): CoverageMetric {
  let covered = 0;
  let total = 0;
  for (const m of metrics) {
    covered += m.covered;
    total += m.total;
  }
  return metric(covered, total);
}

export function sumTotals(files: FileCoverage[]): CoverageTotals {
  const totals: CoverageTotals = {
    lines: addMetrics(files.map((f) => f.lines)),
    branches: addMetrics(files.map((f) => f.branches)),
    functions: addMetrics(files.map((f) => f.functions)),
  };
  const statements = files.flatMap((f) => (f.statements ? [f.statements] : []));
  if (statements.length > 0) totals.statements = addMetrics(statements);
  return totals;
}

/**
 * Runs of uncovered lines, as istanbul's text reporter and coverage.py's "Missing" column
 * print them: a line without code does not break a run, a covered line does.
 */
export function uncoveredRanges(hitsByLine: Map<number, number>): LineRange[] {
  const ranges: LineRange[] = [];
  let open: LineRange | undefined;
  for (const line of [...hitsByLine.keys()].sort((a, b) => a - b)) {
    if ((hitsByLine.get(line) ?? 0) > 0) {
      open = undefined;
    } else if (open) {
      open.end = line;
    } else {
      open = { start: line, end: line };
      ranges.push(open);
    }
  }
  return ranges;
}

export function lineMetric(hitsByLine: Map<number, number>): CoverageMetric {
  let covered = 0;
  for (const hits of hitsByLine.values()) if (hits > 0) covered += 1;
  return metric(covered, hitsByLine.size);
}

/** Keeps the highest count a line gets from any statement or block on it. */
export function recordHits(map: Map<number, number>, line: number, hits: number): void {
  const previous = map.get(line);
  if (previous === undefined || previous < hits) map.set(line, hits);
}

export type XmlNode = { [key: string]: unknown };

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // Also decodes numeric references such as &#10; (pytest writes them in messages).
  htmlEntities: true,
});

export function parseXml(format: string, content: string): XmlNode {
  const valid = XMLValidator.validate(content);
  if (valid !== true) {
    throw new ReportParseError(format, `malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  }
  return xml.parse(content) as XmlNode;
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  // An empty element parses to '' and one with only text to a string: both count as present.
  return list.map((item) =>
    typeof item === 'object' && item !== null
      ? (item as XmlNode)
      : {
          '#text': String(item),
        },
  );
}

export function attr(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`];
  return value === undefined ? undefined : String(value);
}

export function text(node: XmlNode): string {
  const value = node['#text'];
  return typeof value === 'string' ? value : '';
}

export function numAttr(format: string, node: XmlNode, name: string, where: string): number {
  const raw = attr(node, name);
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value)) {
    throw new ReportParseError(
      format,
      `${where}: attribute ${name}="${raw ?? ''}" is not a number`,
    );
  }
  return value;
}

export function optNumAttr(node: XmlNode, name: string): number | undefined {
  const raw = attr(node, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw.replace(/,/g, ''));
  return Number.isFinite(value) ? value : undefined;
}

export function testTotals(tests: TestCase[], durationMs?: number): TestTotals {
  const totals: TestTotals = {
    tests: tests.length,
    passed: 0,
    failed: 0,
    skipped: 0,
    errored: 0,
    durationMs: 0,
  };
  let sum = 0;
  for (const test of tests) {
    totals[test.status] += 1;
    sum += test.durationMs;
  }
  totals.durationMs = roundMs(durationMs ?? sum);
  return totals;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Makes ids unique when a runner reports the same name twice (retries, parametrised tests). */
export function uniqueIds(tests: TestCase[]): TestCase[] {
  const seen = new Map<string, number>();
  return tests.map((test) => {
    const n = (seen.get(test.id) ?? 0) + 1;
    seen.set(test.id, n);
    return n === 1 ? test : { ...test, id: `${test.id} [${n}]` };
  });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export function stripAnsi(value: string): string {
  return value.replace(ANSI, '');
}

/** Splits "message\n    at frame…" into the message and the whole text as the stack. */
export function splitStack(raw: string): { message: string; stack?: string } {
  const clean = stripAnsi(raw).replace(/\s+$/, '');
  const frame = clean.search(/\n\s+at /);
  const message = (frame >= 0 ? clean.slice(0, frame) : clean).trim();
  return frame >= 0 ? { message, stack: clean } : { message };
}
