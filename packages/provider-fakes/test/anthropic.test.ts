import Anthropic from '@anthropic-ai/sdk';
import { AnthropicFake } from '../src/index.js';

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

describe('Anthropic fake driven by the official @anthropic-ai/sdk', () => {
  const fake = new AnthropicFake({ apiKey: 'sk-ant-test', contextWindow: 1000 });
  let client: Anthropic;

  beforeAll(async () => {
    const { url } = await fake.start({ port: 0 });
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: url, maxRetries: 0, timeout: 5000 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('answers a non-streamed message, with system prompt and usage', async () => {
    const msg = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Hello Claude' }],
    });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.content).toEqual([{ type: 'text', text: 'echo: Hello Claude' }]);
    expect(msg.stop_reason).toBe('end_turn');
    // "You are terse.\nHello Claude" = 27 chars -> 7 tokens; reply 18 chars -> 5 tokens.
    expect(msg.usage).toMatchObject({
      input_tokens: 7,
      output_tokens: 5,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });

    const seen = fake.lastRequest();
    expect(seen?.path).toBe('/v1/messages');
    // What SDK 1.x sends (see shared/NOTES.md).
    expect(seen?.headers.authorization).toBe('Bearer sk-ant-test');
    expect(seen?.headers['anthropic-version']).toBe('2026-10-21');
    expect(seen?.body).toMatchObject({ system: 'You are terse.', max_tokens: 256 });
  });

  it('accepts x-api-key too, and requires anthropic-version', async () => {
    const body = JSON.stringify({
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const ok = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-ant-test',
        'anthropic-version': '2023-06-01',
      },
      body,
    });
    expect(ok.status).toBe(200);
    const noVersion = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test' },
      body,
    });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
    const noKey = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body,
    });
    expect(noKey.status).toBe(401);
  });

  it('streams the documented event sequence and the SDK assembles it', async () => {
    fake.enqueue({ kind: 'stream', chunks: ['Hello', ', ', 'world'] });
    const stream = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'greet' }],
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let outputTokens = 0;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        text += event.delta.text;
      if (event.type === 'message_delta') outputTokens = event.usage.output_tokens;
    }
    expect(text).toBe('Hello, world');
    expect(outputTokens).toBe(3);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    // The ping after content_block_start is on the wire (the SDK drops it).
  });

  it('the messages.stream helper yields the final message', async () => {
    const final = await client.messages
      .stream({
        model: 'claude-sonnet-4-6',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'assemble me' }],
      })
      .finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'echo: assemble me' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(5);
  });

  it('round-trips tool_use, non-streamed', async () => {
    fake.enqueue({
      kind: 'reply',
      text: 'Let me check.',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Rome' } }],
    });
    const first = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 200,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Weather in Rome?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(toolUse.name).toBe('get_weather');
    expect(toolUse.input).toEqual({ city: 'Rome' });
    expect(toolUse.id).toMatch(/^toolu_/);

    const second = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 200,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Rome?' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '25C, clear' }],
        },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'echo: 25C, clear' }]);
  });

  it('streams tool_use with input_json_delta that the SDK parses', async () => {
    fake.enqueue({
      kind: 'stream',
      toolCalls: [{ id: 'toolu_x', name: 'get_weather', arguments: { city: 'Reykjavik' } }],
    });
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 200,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Weather in Reykjavik?' }],
    });
    let partials = 0;
    stream.on('inputJson', () => {
      partials += 1;
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'tool_use', id: 'toolu_x', name: 'get_weather', input: { city: 'Reykjavik' } },
    ]);
    expect(partials).toBeGreaterThan(1);
  });

  it('honours output_config json_schema and cache usage from the script', async () => {
    fake.enqueue({ kind: 'reply', usage: { cacheReadTokens: 40, cacheWriteTokens: 12 } });
    const msg = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'make a user' }],
      output_config: {
        format: {
          type: 'json_schema',
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, age: { type: 'integer' } },
            required: ['name', 'age'],
            additionalProperties: false,
          },
        },
      },
    });
    const block = msg.content[0];
    if (block?.type !== 'text') throw new Error('expected text');
    expect(JSON.parse(block.text)).toEqual({ name: 'echo: make a user', age: 0 });
    expect(msg.usage.cache_read_input_tokens).toBe(40);
    expect(msg.usage.cache_creation_input_tokens).toBe(12);
  });

  it('stops at max_tokens', async () => {
    const msg = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'this will be cut short' }],
    });
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.content).toEqual([{ type: 'text', text: 'echo: this w' }]);
  });

  it('counts tokens and lists models', async () => {
    const count = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'count these words' }],
    });
    expect(count.input_tokens).toBe(5);
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toEqual(['claude-sonnet-4-6', 'claude-haiku-4-5']);
  });

  describe('errors surface as the SDK error classes', () => {
    const ask = () =>
      client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
      });

    it('429 rate_limit_error with retry-after', async () => {
      fake.enqueue({ kind: 'throttle', retryAfterSeconds: 12 });
      const err = await ask().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.RateLimitError);
      const e = err as InstanceType<typeof Anthropic.RateLimitError>;
      expect(e.status).toBe(429);
      expect(e.type).toBe('rate_limit_error');
      expect(e.headers.get('retry-after')).toBe('12');
      expect(e.requestID).toMatch(/^req_/);
    });

    it('529 overloaded_error is an InternalServerError (OverloadedError)', async () => {
      fake.enqueue({ kind: 'fail', error: 'overloaded' });
      const err = await ask().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.InternalServerError);
      expect(err).toBeInstanceOf(Anthropic.OverloadedError);
      expect(err).toMatchObject({ status: 529, type: 'overloaded_error' });
    });

    it('400 invalid_request_error, prompt too long, 401, 403, 404 and 500 api_error', async () => {
      fake.enqueue(
        { kind: 'fail', error: 'invalid_request', message: 'messages: roles must alternate' },
        { kind: 'fail', error: 'permission' },
        { kind: 'fail', error: 'not_found' },
        { kind: 'fail', error: 'server' },
      );
      const bad = await ask().catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
      expect(bad).toMatchObject({
        type: 'invalid_request_error',
        apiMessage: 'messages: roles must alternate',
      });
      await expect(ask()).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
      await expect(ask()).rejects.toBeInstanceOf(Anthropic.NotFoundError);
      const server = await ask().catch((e: unknown) => e);
      expect(server).toBeInstanceOf(Anthropic.InternalServerError);
      expect(server).toMatchObject({ status: 500, type: 'api_error' });

      const tooLong = await client.messages
        .create({
          model: 'claude-sonnet-4-6',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'x'.repeat(4004) }],
        })
        .catch((e: unknown) => e);
      expect(tooLong).toBeInstanceOf(Anthropic.BadRequestError);
      expect((tooLong as Error).message).toContain(
        'prompt is too long: 1001 tokens > 1000 maximum',
      );

      const wrongKey = new Anthropic({ apiKey: 'nope', baseURL: fake.url, maxRetries: 0 });
      const auth = await wrongKey.messages
        .create({
          model: 'claude-sonnet-4-6',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        })
        .catch((e: unknown) => e);
      expect(auth).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(auth).toMatchObject({ type: 'authentication_error' });
    });

    it('an in-stream error event raises APIError with the error type', async () => {
      fake.enqueue({ kind: 'streamError', afterChunks: 4, error: 'overloaded' });
      const stream = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'a b c' }],
        stream: true,
      });
      const types: string[] = [];
      const err = await (async () => {
        for await (const event of stream) types.push(event.type);
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect(err).toMatchObject({ type: 'overloaded_error', apiMessage: 'Overloaded' });
      // message_start, content_block_start, (ping), first text delta
      expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    });

    it('a cut stream surfaces as an error', async () => {
      fake.enqueue({ kind: 'cut', afterChunks: 4, midFrame: true });
      const err = await client.messages
        .stream({
          model: 'claude-sonnet-4-6',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'one two three' }],
        })
        .finalMessage()
        .catch((e: unknown) => e);
      expect(err).toBeTruthy();
      expect(String((err as Error).message)).toMatch(/terminated|aborted|closed|socket/i);
    });
  });
});
