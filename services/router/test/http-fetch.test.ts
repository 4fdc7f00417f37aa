// The node:http fetch for provider SDKs, through the official openai client against the fake.
import { OpenAIFake } from '@quantumlayer/provider-fakes';
import OpenAI from 'openai';
import { createHttpFetch } from '../src/upstream/http-fetch.js';
import { API_KEY } from './support/app.js';

const fake = new OpenAIFake({ apiKey: API_KEY });
let client: OpenAI;

beforeAll(async () => {
  await fake.start();
  client = new OpenAI({
    apiKey: API_KEY,
    baseURL: `${fake.url}/v1`,
    maxRetries: 0,
    fetch: createHttpFetch(),
  });
});
afterAll(() => fake.close());

it('carries non-streamed answers, headers and JSON bodies', async () => {
  fake.enqueue({ kind: 'reply', text: 'hi there' });
  const { data, response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();
  expect(data.choices[0]!.message.content).toBe('hi there');
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  expect(fake.lastRequest()!.headers.authorization).toBe(`Bearer ${API_KEY}`);
});

it('streams server-sent events', async () => {
  fake.enqueue({ kind: 'stream', chunks: ['a', 'b', 'c'] });
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  expect(text).toBe('abc');
});

it('reports error statuses with their headers', async () => {
  fake.enqueue({ kind: 'throttle', retryAfterSeconds: 3 });
  const err = (await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
  expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  expect(err.headers?.get('retry-after')).toBe('3');
});

it('aborts a stalled request as an abort, not a network failure', async () => {
  fake.enqueue({ kind: 'stall' });
  const controller = new AbortController();
  const p = client.chat.completions.create(
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    { signal: controller.signal },
  );
  setTimeout(() => controller.abort(), 50);
  await expect(p).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
});

it('fails connection errors as connection errors', async () => {
  const dead = new OpenAI({
    apiKey: API_KEY,
    baseURL: 'http://127.0.0.1:1/v1',
    maxRetries: 0,
    fetch: createHttpFetch(),
  });
  await expect(dead.models.list()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
});
