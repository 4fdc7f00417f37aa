import { z } from 'zod';
import { parseJsonOrThrow, ReportParseError, zodDetail } from './errors.js';
import type { CoverageMetric, CoverageReport, FileCoverage } from './schema.js';
import { lineMetric, metric, recordHits, sumTotals, uncoveredRanges } from './util.js';

const Position = z.object({ line: z.number().int() });
const Range = z.object({ start: Position, end: Position });
const IstanbulFileSchema = z.object({
  path: z.string().optional(),
  statementMap: z.record(z.string(), Range),
  s: z.record(z.string(), z.number()),
  fnMap: z.record(z.string(), z.unknown()),
  f: z.record(z.string(), z.number()),
  branchMap: z.record(z.string(), z.unknown()),
  b: z.record(z.string(), z.array(z.number())),
});
const IstanbulFinalSchema = z.record(z.string(), IstanbulFileSchema);

const SummaryMetric = z.object({ total: z.number(), covered: z.number() });
const SummaryEntry = z.object({
  lines: SummaryMetric,
  statements: SummaryMetric,
  functions: SummaryMetric,
  branches: SummaryMetric,
});
const IstanbulSummarySchema = z.object({ total: SummaryEntry }).catchall(SummaryEntry);

/**
 * Istanbul's coverage-final.json (counts as istanbul-lib-coverage does: a line is covered
 * when any statement starting on it ran), or its coverage-summary.json (no line detail).
 */
export function parseIstanbulJson(json: string): CoverageReport {
  const FORMAT = 'istanbul JSON';
  const data = parseJsonOrThrow(FORMAT, json);
  if (typeof data === 'object' && data !== null && 'total' in data) return parseSummary(data);
  const parsed = IstanbulFinalSchema.safeParse(data);
  if (!parsed.success) throw new ReportParseError(FORMAT, zodDetail(parsed.error));
  const files: FileCoverage[] = Object.entries(parsed.data).map(([key, file]) => {
    const hits = new Map<number, number>();
    for (const [id, range] of Object.entries(file.statementMap)) {
      recordHits(hits, range.start.line, file.s[id] ?? 0);
    }
    const s = Object.values(file.s);
    const f = Object.values(file.f);
    const b = Object.values(file.b).flat();
    return {
      path: file.path ?? key,
      lines: lineMetric(hits),
      branches: countMetric(b),
      functions: countMetric(f),
      statements: countMetric(s),
      uncovered: uncoveredRanges(hits),
    };
  });
  if (files.length === 0) throw new ReportParseError(FORMAT, 'no files in coverage map');
  return { format: 'istanbul', totals: sumTotals(files), files };
}

function countMetric(counts: number[]): CoverageMetric {
  return metric(counts.filter((n) => n > 0).length, counts.length);
}

function parseSummary(data: object): CoverageReport {
  const FORMAT = 'istanbul summary JSON';
  const parsed = IstanbulSummarySchema.safeParse(data);
  if (!parsed.success) throw new ReportParseError(FORMAT, zodDetail(parsed.error));
  const toTotals = (e: z.infer<typeof SummaryEntry>) => ({
    lines: metric(e.lines.covered, e.lines.total),
    branches: metric(e.branches.covered, e.branches.total),
    functions: metric(e.functions.covered, e.functions.total),
    statements: metric(e.statements.covered, e.statements.total),
  });
  const { total, ...perFile } = parsed.data;
  const files: FileCoverage[] = Object.entries(perFile).map(([path, entry]) => ({
    path,
    ...toTotals(entry),
    uncovered: [],
  }));
  return { format: 'istanbul-summary', totals: toTotals(total), files };
}

const PySummary = z.object({
  covered_lines: z.number(),
  num_statements: z.number(),
  num_branches: z.number().optional(),
  covered_branches: z.number().optional(),
});
const PyFunctionSummary = z.object({ summary: PySummary });
const CoveragePySchema = z.object({
  meta: z.object({ version: z.string() }),
  files: z.record(
    z.string(),
    z.object({
      executed_lines: z.array(z.number().int()),
      missing_lines: z.array(z.number().int()),
      summary: PySummary,
      functions: z.record(z.string(), PyFunctionSummary).optional(),
    }),
  ),
  totals: PySummary,
});

/**
 * coverage.py's `coverage json`. Lines are statements (coverage.py counts statements);
 * branches come from --branch runs; functions only from coverage.py versions that report them.
 */
export function parseCoveragePy(json: string): CoverageReport {
  const FORMAT = 'coverage.py JSON';
  const parsed = CoveragePySchema.safeParse(parseJsonOrThrow(FORMAT, json));
  if (!parsed.success) throw new ReportParseError(FORMAT, zodDetail(parsed.error));
  const functionsOf = (
    fns: Record<string, z.infer<typeof PyFunctionSummary>> | undefined,
  ): CoverageMetric => {
    // The "" entry is module-level code, not a function.
    const real = Object.entries(fns ?? {}).filter(([name]) => name !== '');
    return metric(real.filter(([, f]) => f.summary.covered_lines > 0).length, real.length);
  };
  const files: FileCoverage[] = Object.entries(parsed.data.files).map(([path, file]) => {
    const hits = new Map<number, number>();
    for (const line of file.executed_lines) hits.set(line, 1);
    for (const line of file.missing_lines) hits.set(line, 0);
    const lines = metric(file.summary.covered_lines, file.summary.num_statements);
    return {
      path,
      lines,
      statements: lines,
      branches: metric(file.summary.covered_branches ?? 0, file.summary.num_branches ?? 0),
      functions: functionsOf(file.functions),
      uncovered: uncoveredRanges(hits),
    };
  });
  const t = parsed.data.totals;
  const lines = metric(t.covered_lines, t.num_statements);
  return {
    format: 'coverage.py',
    totals: {
      lines,
      statements: lines,
      branches: metric(t.covered_branches ?? 0, t.num_branches ?? 0),
      functions: sumTotals(files).functions,
    },
    files,
  };
}
