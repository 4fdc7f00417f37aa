// OpenAI, vLLM and any OpenAI-compatible server, through the official `openai` SDK.
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { acceptsUpstreamSignal } from '../upstream/http-fetch.js';
import { ChatCompletionsAdapter } from './chat-completions.js';
import { cancelledError } from './errors.js';
import { DEFAULT_TIMEOUT_MS } from './shared.js';
import type { WireChatBody, WireChunk, WireCompletion } from './openai-wire.js';
import type {
  EmbedRequest,
  EmbedResult,
  ModelListing,
  ProviderKind,
  ProviderSettings,
} from './types.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export class OpenAIAdapter extends ChatCompletionsAdapter {
  readonly kind: ProviderKind;
  protected readonly errors = {
    APIError,
    APIUserAbortError,
    APIConnectionError,
    APIConnectionTimeoutError,
  };
  protected readonly tokenField: 'max_tokens' | 'max_completion_tokens';
  protected readonly streamFields: Partial<WireChatBody> = {
    stream_options: { include_usage: true },
  };
  /** One client per adapter: its fetch keeps connections alive across requests. */
  readonly client: OpenAI;

  constructor(settings: ProviderSettings) {
    super(settings.name, settings.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.signalViaFetch = acceptsUpstreamSignal(settings.fetch);
    this.kind = settings.kind;
    // OpenAI's reasoning models refuse `max_tokens`; vLLM and most compatible servers only
    // know `max_tokens`.
    this.tokenField = settings.kind === 'openai' ? 'max_completion_tokens' : 'max_tokens';
    const keyless = !settings.apiKey;
    if (keyless && settings.kind === 'openai') {
      throw new Error(`provider ${settings.name}: kind openai needs an API key (apiKeyEnv)`);
    }
    const headers: Record<string, string | null> = { ...settings.headers };
    // Self-hosted servers often run without auth: send no Authorization header at all.
    if (keyless) headers.authorization = null;
    this.client = new OpenAI({
      apiKey: settings.apiKey || 'unused',
      baseURL: settings.baseUrl ?? OPENAI_DEFAULT_BASE_URL,
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: this.timeoutMs,
      defaultHeaders: headers,
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    });
  }

  protected complete(body: WireChatBody, signal?: AbortSignal): Promise<WireCompletion> {
    return this.client.chat.completions.create(
      body as unknown as ChatCompletionCreateParamsNonStreaming,
      this.callOptions(signal),
    ) as Promise<WireCompletion>;
  }

  protected async stream(
    body: WireChatBody,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<WireChunk>> {
    const s: AsyncIterable<ChatCompletionChunk> = await this.client.chat.completions.create(
      body as unknown as ChatCompletionCreateParamsStreaming,
      this.callOptions(signal),
    );
    return s as AsyncIterable<WireChunk>;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    try {
      const res = await this.client.embeddings.create(
        {
          model: request.model,
          input: request.inputs,
          ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
        },
        this.callOptions(signal),
      );
      const vectors: number[][] = new Array(request.inputs.length);
      res.data.forEach((d, i) => {
        vectors[d.index ?? i] = d.embedding;
      });
      return {
        vectors,
        usage: { inputTokens: res.usage?.prompt_tokens ?? 0, outputTokens: 0 },
      };
    } catch (err) {
      throw this.mapError(err, signal);
    }
  }

  async listModels(signal?: AbortSignal): Promise<ModelListing[]> {
    try {
      const page = await this.client.models.list(this.callOptions(signal));
      return page.data.map((m) => ({ id: m.id }));
    } catch (err) {
      throw this.mapError(err, signal);
    }
  }
}
