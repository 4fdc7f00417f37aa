import { cp, lstat } from 'node:fs/promises';
import { basename, relative, sep } from 'node:path';
import { CACHE_DIR, REPORT_DIR } from './plan.js';
import type { RunnerKind } from './schema.js';

/** Left behind by tools and earlier runs anywhere in a tree; never part of a clean copy. */
const ANYWHERE = new Set(['.git', '.hg', '.svn', '__pycache__', '.pytest_cache', '.hypothesis']);

/** Top-level build and report output, per runner (a `target/` in a JS project is source). */
const OUTPUTS: Record<RunnerKind, readonly string[]> = {
  jest: ['coverage', '.nyc_output'],
  vitest: ['coverage'],
  'node-test': ['coverage'],
  pytest: ['htmlcov', '.coverage'],
  go: [],
  cargo: ['target'],
  maven: ['target'],
  gradle: ['build', '.gradle'],
};

/**
 * Copies the project the way the quality gate wants it: sources as they are, without VCS data,
 * earlier build and report output or (when dependencies will be installed) node_modules.
 * Symlinks are copied as links, never followed (the project is untrusted: a link to /etc stays a
 * link, and inside the sandbox it points at the sandbox's own /etc). Sockets, FIFOs and devices
 * are left out.
 */
export async function copyProject(
  src: string,
  dest: string,
  opts: { runner: RunnerKind; dropNodeModules: boolean },
): Promise<void> {
  const topLevel = new Set([REPORT_DIR, CACHE_DIR, ...OUTPUTS[opts.runner]]);
  if (opts.dropNodeModules) topLevel.add('node_modules');
  await cp(src, dest, {
    recursive: true,
    verbatimSymlinks: true,
    errorOnExist: true,
    force: false,
    filter: async (source) => {
      const rel = relative(src, source);
      if (rel === '') return true;
      const name = basename(source);
      if (ANYWHERE.has(name)) return false;
      if (!rel.includes(sep) && topLevel.has(name)) return false;
      const st = await lstat(source);
      return st.isFile() || st.isDirectory() || st.isSymbolicLink();
    },
  });
}
