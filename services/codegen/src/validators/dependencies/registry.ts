import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { normalizePyName } from './builtins.js';

export type Ecosystem = 'npm' | 'pypi' | 'go';

export interface PackageMetadata {
  name: string;
  /** Every published version (npm: versions; PyPI: releases; Go: the proxy's version list). */
  versions: string[];
  /** npm dist-tags (latest, next …); PyPI/Go: `latest` when known. */
  distTags: Record<string, string>;
}

export type LookupSource = 'network' | 'cache' | 'stale-cache' | 'fixture';

/**
 * The registry's answer. `unknown` is not a soft `found`: a package we could not verify is
 * reported as unverified, never assumed to exist.
 */
export type LookupResult =
  | { status: 'found'; metadata: PackageMetadata; source: LookupSource }
  | { status: 'missing'; source: LookupSource }
  | { status: 'unknown'; reason: string };

export interface RegistryClient {
  readonly ecosystem: Ecosystem;
  /** Where answers come from, for messages (`https://registry.npmjs.org`, `fixture`). */
  readonly origin: string;
  lookup(name: string, signal?: AbortSignal): Promise<LookupResult>;
}

export type Fetcher = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<{
  status: number;
  text(): Promise<string>;
}>;

export interface HttpRegistryOptions {
  baseUrl?: string;
  /** Injectable transport; defaults to global fetch. */
  fetch?: Fetcher;
  /** On-disk cache directory; `null` disables it. Default: ~/.cache/quantumlayer/registry. */
  cacheDir?: string | null;
  /** How long a found package stays fresh (default 24 h). */
  ttlMs?: number;
  /** How long a 404 stays fresh (default 1 h: a name can be published later). */
  missingTtlMs?: number;
  timeoutMs?: number;
  /** Parallel requests to the registry (default 8). */
  concurrency?: number;
  /** Extra attempts after a network error or 5xx/429 (default 1). */
  retries?: number;
  /** Never touch the network: answer from the cache (even stale) or say unknown. */
  offline?: boolean;
  /** Clock, for tests of expiry. */
  now?: () => number;
}

interface CacheEntry {
  name: string;
  fetchedAt: number;
  status: 'found' | 'missing';
  metadata?: PackageMetadata;
}

export function defaultCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'quantumlayer', 'registry');
}

class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Shared machinery of the HTTP registries: in-flight de-duplication, a TTL cache on disk,
 * bounded concurrency, timeouts and one retry. Subclasses only say how to build the URL and
 * read the body.
 */
export abstract class HttpRegistryClient implements RegistryClient {
  abstract readonly ecosystem: Ecosystem;
  readonly origin: string;
  protected readonly fetcher: Fetcher;
  private readonly cacheDir: string | null;
  private readonly ttlMs: number;
  private readonly missingTtlMs: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly offline: boolean;
  private readonly now: () => number;
  private readonly limiter: Semaphore;
  private readonly inflight = new Map<string, Promise<LookupResult>>();

  constructor(defaultBase: string, options: HttpRegistryOptions = {}) {
    this.origin = (options.baseUrl ?? defaultBase).replace(/\/+$/, '');
    this.fetcher = options.fetch ?? ((url, init) => fetch(url, init));
    this.cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.missingTtlMs = options.missingTtlMs ?? 3600_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 1;
    this.offline = options.offline ?? false;
    this.now = options.now ?? Date.now;
    this.limiter = new Semaphore(options.concurrency ?? 8);
  }

  protected abstract url(name: string): string;
  protected abstract headers(): Record<string, string>;
  /** Parses a 200 body; returns undefined when the body says the package does not exist. */
  protected abstract parse(name: string, body: string): PackageMetadata | undefined;
  /** Registry-specific identity of a name (PEP 503 for PyPI). */
  protected canonical(name: string): string {
    return name;
  }

  lookup(name: string, signal?: AbortSignal): Promise<LookupResult> {
    const key = this.canonical(name);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.resolve(key, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async resolve(name: string, signal?: AbortSignal): Promise<LookupResult> {
    const cached = await this.readCache(name);
    if (cached) {
      const ttl = cached.status === 'found' ? this.ttlMs : this.missingTtlMs;
      if (this.now() - cached.fetchedAt < ttl) return fromEntry(cached, 'cache');
    }
    if (this.offline)
      return cached
        ? fromEntry(cached, 'stale-cache')
        : { status: 'unknown', reason: 'offline and not in the cache' };
    const fetched = await this.limiter.run(() => this.fetchWithRetry(name, signal));
    if (fetched.status === 'unknown') {
      // An answer from yesterday beats no answer: package existence rarely changes.
      return cached ? fromEntry(cached, 'stale-cache') : fetched;
    }
    await this.writeCache({
      name,
      fetchedAt: this.now(),
      status: fetched.status,
      ...(fetched.status === 'found' ? { metadata: fetched.metadata } : {}),
    });
    return fetched;
  }

  private async fetchWithRetry(name: string, signal?: AbortSignal): Promise<LookupResult> {
    let last: LookupResult = { status: 'unknown', reason: 'not attempted' };
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (signal?.aborted) return { status: 'unknown', reason: 'aborted' };
      last = await this.fetchOnce(name, signal);
      if (last.status !== 'unknown') return last;
      if (attempt < this.retries) await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
    return last;
  }

  private async fetchOnce(name: string, signal?: AbortSignal): Promise<LookupResult> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const url = this.url(name);
    try {
      const res = await this.fetcher(url, { headers: this.headers(), signal: combined });
      if (res.status === 404 || res.status === 410) {
        await res.text().catch(() => undefined);
        return { status: 'missing', source: 'network' };
      }
      if (res.status !== 200) {
        await res.text().catch(() => undefined);
        return { status: 'unknown', reason: `${url} answered HTTP ${res.status}` };
      }
      const metadata = this.parse(name, await res.text());
      return metadata
        ? { status: 'found', metadata, source: 'network' }
        : { status: 'missing', source: 'network' };
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return { status: 'unknown', reason: `${url} unreachable (${reason})` };
    }
  }

  private cachePath(name: string): string | undefined {
    if (!this.cacheDir) return undefined;
    const digest = createHash('sha256').update(`${this.origin}\u0000${name}`).digest('hex');
    return path.join(this.cacheDir, this.ecosystem, digest.slice(0, 2), `${digest}.json`);
  }

  private async readCache(name: string): Promise<CacheEntry | undefined> {
    const file = this.cachePath(name);
    if (!file) return undefined;
    try {
      const entry = JSON.parse(await readFile(file, 'utf8')) as CacheEntry;
      return entry.name === name && (entry.status === 'missing' || entry.metadata)
        ? entry
        : undefined;
    } catch {
      return undefined;
    }
  }

  private async writeCache(entry: CacheEntry): Promise<void> {
    const file = this.cachePath(entry.name);
    if (!file) return;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, JSON.stringify(entry));
      await rename(tmp, file);
    } catch {
      // A cache we cannot write only costs a request next time.
    }
  }
}

function fromEntry(entry: CacheEntry, source: LookupSource): LookupResult {
  return entry.status === 'found' && entry.metadata
    ? { status: 'found', metadata: entry.metadata, source }
    : { status: 'missing', source };
}

/** npm registry: GET /<name> with the abbreviated ("corgi") packument. */
export class NpmRegistryClient extends HttpRegistryClient {
  readonly ecosystem = 'npm' as const;
  constructor(options: HttpRegistryOptions = {}) {
    super('https://registry.npmjs.org', options);
  }
  protected url(name: string): string {
    return `${this.origin}/${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`;
  }
  protected headers(): Record<string, string> {
    return {
      accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*',
      'user-agent': 'quantumlayer-validators',
    };
  }
  protected parse(name: string, body: string): PackageMetadata | undefined {
    const doc = JSON.parse(body) as {
      name?: string;
      versions?: Record<string, unknown>;
      'dist-tags'?: Record<string, string>;
    };
    if (!doc.versions) return undefined;
    return {
      name: doc.name ?? name,
      versions: Object.keys(doc.versions),
      distTags: doc['dist-tags'] ?? {},
    };
  }
}

/** PyPI JSON API: GET /pypi/<name>/json. */
export class PypiRegistryClient extends HttpRegistryClient {
  readonly ecosystem = 'pypi' as const;
  constructor(options: HttpRegistryOptions = {}) {
    super('https://pypi.org', options);
  }
  protected override canonical(name: string): string {
    return normalizePyName(name);
  }
  protected url(name: string): string {
    return `${this.origin}/pypi/${encodeURIComponent(name)}/json`;
  }
  protected headers(): Record<string, string> {
    return { accept: 'application/json', 'user-agent': 'quantumlayer-validators' };
  }
  protected parse(name: string, body: string): PackageMetadata | undefined {
    const doc = JSON.parse(body) as {
      info?: { name?: string; version?: string };
      releases?: Record<string, unknown>;
    };
    if (!doc.info) return undefined;
    return {
      name: doc.info.name ?? name,
      versions: Object.keys(doc.releases ?? {}),
      distTags: doc.info.version ? { latest: doc.info.version } : {},
    };
  }
}

/** Go module proxy protocol: GET /<escaped module>/@v/list. */
export class GoProxyClient extends HttpRegistryClient {
  readonly ecosystem = 'go' as const;
  constructor(options: HttpRegistryOptions = {}) {
    super('https://proxy.golang.org', options);
  }
  protected url(name: string): string {
    // The proxy escapes upper-case letters as '!' + lower-case.
    return `${this.origin}/${name.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`)}/@v/list`;
  }
  protected headers(): Record<string, string> {
    return { 'user-agent': 'quantumlayer-validators' };
  }
  protected parse(name: string, body: string): PackageMetadata | undefined {
    const versions = body
      .split('\n')
      .map((v) => v.trim())
      .filter(Boolean);
    return { name, versions, distTags: {} };
  }
}

/**
 * Answers from a fixed table — for tests, air-gapped runs, or a snapshot of the registry.
 * Names not in the table are `missing` unless listed in `unknown`.
 */
export class MemoryRegistryClient implements RegistryClient {
  readonly origin: string;
  private readonly packages = new Map<string, PackageMetadata>();
  private readonly unknown: Set<string>;

  constructor(
    readonly ecosystem: Ecosystem,
    packages: Record<string, string[] | PackageMetadata>,
    options: { origin?: string; unknown?: string[] } = {},
  ) {
    this.origin = options.origin ?? 'fixture';
    for (const [name, value] of Object.entries(packages)) {
      const meta = Array.isArray(value)
        ? {
            name,
            versions: value,
            distTags: value.length ? { latest: value[value.length - 1]! } : {},
          }
        : value;
      this.packages.set(this.key(name), meta);
    }
    this.unknown = new Set((options.unknown ?? []).map((n) => this.key(n)));
  }

  static async fromFile(ecosystem: Ecosystem, file: string): Promise<MemoryRegistryClient> {
    const data = JSON.parse(await readFile(file, 'utf8')) as Record<
      string,
      string[] | PackageMetadata
    >;
    return new MemoryRegistryClient(ecosystem, data, { origin: `fixture ${path.basename(file)}` });
  }

  private key(name: string): string {
    return this.ecosystem === 'pypi' ? normalizePyName(name) : name;
  }

  async lookup(name: string): Promise<LookupResult> {
    const key = this.key(name);
    if (this.unknown.has(key))
      return { status: 'unknown', reason: `${this.origin} cannot answer for ${name}` };
    const meta = this.packages.get(key);
    return meta
      ? { status: 'found', metadata: meta, source: 'fixture' }
      : { status: 'missing', source: 'fixture' };
  }
}

export type RegistryClients = Partial<Record<Ecosystem, RegistryClient>>;

/** The public registries with the shared disk cache. */
export function defaultRegistryClients(options: HttpRegistryOptions = {}): RegistryClients {
  const { baseUrl: _ignored, ...shared } = options;
  return {
    npm: new NpmRegistryClient(shared),
    pypi: new PypiRegistryClient(shared),
    go: new GoProxyClient(shared),
  };
}
