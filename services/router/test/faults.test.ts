// Fault tests: real adapters, loopback fakes scripted to fail, throttle, stall and cut streams.
// The fakes' request counters prove what reached the upstream.
import { OpenAIFake } from '@quantumlayer/provider-fakes';
import OpenAI from 'openai';
import {
  API_KEY,
  modelYaml,
  sleep,
  startRouter,
  type RunningRouter,
  unexpected,
} from './support/app.js';

const upstreamA = new OpenAIFake({
  apiKey: API_KEY,
  models: ['m-flaky', 'm-throttle', 'm-stall', 'm-cut', 'm-pricey'],
});
const upstreamB = new OpenAIFake({ apiKey: API_KEY, models: ['m-good'] });
let router: RunningRouter;
let client: OpenAI;

const COOL_DOWN_MS = 1_500;

beforeAll(async () => {
  await Promise.all([upstreamA.start(), upstreamB.start()]);
  router = await startRouter({
    yaml: `
providers:
  - name: a
    kind: openai
    baseUrl: ${upstreamA.url}/v1
    apiKeyEnv: TEST_API_KEY
    models:
${modelYaml('m-flaky')}
${modelYaml('m-throttle')}
${modelYaml('m-stall')}
${modelYaml('m-cut')}
      - id: m-pricey
        inputCostPerMTok: 50
        outputCostPerMTok: 200
        contextWindow: 128000
        maxOutputTokens: 32000
  - name: b
    kind: openai
    baseUrl: ${upstreamB.url}/v1
    apiKeyEnv: TEST_API_KEY
    models:
${modelYaml('m-good')}
routes:
  - alias: flaky-first
    candidates: [a/m-flaky, b/m-good]
  - alias: stall-first
    candidates: [a/m-stall, b/m-good]
breaker:
  volumeThreshold: 4
  errorThresholdPercentage: 50
  rollingWindowMs: 20000
  resetTimeoutMs: ${COOL_DOWN_MS}
timeouts:
  firstTokenMs: 300
  attemptMs: 5000
retry:
  baseDelayMs: 20
  maxDelayMs: 100
`,
  });
  client = new OpenAI({ baseURL: `${router.httpUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await router?.stop();
  await Promise.all([upstreamA.close(), upstreamB.close()]);
});

const ask = (model: string, headers: Record<string, string> = {}) =>
  client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'ping' }] }, { headers })
    .withResponse();

const flakyCount = () => upstreamA.count({ model: 'm-flaky' });

it('answers through fallback while one candidate fails every call, and the open breaker stops its traffic until the cool-down', async () => {
  upstreamA.when({ model: 'm-flaky' }, { kind: 'fail', error: 'server' });

  // Every call is answered, by the fallback; the failing upstream sees each call once.
  for (let i = 0; i < 4; i++) {
    const { data, response } = await ask('flaky-first');
    expect(data.choices[0]!.message.content).toContain('ping');
    expect(response.headers.get('x-ql-model')).toBe('b/m-good');
    expect(response.headers.get('x-ql-attempts')).toBe('2');
  }
  expect(flakyCount()).toBe(4);

  // Volume reached at 100% errors: the breaker is open. No more traffic to the failing upstream.
  for (let i = 0; i < 10; i++) {
    const { response } = await ask('flaky-first');
    expect(response.headers.get('x-ql-model')).toBe('b/m-good');
    expect(response.headers.get('x-ql-attempts')).toBe('1');
  }
  expect(flakyCount()).toBe(4);
  const health = router.app.engine.health(router.app.engine.catalog.get('a/m-flaky')!);
  expect(health).toMatchObject({ breakerState: 'open', available: false });
  const metrics =
    await router.app.runtime.registry.getSingleMetricAsString('ql_router_breaker_state');
  expect(metrics).toMatch(/ql_router_breaker_state\{[^}]*model="a\/m-flaky"[^}]*\} 2/);

  // After the cool-down one trial call goes through; it fails, and the breaker opens again.
  await sleep(COOL_DOWN_MS + 100);
  expect(router.app.engine.health(router.app.engine.catalog.get('a/m-flaky')!).breakerState).toBe(
    'half_open',
  );
  await ask('flaky-first');
  expect(flakyCount()).toBe(5);
  for (let i = 0; i < 3; i++) await ask('flaky-first');
  expect(flakyCount()).toBe(5);
});

it('retries a 429 with Retry-After: 1 no sooner than a second later', async () => {
  upstreamA.enqueueFor({ model: 'm-throttle' }, { kind: 'throttle', retryAfterSeconds: 1 });
  const started = Date.now();
  const { data, response } = await ask('a/m-throttle');
  const elapsed = Date.now() - started;
  expect(data.choices[0]!.message.content).toContain('ping');
  expect(elapsed).toBeGreaterThanOrEqual(1_000);
  expect(response.headers.get('x-ql-attempts')).toBe('2');
  const received = upstreamA.received({ model: 'm-throttle' });
  expect(received).toHaveLength(2);
  expect(received[1]!.receivedAt - received[0]!.receivedAt).toBeGreaterThanOrEqual(1_000);
});

it('refuses a call its budget cannot cover before any upstream call', async () => {
  // Router-level budget of a generation, sent by the caller: $0.01 left, the call may cost $6.4.
  const err = await ask('a/m-pricey', {
    'x-ql-generation-id': 'gen-budget-1',
    'x-ql-generation-budget-usd': '0.01',
  }).then(unexpected, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err.status).toBe(402);
  expect(err.code).toBe('budget_exceeded');
  expect(err.message).toMatch(
    /budget exceeded: the generation has \$0\.010000 left of \$0\.010000, the call needs up to \$6\.4/,
  );

  // A per-call cost ceiling that no candidate meets is refused the same way, naming the constraint.
  const capped = await ask('a/m-pricey', { 'x-ql-max-cost-usd': '0.001' }).then(
    unexpected,
    (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
  );
  expect(capped.status).toBe(400);
  expect(capped.message).toMatch(/constraints\.max_cost/);
  expect(upstreamA.count({ model: 'm-pricey' })).toBe(0);
});

it('falls back when a stream stalls before its first token', async () => {
  upstreamA.when({ model: 'm-stall' }, { kind: 'stall' });
  const started = Date.now();
  const stream = await client.chat.completions.create({
    model: 'stall-first',
    messages: [{ role: 'user', content: 'ping' }],
    stream: true,
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  expect(text).toContain('ping');
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(upstreamA.count({ model: 'm-stall' })).toBe(1);
});

it('ends a stream cut after its first token with an error event, without fallback', async () => {
  upstreamA.enqueueFor(
    { model: 'm-cut' },
    { kind: 'cut', afterChunks: 2, chunks: ['one ', 'two ', 'three'] },
  );
  const stream = await client.chat.completions.create({
    model: 'a/m-cut',
    messages: [{ role: 'user', content: 'ping' }],
    stream: true,
  });
  let text = '';
  const err = await (async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  })().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(String((err as Error).message)).toMatch(/failed after it started/);
  expect(text.length).toBeGreaterThan(0);
});
