// Template files (`<stack>/files/**.eta`) are compiled into `<stack>/templates.generated.ts`, a
// plain data module, so that the service finds them the same way whether it runs from src (tsx,
// jest) or from dist (tsc does not copy .eta files) and needs no file-system lookup at runtime.
//
// Regenerate after editing a template:  node --import tsx services/codegen/src/templates/bundle.ts
// (test/templates/bundle.test.ts fails while a bundle is stale).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatFile } from './format.js';

export const BUNDLE_FILE = 'templates.generated.ts';

/** Every `.eta` file under `dir`, keyed by its POSIX path relative to `dir`, sorted. */
export async function readTemplates(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && e.name.endsWith('.eta'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
  const out: Record<string, string> = {};
  for (const name of names) out[name] = await readFile(path.join(dir, name), 'utf8');
  return out;
}

export async function bundleSource(templates: Readonly<Record<string, string>>): Promise<string> {
  const body = Object.entries(templates)
    .map(([name, content]) => `  ${JSON.stringify(name)}: ${JSON.stringify(content)},`)
    .join('\n');
  return formatFile(
    BUNDLE_FILE,
    `// Generated from ./files by ../bundle.ts — do not edit; edit the .eta files and regenerate.\n` +
      `export const TEMPLATES: Readonly<Record<string, string>> = {\n${body}\n};\n`,
  );
}

/** Stack directories (those with a files/ folder) under `root`. */
export async function stackDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const dirs: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const files: string[] = await readdir(path.join(root, e.name)).catch(() => []);
    if (files.includes('files')) dirs.push(path.join(root, e.name));
  }
  return dirs.sort();
}

async function main(): Promise<void> {
  const root = path.resolve(process.argv[2] ?? 'services/codegen/src/templates');
  for (const dir of await stackDirs(root)) {
    const source = await bundleSource(await readTemplates(path.join(dir, 'files')));
    await writeFile(path.join(dir, BUNDLE_FILE), source);
    console.log(`wrote ${path.relative(process.cwd(), path.join(dir, BUNDLE_FILE))}`);
  }
}

if (/bundle\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
