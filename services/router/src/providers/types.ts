/**
 * The one internal interface every LLM provider adapter implements. The router core (routing,
 * retries, breakers, budgets, usage) only ever sees these types; each adapter translates them to
 * and from its provider's official SDK and maps the provider's errors to `ProviderError`.
 */

export type ProviderKind =
  'openai' | 'anthropic' | 'bedrock' | 'groq' | 'ollama' | 'vllm' | 'openai-compatible';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; url: string; detail?: 'auto' | 'low' | 'high' };

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text exactly as the model produced it. */
  argumentsJson: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: ContentPart[];
  /** Assistant turns only. */
  toolCalls?: ToolCall[];
  /** Tool turns only: the ToolCall.id answered. */
  toolCallId?: string;
  name?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name: string;
      description?: string;
      schema: Record<string, unknown>;
      strict?: boolean;
    };

/**
 * What listening for a cancellation takes: an `AbortSignal` fits, and so do the router's lighter
 * signals (an `AbortSignal` costs several µs to make on Node 20, more than its use).
 */
export interface Cancellation {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface ChatRequest {
  /** The provider's own model id, e.g. `gpt-4o-mini` (not `openai-main/gpt-4o-mini`). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  /** Aborts the upstream request (caller gone, attempt timeout, first-token timeout). */
  signal?: AbortSignal;
  /**
   * The same cancellation as `signal`, for adapters that only listen for it (the direct client):
   * reading this instead of `signal` spares the `AbortSignal`, which the engine makes on first read.
   */
  cancel?: Cancellation;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
}

export interface ChatResult {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: TokenUsage;
  /** The model id the provider says answered (may be a dated snapshot of the requested one). */
  model?: string;
}

/** Stream events, in order: any number of `text`/`tool_call` deltas, then exactly one `finish`. */
export type StreamEvent =
  | { type: 'text'; text: string }
  | {
      type: 'tool_call';
      /** Position in the final tool_calls list: the merge key. */
      index: number;
      /** Set on the first fragment of a call. */
      id?: string;
      name?: string;
      argumentsDelta: string;
    }
  | { type: 'finish'; finishReason: FinishReason; usage: TokenUsage; model?: string };

export interface EmbedRequest {
  model: string;
  inputs: string[];
  dimensions?: number;
  signal?: AbortSignal;
  /** As `ChatRequest.cancel`. */
  cancel?: Cancellation;
}

export interface EmbedResult {
  vectors: number[][];
  usage: TokenUsage;
}

/**
 * The normalized error taxonomy. `retryable` says whether trying the same model again can help;
 * the core falls back to another model for any error except `bad_request`/`context_too_long`
 * on a model that has a bigger-context alternative, which it handles by constraint.
 */
export type ProviderErrorKind =
  | 'rate_limited'
  | 'overloaded'
  | 'timeout'
  | 'context_too_long'
  | 'auth'
  | 'bad_request'
  | 'server_error'
  | 'network'
  | 'cancelled';

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set([
  'rate_limited',
  'overloaded',
  'timeout',
  'server_error',
  'network',
]);

export class ProviderError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: {
      provider: string;
      status?: number;
      /** From `Retry-After` (seconds or HTTP date) or the provider's own hint, in ms. */
      retryAfterMs?: number;
      /** The provider's own error type/code, e.g. `ThrottlingException`. */
      providerCode?: string;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.name = 'ProviderError';
    this.retryable = RETRYABLE.has(kind);
  }
}

export interface ModelListing {
  id: string;
}

export interface ProviderAdapter {
  /** Operator-chosen unique name from the config, e.g. `openai-main`. */
  readonly name: string;
  readonly kind: ProviderKind;
  chat(request: ChatRequest): Promise<ChatResult>;
  chatStream(request: ChatRequest): AsyncIterable<StreamEvent>;
  /** Absent when the provider has no embeddings API. */
  embed?(request: EmbedRequest): Promise<EmbedResult>;
  /** Models the upstream says it serves (for diagnostics; routing uses the config). */
  listModels?(signal?: AbortSignal): Promise<ModelListing[]>;
  close?(): Promise<void>;
}

export type ProviderClient = 'direct' | 'sdk';

/** What an adapter is built from: one `providers:` entry of the router config plus its secret. */
export interface ProviderSettings {
  name: string;
  kind: ProviderKind;
  /** Operator-set base URL (never from a request). */
  baseUrl?: string;
  /** Resolved from `apiKeyEnv`; never logged. */
  apiKey?: string;
  /** Bedrock: region; credentials come from the standard AWS environment variables. */
  region?: string;
  /** Per-request timeout the SDK enforces as a last resort; the core sets tighter ones. */
  timeoutMs?: number;
  /** Extra headers for every upstream request (e.g. an OpenAI organization). */
  headers?: Record<string, string>;
  /**
   * The `fetch` the adapter's HTTP client uses (the `fetch` option of the openai, groq-sdk and
   * Anthropic SDKs; the Ollama client's own requests). Absent: the platform's `fetch`. The router
   * passes `createHttpFetch()` (node:http keep-alive, `src/upstream/http-fetch.ts`) by default.
   * Bedrock ignores it: its smithy handler already runs on keep-alive node:http agents.
   */
  fetch?: typeof fetch;
  /**
   * OpenAI, vLLM, OpenAI-compatible and Groq: `direct` (default) speaks the Chat Completions wire
   * over the router's own keep-alive node:http client (providers/openai-direct.ts); `sdk` goes
   * through the official SDK (`openai`, `groq-sdk`) on `fetch`. Other kinds ignore it.
   */
  client?: ProviderClient;
  /**
   * Bedrock and the direct client: connections per upstream host of its keep-alive agents (default 256). The other
   * kinds get theirs from `fetch`.
   */
  maxSockets?: number;
}
