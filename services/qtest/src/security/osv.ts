import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as cvssModule from 'ae-cvss-calculator';
import { z } from 'zod';
import type { Severity } from '@quantumlayer/codegen';
import type { Ecosystem, VersionScheme } from './versions.js';
import { ecosystemScheme, isEcosystem, normalizePackageName, semverScheme } from './versions.js';

/**
 * A vulnerability database snapshot in OSV format (https://ossf.github.io/osv-schema/), as the
 * osv.dev exports ship it: one JSON file per advisory, or one JSON array of advisories.
 * The schema keeps only what the audit reads; unknown fields are ignored (OSV adds fields in
 * minor versions and databases add their own).
 */

const EventSchema = z
  .object({
    introduced: z.string().min(1).optional(),
    fixed: z.string().min(1).optional(),
    last_affected: z.string().min(1).optional(),
    limit: z.string().min(1).optional(),
  })
  .refine(
    (e) =>
      [e.introduced, e.fixed, e.last_affected, e.limit].filter((v) => v !== undefined).length === 1,
    { message: 'must have exactly one of introduced, fixed, last_affected, limit' },
  );
export type OsvEvent = z.infer<typeof EventSchema>;

const RangeSchema = z.object({
  type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT']),
  repo: z.string().optional(),
  events: z.array(EventSchema).min(1),
});
export type OsvRange = z.infer<typeof RangeSchema>;

const SeverityEntrySchema = z.object({ type: z.string().min(1), score: z.string().min(1) });

/** `database_specific` / `ecosystem_specific` are free-form; only a string `severity` is read. */
const SpecificSchema = z.record(z.string(), z.unknown()).optional();

const AffectedSchema = z.object({
  package: z
    .object({
      ecosystem: z.string().min(1),
      name: z.string().min(1),
      purl: z.string().optional(),
    })
    .optional(),
  severity: z.array(SeverityEntrySchema).optional(),
  ranges: z.array(RangeSchema).optional(),
  versions: z.array(z.string()).optional(),
  ecosystem_specific: SpecificSchema,
  database_specific: SpecificSchema,
});
export type OsvAffected = z.infer<typeof AffectedSchema>;

export const OsvRecordSchema = z.object({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: z.string().optional(),
  published: z.string().optional(),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(SeverityEntrySchema).optional(),
  affected: z.array(AffectedSchema).optional(),
  database_specific: SpecificSchema,
});
export type OsvRecord = z.infer<typeof OsvRecordSchema>;

export class VulnDbError extends Error {
  override readonly name = 'VulnDbError';
}

/** One advisory that affects a given package version. */
export interface VulnMatch {
  id: string;
  aliases: string[];
  summary: string;
  severity: Severity;
  /** Where the severity came from, so a reader can judge it. */
  severitySource: string;
  /** Earliest fixed version above the affected one, when the advisory names one. */
  fixed?: string;
}

interface IndexedAffected {
  record: OsvRecord;
  affected: OsvAffected;
}

/**
 * An OSV snapshot indexed by (ecosystem, package). Built once, queried per locked package.
 * Withdrawn advisories are dropped at load time: OSV keeps them only so links do not break.
 */
export class VulnDb {
  private readonly index = new Map<string, IndexedAffected[]>();
  private readonly perEcosystem = new Map<string, Set<string>>();
  readonly size: number;

  constructor(
    records: readonly OsvRecord[],
    /** Where the snapshot came from (path or label), recorded in the report. */
    readonly source = 'in-memory',
  ) {
    let size = 0;
    for (const record of records) {
      if (record.withdrawn) continue;
      size++;
      for (const affected of record.affected ?? []) {
        const pkg = affected.package;
        if (!pkg || !isEcosystem(pkg.ecosystem)) continue;
        const key = indexKey(pkg.ecosystem, pkg.name);
        const list = this.index.get(key) ?? [];
        list.push({ record, affected });
        this.index.set(key, list);
        const ids = this.perEcosystem.get(pkg.ecosystem) ?? new Set<string>();
        ids.add(record.id);
        this.perEcosystem.set(pkg.ecosystem, ids);
      }
    }
    this.size = size;
  }

  /** Validates raw JSON values (e.g. a parsed export); errors name the record and the field. */
  static fromJson(values: readonly unknown[], source = 'in-memory'): VulnDb {
    return new VulnDb(
      values.map((v, i) => parseRecord(v, `${source}[${i}]`)),
      source,
    );
  }

  /** Advisories in the snapshot that concern any of these ecosystems. */
  advisoriesFor(ecosystems: Iterable<Ecosystem>): number {
    const ids = new Set<string>();
    for (const e of ecosystems) for (const id of this.perEcosystem.get(e) ?? []) ids.add(id);
    return ids.size;
  }

  /**
   * Advisories affecting `name@version`. The same vulnerability often sits in a snapshot several
   * times (GHSA, PYSEC, CVE, linked by `aliases`): it is reported once, by the record with a
   * known rating and the worst severity.
   */
  lookup(ecosystem: Ecosystem, name: string, version: string): VulnMatch[] {
    const hits: Array<VulnMatch & { rated: boolean }> = [];
    for (const { record, affected } of this.index.get(indexKey(ecosystem, name)) ?? []) {
      const hit = affects(ecosystem, affected, version);
      if (!hit.affected) continue;
      const { severity, source, rated } = severityOf(record, affected);
      hits.push({
        id: record.id,
        aliases: record.aliases ?? [],
        summary: record.summary ?? firstLine(record.details) ?? record.id,
        severity,
        severitySource: source,
        rated,
        ...(hit.fixed ? { fixed: hit.fixed } : {}),
      });
    }
    hits.sort(
      (a, b) =>
        Number(b.rated) - Number(a.rated) ||
        SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity) ||
        a.id.localeCompare(b.id),
    );
    const seen = new Set<string>();
    const out: VulnMatch[] = [];
    for (const { rated: _rated, ...match } of hits) {
      const ids = [match.id, ...match.aliases];
      if (ids.some((id) => seen.has(id))) continue;
      for (const id of ids) seen.add(id);
      out.push(match);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }
}

const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

function indexKey(ecosystem: Ecosystem, name: string): string {
  return `${ecosystem}\u0000${normalizePackageName(ecosystem, name)}`;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text
    ?.split('\n')
    .find((l) => l.trim())
    ?.trim();
  return line ? (line.length > 160 ? `${line.slice(0, 159)}…` : line) : undefined;
}

function parseRecord(value: unknown, where: string): OsvRecord {
  const parsed = OsvRecordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const id =
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string'
      ? ` (${(value as { id: string }).id})`
      : '';
  const path = issue.path.length ? issue.path.join('.') : '(record)';
  throw new VulnDbError(`${where}${id}: ${path}: ${issue.message}`);
}

/**
 * Loads a snapshot: a directory (searched recursively for *.json, one advisory or an array of
 * advisories per file) or a single JSON file. A record that is not valid OSV is an error that
 * names the file and the field: a half-read database would silently under-report.
 */
export async function loadVulnDb(path: string): Promise<VulnDb> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new VulnDbError(`vulnerability database ${path}: ${(err as Error).message}`);
  }
  const files = info.isDirectory() ? await jsonFiles(path) : [path];
  const records: OsvRecord[] = [];
  for (const file of files) {
    const where = info.isDirectory() ? relative(path, file) : file;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new VulnDbError(`${where}: not valid JSON (${(err as Error).message})`);
    }
    const values = Array.isArray(json) ? json : [json];
    values.forEach((v, i) =>
      records.push(parseRecord(v, Array.isArray(json) ? `${where}[${i}]` : where)),
    );
  }
  return new VulnDb(records, path);
}

async function jsonFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await jsonFiles(full)));
    else if (e.isFile() && e.name.endsWith('.json')) out.push(full);
  }
  return out;
}

/**
 * The OSV evaluation algorithm (osv-schema "Evaluation"): walk the events in version order;
 * `introduced` ≤ v turns "affected" on, `fixed` ≤ v turns it off, `last_affected` < v turns it
 * off. "0" as `introduced` means "since the first version". `limit` only bounds git ranges.
 */
export function affects(
  ecosystem: Ecosystem,
  affected: OsvAffected,
  version: string,
): { affected: boolean; fixed?: string } {
  const eco = ecosystemScheme(ecosystem);
  if (affected.versions?.some((v) => v === version || safeEqual(eco, v, version))) {
    return { affected: true, ...nextFix(affected, ecosystem, version) };
  }
  for (const range of affected.ranges ?? []) {
    if (range.type === 'GIT') continue; // commit hashes: no mapping to released versions here
    const scheme = range.type === 'SEMVER' ? semverScheme() : eco;
    if (!scheme.valid(version)) continue;
    if (inRange(scheme, range, version)) {
      return { affected: true, ...nextFix(affected, ecosystem, version) };
    }
  }
  return { affected: false };
}

function safeEqual(scheme: VersionScheme, a: string, b: string): boolean {
  try {
    return scheme.equal(a, b);
  } catch {
    return false;
  }
}

function compareEvents(scheme: VersionScheme, a: string, b: string): number {
  if (a === b) return 0;
  if (a === '0') return -1;
  if (b === '0') return 1;
  return scheme.compare(a, b);
}

function eventVersion(e: OsvEvent): string {
  return (e.introduced ?? e.fixed ?? e.last_affected ?? e.limit)!;
}

function inRange(scheme: VersionScheme, range: OsvRange, version: string): boolean {
  // Events with versions the scheme cannot order are dropped rather than guessed at.
  const events = range.events.filter((e) => {
    const v = eventVersion(e);
    return v === '0' || scheme.valid(v);
  });
  events.sort((a, b) => compareEvents(scheme, eventVersion(a), eventVersion(b)));
  let affected = false;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (compareEvents(scheme, e.introduced, version) <= 0) affected = true;
    } else if (e.fixed !== undefined) {
      if (compareEvents(scheme, e.fixed, version) <= 0) affected = false;
    } else if (e.last_affected !== undefined) {
      if (compareEvents(scheme, e.last_affected, version) < 0) affected = false;
    }
  }
  return affected;
}

/** The lowest `fixed` above the installed version across the package's ranges. */
function nextFix(affected: OsvAffected, ecosystem: Ecosystem, version: string): { fixed?: string } {
  let best: { v: string; scheme: VersionScheme } | undefined;
  for (const range of affected.ranges ?? []) {
    if (range.type === 'GIT') continue;
    const scheme = range.type === 'SEMVER' ? semverScheme() : ecosystemScheme(ecosystem);
    if (!scheme.valid(version)) continue;
    for (const e of range.events) {
      if (!e.fixed || !scheme.valid(e.fixed) || scheme.compare(e.fixed, version) <= 0) continue;
      if (!best || scheme.compare(e.fixed, best.v) < 0) best = { v: e.fixed, scheme };
    }
  }
  return best ? { fixed: best.v } : {};
}

const QUALITATIVE: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  none: 'info',
};

function qualitative(value: unknown): Severity | undefined {
  return typeof value === 'string' ? QUALITATIVE[value.trim().toLowerCase()] : undefined;
}

/** CVSS qualitative scale (v3/v4 specification; NVD uses the same bands for v2 minus critical). */
export function severityFromScore(score: number, version2 = false): Severity {
  if (score >= 9 && !version2) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

interface CvssScored {
  calculateScores(): { overall?: number; base?: number };
}

// ae-cvss-calculator is a bundled CommonJS module flagged __esModule without a default export:
// jest's CommonJS interop sees its named exports, Node's ESM loader only `default`.
type CvssLib = { fromVector(vector: string): unknown };
const cvssLib: CvssLib =
  typeof (cvssModule as Partial<CvssLib>).fromVector === 'function'
    ? (cvssModule as CvssLib)
    : (cvssModule as unknown as { default: CvssLib }).default;

/** Base score of a CVSS v2/v3.x/v4 vector, or undefined when the vector does not parse. */
export function cvssScore(vector: string): number | undefined {
  try {
    const parsed = cvssLib.fromVector(vector) as CvssScored | null | undefined;
    if (!parsed) return undefined;
    const scores = parsed.calculateScores();
    const score = scores.base ?? scores.overall;
    return typeof score === 'number' && Number.isFinite(score) ? score : undefined;
  } catch {
    return undefined;
  }
}

const CVSS_ORDER = ['CVSS_V4', 'CVSS_V3', 'CVSS_V2'];

function fromSeverityEntries(
  entries: readonly { type: string; score: string }[] | undefined,
  where: string,
): { severity: Severity; source: string } | undefined {
  if (!entries?.length) return undefined;
  const sorted = [...entries].sort(
    (a, b) => rank(CVSS_ORDER.indexOf(a.type)) - rank(CVSS_ORDER.indexOf(b.type)),
  );
  for (const entry of sorted) {
    if (entry.type.startsWith('CVSS_')) {
      const score = cvssScore(entry.score);
      if (score !== undefined) {
        return {
          severity: severityFromScore(score, entry.type === 'CVSS_V2'),
          source: `${where} ${entry.type} ${score.toFixed(1)}`,
        };
      }
    } else {
      // e.g. {type: "Ubuntu", score: "high"}
      const q = qualitative(entry.score);
      if (q) return { severity: q, source: `${where} ${entry.type} ${entry.score}` };
    }
  }
  return undefined;
}

function rank(i: number): number {
  return i < 0 ? CVSS_ORDER.length : i;
}

/**
 * The curated rating first (GHSA's `database_specific.severity`: LOW/MODERATE/HIGH/CRITICAL),
 * then CVSS vectors (newest CVSS version first). An advisory with neither is `medium`: known to
 * be a vulnerability, not known to be severe, and said so in `severitySource`.
 */
export function severityOf(
  record: OsvRecord,
  affected?: OsvAffected,
): { severity: Severity; source: string; rated: boolean } {
  const perPackage =
    qualitative(affected?.database_specific?.['severity']) ??
    qualitative(affected?.ecosystem_specific?.['severity']);
  if (perPackage) {
    return { severity: perPackage, source: 'affected.database_specific.severity', rated: true };
  }
  const curated = qualitative(record.database_specific?.['severity']);
  if (curated) return { severity: curated, source: 'database_specific.severity', rated: true };
  const scored =
    fromSeverityEntries(record.severity, 'severity') ??
    fromSeverityEntries(affected?.severity, 'affected.severity');
  if (scored) return { ...scored, rated: true };
  return { severity: 'medium', source: 'unknown (no rating in the advisory)', rated: false };
}
