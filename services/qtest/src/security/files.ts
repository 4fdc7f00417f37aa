import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAuditedLockfile } from './lockfiles.js';

/** One project file as the codegen validators take it (POSIX path relative to the root). */
export interface ProjectFile {
  path: string;
  content: string;
}

export interface SkippedFile {
  path: string;
  reason: 'binary' | 'too-large' | 'symlink' | 'limit' | 'unreadable';
}

export interface ReadProjectOptions {
  /** Source files above this size are skipped (generated bundles, data dumps). Default 1 MiB. */
  maxFileBytes?: number;
  /** Lock files may be far larger than source and are only parsed, not scanned. Default 64 MiB. */
  maxLockfileBytes?: number;
  /** Stop reading after this many source files (default 5,000, codegen's validator limit). */
  maxFiles?: number;
  /** Stop reading after this many bytes of source (default 50 MB, codegen's validator limit). */
  maxTotalBytes?: number;
}

export interface ProjectFiles {
  /** Text files to scan (tool-written lock files excluded). */
  files: ProjectFile[];
  /** Lock files the dependency audit reads. */
  lockfiles: ProjectFile[];
  skipped: SkippedFile[];
  /** Lock files of formats the audit does not read (pnpm-lock.yaml, yarn.lock, poetry.lock …). */
  unauditedLockfiles: string[];
}

/**
 * Directories that hold installed dependencies, VCS data or build output: not the project's
 * code, and scanning them would flood the report with other people's findings.
 */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  'dist',
  'coverage',
  '.nyc_output',
  '.next',
  '.turbo',
  '.cache',
  '.venv',
  'venv',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  '.tox',
  'target',
  'vendor',
]);

/**
 * Lock files written by tools: parsed by the audit, not scanned (the secret scanner skips them
 * too, and they are large). requirements*.txt is hand-written, so it is both audited and scanned.
 */
const MACHINE_LOCKFILE =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|poetry\.lock|Pipfile\.lock|uv\.lock|go\.sum|Cargo\.lock|composer\.lock|Gemfile\.lock)$/;

function isBinary(buf: Buffer): boolean {
  if (buf.subarray(0, 8000).includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return false;
  } catch {
    return true;
  }
}

/**
 * Reads a project from disk for scanning. Symbolic links are never followed: the project is
 * untrusted and a link could point anywhere on the host. The walk is sorted, so reports are
 * stable from run to run.
 */
export async function readProjectFiles(
  root: string,
  options: ReadProjectOptions = {},
): Promise<ProjectFiles> {
  const maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
  const maxLockBytes = options.maxLockfileBytes ?? 64 * 1024 * 1024;
  const maxFiles = options.maxFiles ?? 5000;
  const maxTotal = options.maxTotalBytes ?? 50 * 1000 * 1000;
  const out: ProjectFiles = { files: [], lockfiles: [], skipped: [], unauditedLockfiles: [] };
  let total = 0;

  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) {
        out.skipped.push({ path, reason: 'symlink' });
        continue;
      }
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) await visit(path);
        continue;
      }
      if (!e.isFile()) continue;
      const lock = isAuditedLockfile(path);
      const scan = !MACHINE_LOCKFILE.test(path);
      if (!lock && !scan) {
        out.unauditedLockfiles.push(path);
        continue;
      }
      let size: number;
      try {
        size = (await lstat(join(root, path))).size;
      } catch {
        out.skipped.push({ path, reason: 'unreadable' });
        continue;
      }
      if (size > (scan ? maxFileBytes : maxLockBytes)) {
        out.skipped.push({ path, reason: 'too-large' });
        continue;
      }
      if (scan && (out.files.length >= maxFiles || total + size > maxTotal)) {
        out.skipped.push({ path, reason: 'limit' });
        continue;
      }
      let buf: Buffer;
      try {
        buf = await readFile(join(root, path));
      } catch {
        out.skipped.push({ path, reason: 'unreadable' });
        continue;
      }
      if (isBinary(buf)) {
        out.skipped.push({ path, reason: 'binary' });
        continue;
      }
      const file = { path, content: buf.toString('utf8') };
      if (lock) out.lockfiles.push(file);
      if (scan) {
        out.files.push(file);
        total += size;
      }
    }
  };
  await visit('');
  return out;
}
