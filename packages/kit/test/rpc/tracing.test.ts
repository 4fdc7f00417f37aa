import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { RouterService } from '@quantumlayer/contracts';
import { initTracing, type TracingHandle } from '../../src/tracing.js';
import {
  Code,
  createGrpcClient,
  createGrpcServer,
  type GrpcClient,
  type GrpcServer,
} from '../../src/rpc/index.js';
import { capturingLogger, routerImpl, userPrompt, type RouterProbe } from './support.js';

const ROUTER = RouterService.typeName;

describe('gRPC tracing', () => {
  const exporter = new InMemorySpanExporter();
  const probe: RouterProbe = { contexts: [], aborts: [] };
  let tracing: TracingHandle;
  let server: GrpcServer;
  let client: GrpcClient<typeof RouterService>;

  beforeAll(async () => {
    // kit's own setup: global provider, AsyncLocalStorage context manager, W3C propagator.
    tracing = initTracing({
      service: 'rpc-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    server = createGrpcServer({ logger: capturingLogger().logger });
    server.addService(RouterService, routerImpl(probe));
    const port = await server.start({ host: '127.0.0.1', port: 0 });
    client = createGrpcClient(RouterService, `127.0.0.1:${port}`);
  });

  afterAll(async () => {
    client.close();
    await server.shutdown(2_000);
    await tracing.shutdown();
  });

  beforeEach(() => exporter.reset());

  const spansOf = (traceId: string): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

  async function waitForSpans(traceId: string, count: number): Promise<ReadableSpan[]> {
    for (let i = 0; i < 100 && spansOf(traceId).length < count; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return spansOf(traceId);
  }

  test('a call inside an active span continues the trace on the server', async () => {
    const tracer = trace.getTracer('test');
    const traceId = await tracer.startActiveSpan('caller', async (span) => {
      await client.complete(userPrompt('fake/echo', 'hi'));
      span.end();
      return span.spanContext().traceId;
    });

    const spans = await waitForSpans(traceId, 3);
    const name = `${ROUTER}/Complete`;
    const clientSpan = spans.find((s) => s.name === name && s.kind === SpanKind.CLIENT);
    const serverSpan = spans.find((s) => s.name === name && s.kind === SpanKind.SERVER);
    const caller = spans.find((s) => s.name === 'caller');
    expect(caller && clientSpan && serverSpan).toBeTruthy();
    expect(serverSpan!.spanContext().traceId).toBe(traceId);
    expect(clientSpan!.parentSpanContext?.spanId).toBe(caller!.spanContext().spanId);
    expect(serverSpan!.parentSpanContext?.spanId).toBe(clientSpan!.spanContext().spanId);
    expect(serverSpan!.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': ROUTER,
      'rpc.method': 'Complete',
      'rpc.grpc.status_code': Code.OK,
    });
    // The handler was handed its own server span.
    expect(probe.contexts.at(-1)?.span?.spanContext().spanId).toBe(
      serverSpan!.spanContext().spanId,
    );
  });

  test('streaming calls and failures are traced with their status code', async () => {
    const tracer = trace.getTracer('test');
    const traceId = await tracer.startActiveSpan('caller', async (span) => {
      const stream = client.streamComplete(userPrompt('fake/echo', 'a b'));
      for await (const _ of stream) {
        // drain
      }
      await client.complete(userPrompt('invalid', 'x')).catch(() => undefined);
      await client.complete(userPrompt('boom', 'x')).catch(() => undefined);
      span.end();
      return span.spanContext().traceId;
    });

    const spans = await waitForSpans(traceId, 7);
    const server = (method: string) =>
      spans.filter((s) => s.kind === SpanKind.SERVER && s.name === `${ROUTER}/${method}`);
    expect(server('StreamComplete')).toHaveLength(1);
    expect(server('StreamComplete')[0]!.attributes['rpc.grpc.status_code']).toBe(Code.OK);

    const codes = server('Complete').map((s) => [
      s.attributes['rpc.grpc.status_code'],
      s.status.code,
    ]);
    // INVALID_ARGUMENT is the caller's fault: not a server error. INTERNAL is.
    expect(codes).toEqual(
      expect.arrayContaining([
        [Code.INVALID_ARGUMENT, SpanStatusCode.UNSET],
        [Code.INTERNAL, SpanStatusCode.ERROR],
      ]),
    );
  });
});
