// Every call leaves a UsageRecorded event on NATS JetStream, published in batches (the outbox
// takes what the bus does not confirm); generation spend is kept in Redis.
import {
  Role,
  RouterService,
  UsageKind,
  UsageOutcome,
  UsageRecordedSchema,
  type UsageRecorded,
} from '@quantumlayer/contracts';
import {
  createGrpcClient,
  decodeEvent,
  domainStream,
  type ConsumerSpec,
  type Subscription,
} from '@quantumlayer/kit';
import { OpenAIFake } from '@quantumlayer/provider-fakes';
import OpenAI from 'openai';
import {
  API_KEY,
  modelYaml,
  sleep,
  startRouter,
  waitFor,
  type RunningRouter,
  unexpected,
} from './support/app.js';

const upstream = new OpenAIFake({ apiKey: API_KEY, models: ['gpt-4o-mini', 'broken'] });
let router: RunningRouter;
let client: OpenAI;
let subscription: Subscription;
const events: { event: UsageRecorded; headers: Record<string, string>; id: string }[] = [];

beforeAll(async () => {
  await upstream.start();
  router = await startRouter({
    redis: true,
    yaml: `
providers:
  - name: oai
    kind: openai
    baseUrl: ${upstream.url}/v1
    apiKeyEnv: TEST_API_KEY
    models:
${modelYaml('gpt-4o-mini')}
${modelYaml('broken')}
retry:
  maxRetriesPerCandidate: 0
`,
  });
  client = new OpenAI({ baseURL: `${router.httpUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  subscription = await subscribeUsage();
});

const usageConsumer: ConsumerSpec = {
  stream: 'QL_USAGE',
  durable: 'router-test-usage',
  filterSubject: 'ql.usage.v1.usage_recorded',
  maxDeliver: 3,
  ackWaitMs: 5_000,
  maxInFlight: 64,
  deadLetterSubject: 'ql.dlq.router-test',
};

function subscribeUsage(): Promise<Subscription> {
  return router.bus.subscribe(usageConsumer, async (e) => {
    events.push({
      event: decodeEvent(UsageRecordedSchema, e),
      headers: { ...e.headers },
      id: e.id,
    });
  });
}

/** `ql_router_usage_records_total` by result, from the router's /metrics. */
async function usageCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${router.httpUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(
    /^ql_router_usage_records_total\{[^}]*result="(\w+)"[^}]*\} (\d+)/gm,
  ))
    counts[m[1]!] = Number(m[2]);
  return counts;
}

afterAll(async () => {
  await subscription?.stop();
  await router?.stop();
  await upstream.close();
});

const byRequest = (id: string) => events.filter((e) => e.event.requestId === id);

it('publishes one UsageRecorded per call, whatever the API and outcome, each with its own event id', async () => {
  upstream.when({ model: 'broken' }, { kind: 'fail', error: 'server' });
  const headers = (id: string) => ({
    'x-ql-request-id': id,
    'x-ql-tenant-id': 'tenant-u',
    'x-ql-generation-id': 'gen-u',
  });

  upstream.enqueueFor(
    { model: 'gpt-4o-mini' },
    { kind: 'reply', usage: { inputTokens: 100, outputTokens: 10 } },
  );
  await client.chat.completions.create(
    { model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'one' }] },
    { headers: headers('u-http') },
  );
  const stream = await client.chat.completions.create(
    { model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'two' }], stream: true },
    { headers: headers('u-stream') },
  );
  for await (const _ of stream) void _;
  await client.chat.completions
    .create(
      { model: 'oai/broken', messages: [{ role: 'user', content: 'three' }] },
      { headers: headers('u-failed') },
    )
    .catch(() => undefined);
  await client.chat.completions
    .create(
      { model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'four' }] },
      { headers: { ...headers('u-budget'), 'x-ql-generation-budget-usd': '0.000001' } },
    )
    .catch(() => undefined);
  const grpc = createGrpcClient(RouterService, router.grpcAddress);
  try {
    await grpc.complete({
      input: {
        model: 'oai/gpt-4o-mini',
        messages: [{ role: Role.USER, content: [{ part: { case: 'text', value: 'five' } }] }],
        context: {
          tenantId: 'tenant-u',
          generationId: 'gen-u',
          requestId: 'u-grpc',
          caller: 'agent/architect',
          stepId: 'step-9',
        },
      },
    });
  } finally {
    grpc.close();
  }

  const ids = ['u-http', 'u-stream', 'u-failed', 'u-budget', 'u-grpc'];
  await waitFor('five UsageRecorded events', () => ids.every((id) => byRequest(id).length === 1));

  const http = byRequest('u-http')[0]!;
  expect(http.event).toMatchObject({
    tenantId: 'tenant-u',
    generationId: 'gen-u',
    provider: 'oai',
    model: 'oai/gpt-4o-mini',
    kind: UsageKind.COMPLETION,
    outcome: UsageOutcome.SUCCEEDED,
    attemptCount: 1,
    tokens: expect.objectContaining({ inputTokens: 100, outputTokens: 10, totalTokens: 110 }),
  });
  expect(http.event.cost?.usdMicros).toBe(120n);
  expect(http.headers['ce-type']).toBe('quantumlayer.usage.v1.UsageRecorded');
  expect(http.headers['ce-source']).toBe('router');
  expect(http.headers['ce-subject']).toBe('gen-u');
  expect(http.headers['ql-tenant']).toBe('tenant-u');

  expect(byRequest('u-stream')[0]!.event).toMatchObject({
    kind: UsageKind.STREAM_COMPLETION,
    outcome: UsageOutcome.SUCCEEDED,
  });
  expect(byRequest('u-stream')[0]!.event.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
  expect(byRequest('u-failed')[0]!.event).toMatchObject({
    outcome: UsageOutcome.FAILED,
    attemptCount: 1,
    model: 'oai/broken',
  });
  expect(byRequest('u-budget')[0]!.event).toMatchObject({
    outcome: UsageOutcome.BUDGET_EXCEEDED,
    attemptCount: 0,
  });
  expect(byRequest('u-budget')[0]!.event.cost?.usdMicros).toBe(0n);
  expect(byRequest('u-grpc')[0]!.event).toMatchObject({
    caller: 'agent/architect',
    stepId: 'step-9',
    outcome: UsageOutcome.SUCCEEDED,
  });

  // Published straight to the bus, each call its own event id; nothing went through the outbox.
  const counts = await usageCounts();
  expect(counts.published).toBeGreaterThanOrEqual(5);
  expect(counts.spilled ?? 0).toBe(0);
  const eventIds = ids.map((id) => byRequest(id)[0]!.id);
  expect(new Set(eventIds).size).toBe(5);
  expect(await router.app.runtime.relay.backlog()).toBe(0);
});

it('puts usage the bus does not confirm into the outbox, and the relay publishes it once the bus is back', async () => {
  // The usage stream is gone: JetStream answers every publish with "no responders".
  await subscription.stop();
  await router.bus.deleteStreams(['QL_USAGE']);
  const before = await usageCounts();
  const ids = ['o-1', 'o-2', 'o-3'];
  for (const id of ids) {
    await client.chat.completions.create(
      { model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: id }] },
      { headers: { 'x-ql-request-id': id, 'x-ql-tenant-id': 'tenant-o' } },
    );
  }
  await waitFor(
    'the batch in the outbox',
    async () => ((await usageCounts()).spilled ?? 0) - (before.spilled ?? 0) === 3,
  );
  expect(await router.app.runtime.relay.backlog()).toBeGreaterThan(0);

  // The stream is back: the relay publishes the three, once each.
  await router.bus.ensureStreams([domainStream('usage')]);
  subscription = await subscribeUsage();
  await waitFor('the relayed events', () => ids.every((id) => byRequest(id).length === 1));
  await waitFor('an empty outbox', async () => (await router.app.runtime.relay.backlog()) === 0);
  // Longer than the relay's poll: a second copy would have arrived by now.
  await sleep(1_200);
  expect(ids.map((id) => byRequest(id).length)).toEqual([1, 1, 1]);
});

it('tracks generation spend in Redis: reserve, settle once per request id, refuse when exhausted', async () => {
  const key = { tenantId: 'tenant-r', generationId: 'gen-r' };
  const headers = (id: string) => ({
    'x-ql-request-id': id,
    'x-ql-tenant-id': key.tenantId,
    'x-ql-generation-id': key.generationId,
    'x-ql-generation-budget-usd': '0.0004',
  });
  const call = (id: string, maxTokens: number) =>
    client.chat.completions.create(
      {
        model: 'oai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: maxTokens,
      },
      { headers: headers(id) },
    );
  expect(router.app.budget.kind).toBe('redis');

  upstream.enqueueFor(
    { model: 'gpt-4o-mini' },
    { kind: 'reply', usage: { inputTokens: 50, outputTokens: 25 } },
  );
  await call('r-1', 100);
  await waitFor('settlement', async () => (await router.app.budget.spent(key)).spentMicros === 100);
  expect((await router.app.budget.spent(key)).reservedMicros).toBe(0);

  // The same request id again is answered but not charged twice.
  upstream.enqueueFor(
    { model: 'gpt-4o-mini' },
    { kind: 'reply', usage: { inputTokens: 50, outputTokens: 25 } },
  );
  await call('r-1', 100);
  await new Promise((r) => setTimeout(r, 100));
  expect((await router.app.budget.spent(key)).spentMicros).toBe(100);

  // $0.0004 − $0.0001 spent leaves 300 µ$; a call that may cost ~8 + 2 × 200 µ$ is refused.
  const before = upstream.count({ model: 'gpt-4o-mini' });
  const err = await call('r-2', 200).then(
    unexpected,
    (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
  );
  expect(err.status).toBe(402);
  expect(err.message).toMatch(/generation has \$0\.000300 left of \$0\.000400/);
  expect(upstream.count({ model: 'gpt-4o-mini' })).toBe(before);
});
