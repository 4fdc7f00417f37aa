// What each adapter puts on the wire, as the fakes recorded it: auth, paths, model, message
// translation, tools, response format, token cap, sampling, system prompt placement.
import { OllamaFake, type FakeProviderServer, type OpenAIFake } from '@quantumlayer/provider-fakes';
import {
  createProvider,
  type ChatMessage,
  type ChatRequest,
  type ProviderAdapter,
  type ToolDefinition,
} from '../../src/providers/index.js';
import {
  API_KEY,
  body,
  drain,
  lastChat,
  makeFamilies,
  providerErrorOf,
  startFamilies,
  stopFamilies,
  useFakeAwsEnvironment,
  type Family,
  type FamilyId,
} from './harness.js';

const families = makeFamilies();
let adapters: Map<FamilyId, ProviderAdapter>;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = useFakeAwsEnvironment();
  adapters = await startFamilies(families);
});
afterAll(async () => {
  await stopFamilies(families, adapters);
  restoreEnv();
});
beforeEach(() => families.forEach((f) => f.fake.reset()));

const family = (id: FamilyId): Family => families.find((f) => f.id === id)!;
const adapter = (id: FamilyId): ProviderAdapter => adapters.get(id)!;

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

/** A conversation with every message kind: two system prompts, a tool round with two calls. */
const conversation: ChatMessage[] = [
  { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
  { role: 'system', content: [{ type: 'text', text: 'Answer in English.' }] },
  { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
  {
    role: 'assistant',
    content: [{ type: 'text', text: 'Checking.' }],
    toolCalls: [
      { id: 'call_1', name: 'get_weather', argumentsJson: '{"city":"Paris"}' },
      { id: 'call_2', name: 'get_weather', argumentsJson: '{"city":"Rome"}' },
    ],
  },
  { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '18C sunny' }] },
  { role: 'tool', toolCallId: 'call_2', content: [{ type: 'text', text: '24C clear' }] },
];

function fullRequest(model: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: conversation,
    tools: [weather],
    toolChoice: { name: 'get_weather' },
    temperature: 0.2,
    topP: 0.9,
    maxTokens: 50,
    stop: ['END'],
    seed: 7,
    ...extra,
  };
}

function userAsk(model: string, text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model, messages: [{ role: 'user', content: [{ type: 'text', text }] }], ...extra };
}

describe.each(['openai', 'vllm', 'openai-compatible', 'groq'] as const)('%s wire shape', (id) => {
  const f = () => family(id);
  const path = id === 'groq' ? '/openai/v1/chat/completions' : '/v1/chat/completions';
  const tokenField = id === 'openai' || id === 'groq' ? 'max_completion_tokens' : 'max_tokens';

  it('sends the Chat Completions request with bearer auth, tools and sampling', async () => {
    await adapter(id).chat(
      fullRequest(f().model, {
        responseFormat: {
          type: 'json_schema',
          name: 'weather',
          schema: { type: 'object', properties: { t: { type: 'number' } } },
          strict: true,
        },
      }),
    );
    const req = lastChat(f().fake);
    expect(req.path).toBe(path);
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(body(req)).toEqual({
      model: f().model,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: '24C clear' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: weather.parameters,
            strict: true,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'weather',
          schema: { type: 'object', properties: { t: { type: 'number' } } },
          strict: true,
        },
      },
      temperature: 0.2,
      top_p: 0.9,
      [tokenField]: 50,
      stop: ['END'],
      seed: 7,
    });
  });

  it('asks for streamed usage where the server supports stream_options', async () => {
    await drain(
      adapter(id).chatStream(userAsk(f().model, 'hi', { responseFormat: { type: 'json_object' } })),
    );
    const b = body(lastChat(f().fake));
    expect(b.stream).toBe(true);
    expect(b.response_format).toEqual({ type: 'json_object' });
    if (id === 'groq') expect(b.stream_options).toBeUndefined();
    else expect(b.stream_options).toEqual({ include_usage: true });
  });

  it('sends images as image_url content parts', async () => {
    await adapter(id).chat({
      model: f().model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', url: `data:image/png;base64,${PNG}`, detail: 'low' },
          ],
        },
      ],
    });
    expect(body(lastChat(f().fake)).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } },
        ],
      },
    ]);
  });
});

describe('OpenAI-compatible extras', () => {
  it('sends no Authorization header to a keyless self-hosted server', async () => {
    const fake = family('vllm').fake;
    const keyless = createProvider({ name: 'vllm-open', kind: 'vllm', baseUrl: `${fake.url}/v1` });
    // The fake insists on a key, so the refusal also proves none was sent.
    const err = await providerErrorOf(() => keyless.chat(userAsk('m', 'hi')));
    expect(err.kind).toBe('auth');
    expect(lastChat(fake).headers.authorization).toBeUndefined();
  });

  it('refuses to build a hosted OpenAI/Groq/Anthropic adapter without a key', () => {
    for (const kind of ['openai', 'groq', 'anthropic'] as const)
      expect(() => createProvider({ name: `${kind}-nokey`, kind })).toThrow(/API key/);
  });

  it('passes operator headers on every request', async () => {
    const fake = family('openai').fake;
    const a = createProvider({
      ...family('openai').settings(),
      headers: { 'OpenAI-Organization': 'org-ql' },
    });
    await a.chat(userAsk('gpt-4o-mini', 'hi'));
    expect(lastChat(fake).headers['openai-organization']).toBe('org-ql');
  });

  it('sends embeddings to /embeddings with the dimensions asked', async () => {
    const fake = family('openai').fake as OpenAIFake;
    await adapter('openai').embed!({
      model: 'text-embedding-3-small',
      inputs: ['a', 'b'],
      dimensions: 4,
    });
    const req = fake.received({ route: 'embeddings' }).at(-1)!;
    expect(req.path).toBe('/v1/embeddings');
    expect(body(req)).toMatchObject({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      dimensions: 4,
    });
  });
});

describe('anthropic wire shape', () => {
  const f = () => family('anthropic');

  it('pulls system prompts out, merges tool results into one user turn, maps tools', async () => {
    await adapter('anthropic').chat(fullRequest(f().model));
    const req = lastChat(f().fake);
    expect(req.path).toBe('/v1/messages');
    const key = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
    expect(key).toBe(API_KEY);
    expect(req.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const b = body(req);
    expect(b).toEqual({
      model: f().model,
      max_tokens: 50,
      system: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Answer in English.' },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: '18C sunny' },
            { type: 'tool_result', tool_use_id: 'call_2', content: '24C clear' },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather for a city',
          input_schema: weather.parameters,
          strict: true,
        },
      ],
      tool_choice: { type: 'tool', name: 'get_weather' },
      stop_sequences: ['END'],
    });
  });

  it('sends one system prompt as a string and a default max_tokens', async () => {
    await drain(
      adapter('anthropic').chatStream({
        model: f().model,
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
          { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        ],
        toolChoice: 'required',
        tools: [weather],
      }),
    );
    const b = body(lastChat(f().fake));
    expect(b.system).toBe('Be brief.');
    expect(b.max_tokens).toBe(4096);
    expect(b.stream).toBe(true);
    expect(b.tool_choice).toEqual({ type: 'any' });
  });

  it('uses native structured outputs on models that have them', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    await adapter('anthropic').chat(
      userAsk('claude-opus-4-7', 'x', {
        responseFormat: { type: 'json_schema', name: 's', schema },
      }),
    );
    const b = body(lastChat(f().fake));
    expect(b.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(b.tools).toBeUndefined();
  });

  it('forces a JSON tool on older models, and lets user tools compete with tool_choice any', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const rf = { type: 'json_schema' as const, name: 's', schema };
    f().fake.enqueue({
      kind: 'reply',
      toolCalls: [{ name: 'ql_json_output', arguments: { a: 'b' } }],
    });
    await adapter('anthropic').chat(userAsk(f().emulatedJsonModel!, 'x', { responseFormat: rf }));
    let b = body(lastChat(f().fake));
    expect(b.output_config).toBeUndefined();
    expect(b.tools).toEqual([
      { name: 'ql_json_output', description: expect.any(String), input_schema: schema },
    ]);
    expect(b.tool_choice).toEqual({ type: 'tool', name: 'ql_json_output' });

    f().fake.enqueue({
      kind: 'reply',
      toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
    });
    const res = await adapter('anthropic').chat(
      userAsk(f().emulatedJsonModel!, 'x', { responseFormat: rf, tools: [weather] }),
    );
    b = body(lastChat(f().fake));
    expect((b.tools as { name: string }[]).map((t) => t.name)).toEqual([
      'get_weather',
      'ql_json_output',
    ]);
    expect(b.tool_choice).toEqual({ type: 'any' });
    expect(res.toolCalls.map((c) => c.name)).toEqual(['get_weather']);
    expect(res.finishReason).toBe('tool_calls');
  });

  it('sends data-URL images as base64 sources and other URLs as url sources', async () => {
    await adapter('anthropic').chat({
      model: f().model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', url: `data:image/png;base64,${PNG}` },
            { type: 'image_url', url: 'https://example.com/cat.jpg' },
            { type: 'text', text: 'Compare.' },
          ],
        },
      ],
    });
    expect((body(lastChat(f().fake)).messages as unknown[])[0]).toEqual({
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'text', text: 'Compare.' },
      ],
    });
  });

  it('refuses tool-call arguments that are not a JSON object, before calling', async () => {
    const err = await providerErrorOf(() =>
      adapter('anthropic').chat({
        model: f().model,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          {
            role: 'assistant',
            content: [],
            toolCalls: [{ id: 'c', name: 'n', argumentsJson: '[1,' }],
          },
          { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: 'r' }] },
        ],
      }),
    );
    expect(err.kind).toBe('bad_request');
    expect(f().fake.count()).toBe(0);
  });
});

describe('bedrock wire shape', () => {
  const f = () => family('bedrock');

  it('signs with SigV4 from the AWS environment and sends Converse with system blocks and toolConfig', async () => {
    await adapter('bedrock').chat(fullRequest(f().model));
    const req = lastChat(f().fake);
    expect(req.path).toBe(`/model/${encodeURIComponent(f().model)}/converse`);
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKEPROVIDER0001\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(req.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(body(req)).toEqual({
      system: [{ text: 'You are terse.' }, { text: 'Answer in English.' }],
      messages: [
        { role: 'user', content: [{ text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { text: 'Checking.' },
            { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Rome' } } },
          ],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'call_1', content: [{ text: '18C sunny' }] } },
            { toolResult: { toolUseId: 'call_2', content: [{ text: '24C clear' }] } },
          ],
        },
      ],
      inferenceConfig: { maxTokens: 50, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'get_weather',
              description: 'Current weather for a city',
              inputSchema: { json: weather.parameters },
              strict: true,
            },
          },
        ],
        toolChoice: { tool: { name: 'get_weather' } },
      },
    });
  });

  it('streams through converse-stream', async () => {
    await drain(adapter('bedrock').chatStream(userAsk(f().model, 'hi')));
    expect(lastChat(f().fake).path).toBe(`/model/${encodeURIComponent(f().model)}/converse-stream`);
  });

  it('uses outputConfig on models with native JSON and a forced tool elsewhere', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const rf = { type: 'json_schema' as const, name: 's', description: 'd', schema };
    await adapter('bedrock').chat(userAsk(f().model, 'x', { responseFormat: rf }));
    expect(body(lastChat(f().fake)).outputConfig).toEqual({
      textFormat: {
        type: 'json_schema',
        structure: { jsonSchema: { schema: JSON.stringify(schema), name: 's', description: 'd' } },
      },
    });
    f().fake.enqueue({
      kind: 'reply',
      toolCalls: [{ name: 'ql_json_output', arguments: { a: 'b' } }],
    });
    await adapter('bedrock').chat(userAsk(f().emulatedJsonModel!, 'x', { responseFormat: rf }));
    const b = body(lastChat(f().fake));
    expect(b.outputConfig).toBeUndefined();
    expect(b.toolConfig).toEqual({
      tools: [
        { toolSpec: { name: 'ql_json_output', description: 'd', inputSchema: { json: schema } } },
      ],
      toolChoice: { tool: { name: 'ql_json_output' } },
    });
  });

  it('drops tools for toolChoice none unless the conversation holds tool blocks', async () => {
    await adapter('bedrock').chat(
      userAsk(f().model, 'x', { tools: [weather], toolChoice: 'none' }),
    );
    expect(body(lastChat(f().fake)).toolConfig).toBeUndefined();
    await adapter('bedrock').chat(fullRequest(f().model, { toolChoice: 'none' }));
    expect(body(lastChat(f().fake)).toolConfig).toEqual({
      tools: [
        expect.objectContaining({ toolSpec: expect.objectContaining({ name: 'get_weather' }) }),
      ],
    });
  });

  it('sends data-URL images as bytes and refuses other URLs before calling', async () => {
    await adapter('bedrock').chat({
      model: f().model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What?' },
            { type: 'image_url', url: `data:image/png;base64,${PNG}` },
          ],
        },
      ],
    });
    expect((body(lastChat(f().fake)).messages as unknown[])[0]).toEqual({
      role: 'user',
      content: [{ text: 'What?' }, { image: { format: 'png', source: { bytes: PNG } } }],
    });
    f().fake.reset();
    const err = await providerErrorOf(() =>
      adapter('bedrock').chat({
        model: f().model,
        messages: [
          { role: 'user', content: [{ type: 'image_url', url: 'https://example.com/a.png' }] },
        ],
      }),
    );
    expect(err.kind).toBe('bad_request');
    expect(f().fake.count()).toBe(0);
  });

  it('signs operator headers too', async () => {
    const a = createProvider({ ...f().settings(), headers: { 'x-ql-tenant': 't1' } });
    try {
      await a.chat(userAsk(f().model, 'hi'));
      const req = lastChat(f().fake);
      expect(req.headers['x-ql-tenant']).toBe('t1');
    } finally {
      await a.close?.();
    }
  });
});

describe('ollama wire shape', () => {
  const f = () => family('ollama');

  it('sends /api/chat with options, tools, tool names and stream false', async () => {
    await adapter('ollama').chat(fullRequest(f().model, { toolChoice: 'auto' }));
    const req = lastChat(f().fake);
    expect(req.path).toBe('/api/chat');
    expect(body(req)).toEqual({
      model: f().model,
      stream: false,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { function: { name: 'get_weather', arguments: { city: 'Paris' } } },
            { function: { name: 'get_weather', arguments: { city: 'Rome' } } },
          ],
        },
        { role: 'tool', content: '18C sunny', tool_name: 'get_weather' },
        { role: 'tool', content: '24C clear', tool_name: 'get_weather' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: weather.parameters,
          },
        },
      ],
      options: { temperature: 0.2, top_p: 0.9, num_predict: 50, stop: ['END'], seed: 7 },
    });
  });

  it('streams with stream true, JSON formats and images', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    await drain(
      adapter('ollama').chatStream({
        model: f().model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'x' },
              { type: 'image_url', url: `data:image/png;base64,${PNG}` },
            ],
          },
        ],
        responseFormat: { type: 'json_schema', name: 's', schema },
        tools: [weather],
        toolChoice: 'none',
      }),
    );
    const b = body(lastChat(f().fake));
    expect(b.stream).toBe(true);
    expect(b.format).toEqual(schema);
    expect(b.tools).toBeUndefined();
    expect(b.messages).toEqual([{ role: 'user', content: 'x', images: [PNG] }]);
    await adapter('ollama').chat(
      userAsk(f().model, 'x', { responseFormat: { type: 'json_object' } }),
    );
    expect(body(lastChat(f().fake)).format).toBe('json');
  });

  it('sends a bearer key when one is configured, and embeddings to /api/embed', async () => {
    const fake: FakeProviderServer = new OllamaFake({ apiKey: API_KEY });
    await fake.start();
    const a = createProvider({
      name: 'ollama-cloud',
      kind: 'ollama',
      baseUrl: `${fake.url}/`,
      apiKey: API_KEY,
    });
    try {
      await a.chat(userAsk('llama3.2', 'hi'));
      expect(lastChat(fake).headers.authorization).toBe(`Bearer ${API_KEY}`);
      await a.embed!({ model: 'nomic-embed-text', inputs: ['a'], dimensions: 4 });
      const req = fake.received({ route: 'embeddings' }).at(-1)!;
      expect(req.path).toBe('/api/embed');
      expect(body(req)).toEqual({ model: 'nomic-embed-text', input: ['a'], dimensions: 4 });
    } finally {
      await fake.close();
    }
  });
});
