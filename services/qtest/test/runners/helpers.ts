import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectTestResult } from '../../src/runners/index.js';

export const FIXTURES = join(__dirname, 'fixtures');

/** The first executable `name` in PATH order, then the system dirs. */
export function onPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/bin'];
  for (const d of dirs) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * `describe`, or a visible `describe.skip` whose title says why: only for a toolchain that is
 * genuinely absent on this machine (a clean CI host may lack go or cargo).
 */
export function describeWhen(missing: string | undefined, name: string, fn: () => void): void {
  if (missing === undefined) describe(name, fn);
  else describe.skip(`${name} — SKIPPED: ${missing}`, fn);
}

export function python(candidate: string, code: string): string | undefined {
  const r = spawnSync(candidate, ['-I', '-c', code], { cwd: '/', encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** A digest of a directory tree (names, modes, contents), to show a run left it untouched. */
export function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(dir, rel, name);
      const st = statSync(path);
      hash.update(`${rel}/${name}:${st.mode}\n`);
      if (st.isDirectory()) walk(join(rel, name));
      else hash.update(readFileSync(path));
    }
  };
  walk('');
  return hash.digest('hex');
}

/** [id, status] pairs, the shape most assertions compare. */
export function statuses(result: ProjectTestResult): Array<[string, string]> {
  return result.report.tests.map((t) => [t.id, t.status]);
}
