import type { Metadata } from '@grpc/grpc-js';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
} from '@opentelemetry/api';
import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../metrics.js';
import { Code, codeName, isRpcError, RpcError } from './errors.js';
import { metadataGetter, metadataSetter } from './metadata.js';
import type {
  ClientCall,
  ClientInterceptor,
  Principal,
  ServerCall,
  ServerInterceptor,
} from './types.js';

export const TRACER_NAME = 'quantumlayer-rpc';

/** The status an interceptor should record for whatever `next()` rejected with. */
export function statusCodeOf(err: unknown): Code {
  return isRpcError(err) ? err.code : Code.UNKNOWN;
}

function spanAttributes(call: { service: string; method: string }): Attributes {
  return { 'rpc.system': 'grpc', 'rpc.service': call.service, 'rpc.method': call.method };
}

// OTel semconv: on the server only these codes are the server's fault; a client's bad
// argument or missing auth is a successful handling of a bad request, not a server error.
const SERVER_ERROR_CODES = new Set<Code>([
  Code.UNKNOWN,
  Code.DEADLINE_EXCEEDED,
  Code.UNIMPLEMENTED,
  Code.INTERNAL,
  Code.UNAVAILABLE,
  Code.DATA_LOSS,
]);

/**
 * Continues the caller's trace from `traceparent`/`tracestate` metadata and runs the handler
 * inside the server span, so logs and downstream calls made by the handler join the trace.
 */
export function serverTracingInterceptor(): ServerInterceptor {
  const tracer = trace.getTracer(TRACER_NAME);
  return async (call, next) => {
    const parent = propagation.extract(context.active(), call.metadata, metadataGetter);
    const span = tracer.startSpan(
      `${call.service}/${call.method}`,
      { kind: SpanKind.SERVER, attributes: spanAttributes(call) },
      parent,
    );
    call.span = span;
    try {
      await context.with(trace.setSpan(parent, span), next);
      span.setAttribute('rpc.grpc.status_code', Code.OK);
    } catch (err) {
      const code = statusCodeOf(err);
      span.setAttribute('rpc.grpc.status_code', code);
      if (SERVER_ERROR_CODES.has(code)) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: codeName(code) });
      }
      throw err;
    } finally {
      span.end();
    }
  };
}

/** Starts a client span and sends its context in metadata so the server span is its child. */
export function clientTracingInterceptor(): ClientInterceptor {
  const tracer = trace.getTracer(TRACER_NAME);
  return async (call, next) => {
    const span = tracer.startSpan(`${call.service}/${call.method}`, {
      kind: SpanKind.CLIENT,
      attributes: spanAttributes(call),
    });
    const ctx = trace.setSpan(context.active(), span);
    propagation.inject(ctx, call.metadata, metadataSetter);
    try {
      await context.with(ctx, next);
      span.setAttribute('rpc.grpc.status_code', Code.OK);
    } catch (err) {
      const code = statusCodeOf(err);
      span.setAttribute('rpc.grpc.status_code', code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: codeName(code) });
      throw err;
    } finally {
      span.end();
    }
  };
}

interface RpcMetrics {
  duration: Histogram<'service' | 'method' | 'code'>;
  requests: Counter<'service' | 'method' | 'code'>;
}

// Several servers or clients may share one registry (embedded mode runs every service in one
// process); registering a name twice throws, so the second one reuses the first's metrics.
function rpcMetrics(registry: Registry, side: 'server' | 'client'): RpcMetrics {
  const durationName = `ql_rpc_${side}_duration_seconds`;
  const requestsName = `ql_rpc_${side}_requests_total`;
  const labelNames = ['service', 'method', 'code'] as const;
  const duration =
    (registry.getSingleMetric(durationName) as
      Histogram<'service' | 'method' | 'code'> | undefined) ??
    new Histogram({
      name: durationName,
      help: `Duration of gRPC calls (${side} side), from start to final status.`,
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  const requests =
    (registry.getSingleMetric(requestsName) as
      Counter<'service' | 'method' | 'code'> | undefined) ??
    new Counter({
      name: requestsName,
      help: `gRPC calls (${side} side) by final status code.`,
      labelNames,
      registers: [registry],
    });
  return { duration, requests };
}

function metricsInterceptor<C extends { service: string; method: string }>(
  registry: Registry,
  side: 'server' | 'client',
): (call: C, next: () => Promise<void>) => Promise<void> {
  const { duration, requests } = rpcMetrics(registry, side);
  return async (call, next) => {
    const started = process.hrtime.bigint();
    let code: Code = Code.OK;
    try {
      await next();
    } catch (err) {
      code = statusCodeOf(err);
      throw err;
    } finally {
      const labels = { service: call.service, method: call.method, code: codeName(code) };
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      requests.inc(labels);
    }
  };
}

/** `ql_rpc_server_duration_seconds` and `ql_rpc_server_requests_total{service,method,code}`. */
export function serverMetricsInterceptor(registry: Registry): ServerInterceptor {
  return metricsInterceptor<ServerCall>(registry, 'server');
}

/** `ql_rpc_client_duration_seconds` and `ql_rpc_client_requests_total{service,method,code}`. */
export function clientMetricsInterceptor(registry: Registry): ClientInterceptor {
  return metricsInterceptor<ClientCall>(registry, 'client');
}

export type Authenticate = (
  metadata: Metadata,
  call: { service: string; method: string; path: string },
) => Promise<Principal | undefined>;

export interface ServerAuthOptions {
  authenticate: Authenticate;
  /**
   * Methods callable without a principal: `pkg.Service/Method`, `/pkg.Service/Method`, or a
   * whole service as `pkg.Service`.
   */
  publicMethods?: readonly string[];
  /** Told about rejected credentials (the client only learns "UNAUTHENTICATED"). */
  onRejected?: (err: unknown, call: ServerCall) => void;
}

export function isPublicMethod(
  publicMethods: readonly string[],
  call: { service: string; path: string },
): boolean {
  return publicMethods.some((entry) => {
    const normalized = entry.startsWith('/') ? entry : `/${entry}`;
    return normalized === call.path || normalized === `/${call.service}`;
  });
}

/**
 * Sets `call.principal`. Credentials that fail to verify are rejected even on public methods:
 * a caller presenting a bad token has a bug or is probing, and should hear about it.
 */
export function serverAuthInterceptor(options: ServerAuthOptions): ServerInterceptor {
  const publicMethods = options.publicMethods ?? [];
  return async (call, next) => {
    let principal: Principal | undefined;
    try {
      principal = await options.authenticate(call.metadata, call);
    } catch (err) {
      options.onRejected?.(err, call);
      // An authenticator may deliberately answer PERMISSION_DENIED etc.; anything else is
      // reported without detail so verification internals do not leak.
      throw isRpcError(err) ? err : RpcError.unauthenticated('invalid credentials');
    }
    if (!principal && !isPublicMethod(publicMethods, call)) {
      throw RpcError.unauthenticated(`${call.path} requires authentication`);
    }
    call.principal = principal;
    await next();
  };
}

/** Returns the bearer token to send; undefined sends the call without credentials. */
export type TokenProvider = () => string | undefined | Promise<string | undefined>;

/** Attaches `authorization: Bearer <token>`; a fresh token is asked for on every call. */
export function clientAuthInterceptor(token: TokenProvider): ClientInterceptor {
  return async (call, next) => {
    let value: string | undefined;
    try {
      value = await token();
    } catch (err) {
      throw new RpcError(Code.UNAUTHENTICATED, 'could not obtain a token for the call', {
        cause: err,
      });
    }
    if (value) call.metadata.set('authorization', `Bearer ${value}`);
    await next();
  };
}

export function composeInterceptors<C>(
  interceptors: ReadonlyArray<(call: C, next: () => Promise<void>) => Promise<void>>,
  inner: (call: C) => Promise<void>,
): (call: C) => Promise<void> {
  return interceptors.reduceRight<(call: C) => Promise<void>>(
    (next, interceptor) => (call) => interceptor(call, () => next(call)),
    inner,
  );
}
