import { CapsuleFormatError, CapsuleVerificationError } from '@quantumlayer/capsule';

/** A request the caller got wrong; names the field and the rule. */
export class QTestRequestError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = 'QTestRequestError';
  }
}

export class QTestNotFoundError extends Error {
  override name = 'QTestNotFoundError';
}

/** What the service cannot do in this deployment (Generate without a router). */
export class QTestUnavailableError extends Error {
  override name = 'QTestUnavailableError';
}

export interface InputFailure {
  kind: 'invalid_argument' | 'not_found' | 'failed_precondition';
  code: string;
  message: string;
}

/** The error as the caller's fault (not worth a retry), or undefined. */
export function inputFailure(err: unknown): InputFailure | undefined {
  if (err instanceof QTestRequestError)
    return { kind: 'invalid_argument', code: 'invalid_argument', message: err.message };
  if (err instanceof CapsuleFormatError)
    return {
      kind: 'invalid_argument',
      code: `capsule_${err.code}`,
      message: `archive: ${err.message}`,
    };
  if (err instanceof CapsuleVerificationError)
    return {
      kind: 'invalid_argument',
      code: 'capsule_unverified',
      message: `archive: ${err.problems.map((p) => p.message).join('; ')}`,
    };
  if (err instanceof QTestNotFoundError)
    return { kind: 'not_found', code: 'not_found', message: err.message };
  if (err instanceof QTestUnavailableError)
    return { kind: 'failed_precondition', code: 'unavailable', message: err.message };
  return undefined;
}
