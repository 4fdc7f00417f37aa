// The node:http fetch for provider SDKs, through the official openai client against the fake.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { OpenAIFake } from '@quantumlayer/provider-fakes';
import OpenAI from 'openai';
import {
  acceptsUpstreamSignal,
  createHttpFetch,
  UPSTREAM_SIGNAL,
} from '../src/upstream/http-fetch.js';
import { API_KEY, waitFor } from './support/app.js';

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

describe('as a fetch, where it must behave like the platform one', () => {
  let server: Server;
  let base: string;
  const own = createHttpFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ ok: true })));
      } else if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n'); // then nothing: the client aborts
      } else if (req.url === '/stall') {
        // never answers
      } else if (req.url === '/empty') {
        res.writeHead(204).end();
      } else {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
          res.end(JSON.stringify({ method: req.method, body, header: req.headers['x-test'] }));
        });
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    own.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends method, headers and body; resolves error statuses with headers and body', async () => {
    const res = await own(`${base}/echo`, {
      method: 'POST',
      headers: new Headers({ 'x-test': 'yes', 'content-type': 'application/json' }),
      body: '{"a":1}',
    });
    expect(res.status).toBe(429);
    expect(res.ok).toBe(false);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":1}', header: 'yes' });
  });

  it('decodes a gzip body', async () => {
    expect(await (await own(`${base}/gzip`)).json()).toEqual({ ok: true });
  });

  it('gives a 204 a null body', async () => {
    const res = await own(`${base}/empty`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  it("rejects an aborted request with the signal's reason, as the platform fetch does", async () => {
    for (const f of [own, fetch]) {
      const timeout = f(`${base}/stall`, { signal: AbortSignal.timeout(30) });
      await expect(timeout).rejects.toMatchObject({ name: 'TimeoutError' });
      const c = new AbortController();
      const p = f(`${base}/stall`, { signal: c.signal });
      setTimeout(() => c.abort(), 10);
      await expect(p).rejects.toMatchObject({ name: 'AbortError' });
      const reason = new Error('mine');
      const c2 = new AbortController();
      const p2 = f(`${base}/stall`, { signal: c2.signal });
      setTimeout(() => c2.abort(reason), 10);
      await expect(p2).rejects.toBe(reason);
    }
  });

  it('ends a streamed body with the abort once the signal fires mid-stream', async () => {
    const c = new AbortController();
    const res = await own(`${base}/sse`, { signal: c.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: 1\n\n');
    setTimeout(() => c.abort(), 10);
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails a refused connection as TypeError("fetch failed") with the socket error as cause', async () => {
    const err = (await own('http://127.0.0.1:1/').catch((e: unknown) => e)) as TypeError;
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('fetch failed');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('a response read whole behaves like a platform Response', () => {
  let server: Server;
  let base: string;
  const own = createHttpFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(200, [
        ['Content-Type', 'application/json'],
        ['X-B', '1'],
        ['x-a', 'first'],
        ['X-A', 'second'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
      ]);
      res.end(req.url === '/bom' ? '\uFEFF{"x":1}' : '{"hello":"wörld"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    own.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('has the same headers, in the same order', async () => {
    const [mine, platform] = await Promise.all([own(base), fetch(base)]);
    expect(mine.headers).toBeInstanceOf(Headers);
    const norm = (h: Headers) => [...h].filter(([k]) => !['date', 'keep-alive'].includes(k));
    expect(norm(mine.headers)).toEqual(norm(platform.headers));
    expect(mine.headers.get('X-A')).toBe(platform.headers.get('X-A'));
    expect(mine.headers.get('missing')).toBeNull();
    expect(mine.headers.has('x-b')).toBe(true);
    expect(mine.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(() => mine.headers.set('x', 'y')).toThrow(TypeError);
    const seen: string[] = [];
    mine.headers.forEach((_v, k) => seen.push(k));
    expect(seen).toEqual([...platform.headers.keys()]);
    expect([mine.status, mine.ok, mine.statusText]).toEqual([
      platform.status,
      platform.ok,
      platform.statusText,
    ]);
    await platform.text();
  });

  it('reads its body once, by text, json, arrayBuffer or the stream; clones before that', async () => {
    const r = await own(base);
    const copy = r.clone();
    expect(r.bodyUsed).toBe(false);
    expect(await r.json()).toEqual({ hello: 'wörld' });
    expect(r.bodyUsed).toBe(true);
    await expect(r.text()).rejects.toMatchObject({ name: 'TypeError' });
    expect(() => r.clone()).toThrow(TypeError);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"hello":"wörld"}');

    const s = await own(base);
    const reader = s.body!.getReader();
    let text = '';
    for (let c = await reader.read(); !c.done; c = await reader.read())
      text += new TextDecoder().decode(c.value, { stream: true });
    expect(text).toBe('{"hello":"wörld"}');
    expect(s.bodyUsed).toBe(true);
    // (a TypeError of Node's realm, not jest's)
    await expect(s.text()).rejects.toMatchObject({ name: 'TypeError' });
  });

  it('drops a UTF-8 byte order mark from text, as the platform does', async () => {
    const [mine, platform] = await Promise.all([own(`${base}/bom`), fetch(`${base}/bom`)]);
    expect(await mine.json()).toEqual(await platform.json());
  });
});

it('reaches an IPv6 literal host, path and query intact', async () => {
  const server = createServer((req, res) => res.end(`got ${req.url}`));
  const listening = await new Promise<boolean>((r) => {
    server.once('error', () => r(false));
    server.listen(0, '::1', () => r(true));
  });
  if (!listening) return; // no IPv6 loopback on this machine
  const own = createHttpFetch();
  try {
    const port = (server.address() as AddressInfo).port;
    const res = await own(`http://[::1]:${port}/v1/x?y=1`);
    expect(await res.text()).toBe('got /v1/x?y=1');
  } finally {
    own.destroy();
    await new Promise((r) => server.close(r));
  }
});

describe('the second signal (UPSTREAM_SIGNAL), handed past the SDKs', () => {
  let server: Server;
  let base: string;
  let closed = 0;
  const own = createHttpFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.socket.once('close', () => closed++);
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
      }
      // otherwise: never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    own.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('is marked on the fetches made here only', () => {
    expect(acceptsUpstreamSignal(own)).toBe(true);
    expect(acceptsUpstreamSignal(fetch)).toBe(false);
    expect(acceptsUpstreamSignal(undefined)).toBe(false);
  });

  it('aborts a waiting request: rejects with its reason and closes the connection', async () => {
    const before = closed;
    const c = new AbortController();
    const p = own(`${base}/stall`, { [UPSTREAM_SIGNAL]: c.signal } as RequestInit);
    setTimeout(() => c.abort(new Error('caller gone')), 20);
    await expect(p).rejects.toThrow('caller gone');
    await waitFor('the upstream connection to close', () => closed > before);
  });

  it('ends a streamed body mid-way, and the init signal still works beside it', async () => {
    const mine = new AbortController();
    const sdk = new AbortController();
    const res = await own(`${base}/sse`, {
      signal: sdk.signal,
      [UPSTREAM_SIGNAL]: mine.signal,
    } as RequestInit);
    const reader = res.body!.getReader();
    await reader.read();
    mine.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });

    const t = own(`${base}/stall`, {
      signal: AbortSignal.timeout(30),
      [UPSTREAM_SIGNAL]: new AbortController().signal,
    } as RequestInit);
    await expect(t).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
