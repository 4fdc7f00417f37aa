// Shared set-up for the provider contract tests: one descriptor per provider family (its fake,
// the settings that point an adapter at it, its models and how it reports some details), and
// helpers to drain streams.
import {
  AnthropicFake,
  BedrockFake,
  FAKE_AWS_CREDENTIALS,
  OllamaFake,
  OpenAIFake,
  type ErrorKind,
  type FakeProviderServer,
  type RecordedRequest,
} from '@quantumlayer/provider-fakes';
import {
  createProvider,
  ProviderError,
  type ChatResult,
  type ProviderClient,
  type ProviderAdapter,
  type ProviderErrorKind,
  type ProviderSettings,
  type StreamEvent,
  type ToolCall,
} from '../../src/providers/index.js';
import { createHttpFetch, type HttpFetch } from '../../src/upstream/http-fetch.js';

export const API_KEY = 'sk-test-0123456789abcdef';

/**
 * The HTTP client the adapters run on: the router's default, its keep-alive node:http fetch
 * (`upstream.fetch: node-http`), or with QL_TEST_PROVIDER_FETCH=platform Node's built-in fetch
 * (`upstream.fetch: platform`). The `*.platform-fetch.test.ts` files run each suite that way.
 */
export type FetchMode = 'node-http' | 'platform';

export function fetchMode(): FetchMode {
  return process.env.QL_TEST_PROVIDER_FETCH === 'platform' ? 'platform' : 'node-http';
}

let sharedFetch: HttpFetch | undefined;

/** The `fetch` setting of every adapter the harness builds (undefined: the platform's). */
export function providerFetch(): typeof fetch | undefined {
  if (fetchMode() === 'platform') return undefined;
  sharedFetch ??= createHttpFetch();
  return sharedFetch;
}

/**
 * The client of the Chat Completions kinds (openai, vllm, openai-compatible, groq): the router's
 * default, the direct wire client (`client: direct`), or with QL_TEST_PROVIDER_CLIENT=sdk their
 * official SDKs (`client: sdk`), as always on the platform fetch. The `*.sdk.test.ts` files run
 * each suite that way; the other kinds have no such choice and run the same in every mode.
 */
export function clientMode(): ProviderClient {
  return process.env.QL_TEST_PROVIDER_CLIENT === 'sdk' || fetchMode() === 'platform'
    ? 'sdk'
    : 'direct';
}

function withFetch<T extends ProviderSettings>(settings: T): T {
  const f = providerFetch();
  const out: T = { client: clientMode(), ...settings };
  // An override naming `fetch` (even undefined) wins.
  return f && !('fetch' in settings) ? { ...out, fetch: f } : out;
}

export type FamilyId =
  'openai' | 'vllm' | 'openai-compatible' | 'groq' | 'anthropic' | 'bedrock' | 'ollama';

export interface Family {
  id: FamilyId;
  fake: FakeProviderServer;
  /** Chat model; for Anthropic/Bedrock one with native structured outputs. */
  model: string;
  /** A model that needs JSON through a forced tool call (Anthropic/Bedrock only). */
  emulatedJsonModel?: string;
  embedModel?: string;
  /** Whether the embeddings API takes `dimensions`. */
  embedDimensions?: boolean;
  settings(overrides?: Partial<ProviderSettings>): ProviderSettings;
  /** The fake's error class → the taxonomy kind the adapter must report. */
  errorKinds: Record<ErrorKind, ProviderErrorKind>;
  /** Input tokens reported for `usage: { inputTokens: 21, cacheReadTokens: 5 }`. */
  cachedUsage: { inputTokens: number; cachedInputTokens?: number };
  /** Whether streamed tool-call arguments arrive in several fragments. */
  fragmentsToolArgs: boolean;
}

const OPENAI_ERRORS: Record<ErrorKind, ProviderErrorKind> = {
  invalid_request: 'bad_request',
  context_length: 'context_too_long',
  auth: 'auth',
  permission: 'auth',
  not_found: 'bad_request',
  rate_limit: 'rate_limited',
  quota: 'auth',
  server: 'server_error',
  overloaded: 'overloaded',
  timeout: 'timeout',
};

function openaiFamily(id: 'openai' | 'vllm' | 'openai-compatible' | 'groq'): Family {
  const flavor = id === 'groq' ? 'groq' : id === 'openai' ? 'openai' : 'vllm';
  const fake = new OpenAIFake({ flavor, apiKey: API_KEY });
  const kind = id;
  return {
    id,
    fake,
    model:
      id === 'groq'
        ? 'llama-3.3-70b-versatile'
        : id === 'openai'
          ? 'gpt-4o-mini'
          : 'meta-llama/Llama-3.1-8B-Instruct',
    embedModel: id === 'groq' ? 'nomic-embed-text-v1_5' : 'text-embedding-3-small',
    embedDimensions: id !== 'groq',
    settings: (o = {}) =>
      withFetch({
        name: `${id}-test`,
        kind,
        // Groq's SDK appends /openai/v1 itself; the others take the full API root.
        baseUrl: id === 'groq' ? fake.url : `${fake.url}/v1`,
        apiKey: API_KEY,
        ...o,
      }),
    errorKinds: OPENAI_ERRORS,
    cachedUsage: { inputTokens: 21, cachedInputTokens: 5 },
    fragmentsToolArgs: true,
  };
}

export function makeFamilies(): Family[] {
  const anthropic = new AnthropicFake({ apiKey: API_KEY });
  const bedrock = new BedrockFake({ region: 'us-east-1' });
  const ollama = new OllamaFake();
  return [
    openaiFamily('openai'),
    openaiFamily('vllm'),
    openaiFamily('openai-compatible'),
    openaiFamily('groq'),
    {
      id: 'anthropic',
      fake: anthropic,
      model: 'claude-haiku-4-5',
      emulatedJsonModel: 'claude-3-5-haiku-20241022',
      settings: (o = {}) =>
        withFetch({
          name: 'anthropic-test',
          kind: 'anthropic',
          baseUrl: anthropic.url,
          apiKey: API_KEY,
          ...o,
        }),
      errorKinds: {
        invalid_request: 'bad_request',
        context_length: 'context_too_long',
        auth: 'auth',
        permission: 'auth',
        not_found: 'bad_request',
        rate_limit: 'rate_limited',
        quota: 'auth',
        server: 'server_error',
        overloaded: 'overloaded',
        timeout: 'timeout',
      },
      cachedUsage: { inputTokens: 26, cachedInputTokens: 5 },
      fragmentsToolArgs: true,
    },
    {
      id: 'bedrock',
      fake: bedrock,
      model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      emulatedJsonModel: 'amazon.nova-lite-v1:0',
      settings: (o = {}) =>
        withFetch({
          name: 'bedrock-test',
          kind: 'bedrock',
          baseUrl: bedrock.url,
          region: 'us-east-1',
          ...o,
        }),
      errorKinds: {
        invalid_request: 'bad_request',
        context_length: 'context_too_long',
        auth: 'auth',
        permission: 'auth',
        not_found: 'bad_request',
        rate_limit: 'rate_limited',
        quota: 'rate_limited',
        server: 'server_error',
        overloaded: 'overloaded',
        timeout: 'timeout',
      },
      cachedUsage: { inputTokens: 26, cachedInputTokens: 5 },
      fragmentsToolArgs: true,
    },
    {
      id: 'ollama',
      fake: ollama,
      model: 'llama3.2:latest',
      embedModel: 'nomic-embed-text:latest',
      embedDimensions: true,
      settings: (o = {}) =>
        withFetch({ name: 'ollama-test', kind: 'ollama', baseUrl: ollama.url, ...o }),
      errorKinds: {
        invalid_request: 'bad_request',
        context_length: 'context_too_long',
        auth: 'auth',
        permission: 'auth',
        not_found: 'bad_request',
        rate_limit: 'rate_limited',
        quota: 'rate_limited',
        server: 'server_error',
        overloaded: 'overloaded',
        timeout: 'timeout',
      },
      // Ollama reports no cache figures.
      cachedUsage: { inputTokens: 21 },
      fragmentsToolArgs: false,
    },
  ];
}

/** Bedrock's SigV4 credentials come from the standard AWS environment variables. */
export function useFakeAwsEnvironment(): () => void {
  const saved = { ...process.env };
  process.env.AWS_ACCESS_KEY_ID = FAKE_AWS_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = FAKE_AWS_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_BEARER_TOKEN_BEDROCK;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}

/** Starts every family's fake and builds one adapter per family. */
export async function startFamilies(families: Family[]): Promise<Map<FamilyId, ProviderAdapter>> {
  await Promise.all(families.map((f) => f.fake.start()));
  const adapters = new Map<FamilyId, ProviderAdapter>();
  for (const f of families) adapters.set(f.id, createProvider(f.settings()));
  return adapters;
}

export async function stopFamilies(
  families: Family[],
  adapters: Map<FamilyId, ProviderAdapter> | undefined,
): Promise<void> {
  for (const a of adapters?.values() ?? []) await a.close?.();
  sharedFetch?.destroy();
  sharedFetch = undefined;
  await Promise.all(families.map((f) => f.fake.close()));
}

export async function drain(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const ev of stream) events.push(ev);
  return events;
}

/** A stream's events folded into the non-stream result shape, checking the event order. */
export function assemble(events: StreamEvent[]): ChatResult {
  const finishes = events.filter((e) => e.type === 'finish');
  if (finishes.length !== 1 || events[events.length - 1]!.type !== 'finish')
    throw new Error(`expected exactly one finish, last: ${JSON.stringify(events.at(-1))}`);
  const fin = finishes[0] as Extract<StreamEvent, { type: 'finish' }>;
  let text = '';
  const calls: ToolCall[] = [];
  for (const ev of events) {
    if (ev.type === 'text') text += ev.text;
    else if (ev.type === 'tool_call') {
      let call = calls[ev.index];
      if (!call) {
        if (ev.id === undefined || ev.name === undefined)
          throw new Error(`first fragment of call ${ev.index} lacks id or name`);
        call = { id: ev.id, name: ev.name, argumentsJson: '' };
        calls[ev.index] = call;
      }
      call.argumentsJson += ev.argumentsDelta;
    }
  }
  const result: ChatResult = {
    text,
    toolCalls: calls,
    finishReason: fin.finishReason,
    usage: fin.usage,
  };
  if (fin.model) result.model = fin.model;
  return result;
}

/** Runs `fn` and returns the ProviderError it must throw. */
export async function providerErrorOf(fn: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw new Error(`expected a ProviderError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a ProviderError, got success');
}

export function lastChat(fake: FakeProviderServer): RecordedRequest {
  const req = fake.received({ route: 'chat' }).at(-1);
  if (!req) throw new Error('no chat request recorded');
  return req;
}

export function body(req: RecordedRequest): Record<string, unknown> {
  return req.body as Record<string, unknown>;
}
