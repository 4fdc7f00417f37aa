import { ReportParseError } from './errors.js';
import type { CoverageReport, FileCoverage } from './schema.js';
import { lineMetric, metric, recordHits, sumTotals, uncoveredRanges } from './util.js';

/** LCOV tracefiles (geninfo, istanbul, c8, llvm-cov export -format=lcov). */
export function parseLcov(content: string): CoverageReport {
  const FORMAT = 'LCOV';
  const files: FileCoverage[] = [];
  let path: string | undefined;
  let hits = new Map<number, number>();
  let counts: Record<'LF' | 'LH' | 'FNF' | 'FNH' | 'BRF' | 'BRH', number | undefined>;
  let fnHits = new Map<string, number>();
  let branches = { found: 0, hit: 0 };
  const reset = (): void => {
    hits = new Map();
    fnHits = new Map();
    branches = { found: 0, hit: 0 };
    counts = {
      LF: undefined,
      LH: undefined,
      FNF: undefined,
      FNH: undefined,
      BRF: undefined,
      BRH: undefined,
    };
  };
  reset();
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('TN:')) return;
    const where = `line ${index + 1}`;
    if (line === 'end_of_record') {
      if (path === undefined)
        throw new ReportParseError(FORMAT, `${where}: end_of_record without SF`);
      const fnTotal = counts.FNF ?? fnHits.size;
      const fnCovered = counts.FNH ?? [...fnHits.values()].filter((n) => n > 0).length;
      const lineTotal = counts.LF ?? hits.size;
      const lineCovered = counts.LH ?? lineMetric(hits).covered;
      files.push({
        path,
        lines: metric(lineCovered, lineTotal),
        branches: metric(counts.BRH ?? branches.hit, counts.BRF ?? branches.found),
        functions: metric(fnCovered, fnTotal),
        uncovered: uncoveredRanges(hits),
      });
      path = undefined;
      reset();
      return;
    }
    const colon = line.indexOf(':');
    if (colon < 0)
      throw new ReportParseError(FORMAT, `${where}: expected KEY:VALUE, got "${line}"`);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key === 'SF') {
      path = value;
      return;
    }
    if (path === undefined)
      throw new ReportParseError(FORMAT, `${where}: ${key} record before any SF`);
    const fields = value.split(',');
    const int = (text: string | undefined, what: string): number => {
      const n = Number(text);
      if (text === undefined || text === '' || !Number.isInteger(n) || n < 0) {
        throw new ReportParseError(
          FORMAT,
          `${where}: ${key} ${what} "${text ?? ''}" is not a count`,
        );
      }
      return n;
    };
    switch (key) {
      case 'DA':
        recordHits(hits, int(fields[0], 'line'), int(fields[1], 'hits'));
        break;
      case 'FNDA': {
        const name = fields.slice(1).join(',');
        fnHits.set(name, Math.max(fnHits.get(name) ?? 0, int(fields[0], 'hits')));
        break;
      }
      case 'BRDA':
        branches.found += 1;
        // "-" means the block never ran.
        if (fields[3] !== '-' && int(fields[3], 'taken') > 0) branches.hit += 1;
        break;
      case 'LF':
      case 'LH':
      case 'FNF':
      case 'FNH':
      case 'BRF':
      case 'BRH':
        counts[key] = int(value, 'count');
        break;
      default:
        // FN, VER and other records carry nothing the totals need.
        break;
    }
  });
  if (path !== undefined)
    throw new ReportParseError(FORMAT, `record for ${path} has no end_of_record`);
  if (files.length === 0) throw new ReportParseError(FORMAT, 'no SF records found');
  return { format: 'lcov', totals: sumTotals(files), files };
}

/**
 * `go test -coverprofile` output. Totals: statements as `go tool cover -func` counts them
 * (weighted by each block's statement count); lines are the lines blocks span, covered when
 * any block on the line ran. The profile has no function or branch data (0/0 → 100%).
 */
export function parseGoCoverProfile(content: string): CoverageReport {
  const FORMAT = 'Go cover profile';
  const lines = content.split(/\r?\n/);
  const first = lines[0]?.trim() ?? '';
  if (!/^mode: (set|count|atomic)$/.test(first)) {
    throw new ReportParseError(
      FORMAT,
      `first line must be "mode: set|count|atomic", got "${first}"`,
    );
  }
  // The same block appears once per test binary when profiles are merged: keep the highest count.
  const blocks = new Map<
    string,
    { file: string; start: number; end: number; stmts: number; count: number }
  >();
  const order: string[] = [];
  lines.slice(1).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('mode:')) return;
    const match = /^(.+):(\d+)\.(\d+),(\d+)\.(\d+) (\d+) (\d+)$/.exec(line);
    if (!match) {
      throw new ReportParseError(
        FORMAT,
        `line ${index + 2}: expected "file:l.c,l.c stmts count", got "${line}"`,
      );
    }
    const [, file, sl, , el, , stmts, count] = match;
    const key = `${file}:${sl}.${match[3]},${el}.${match[5]}`;
    const previous = blocks.get(key);
    if (!previous) order.push(key);
    blocks.set(key, {
      file: file as string,
      start: Number(sl),
      end: Number(el),
      stmts: Number(stmts),
      count: Math.max(previous?.count ?? 0, Number(count)),
    });
  });
  const perFile = new Map<string, { hits: Map<number, number>; covered: number; total: number }>();
  for (const key of order) {
    const block = blocks.get(key);
    if (!block) continue;
    let file = perFile.get(block.file);
    if (!file) {
      file = { hits: new Map(), covered: 0, total: 0 };
      perFile.set(block.file, file);
    }
    file.total += block.stmts;
    if (block.count > 0) file.covered += block.stmts;
    for (let l = block.start; l <= block.end; l += 1) recordHits(file.hits, l, block.count);
  }
  const files: FileCoverage[] = [...perFile.entries()].map(([path, f]) => ({
    path,
    lines: lineMetric(f.hits),
    branches: metric(0, 0),
    functions: metric(0, 0),
    statements: metric(f.covered, f.total),
    uncovered: uncoveredRanges(f.hits),
  }));
  return { format: 'go', totals: sumTotals(files), files };
}
