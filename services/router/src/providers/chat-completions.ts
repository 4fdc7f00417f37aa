// The adapter body shared by the two Chat Completions SDKs (openai and groq-sdk): request
// translation, stream assembly, abort and error mapping. Subclasses supply the client calls.
import { cancelledError, truncatedStreamError } from './errors.js';
import {
  ChunkAssembler,
  chatResult,
  wireChatBody,
  type WireChatBody,
  type WireChunk,
  type WireCompletion,
} from './openai-wire.js';
import { sdkCallOptions } from './shared.js';
import { mapStainlessError, type StainlessErrors } from './stainless.js';
import type {
  ChatRequest,
  ChatResult,
  ProviderAdapter,
  ProviderError,
  ProviderKind,
  StreamEvent,
} from './types.js';

export abstract class ChatCompletionsAdapter implements ProviderAdapter {
  abstract readonly kind: ProviderKind;
  protected abstract readonly errors: StainlessErrors;
  /** Where the output cap goes: OpenAI wants `max_completion_tokens`, most servers `max_tokens`. */
  protected abstract readonly tokenField: 'max_tokens' | 'max_completion_tokens';
  /** Body fields only streamed requests carry (usage reporting). */
  protected abstract readonly streamFields: Partial<WireChatBody>;
  /** Whether the client's fetch takes the abort signal itself (`sdkCallOptions`). */
  protected signalViaFetch = false;

  constructor(
    readonly name: string,
    /** The SDK's per-request timeout (the last resort; the core sets tighter ones). */
    protected readonly timeoutMs: number,
  ) {}

  protected abstract complete(body: WireChatBody, signal?: AbortSignal): Promise<WireCompletion>;
  protected abstract stream(
    body: WireChatBody,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<WireChunk>>;

  /** The SDK request options carrying `signal`. */
  protected callOptions(signal: AbortSignal | undefined) {
    return sdkCallOptions(signal, this.signalViaFetch);
  }

  protected mapError(
    err: unknown,
    signal: AbortSignal | undefined,
    startedAt?: number,
  ): ProviderError {
    const deadline = startedAt !== undefined ? { startedAt, timeoutMs: this.timeoutMs } : undefined;
    return mapStainlessError(this.name, err, this.errors, signal, deadline);
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    let completion: WireCompletion;
    const startedAt = performance.now();
    try {
      completion = await this.complete(wireChatBody(request, this.tokenField), signal);
    } catch (err) {
      throw this.mapError(err, signal, startedAt);
    }
    return chatResult(this.name, completion);
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    const body: WireChatBody = {
      ...wireChatBody(request, this.tokenField),
      stream: true,
      ...this.streamFields,
    };
    const assembler = new ChunkAssembler();
    const startedAt = performance.now();
    try {
      const chunks = await this.stream(body, signal);
      for await (const chunk of chunks) yield* assembler.push(chunk);
    } catch (err) {
      throw this.mapError(err, signal, startedAt);
    }
    // The SDK ends the iteration quietly when the request is aborted.
    if (signal?.aborted) throw cancelledError(this.name);
    const finish = assembler.end();
    if (!finish) throw truncatedStreamError(this.name);
    yield finish;
  }
}
