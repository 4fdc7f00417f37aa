import OpenAI from 'openai';
import { OpenAIFake } from '../src/index.js';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city'],
    },
  },
};

describe('OpenAI fake driven by the official openai SDK', () => {
  const fake = new OpenAIFake({ apiKey: 'sk-test', contextWindow: 2000 });
  let client: OpenAI;

  beforeAll(async () => {
    const { url } = await fake.start({ port: 0 });
    client = new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0, timeout: 5000 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('answers a non-streamed chat completion with the echo and heuristic usage', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there, fake model' },
      ],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.choices[0]?.message.content).toBe('echo: Hello there, fake model');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    // ceil(chars/4): "Be brief.\nHello there, fake model" = 33 chars -> 9; reply 29 chars -> 8
    expect(res.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 8, total_tokens: 17 });

    const seen = fake.lastRequest();
    expect(seen?.path).toBe('/v1/chat/completions');
    expect(seen?.headers.authorization).toBe('Bearer sk-test');
    expect(seen?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(fake.count({ route: 'chat' })).toBe(1);
  });

  it('streams chunks the SDK assembles, with include_usage giving a final usage chunk', async () => {
    fake.enqueue({ kind: 'stream', chunks: ['Hel', 'lo ', 'world'] });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let emptyChoicesChunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices.length === 0) emptyChoicesChunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello world');
    expect(finish).toBe('stop');
    expect(emptyChoicesChunks).toBe(1);
    expect(usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
  });

  it('the SDK stream helper assembles the final message', async () => {
    const runner = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'tell me three words please' }],
    });
    const done = await runner.finalChatCompletion();
    expect(done.choices[0]?.message.content).toBe('echo: tell me three words please');
  });

  it('round-trips a tool call, non-streamed', async () => {
    fake.enqueue({
      kind: 'reply',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } }],
    });
    const first = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris', unit: 'c' });
    expect(call.id).toMatch(/^call_/);

    const second = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        choice.message,
        { role: 'tool', tool_call_id: call.id, content: '18C and sunny' },
      ],
      tools: [weatherTool],
    });
    expect(second.choices[0]?.message.content).toBe('echo: 18C and sunny');
    const body = fake.lastRequest()?.body as { messages: { role: string }[] };
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('streams tool_calls deltas (index, id, name, argument fragments)', async () => {
    fake.enqueue({
      kind: 'stream',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris' } },
        { id: 'call_b', name: 'get_weather', arguments: { city: 'Lyon', unit: 'f' } },
      ],
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris and Lyon?' }],
      tools: [weatherTool],
      stream: true,
    });
    const calls: { id?: string; name?: string; args: string }[] = [];
    let fragments = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      finish = choice?.finish_reason ?? finish;
      for (const d of choice?.delta.tool_calls ?? []) {
        const slot = (calls[d.index] ??= { args: '' });
        if (d.id) slot.id = d.id;
        if (d.function?.name) slot.name = d.function.name;
        if (d.function?.arguments) {
          slot.args += d.function.arguments;
          fragments += 1;
        }
      }
    }
    expect(finish).toBe('tool_calls');
    expect(fragments).toBeGreaterThan(2);
    expect(calls.map((c) => [c.id, c.name, JSON.parse(c.args)])).toEqual([
      ['call_a', 'get_weather', { city: 'Paris' }],
      ['call_b', 'get_weather', { city: 'Lyon', unit: 'f' }],
    ]);

    // The SDK's own accumulator agrees.
    fake.enqueue({
      kind: 'stream',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
    });
    const final = await client.chat.completions
      .stream({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Oslo?' }],
        tools: [weatherTool],
      })
      .finalChatCompletion();
    const toolCall = final.choices[0]?.message.tool_calls?.[0];
    if (toolCall?.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(toolCall.function.arguments)).toEqual({ city: 'Oslo' });
  });

  it('honours response_format json_object and json_schema', async () => {
    const obj = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'give json' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(obj.choices[0]!.message.content!)).toEqual({ echo: 'echo: give json' });

    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        priority: { type: 'integer', minimum: 1 },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } },
        done: { type: 'boolean' },
      },
      required: ['title', 'priority', 'tags', 'done'],
      additionalProperties: false,
    };
    const structured = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'make a task' }],
      response_format: { type: 'json_schema', json_schema: { name: 'task', schema, strict: true } },
    });
    expect(JSON.parse(structured.choices[0]!.message.content!)).toEqual({
      title: 'echo: make a task',
      priority: 1,
      tags: ['a'],
      done: true,
    });

    fake.enqueue({
      kind: 'reply',
      json: { title: 'scripted', priority: 3, tags: [], done: false },
    });
    const parsed = await client.chat.completions.parse({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'make a task' }],
      response_format: { type: 'json_schema', json_schema: { name: 'task', schema, strict: true } },
    });
    expect(parsed.choices[0]?.message.parsed).toEqual({
      title: 'scripted',
      priority: 3,
      tags: [],
      done: false,
    });
  });

  it('cuts text at max_tokens with finish_reason length', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'a fairly long prompt that will be echoed back' }],
      max_completion_tokens: 2,
    });
    // 2 tokens = 8 characters under the 4-chars heuristic.
    expect(res.choices[0]?.message.content).toBe('echo: a ');
    expect(res.choices[0]?.finish_reason).toBe('length');
  });

  it('lists models and embeds (float and base64)', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toEqual(['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']);

    // The SDK asks for base64 by default and decodes it back to floats.
    const viaBase64 = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['alpha', 'beta'],
    });
    expect((fake.lastRequest()?.body as { encoding_format: string }).encoding_format).toBe(
      'base64',
    );
    expect(viaBase64.data).toHaveLength(2);
    expect(viaBase64.data[0]?.embedding).toHaveLength(8);
    expect(viaBase64.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });

    const viaFloat = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'alpha',
      encoding_format: 'float',
      dimensions: 4,
    });
    expect(viaFloat.data[0]?.embedding).toHaveLength(4);
    const again = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'alpha',
      encoding_format: 'float',
    });
    expect(again.data[0]?.embedding).toEqual(viaBase64.data[0]?.embedding);
    const norm = Math.hypot(...(again.data[0]?.embedding ?? []));
    expect(norm).toBeCloseTo(1, 5);
  });

  describe('errors surface as the SDK error classes', () => {
    const ask = (model = 'gpt-4o') =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

    it('401 invalid_api_key for a wrong key', async () => {
      const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${fake.url}/v1`, maxRetries: 0 });
      const err = await bad.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(err).toMatchObject({
        status: 401,
        code: 'invalid_api_key',
        type: 'invalid_request_error',
      });
    });

    it('429 rate_limit_exceeded with retry-after and x-ratelimit headers', async () => {
      fake.enqueue({ kind: 'throttle', retryAfterSeconds: 7 });
      const err = await ask().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      const e = err as InstanceType<typeof OpenAI.RateLimitError>;
      expect(e.status).toBe(429);
      expect(e.code).toBe('rate_limit_exceeded');
      expect(e.headers?.get('retry-after')).toBe('7');
      expect(e.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(e.headers?.get('x-ratelimit-reset-requests')).toBe('7s');
    });

    it('the SDK retry honours retry-after from the fake', async () => {
      const retrying = new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 1 });
      // 1.2 s is beyond the SDK's own first backoff (at most 0.5 s), so the wait proves the
      // header was read.
      fake.enqueue({ kind: 'throttle', retryAfterSeconds: 1.2 });
      const started = Date.now();
      const res = await retrying.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'again' }],
      });
      expect(res.choices[0]?.message.content).toBe('echo: again');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
      expect(fake.count({ route: 'chat' })).toBe(2);
      expect(fake.requests[1]?.headers['x-stainless-retry-count']).toBe('1');
    });

    it('429 insufficient_quota', async () => {
      fake.enqueue({ kind: 'fail', error: 'quota' });
      const err = await ask().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err).toMatchObject({ code: 'insufficient_quota', type: 'insufficient_quota' });
    });

    it('400 invalid_request_error and 400 context_length_exceeded', async () => {
      fake.enqueue({ kind: 'fail', error: 'invalid_request', message: 'bad temperature' });
      const bad = await ask().catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
      expect(bad).toMatchObject({ status: 400, type: 'invalid_request_error', param: null });
      expect((bad as Error).message).toContain('bad temperature');

      // Over the fake's context window (2000 tokens = 8000 chars): no script needed.
      const long = 'word '.repeat(2000);
      const tooLong = await client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: long }] })
        .catch((e: unknown) => e);
      expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
      expect(tooLong).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
      expect((tooLong as Error).message).toContain('maximum context length is 2000 tokens');
    });

    it('500 server_error, 503 overloaded, 404 model_not_found, 403', async () => {
      fake.enqueue(
        { kind: 'fail', error: 'server' },
        { kind: 'fail', error: 'overloaded' },
        { kind: 'fail', error: 'not_found' },
        { kind: 'fail', error: 'permission' },
      );
      const e500 = await ask().catch((e: unknown) => e);
      expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
      expect(e500).toMatchObject({ status: 500, type: 'server_error' });
      const e503 = await ask().catch((e: unknown) => e);
      expect(e503).toBeInstanceOf(OpenAI.InternalServerError);
      expect(e503).toMatchObject({ status: 503 });
      const e404 = await ask('gpt-nope').catch((e: unknown) => e);
      expect(e404).toBeInstanceOf(OpenAI.NotFoundError);
      expect(e404).toMatchObject({ code: 'model_not_found' });
      const e403 = await ask().catch((e: unknown) => e);
      expect(e403).toBeInstanceOf(OpenAI.PermissionDeniedError);
    });

    it('an in-stream error frame raises APIError from the iterator', async () => {
      fake.enqueue({ kind: 'streamError', afterChunks: 2, error: 'server', errorMessage: 'boom' });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'one two three four' }],
        stream: true,
      });
      const seen: string[] = [];
      const err = await (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as Error).message).toContain('boom');
      expect(seen).toEqual(['', 'echo: ']);
    });

    it('a cut stream surfaces as an error, not a short answer', async () => {
      fake.enqueue({ kind: 'cut', afterChunks: 3 });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'one two three four five' }],
        stream: true,
      });
      let text = '';
      const err = await (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })().catch((e: unknown) => e);
      // undici's "terminated" TypeError (cause: other side closed), raised by the iterator.
      expect((err as Error).message).toBe('terminated');
      expect(text).toBe('echo: one ');
    });

    it('a stalled request never answers; the SDK gives up at its timeout', async () => {
      fake.enqueue({ kind: 'stall' });
      const started = Date.now();
      const err = await client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { timeout: 150 })
        .catch((e: unknown) => e);
      // Outside jest this is APIConnectionTimeoutError; under jest the abort DOMException comes
      // from another realm and the SDK cannot recognise it, so it reports the parent class.
      expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(fake.count({ route: 'chat' })).toBe(1);
    });

    it('a stream that stalls mid-way keeps the socket open until the client aborts', async () => {
      fake.enqueue({ kind: 'stall', afterChunks: 2 });
      const controller = new AbortController();
      const stream = await client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'a b c d' }], stream: true },
        { signal: controller.signal },
      );
      const seen: string[] = [];
      setTimeout(() => controller.abort(), 100);
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      expect(seen).toEqual(['', 'echo: ']);
    });
  });
});
