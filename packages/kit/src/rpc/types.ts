import type {
  DescMessage,
  DescMethod,
  DescService,
  Message,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import type { Span } from '@opentelemetry/api';
import type { Metadata } from '@grpc/grpc-js';
import type { MetadataInit } from './metadata.js';

export type MethodKind = DescMethod['methodKind'];

/** Who is calling, as established by the server's `authenticate` hook. */
export interface Principal {
  /** Stable id of the caller: a user id, an API-key id or a service name. */
  readonly subject: string;
  readonly tenantId?: string;
  readonly kind?: 'user' | 'api_key' | 'service';
  readonly scopes?: readonly string[];
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** What every handler receives next to its request. */
export interface HandlerContext {
  /** Fully qualified service name, e.g. `quantumlayer.router.v1.RouterService`. */
  readonly service: string;
  /** Method name as declared in the proto, e.g. `Complete`. */
  readonly method: string;
  /** `/<service>/<method>`, the HTTP/2 path. */
  readonly path: string;
  readonly methodKind: MethodKind;
  /** Undefined when the client set no deadline. */
  readonly deadline: Date | undefined;
  /**
   * Aborts when the client cancels, the deadline passes or the server is forced down; the
   * reason is an RpcError (CANCELLED or DEADLINE_EXCEEDED). Pass it to downstream I/O.
   */
  readonly signal: AbortSignal;
  readonly metadata: Metadata;
  readonly peer: string;
  readonly principal: Principal | undefined;
  /** The server span of this call (or whatever span is active when tracing is off). */
  readonly span: Span | undefined;
  /** Sent to the client as trailers with the final status. */
  readonly responseTrailer: Metadata;
}

/** The mutable view interceptors get of the same call. */
export interface ServerCall extends HandlerContext {
  principal: Principal | undefined;
  span: Span | undefined;
  readonly descriptor: DescMethod;
}

/**
 * Onion-style: an interceptor does its work around `next()`, which resolves when the call
 * finished (for streams, after the last message was written) and rejects with an RpcError.
 */
export type ServerInterceptor = (call: ServerCall, next: () => Promise<void>) => Promise<void>;

export type UnaryImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: HandlerContext,
) => Promise<MessageInitShape<O> | MessageShape<O>>;

export type ServerStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: HandlerContext,
) => AsyncIterable<MessageInitShape<O> | MessageShape<O>>;

export type ClientStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  ctx: HandlerContext,
) => Promise<MessageInitShape<O> | MessageShape<O>>;

export type BidiStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  ctx: HandlerContext,
) => AsyncIterable<MessageInitShape<O> | MessageShape<O>>;

type Typed<K extends MethodKind> = { methodKind: K; input: DescMessage; output: DescMessage };

/**
 * Handler type for one method, from its generated descriptor. An untyped `DescMethod` (a
 * descriptor built at runtime) gets the union, checked against `methodKind` at registration.
 */
export type MethodImpl<M extends Pick<DescMethod, 'methodKind' | 'input' | 'output'>> =
  MethodKind extends M['methodKind']
    ? | UnaryImpl<M['input'], M['output']>
      | ServerStreamingImpl<M['input'], M['output']>
      | ClientStreamingImpl<M['input'], M['output']>
      | BidiStreamingImpl<M['input'], M['output']>
    : M extends Typed<'unary'>
      ? UnaryImpl<M['input'], M['output']>
      : M extends Typed<'server_streaming'>
        ? ServerStreamingImpl<M['input'], M['output']>
        : M extends Typed<'client_streaming'>
          ? ClientStreamingImpl<M['input'], M['output']>
          : M extends Typed<'bidi_streaming'>
            ? BidiStreamingImpl<M['input'], M['output']>
            : never;

/** One handler per RPC, keyed by the method's `localName` (`complete`, `streamComplete`, …). */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S['method']]: MethodImpl<S['method'][K]>;
};

export interface CallOptions {
  /** Overrides the client's default timeout; every call has a deadline either way. */
  timeoutMs?: number;
  /** An absolute deadline; wins over `timeoutMs`. */
  deadline?: Date;
  /** Cancels the call (the server sees CANCELLED and its handler's signal fires). */
  signal?: AbortSignal;
  metadata?: MetadataInit;
}

export interface ClientCall {
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly methodKind: MethodKind;
  readonly descriptor: DescMethod;
  readonly deadline: Date;
  /** Outgoing metadata; interceptors add headers (auth, trace context) here. */
  readonly metadata: Metadata;
}

/** Same onion as the server: `next()` settles when the call has its final status. */
export type ClientInterceptor = (call: ClientCall, next: () => Promise<void>) => Promise<void>;

export type UnaryCall<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

export type ServerStreamingCall<I extends DescMessage, O extends DescMessage> = (
  request: MessageInitShape<I>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

export type ClientStreamingCall<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>>,
  options?: CallOptions,
) => Promise<MessageShape<O>>;

export type BidiStreamingCall<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageInitShape<I>>,
  options?: CallOptions,
) => AsyncIterable<MessageShape<O>>;

/** A method of a descriptor built at runtime: the caller narrows by the method's kind. */
export type UntypedCall = (
  input: unknown,
  options?: CallOptions,
) => Promise<Message> | AsyncIterable<Message>;

export type MethodCall<M extends Pick<DescMethod, 'methodKind' | 'input' | 'output'>> =
  MethodKind extends M['methodKind']
    ? UntypedCall
    : M extends Typed<'unary'>
      ? UnaryCall<M['input'], M['output']>
      : M extends Typed<'server_streaming'>
        ? ServerStreamingCall<M['input'], M['output']>
        : M extends Typed<'client_streaming'>
          ? ClientStreamingCall<M['input'], M['output']>
          : M extends Typed<'bidi_streaming'>
            ? BidiStreamingCall<M['input'], M['output']>
            : never;

export type ServiceClient<S extends DescService> = {
  readonly [K in keyof S['method']]: MethodCall<S['method'][K]>;
};
