import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { OpenAIFake } from '../src/index.js';

describe('Groq flavour driven by the official groq-sdk', () => {
  const fake = new OpenAIFake({ flavor: 'groq', apiKey: 'gsk-test' });
  let groq: Groq;

  beforeAll(async () => {
    const { url } = await fake.start({ port: 0 });
    // groq-sdk adds /openai/v1 to its base URL itself.
    groq = new Groq({ apiKey: 'gsk-test', baseURL: url, maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('serves chat under /openai/v1 with Groq timing usage and x_groq', async () => {
    const res = await groq.chat.completions.create({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'hola' }],
    });
    expect(fake.lastRequest()?.path).toBe('/openai/v1/chat/completions');
    expect(res.choices[0]?.message.content).toBe('echo: hola');
    expect(res.usage?.total_time).toBeGreaterThan(0);
    expect(res.x_groq?.id).toMatch(/^req_/);
  });

  it('streams, with usage in the last chunk x_groq', async () => {
    const stream = await groq.chat.completions.create({
      model: 'llama-3.1-8b-instant',
      messages: [{ role: 'user', content: 'one two' }],
      stream: true,
    });
    let text = '';
    let usage: Groq.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.x_groq?.usage) usage = chunk.x_groq.usage;
    }
    expect(text).toBe('echo: one two');
    expect(usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });
  });

  it('streams tool calls', async () => {
    fake.enqueue({ kind: 'stream', toolCalls: [{ name: 'lookup', arguments: { q: 'groq' } }] });
    const stream = await groq.chat.completions.create({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'look it up' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      stream: true,
    });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        name ||= d.function?.name ?? '';
        args += d.function?.arguments ?? '';
      }
    }
    expect(name).toBe('lookup');
    expect(JSON.parse(args)).toEqual({ q: 'groq' });
  });

  it('lists models and raises the SDK error classes', async () => {
    const models = await groq.models.list();
    expect(models.data.map((m) => m.id)).toEqual([
      'llama-3.3-70b-versatile',
      'llama-3.1-8b-instant',
    ]);

    fake.enqueue({ kind: 'throttle', retryAfterSeconds: 3 }, { kind: 'fail', error: 'overloaded' });
    const limited = await groq.chat.completions
      .create({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Groq.RateLimitError);
    expect((limited as InstanceType<typeof Groq.RateLimitError>).headers?.get('retry-after')).toBe(
      '3',
    );
    const busy = await groq.chat.completions
      .create({ model: 'llama-3.1-8b-instant', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(Groq.InternalServerError);
    expect(busy).toMatchObject({ status: 503 });
  });
});

describe('per-model and per-route script matchers', () => {
  const fake = new OpenAIFake();
  let client: OpenAI;

  beforeAll(async () => {
    const { url } = await fake.start({ port: 0 });
    client = new OpenAI({ apiKey: 'k', baseURL: `${url}/v1`, maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  const ask = (model: string) =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'ping' }] });

  it('one model fails while another succeeds; a standing rule can be removed', async () => {
    const remove = fake.when({ model: 'gpt-4o' }, { kind: 'fail', error: 'overloaded' });
    await expect(ask('gpt-4o')).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(ask('gpt-4o')).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(ask('gpt-4o-mini')).resolves.toMatchObject({ model: 'gpt-4o-mini' });
    remove();
    await expect(ask('gpt-4o')).resolves.toMatchObject({ model: 'gpt-4o' });
    expect(fake.count({ model: 'gpt-4o' })).toBe(3);
    expect(fake.count({ model: /mini/ })).toBe(1);
  });

  it('queued one-shots are used in order by matching requests only', async () => {
    fake.enqueueFor(
      { model: /^gpt-4o$/, route: 'chat' },
      { kind: 'throttle', retryAfterSeconds: 2 },
      { kind: 'reply', text: 'second try' },
    );
    await expect(ask('gpt-4o-mini')).resolves.toMatchObject({
      choices: [{ message: { content: 'echo: ping' } }],
    });
    await expect(ask('gpt-4o')).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(ask('gpt-4o')).resolves.toMatchObject({
      choices: [{ message: { content: 'second try' } }],
    });
    await expect(ask('gpt-4o')).resolves.toMatchObject({
      choices: [{ message: { content: 'echo: ping' } }],
    });
  });

  it('a rule with a count expires, the default can be changed, and route matching works', async () => {
    fake.when({ route: 'embeddings' }, { kind: 'fail', error: 'server' }, 1);
    await expect(
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'a' }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'a' }),
    ).resolves.toMatchObject({ object: 'list' });

    fake.setDefault({ kind: 'reply', text: 'always this' });
    await expect(ask('any')).resolves.toMatchObject({
      choices: [{ message: { content: 'always this' } }],
    });
    fake.reset();
    await expect(ask('any')).resolves.toMatchObject({
      choices: [{ message: { content: 'echo: ping' } }],
    });
  });

  it('stream pacing: ttft and inter-chunk delay', async () => {
    fake.enqueue({ kind: 'stream', chunks: ['a', 'b', 'c'], ttftMs: 60, chunkDelayMs: 20 });
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let firstAt = 0;
    let text = '';
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece && !firstAt) firstAt = Date.now();
      text += piece;
    }
    expect(text).toBe('abc');
    // role chunk after 60 ms, "a" 20 ms later; the whole reply spans 6 frames.
    expect(firstAt - started).toBeGreaterThanOrEqual(70);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('records requests only when asked to', async () => {
    const quiet = new OpenAIFake({ record: false });
    const { url } = await quiet.start();
    try {
      const c = new OpenAI({ apiKey: 'k', baseURL: `${url}/v1`, maxRetries: 0 });
      await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
      expect(quiet.requestCount).toBe(1);
      expect(quiet.requests).toHaveLength(0);
    } finally {
      await quiet.close();
    }
  });
});

describe('vLLM flavour', () => {
  it('serves the OpenAI protocol with a vLLM model card', async () => {
    const fake = new OpenAIFake({ flavor: 'vllm', contextWindow: 8192 });
    const { url } = await fake.start();
    try {
      const client = new OpenAI({ apiKey: 'EMPTY', baseURL: `${url}/v1`, maxRetries: 0 });
      const page = await client.models.list();
      expect(page.data[0]).toMatchObject({
        id: 'meta-llama/Llama-3.1-8B-Instruct',
        owned_by: 'vllm',
        max_model_len: 8192,
      });
      const res = await client.chat.completions.create({
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.choices[0]?.message.content).toBe('echo: hi');
    } finally {
      await fake.close();
    }
  });
});
