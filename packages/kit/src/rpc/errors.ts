import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ZodError } from 'zod';

/**
 * gRPC status codes. `Code` and `Status` are the same enum under two names: `Code` reads well
 * in metrics and tests, `Status` is what grpc-js and most gRPC docs call it.
 */
export { status as Code, status as Status } from '@grpc/grpc-js';
type Code = status;

/** `OK`, `INVALID_ARGUMENT`, …: the label value used in metrics and logs. */
export function codeName(code: Code): string {
  return status[code] ?? String(code);
}

export interface RpcErrorOptions {
  /** Sent to the client as trailers. */
  metadata?: Metadata;
  cause?: unknown;
}

/**
 * The one error type that crosses the wire. Domain code throws it with the status the client
 * should see; the message is sent verbatim, so it must name the field and the rule, never
 * internals. Clients receive the same class back, so callers branch on `code` alone.
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly code: Code;
  readonly metadata: Metadata;

  constructor(code: Code, message: string, options: RpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.metadata = options.metadata ?? new Metadata();
  }

  /** `field: rule`, the shape DESIGN.md §4 asks of every bad-input error. */
  static invalidArgument(field: string, rule: string): RpcError {
    return new RpcError(status.INVALID_ARGUMENT, `${field}: ${rule}`);
  }

  static notFound(what: string): RpcError {
    return new RpcError(status.NOT_FOUND, `${what} not found`);
  }

  static unauthenticated(message = 'missing or invalid credentials'): RpcError {
    return new RpcError(status.UNAUTHENTICATED, message);
  }

  static permissionDenied(message = 'permission denied'): RpcError {
    return new RpcError(status.PERMISSION_DENIED, message);
  }

  /** Rebuilds the error a grpc-js client call failed with. */
  static fromStatus(s: Pick<StatusObject, 'code' | 'details' | 'metadata'>): RpcError {
    return new RpcError(s.code, s.details, { metadata: s.metadata });
  }

  static fromServiceError(err: ServiceError): RpcError {
    return new RpcError(err.code, err.details, { metadata: err.metadata, cause: err });
  }
}

export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError;
}

/**
 * zod validates inputs from outside the process (DESIGN.md §4); its issues already name the
 * path and the rule, so they become INVALID_ARGUMENT without each handler translating them.
 */
export function rpcErrorFromZod(err: ZodError): RpcError {
  const parts = err.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map((p) => String(p)).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return new RpcError(status.INVALID_ARGUMENT, parts.join('; '), { cause: err });
}

/** Maps a known error to its status, or returns undefined for errors that are bugs. */
export function knownRpcError(err: unknown): RpcError | undefined {
  if (err instanceof RpcError) return err;
  if (err instanceof ZodError) return rpcErrorFromZod(err);
  return undefined;
}
