// The template layer's contracts. A stack template turns a Blueprint (and the Requirements it was
// built from, for the acceptance criteria's wording) into the files of a project. Adding a stack
// (Python/FastAPI, Go, Java/Spring, ...) means writing one more StackTemplate and registering it:
// the blueprint builder, the test planner, formatting, lock files and the registry are shared.
import type { StackPlanner } from '../blueprint/assemble.js';
import type { Blueprint, FileProvenance, Requirements } from '../domain/artifacts/index.js';
import type { LockfileProvider } from './lockfile.js';

/** One rendered file. `provenance.template` is "<stack>/<template file>@<stack version>". */
export interface RenderedFile {
  path: string;
  content: string;
  executable?: boolean;
  provenance: Extract<FileProvenance, { by: 'generator' }>;
}

export interface RenderInput {
  requirements: Requirements;
  /** Built by `buildBlueprint(requirements, { stack })`; checked against it before rendering. */
  blueprint: Blueprint;
}

export interface RenderContext {
  /** Produces lock files; absent: the stack's lock file is not rendered. */
  lockfiles?: LockfileProvider;
  signal?: AbortSignal;
}

export interface StackTemplate extends StackPlanner {
  /** Semantic version of the templates; part of every file's provenance. */
  readonly version: string;
  readonly description: string;
  render(input: RenderInput, context?: RenderContext): Promise<RenderedFile[]>;
}

/** The input does not describe a project this stack can render. */
export class TemplateInputError extends Error {
  override readonly name = 'TemplateInputError';
}
