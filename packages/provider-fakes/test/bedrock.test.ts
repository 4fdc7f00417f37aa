import {
  AccessDeniedException,
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type ConverseStreamCommandOutput,
  type Message,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BedrockFake, FAKE_AWS_CREDENTIALS } from '../src/index.js';

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

const weatherTool: Tool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather for a city',
    inputSchema: {
      json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
};

type StreamEvent =
  NonNullable<ConverseStreamCommandOutput['stream']> extends AsyncIterable<infer E> ? E : never;

async function collect(out: ConverseStreamCommandOutput): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of out.stream ?? []) events.push(e);
  return events;
}

describe('Bedrock Converse fake driven by @aws-sdk/client-bedrock-runtime', () => {
  const fake = new BedrockFake({ contextWindow: 1000 });
  let client: BedrockRuntimeClient;

  const makeClient = (
    overrides: Partial<ConstructorParameters<typeof BedrockRuntimeClient>[0]> = {},
  ) =>
    new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: fake.url,
      credentials: FAKE_AWS_CREDENTIALS,
      maxAttempts: 1,
      ...overrides,
    });

  beforeAll(async () => {
    await fake.start({ port: 0 });
    client = makeClient();
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const user = (text: string): Message => ({ role: 'user', content: [{ text }] });

  it('answers Converse with text, stop reason, usage and metrics (signature verified)', async () => {
    const res = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        system: [{ text: 'Be brief.' }],
        messages: [user('Hello Bedrock')],
        inferenceConfig: { maxTokens: 100 },
      }),
    );
    expect(res.output?.message?.content).toEqual([{ text: 'echo: Hello Bedrock' }]);
    expect(res.stopReason).toBe('end_turn');
    // "Be brief.\nHello Bedrock" = 23 chars -> 6; reply 19 chars -> 5
    expect(res.usage).toEqual({ inputTokens: 6, outputTokens: 5, totalTokens: 11 });
    expect(res.metrics?.latencyMs).toBeGreaterThanOrEqual(1);
    expect(res.$metadata.httpStatusCode).toBe(200);

    const seen = fake.lastRequest();
    // The model id's colon travels percent-encoded; the fake decodes it for matching.
    expect(seen?.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(seen?.model).toBe(MODEL);
    expect(String(seen?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKEPROVIDER0001\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[^,]*, Signature=[0-9a-f]{64}$/,
    );
    // The client's default handler is HTTP/2 (h2c here), which signs :authority, not host.
    expect(seen?.headers[':authority']).toBe(new URL(fake.url).host);
    expect(String(seen?.headers.authorization)).toContain('SignedHeaders=:authority;');
  });

  it('works over HTTP/1.1 too (NodeHttpHandler), signing host', async () => {
    const h1 = makeClient({ requestHandler: new NodeHttpHandler() });
    const res = await h1.send(new ConverseCommand({ modelId: MODEL, messages: [user('over h1')] }));
    h1.destroy();
    expect(res.output?.message?.content).toEqual([{ text: 'echo: over h1' }]);
    expect(String(fake.lastRequest()?.headers.authorization)).toMatch(
      /SignedHeaders=[^,]*\bhost\b/,
    );

    fake.enqueue({ kind: 'cut', afterChunks: 3, midFrame: true });
    const h1s = makeClient({ requestHandler: new NodeHttpHandler() });
    const out = await h1s.send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [user('one two three')] }),
    );
    await expect(collect(out)).rejects.toThrow('aborted');
    h1s.destroy();
  });

  it('streams ConverseStream as AWS event-stream frames the SDK decodes', async () => {
    fake.enqueue({ kind: 'stream', chunks: ['Hi', ' there', '!'] });
    const out = await client.send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [user('stream please')] }),
    );
    const events = await collect(out);
    expect(events.map((e) => Object.keys(e)[0])).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe('Hi there!');
    expect(events[0]?.messageStart?.role).toBe('assistant');
    expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
    expect(events.at(-1)?.metadata?.usage).toEqual({
      inputTokens: 4,
      outputTokens: 3,
      totalTokens: 7,
    });
    expect(events.at(-1)?.metadata?.metrics?.latencyMs).toBeGreaterThanOrEqual(1);
  });

  it('round-trips a tool call, non-streamed', async () => {
    fake.enqueue({
      kind: 'reply',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
    });
    const first = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [user('Weather in Oslo?')],
        toolConfig: { tools: [weatherTool] },
      }),
    );
    expect(first.stopReason).toBe('tool_use');
    const block = first.output?.message?.content?.[0];
    expect(block?.toolUse?.name).toBe('get_weather');
    expect(block?.toolUse?.input).toEqual({ city: 'Oslo' });
    const toolUseId = block?.toolUse?.toolUseId;
    expect(toolUseId).toMatch(/^tooluse_/);

    const second = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        toolConfig: { tools: [weatherTool] },
        messages: [
          user('Weather in Oslo?'),
          first.output!.message!,
          {
            role: 'user',
            content: [
              { toolResult: { toolUseId, content: [{ text: '-3C, snow' }], status: 'success' } },
            ],
          },
        ],
      }),
    );
    expect(second.output?.message?.content).toEqual([{ text: 'echo: -3C, snow' }]);
  });

  it('streams a tool call: contentBlockStart(toolUse) and input deltas', async () => {
    fake.enqueue({
      kind: 'stream',
      text: 'Checking.',
      toolCalls: [{ id: 'tooluse_1', name: 'get_weather', arguments: { city: 'Bergen' } }],
    });
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [user('Weather in Bergen?')],
        toolConfig: { tools: [weatherTool] },
      }),
    );
    const events = await collect(out);
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    expect(start).toEqual({
      contentBlockIndex: 1,
      start: { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather' } },
    });
    const input = events
      .filter((e) => e.contentBlockDelta?.contentBlockIndex === 1)
      .map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '')
      .join('');
    expect(JSON.parse(input)).toEqual({ city: 'Bergen' });
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('honours outputConfig json_schema', async () => {
    const res = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [user('a city')],
        outputConfig: {
          textFormat: {
            type: 'json_schema',
            structure: {
              jsonSchema: {
                name: 'city',
                schema: JSON.stringify({
                  type: 'object',
                  properties: { name: { type: 'string' }, population: { type: 'integer' } },
                }),
              },
            },
          },
        },
      }),
    );
    const text = res.output?.message?.content?.[0]?.text ?? '';
    expect(JSON.parse(text)).toEqual({ name: 'echo: a city', population: 0 });
  });

  describe('auth', () => {
    it('refuses a wrong secret with InvalidSignatureException (full SigV4 check)', async () => {
      const wrong = makeClient({
        credentials: { accessKeyId: FAKE_AWS_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' },
      });
      const err = await wrong
        .send(new ConverseCommand({ modelId: MODEL, messages: [user('x')] }))
        .catch((e: unknown) => e);
      wrong.destroy();
      expect(err).toBeInstanceOf(BedrockRuntimeServiceException);
      expect(err).toMatchObject({
        name: 'InvalidSignatureException',
        $metadata: { httpStatusCode: 403 },
      });
    });

    it('refuses an unknown access key, a wrong region, and a missing Authorization', async () => {
      const stranger = makeClient({
        credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 's' },
      });
      await expect(
        stranger.send(new ConverseCommand({ modelId: MODEL, messages: [user('x')] })),
      ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
      stranger.destroy();
      const elsewhere = makeClient({ region: 'eu-west-1' });
      await expect(
        elsewhere.send(new ConverseCommand({ modelId: MODEL, messages: [user('x')] })),
      ).rejects.toMatchObject({ name: 'InvalidSignatureException' });
      elsewhere.destroy();
      const raw = await fetch(`${fake.url}/model/m/converse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
      });
      expect(raw.status).toBe(403);
      expect(raw.headers.get('x-amzn-errortype')).toMatch(/^MissingAuthenticationTokenException:/);
    });
  });

  describe('errors surface as the SDK exception classes', () => {
    const ask = () => client.send(new ConverseCommand({ modelId: MODEL, messages: [user('hi')] }));

    it('ThrottlingException 429 with retry-after', async () => {
      fake.enqueue({ kind: 'throttle', retryAfterSeconds: 4 });
      const err = await ask().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ThrottlingException);
      const e = err as ThrottlingException & { $response?: { headers: Record<string, string> } };
      expect(e.$metadata.httpStatusCode).toBe(429);
      expect(e.message).toBe('Too many requests, please wait before trying again.');
      expect(e.$fault).toBe('client');
      expect(e.$response?.headers['retry-after']).toBe('4');
    });

    it('the SDK retry strategy waits for retry-after', async () => {
      const retrying = makeClient({ maxAttempts: 2 });
      fake.enqueue({ kind: 'throttle', retryAfterSeconds: 1.2 });
      const started = Date.now();
      const res = await retrying.send(
        new ConverseCommand({ modelId: MODEL, messages: [user('later')] }),
      );
      retrying.destroy();
      expect(res.output?.message?.content).toEqual([{ text: 'echo: later' }]);
      // Beyond the SDK's first throttling backoff (at most 0.5 s), so the header was read.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
      expect(fake.count({ route: 'chat' })).toBe(2);
    });

    it('ValidationException (too long), ServiceUnavailable, ModelTimeout, AccessDenied, InternalServer', async () => {
      const long = await client
        .send(new ConverseCommand({ modelId: MODEL, messages: [user('y'.repeat(4004))] }))
        .catch((e: unknown) => e);
      expect(long).toBeInstanceOf(ValidationException);
      expect((long as Error).message).toBe('Input is too long for requested model.');

      fake.enqueue(
        { kind: 'fail', error: 'overloaded' },
        { kind: 'fail', error: 'timeout' },
        { kind: 'fail', error: 'permission' },
        { kind: 'fail', error: 'server' },
        { kind: 'fail', error: 'context_length' },
      );
      const e503 = await ask().catch((e: unknown) => e);
      expect(e503).toBeInstanceOf(ServiceUnavailableException);
      expect(e503).toMatchObject({ $metadata: { httpStatusCode: 503 }, $fault: 'server' });
      const e408 = await ask().catch((e: unknown) => e);
      expect(e408).toBeInstanceOf(ModelTimeoutException);
      expect(e408).toMatchObject({ $metadata: { httpStatusCode: 408 } });
      const e403 = await ask().catch((e: unknown) => e);
      expect(e403).toBeInstanceOf(AccessDeniedException);
      const e500 = await ask().catch((e: unknown) => e);
      expect(e500).toBeInstanceOf(InternalServerException);
      const scripted = await ask().catch((e: unknown) => e);
      expect(scripted).toBeInstanceOf(ValidationException);
      expect((scripted as Error).message).toContain('too long');
    });

    it('an in-stream exception event (:message-type exception) is thrown by the iterator', async () => {
      fake.enqueue({ kind: 'streamError', afterChunks: 2, error: 'rate_limit' });
      const out = await client.send(
        new ConverseStreamCommand({ modelId: MODEL, messages: [user('one two three')] }),
      );
      const seen: string[] = [];
      const err = await (async () => {
        for await (const e of out.stream ?? []) seen.push(Object.keys(e)[0]!);
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ThrottlingException);
      expect(seen).toEqual(['messageStart', 'contentBlockDelta']);

      fake.enqueue({
        kind: 'streamError',
        afterChunks: 1,
        error: 'overloaded',
        errorMessage: 'busy',
      });
      const out2 = await client.send(
        new ConverseStreamCommand({ modelId: MODEL, messages: [user('again')] }),
      );
      await expect(collect(out2)).rejects.toMatchObject({
        name: 'ServiceUnavailableException',
        message: 'busy',
      });
    });

    it('a stream cut mid-frame surfaces as an error', async () => {
      fake.enqueue({ kind: 'cut', afterChunks: 2, midFrame: true });
      const out = await client.send(
        new ConverseStreamCommand({ modelId: MODEL, messages: [user('one two three')] }),
      );
      await expect(collect(out)).rejects.toThrow('Truncated event message received.');
    });

    it('over HTTP/2 a cut between frames ends the SDK stream silently, without messageStop', async () => {
      // Not a fake artefact: the SDK's HTTP/2 handler treats the dropped session as the end of
      // the body. Callers must treat a stream without messageStop/metadata as failed.
      fake.enqueue({ kind: 'cut', afterChunks: 2 });
      const out = await client.send(
        new ConverseStreamCommand({ modelId: MODEL, messages: [user('one two three')] }),
      );
      const events = await collect(out);
      expect(events.map((e) => Object.keys(e)[0])).toEqual(['messageStart', 'contentBlockDelta']);
    });
  });
});
