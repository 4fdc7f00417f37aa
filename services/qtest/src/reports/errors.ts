/** Thrown for input that is not a well-formed report of the named format. */
export class ReportParseError extends Error {
  override readonly name = 'ReportParseError';
  constructor(
    readonly format: string,
    readonly detail: string,
  ) {
    super(`${format}: ${detail}`);
  }
}

import type { z } from 'zod';

/** Names the first invalid field the way DESIGN §4 asks: path and rule. */
export function zodDetail(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return `${path}: ${issue.message}`;
}

export function parseJsonOrThrow(format: string, content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch (error) {
    throw new ReportParseError(format, `not valid JSON (${(error as Error).message})`);
  }
}
