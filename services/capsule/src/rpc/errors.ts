import { Code, RpcError } from '@quantumlayer/kit';
import { inputFailure } from '../errors.js';

/** Capsule errors → gRPC statuses: bad input INVALID_ARGUMENT, another tenant's or absent NOT_FOUND. */
export function toRpcError(err: unknown): RpcError | undefined {
  const failure = inputFailure(err);
  if (!failure) return undefined;
  return new RpcError(
    failure.kind === 'not_found' ? Code.NOT_FOUND : Code.INVALID_ARGUMENT,
    failure.message,
    {
      cause: err,
    },
  );
}
