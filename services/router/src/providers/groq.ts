// Groq through the official `groq-sdk`. Same Chat Completions shape as OpenAI, but no
// `stream_options`: streamed usage arrives in `x_groq.usage` on the last chunk.
import Groq, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'groq-sdk';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'groq-sdk/resources/chat/completions';
import { acceptsUpstreamSignal } from '../upstream/http-fetch.js';
import { ChatCompletionsAdapter } from './chat-completions.js';
import { cancelledError, providerError } from './errors.js';
import { DEFAULT_TIMEOUT_MS } from './shared.js';
import type { WireChatBody, WireChunk, WireCompletion } from './openai-wire.js';
import type { EmbedRequest, EmbedResult, ModelListing, ProviderSettings } from './types.js';

export const GROQ_DEFAULT_BASE_URL = 'https://api.groq.com';

export class GroqAdapter extends ChatCompletionsAdapter {
  readonly kind = 'groq' as const;
  protected readonly errors = {
    APIError,
    APIUserAbortError,
    APIConnectionError,
    APIConnectionTimeoutError,
  };
  protected readonly tokenField = 'max_completion_tokens' as const;
  protected readonly streamFields: Partial<WireChatBody> = {};
  readonly client: Groq;

  constructor(settings: ProviderSettings) {
    super(settings.name, settings.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.signalViaFetch = acceptsUpstreamSignal(settings.fetch);
    if (!settings.apiKey) {
      throw new Error(`provider ${settings.name}: kind groq needs an API key (apiKeyEnv)`);
    }
    this.client = new Groq({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl ?? GROQ_DEFAULT_BASE_URL,
      maxRetries: 0,
      timeout: this.timeoutMs,
      ...(settings.headers ? { defaultHeaders: settings.headers } : {}),
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
    const s = await this.client.chat.completions.create(
      body as unknown as ChatCompletionCreateParamsStreaming,
      this.callOptions(signal),
    );
    return s as unknown as AsyncIterable<WireChunk>;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    if (request.dimensions !== undefined) {
      // Groq's embeddings take no `dimensions`; vectors of another size would be worse than a refusal.
      throw providerError(this.name, 'bad_request', {
        providerCode: 'dimensions_not_supported',
        param: 'dimensions',
      });
    }
    try {
      const res = await this.client.embeddings.create(
        { model: request.model, input: request.inputs, encoding_format: 'float' },
        this.callOptions(signal),
      );
      const vectors: number[][] = new Array(request.inputs.length);
      res.data.forEach((d, i) => {
        vectors[d.index ?? i] = d.embedding as number[];
      });
      return { vectors, usage: { inputTokens: res.usage?.prompt_tokens ?? 0, outputTokens: 0 } };
    } catch (err) {
      throw this.mapError(err, signal);
    }
  }

  async listModels(signal?: AbortSignal): Promise<ModelListing[]> {
    try {
      const list = await this.client.models.list(this.callOptions(signal));
      return list.data.map((m) => ({ id: m.id }));
    } catch (err) {
      throw this.mapError(err, signal);
    }
  }
}
