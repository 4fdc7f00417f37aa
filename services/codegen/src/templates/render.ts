// Rendering a whole project: Requirements (and optionally a prebuilt Blueprint) in, files out,
// and writing them to a directory.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildBlueprint } from '../blueprint/build.js';
import type { Blueprint, Requirements, RequirementsInput } from '../domain/artifacts/index.js';
import { isSafeProjectPath, RequirementsSchema } from '../domain/artifacts/index.js';
import type { LockfileProvider } from './lockfile.js';
import { NpmLockfileProvider } from './lockfile.js';
import type { StackRegistry } from './registry.js';
import { DEFAULT_STACK, defaultStacks } from './registry.js';
import type { RenderedFile } from './types.js';
import { TemplateInputError } from './types.js';

export interface RenderProjectInput {
  requirements: Requirements | RequirementsInput;
  /** Built from the requirements with `stack` when absent. */
  blueprint?: Blueprint;
  /** Stack id when no blueprint is given (default "ts-fastify"). */
  stack?: string;
}

export interface RenderProjectOptions {
  registry?: StackRegistry;
  /** Lock file source; default: npm with the on-disk cache. `null`: render no lock file. */
  lockfiles?: LockfileProvider | null;
  signal?: AbortSignal;
}

export interface RenderedProject {
  blueprint: Blueprint;
  /** Sorted by path. */
  files: RenderedFile[];
}

let sharedLockfiles: NpmLockfileProvider | undefined;

/**
 * Renders the project of `input.requirements` with its stack's templates: deterministic (the
 * same input gives byte-identical files) and formatted. The lock file comes from npm, cached per
 * dependency set (see lockfile.ts).
 */
export async function renderProject(
  input: RenderProjectInput,
  options: RenderProjectOptions = {},
): Promise<RenderedProject> {
  const registry = options.registry ?? defaultStacks();
  const requirements = RequirementsSchema.parse(input.requirements);
  const blueprint =
    input.blueprint ??
    buildBlueprint(requirements, { stack: input.stack ?? DEFAULT_STACK, registry });
  const stack = registry.get(blueprint.stack.templateId);
  const lockfiles =
    options.lockfiles === null
      ? undefined
      : (options.lockfiles ?? (sharedLockfiles ??= new NpmLockfileProvider()));
  const files = await stack.render(
    { requirements, blueprint },
    { ...(lockfiles ? { lockfiles } : {}), ...(options.signal ? { signal: options.signal } : {}) },
  );
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { blueprint, files };
}

/** Writes rendered files under `dir` (created as needed); refuses paths that leave it. */
export async function writeProject(
  dir: string,
  files: readonly Pick<RenderedFile, 'path' | 'content' | 'executable'>[],
): Promise<void> {
  const root = path.resolve(dir);
  for (const file of files) {
    if (!isSafeProjectPath(file.path)) {
      throw new TemplateInputError(`refusing to write unsafe path "${file.path}"`);
    }
    const target = path.join(root, ...file.path.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: file.executable ? 0o755 : 0o644 });
  }
}
