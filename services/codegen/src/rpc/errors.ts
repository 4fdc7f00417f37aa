import { Code, RpcError } from '@quantumlayer/kit';
import { inputFailure } from '../errors.js';
import { LockfileError } from '../templates/index.js';

/**
 * Codegen errors → gRPC statuses (the CodegenService contract): bad input is INVALID_ARGUMENT
 * naming the field and the rule; a description with nothing recognizable says what was understood
 * and what to add; a missing (or another tenant's) blob is NOT_FOUND; a lock file npm could not
 * produce is UNAVAILABLE (the registry is a dependency).
 */
export function toRpcError(err: unknown): RpcError | undefined {
  const failure = inputFailure(err);
  if (failure) {
    const code = failure.kind === 'not_found' ? Code.NOT_FOUND : Code.INVALID_ARGUMENT;
    return new RpcError(code, failure.message, { cause: err });
  }
  if (err instanceof LockfileError)
    return new RpcError(Code.UNAVAILABLE, err.message, { cause: err });
  return undefined;
}
