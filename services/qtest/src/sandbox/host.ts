import { execFile } from 'node:child_process';
import {
  access,
  constants as fsConstants,
  lstat,
  readdir,
  readFile,
  readlink,
} from 'node:fs/promises';
import { promisify } from 'node:util';

export const execFileP = promisify(execFile);

/** First executable named `name` in the usual system dirs and PATH, or null. */
export async function findBinary(name: string): Promise<string | null> {
  const dirs = ['/usr/bin', '/bin', '/usr/sbin', '/usr/local/bin'];
  for (const d of (process.env.PATH ?? '').split(':')) if (d && !dirs.includes(d)) dirs.push(d);
  for (const d of dirs) {
    const p = `${d}/${name}`;
    try {
      await access(p, fsConstants.X_OK);
      return p;
    } catch {
      // try the next dir
    }
  }
  return null;
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  uid: number;
  threads: number;
}

async function readProc(pid: number, withStatus: boolean): Promise<ProcInfo | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    let uid = -1;
    let threads = 1;
    if (withStatus) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    }
    return { pid, ppid, comm, uid, threads };
  } catch {
    return null; // gone meanwhile
  }
}

export async function listProcs(withStatus = false): Promise<ProcInfo[]> {
  const names = await readdir('/proc');
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
  const all = await Promise.all(pids.map((p) => readProc(p, withStatus)));
  return all.filter((p): p is ProcInfo => p !== null);
}

/** Descendants of `root` in breadth-first order (nearest first). */
export function descendants(procs: ProcInfo[], root: number): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const out: ProcInfo[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const c of byParent.get(pid) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** Tasks (threads included, as RLIMIT_NPROC counts them) that run under `uid` on this host. */
export async function tasksOfUid(uid: number): Promise<number> {
  const procs = await listProcs(true);
  return procs.filter((p) => p.uid === uid).reduce((n, p) => n + p.threads, 0);
}

/** How to recreate a top-level path (/lib, /bin, …) in the sandbox: a symlink or a read-only bind. */
export async function systemPathArgs(path: string): Promise<string[]> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) return ['--symlink', await readlink(path), path];
    if (st.isDirectory()) return ['--ro-bind', path, path];
  } catch {
    // absent on this distribution
  }
  return [];
}
