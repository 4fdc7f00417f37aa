// The `ql` command's I/O captured, as the tests run it in-process.
import type { Io } from '../src/index.js';

export interface Captured extends Io {
  out: string[];
  err: string[];
}

export function io(cwd: string): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s), isTTY: false },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
    },
    cwd,
  };
}
