// Building blocks shared by the artifact schemas. The artifacts are JSON documents that cross
// process boundaries (blob store, events, LLM agents), so every rule a consumer relies on is
// checked here rather than assumed: a template that receives a Requirements document that passed
// RequirementsSchema can use entity and field names as identifiers without escaping.
import { z } from 'zod';

export const SCHEMA_VERSION = 1;

/** Entity names: PascalCase singular ("Book", "OrderItem"). */
export const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/;
/** Field, role and accessor names: camelCase ("dueDate", "isbn"). */
export const CAMEL_CASE = /^[a-z][A-Za-z0-9]*$/;
/** Enum values: snake_case, may start with a digit ("in_progress", "5_star"). */
export const SNAKE_CASE = /^[a-z0-9][a-z0-9_]*$/;
/** Project names: kebab-case ("library-manager"). */
export const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export const EntityNameSchema = z
  .string()
  .max(64)
  .regex(PASCAL_CASE, 'must be PascalCase, e.g. "OrderItem"');
export const MemberNameSchema = z
  .string()
  .max(64)
  .regex(CAMEL_CASE, 'must be camelCase, e.g. "dueDate"');
export const EnumValueSchema = z
  .string()
  .max(64)
  .regex(SNAKE_CASE, 'must be snake_case, e.g. "in_progress"');
export const AppNameSchema = z
  .string()
  .max(64)
  .regex(KEBAB_CASE, 'must be kebab-case, e.g. "library-manager"');

/** How sure the producer is that an item was asked for: 1 = stated, ~0.5 = inferred default. */
export const ConfidenceSchema = z.number().min(0).max(1);

/** The words of the description an item was read from (for explanations); may be empty. */
export const SourceSchema = z.string().max(2000);

/**
 * A relative POSIX path inside a project. Paths come from agents, so they are untrusted: no
 * absolute paths, no "..", no backslashes or NUL, no empty segments.
 */
export const ProjectPathSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => isSafeProjectPath(p), {
    message: 'must be a relative POSIX path without "..", "." or empty segments',
  });

export function isSafeProjectPath(path: string): boolean {
  if (path.startsWith('/') || /[\\\0]/.test(path) || /^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** Reports each value that appears more than once in `values` as an issue at `path`. */
export function checkUnique(
  ctx: z.RefinementCtx,
  values: readonly string[],
  path: (index: number) => PropertyKey[],
  what: string,
): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) {
      ctx.addIssue({ code: 'custom', path: path(index), message: `duplicate ${what} "${value}"` });
    }
    seen.add(value);
  });
}
