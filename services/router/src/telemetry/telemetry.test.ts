import { initTracing, type TracingHandle } from '@quantumlayer/kit';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { testConfig, testEngine, userCall } from '../../test/support/engine.js';
import { RouterMetrics } from './metrics.js';

const exporter = new InMemorySpanExporter();
let tracing: TracingHandle;

beforeAll(() => {
  tracing = initTracing({
    service: 'router-test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
});
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

it('emits a GenAI client span per attempt inside one call span', async () => {
  const t = testEngine();
  t.adapters.a!.then({ kind: 'fail', error: 'overloaded' });
  await t.engine.complete(userCall('pair', 'hi', { maxTokens: 64, temperature: 0.2 }), {
    api: 'http',
  });
  t.engine.shutdown();
  const spans = exporter.getFinishedSpans();
  const call = spans.find((s) => s.name === 'router chat pair')!;
  const attempts = spans.filter((s) => s.name === 'chat m1');
  expect(attempts).toHaveLength(2);
  for (const a of attempts) expect(a.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
  expect(attempts[0]!.attributes).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'vllm',
    'gen_ai.request.model': 'm1',
    'gen_ai.request.max_tokens': 64,
    'gen_ai.request.temperature': 0.2,
    'error.type': 'overloaded',
  });
  expect(attempts[1]!.attributes).toMatchObject({
    'gen_ai.usage.input_tokens': 10,
    'gen_ai.usage.output_tokens': 5,
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.response.model': 'm1',
  });
  expect(call.attributes).toMatchObject({
    'ql.router.attempts': 2,
    'ql.router.model': 'b/m1',
    'ql.router.outcome': 'succeeded',
  });
});

it('records latency, TTFT, tokens, cost, errors by class and breaker state per model', async () => {
  const registry = new Registry();
  const t = testEngine(testConfig(), { metrics: new RouterMetrics(registry) });
  t.adapters.a!.then({ kind: 'fail', error: 'rate_limited' });
  await t.engine.complete(userCall('pair'), { api: 'grpc' });
  t.adapters.b!.then({ kind: 'stream', chunks: ['x', 'y'] });
  for await (const _ of t.engine.stream(userCall('b/m1'), { api: 'http' })) void _;
  t.engine.shutdown();
  const text = await registry.metrics();
  expect(text).toMatch(
    /ql_router_provider_errors_total\{provider="a",model="a\/m1",class="rate_limited"\} 1/,
  );
  expect(text).toMatch(/ql_router_attempt_duration_seconds_count\{provider="b",model="b\/m1"\} 2/);
  expect(text).toMatch(
    /ql_router_time_to_first_token_seconds_count\{provider="b",model="b\/m1"\} 1/,
  );
  expect(text).toMatch(/ql_router_tokens_total\{provider="b",model="b\/m1",direction="input"\} 20/);
  expect(text).toMatch(/ql_router_cost_usd_total\{provider="b",model="b\/m1"\} \d/);
  expect(text).toMatch(/ql_router_breaker_state\{provider="a",model="a\/m1"\} 0/);
  expect(text).toMatch(
    /ql_router_calls_total\{api="grpc",kind="completion",outcome="succeeded"\} 1/,
  );
});
