// The OpenAI-compatible HTTP API, exercised with the official `openai` npm client, against real
// adapters talking to loopback fakes of OpenAI and Anthropic.
import { AnthropicFake, OpenAIFake } from '@quantumlayer/provider-fakes';
import OpenAI from 'openai';
import { API_KEY, modelYaml, startRouter, type RunningRouter, unexpected } from './support/app.js';

const openaiFake = new OpenAIFake({
  apiKey: API_KEY,
  models: ['gpt-4o-mini', 'text-embedding-3-small'],
});
const anthropicFake = new AnthropicFake({ models: ['claude-haiku-4-5'] });
let router: RunningRouter;
let client: OpenAI;

beforeAll(async () => {
  await Promise.all([openaiFake.start(), anthropicFake.start()]);
  router = await startRouter({
    yaml: `
providers:
  - name: oai
    kind: openai
    baseUrl: ${openaiFake.url}/v1
    apiKeyEnv: TEST_API_KEY
    models:
${modelYaml('gpt-4o-mini')}
      - id: text-embedding-3-small
        type: embedding
        inputCostPerMTok: 0.02
        contextWindow: 8191
  - name: claude
    kind: anthropic
    baseUrl: ${anthropicFake.url}
    apiKeyEnv: TEST_API_KEY
    models:
${modelYaml('claude-haiku-4-5')}
  - name: nokey
    kind: groq
    apiKeyEnv: ROUTER_TEST_UNSET_KEY
    models:
${modelYaml('llama-3.1-8b-instant')}
routes:
  - alias: fast
    candidates: [oai/gpt-4o-mini, claude/claude-haiku-4-5]
`,
  });
  client = new OpenAI({ baseURL: `${router.httpUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await router?.stop();
  await Promise.all([openaiFake.close(), anthropicFake.close()]);
});

beforeEach(() => {
  openaiFake.reset();
  anthropicFake.reset();
});

describe('POST /v1/chat/completions', () => {
  it('answers a non-streamed completion with usage and the x-ql headers', async () => {
    openaiFake.enqueue({
      kind: 'reply',
      text: 'Hello there',
      usage: { inputTokens: 12, outputTokens: 3 },
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Hello there');
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(data.model).toBe('oai/gpt-4o-mini');
    expect(response.headers.get('x-ql-provider')).toBe('oai');
    expect(response.headers.get('x-ql-model')).toBe('oai/gpt-4o-mini');
    expect(response.headers.get('x-ql-attempts')).toBe('1');
    // 12 × $1/MTok + 3 × $2/MTok
    expect(response.headers.get('x-ql-cost-usd')).toBe('0.000018');
    // The upstream got the provider's own model id, not ours.
    expect(openaiFake.lastRequest()!.model).toBe('gpt-4o-mini');
  });

  it('streams a completion, usage in the final chunk', async () => {
    openaiFake.enqueue({
      kind: 'stream',
      chunks: ['Hel', 'lo', ' world'],
      usage: { inputTokens: 9, outputTokens: 3 },
    });
    const stream = await client.chat.completions.create({
      model: 'oai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello world');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
  });

  it('passes tokens on as they come: events are coalesced per read, never held back', async () => {
    openaiFake.enqueue({
      kind: 'stream',
      chunks: ['one', ' two', ' three'],
      chunkDelayMs: 150,
    });
    const stream = await client.chat.completions.create({
      model: 'oai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Count' }],
      stream: true,
    });
    const arrivals: { text: string; at: number }[] = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content;
      if (text) arrivals.push({ text, at: performance.now() });
    }
    expect(arrivals.map((a) => a.text)).toEqual(['one', ' two', ' three']);
    // Each token reaches the client about when the upstream sent it, not with the next one.
    expect(arrivals[1]!.at - arrivals[0]!.at).toBeGreaterThan(100);
    expect(arrivals[2]!.at - arrivals[1]!.at).toBeGreaterThan(100);
  });

  it('follows the OpenAI shape for stream_options.include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude/claude-haiku-4-5',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('routes an alias with a policy header and translates to another provider', async () => {
    const { data, response } = await client.chat.completions
      .create(
        { model: 'fast', messages: [{ role: 'user', content: 'Hi' }] },
        { headers: { 'x-ql-policy': 'quality' } },
      )
      .withResponse();
    expect(data.choices[0]!.message.content).toContain('Hi');
    expect(response.headers.get('x-ql-model')).toMatch(/^(oai|claude)\//);
  });

  it('passes tool calls through, streamed and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    openaiFake.enqueue({
      kind: 'reply',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }],
    });
    const r = await client.chat.completions.create({
      model: 'oai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools,
    });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    const call = r.choices[0]!.message
      .tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    anthropicFake.enqueue({
      kind: 'stream',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
    });
    const stream = client.chat.completions.stream({
      model: 'claude/claude-haiku-4-5',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools,
      stream: true,
    });
    // The openai helper merges the tool-call fragments itself.
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'get_weather' },
    });
  });

  it('answers JSON mode', async () => {
    openaiFake.enqueue({ kind: 'reply', json: { ok: true } });
    const r = await client.chat.completions.create({
      model: 'oai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ ok: true });
  });

  it('gives OpenAI-shaped errors naming the field', async () => {
    const bad = await client.chat.completions
      .create({ model: 'oai/gpt-4o-mini', messages: [] })
      .then(unexpected, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/messages: must not be empty/);

    const unknown = await client.chat.completions
      .create({ model: 'nope/model', messages: [{ role: 'user', content: 'x' }] })
      .then(unexpected, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('model_not_found');

    const policy = await client.chat.completions
      .create(
        { model: 'auto', messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-ql-policy': 'fastest' } },
      )
      .then(unexpected, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(policy.status).toBe(400);
    expect(policy.message).toMatch(/x-ql-policy: expected cost, speed, quality or balanced/);

    const nokey = await client.chat.completions
      .create({ model: 'nokey/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'x' }] })
      .then(unexpected, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(nokey.status).toBe(400);
    expect(nokey.message).toMatch(/provider not configured/);
  });

  it('maps upstream failures: refused request → 400, every attempt failed → 503, attempts named', async () => {
    openaiFake.when(
      { model: 'gpt-4o-mini' },
      { kind: 'fail', error: 'invalid_request', message: 'bad thing' },
      1,
    );
    const refused = await client.chat.completions
      .create({ model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .then(unexpected, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/oai\/gpt-4o-mini: bad_request/);
    expect(openaiFake.count({ route: 'chat' })).toBe(1);

    openaiFake.when({ model: 'gpt-4o-mini' }, { kind: 'fail', error: 'auth' }, 1);
    const failed = await client.chat.completions
      .create({ model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .then(unexpected, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(failed.status).toBe(503);
    expect(failed.message).toMatch(/every candidate failed: oai\/gpt-4o-mini: auth/);
  });
});

/**
 * The chat route is served off node:http ahead of fastify (src/http/fast-path.ts); what fastify
 * did for it must still hold, and the fastify route (reached by inject, or when the fast path
 * leaves a request to fastify) must answer the same.
 */
describe('POST /v1/chat/completions body handling (fast path and fastify route)', () => {
  const url = () => `${router.httpUrl}/v1/chat/completions`;
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { type: string; code: string | null; message: string } }).error;
  const hello = JSON.stringify({
    model: 'oai/gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  });

  it("refuses empty, invalid and prototype-poisoning bodies with fastify's codes", async () => {
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).code).toBe('FST_ERR_CTP_EMPTY_JSON_BODY');
    const invalid = await post('{"model":');
    expect(invalid.status).toBe(400);
    expect(await errorOf(invalid)).toMatchObject({
      type: 'invalid_request_error',
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    });
    for (const poisoned of [
      '{"model":"oai/gpt-4o-mini","__proto__":{"x":1},"messages":[]}',
      '{"model":"oai/gpt-4o-mini","messages":[{"role":"user","content":"hi","constructor":{"prototype":{}}}]}',
    ]) {
      const res = await post(poisoned);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    }
    // Words in the text are not keys.
    const fine = await post(
      JSON.stringify({
        model: 'oai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'the "constructor": and "__proto__": of a class' }],
      }),
    );
    expect(fine.status).toBe(200);
    expect(openaiFake.count({ route: 'chat' })).toBe(1);
  });

  it('leaves other content types and declared oversize bodies to fastify, as before', async () => {
    const text = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: hello,
    });
    expect(text.status).toBe(415);
    expect((await errorOf(text)).code).toBe('FST_ERR_CTP_INVALID_MEDIA_TYPE');
    const big = JSON.stringify({
      model: 'oai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }],
    });
    const tooLarge = await post(big);
    expect(tooLarge.status).toBe(413);
    expect((await errorOf(tooLarge)).code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    expect(openaiFake.count({ route: 'chat' })).toBe(0);
  });

  it('takes a charset parameter and a query string', async () => {
    const res = await fetch(`${url()}?trace=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: hello,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ql-provider')).toBe('oai');
    expect(res.headers.get('content-length')).toBe(String((await res.arrayBuffer()).byteLength));
  });

  it('answers the same through the fastify route', async () => {
    openaiFake.enqueue({ kind: 'reply', text: 'Same', usage: { inputTokens: 2, outputTokens: 1 } });
    const fast = await post(hello, { 'x-ql-request-id': 'req-fast' });
    const fastBody = (await fast.json()) as Record<string, unknown>;
    openaiFake.enqueue({ kind: 'reply', text: 'Same', usage: { inputTokens: 2, outputTokens: 1 } });
    const slow = await router.app.runtime.http.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', 'x-ql-request-id': 'req-slow' },
      payload: hello,
    });
    expect(slow.statusCode).toBe(200);
    const slowBody = slow.json<Record<string, unknown>>();
    expect({ ...slowBody, id: '', created: 0 }).toEqual({ ...fastBody, id: '', created: 0 });
    for (const h of ['x-ql-provider', 'x-ql-model', 'x-ql-attempts', 'x-ql-cost-usd'])
      expect(slow.headers[h]).toBe(fast.headers.get(h));
    const bad = await router.app.runtime.http.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      payload: '{"model":"oai/gpt-4o-mini","messages":[]}',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { message: string } }>().error.message).toMatch(
      /messages: must not be empty/,
    );
  });
});

describe('GET /v1/models and POST /v1/embeddings', () => {
  it('lists routable models and aliases', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(
      expect.arrayContaining(['oai/gpt-4o-mini', 'claude/claude-haiku-4-5', 'fast', 'auto']),
    );
    expect(ids).not.toContain('nokey/llama-3.1-8b-instant');
  });

  it('embeds (the client asks for base64 by default)', async () => {
    const r = await client.embeddings.create({
      model: 'oai/text-embedding-3-small',
      input: ['alpha', 'beta'],
    });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding).toHaveLength(8);
    expect(r.usage.prompt_tokens).toBeGreaterThan(0);
    const floats = await client.embeddings.create({
      model: 'auto',
      input: 'gamma',
      encoding_format: 'float',
    });
    expect(floats.data[0]!.embedding.every((v) => typeof v === 'number')).toBe(true);
  });
});
