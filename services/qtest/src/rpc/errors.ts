import { Code, RpcError } from '@quantumlayer/kit';
import { inputFailure } from '../errors.js';

const CODES = {
  invalid_argument: Code.INVALID_ARGUMENT,
  not_found: Code.NOT_FOUND,
  failed_precondition: Code.FAILED_PRECONDITION,
} as const;

/** QTest errors → gRPC statuses; anything else is left to the kit (INTERNAL, no details). */
export function toRpcError(err: unknown): RpcError | undefined {
  const failure = inputFailure(err);
  if (!failure) return undefined;
  return new RpcError(CODES[failure.kind], failure.message, { cause: err });
}
