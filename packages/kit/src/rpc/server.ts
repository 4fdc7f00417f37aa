import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import {
  Server,
  ServerCredentials,
  type Metadata,
  type MethodDefinition,
  type ServerDuplexStream,
  type ServerOptions,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '../logger.js';
import {
  decodeRequest,
  decodeRequests,
  encodeMessage,
  isAsyncIterable,
  passThrough,
} from './codec.js';
import { Code, isRpcError, knownRpcError, RpcError } from './errors.js';
import {
  composeInterceptors,
  serverAuthInterceptor,
  serverMetricsInterceptor,
  serverTracingInterceptor,
  type Authenticate,
} from './interceptors.js';
import { HealthService } from './health.js';
import { reflectionPackageDefinition } from './reflection.js';
import { Metadata as MetadataClass } from './metadata.js';
import type { HandlerContext, ServerCall, ServerInterceptor, ServiceImpl } from './types.js';

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN';

export const REFLECTION_SERVICES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
] as const;

export interface GrpcServerOptions {
  /** Names the server in logs. */
  name?: string;
  logger?: Logger;
  /** Where `ql_rpc_server_*` metrics go; a private registry when omitted. */
  registry?: Registry;
  /**
   * Establishes the caller from metadata (see `bearerToken`). Without it the server does no
   * authentication at all and every handler sees `principal: undefined`.
   */
  authenticate?: Authenticate;
  /** Methods reachable without a principal; see `isPublicMethod` for the accepted forms. */
  publicMethods?: readonly string[];
  /** Runs inside tracing, metrics and auth, around each handler. */
  interceptors?: readonly ServerInterceptor[];
  /** Translates domain errors to statuses; return undefined for "not mine". */
  mapError?: (err: unknown) => RpcError | undefined;
  tracing?: boolean;
  metrics?: boolean;
  reflection?: boolean;
  credentials?: ServerCredentials;
  grpcOptions?: ServerOptions;
}

export interface StartOptions {
  /** Defaults to all interfaces. */
  host?: string;
  /** 0 picks a free port; `start` returns the one bound. */
  port: number;
}

type UntypedHandler = (this: unknown, input: unknown, ctx: HandlerContext) => unknown;

/** What every kind of grpc-js server call has in common, as far as the adapter needs. */
interface SurfaceCall {
  readonly metadata: Metadata;
  getPeer(): string;
  getDeadline(): Date | number;
  once(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

interface CallScope {
  call: ServerCall;
  controller: AbortController;
  dispose(): void;
}

/**
 * The default async iterator of a stream destroys it once the reading ends, which on a duplex
 * call would also kill the response side before the handler's last writes and the status.
 */
function requestsOf(call: Readable): AsyncIterable<unknown> {
  return call.iterator({ destroyOnReturn: false });
}

/** The status object grpc-js sends for an error. */
function toStatus(err: RpcError): Partial<StatusObject> {
  return { code: err.code, details: err.message, metadata: err.metadata };
}

/**
 * A grpc-js server whose services are registered from protobuf-es descriptors. Health and
 * reflection are added on `start`, once every service is known, because reflection indexes a
 * fixed set of descriptors.
 */
export class GrpcServer {
  readonly registry: Registry;
  private readonly server: Server;
  private readonly logger: Logger;
  private readonly interceptors: readonly ServerInterceptor[];
  private readonly health = new HealthImplementation();
  private readonly healthNames = new Set<string>(['']);
  private readonly services: DescService[] = [];
  private readonly explicitStatus = new Set<string>();
  private builtinsAdded = false;
  private boundPort: number | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: GrpcServerOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.logger = options.logger ?? createLogger({ service: options.name ?? 'rpc' });
    this.server = new Server(options.grpcOptions);
    // Order matters: tracing outermost so rejected (unauthenticated) calls are traced and
    // counted too; auth before user interceptors so they can rely on the principal.
    this.interceptors = [
      ...(options.tracing === false ? [] : [serverTracingInterceptor()]),
      ...(options.metrics === false ? [] : [serverMetricsInterceptor(this.registry)]),
      ...(options.authenticate
        ? [
            serverAuthInterceptor({
              authenticate: options.authenticate,
              publicMethods: options.publicMethods ?? [],
              onRejected: (err, call) =>
                this.logger.warn(
                  { err, rpc: call.path, peer: call.peer },
                  'rpc credentials rejected',
                ),
            }),
          ]
        : []),
      ...(options.interceptors ?? []),
    ];
  }

  /** The bound port once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  addService<S extends DescService>(desc: S, impl: ServiceImpl<S>): this {
    if (this.boundPort !== undefined) throw new Error(`addService(${desc.typeName}) after start`);
    if (
      desc.typeName === HealthService.typeName ||
      REFLECTION_SERVICES.some((r) => r === desc.typeName)
    ) {
      throw new Error(`${desc.typeName} is built into every GrpcServer`);
    }
    const definition: Record<string, MethodDefinition<Buffer, Buffer>> = {};
    const handlers: UntypedServiceImplementation = {};
    for (const method of desc.methods) {
      const fn: unknown = Reflect.get(impl, method.localName);
      definition[method.name] = {
        path: `/${desc.typeName}/${method.name}`,
        requestStream:
          method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
        responseStream:
          method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
        originalName: method.localName,
      };
      handlers[method.name] = this.handlerFor(
        method,
        typeof fn === 'function' ? (fn as UntypedHandler) : undefined,
        impl,
      );
    }
    this.server.addService(definition, handlers);
    this.services.push(desc);
    this.healthNames.add(desc.typeName);
    return this;
  }

  /** Binds, registers health and reflection, and reports every service SERVING. */
  async start({ host = '0.0.0.0', port }: StartOptions): Promise<number> {
    if (this.boundPort !== undefined) throw new Error('server already started');
    if (!this.builtinsAdded) {
      // Once only: a start that failed to bind may be retried.
      this.builtinsAdded = true;
      this.health.addToServer(this.server);
      if (this.options.reflection !== false) {
        const definition = reflectionPackageDefinition([...this.services, HealthService]);
        new ReflectionService(definition).addToServer(this.server);
      }
    }
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const credentials = this.options.credentials ?? ServerCredentials.createInsecure();
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
    // A status set before start (e.g. NOT_SERVING until a cache is warm) is kept.
    for (const name of this.healthNames) {
      if (!this.explicitStatus.has(name)) this.health.setStatus(name, 'SERVING');
    }
    this.logger.info(
      { port: this.boundPort, services: this.services.map((s) => s.typeName) },
      'grpc server listening',
    );
    return this.boundPort;
  }

  /** `service` is a full service name, or '' for the server as a whole. */
  setServingStatus(service: string, status: ServingStatus): void {
    this.healthNames.add(service);
    this.explicitStatus.add(service);
    this.health.setStatus(service, status);
  }

  /**
   * Reports NOT_SERVING, lets in-flight calls finish, and cancels whatever is still running at
   * the deadline (their handlers' signals fire).
   */
  shutdown(deadlineMs = 10_000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      for (const name of this.healthNames) this.health.setStatus(name, 'NOT_SERVING');
      const timer = setTimeout(() => {
        this.logger.warn({ deadlineMs }, 'grpc server did not drain in time: cancelling calls');
        this.server.forceShutdown();
        resolve();
      }, deadlineMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.stopping;
  }

  private handlerFor(
    method: DescMethod,
    fn: UntypedHandler | undefined,
    self: unknown,
  ): UntypedHandleCall {
    const invoke = (input: unknown, ctx: HandlerContext): unknown => {
      if (!fn)
        throw new RpcError(
          Code.UNIMPLEMENTED,
          `${method.parent.typeName}/${method.name} is not implemented`,
        );
      return fn.call(self, input, ctx);
    };
    const output = method.output;

    switch (method.methodKind) {
      case 'unary':
        return (
          call: ServerUnaryCall<Buffer, Buffer>,
          callback: (e: Partial<StatusObject> | null, v?: Buffer, t?: Metadata) => void,
        ) => {
          const scope = this.createScope(call, method);
          let response: Buffer | undefined;
          this.run(scope, async () => {
            const result = await invoke(decodeRequest(method.input, call.request), scope.call);
            response = encodeMessage(output, result);
          }).then(
            () => callback(null, response, scope.call.responseTrailer),
            (err: RpcError) => callback(toStatus(err)),
          );
        };
      case 'server_streaming':
        return (call: ServerWritableStream<Buffer, Buffer>) => {
          const scope = this.createScope(call, method);
          this.run(scope, async () => {
            const result = invoke(decodeRequest(method.input, call.request), scope.call);
            await this.writeAll(call, result, method, scope.call.signal);
          }).then(
            () => call.end(scope.call.responseTrailer),
            (err: RpcError) => call.emit('error', toStatus(err)),
          );
        };
      case 'client_streaming':
        return (
          call: ServerReadableStream<Buffer, Buffer>,
          callback: (e: Partial<StatusObject> | null, v?: Buffer, t?: Metadata) => void,
        ) => {
          const scope = this.createScope(call, method);
          let response: Buffer | undefined;
          this.run(scope, async () => {
            const result = await invoke(decodeRequests(method.input, requestsOf(call)), scope.call);
            response = encodeMessage(output, result);
          }).then(
            () => callback(null, response, scope.call.responseTrailer),
            (err: RpcError) => callback(toStatus(err)),
          );
        };
      case 'bidi_streaming':
        return (call: ServerDuplexStream<Buffer, Buffer>) => {
          const scope = this.createScope(call, method);
          this.run(scope, async () => {
            const result = invoke(decodeRequests(method.input, requestsOf(call)), scope.call);
            await this.writeAll(call, result, method, scope.call.signal);
          }).then(
            () => call.end(scope.call.responseTrailer),
            (err: RpcError) => call.emit('error', toStatus(err)),
          );
        };
    }
  }

  private async writeAll(
    stream: Writable,
    result: unknown,
    method: DescMethod,
    signal: AbortSignal,
  ): Promise<void> {
    if (!isAsyncIterable(result)) {
      throw new TypeError(
        `${method.parent.typeName}/${method.name}: handler must return an async iterable`,
      );
    }
    // Leaving the loop early (abort, write failure) calls the generator's return(), so the
    // handler's finally blocks run and it stops producing.
    for await (const message of result) {
      signal.throwIfAborted();
      if (!stream.write(encodeMessage(method.output, message))) {
        await once(stream, 'drain', { signal });
      }
    }
  }

  private createScope(call: SurfaceCall, method: DescMethod): CallScope {
    const controller = new AbortController();
    const raw = call.getDeadline();
    const deadlineMs = raw instanceof Date ? raw.getTime() : raw;
    const deadline = Number.isFinite(deadlineMs) ? new Date(deadlineMs) : undefined;
    const deadlineExceeded = () =>
      controller.abort(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded'));
    // grpc-js ends the call itself at the deadline but does not always report it as a
    // cancellation, so the handler's signal gets its own timer.
    const timer = deadline
      ? setTimeout(deadlineExceeded, Math.max(0, deadline.getTime() - Date.now()))
      : undefined;
    const onCancelled = () => {
      if (deadline && Date.now() >= deadline.getTime()) deadlineExceeded();
      else controller.abort(new RpcError(Code.CANCELLED, 'call cancelled'));
    };
    call.once('cancelled', onCancelled);
    const serverCall: ServerCall = {
      service: method.parent.typeName,
      method: method.name,
      path: `/${method.parent.typeName}/${method.name}`,
      methodKind: method.methodKind,
      descriptor: method,
      deadline,
      signal: controller.signal,
      metadata: call.metadata,
      peer: call.getPeer(),
      principal: undefined,
      span: undefined,
      responseTrailer: new MetadataClass(),
    };
    return {
      call: serverCall,
      controller,
      dispose: () => {
        if (timer) clearTimeout(timer);
        call.removeListener('cancelled', onCancelled);
      },
    };
  }

  /** Runs the interceptor chain around `inner`; settles with nothing or an RpcError. */
  private async run(scope: CallScope, inner: () => Promise<void>): Promise<void> {
    const { call } = scope;
    const chain = composeInterceptors(this.interceptors, async () => {
      try {
        await inner();
      } catch (err) {
        throw this.toRpcError(err, call);
      }
      // A handler that finished after its caller left did not succeed from anyone's view.
      if (call.signal.aborted) throw this.toRpcError(call.signal.reason, call);
    });
    try {
      await chain(call);
    } catch (err) {
      throw this.toRpcError(err, call);
    } finally {
      scope.dispose();
    }
  }

  private toRpcError(err: unknown, call: ServerCall): RpcError {
    if (call.signal.aborted && isRpcError(call.signal.reason)) return call.signal.reason;
    if (isRpcError(err)) return err;
    const mapped = this.options.mapError?.(err) ?? knownRpcError(err);
    if (mapped) return mapped;
    // Bugs and unexpected failures: the detail goes to the log, the client gets no internals.
    this.logger.error({ err, rpc: call.path }, 'rpc handler failed');
    return new RpcError(Code.INTERNAL, 'internal error');
  }
}

export function createGrpcServer(options: GrpcServerOptions = {}): GrpcServer {
  return new GrpcServer(options);
}
