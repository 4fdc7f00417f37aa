import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceFile } from '../../src/validators/index.js';

/** Fixtures are stored as `<name>.<ext>.fixture` so repo tooling (tsc, eslint, prettier) leaves them alone. */
export const FIXTURES = path.join(process.cwd(), 'services/codegen/test/validators/fixtures');

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** Reads a fixture file; its virtual path drops the `.fixture` suffix. */
export function fixture(rel: string, as?: string): SourceFile {
  const content = readFileSync(path.join(FIXTURES, rel), 'utf8');
  return { path: as ?? rel.replace(/\.fixture$/, ''), content };
}

/** Every fixture under `dir`, with paths relative to it (without the suffix). */
export function fixtureTree(dir: string): SourceFile[] {
  const root = path.join(FIXTURES, dir);
  const out: SourceFile[] = [];
  const visit = (abs: string) => {
    for (const name of readdirSync(abs).sort()) {
      const p = path.join(abs, name);
      if (statSync(p).isDirectory()) visit(p);
      else
        out.push({
          path: path
            .relative(root, p)
            .split(path.sep)
            .join('/')
            .replace(/\.fixture$/, ''),
          content: readFileSync(p, 'utf8'),
        });
    }
  };
  visit(root);
  return out;
}
