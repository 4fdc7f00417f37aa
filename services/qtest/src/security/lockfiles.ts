import semver from 'semver';
import { z } from 'zod';
import type { Ecosystem } from './versions.js';
import { normalizePackageName } from './versions.js';

/** One resolved dependency, as a lock file pins it. */
export interface LockedPackage {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** The lock file it came from (project-relative). */
  file: string;
  /** 1-based line of the entry in the lock file, when it can be located. */
  line?: number;
  /** npm: only installed for development. */
  dev?: boolean;
}

export interface LockfileParse {
  ecosystem: Ecosystem;
  packages: LockedPackage[];
  /** What could not be audited and why (unpinned requirements, local packages …). */
  notes: string[];
}

export class LockfileError extends Error {
  override readonly name = 'LockfileError';
}

const LOCKFILE_KINDS: Array<{
  test: RegExp;
  parse: (file: string, text: string) => LockfileParse;
}> = [
  { test: /(^|\/)(package-lock|npm-shrinkwrap)\.json$/, parse: parseNpmLock },
  { test: /(^|\/)requirements([^/]*|\/[^/]+)\.txt$/, parse: parseRequirements },
  { test: /(^|\/)Cargo\.lock$/, parse: parseCargoLock },
  { test: /(^|\/)go\.sum$/, parse: parseGoSum },
];

/** Whether the dependency audit reads this file. */
export function isAuditedLockfile(path: string): boolean {
  return LOCKFILE_KINDS.some((k) => k.test.test(path));
}

export function parseLockfile(file: string, text: string): LockfileParse | undefined {
  return LOCKFILE_KINDS.find((k) => k.test.test(file))?.parse(file, text);
}

function zodError(file: string, error: z.ZodError): LockfileError {
  const issue = error.issues[0]!;
  return new LockfileError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

// ---------------------------------------------------------------------------------------------
// npm: package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.

const NpmEntrySchema = z.object({
  version: z.string().optional(),
  name: z.string().optional(),
  resolved: z.string().optional(),
  link: z.boolean().optional(),
  dev: z.boolean().optional(),
  devOptional: z.boolean().optional(),
});

interface NpmV1Dep {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, NpmV1Dep>;
}
const NpmV1DepSchema: z.ZodType<NpmV1Dep> = z.lazy(() =>
  z.object({
    version: z.string().optional(),
    dev: z.boolean().optional(),
    dependencies: z.record(z.string(), NpmV1DepSchema).optional(),
  }),
);

const NpmLockSchema = z.object({
  lockfileVersion: z.number().int().min(1),
  packages: z.record(z.string(), NpmEntrySchema).optional(),
  dependencies: z.record(z.string(), NpmV1DepSchema).optional(),
});

/** Versions that did not come from a registry (git, tarball, local dir) are not in OSV's npm. */
function fromRegistry(version: string, resolved: string | undefined): boolean {
  if (resolved && /^(file:|git\+|git:|github:|link:)/.test(resolved)) return false;
  return semver.valid(version) !== null;
}

function parseNpmLock(file: string, text: string): LockfileParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LockfileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = NpmLockSchema.safeParse(json);
  if (!parsed.success) throw zodError(file, parsed.error);
  const lock = parsed.data;
  const lines = keyLines(text);
  const packages: LockedPackage[] = [];
  const notes: string[] = [];
  let skipped = 0;
  if (lock.packages) {
    for (const [key, entry] of Object.entries(lock.packages)) {
      // "" is the project itself; keys without node_modules/ are workspace members (local code).
      const at = key.lastIndexOf('node_modules/');
      if (at < 0 || entry.link) continue;
      const name = entry.name ?? key.slice(at + 'node_modules/'.length);
      if (!entry.version || !fromRegistry(entry.version, entry.resolved)) {
        skipped++;
        continue;
      }
      const line = lines.get(key);
      packages.push({
        ecosystem: 'npm',
        name,
        version: entry.version,
        file,
        ...(line ? { line } : {}),
        ...(entry.dev || entry.devOptional ? { dev: true } : {}),
      });
    }
  } else if (lock.dependencies) {
    const walk = (deps: Record<string, NpmV1Dep>) => {
      for (const [name, dep] of Object.entries(deps)) {
        if (dep.version && semver.valid(dep.version)) {
          const line = lines.get(name);
          packages.push({
            ecosystem: 'npm',
            name,
            version: dep.version,
            file,
            ...(line ? { line } : {}),
            ...(dep.dev ? { dev: true } : {}),
          });
        } else skipped++;
        if (dep.dependencies) walk(dep.dependencies);
      }
    };
    walk(lock.dependencies);
  }
  if (skipped)
    notes.push(`${file}: ${skipped} packages not from the registry (git, file, link) not audited`);
  return { ecosystem: 'npm', packages: dedupe(packages), notes };
}

/** Line of the first `"key": {` for each key: good enough to point a reader at the entry. */
function keyLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = /^\s*"([^"]+)":\s*\{/;
  text.split('\n').forEach((l, i) => {
    const m = re.exec(l);
    if (m && !out.has(m[1]!)) out.set(m[1]!, i + 1);
  });
  return out;
}

function dedupe(packages: LockedPackage[]): LockedPackage[] {
  const seen = new Set<string>();
  return packages.filter((p) => {
    const key = `${p.ecosystem}\u0000${p.name}\u0000${p.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Python: requirements*.txt. Only `name==version` pins say which version is installed.

/** `name[extras] == version` then end, a marker (;), a comment, an option (--hash) or \. */
const REQUIREMENT =
  /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(===?)\s*([^\s;#,\\]+)\s*(?:[;#\\]|--|$)/;

function parseRequirements(file: string, text: string): LockfileParse {
  const packages: LockedPackage[] = [];
  let unpinned = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('-')) return;
    const m = REQUIREMENT.exec(line);
    if (!m || m[4]!.includes('*')) {
      // URLs, paths, ranges (>=, ~=): the installed version is not knowable from this file.
      unpinned++;
      return;
    }
    packages.push({
      ecosystem: 'PyPI',
      name: normalizePackageName('PyPI', m[1]!),
      version: m[4]!,
      file,
      line: i + 1,
    });
  });
  const notes = unpinned
    ? [`${file}: ${unpinned} requirements not pinned with == cannot be audited`]
    : [];
  return { ecosystem: 'PyPI', packages: dedupe(packages), notes };
}

// ---------------------------------------------------------------------------------------------
// Rust: Cargo.lock. Cargo writes it in a fixed shape ([[package]] tables of `key = "string"`
// lines), so a line reader is enough; a TOML parser would be a dependency for three keys.

function parseCargoLock(file: string, text: string): LockfileParse {
  const packages: LockedPackage[] = [];
  let local = 0;
  let current: { name?: string; version?: string; source?: string; line: number } | undefined;
  const flush = () => {
    if (current?.name && current.version) {
      // No `source`: a path dependency or a workspace member, i.e. the project's own code.
      if (current.source?.startsWith('registry+')) {
        packages.push({
          ecosystem: 'crates.io',
          name: current.name,
          version: current.version,
          file,
          line: current.line,
        });
      } else local++;
    }
    current = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('[')) {
      flush();
      if (line === '[[package]]') current = { line: i + 1 };
      return;
    }
    const m = /^(name|version|source)\s*=\s*"([^"]*)"/.exec(line);
    if (current && m) current[m[1] as 'name' | 'version' | 'source'] = m[2]!;
  });
  flush();
  const notes = local ? [`${file}: ${local} local or git crates not audited`] : [];
  return { ecosystem: 'crates.io', packages: dedupe(packages), notes };
}

// ---------------------------------------------------------------------------------------------
// Go: go.sum. It lists module content hashes (`mod v1.2.3 h1:…`) and go.mod hashes
// (`mod v1.2.3/go.mod h1:…`) for the whole module graph; only modules whose code was downloaded
// have content hashes, and minimal version selection builds the highest of those per module.

function parseGoSum(file: string, text: string): LockfileParse {
  const best = new Map<string, { version: string; line: number }>();
  text.split('\n').forEach((raw, i) => {
    const [mod, version] = raw.trim().split(/\s+/);
    if (!mod || !version || version.endsWith('/go.mod')) return;
    if (!semver.valid(version.replace(/^v/, ''))) return;
    const prev = best.get(mod);
    if (!prev || semver.gt(version.replace(/^v/, ''), prev.version.replace(/^v/, ''))) {
      best.set(mod, { version, line: i + 1 });
    }
  });
  const packages: LockedPackage[] = [...best].map(([name, { version, line }]) => ({
    ecosystem: 'Go',
    name,
    version,
    file,
    line,
  }));
  return { ecosystem: 'Go', packages, notes: [] };
}
