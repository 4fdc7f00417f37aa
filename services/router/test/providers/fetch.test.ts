// `ProviderSettings.fetch`: every SDK-based HTTP adapter (openai, vllm, openai-compatible, groq on
// `client: sdk`; anthropic, ollama) sends its requests, streamed or not, through the fetch it was
// given. The direct client (the Chat Completions kinds' default) uses no fetch at all.
import { createProvider, type ChatRequest } from '../../src/providers/index.js';
import { createHttpFetch } from '../../src/upstream/http-fetch.js';
import { drain, makeFamilies, stopFamilies } from './harness.js';

const families = makeFamilies().filter((f) => f.id !== 'bedrock');
const inner = createHttpFetch();
const seen: string[] = [];
const counting = ((input: string | URL | Request, init?: RequestInit) => {
  seen.push(String(input instanceof Request ? input.url : input));
  return inner(input, init);
}) as typeof fetch;

beforeAll(() => Promise.all(families.map((f) => f.fake.start())));
afterAll(async () => {
  inner.destroy();
  await stopFamilies(families, undefined);
});
beforeEach(() => {
  seen.length = 0;
  families.forEach((f) => f.fake.reset());
});

const ask = (model: string): ChatRequest => ({
  model,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
});

describe.each(families.map((f) => [f.id, f] as const))('%s', (_id, family) => {
  it('uses the fetch of its settings for chat and streams', async () => {
    const adapter = createProvider(family.settings({ fetch: counting, client: 'sdk' }));
    const res = await adapter.chat(ask(family.model));
    expect(res.text.length).toBeGreaterThan(0);
    const events = await drain(adapter.chatStream(ask(family.model)));
    expect(events.at(-1)!.type).toBe('finish');
    expect(seen).toHaveLength(2);
    expect(seen.every((u) => u.startsWith(family.fake.url))).toBe(true);
    await adapter.close?.();
  });

  if (['openai', 'vllm', 'openai-compatible', 'groq'].includes(family.id)) {
    it('uses no fetch on the direct client', async () => {
      const adapter = createProvider(family.settings({ fetch: counting, client: 'direct' }));
      expect(adapter.constructor.name).toBe('DirectChatCompletionsAdapter');
      const res = await adapter.chat(ask(family.model));
      expect(res.text.length).toBeGreaterThan(0);
      const events = await drain(adapter.chatStream(ask(family.model)));
      expect(events.at(-1)!.type).toBe('finish');
      expect(seen).toHaveLength(0);
      expect(family.fake.received({ route: 'chat' })).toHaveLength(2);
      await adapter.close?.();
    });
  }
});
