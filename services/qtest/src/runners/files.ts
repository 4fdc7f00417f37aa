import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Reports are small; anything bigger is a broken or hostile tool, not a report to parse. */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a file the project (untrusted code) may have written, as the service user: no path
 * component may be a symlink, so a test cannot plant `report.xml -> /etc/shadow` and have us
 * read the host's file. Undefined when the file is not there.
 */
export async function readProjectFile(
  root: string,
  rel: string,
  maxBytes = MAX_REPORT_BYTES,
): Promise<string | undefined> {
  const parts = rel.split('/').filter((p) => p && p !== '.');
  if (parts.includes('..')) throw new Error(`${rel}: must stay inside the project`);
  let path = root;
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    const st = await lstat(path).catch(() => null);
    if (!st) return undefined;
    const last = i === parts.length - 1;
    if (st.isSymbolicLink()) throw new Error(`${rel}: ${part} is a symlink; not followed`);
    if (!last && !st.isDirectory()) return undefined;
    if (last && !st.isFile()) throw new Error(`${rel}: not a regular file`);
  }
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (st.size > maxBytes) throw new Error(`${rel}: ${st.size} bytes, over the ${maxBytes} limit`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Names of the regular files in a project directory (no symlinks on the way), [] if absent. */
export async function listProjectFiles(root: string, rel: string): Promise<string[]> {
  const parts = rel.split('/').filter((p) => p && p !== '.');
  if (parts.includes('..')) throw new Error(`${rel}: must stay inside the project`);
  let path = root;
  for (const part of parts) {
    path = join(path, part);
    const st = await lstat(path).catch(() => null);
    if (!st?.isDirectory()) return [];
  }
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

/**
 * Directories named `name` under root, at most `depth` levels down, not inside skipped dirs
 * (dependency trees, VCS data). Symlinked directories are not followed.
 */
export async function findProjectDirs(
  root: string,
  name: string,
  depth: number,
  skip: ReadonlySet<string> = new Set(['node_modules', '.git']),
): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string, level: number): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory() || skip.has(e.name)) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === name) found.push(child);
      else if (level < depth) await walk(child, level + 1);
    }
  };
  await walk('', 0);
  return found.sort();
}

export async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null)) !== null;
}
