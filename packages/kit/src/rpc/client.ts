import type { DescMethod, DescService } from '@bufbuild/protobuf';
import {
  Client,
  credentials as grpcCredentials,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientReadableStream,
  type ClientWritableStream,
  type Metadata,
  type ServiceError,
  type CallOptions as GrpcCallOptions,
} from '@grpc/grpc-js';
import { context, type Context } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { decodeResponse, encodeMessage, passThrough } from './codec.js';
import { Code, RpcError } from './errors.js';
import {
  clientAuthInterceptor,
  clientMetricsInterceptor,
  clientTracingInterceptor,
  composeInterceptors,
  type TokenProvider,
} from './interceptors.js';
import { toMetadata } from './metadata.js';
import type { CallOptions, ClientCall, ClientInterceptor, ServiceClient } from './types.js';

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface GrpcClientOptions {
  /** Deadline of calls that set none; there is no way to make a call without one. */
  defaultTimeoutMs?: number;
  /** Insecure (plaintext) when omitted: in-cluster traffic is encrypted by the mesh. */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: TokenProvider;
  /** Where `ql_rpc_client_*` metrics go; a private registry when omitted. */
  registry?: Registry;
  /** Run inside tracing, metrics and auth. */
  interceptors?: readonly ClientInterceptor[];
  tracing?: boolean;
  metrics?: boolean;
}

export interface ClientControls {
  /** Closes the channel; calls in flight fail with CANCELLED/UNAVAILABLE. */
  close(): void;
}

export type GrpcClient<S extends DescService> = ServiceClient<S> & ClientControls;

type Started<T> = { stream: T } | undefined;

const noop = (): void => undefined;

function cancelledByCaller(): RpcError {
  return new RpcError(Code.CANCELLED, 'call cancelled by the caller');
}

/** Cancels `call` when `signal` aborts; returns the unsubscribe. */
function linkSignal(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (!signal) return noop;
  const onAbort = () => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** Resolves when the stream can take more, or is finished and never will. */
function writable(stream: ClientWritableStream<Buffer>): Promise<void> {
  return new Promise<void>((resolve) => {
    const events = ['drain', 'close', 'error', 'status', 'finish'] as const;
    const done = () => {
      for (const e of events) stream.removeListener(e, done);
      resolve();
    };
    for (const e of events) stream.once(e, done);
  });
}

/**
 * Feeds a request stream into a call with backpressure, then half-closes it. A failing source
 * cancels the call; the error is kept so the caller sees its own failure, not CANCELLED.
 */
async function pump(
  source: AsyncIterable<unknown>,
  stream: ClientWritableStream<Buffer>,
  method: DescMethod,
  state: { ended: boolean; pumpError?: unknown },
): Promise<void> {
  try {
    for await (const request of source) {
      if (state.ended) return;
      if (!stream.write(encodeMessage(method.input, request))) await writable(stream);
    }
    if (!state.ended) stream.end();
  } catch (err) {
    state.pumpError = err;
    stream.cancel();
  }
}

/**
 * A typed client for `desc` at `address` (`host:port`, or any grpc-js target such as
 * `dns:///svc:50051`). One method per RPC, named by the method's `localName`.
 */
export function createGrpcClient<S extends DescService>(
  desc: S,
  address: string,
  options: GrpcClientOptions = {},
): GrpcClient<S> {
  const grpcClient = new Client(
    address,
    options.credentials ?? grpcCredentials.createInsecure(),
    options.channelOptions,
  );
  const registry = options.registry ?? new Registry();
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const interceptors: ClientInterceptor[] = [
    ...(options.tracing === false ? [] : [clientTracingInterceptor()]),
    ...(options.metrics === false ? [] : [clientMetricsInterceptor(registry)]),
    ...(options.token ? [clientAuthInterceptor(options.token)] : []),
    ...(options.interceptors ?? []),
  ];

  const prepare = (method: DescMethod, callOptions: CallOptions): ClientCall => ({
    service: desc.typeName,
    method: method.name,
    path: `/${desc.typeName}/${method.name}`,
    methodKind: method.methodKind,
    descriptor: method,
    deadline:
      callOptions.deadline ?? new Date(Date.now() + (callOptions.timeoutMs ?? defaultTimeoutMs)),
    metadata: toMetadata(callOptions.metadata),
  });

  const grpcOptions = (call: ClientCall): GrpcCallOptions => ({ deadline: call.deadline });

  /** Runs the interceptors around `start`, which settles when the call has its final status. */
  const execute = (call: ClientCall, parent: Context, start: () => Promise<void>): Promise<void> =>
    context.with(parent, () => composeInterceptors(interceptors, start)(call));

  const unaryLike =
    (method: DescMethod, clientStreaming: boolean) =>
    (input: unknown, callOptions: CallOptions = {}): Promise<unknown> => {
      const call = prepare(method, callOptions);
      const request = clientStreaming ? undefined : encodeMessage(method.input, input);
      const state: { ended: boolean; pumpError?: unknown } = { ended: false };
      let response: unknown;
      return execute(call, context.active(), () => {
        if (callOptions.signal?.aborted) return Promise.reject(cancelledByCaller());
        return new Promise<void>((resolve, reject) => {
          let unlink = noop;
          const callback = (err: ServiceError | null, value?: unknown) => {
            unlink();
            if (err) reject(RpcError.fromServiceError(err));
            else {
              response = value;
              resolve();
            }
          };
          const deserialize = (bytes: Buffer) => decodeResponse(method.output, bytes);
          if (clientStreaming) {
            const stream = grpcClient.makeClientStreamRequest<Buffer, unknown>(
              call.path,
              passThrough,
              deserialize,
              call.metadata,
              grpcOptions(call),
              callback,
            );
            unlink = linkSignal(callOptions.signal, stream);
            stream.once('status', () => (state.ended = true));
            void pump(input as AsyncIterable<unknown>, stream, method, state);
          } else {
            const unary = grpcClient.makeUnaryRequest<Buffer, unknown>(
              call.path,
              passThrough,
              deserialize,
              request as Buffer,
              call.metadata,
              grpcOptions(call),
              callback,
            );
            unlink = linkSignal(callOptions.signal, unary);
          }
        });
      }).then(
        () => response,
        (err: unknown) => {
          throw state.pumpError ?? err;
        },
      );
    };

  const streamingLike =
    (method: DescMethod, clientStreaming: boolean) =>
    (input: unknown, callOptions: CallOptions = {}): AsyncIterable<unknown> => {
      // Captured now, not when iteration starts, so the client span has the caller's parent.
      const parent = context.active();
      const request = clientStreaming ? undefined : encodeMessage(method.input, input);
      return (async function* responses() {
        const call = prepare(method, callOptions);
        const deserialize = (bytes: Buffer) => decodeResponse(method.output, bytes);
        const state: { ended: boolean; pumpError?: unknown } = { ended: false };
        let started!: (s: Started<ClientReadableStream<unknown>>) => void;
        const streamReady = new Promise<Started<ClientReadableStream<unknown>>>(
          (r) => (started = r),
        );
        const done = execute(call, parent, () => {
          if (callOptions.signal?.aborted) return Promise.reject(cancelledByCaller());
          return new Promise<void>((resolve, reject) => {
            let stream: ClientReadableStream<unknown>;
            if (clientStreaming) {
              const duplex = grpcClient.makeBidiStreamRequest<Buffer, unknown>(
                call.path,
                passThrough,
                deserialize,
                call.metadata,
                grpcOptions(call),
              );
              void pump(input as AsyncIterable<unknown>, duplex, method, state);
              stream = duplex;
            } else {
              stream = grpcClient.makeServerStreamRequest<Buffer, unknown>(
                call.path,
                passThrough,
                deserialize,
                request as Buffer,
                call.metadata,
                grpcOptions(call),
              );
            }
            // The final status settles the call; 'error' repeats it and must not go unheard.
            stream.on('error', noop);
            stream.once('status', (status: { code: Code; details: string; metadata: Metadata }) => {
              state.ended = true;
              if (status.code === Code.OK) resolve();
              else reject(RpcError.fromStatus(status));
            });
            started({ stream });
          });
        });
        // Observed here so an early exit by the consumer does not leave an unhandled rejection;
        // the outcome is still awaited below.
        done.catch(noop);
        const ready = await Promise.race([streamReady, done.then(() => undefined)]);
        if (!ready) return;
        const { stream } = ready;
        const unlink = linkSignal(callOptions.signal, stream);
        let finished = false;
        try {
          for await (const message of stream) yield message;
          finished = true;
        } catch {
          // The same failure arrives as the call's status, with the code; rethrown from `done`.
          finished = true;
        } finally {
          unlink();
          if (!finished && !state.ended) stream.cancel();
        }
        try {
          await done;
        } catch (err) {
          throw state.pumpError ?? err;
        }
      })();
    };

  const client: Record<string, unknown> = {};
  for (const method of desc.methods) {
    switch (method.methodKind) {
      case 'unary':
        client[method.localName] = unaryLike(method, false);
        break;
      case 'client_streaming':
        client[method.localName] = unaryLike(method, true);
        break;
      case 'server_streaming':
        client[method.localName] = streamingLike(method, false);
        break;
      case 'bidi_streaming':
        client[method.localName] = streamingLike(method, true);
        break;
    }
  }
  client.close = () => grpcClient.close();
  // The record was filled from the same descriptor the type is computed from.
  return client as GrpcClient<S>;
}
