// RouterService over gRPC through the kit's client: round trips, streaming, listing, and the
// mapping of domain errors to status codes.
import {
  BreakerState,
  FinishReason,
  ModelCapability,
  Role,
  RouterService,
  type StreamCompleteResponse,
} from '@quantumlayer/contracts';
import { Code, createGrpcClient, RpcError, type GrpcClient } from '@quantumlayer/kit';
import { OpenAIFake } from '@quantumlayer/provider-fakes';
import { API_KEY, modelYaml, startRouter, type RunningRouter, unexpected } from './support/app.js';

const upstream = new OpenAIFake({
  apiKey: API_KEY,
  models: ['gpt-4o-mini', 'embed-small', 'slow'],
});
let router: RunningRouter;
let client: GrpcClient<typeof RouterService>;

beforeAll(async () => {
  await upstream.start();
  router = await startRouter({
    yaml: `
providers:
  - name: oai
    kind: openai
    baseUrl: ${upstream.url}/v1
    apiKeyEnv: TEST_API_KEY
    models:
${modelYaml('gpt-4o-mini')}
${modelYaml('slow')}
      - id: embed-small
        type: embedding
        inputCostPerMTok: 0.02
        contextWindow: 8191
routes:
  - alias: default
    candidates: [oai/gpt-4o-mini]
`,
  });
  client = createGrpcClient(RouterService, router.grpcAddress, { defaultTimeoutMs: 10_000 });
});

afterAll(async () => {
  client?.close();
  await router?.stop();
  await upstream.close();
});

const input = (model: string, text: string, extra: Record<string, unknown> = {}) => ({
  input: {
    model,
    messages: [{ role: Role.USER, content: [{ part: { case: 'text' as const, value: text } }] }],
    context: { tenantId: 'tenant-a', generationId: 'gen-1', caller: 'test/grpc' },
    ...extra,
  },
});

it('Complete: answer, finish reason and stats', async () => {
  upstream.enqueue({ kind: 'reply', text: 'pong', usage: { inputTokens: 7, outputTokens: 1 } });
  const r = await client.complete(input('default', 'ping'));
  expect(r.message?.role).toBe(Role.ASSISTANT);
  expect(r.message?.content[0]?.part).toEqual({ case: 'text', value: 'pong' });
  expect(r.finishReason).toBe(FinishReason.STOP);
  expect(r.stats).toMatchObject({ provider: 'oai', model: 'oai/gpt-4o-mini', attemptCount: 1 });
  expect(r.stats?.usage).toMatchObject({ inputTokens: 7, outputTokens: 1, totalTokens: 8 });
  expect(r.stats?.cost?.usdMicros).toBe(9n);
});

it('StreamComplete: one start, deltas, one end', async () => {
  upstream.enqueue({
    kind: 'stream',
    chunks: ['po', 'ng'],
    usage: { inputTokens: 7, outputTokens: 2 },
  });
  const chunks: StreamCompleteResponse[] = [];
  for await (const c of client.streamComplete(input('oai/gpt-4o-mini', 'ping'))) chunks.push(c);
  expect(chunks[0]!.chunk).toMatchObject({
    case: 'start',
    value: { provider: 'oai', model: 'oai/gpt-4o-mini' },
  });
  const text = chunks.map((c) => (c.chunk.case === 'delta' ? c.chunk.value.text : '')).join('');
  expect(text).toBe('pong');
  const end = chunks.at(-1)!.chunk;
  expect(end.case).toBe('end');
  if (end.case === 'end') {
    expect(end.value.finishReason).toBe(FinishReason.STOP);
    expect(end.value.stats?.usage?.outputTokens).toBe(2);
    expect(end.value.stats?.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
  }
  expect(chunks.filter((c) => c.chunk.case === 'start')).toHaveLength(1);
});

it('ListModels: prices, capabilities, health and aliases', async () => {
  const r = await client.listModels({});
  const m = r.models.find((x) => x.id === 'oai/gpt-4o-mini')!;
  expect(m).toMatchObject({
    provider: 'oai',
    providerModelId: 'gpt-4o-mini',
    contextWindowTokens: 128000,
  });
  expect(m.inputCostPerMtok?.usdMicros).toBe(1_000_000n);
  expect(m.capabilities).toEqual(
    expect.arrayContaining([ModelCapability.CHAT, ModelCapability.TOOLS]),
  );
  expect(m.health).toMatchObject({ available: true, breakerState: BreakerState.CLOSED });
  expect(r.aliases).toEqual([
    expect.objectContaining({ name: 'default', models: ['oai/gpt-4o-mini'] }),
  ]);
  const emb = await client.listModels({ capabilities: [ModelCapability.EMBEDDINGS] });
  expect(emb.models.map((x) => x.id)).toEqual(['oai/embed-small']);
});

it('Embed: one vector per input', async () => {
  const r = await client.embed({
    model: 'auto',
    inputs: ['a', 'b', 'c'],
    context: { tenantId: 'tenant-a' },
  });
  expect(r.embeddings.map((e) => e.index)).toEqual([0, 1, 2]);
  expect(r.dimensions).toBe(8);
  expect(r.stats?.model).toBe('oai/embed-small');
});

it('maps domain errors to status codes, naming the field', async () => {
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as RpcError,
    );

  const noTenant = await codeOf(
    client.complete({ input: { model: 'auto', messages: input('auto', 'x').input.messages } }),
  );
  expect(noTenant).toBeInstanceOf(RpcError);
  expect(noTenant!.code).toBe(Code.INVALID_ARGUMENT);
  expect(noTenant!.message).toMatch(/input\.context\.tenant_id: is required/);

  const empty = await codeOf(
    client.complete({ input: { model: 'auto', messages: [], context: { tenantId: 't' } } }),
  );
  expect(empty!.code).toBe(Code.INVALID_ARGUMENT);
  expect(empty!.message).toMatch(/input\.messages: must not be empty/);

  const unknown = await codeOf(client.complete(input('nope/x', 'x')));
  expect(unknown!.code).toBe(Code.INVALID_ARGUMENT);
  expect(unknown!.message).toMatch(/model: unknown model "nope\/x"/);

  const vision = await codeOf(
    client.complete(input('auto', 'x', { constraints: { needsVision: true } })),
  );
  expect(vision!.code).toBe(Code.FAILED_PRECONDITION);
  expect(vision!.message).toMatch(/constraints\.needs_vision/);

  const budget = await codeOf(
    client.complete(input('auto', 'x'), { metadata: { 'x-ql-generation-budget-usd': '0.000001' } }),
  );
  expect(budget!.code).toBe(Code.RESOURCE_EXHAUSTED);
  expect(budget!.message).toMatch(/budget exceeded/);

  upstream.when({ model: 'gpt-4o-mini' }, { kind: 'fail', error: 'server' }, 3);
  const down = await codeOf(client.complete(input('oai/gpt-4o-mini', 'x')));
  expect(down!.code).toBe(Code.UNAVAILABLE);
  expect(down!.message).toMatch(/every candidate failed: oai\/gpt-4o-mini: server_error/);
  // 3 failures of 5 calls within the window: the breaker opened, and the model is skipped.
  const skipped = await codeOf(client.complete(input('oai/gpt-4o-mini', 'x')));
  expect(skipped!.message).toMatch(/oai\/gpt-4o-mini: breaker open/);

  const streamFail = await codeOf(
    (async () => {
      for await (const _ of client.streamComplete(
        input('auto', 'x', { constraints: { needsVision: true } }),
      ))
        void _;
    })(),
  );
  expect(streamFail!.code).toBe(Code.FAILED_PRECONDITION);
});

it('honours the caller deadline', async () => {
  upstream.enqueueFor({ model: 'slow' }, { kind: 'stall' });
  const started = Date.now();
  const err = await client
    .complete(input('oai/slow', 'x'), { timeoutMs: 300 })
    .then(unexpected, (e: unknown) => e as RpcError);
  expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
  expect(Date.now() - started).toBeLessThan(2_000);
});
