import type { ChangedFile } from './change.js';

/**
 * Failures that say something about the machine the tests ran on rather than about the code:
 * the network (off in the sandbox), limits, permissions, ports, missing toolchains or packages.
 * Matched on the failure text with stack frames removed (frame names like `runWithTimeout`
 * would otherwise look like timeouts).
 */
const PATTERNS: Array<{ re: RegExp; what: string }> = [
  // Timeouts: on a loaded 2-core sandbox a slow test is not evidence of a bug by itself.
  { re: /Exceeded timeout of \d+ ?ms/, what: 'test timeout (jest)' },
  { re: /Test timed out in \d+ ?ms/, what: 'test timeout (vitest)' },
  { re: /Timeout of \d+ ?ms exceeded/, what: 'test timeout (mocha)' },
  { re: /test timed out after \d+ ?ms/i, what: 'test timeout (node:test)' },
  { re: /Failed: Timeout >[\d.]+s/, what: 'test timeout (pytest-timeout)' },
  { re: /panic: test timed out after/, what: 'test timeout (go test)' },
  // Network: the sandbox runs with the network off.
  {
    re: /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/,
    what: 'network',
  },
  { re: /ConnectionRefusedError|Connection refused|\[Errno 111\]/, what: 'network' },
  {
    re: /Name or service not known|Temporary failure in name resolution|getaddrinfo|nodename nor servname/,
    what: 'network (DNS)',
  },
  { re: /Network is unreachable|No route to host/, what: 'network' },
  // Resources and limits.
  {
    re: /JavaScript heap out of memory|\bENOMEM\b|Cannot allocate memory|\bMemoryError\b/,
    what: 'memory',
  },
  { re: /\bEMFILE\b|too many open files/i, what: 'open files limit' },
  { re: /\bENOSPC\b|No space left on device/, what: 'disk space' },
  { re: /\bEAGAIN\b.*spawn|fork: Resource temporarily unavailable/, what: 'process limit' },
  // Permissions and ports.
  {
    re: /\bEACCES\b|\bEPERM\b|PermissionError|Permission denied|operation not permitted/,
    what: 'permissions',
  },
  { re: /\bEADDRINUSE\b|[Aa]ddress already in use/, what: 'port in use' },
  // Toolchain.
  { re: /spawn (\S+) ENOENT/, what: 'missing executable' },
  {
    re: /: command not found|^(?:\/bin\/)?(?:ba|da|z)?sh: (?:\d+: )?\S+: not found/m,
    what: 'missing executable',
  },
];

const JS_MISSING = /Cannot find (?:module|package) '([^']+)'/;
const PY_MISSING = /No module named '([^']+)'/;

/** The first line of the text that matched, shortened: the evidence a reader can check. */
function quote(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  const line = text.slice(start, end < 0 ? undefined : end).trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Source paths a Python module name could be (`a.b` → a/b.py, a/b/__init__.py). */
function pythonPaths(module: string): string[] {
  const base = module.replace(/\./g, '/');
  return [`${base}.py`, `${base}/__init__.py`];
}

/** A change that removed or renamed the module, or dropped it from a manifest, caused this. */
function changeRemoved(
  spec: string,
  files: readonly ChangedFile[],
  python: boolean,
): string | undefined {
  const gone = files.filter((f) => f.deleted || f.oldPath);
  const candidates = python ? pythonPaths(spec) : [spec.replace(/^(\.\.?\/)+/, '')];
  for (const f of gone) {
    const old = f.oldPath ?? f.path;
    if (candidates.some((c) => old === c || old.endsWith(`/${c}`) || stem(old).endsWith(stem(c)))) {
      return `${old} was ${f.deleted ? 'deleted' : `renamed to ${f.path}`} by the change`;
    }
  }
  const pkg = python
    ? spec.split('.')[0]!
    : spec.startsWith('@')
      ? spec.split('/').slice(0, 2).join('/')
      : spec.split('/')[0]!;
  for (const f of files) {
    if (
      !/(^|\/)(package\.json|requirements[^/]*\.txt|pyproject\.toml|setup\.py|go\.mod)$/.test(
        f.path,
      )
    )
      continue;
    const removed = f.removed.find(
      (l) => l.text.includes(`"${pkg}"`) || new RegExp(`^\\s*${escape(pkg)}\\b`, 'i').test(l.text),
    );
    const readded = f.added.some(
      (l) => l.text.includes(`"${pkg}"`) || new RegExp(`^\\s*${escape(pkg)}\\b`, 'i').test(l.text),
    );
    if (removed && !readded) return `the change removed ${pkg} from ${f.path}:${removed.line}`;
  }
  return undefined;
}

const stem = (p: string) => p.replace(/\.[cm]?[jt]sx?$|\.py$/, '').replace(/\/index$/, '');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type EnvironmentVerdict =
  { kind: 'environment'; evidence: string } | { kind: 'regression'; evidence: string };

/**
 * Environment evidence in a failure text, or a regression when the text names a missing module
 * that the code change itself removed (or that is the project's own, relative import).
 */
export function environmentEvidence(
  text: string,
  files: readonly ChangedFile[] = [],
): EnvironmentVerdict | undefined {
  const js = JS_MISSING.exec(text);
  const py = PY_MISSING.exec(text);
  const missing = js ?? py;
  if (missing) {
    const spec = missing[1]!;
    const line = quote(text, missing.index);
    if (js && /^(\.|\/)/.test(spec)) {
      return {
        kind: 'regression',
        evidence: `${line}: a relative import of the project's own code`,
      };
    }
    const caused = changeRemoved(spec, files, !js);
    if (caused) return { kind: 'regression', evidence: `${line}: ${caused}` };
    return { kind: 'environment', evidence: `missing package: ${line}` };
  }
  for (const { re, what } of PATTERNS) {
    const m = re.exec(text);
    if (m) return { kind: 'environment', evidence: `${what}: ${quote(text, m.index)}` };
  }
  return undefined;
}
