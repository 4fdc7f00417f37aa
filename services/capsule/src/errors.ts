import { CapsuleNotFoundError, CapsuleRequestError } from './capsules.js';
import { CapsuleFormatError, CapsuleInputError } from './domain/index.js';

export interface InputFailure {
  kind: 'invalid_argument' | 'not_found';
  code: string;
  message: string;
}

/** The error as the caller's fault (not worth a retry), or undefined. */
export function inputFailure(err: unknown): InputFailure | undefined {
  if (err instanceof CapsuleRequestError)
    return { kind: 'invalid_argument', code: 'invalid_argument', message: err.message };
  if (err instanceof CapsuleInputError)
    return { kind: 'invalid_argument', code: 'capsule_input', message: err.message };
  if (err instanceof CapsuleFormatError)
    return {
      kind: 'invalid_argument',
      code: `capsule_${err.code}`,
      message: `archive: ${err.message}`,
    };
  if (err instanceof CapsuleNotFoundError)
    return { kind: 'not_found', code: 'not_found', message: err.message };
  return undefined;
}
