/**
 * gRPC for every service, from protobuf-es descriptors:
 *
 *   const server = createGrpcServer({ logger, registry, authenticate, publicMethods });
 *   server.addService(RouterService, impl);          // impl: ServiceImpl<typeof RouterService>
 *   const port = await server.start({ port: 0 });    // + grpc.health.v1 and reflection
 *   lifecycle.onShutdown('readiness', 'grpc', () => server.setServingStatus('', 'NOT_SERVING'));
 *   lifecycle.onShutdown('servers', 'grpc', () => server.shutdown(10_000));
 *
 *   const router = createGrpcClient(RouterService, 'router:50051', { token, registry });
 *   await router.complete(req, { timeoutMs: 60_000, signal: ctx.signal });
 *
 * Handlers throw `RpcError` (or zod errors) for the statuses clients should see; anything else
 * is logged and answered INTERNAL.
 */
export {
  Code,
  Status,
  RpcError,
  codeName,
  isRpcError,
  knownRpcError,
  rpcErrorFromZod,
} from './errors.js';
export type { RpcErrorOptions } from './errors.js';
export { Metadata, bearerToken, toMetadata } from './metadata.js';
export { callerTenant } from './tenant.js';
export type { MetadataInit } from './metadata.js';
export {
  TRACER_NAME,
  clientAuthInterceptor,
  clientMetricsInterceptor,
  clientTracingInterceptor,
  isPublicMethod,
  serverAuthInterceptor,
  serverMetricsInterceptor,
  serverTracingInterceptor,
  statusCodeOf,
} from './interceptors.js';
export type { Authenticate, ServerAuthOptions, TokenProvider } from './interceptors.js';
export { GrpcServer, createGrpcServer, REFLECTION_SERVICES } from './server.js';
export {
  HEALTH_SERVICE,
  HealthCheckResponse_ServingStatus,
  HealthService,
  healthFileDescriptor,
} from './health.js';
export type {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthListRequest,
  HealthListResponse,
  HealthServiceDesc,
} from './health.js';
export type { GrpcServerOptions, ServingStatus, StartOptions } from './server.js';
export { createGrpcClient, DEFAULT_TIMEOUT_MS } from './client.js';
export type { ClientControls, GrpcClient, GrpcClientOptions } from './client.js';
export {
  encodeFileDescriptor,
  reflectionPackageDefinition,
  transitiveFiles,
} from './reflection.js';
export type { ReflectionPackageDefinition } from './reflection.js';
export type {
  BidiStreamingCall,
  BidiStreamingImpl,
  CallOptions,
  ClientCall,
  ClientInterceptor,
  ClientStreamingCall,
  ClientStreamingImpl,
  HandlerContext,
  MethodCall,
  MethodImpl,
  MethodKind,
  Principal,
  ServerCall,
  ServerInterceptor,
  ServerStreamingCall,
  ServerStreamingImpl,
  ServiceClient,
  ServiceImpl,
  UnaryCall,
  UnaryImpl,
  UntypedCall,
} from './types.js';
