// Which errors are the caller's input (never worth a retry) and how to say them in one line:
// shared by the gRPC status mapping and by the event handlers, which turn them into
// GenerationFailed instead of redelivering forever.
import { ArtifactNotFoundError, CodegenInputError } from './codegen.js';
import { DescriptionError } from './domain/index.js';
import { TemplateInputError, UnknownStackError } from './templates/index.js';
import { ValidationInputError } from './validators/index.js';

export type InputFailureKind = 'invalid_argument' | 'not_found';

export interface InputFailure {
  kind: InputFailureKind;
  /** Stable code for GenerationFailed.error_code, e.g. `description_no_entities`. */
  code: string;
  message: string;
}

/** The error as the caller's fault, or undefined when it may succeed on a retry. */
export function inputFailure(err: unknown): InputFailure | undefined {
  if (err instanceof DescriptionError) {
    // The parser's message says what it understood; the suggestion is added when it has none.
    const suggestion = err.message.includes('e.g.') ? '' : ` ${err.suggestion}`;
    return {
      kind: 'invalid_argument',
      code: `description_${err.code}`,
      message: `description: ${err.message}${suggestion}`,
    };
  }
  if (err instanceof CodegenInputError || err instanceof ValidationInputError)
    return { kind: 'invalid_argument', code: 'invalid_argument', message: err.message };
  if (err instanceof UnknownStackError)
    return { kind: 'invalid_argument', code: 'unknown_stack', message: `stack: ${err.message}` };
  if (err instanceof TemplateInputError)
    return { kind: 'invalid_argument', code: 'template_input', message: err.message };
  if (err instanceof ArtifactNotFoundError)
    return { kind: 'not_found', code: 'artifact_not_found', message: err.message };
  return undefined;
}
