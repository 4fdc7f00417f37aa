import type { Blueprint, Requirements, RequirementsInput } from '../domain/artifacts/index.js';
import type { StackRegistry } from '../templates/registry.js';
import { DEFAULT_STACK, defaultStacks } from '../templates/registry.js';
import type { StackPlanner } from './assemble.js';
import { assembleBlueprint } from './assemble.js';

export interface BuildBlueprintOptions {
  /** A stack id from the registry (default "ts-fastify") or a planner. */
  stack?: string | StackPlanner;
  registry?: StackRegistry;
}

/**
 * Builds the Blueprint of a project from its Requirements, deterministically (no LLM): data
 * model, OpenAPI 3.1 document, test plan covering every acceptance criterion, file plan and
 * Docker/CI plan of the chosen stack. Throws a ZodError when `requirements` is not valid.
 */
export function buildBlueprint(
  requirements: Requirements | RequirementsInput,
  options: BuildBlueprintOptions = {},
): Blueprint {
  const stack = options.stack ?? DEFAULT_STACK;
  const planner =
    typeof stack === 'string' ? (options.registry ?? defaultStacks()).get(stack) : stack;
  return assembleBlueprint(requirements, planner).blueprint;
}
