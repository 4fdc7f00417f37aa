import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { ReadOnlyBind } from '../sandbox/index.js';
import { findBinary } from '../sandbox/host.js';
import { ToolchainUnavailableError } from './errors.js';
import type { RunnerKind, ToolchainOptions } from './schema.js';

const execFileP = promisify(execFile);

/** What a runner needs from the host inside the sandbox, beyond /usr and node. */
export interface Toolchain {
  readOnlyBinds: ReadOnlyBind[];
  extraPath: string[];
  env: Record<string, string>;
  notes: string[];
}

/** Already visible in every sandbox (see sandbox/runner.ts). */
const SANDBOX_SYSTEM = ['/usr', '/etc/alternatives', '/etc/ssl', '/etc/ca-certificates'];

function visibleInSandbox(path: string): boolean {
  return SANDBOX_SYSTEM.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Runs a trusted host binary to ask where its toolchain lives. Never in the project's directory:
 * a rust-toolchain.toml, a .python-version or a local module there must not steer (or run in)
 * a host-side probe.
 */
async function probe(file: string, args: string[]): Promise<string> {
  const { stdout } = await execFileP(file, args, {
    cwd: '/',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? homedir() },
  });
  return stdout.trim();
}

async function firstOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir.startsWith('/')) continue;
    const path = join(dir, name);
    if (
      await access(path, fsConstants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

async function requireBinary(runner: RunnerKind, name: string, hint: string): Promise<string> {
  const found = await findBinary(name);
  if (!found) throw new ToolchainUnavailableError(runner, `no \`${name}\` on this host (${hint})`);
  return found;
}

function bindIfOutside(path: string): ReadOnlyBind[] {
  return visibleInSandbox(path) ? [] : [{ source: path }];
}

/**
 * Debian's JDK and maven link their configuration into /etc (jvm.cfg, security, m2.conf); the
 * sandbox shows only a few /etc entries, so the /etc/<name> directories they point into are
 * bound too (read-only; an operator's /etc/maven/settings.xml becomes readable by tests).
 */
async function linkedConfigDirs(root: string, maxEntries = 5000): Promise<string[]> {
  const dirs = new Set<string>();
  let budget = maxEntries;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (--budget < 0) return;
      const path = join(dir, e.name);
      if (e.isSymbolicLink()) {
        const target = await realpath(path).catch(() => null);
        if (!target || visibleInSandbox(target)) continue;
        const top = /^\/etc\/[^/]+/.exec(target)?.[0];
        if (top) dirs.add(top);
      } else if (e.isDirectory()) {
        await walk(path);
      }
    }
  };
  await walk(root);
  return [...dirs].sort();
}

// --- python -------------------------------------------------------------------------------

const PythonProbeSchema = z.object({
  executable: z.string(),
  prefix: z.string(),
  base_prefix: z.string(),
  version: z.string(),
  pytest: z.boolean(),
  coverage: z.boolean(),
});
type PythonProbe = z.infer<typeof PythonProbeSchema>;

const PYTHON_PROBE = [
  'import importlib.util as u, json, sys',
  'print(json.dumps({"executable": sys.executable, "prefix": sys.prefix,',
  ' "base_prefix": sys.base_prefix, "version": sys.version.split()[0],',
  ' "pytest": u.find_spec("pytest") is not None, "coverage": u.find_spec("coverage") is not None}))',
].join('\n');

async function probePython(candidate: string): Promise<PythonProbe | null> {
  try {
    // -I: isolated (no PYTHON* variables, no user site, no script dir on sys.path).
    return PythonProbeSchema.parse(JSON.parse(await probe(candidate, ['-I', '-c', PYTHON_PROBE])));
  } catch {
    return null;
  }
}

export interface PythonToolchain extends Toolchain {
  python: string;
  coverage: boolean;
}

/**
 * The interpreter pytest runs with: the one asked for, else the first of python3 on PATH
 * (pyenv's shim resolves to the real one) and /usr/bin/python3 that has pytest, preferring one
 * that also has coverage.py. Its prefix is bound read-only when it lives outside /usr.
 */
async function findPythonToolchain(opts: ToolchainOptions = {}): Promise<PythonToolchain> {
  const candidates: string[] = [];
  if (opts.python) candidates.push(opts.python);
  else {
    // PATH order here (not the system dirs first): the operator's PATH says which python3 is meant.
    const onPath = await firstOnPath('python3');
    if (onPath) candidates.push(onPath);
    if (!candidates.includes('/usr/bin/python3')) candidates.push('/usr/bin/python3');
  }
  const probes = (await Promise.all(candidates.map(probePython))).filter(
    (p): p is PythonProbe => p !== null,
  );
  const withPytest = probes.filter((p) => p.pytest);
  const chosen = opts.python
    ? withPytest[0]
    : (withPytest.find((p) => p.coverage) ?? withPytest[0]);
  if (!chosen) {
    const tried = candidates.join(', ');
    throw new ToolchainUnavailableError(
      'pytest',
      probes.length === 0
        ? `no Python interpreter found (tried ${tried})`
        : `no Python interpreter with pytest installed (tried ${tried})`,
    );
  }
  const roots = [...new Set([chosen.prefix, chosen.base_prefix].map((p) => resolve(p)))];
  const notes = chosen.coverage
    ? []
    : [`coverage: coverage.py is not installed for ${chosen.executable}; no coverage report`];
  return {
    python: chosen.executable,
    coverage: chosen.coverage,
    readOnlyBinds: roots.flatMap(bindIfOutside),
    extraPath: [dirname(chosen.executable)],
    // Bytecode caches would be written into the project copy (or fail on a read-only prefix).
    env: { PYTHONDONTWRITEBYTECODE: '1' },
    notes,
  };
}

// --- go -----------------------------------------------------------------------------------

async function findGoToolchain(): Promise<Toolchain> {
  const go = await requireBinary('go', 'go', 'Debian: apt-get install golang-go');
  const goroot = await probe(go, ['env', 'GOROOT']);
  const real = await realpath(go);
  return {
    readOnlyBinds: [
      ...bindIfOutside(goroot),
      ...(visibleInSandbox(real) ? [] : [{ source: dirname(real) }]),
    ],
    extraPath: [join(goroot, 'bin')],
    env: {
      // No module proxy inside the sandbox: modules must be vendored or already in the copy.
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      GOPATH: '/tmp/go',
      GOTELEMETRY: 'off',
    },
    notes: [],
  };
}

// --- rust ---------------------------------------------------------------------------------

/**
 * The default toolchain's sysroot (rustup keeps it in ~/.rustup, outside /usr). Binding the
 * sysroot and calling its cargo directly skips rustup's proxies, which would want a writable
 * RUSTUP_HOME; CARGO_HOME moves to the sandbox's /tmp for the same reason.
 */
async function findCargoToolchain(): Promise<Toolchain> {
  const rustc = await requireBinary(
    'cargo',
    'rustc',
    'install Rust with rustup or apt-get install cargo',
  );
  const sysroot = await probe(rustc, ['--print', 'sysroot']);
  const cargo = join(sysroot, 'bin', 'cargo');
  if (!(await stat(cargo).catch(() => null))) {
    throw new ToolchainUnavailableError('cargo', `no cargo in the Rust sysroot ${sysroot}`);
  }
  return {
    readOnlyBinds: bindIfOutside(sysroot),
    extraPath: [join(sysroot, 'bin')],
    env: { CARGO_HOME: '/tmp/cargo-home', CARGO_TERM_COLOR: 'never', CARGO_NET_OFFLINE: 'true' },
    notes: [
      'coverage: cargo test has no built-in coverage (cargo-llvm-cov/tarpaulin are not used)',
    ],
  };
}

// --- jvm ----------------------------------------------------------------------------------

/**
 * A JVM sizes its heap from physical memory (a quarter of it), not from the sandbox's memory limit
 * (RLIMIT_DATA, 4 GiB by default), so a large machine could let it grow past the limit and die
 * mid-compile instead of collecting. Maven's own JVM runs javac, so it gets fixed sizes; glibc's
 * per-thread malloc arenas are capped too.
 */
const JVM_ENV: Record<string, string> = {
  MAVEN_OPTS: '-Xmx768m -XX:ReservedCodeCacheSize=128m -XX:CompressedClassSpaceSize=256m',
  MALLOC_ARENA_MAX: '2',
};

async function javaHomeOf(binary: string): Promise<string> {
  return dirname(dirname(await realpath(binary)));
}

async function jvmBinds(homes: string[]): Promise<ReadOnlyBind[]> {
  const sources = new Set<string>();
  for (const home of homes) {
    for (const b of bindIfOutside(home)) sources.add(b.source);
    for (const dir of await linkedConfigDirs(home)) sources.add(dir);
  }
  return [...sources].map((source) => ({ source }));
}

/** Whether the per-run sandbox uid (neither owner nor group) can list and read `dir`. */
async function othersCanRead(dir: string): Promise<boolean> {
  const st = await stat(dir).catch(() => null);
  return st !== null && st.isDirectory() && (st.mode & 0o005) === 0o005;
}

/**
 * A copy of a private maven repository that the sandbox uid may read. ~/.m2 is usually 0700/0750
 * and tests run as a per-run uid, so the repository cannot be bound as it is; the mirror is made
 * once per process (cp -u copies only what changed) and holds artifacts only, no settings.
 */
const readableMirror = remembered(
  async (source: string, cacheDir: string): Promise<string> => {
    const dest = join(
      cacheDir,
      `m2-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`,
    );
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    await mkdir(dest, { recursive: true });
    await execFileP('cp', ['-R', '-u', '-P', '--no-preserve=mode,ownership', `${source}/.`, dest]);
    await execFileP('chmod', ['-R', 'a+rX,go-w', dest]);
    return dest;
  },
  (source) => source,
);

export interface MavenToolchain extends Toolchain {
  repository: string;
}

async function findMavenToolchain(opts: ToolchainOptions = {}): Promise<MavenToolchain> {
  const mvn = await requireBinary('maven', 'mvn', 'Debian: apt-get install maven');
  const java = await requireBinary('maven', 'java', 'Debian: apt-get install default-jdk-headless');
  const source = opts.mavenRepository ?? join(homedir(), '.m2', 'repository');
  const notes: string[] = [];
  let repository = source;
  if (!(await stat(source).catch(() => null))?.isDirectory()) {
    notes.push(`maven: no local repository at ${source}; offline resolution will fail`);
    repository = join(opts.cacheDir ?? join(tmpdir(), 'ql-qtest-cache'), 'm2-empty');
    await mkdir(repository, { recursive: true, mode: 0o755 });
  } else if (!(await othersCanRead(source))) {
    repository = await readableMirror(source, opts.cacheDir ?? join(tmpdir(), 'ql-qtest-cache'));
  }
  return {
    repository,
    readOnlyBinds: [
      ...(await jvmBinds([await javaHomeOf(java), await javaHomeOf(mvn)])),
      { source: repository },
    ],
    extraPath: [],
    env: JVM_ENV,
    notes,
  };
}

async function findGradleToolchain(): Promise<Toolchain> {
  const gradle = await requireBinary('gradle', 'gradle', 'a gradle distribution on PATH');
  const java = await requireBinary(
    'gradle',
    'java',
    'Debian: apt-get install default-jdk-headless',
  );
  return {
    readOnlyBinds: await jvmBinds([await javaHomeOf(java), await javaHomeOf(gradle)]),
    extraPath: [dirname(await realpath(gradle))],
    env: { ...JVM_ENV, GRADLE_USER_HOME: '/tmp/gradle-home' },
    notes: [
      'gradle: runs offline with an empty GRADLE_USER_HOME, so only projects without external dependencies resolve',
    ],
  };
}

/**
 * Once per key and process: a toolchain does not change under a running service, and probing
 * spawns processes and walks JDK trees on every run (the test-generation and healing loops run
 * many). A failure is forgotten, so a toolchain installed later is found.
 */
function remembered<A extends unknown[], T>(
  fn: (...args: A) => Promise<T>,
  key: (...args: A) => string,
): (...args: A) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (...args) => {
    const k = key(...args);
    let pending = cache.get(k);
    if (!pending) {
      pending = fn(...args);
      cache.set(k, pending);
      pending.catch(() => cache.delete(k));
    }
    return pending;
  };
}

const optionsKey = (opts: ToolchainOptions = {}) => JSON.stringify(opts);
export const pythonToolchain = remembered(findPythonToolchain, optionsKey);
export const goToolchain = remembered(findGoToolchain, () => '');
export const cargoToolchain = remembered(findCargoToolchain, () => '');
export const mavenToolchain = remembered(findMavenToolchain, optionsKey);
export const gradleToolchain = remembered(findGradleToolchain, () => '');
