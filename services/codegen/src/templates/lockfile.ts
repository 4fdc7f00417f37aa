// Lock files for generated projects. A generated project must pass `npm ci` from its own lock
// file, and only npm can write one that npm accepts, so the lock is produced by running
// `npm install --package-lock-only --ignore-scripts` on the project's package.json. The result is
// cached on disk per dependency set (the hash of the sorted dependency maps), so rendering the
// same stack again is offline, fast and byte-identical; only the project's name differs, and it
// is patched in.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface PackageManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  overrides?: Record<string, unknown>;
  engines?: Record<string, string>;
  [key: string]: unknown;
}

export interface LockfileProvider {
  /** The package-lock.json for `manifest`, as npm writes it (2-space JSON, final newline). */
  npmLockfile(manifest: PackageManifest, signal?: AbortSignal): Promise<string>;
}

export interface NpmLockfileOptions {
  /** Cache directory; `null` disables the cache. Default ~/.cache/quantumlayer/lockfiles. */
  cacheDir?: string | null;
  /** Never run npm: answer from the cache or fail. */
  offline?: boolean;
  /** npm executable (default "npm" on PATH). */
  npm?: string;
  /** Time limit of one npm run (default 5 minutes). */
  timeoutMs?: number;
  /** Extra environment for npm (e.g. npm_config_registry for a mirror). */
  env?: NodeJS.ProcessEnv;
}

export class LockfileError extends Error {
  override readonly name = 'LockfileError';
}

/** Bump when the post-processing below changes, so stale cache entries are not reused. */
const CACHE_FORMAT = 1;

export function defaultLockfileCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'quantumlayer', 'lockfiles');
}

function sorted(map: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(map ?? {}).sort()) out[key] = map![key];
  return out;
}

/** Cache key of a manifest: everything npm resolves from, nothing else (not name or scripts). */
export function dependencySetKey(manifest: PackageManifest): string {
  const basis = {
    format: CACHE_FORMAT,
    dependencies: sorted(manifest.dependencies),
    devDependencies: sorted(manifest.devDependencies),
    optionalDependencies: sorted(manifest.optionalDependencies),
    peerDependencies: sorted(manifest.peerDependencies),
    overrides: manifest.overrides ?? null,
    engines: sorted(manifest.engines),
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}

interface LockJson {
  name?: string;
  version?: string;
  packages?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/**
 * Removes optional-dependency edges to packages npm did not record. A registry that does not
 * serve every platform's binary package (a mirror, a filtered proxy) makes `npm install` skip
 * them silently, and `npm ci` then rejects the lock it just wrote ("Missing: … from lock file",
 * npm/cli#9846). Dropping the dangling edges keeps the lock consistent with what was resolvable.
 */
export function pruneDanglingOptionalDependencies(lock: LockJson): number {
  const packages = lock.packages ?? {};
  const present = new Set(
    Object.keys(packages)
      .filter((k) => k !== '')
      .map((k) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
  let pruned = 0;
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '') continue;
    const optional = entry['optionalDependencies'] as Record<string, string> | undefined;
    if (!optional) continue;
    for (const dep of Object.keys(optional)) {
      if (!present.has(dep)) {
        delete optional[dep];
        pruned++;
      }
    }
    if (Object.keys(optional).length === 0) delete entry['optionalDependencies'];
  }
  return pruned;
}

/** Puts the project's own name and version into a cached lock. */
export function withProjectIdentity(lockText: string, manifest: PackageManifest): string {
  const lock = JSON.parse(lockText) as LockJson;
  lock.name = manifest.name;
  lock.version = manifest.version;
  const root = lock.packages?.[''];
  if (root) {
    root['name'] = manifest.name;
    root['version'] = manifest.version;
  }
  // npm's own layout: name and version first, as `npm install` writes them.
  const { name, version, ...rest } = lock;
  return `${JSON.stringify({ name, version, ...rest }, null, 2)}\n`;
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Lock files from npm itself, cached per dependency set. */
export class NpmLockfileProvider implements LockfileProvider {
  private readonly cacheDir: string | null;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly options: NpmLockfileOptions = {}) {
    this.cacheDir = options.cacheDir === undefined ? defaultLockfileCacheDir() : options.cacheDir;
  }

  async npmLockfile(manifest: PackageManifest, signal?: AbortSignal): Promise<string> {
    const key = dependencySetKey(manifest);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.resolve(key, manifest, signal).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return withProjectIdentity(await pending, manifest);
  }

  private cachePath(key: string): string | undefined {
    return this.cacheDir ? path.join(this.cacheDir, 'npm', `${key}.json`) : undefined;
  }

  private async resolve(
    key: string,
    manifest: PackageManifest,
    signal?: AbortSignal,
  ): Promise<string> {
    const file = this.cachePath(key);
    if (file) {
      const cached = await readFile(file, 'utf8').catch(() => undefined);
      if (cached !== undefined) return cached;
    }
    if (this.options.offline) {
      throw new LockfileError(
        `no cached lock file for this dependency set (${key.slice(0, 12)}) and offline mode is on`,
      );
    }
    const lock = await this.generate(manifest, signal);
    if (file) {
      // Write-then-rename: concurrent generators never see a half-written entry.
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${randomUUID()}.tmp`;
      await writeFile(tmp, lock);
      await rename(tmp, file);
    }
    return lock;
  }

  private async generate(manifest: PackageManifest, signal?: AbortSignal): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ql-lockfile-'));
    try {
      const neutral = { ...manifest, name: 'lockfile', version: '0.0.0', scripts: {} };
      await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(neutral, null, 2)}\n`);
      const { code, output } = await run(
        this.options.npm ?? 'npm',
        [
          'install',
          '--package-lock-only',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
        ],
        dir,
        { ...process.env, ...this.options.env },
        this.options.timeoutMs ?? 5 * 60_000,
        signal,
      );
      if (code !== 0) {
        throw new LockfileError(
          `npm install --package-lock-only failed (exit ${code}): ${output.trim()}`,
        );
      }
      const lock = JSON.parse(
        await readFile(path.join(dir, 'package-lock.json'), 'utf8'),
      ) as LockJson;
      pruneDanglingOptionalDependencies(lock);
      return `${JSON.stringify(lock, null, 2)}\n`;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
