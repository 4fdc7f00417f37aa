import { constants } from 'node:os';
import type { SandboxLimits, StoppedBy } from './limits.js';

export interface Rusage {
  elapsedS: number;
  userS: number;
  systemS: number;
  maxRssKb: number;
  exitStatus: number;
  /** Set when GNU time saw the command die of a signal. */
  termSignal: number | null;
}

/**
 * GNU time writes to stderr after the command has exited, so its lines are the last ones.
 * The marker carries a per-run nonce; we strip it (and time's "Command ..." line) from stderr.
 */
export function timeFormat(nonce: string): string {
  return `\n@@ql-rusage ${nonce} %e %U %S %M %x`;
}

export function extractRusage(
  stderr: string,
  nonce: string,
): { stderr: string; rusage: Rusage | null } {
  const marker = `@@ql-rusage ${nonce} `;
  const at = stderr.lastIndexOf(`\n${marker}`);
  if (at < 0) return { stderr, rusage: null };
  const line = stderr.slice(at + 1 + marker.length).split('\n')[0] ?? '';
  const [e, u, s, m, x] = line.trim().split(/\s+/).map(Number);
  let before = stderr.slice(0, at);
  let termSignal: number | null = null;
  const status =
    /(?<=^|\n)Command (terminated by signal (\d+)|exited with non-zero status \d+)\n?$/.exec(
      before,
    );
  if (status) {
    if (status[2] !== undefined) termSignal = Number(status[2]);
    before = before.slice(0, status.index);
  }
  if ([e, u, s, m, x].some((v) => v === undefined || !Number.isFinite(v))) {
    return { stderr: before, rusage: null };
  }
  return {
    stderr: before,
    rusage: {
      elapsedS: e as number,
      userS: u as number,
      systemS: s as number,
      maxRssKb: m as number,
      exitStatus: x as number,
      termSignal,
    },
  };
}

export function signalName(num: number): string | null {
  for (const [name, n] of Object.entries(constants.signals)) if (n === num) return name;
  return null;
}

export interface InferInput {
  signal: string | null;
  exitCode: number | null;
  stderr: string;
  cpuMs: number;
  limits: SandboxLimits;
  /** A stop the runner itself made (wall timer, output cap, abort). */
  runnerStop?: 'wall-time' | 'output' | 'aborted';
}

const EVIDENCE: ReadonlyArray<[Exclude<StoppedBy, 'wall-time' | 'output' | 'aborted'>, RegExp]> = [
  [
    'memory',
    /JavaScript heap out of memory|Array buffer allocation failed|Fatal process out of memory|Cannot allocate memory|\bENOMEM\b|std::bad_alloc|MemoryError|out of memory/i,
  ],
  [
    'processes',
    /Cannot fork|fork: (?:retry: )?Resource temporarily unavailable|spawn(?: \S+)? EAGAIN|\bEAGAIN\b.*(?:spawn|fork)|pthread_create|Resource temporarily unavailable/i,
  ],
  ['file-size', /\bEFBIG\b|File size limit exceeded|File too large/i],
  ['open-files', /\bEMFILE\b|Too many open files/i],
];

/** Which limit stopped the command, from the signal, exit code and what it printed. */
export function inferStop(input: InferInput): { stoppedBy?: StoppedBy; reason?: string } {
  const { signal, stderr, cpuMs, limits, runnerStop } = input;
  if (runnerStop === 'aborted') return { stoppedBy: 'aborted', reason: 'aborted by the caller' };
  if (runnerStop === 'output') {
    return { stoppedBy: 'output', reason: 'output exceeded maxOutputBytes; killed' };
  }
  if (signal === 'SIGXCPU') {
    return { stoppedBy: 'cpu-time', reason: `SIGXCPU after ${limits.cpuSeconds}s of CPU` };
  }
  if (signal === 'SIGXFSZ') {
    return { stoppedBy: 'file-size', reason: `SIGXFSZ: wrote past ${limits.fileSizeBytes} bytes` };
  }
  if (signal === 'SIGKILL' && !runnerStop && cpuMs >= limits.cpuSeconds * 1000 - 50) {
    return { stoppedBy: 'cpu-time', reason: `SIGKILL at the hard CPU limit (${cpuMs} ms)` };
  }
  // Kernel limits show up as failed syscalls the program reports; judge only its last words.
  const failed = signal !== null || (input.exitCode !== null && input.exitCode !== 0);
  const tail = stderr.slice(-8192);
  if (failed) {
    for (const [kind, re] of EVIDENCE) {
      const m = re.exec(tail);
      if (m) {
        const after = runnerStop === 'wall-time' ? ', then killed at the wall-time limit' : '';
        return { stoppedBy: kind, reason: `${describeLimit(kind, limits)}: "${m[0]}"${after}` };
      }
    }
  }
  if (runnerStop === 'wall-time') {
    return { stoppedBy: 'wall-time', reason: `killed after ${limits.wallMs} ms of wall time` };
  }
  return {};
}

/** The limit behind a stop, in words (`memory limit (N bytes of data) reached`). */
export function describeLimit(kind: StoppedBy, limits: SandboxLimits): string {
  switch (kind) {
    case 'cpu-time':
      return `CPU limit (${limits.cpuSeconds}s) reached`;
    case 'memory':
      return `memory limit (${limits.memoryBytes} bytes of data) reached`;
    case 'processes':
      return `process limit (${limits.processes} tasks) reached`;
    case 'file-size':
      return `file size limit (${limits.fileSizeBytes} bytes) reached`;
    case 'open-files':
      return `open files limit (${limits.openFiles}) reached`;
    default:
      return kind;
  }
}
