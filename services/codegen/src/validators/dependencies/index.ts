import semver from 'semver';
import { SyntaxTrees, blankTrailingCommas } from '../context.js';
import type { SourceFile } from '../files.js';
import { basename, dirname, isProbablyBinary, normalizePath } from '../files.js';
import { detectLanguage, isJsLike } from '../languages.js';
import type { CheckResult, Finding, Severity } from '../report.js';
import { statusFromFindings } from '../report.js';
import {
  PYTHON_IMPORT_TO_DIST,
  PYTHON_STDLIB,
  isNodeBuiltin,
  normalizePyName,
} from './builtins.js';
import type { ImportRef } from './imports.js';
import { goImports, jsImports, npmPackageName, pyImports, typesPackageFor } from './imports.js';
import type { Declared, GoMod, NpmManifest, PyManifest } from './manifests.js';
import {
  parseGoMod,
  parseNpmLock,
  parsePackageJson,
  parsePyproject,
  parseRequirements,
} from './manifests.js';
import type { Ecosystem, LookupResult, RegistryClient, RegistryClients } from './registry.js';
import { defaultRegistryClients } from './registry.js';

export * from './builtins.js';
export * from './imports.js';
export * from './manifests.js';
export * from './registry.js';

export interface DependencyCheckOptions {
  failOn?: Severity;
  /** Registry per ecosystem; an ecosystem without a client is reported as unverified. Default: the public registries with the disk cache. */
  registries?: RegistryClients;
  trees?: SyntaxTrees;
  signal?: AbortSignal;
}

type Rule =
  | 'dependencies/hallucinated-package'
  | 'dependencies/unknown-version'
  | 'dependencies/invalid-range'
  | 'dependencies/undeclared-import'
  | 'dependencies/lockfile-mismatch'
  | 'dependencies/unverified'
  | 'dependencies/invalid-manifest';

interface Where {
  file: string;
  line: number;
  column: number;
}

class Collector {
  readonly findings: Finding[] = [];
  add(
    rule: Rule,
    severity: Severity,
    where: Where,
    message: string,
    data: Record<string, string>,
  ): void {
    this.findings.push({
      check: 'dependencies',
      ruleId: rule,
      severity,
      file: where.file,
      line: where.line,
      column: where.column,
      message,
      data,
    });
  }
}

/** Runs registry look-ups once per (ecosystem, name), all in parallel (the clients bound concurrency). */
class Lookups {
  private readonly pending = new Map<string, Promise<LookupResult>>();
  count = 0;
  constructor(
    private readonly clients: RegistryClients,
    private readonly signal?: AbortSignal,
  ) {}
  get(eco: Ecosystem, name: string): Promise<LookupResult> {
    const key = `${eco}\u0000${name}`;
    let p = this.pending.get(key);
    if (!p) {
      const client: RegistryClient | undefined = this.clients[eco];
      this.count++;
      p = client
        ? client
            .lookup(name, this.signal)
            .catch((err: unknown) => ({ status: 'unknown' as const, reason: String(err) }))
        : Promise.resolve({ status: 'unknown' as const, reason: `no ${eco} registry configured` });
      this.pending.set(key, p);
    }
    return p;
  }
  origin(eco: Ecosystem): string {
    return this.clients[eco]?.origin ?? `${eco} registry`;
  }
}

const REGISTRY_NAMES: Record<Ecosystem, string> = {
  npm: 'npm registry',
  pypi: 'PyPI',
  go: 'Go module proxy',
};

function unverified(
  c: Collector,
  eco: Ecosystem,
  name: string,
  where: Where,
  reason: string,
): void {
  c.add(
    'dependencies/unverified',
    'medium',
    where,
    `could not verify that ${eco} package "${name}" exists: ${reason}`,
    { package: name, ecosystem: eco },
  );
}

export async function checkDependencies(
  files: readonly SourceFile[],
  options: DependencyCheckOptions = {},
): Promise<CheckResult> {
  const started = performance.now();
  const failOn = options.failOn ?? 'high';
  const trees = options.trees ?? new SyntaxTrees();
  const lookups = new Lookups(options.registries ?? defaultRegistryClients(), options.signal);
  const c = new Collector();
  let filesChecked = 0;
  try {
    const byName = (pred: (p: string) => boolean) =>
      files.filter(
        (f) => !/(^|\/)node_modules\//.test(normalizePath(f.path)) && pred(normalizePath(f.path)),
      );
    const sources = byName((p) => {
      const lang = detectLanguage(p);
      return isJsLike(lang) || lang === 'python' || lang === 'go';
    }).filter((f) => !isProbablyBinary(f.content));

    const imports = new Map<string, { file: SourceFile; refs: ImportRef[] }[]>([
      ['js', []],
      ['python', []],
      ['go', []],
    ]);
    for (const file of sources) {
      const outcome = await trees.get(file);
      if (!outcome?.ok) continue;
      filesChecked++;
      const { lang, tree } = outcome.parsed;
      if (isJsLike(lang)) imports.get('js')!.push({ file, refs: jsImports(tree, lang) });
      else if (lang === 'python') imports.get('python')!.push({ file, refs: pyImports(tree) });
      else if (lang === 'go') imports.get('go')!.push({ file, refs: goImports(tree) });
    }

    const npmManifestFiles = byName((p) => basename(p) === 'package.json');
    const pyManifestFiles = byName(
      (p) => /^requirements[^/]*\.(txt|in)$/.test(basename(p)) || basename(p) === 'pyproject.toml',
    );
    const goModFiles = byName((p) => basename(p) === 'go.mod');
    filesChecked += npmManifestFiles.length + pyManifestFiles.length + goModFiles.length;

    const tasks: Promise<void>[] = [];
    if (npmManifestFiles.length || imports.get('js')!.length)
      tasks.push(
        checkNpm(
          c,
          lookups,
          npmManifestFiles,
          byName((p) =>
            /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock)$/.test(p),
          ),
          byName((p) => /(^|\/)[jt]sconfig[^/]*\.json$/.test(p)),
          imports.get('js')!,
        ),
      );
    if (pyManifestFiles.length || imports.get('python')!.length)
      tasks.push(checkPython(c, lookups, pyManifestFiles, files, imports.get('python')!));
    if (goModFiles.length || imports.get('go')!.length)
      tasks.push(checkGo(c, lookups, goModFiles, imports.get('go')!));
    await Promise.all(tasks);
  } finally {
    if (!options.trees) await trees.dispose();
  }
  const incomplete = c.findings.some((f) => f.ruleId === 'dependencies/unverified');
  return {
    check: 'dependencies',
    status: statusFromFindings(c.findings, failOn, incomplete),
    durationMs: performance.now() - started,
    filesChecked,
    findings: c.findings,
    details: { lookups: lookups.count },
  };
}

// ---------------------------------------------------------------------------------------------
// npm

type NpmSpec =
  { kind: 'registry'; name: string; range: string } | { kind: 'local' | 'remote'; name: string };

function classifyNpmSpec(name: string, spec: string): NpmSpec {
  const s = spec.trim();
  if (/^(workspace|file|link|portal):/.test(s)) return { kind: 'local', name };
  if (s.startsWith('npm:')) {
    const rest = s.slice(4);
    const at = rest.lastIndexOf('@');
    return at > 0
      ? { kind: 'registry', name: rest.slice(0, at), range: rest.slice(at + 1) }
      : { kind: 'registry', name: rest, range: '' };
  }
  if (
    /^(git\+|git:|github:|gitlab:|bitbucket:|gist:|https?:\/\/)/.test(s) ||
    /^[^@/\s]+\/[^@/\s]+(#.*)?$/.test(s)
  )
    return { kind: 'remote', name };
  return { kind: 'registry', name, range: s };
}

function aliasMatchers(tsconfigs: SourceFile[]): Array<(spec: string) => boolean> {
  const out: Array<(spec: string) => boolean> = [];
  for (const f of tsconfigs) {
    try {
      const text = blankTrailingCommas(f.content).replace(
        /\/\*[\s\S]*?\*\/|(^|[^:"])\/\/.*$/gm,
        '$1',
      );
      const paths =
        (JSON.parse(text) as { compilerOptions?: { paths?: Record<string, unknown> } })
          .compilerOptions?.paths ?? {};
      for (const key of Object.keys(paths)) {
        const star = key.indexOf('*');
        out.push(
          star < 0
            ? (s) => s === key
            : (s) => s.startsWith(key.slice(0, star)) && s.endsWith(key.slice(star + 1)),
        );
      }
    } catch {
      // the syntax check reports a broken tsconfig
    }
  }
  return out;
}

function governing<T extends { dir: string }>(manifests: readonly T[], file: string): T[] {
  const dir = dirname(normalizePath(file));
  return manifests
    .filter((m) => m.dir === '' || dir === m.dir || dir.startsWith(`${m.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length);
}

async function checkNpm(
  c: Collector,
  lookups: Lookups,
  manifestFiles: SourceFile[],
  lockFiles: SourceFile[],
  tsconfigs: SourceFile[],
  sources: { file: SourceFile; refs: ImportRef[] }[],
): Promise<void> {
  const manifests: NpmManifest[] = [];
  for (const f of manifestFiles) {
    const parsed = parsePackageJson(f);
    if ('message' in parsed)
      c.add(
        'dependencies/invalid-manifest',
        'high',
        { file: f.path, line: 1, column: 1 },
        parsed.message,
        { ecosystem: 'npm' },
      );
    else manifests.push(parsed);
  }
  const locked = new Map<string, Set<string>>();
  for (const lf of lockFiles)
    for (const [name, versions] of parseNpmLock(lf))
      locked.set(name, new Set([...(locked.get(name) ?? []), ...versions]));
  const local = new Set(manifests.map((m) => m.name).filter((n): n is string => !!n));
  const aliases = aliasMatchers(tsconfigs);
  const registry = REGISTRY_NAMES.npm;
  const checks: Promise<void>[] = [];

  // Declared dependencies: each must exist, and its range must match a published (or locked) version.
  for (const m of manifests) {
    for (const d of m.declared) {
      const spec = classifyNpmSpec(d.name, d.spec);
      if (spec.kind !== 'registry' || local.has(spec.name)) continue;
      checks.push(
        checkDeclaredNpm(c, lookups, d, spec.name, spec.range, locked.get(spec.name), registry),
      );
    }
  }

  // Imports: each package must be declared by the package.json that governs the file, and exist.
  const reported = new Set<string>();
  for (const { file, refs } of sources) {
    const chain = governing(manifests, file.path);
    const declared = new Set(chain.flatMap((m) => m.declared.map((d) => d.name)));
    for (const r of refs) {
      if (isNodeBuiltin(r.specifier) || aliases.some((a) => a(r.specifier))) continue;
      const name = npmPackageName(r.specifier);
      if (!name || local.has(name)) continue;
      if (declared.has(name) || (r.typeOnly && declared.has(typesPackageFor(name)))) continue;
      const key = `${chain[0]?.file ?? ''}\u0000${name}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const where = { file: file.path, line: r.line, column: r.column };
      if (chain.length) {
        c.add(
          'dependencies/undeclared-import',
          'high',
          where,
          `"${name}" is imported but not declared in ${chain[0]!.file}; a clean install will not provide it`,
          { package: name, ecosystem: 'npm', manifest: chain[0]!.file },
        );
      }
      if (locked.has(name)) continue;
      checks.push(
        lookups.get('npm', name).then((res) => {
          if (res.status === 'missing')
            c.add(
              'dependencies/hallucinated-package',
              'critical',
              where,
              `"${name}" does not exist on the ${registry} (${lookups.origin('npm')}); it looks invented`,
              {
                package: name,
                ecosystem: 'npm',
              },
            );
          else if (res.status === 'unknown') unverified(c, 'npm', name, where, res.reason);
        }),
      );
    }
  }
  await Promise.all(checks);
}

async function checkDeclaredNpm(
  c: Collector,
  lookups: Lookups,
  d: Declared,
  name: string,
  range: string,
  lockedVersions: Set<string> | undefined,
  registry: string,
): Promise<void> {
  const data = { package: name, ecosystem: 'npm', spec: range };
  const anyVersion = range === '' || range === '*' || range === 'latest' || range === 'x';
  const isTag =
    !anyVersion && semver.validRange(range) === null && /^[a-z][a-z0-9._-]*$/i.test(range);
  if (!anyVersion && !isTag && semver.validRange(range) === null) {
    c.add(
      'dependencies/invalid-range',
      'high',
      d,
      `"${name}": "${range}" is not a valid semver range`,
      data,
    );
    return;
  }
  if (lockedVersions) {
    // The lock file vouches for existence; npm ci fails if it disagrees with package.json.
    const versions = [...lockedVersions];
    if (
      !anyVersion &&
      !isTag &&
      versions.length &&
      !versions.some((v) => semver.satisfies(v, range, { includePrerelease: true }))
    )
      c.add(
        'dependencies/lockfile-mismatch',
        'high',
        d,
        `"${name}@${range}" is not satisfied by the locked version ${versions.join(', ')}`,
        data,
      );
    return;
  }
  const res = await lookups.get('npm', name);
  if (res.status === 'unknown') return unverified(c, 'npm', name, d, res.reason);
  if (res.status === 'missing') {
    c.add(
      'dependencies/hallucinated-package',
      'critical',
      d,
      `"${name}" does not exist on the ${registry} (${lookups.origin('npm')}); it looks invented`,
      data,
    );
    return;
  }
  const { versions, distTags } = res.metadata;
  if (anyVersion) return;
  if (isTag) {
    if (!(range in distTags))
      c.add(
        'dependencies/unknown-version',
        'high',
        d,
        `"${name}" has no dist-tag "${range}" (tags: ${Object.keys(distTags).join(', ') || 'none'})`,
        data,
      );
    return;
  }
  if (!semver.maxSatisfying(versions, range, { includePrerelease: /-/.test(range) })) {
    c.add(
      'dependencies/unknown-version',
      'high',
      d,
      `no published version of "${name}" satisfies "${range}" (latest is ${distTags['latest'] ?? versions[versions.length - 1] ?? 'none'})`,
      data,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Python

function pyLocalModules(files: readonly SourceFile[]): Set<string> {
  const local = new Set<string>();
  for (const f of files) {
    const p = normalizePath(f.path);
    if (!p.endsWith('.py') && !p.endsWith('.pyi')) continue;
    const parts = p.split('/');
    for (const dir of parts.slice(0, -1)) local.add(dir);
    local.add(parts[parts.length - 1]!.replace(/\.pyi?$/, ''));
  }
  return local;
}

function pinnedVersion(spec: string): string | undefined {
  const m = /^===?\s*([A-Za-z0-9.+!-]+)\s*$/.exec(spec.trim());
  return m && !m[1]!.includes('*') ? m[1] : undefined;
}

/** PEP 440 versions compare loosely equal across 1.0 / 1.0.0. */
function samePyVersion(a: string, b: string): boolean {
  const norm = (v: string) =>
    v
      .toLowerCase()
      .replace(/^v/, '')
      .replace(/(\.0)+$/, '');
  return norm(a) === norm(b);
}

async function checkPython(
  c: Collector,
  lookups: Lookups,
  manifestFiles: SourceFile[],
  allFiles: readonly SourceFile[],
  sources: { file: SourceFile; refs: ImportRef[] }[],
): Promise<void> {
  const manifests: PyManifest[] = manifestFiles.map((f) =>
    basename(f.path) === 'pyproject.toml' ? parsePyproject(f) : parseRequirements(f),
  );
  const declared = new Set(
    manifests.flatMap((m) => m.declared.map((d) => normalizePyName(d.name))),
  );
  const local = pyLocalModules(allFiles);
  const checks: Promise<void>[] = [];
  const seen = new Set<string>();

  for (const m of manifests) {
    for (const d of m.declared) {
      const key = normalizePyName(d.name);
      if (seen.has(key)) continue;
      seen.add(key);
      const data = { package: d.name, ecosystem: 'pypi', spec: d.spec };
      checks.push(
        lookups.get('pypi', d.name).then((res) => {
          if (res.status === 'unknown') return unverified(c, 'pypi', d.name, d, res.reason);
          if (res.status === 'missing')
            return c.add(
              'dependencies/hallucinated-package',
              'critical',
              d,
              `"${d.name}" does not exist on PyPI (${lookups.origin('pypi')}); it looks invented`,
              data,
            );
          const pin = pinnedVersion(d.spec);
          if (pin && !res.metadata.versions.some((v) => samePyVersion(v, pin)))
            c.add(
              'dependencies/unknown-version',
              'high',
              d,
              `"${d.name}" has no release ${pin} (latest is ${res.metadata.distTags['latest'] ?? 'unknown'})`,
              data,
            );
        }),
      );
    }
  }

  const reported = new Set<string>();
  for (const { file, refs } of sources) {
    for (const r of refs) {
      const top = r.specifier.split('.')[0]!;
      if (
        !top ||
        top === '__future__' ||
        PYTHON_STDLIB.has(top) ||
        local.has(top) ||
        reported.has(top)
      )
        continue;
      const candidates = PYTHON_IMPORT_TO_DIST[top] ?? [top];
      const names = new Set([...candidates, top].map(normalizePyName));
      if ([...names].some((n) => declared.has(n))) continue;
      reported.add(top);
      const where = { file: file.path, line: r.line, column: r.column };
      const dist = candidates[0]!;
      if (manifests.length) {
        // The import name may differ from the distribution's, so this is a strong hint, not proof.
        c.add(
          'dependencies/undeclared-import',
          'medium',
          where,
          `module "${top}" is imported but no requirement provides it (expected "${dist}")`,
          {
            package: dist,
            module: top,
            ecosystem: 'pypi',
          },
        );
      }
      checks.push(
        lookups.get('pypi', dist).then((res) => {
          if (res.status === 'missing')
            c.add(
              'dependencies/hallucinated-package',
              'high',
              where,
              `module "${top}": no distribution "${dist}" exists on PyPI (${lookups.origin('pypi')})`,
              {
                package: dist,
                module: top,
                ecosystem: 'pypi',
              },
            );
          else if (res.status === 'unknown') unverified(c, 'pypi', dist, where, res.reason);
        }),
      );
    }
  }
  await Promise.all(checks);
}

// ---------------------------------------------------------------------------------------------
// Go

const PSEUDO_VERSION = /-(\d{14})-[0-9a-f]{12}(\+incompatible)?$/;

async function checkGo(
  c: Collector,
  lookups: Lookups,
  modFiles: SourceFile[],
  sources: { file: SourceFile; refs: ImportRef[] }[],
): Promise<void> {
  const mods: GoMod[] = modFiles.map(parseGoMod);
  const checks: Promise<void>[] = [];
  for (const m of mods) {
    for (const d of m.declared) {
      if (m.localReplaces.has(d.name)) continue;
      const data = { package: d.name, ecosystem: 'go', spec: d.spec };
      checks.push(
        lookups.get('go', d.name).then((res) => {
          if (res.status === 'unknown') return unverified(c, 'go', d.name, d, res.reason);
          if (res.status === 'missing')
            return c.add(
              'dependencies/hallucinated-package',
              'critical',
              d,
              `module "${d.name}" does not exist on the Go module proxy (${lookups.origin('go')})`,
              data,
            );
          if (
            !PSEUDO_VERSION.test(d.spec) &&
            res.metadata.versions.length &&
            !res.metadata.versions.includes(d.spec)
          )
            c.add(
              'dependencies/unknown-version',
              'high',
              d,
              `module "${d.name}" has no version ${d.spec}`,
              data,
            );
        }),
      );
    }
  }
  const reported = new Set<string>();
  for (const { file, refs } of sources) {
    const mod = governing(mods, file.path)[0];
    if (!mod) continue;
    for (const r of refs) {
      const p = r.specifier;
      const first = p.split('/')[0]!;
      if (!first.includes('.')) continue; // standard library
      if (mod.module && (p === mod.module || p.startsWith(`${mod.module}/`))) continue;
      if (mod.declared.some((d) => p === d.name || p.startsWith(`${d.name}/`))) continue;
      if (reported.has(p)) continue;
      reported.add(p);
      c.add(
        'dependencies/undeclared-import',
        'high',
        { file: file.path, line: r.line, column: r.column },
        `package "${p}" is imported but no require in ${mod.file} provides it`,
        {
          package: p,
          ecosystem: 'go',
        },
      );
    }
  }
  await Promise.all(checks);
}
