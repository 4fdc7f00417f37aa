import { credentials } from '@grpc/grpc-js';
import { FinishReason, RouterService, type StreamCompleteResponse } from '@quantumlayer/contracts';
import { GrpcReflection } from 'grpc-js-reflection-client';
import { Registry } from 'prom-client';
import {
  bearerToken,
  Code,
  createGrpcClient,
  createGrpcServer,
  HealthCheckResponse_ServingStatus,
  HealthService,
  isRpcError,
  RpcError,
  type GrpcClient,
  type GrpcServer,
  type Principal,
} from '../../src/rpc/index.js';
import { capturingLogger, routerImpl, userPrompt, type RouterProbe } from './support.js';

const ROUTER = RouterService.typeName;

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (err) {
    if (isRpcError(err)) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('gRPC adapter (RouterService over loopback)', () => {
  const probe: RouterProbe = { contexts: [], aborts: [] };
  const { logger, lines } = capturingLogger();
  const serverRegistry = new Registry();
  const clientRegistry = new Registry();
  let server: GrpcServer;
  let address: string;
  let client: GrpcClient<typeof RouterService>;
  let authedClient: GrpcClient<typeof RouterService>;

  beforeAll(async () => {
    server = createGrpcServer({
      name: 'router-test',
      logger,
      registry: serverRegistry,
      authenticate: async (metadata): Promise<Principal | undefined> => {
        const token = bearerToken(metadata);
        if (token === undefined) return undefined;
        if (token !== 'good-token') throw new Error(`unknown token ${token}`);
        return { subject: 'svc-agent', tenantId: 'tenant-1', kind: 'service' };
      },
      // Embed stays private: the auth tests use it.
      publicMethods: [`${ROUTER}/Complete`, `/${ROUTER}/StreamComplete`, `${ROUTER}/ListModels`],
    });
    server.addService(RouterService, routerImpl(probe));
    const port = await server.start({ host: '127.0.0.1', port: 0 });
    expect(port).toBeGreaterThan(0);
    address = `127.0.0.1:${port}`;
    client = createGrpcClient(RouterService, address, {
      defaultTimeoutMs: 5_000,
      registry: clientRegistry,
    });
    authedClient = createGrpcClient(RouterService, address, { token: () => 'good-token' });
  });

  afterAll(async () => {
    client.close();
    authedClient.close();
    await server.shutdown(2_000);
  });

  test('unary Complete round-trips typed messages, metadata and a deadline', async () => {
    const res = await client.complete(userPrompt('fake/echo', 'hello world'), {
      metadata: { 'x-request-id': 'req-42' },
    });
    expect(res.$typeName).toBe('quantumlayer.router.v1.CompleteResponse');
    expect(res.finishReason).toBe(FinishReason.STOP);
    const part = res.message?.content[0]?.part;
    expect(part).toEqual({ case: 'text', value: 'echo(anonymous): hello world' });
    expect(res.stats?.requestId).toBe('req-42');

    const ctx = probe.contexts.at(-1)!;
    expect(ctx.service).toBe(ROUTER);
    expect(ctx.method).toBe('Complete');
    expect(ctx.principal).toBeUndefined();
    // The client's default timeout travels as the call's deadline.
    expect(ctx.deadline).toBeInstanceOf(Date);
    expect(ctx.deadline!.getTime() - Date.now()).toBeGreaterThan(3_000);
    expect(ctx.deadline!.getTime() - Date.now()).toBeLessThanOrEqual(5_000);
  });

  test('server-streaming StreamComplete yields every chunk in order', async () => {
    const chunks: StreamCompleteResponse['chunk'][] = [];
    for await (const res of client.streamComplete(userPrompt('fake/echo', 'one two three'))) {
      chunks.push(res.chunk);
    }
    expect(chunks.map((c) => c.case)).toEqual(['start', 'delta', 'delta', 'delta', 'end']);
    expect(chunks.filter((c) => c.case === 'delta').map((c) => c.value.text)).toEqual([
      'one',
      'two',
      'three',
    ]);
  });

  test('a consumer that stops reading early cancels the stream without an error', async () => {
    const seen: string[] = [];
    for await (const res of client.streamComplete(userPrompt('fake/echo', 'a b c d'))) {
      seen.push(res.chunk.case ?? '');
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['start', 'delta']);
    // The channel is still usable afterwards.
    const res = await client.complete(userPrompt('fake/echo', 'after'));
    expect(res.message?.content[0]?.part.value).toBe('echo(anonymous): after');
  });

  test('a handler that outlives the deadline: client gets DEADLINE_EXCEEDED, handler signal fires', async () => {
    probe.aborts.length = 0;
    const started = Date.now();
    const err = await rejection(client.complete(userPrompt('slow', 'x'), { timeoutMs: 200 }));
    expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2_000);
    await until(() => probe.aborts.length === 1);
    const reason = probe.aborts[0];
    expect(isRpcError(reason)).toBe(true);
    // Whichever side notices first: the client's cancel at its deadline or the server's timer.
    expect([Code.DEADLINE_EXCEEDED, Code.CANCELLED]).toContain((reason as RpcError).code);
  });

  test("aborting the caller's signal cancels the call on both sides", async () => {
    probe.aborts.length = 0;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await rejection(
      client.complete(userPrompt('slow', 'x'), { timeoutMs: 5_000, signal: controller.signal }),
    );
    expect(err.code).toBe(Code.CANCELLED);
    await until(() => probe.aborts.length === 1);
    expect((probe.aborts[0] as RpcError).code).toBe(Code.CANCELLED);
  });

  test('an already-aborted signal fails fast with CANCELLED', async () => {
    const err = await rejection(
      client.complete(userPrompt('fake/echo', 'x'), { signal: AbortSignal.abort() }),
    );
    expect(err.code).toBe(Code.CANCELLED);
  });

  test('RpcError from a handler reaches the client with its code and message', async () => {
    const err = await rejection(client.complete(userPrompt('invalid', 'x')));
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.message).toBe('input.messages: must not be empty');
  });

  test('a plain Error becomes INTERNAL without leaking its message, and is logged', async () => {
    const err = await rejection(client.complete(userPrompt('boom', 'x')));
    expect(err.code).toBe(Code.INTERNAL);
    expect(err.message).toBe('internal error');
    expect(err.message).not.toMatch(/10\.0\.0\.7|hunter2|pg:/);
    const logged = lines().find((l) => l.msg === 'rpc handler failed');
    expect(logged).toBeDefined();
    expect(logged!.rpc).toBe(`/${ROUTER}/Complete`);
    expect(JSON.stringify(logged!.err)).toContain('connection to 10.0.0.7 refused');
  });

  describe('auth', () => {
    test('a non-public method without a token is UNAUTHENTICATED', async () => {
      const err = await rejection(client.embed({ inputs: ['a'] }));
      expect(err.code).toBe(Code.UNAUTHENTICATED);
    });

    test('with a valid token the call succeeds and the handler sees the principal', async () => {
      const res = await authedClient.embed({ inputs: ['a', 'b'] });
      expect(res.embeddings.map((e) => e.index)).toEqual([0, 1]);
      const reply = await authedClient.complete(userPrompt('fake/echo', 'hi'));
      expect(reply.message?.content[0]?.part.value).toBe('echo(svc-agent): hi');
      expect(probe.contexts.at(-1)?.principal).toEqual({
        subject: 'svc-agent',
        tenantId: 'tenant-1',
        kind: 'service',
      });
    });

    test('a bad token is rejected even on a public method, without saying why', async () => {
      const badClient = createGrpcClient(RouterService, address, { token: async () => 'stolen' });
      try {
        const err = await rejection(badClient.complete(userPrompt('fake/echo', 'hi')));
        expect(err.code).toBe(Code.UNAUTHENTICATED);
        expect(err.message).not.toContain('stolen');
      } finally {
        badClient.close();
      }
    });
  });

  test('health answers SERVING, then NOT_SERVING after setServingStatus', async () => {
    const health = createGrpcClient(HealthService, address, { defaultTimeoutMs: 2_000 });
    try {
      expect((await health.check({ service: '' })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );
      expect((await health.check({ service: ROUTER })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );

      server.setServingStatus(ROUTER, 'NOT_SERVING');
      expect((await health.check({ service: ROUTER })).status).toBe(
        HealthCheckResponse_ServingStatus.NOT_SERVING,
      );
      const unknown = await rejection(health.check({ service: 'no.such.Service' }));
      expect(unknown.code).toBe(Code.NOT_FOUND);
    } finally {
      server.setServingStatus(ROUTER, 'SERVING');
      health.close();
    }
  });

  test.each(['v1', 'v1alpha'])(
    'reflection (%s) lists the services and serves their descriptors',
    async (version) => {
      const reflection = new GrpcReflection(address, credentials.createInsecure(), {}, version);
      const services = await reflection.listServices();
      expect(services).toEqual(expect.arrayContaining([ROUTER, 'grpc.health.v1.Health']));

      const descriptor = await reflection.getDescriptorBySymbol(ROUTER);
      const root = descriptor.getProtobufJsRoot();
      const service = root.lookupService(ROUTER);
      expect(Object.keys(service.methods).sort()).toEqual([
        'Complete',
        'Embed',
        'ListModels',
        'StreamComplete',
      ]);
      expect(service.methods.StreamComplete?.responseStream).toBe(true);
      // Imports come along: the response's money and timestamp types resolve.
      expect(root.lookupType('quantumlayer.common.v1.Money')).toBeDefined();
      expect(root.lookupType('google.protobuf.Timestamp')).toBeDefined();

      const methods = await reflection.listMethods(ROUTER);
      expect(methods.map((m) => m.name).sort()).toEqual([
        'Complete',
        'Embed',
        'ListModels',
        'StreamComplete',
      ]);
    },
  );

  test('metrics count calls by service, method and code on both sides', async () => {
    await client.listModels({});
    const serverText = await serverRegistry.metrics();
    const line = (name: string, method: string, code: string) =>
      new RegExp(
        `^${name}\\{(?=[^}]*service="${ROUTER.replaceAll('.', '\\.')}")(?=[^}]*method="${method}")(?=[^}]*code="${code}")[^}]*\\} [1-9]`,
        'm',
      );
    expect(serverText).toMatch(line('ql_rpc_server_requests_total', 'Complete', 'OK'));
    expect(serverText).toMatch(line('ql_rpc_server_requests_total', 'ListModels', 'OK'));
    expect(serverText).toMatch(
      line('ql_rpc_server_requests_total', 'Complete', 'INVALID_ARGUMENT'),
    );
    expect(serverText).toMatch(line('ql_rpc_server_requests_total', 'Complete', 'INTERNAL'));
    expect(serverText).toMatch(line('ql_rpc_server_requests_total', 'Embed', 'UNAUTHENTICATED'));
    expect(serverText).toMatch(line('ql_rpc_server_requests_total', 'StreamComplete', 'OK'));
    expect(serverText).toMatch(line('ql_rpc_server_duration_seconds_count', 'Complete', 'OK'));

    const clientText = await clientRegistry.metrics();
    expect(clientText).toMatch(line('ql_rpc_client_requests_total', 'Complete', 'OK'));
    expect(clientText).toMatch(
      line('ql_rpc_client_requests_total', 'Complete', 'DEADLINE_EXCEEDED'),
    );
    expect(clientText).toMatch(line('ql_rpc_client_requests_total', 'Complete', 'CANCELLED'));
    expect(clientText).toMatch(
      line('ql_rpc_client_duration_seconds_count', 'StreamComplete', 'OK'),
    );
  });
});

describe('GrpcServer lifecycle', () => {
  test('shutdown waits for in-flight calls, then forces them at the deadline', async () => {
    const probe: RouterProbe = { contexts: [], aborts: [] };
    const { logger } = capturingLogger();
    const server = createGrpcServer({ logger }).addService(RouterService, routerImpl(probe));
    const port = await server.start({ host: '127.0.0.1', port: 0 });
    const client = createGrpcClient(RouterService, `127.0.0.1:${port}`);
    try {
      const inFlight = client
        .complete(userPrompt('slow', 'x'), { timeoutMs: 10_000 })
        .catch((e: unknown) => e);
      await until(() => probe.contexts.length === 1);
      const started = Date.now();
      await server.shutdown(300);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(3_000);
      await until(() => probe.aborts.length === 1);
      const outcome = await inFlight;
      expect(isRpcError(outcome) ? outcome.code : outcome).not.toBe(Code.OK);
    } finally {
      client.close();
    }
  });

  test('a health status set before start is kept; shutdown reports NOT_SERVING', async () => {
    const server = createGrpcServer({ logger: capturingLogger().logger });
    server.addService(RouterService, routerImpl({ contexts: [], aborts: [] }));
    server.setServingStatus(ROUTER, 'NOT_SERVING');
    const port = await server.start({ host: '127.0.0.1', port: 0 });
    const health = createGrpcClient(HealthService, `127.0.0.1:${port}`);
    try {
      const status = async (service: string) => (await health.check({ service })).status;
      expect(await status(ROUTER)).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      expect(await status('')).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      health.close();
      await server.shutdown(1_000);
    }
  });

  test('a server with nothing in flight shuts down at once', async () => {
    const server = createGrpcServer({ logger: capturingLogger().logger });
    server.addService(RouterService, routerImpl({ contexts: [], aborts: [] }));
    await server.start({ host: '127.0.0.1', port: 0 });
    const started = Date.now();
    await server.shutdown(5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
