import { ReportParseError } from './errors.js';
import type { CoverageMetric, CoverageReport, FileCoverage } from './schema.js';
import {
  attr,
  children,
  lineMetric,
  metric,
  numAttr,
  optNumAttr,
  parseXml,
  recordHits,
  sumTotals,
  uncoveredRanges,
  type XmlNode,
} from './util.js';

/**
 * Cobertura XML (istanbul, coverage.py `coverage xml`, gcovr, cobertura itself). Classes are
 * grouped by filename; per-file branches come from each line's condition-coverage
 * "(covered/total)"; totals are the root's lines-/branches- attributes when present.
 */
export function parseCobertura(xml: string): CoverageReport {
  const FORMAT = 'Cobertura XML';
  const root = children(parseXml(FORMAT, xml), 'coverage')[0];
  if (!root) throw new ReportParseError(FORMAT, 'no <coverage> root element');
  const perFile = new Map<
    string,
    { hits: Map<number, number>; branches: Map<number, [number, number]>; fn: number[] }
  >();
  for (const pkg of children(children(root, 'packages')[0], 'package')) {
    for (const cls of children(children(pkg, 'classes')[0], 'class')) {
      const filename = attr(cls, 'filename');
      if (!filename) throw new ReportParseError(FORMAT, '<class> without a filename attribute');
      let file = perFile.get(filename);
      if (!file) {
        file = { hits: new Map(), branches: new Map(), fn: [] };
        perFile.set(filename, file);
      }
      for (const line of children(children(cls, 'lines')[0], 'line')) {
        const where = `${filename} <line>`;
        const nr = numAttr(FORMAT, line, 'number', where);
        recordHits(file.hits, nr, numAttr(FORMAT, line, 'hits', where));
        const condition = /\((\d+)\/(\d+)\)/.exec(attr(line, 'condition-coverage') ?? '');
        if (attr(line, 'branch') === 'true' && condition) {
          file.branches.set(nr, [Number(condition[1]), Number(condition[2])]);
        }
      }
      for (const method of children(children(cls, 'methods')[0], 'method')) {
        const hits = attr(method, 'hits');
        const lineHits = children(children(method, 'lines')[0], 'line').map((l) =>
          Number(attr(l, 'hits') ?? 0),
        );
        file.fn.push(hits !== undefined ? Number(hits) : Math.max(0, ...lineHits));
      }
    }
  }
  const files: FileCoverage[] = [...perFile.entries()].map(([path, f]) => {
    let covered = 0;
    let total = 0;
    for (const [c, t] of f.branches.values()) {
      covered += c;
      total += t;
    }
    return {
      path,
      lines: lineMetric(f.hits),
      branches: metric(covered, total),
      functions: metric(f.fn.filter((n) => n > 0).length, f.fn.length),
      uncovered: uncoveredRanges(f.hits),
    };
  });
  // The root's own counts win: a branch on a line without a statement (istanbul's default
  // arguments) is in branches-valid but on no <line>.
  const summed = sumTotals(files);
  const rootMetric = (covered: string, valid: string): CoverageMetric | undefined => {
    const c = optNumAttr(root, covered);
    const t = optNumAttr(root, valid);
    return c === undefined || t === undefined ? undefined : metric(c, t);
  };
  return {
    format: 'cobertura',
    totals: {
      lines: rootMetric('lines-covered', 'lines-valid') ?? summed.lines,
      branches: rootMetric('branches-covered', 'branches-valid') ?? summed.branches,
      functions: summed.functions,
    },
    files,
  };
}

/**
 * JaCoCo XML. Files are package/sourcefile; a line is covered when any of its instructions
 * ran (ci > 0), as JaCoCo's LINE counter counts it. Totals are the report's own counters.
 */
export function parseJacoco(xml: string): CoverageReport {
  const FORMAT = 'JaCoCo XML';
  const report = children(parseXml(FORMAT, xml), 'report')[0];
  if (!report) throw new ReportParseError(FORMAT, 'no <report> root element');
  const files: FileCoverage[] = [];
  const visitPackages = (node: XmlNode): void => {
    for (const pkg of children(node, 'package')) {
      const pkgName = attr(pkg, 'name') ?? '';
      for (const source of children(pkg, 'sourcefile')) {
        const name = attr(source, 'name');
        if (!name)
          throw new ReportParseError(FORMAT, `<sourcefile> in package "${pkgName}" without a name`);
        const path = pkgName ? `${pkgName}/${name}` : name;
        const hits = new Map<number, number>();
        for (const line of children(source, 'line')) {
          const where = `${path} <line>`;
          const nr = numAttr(FORMAT, line, 'nr', where);
          const ci = numAttr(FORMAT, line, 'ci', where);
          const mi = numAttr(FORMAT, line, 'mi', where);
          if (ci + mi > 0) recordHits(hits, nr, ci);
        }
        const counters = readCounters(FORMAT, source, path);
        files.push({
          path,
          lines: counters.LINE ?? lineMetric(hits),
          branches: counters.BRANCH ?? metric(0, 0),
          functions: counters.METHOD ?? metric(0, 0),
          uncovered: uncoveredRanges(hits),
        });
      }
    }
    for (const group of children(node, 'group')) visitPackages(group);
  };
  visitPackages(report);
  const own = readCounters(FORMAT, report, 'report');
  const summed = sumTotals(files);
  return {
    format: 'jacoco',
    totals: {
      lines: own.LINE ?? summed.lines,
      branches: own.BRANCH ?? summed.branches,
      functions: own.METHOD ?? summed.functions,
    },
    files,
  };
}

function readCounters(
  format: string,
  node: XmlNode,
  where: string,
): Partial<Record<string, CoverageMetric>> {
  const out: Partial<Record<string, CoverageMetric>> = {};
  for (const counter of children(node, 'counter')) {
    const type = attr(counter, 'type') ?? '';
    const missed = numAttr(format, counter, 'missed', `${where} counter ${type}`);
    const covered = numAttr(format, counter, 'covered', `${where} counter ${type}`);
    out[type] = metric(covered, covered + missed);
  }
  return out;
}
