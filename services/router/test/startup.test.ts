// Starting the service: configuration errors name the file, the path in it and the rule (from
// the composition root and from the real entry point), and embedded mode runs with no servers.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { UsageRecordedSchema } from '@quantumlayer/contracts';
import { ConfigError, decodeEvent } from '@quantumlayer/kit';
import { OpenAIFake } from '@quantumlayer/provider-fakes';
import OpenAI from 'openai';
import { createRouterApp } from '../src/app.js';
import { RouterConfigError } from '../src/config.js';
import { createProvider, type ProviderSettings } from '../src/providers/index.js';
import { API_KEY, modelYaml, waitFor, unexpected } from './support/app.js';

const dir = mkdtempSync(join(tmpdir(), 'router-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ROUTER_DIR = resolve(__dirname, '..');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const BAD = `
providers:
  - name: main
    kind: openai
    apiKeyEnv: OPENAI_API_KEY
    models:
      - id: gpt-4o-mini
        inputCostPerMTok: -1
        contextWindow: 128000
`;

it('refuses a bad router file before opening anything, naming file, path and rule', async () => {
  const path = write('bad.yaml', BAD);
  const err = await createRouterApp({ env: { QL_ROUTER_CONFIG: path } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RouterConfigError);
  expect((err as Error).message).toBe(
    `QL_ROUTER_CONFIG: ${path}: providers[0].models[0].inputCostPerMTok: expected a USD price per million input tokens ≥ 0`,
  );
});

it('asks for QL_ROUTER_CONFIG when it is not set', async () => {
  const err = await createRouterApp({ env: {} }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(/^QL_ROUTER_CONFIG: is required but not set/);
});

it('exits 1 with one line naming the file, path and rule when started with a bad file', async () => {
  const path = write('bad-main.yaml', BAD.replace('kind: openai', 'kind: gpt'));
  const run = promisify(execFile);
  const err = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROUTER_DIR,
    env: { PATH: process.env.PATH, QL_ROUTER_CONFIG: path, QL_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  }).then(unexpected, (e: unknown) => e as { code: number; stderr: string });
  expect(err.code).toBe(1);
  expect(err.stderr.trim()).toBe(
    `router: configuration error: QL_ROUTER_CONFIG: ${path}: providers[0].kind: expected one of openai|anthropic|bedrock|groq|ollama|vllm|openai-compatible; ` +
      `QL_ROUTER_CONFIG: ${path}: providers[0].models[0].inputCostPerMTok: expected a USD price per million input tokens ≥ 0`,
  );
}, 60_000);

it('runs embedded (PGlite, in-memory bus) when no servers are configured', async () => {
  const upstream = new OpenAIFake({ apiKey: API_KEY, models: ['gpt-4o-mini'] });
  await upstream.start();
  const path = write(
    'embedded.yaml',
    `
providers:
  - name: oai
    kind: openai
    baseUrl: ${upstream.url}/v1
    apiKeyEnv: KEY
    models:
${modelYaml('gpt-4o-mini')}
`,
  );
  const app = await createRouterApp({
    env: {
      QL_ROUTER_CONFIG: path,
      QL_HTTP_PORT: '0',
      QL_GRPC_PORT: '0',
      QL_HOST: '127.0.0.1',
      QL_LOG_LEVEL: 'silent',
      KEY: API_KEY,
      QL_DATA_DIR: dir,
    },
    tracing: null,
  });
  try {
    expect(app.runtime.bus.kind).toBe('memory');
    expect(app.runtime.db.kind).toBe('pglite');
    expect(app.budget.kind).toBe('pglite');
    const seen: string[] = [];
    await app.runtime.bus.subscribe(
      {
        stream: 'QL_USAGE',
        durable: 'test-embedded',
        filterSubject: 'ql.usage.v1.usage_recorded',
        maxDeliver: 3,
        ackWaitMs: 5_000,
        maxInFlight: 8,
        deadLetterSubject: 'ql.dlq.test',
      },
      async (e) => void seen.push(decodeEvent(UsageRecordedSchema, e).requestId),
    );
    const { httpPort } = await app.start();
    const client = new OpenAI({
      baseURL: `http://127.0.0.1:${httpPort}/v1`,
      apiKey: 'x',
      maxRetries: 0,
    });
    const r = await client.chat.completions.create(
      { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
      {
        headers: {
          'x-ql-request-id': 'embedded-1',
          'x-ql-generation-id': 'g',
          'x-ql-generation-budget-usd': '1',
        },
      },
    );
    expect(r.choices[0]!.message.content).toContain('hi');
    await waitFor('the UsageRecorded event', () => seen.includes('embedded-1'));
    await waitFor(
      'the settled spend',
      async () =>
        (await app.budget.spent({ tenantId: 'default', generationId: 'g' })).spentMicros > 0,
    );
  } finally {
    await app.stop();
    await upstream.close();
  }
}, 60_000);

it('gives the adapters the keep-alive fetch by default, the platform fetch where configured', async () => {
  const path = write(
    'fetch.yaml',
    `
providers:
  - name: fast
    kind: openai
    baseUrl: http://127.0.0.1:9/v1
    apiKeyEnv: KEY
    models:
${modelYaml('gpt-4o-mini')}
  - name: plain
    kind: openai
    baseUrl: http://127.0.0.1:9/v1
    apiKeyEnv: KEY
    fetch: platform
    models:
${modelYaml('gpt-4o')}
`,
  );
  const settings = new Map<string, ProviderSettings>();
  const app = await createRouterApp({
    env: {
      QL_ROUTER_CONFIG: path,
      QL_HTTP_PORT: '0',
      QL_GRPC_PORT: '0',
      QL_HOST: '127.0.0.1',
      QL_LOG_LEVEL: 'silent',
      KEY: API_KEY,
      QL_DATA_DIR: dir,
    },
    tracing: null,
    createProvider: (s) => {
      settings.set(s.name, s);
      return createProvider(s);
    },
  });
  try {
    expect(typeof settings.get('fast')!.fetch).toBe('function');
    expect(settings.get('fast')!.fetch).not.toBe(globalThis.fetch);
    expect(settings.get('plain')!.fetch).toBeUndefined();
  } finally {
    await app.stop();
  }
}, 60_000);
