import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import { extractRusage, inferStop, signalName, timeFormat } from './detect.js';
import { SandboxUnavailableError } from './errors.js';
import {
  descendants,
  execFileP,
  findBinary,
  listProcs,
  systemPathArgs,
  tasksOfUid,
} from './host.js';
import {
  resolveLimits,
  runOptionsSchema,
  type ReadOnlyBind,
  type RunSandboxedOptions,
  type SandboxLimits,
  type SandboxResult,
} from './limits.js';

/** Where the project directory appears inside the sandbox. */
export const SANDBOX_WORKDIR = '/project';
const DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;
/** After the runner's SIGKILL of the command, how long until it kills the whole sandbox. */
const KILL_GRACE_MS = 1000;

/**
 * Files from /etc a build needs (DNS, TLS roots, alternatives symlinks, time zone). The rest of
 * /etc (passwd, shadow, service config) stays out of sight.
 */
const ETC_FILES = [
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ssl',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/nsswitch.conf',
  '/etc/localtime',
  '/etc/ld.so.cache',
];

/**
 * Uids handed to sandboxes when the service runs as root. RLIMIT_NPROC counts tasks per real
 * uid across the whole host and root is exempt from it, so a root sandbox must drop to a uid that
 * nobody else uses: then the process limit counts exactly the sandbox's own tasks.
 */
const SANDBOX_UID_BASE = 1_100_000;
const SANDBOX_UID_SPAN = 800_000;
let uidCounter = 0;

function nextSandboxUid(): number {
  uidCounter = (uidCounter + 1) % 1000;
  return (
    SANDBOX_UID_BASE + (((process.pid % SANDBOX_UID_SPAN) * 1000 + uidCounter) % SANDBOX_UID_SPAN)
  );
}

interface Tools {
  bwrap: string;
  prlimit: string;
  setpriv: string | null;
  time: string | null;
  chown: string | null;
}

async function findTools(): Promise<Tools> {
  const [bwrap, prlimit, setpriv, time, chown] = await Promise.all(
    ['bwrap', 'prlimit', 'setpriv', 'time', 'chown'].map(findBinary),
  );
  if (!bwrap) throw new SandboxUnavailableError('bwrap (bubblewrap) is not installed');
  if (!prlimit) throw new SandboxUnavailableError('prlimit (util-linux) is not installed');
  const root = process.getuid?.() === 0;
  if (root && (!setpriv || !chown)) {
    throw new SandboxUnavailableError('running as root needs setpriv (util-linux) and chown');
  }
  return { bwrap, prlimit, setpriv: setpriv ?? null, time: time ?? null, chown: chown ?? null };
}

/** bwrap options shared by every run: namespaces, file system view, environment. */
async function bwrapArgs(o: {
  workDir: string;
  network: boolean;
  root: boolean;
  env: Record<string, string>;
  readOnlyBinds: ReadOnlyBind[];
}): Promise<string[]> {
  const args: string[] = [];
  if (o.root) {
    // Real root needs no user namespace to mount; with one, bwrap would map only uid 0 and we
    // could not switch to the per-run uid. Every other namespace is still private.
    args.push('--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try');
    if (!o.network) args.push('--unshare-net');
  } else {
    args.push('--unshare-all');
    if (o.network) args.push('--share-net');
  }
  args.push('--die-with-parent', '--new-session', '--hostname', 'sandbox');
  args.push('--ro-bind', '/usr', '/usr');
  for (const p of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    args.push(...(await systemPathArgs(p)));
  }
  const nodeDir = dirname(process.execPath);
  if (!nodeDir.startsWith('/usr/')) args.push('--ro-bind', dirname(nodeDir), dirname(nodeDir));
  // bwrap creates missing parents with the caller's umask; /etc must be readable by the sandbox uid.
  args.push('--perms', '0755', '--dir', '/etc');
  for (const f of ETC_FILES) args.push('--ro-bind-try', f, f);
  args.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp');
  args.push('--bind', o.workDir, SANDBOX_WORKDIR, '--chdir', SANDBOX_WORKDIR);
  // After the project bind, so a target inside the project is mounted over the copy.
  for (const bind of o.readOnlyBinds) args.push(...readOnlyBindArgs(bind));
  args.push('--clearenv');
  for (const [k, v] of Object.entries(o.env)) args.push('--setenv', k, v);
  return args;
}

/**
 * A read-only bind at its target. Parents outside the project are created 0755 first: bwrap
 * would make them with the caller's umask, and the per-run uid must be able to walk through
 * (e.g. /root/.pyenv/... where the host's /root is 0700; inside, /root is bwrap's own dir).
 */
function readOnlyBindArgs(bind: ReadOnlyBind): string[] {
  const target = posix.normalize(
    bind.target === undefined
      ? bind.source
      : isAbsolute(bind.target)
        ? bind.target
        : posix.join(SANDBOX_WORKDIR, bind.target),
  );
  const args: string[] = [];
  if (target !== SANDBOX_WORKDIR && !target.startsWith(`${SANDBOX_WORKDIR}/`)) {
    const parts = target.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      args.push('--perms', '0755', '--dir', `/${parts.slice(0, i).join('/')}`);
    }
  }
  args.push('--ro-bind', bind.source, target);
  return args;
}

function baseEnv(extraPath: string[] = []): Record<string, string> {
  const nodeBin = dirname(process.execPath);
  const path = ['/usr/local/bin', '/usr/bin', '/bin'];
  if (!path.includes(nodeBin)) path.unshift(nodeBin);
  path.unshift(...extraPath.filter((p) => !path.includes(p)));
  return { PATH: path.join(':'), HOME: '/tmp', TMPDIR: '/tmp', CI: 'true', LANG: 'C.UTF-8' };
}

/** Checks that bwrap is installed and can really build a sandbox on this host. */
export async function sandboxAvailable(): Promise<{ ok: boolean; reason?: string }> {
  let dir: string | undefined;
  try {
    // A throwaway dir: as root, the work dir is handed to the sandbox uid for the run.
    dir = await mkdtemp(join(tmpdir(), 'ql-sandbox-probe-'));
    const r = await runSandboxed({
      command: 'true',
      args: [],
      workDir: dir,
      limits: { wallMs: 10_000 },
    });
    if (r.exitCode === 0) return { ok: true };
    return {
      ok: false,
      reason: `test sandbox failed (${r.exitCode ?? r.signal}): ${r.stderr.trim()}`,
    };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs one command of an untrusted project under bubblewrap with prlimit limits, a wall clock
 * and an output cap. It never throws for the command's own failures: they are in the result.
 */
export async function runSandboxed(options: RunSandboxedOptions): Promise<SandboxResult> {
  const opts = runOptionsSchema.parse(options);
  const limits = resolveLimits(opts.limits);
  const tools = await findTools();
  const root = process.getuid?.() === 0;
  const maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const ws = await stat(opts.workDir).catch(() => null);
  if (!ws?.isDirectory()) throw new Error(`workDir: ${opts.workDir} is not a directory`);

  let nproc = limits.processes;
  const prefix: string[] = [];
  let sandboxUid: number | null = null;
  if (root && tools.setpriv && tools.chown) {
    sandboxUid = nextSandboxUid();
    prefix.push(
      tools.setpriv,
      `--reuid=${sandboxUid}`,
      `--regid=${sandboxUid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    );
    await execFileP(tools.chown, ['-R', '-h', '-P', `${sandboxUid}:${sandboxUid}`, opts.workDir]);
  } else {
    // Same uid as the service: the kernel counts all of its tasks on the host, so the budget
    // is what runs now plus the sandbox's share (racy when other runs start at the same time).
    nproc = (await tasksOfUid(process.getuid?.() ?? -1)) + limits.processes;
  }

  const nonce = randomBytes(8).toString('hex');
  if (tools.time) prefix.push(tools.time, '-f', timeFormat(nonce));
  prefix.push(
    tools.prlimit,
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--data=${limits.memoryBytes}`,
    `--nproc=${nproc}`,
    `--nofile=${limits.openFiles}`,
    `--fsize=${limits.fileSizeBytes}`,
    '--',
    opts.command,
    ...opts.args,
  );
  const env = { ...baseEnv(opts.extraPath), ...opts.env };
  const args = [
    ...(await bwrapArgs({
      workDir: opts.workDir,
      network: opts.network ?? false,
      root,
      env,
      readOnlyBinds: opts.readOnlyBinds ?? [],
    })),
    '--',
    ...prefix,
  ];

  try {
    return await execute(tools.bwrap, args, { limits, maxOutput, nonce, signal: opts.signal });
  } finally {
    if (sandboxUid !== null && tools.chown) {
      // Give the tree back (files the command made included); -h -P: never follow its symlinks.
      await execFileP(tools.chown, ['-R', '-h', '-P', `${ws.uid}:${ws.gid}`, opts.workDir]);
    }
  }
}

async function execute(
  bwrap: string,
  args: string[],
  ctx: { limits: SandboxLimits; maxOutput: number; nonce: string; signal: AbortSignal | undefined },
): Promise<SandboxResult> {
  const { limits, maxOutput, nonce } = ctx;
  const started = performance.now();
  const child = spawn(bwrap, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: {} });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outputBytes = 0;
  let runnerStop: 'wall-time' | 'output' | 'aborted' | undefined;
  let closed = false;
  let graceTimer: NodeJS.Timeout | undefined;

  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const stop = (why: 'wall-time' | 'output' | 'aborted'): void => {
    if (runnerStop || closed) return;
    runnerStop = why;
    void killCommand(child.pid).then((ok) => {
      if (!ok) killGroup();
    });
    graceTimer = setTimeout(killGroup, KILL_GRACE_MS);
  };

  // Any byte beyond the cap stops the command (a chunk that exactly fills the cap does not: the
  // next one does, whatever its size).
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    const room = maxOutput - outputBytes;
    if (room <= 0) {
      stop('output');
      return;
    }
    into.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    outputBytes += Math.min(chunk.length, room);
    if (chunk.length > room) stop('output');
  };
  child.stdout.on('data', collect(out));
  child.stderr.on('data', collect(err));

  const wallTimer = setTimeout(() => stop('wall-time'), limits.wallMs);
  const onAbort = (): void => stop('aborted');
  if (ctx.signal?.aborted) onAbort();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });

  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    },
  ).finally(() => {
    closed = true;
    clearTimeout(wallTimer);
    clearTimeout(graceTimer);
    ctx.signal?.removeEventListener('abort', onAbort);
  });
  const wallMs = Math.round(performance.now() - started);

  const { stderr, rusage } = extractRusage(Buffer.concat(err).toString('utf8'), nonce);
  let exitCode: number | null = code;
  let signal: string | null = sig;
  if (rusage) {
    signal = rusage.termSignal !== null ? signalName(rusage.termSignal) : null;
    exitCode = rusage.termSignal !== null ? null : rusage.exitStatus;
  } else if (signal === null && code !== null && code > 128 && code < 160) {
    // No GNU time: bwrap reports a signalled command as 128 + signal, like a shell.
    signal = signalName(code - 128);
    if (signal) exitCode = null;
  }
  const cpuUserMs = Math.round((rusage?.userS ?? 0) * 1000);
  const cpuSystemMs = Math.round((rusage?.systemS ?? 0) * 1000);
  const stop_ = inferStop({
    signal,
    exitCode,
    stderr,
    cpuMs: cpuUserMs + cpuSystemMs,
    limits,
    ...(runnerStop ? { runnerStop } : {}),
  });
  return {
    exitCode,
    signal,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr,
    wallMs,
    cpuUserMs,
    cpuSystemMs,
    ...(rusage ? { maxRssBytes: rusage.maxRssKb * 1024 } : {}),
    ...stop_,
  };
}

/**
 * Kills the command's process tree but not GNU time above it, so time still reports the CPU
 * used. Returns false when it could not find time (then the caller kills the whole sandbox).
 */
async function killCommand(rootPid: number | undefined): Promise<boolean> {
  if (rootPid === undefined) return false;
  for (let round = 0; round < 3; round++) {
    const tree = descendants(await listProcs(), rootPid);
    const time = tree.find((p) => p.comm === 'time');
    if (!time) return round > 0;
    const victims = descendants(tree, time.pid);
    if (victims.length === 0) return true;
    for (const v of victims) {
      try {
        process.kill(v.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export interface InstallStepOptions {
  workDir: string;
  /** Defaults to `npm ci --ignore-scripts --no-audit --no-fund`. */
  command?: string;
  args?: string[];
  network?: boolean;
  env?: Record<string, string>;
  limits?: Partial<SandboxLimits>;
  signal?: AbortSignal;
  maxOutputBytes?: number;
  readOnlyBinds?: ReadOnlyBind[];
  extraPath?: string[];
}

/**
 * Installs dependencies: the only step with the network on, and lifecycle scripts stay off
 * (flag and npm_config_ignore_scripts both, so a `.npmrc` in the project cannot turn them back).
 */
export function installStep(opts: InstallStepOptions): Promise<SandboxResult> {
  return runSandboxed({
    command: opts.command ?? 'npm',
    args: opts.args ?? ['ci', '--ignore-scripts', '--no-audit', '--no-fund'],
    workDir: opts.workDir,
    network: opts.network ?? true,
    env: { npm_config_ignore_scripts: 'true', npm_config_update_notifier: 'false', ...opts.env },
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.maxOutputBytes ? { maxOutputBytes: opts.maxOutputBytes } : {}),
    ...(opts.readOnlyBinds ? { readOnlyBinds: opts.readOnlyBinds } : {}),
    ...(opts.extraPath ? { extraPath: opts.extraPath } : {}),
  });
}
