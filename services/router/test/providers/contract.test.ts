// The cases every provider family must pass, run against each family's loopback fake:
// text (stream and non-stream agree), tool calls, JSON output, usage, embeddings, models.
import { embedText, type Behaviour } from '@quantumlayer/provider-fakes';
import type {
  ChatRequest,
  ProviderAdapter,
  StreamEvent,
  ToolDefinition,
} from '../../src/providers/index.js';
import {
  assemble,
  drain,
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

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city'],
  },
};
const time: ToolDefinition = {
  name: 'get_time',
  parameters: { type: 'object', properties: { zone: { type: 'string' } } },
};

function ask(model: string, text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
      { role: 'user', content: [{ type: 'text', text }] },
    ],
    ...extra,
  };
}

const TWO_CALLS: Behaviour = {
  kind: 'reply',
  toolCalls: [
    { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } },
    {
      id: 'call_b',
      name: 'get_time',
      arguments: { zone: 'Europe/Paris, a long zone name to force several fragments' },
    },
  ],
};

describe.each(families.map((f) => [f.id, f] as const))(
  '%s adapter contract',
  (id, family: Family) => {
    const adapter = () => adapters.get(id)!;
    const fake = family.fake;
    beforeEach(() => fake.reset());

    it('answers a chat with text, finish reason, usage and model', async () => {
      const res = await adapter().chat(ask(family.model, 'Hello there'));
      expect(res.text).toBe('echo: Hello there');
      expect(res.toolCalls).toEqual([]);
      expect(res.finishReason).toBe('stop');
      expect(res.usage.inputTokens).toBeGreaterThan(0);
      expect(res.usage.outputTokens).toBe(Math.ceil('echo: Hello there'.length / 4));
      if (id !== 'bedrock') expect(res.model).toBe(family.model);
    });

    it('streams the same text as the non-streamed answer, then exactly one finish', async () => {
      const script: Behaviour = {
        kind: 'reply',
        text: 'The quick brown fox jumps over the lazy dog.',
      };
      fake.enqueue(script, { ...script, kind: 'stream' });
      const whole = await adapter().chat(ask(family.model, 'fox'));
      const events = await drain(adapter().chatStream(ask(family.model, 'fox')));
      expect(events.filter((e) => e.type === 'text').length).toBeGreaterThan(1);
      const streamed = assemble(events);
      expect(streamed.text).toBe(whole.text);
      expect(streamed.finishReason).toBe('stop');
      expect(streamed.usage).toEqual(whole.usage);
    });

    it('reports the exact token usage the provider sent, stream and non-stream', async () => {
      const script: Behaviour = {
        kind: 'reply',
        text: 'counted',
        usage: { inputTokens: 21, outputTokens: 9, cacheReadTokens: 5 },
      };
      fake.enqueue(script, { ...script, kind: 'stream' });
      const expected = { ...family.cachedUsage, outputTokens: 9 };
      expect((await adapter().chat(ask(family.model, 'count'))).usage).toEqual(expected);
      expect(assemble(await drain(adapter().chatStream(ask(family.model, 'count')))).usage).toEqual(
        expected,
      );
    });

    it('reports finish reason length when the output cap is hit', async () => {
      fake.enqueue({ kind: 'reply', text: 'a long answer that does not fit in two tokens' });
      const res = await adapter().chat(ask(family.model, 'long', { maxTokens: 2 }));
      expect(res.finishReason).toBe('length');
    });

    it('returns tool calls (non-stream) with ids, names and JSON arguments', async () => {
      fake.enqueue(TWO_CALLS);
      const res = await adapter().chat(
        ask(family.model, 'weather and time', { tools: [weather, time] }),
      );
      expect(res.finishReason).toBe('tool_calls');
      expect(res.toolCalls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
      expect(JSON.parse(res.toolCalls[0]!.argumentsJson)).toEqual({ city: 'Paris', unit: 'c' });
      expect(JSON.parse(res.toolCalls[1]!.argumentsJson)).toEqual({
        zone: 'Europe/Paris, a long zone name to force several fragments',
      });
      for (const c of res.toolCalls) expect(c.id).toMatch(/\S/);
      if (id !== 'ollama') expect(res.toolCalls.map((c) => c.id)).toEqual(['call_a', 'call_b']);
    });

    it('streams tool calls as indexed fragments that assemble to the non-stream calls', async () => {
      fake.enqueue(TWO_CALLS, { ...TWO_CALLS, kind: 'stream' });
      const req = ask(family.model, 'weather and time', { tools: [weather, time] });
      const whole = await adapter().chat(req);
      const events = await drain(adapter().chatStream(req));
      const frags = events.filter(
        (e): e is Extract<StreamEvent, { type: 'tool_call' }> => e.type === 'tool_call',
      );
      expect([...new Set(frags.map((f) => f.index))]).toEqual([0, 1]);
      if (family.fragmentsToolArgs) {
        expect(
          frags.filter((f) => f.index === 1 && f.argumentsDelta !== '').length,
        ).toBeGreaterThan(1);
      }
      const streamed = assemble(events);
      expect(streamed.finishReason).toBe('tool_calls');
      expect(streamed.toolCalls.map((c) => c.name)).toEqual(whole.toolCalls.map((c) => c.name));
      expect(streamed.toolCalls.map((c) => JSON.parse(c.argumentsJson))).toEqual(
        whole.toolCalls.map((c) => JSON.parse(c.argumentsJson)),
      );
      if (id !== 'ollama')
        expect(streamed.toolCalls.map((c) => c.id)).toEqual(['call_a', 'call_b']);
    });

    it('sends a multi-turn tool conversation the provider accepts', async () => {
      const res = await adapter().chat({
        model: family.model,
        tools: [weather],
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Use tools.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
          {
            role: 'assistant',
            content: [],
            toolCalls: [
              { id: 'call_1', name: 'get_weather', argumentsJson: '{"city":"Paris"}' },
              { id: 'call_2', name: 'get_weather', argumentsJson: '{"city":"Rome"}' },
            ],
          },
          { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '18C sunny' }] },
          { role: 'tool', toolCallId: 'call_2', content: [{ type: 'text', text: '24C clear' }] },
        ],
      });
      // Anthropic and Bedrock get both results in one user turn, so the echo has both.
      expect(res.text).toMatch(/^echo: (18C sunny )?24C clear$/);
    });

    it('returns JSON matching a json_schema response format', async () => {
      const schema = {
        type: 'object',
        properties: { title: { type: 'string' }, score: { type: 'integer', minimum: 3 } },
        required: ['title', 'score'],
        additionalProperties: false,
      };
      const req = ask(family.model, 'rate it', {
        responseFormat: { type: 'json_schema', name: 'rating', schema, strict: true },
      });
      const res = await adapter().chat(req);
      expect(JSON.parse(res.text)).toEqual({ title: 'echo: rate it', score: 3 });
      expect(res.finishReason).toBe('stop');
      const streamed = assemble(await drain(adapter().chatStream(req)));
      expect(JSON.parse(streamed.text)).toEqual({ title: 'echo: rate it', score: 3 });
    });

    it('returns a JSON object for a json_object response format', async () => {
      if (family.emulatedJsonModel) {
        // No native JSON-object mode: the model answers through the forced tool.
        fake.enqueue({
          kind: 'reply',
          toolCalls: [{ name: 'ql_json_output', arguments: { echo: 'x' } }],
        });
      }
      const res = await adapter().chat(
        ask(family.model, 'as json', { responseFormat: { type: 'json_object' } }),
      );
      const parsed: unknown = JSON.parse(res.text);
      expect(typeof parsed).toBe('object');
      expect(res.toolCalls).toEqual([]);
      expect(res.finishReason).toBe('stop');
    });

    if (family.emulatedJsonModel) {
      it('emulates json_schema with a forced tool call on models without native JSON', async () => {
        const model = family.emulatedJsonModel!;
        const schema = {
          type: 'object',
          properties: { ok: { type: 'boolean' } },
          required: ['ok'],
        };
        const answer: Behaviour = {
          kind: 'reply',
          toolCalls: [
            { name: 'ql_json_output', arguments: { ok: true, note: 'a longer note value' } },
          ],
        };
        fake.enqueue(answer, { ...answer, kind: 'stream' });
        const req = ask(model, 'ok?', {
          responseFormat: { type: 'json_schema', name: 'okay', schema },
        });
        const res = await adapter().chat(req);
        expect(JSON.parse(res.text)).toEqual({ ok: true, note: 'a longer note value' });
        expect(res.toolCalls).toEqual([]);
        expect(res.finishReason).toBe('stop');
        const streamed = assemble(await drain(adapter().chatStream(req)));
        expect(JSON.parse(streamed.text)).toEqual({ ok: true, note: 'a longer note value' });
        expect(streamed.toolCalls).toEqual([]);
        expect(streamed.finishReason).toBe('stop');
      });

      it('unwraps a non-object schema answered through the forced tool', async () => {
        const answer: Behaviour = {
          kind: 'reply',
          toolCalls: [{ name: 'ql_json_output', arguments: { value: ['a', 'b'] } }],
        };
        fake.enqueue(answer, { ...answer, kind: 'stream' });
        const req = ask(family.emulatedJsonModel!, 'list', {
          responseFormat: {
            type: 'json_schema',
            name: 'list',
            schema: { type: 'array', items: { type: 'string' } },
          },
        });
        expect(JSON.parse((await adapter().chat(req)).text)).toEqual(['a', 'b']);
        expect(JSON.parse(assemble(await drain(adapter().chatStream(req))).text)).toEqual([
          'a',
          'b',
        ]);
      });
    }

    if (family.embedModel) {
      it('embeds a batch of inputs in order, with usage', async () => {
        const dims = family.embedDimensions ? 16 : fake.embeddingDimensions;
        const inputs = ['first text', 'second, longer text'];
        const res = await adapter().embed!({
          model: family.embedModel!,
          inputs,
          ...(family.embedDimensions ? { dimensions: dims } : {}),
        });
        expect(res.vectors).toHaveLength(2);
        inputs.forEach((text, i) => {
          const expected = embedText(text, dims);
          expect(res.vectors[i]).toHaveLength(dims);
          res.vectors[i]!.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 5));
        });
        expect(res.usage.inputTokens).toBe(Math.ceil(10 / 4) + Math.ceil(19 / 4));
      });

      if (!family.embedDimensions) {
        it('refuses embedding dimensions the API cannot honour, before calling it', async () => {
          const err = await providerErrorOf(() =>
            adapter().embed!({ model: family.embedModel!, inputs: ['x'], dimensions: 16 }),
          );
          expect(err.kind).toBe('bad_request');
          expect(fake.count()).toBe(0);
        });
      }
    }

    it('lists the upstream models where the provider has a cheap listing', async () => {
      const a = adapter();
      if (!a.listModels) {
        expect(id).toBe('bedrock');
        return;
      }
      const models = await a.listModels();
      expect(models.map((m) => m.id)).toEqual(fake.models);
    });
  },
);
