// The packages of an npm lock file (package-lock.json / npm-shrinkwrap.json, lockfileVersion 2
// or 3: the flat "packages" map that npm 7+ writes). Version 1 lock files (npm 6) are refused
// with a message saying so; the codegen templates never produce them.
import { z } from 'zod';

/** Lock-file names recorded in the manifest's `lockFiles` (any depth of the project). */
export const LOCK_FILE_NAMES: ReadonlySet<string> = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'bun.lock',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'Cargo.lock',
  'go.sum',
  'Gemfile.lock',
  'composer.lock',
  'gradle.lockfile',
]);

/** npm lock files the SBOM is built from, in order of preference (project root only). */
export const NPM_LOCK_FILES = ['npm-shrinkwrap.json', 'package-lock.json'] as const;

export interface LockedPackage {
  /** Full name, with scope: "@fastify/jwt". */
  name: string;
  version: string;
  /** Where it is installed: "node_modules/a/node_modules/b". */
  path: string;
  resolved?: string;
  /** Subresource-integrity string, e.g. "sha512-…". */
  integrity?: string;
  license?: string;
  dev: boolean;
  optional: boolean;
}

export interface NpmLock {
  root: { name?: string; version?: string };
  packages: LockedPackage[];
}

export class LockfileParseError extends Error {
  override readonly name = 'LockfileParseError';
}

const PackageEntrySchema = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  resolved: z.string().optional(),
  integrity: z.string().optional(),
  license: z.string().optional(),
  link: z.boolean().optional(),
  dev: z.boolean().optional(),
  optional: z.boolean().optional(),
  devOptional: z.boolean().optional(),
  inBundle: z.boolean().optional(),
});

const LockSchema = z.looseObject({
  name: z.string().optional(),
  version: z.string().optional(),
  lockfileVersion: z.number().int(),
  packages: z.record(z.string(), PackageEntrySchema).optional(),
});

/** Name of the package installed at `path` ("node_modules/@a/b/node_modules/c" → "c"). */
function nameFromPath(path: string): string | undefined {
  const i = path.lastIndexOf('node_modules/');
  if (i === -1) return undefined;
  const name = path.slice(i + 'node_modules/'.length);
  return name === '' ? undefined : name;
}

/**
 * Every installed package of an npm lock file (workspace links and the root project excluded),
 * sorted by install path.
 */
export function parseNpmLock(text: string): NpmLock {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LockfileParseError(`not JSON: ${(err as Error).message}`);
  }
  const parsed = LockSchema.safeParse(json);
  if (!parsed.success) {
    throw new LockfileParseError(`not an npm lock file: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  const lock = parsed.data;
  if (lock.lockfileVersion < 2 || lock.packages === undefined) {
    throw new LockfileParseError(
      `lockfileVersion ${lock.lockfileVersion} is not supported (npm 7+ writes 2 or 3)`,
    );
  }
  const root = lock.packages[''] ?? {};
  const packages: LockedPackage[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.link === true) continue;
    // Entries outside node_modules are workspace folders (the target of a link): not packages.
    const name = entry.name ?? nameFromPath(path);
    if (name === undefined || !path.includes('node_modules/')) continue;
    if (entry.version === undefined) {
      throw new LockfileParseError(`package "${path}" has no version`);
    }
    packages.push({
      name,
      version: entry.version,
      path,
      ...(entry.resolved !== undefined ? { resolved: entry.resolved } : {}),
      ...(entry.integrity !== undefined ? { integrity: entry.integrity } : {}),
      ...(entry.license !== undefined ? { license: entry.license } : {}),
      dev: entry.dev === true || entry.devOptional === true,
      optional: entry.optional === true,
    });
  }
  packages.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    root: {
      ...((root.name ?? lock.name) !== undefined ? { name: root.name ?? lock.name } : {}),
      ...((root.version ?? lock.version) !== undefined
        ? { version: root.version ?? lock.version }
        : {}),
    },
    packages,
  };
}
