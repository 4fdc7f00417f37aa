import { Code, RpcError } from '@quantumlayer/kit';
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  DependencyUnavailableError,
  InvalidRequestError,
  NoCandidateError,
  RouterError,
  UnknownModelError,
} from '../domain/errors.js';

/**
 * Domain errors → gRPC statuses, as the RouterService contract states: INVALID_ARGUMENT for bad
 * input (naming the field), RESOURCE_EXHAUSTED for budgets, FAILED_PRECONDITION when no model
 * satisfies the constraints, UNAVAILABLE when every candidate failed.
 */
export function toRpcError(err: unknown): RpcError | undefined {
  if (!(err instanceof RouterError)) return undefined;
  if (err instanceof InvalidRequestError || err instanceof UnknownModelError) {
    return new RpcError(Code.INVALID_ARGUMENT, err.message, { cause: err });
  }
  if (err instanceof BudgetExceededError)
    return new RpcError(Code.RESOURCE_EXHAUSTED, err.message, { cause: err });
  if (err instanceof NoCandidateError)
    return new RpcError(Code.FAILED_PRECONDITION, err.message, { cause: err });
  if (err instanceof AllCandidatesFailedError) {
    if (err.callerFault) return new RpcError(Code.INVALID_ARGUMENT, err.message, { cause: err });
    return new RpcError(Code.UNAVAILABLE, err.message, { cause: err });
  }
  if (err instanceof DependencyUnavailableError)
    return new RpcError(Code.UNAVAILABLE, err.message, { cause: err });
  if (err instanceof CancelledError) {
    // The kit answers with the signal's own reason (CANCELLED or DEADLINE_EXCEEDED) when it fired.
    return err.reason instanceof RpcError
      ? err.reason
      : new RpcError(Code.CANCELLED, err.message, { cause: err });
  }
  return undefined;
}
