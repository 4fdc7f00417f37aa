import { Ollama } from 'ollama';
import { OllamaFake } from '../src/index.js';

type ResponseError = Error & { status_code: number; error: string };

describe('Ollama fake driven by the official ollama-js', () => {
  const fake = new OllamaFake({ contextWindow: 500 });
  let ollama: Ollama;

  beforeAll(async () => {
    const { url } = await fake.start({ port: 0 });
    ollama = new Ollama({ host: url });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('answers a non-streamed chat with counts and durations in ns', async () => {
    const res = await ollama.chat({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'Hello llama' },
      ],
    });
    expect(res.message).toEqual({ role: 'assistant', content: 'echo: Hello llama' });
    expect(res.done).toBe(true);
    expect(res.done_reason).toBe('stop');
    // "Be kind.\nHello llama" = 20 chars -> 5 tokens; reply 17 chars -> 5 tokens.
    expect(res.prompt_eval_count).toBe(5);
    expect(res.eval_count).toBe(5);
    expect(res.eval_duration).toBe(5_000_000);
    expect(res.total_duration).toBe(
      res.load_duration + res.prompt_eval_duration + res.eval_duration,
    );
    expect(fake.lastRequest()?.body).toMatchObject({ model: 'llama3.2', stream: false });
  });

  it('streams NDJSON lines ending with done: true', async () => {
    fake.enqueue({ kind: 'stream', chunks: ['Hola', ' mundo'] });
    const stream = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    const dones: boolean[] = [];
    let last: Awaited<ReturnType<typeof ollama.chat>> | undefined;
    for await (const part of stream) {
      text += part.message.content;
      dones.push(part.done);
      last = part;
    }
    expect(text).toBe('Hola mundo');
    expect(dones).toEqual([false, false, true]);
    expect(last).toMatchObject({ done_reason: 'stop', prompt_eval_count: 1, eval_count: 3 });
  });

  it('streams by default when the request does not say', async () => {
    const res = await fetch(`${fake.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b' }] }),
    });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { done: boolean });
    expect(lines.at(-1)?.done).toBe(true);
    expect(lines.length).toBe(4);
  });

  it('round-trips tool calls with object arguments (stream and non-stream)', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          },
        },
      },
    ];
    fake.enqueue({
      kind: 'reply',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Tokyo' } }],
    });
    const first = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Weather in Tokyo?' }],
      tools,
    });
    expect(first.message.tool_calls).toEqual([
      { function: { name: 'get_weather', arguments: { city: 'Tokyo' } } },
    ]);

    const second = await ollama.chat({
      model: 'llama3.2',
      tools,
      messages: [
        { role: 'user', content: 'Weather in Tokyo?' },
        first.message,
        { role: 'tool', content: '30C humid', tool_name: 'get_weather' },
      ],
    });
    expect(second.message.content).toBe('echo: 30C humid');

    fake.enqueue({
      kind: 'stream',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Kyoto' } }],
    });
    const stream = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Kyoto?' }],
      tools,
      stream: true,
    });
    const calls = [];
    for await (const part of stream) calls.push(...(part.message.tool_calls ?? []));
    expect(calls).toEqual([{ function: { name: 'get_weather', arguments: { city: 'Kyoto' } } }]);
  });

  it('honours format "json" and a JSON schema format', async () => {
    const asJson = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'json please' }],
      format: 'json',
    });
    expect(JSON.parse(asJson.message.content)).toEqual({ echo: 'echo: json please' });
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, temps: { type: 'array', items: { type: 'number' } } },
      required: ['city', 'temps'],
    };
    const structured = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'structured' }],
      format: schema,
    });
    expect(JSON.parse(structured.message.content)).toEqual({
      city: 'echo: structured',
      temps: [0],
    });
  });

  it('stops at num_predict with done_reason length', async () => {
    const res = await ollama.chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'a long answer is expected here' }],
      options: { num_predict: 2 },
    });
    expect(res.done_reason).toBe('length');
    expect(res.message.content).toBe('echo: a ');
  });

  it('embeds and lists tags', async () => {
    const res = await ollama.embed({ model: 'nomic-embed-text', input: ['one', 'two'] });
    expect(res.embeddings).toHaveLength(2);
    expect(res.embeddings[0]).toHaveLength(8);
    expect(res.prompt_eval_count).toBe(2);
    const again = await ollama.embed({ model: 'nomic-embed-text', input: 'one' });
    expect(again.embeddings[0]).toEqual(res.embeddings[0]);

    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toEqual(['llama3.2:latest', 'nomic-embed-text:latest']);
    expect(tags.models[0]?.details.format).toBe('gguf');
  });

  describe('errors', () => {
    const ask = (model = 'llama3.2') =>
      ollama.chat({ model, messages: [{ role: 'user', content: 'hi' }] });

    it('error bodies become ResponseError with the status', async () => {
      fake.enqueue(
        { kind: 'fail', error: 'not_found' },
        { kind: 'fail', error: 'overloaded' },
        { kind: 'throttle', retryAfterSeconds: 5 },
        { kind: 'fail', error: 'server' },
      );
      const e404 = (await ask('mystery').catch((e: unknown) => e)) as ResponseError;
      expect(e404.name).toBe('ResponseError');
      expect(e404.status_code).toBe(404);
      expect(e404.error).toBe('model "mystery" not found, try pulling it first');
      const e503 = (await ask().catch((e: unknown) => e)) as ResponseError;
      expect(e503.status_code).toBe(503);
      const e429 = (await ask().catch((e: unknown) => e)) as ResponseError;
      expect(e429.status_code).toBe(429);
      expect(fake.count()).toBe(3);
      const e500 = (await ask().catch((e: unknown) => e)) as ResponseError;
      expect(e500.status_code).toBe(500);

      const raw = await fetch(`${fake.url}/api/chat`, {
        method: 'POST',
        body: '{"model":"x","stream":false}',
      });
      expect(raw.status).toBe(200);
      fake.enqueue({ kind: 'throttle', retryAfterSeconds: 5 });
      const limited = await fetch(`${fake.url}/api/chat`, {
        method: 'POST',
        body: '{"model":"x"}',
      });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('5');
      expect(await limited.json()).toEqual({ error: 'too many requests' });
    });

    it('an input over the context window is refused with 400', async () => {
      const err = (await ollama
        .chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'z'.repeat(2004) }] })
        .catch((e: unknown) => e)) as ResponseError;
      expect(err.status_code).toBe(400);
      expect(err.error).toContain('context length');
    });

    it('an in-stream error line raises from the iterator', async () => {
      fake.enqueue({
        kind: 'streamError',
        afterChunks: 1,
        error: 'server',
        errorMessage: 'runner died',
      });
      const stream = await ollama.chat({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'a b c' }],
        stream: true,
      });
      let text = '';
      const err = await (async () => {
        for await (const part of stream) text += part.message.content;
      })().catch((e: unknown) => e);
      expect((err as Error).message).toBe('runner died');
      expect(text).toBe('echo: ');
    });

    it('a cut stream surfaces as an error', async () => {
      fake.enqueue({ kind: 'cut', afterChunks: 2 });
      const stream = await ollama.chat({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'a b c' }],
        stream: true,
      });
      const err = await (async () => {
        for await (const _ of stream) {
          // drain
        }
      })().catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/terminated|Did not receive done/);
    });
  });
});
