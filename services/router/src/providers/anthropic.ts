// Anthropic Messages API through the official `@anthropic-ai/sdk`.
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  ImageBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  RawMessageStreamEvent,
  StopReason,
  TextBlockParam,
  Tool,
  ToolChoice as AnthropicToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import { cancelledError, truncatedStreamError } from './errors.js';
import {
  claudeHasNativeJson,
  DEFAULT_TIMEOUT_MS,
  EMPTY_USAGE,
  finishWithTools,
  jsonFromToolInput,
  jsonToolFor,
  mergeConsecutive,
  parseArguments,
  parseDataUrl,
  sdkCallOptions,
  systemTexts,
  textOf,
  type JsonTool,
} from './shared.js';
import { acceptsUpstreamSignal } from '../upstream/http-fetch.js';
import { mapStainlessError } from './stainless.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  FinishReason,
  ModelListing,
  ProviderAdapter,
  ProviderError,
  ProviderSettings,
  StreamEvent,
  TokenUsage,
  ToolCall,
} from './types.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** Messages needs `max_tokens`; 4096 is the smallest cap any current Claude model allows. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const ERRORS = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };

export function stopReason(reason: StopReason | string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** Anthropic counts cache reads and writes apart from `input_tokens`; we report the sum. */
function usageOf(u: AnthropicUsage | null | undefined): TokenUsage {
  if (!u) return { ...EMPTY_USAGE };
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const out: TokenUsage = {
    inputTokens: (u.input_tokens ?? 0) + cacheRead + (u.cache_creation_input_tokens ?? 0),
    outputTokens: u.output_tokens ?? 0,
  };
  if (cacheRead) out.cachedInputTokens = cacheRead;
  return out;
}

function imageBlock(url: string): ImageBlockParam {
  const inline = parseDataUrl(url);
  if (inline) {
    return {
      type: 'image',
      source: {
        type: 'base64',
        media_type: inline.mediaType as 'image/png',
        data: inline.base64,
      },
    };
  }
  return { type: 'image', source: { type: 'url', url } };
}

function userBlocks(m: ChatMessage): ContentBlockParam[] {
  const out: ContentBlockParam[] = [];
  for (const part of m.content) {
    if (part.type === 'text') {
      if (part.text !== '') out.push({ type: 'text', text: part.text });
    } else out.push(imageBlock(part.url));
  }
  return out;
}

interface Prepared {
  params: MessageCreateParamsNonStreaming;
  jsonTool: JsonTool | undefined;
}

export class AnthropicAdapter implements ProviderAdapter {
  readonly kind = 'anthropic' as const;
  readonly client: Anthropic;

  constructor(
    readonly name: string,
    client: Anthropic,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
    /** Whether the client's fetch takes the abort signal itself (`sdkCallOptions`). */
    private readonly signalViaFetch = false,
  ) {
    this.client = client;
  }

  /** The SDK request options carrying `signal`. */
  private callOptions(signal: AbortSignal | undefined) {
    return sdkCallOptions(signal, this.signalViaFetch);
  }

  static fromSettings(settings: ProviderSettings): AnthropicAdapter {
    if (!settings.apiKey) {
      throw new Error(`provider ${settings.name}: kind anthropic needs an API key (apiKeyEnv)`);
    }
    const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const client = new Anthropic({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL,
      maxRetries: 0,
      timeout: timeoutMs,
      // The router makes its own GenAI spans; the SDK's would double them and cost time.
      openTelemetry: false,
      ...(settings.headers ? { defaultHeaders: settings.headers } : {}),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    });
    return new AnthropicAdapter(
      settings.name,
      client,
      timeoutMs,
      acceptsUpstreamSignal(settings.fetch),
    );
  }

  private mapError(
    err: unknown,
    signal: AbortSignal | undefined,
    startedAt: number,
  ): ProviderError {
    return mapStainlessError(this.name, err, ERRORS, signal, {
      startedAt,
      timeoutMs: this.timeoutMs,
    });
  }

  prepare(req: ChatRequest): Prepared {
    const turns: MessageParam[] = [];
    for (const m of req.messages) {
      switch (m.role) {
        case 'system':
          break;
        case 'user':
          turns.push({ role: 'user', content: userBlocks(m) });
          break;
        case 'assistant': {
          const content: ContentBlockParam[] = [];
          const text = textOf(m.content);
          if (text !== '') content.push({ type: 'text', text });
          for (const call of m.toolCalls ?? []) {
            content.push({
              type: 'tool_use',
              id: call.id,
              name: call.name,
              input: parseArguments(this.name, call),
            });
          }
          turns.push({ role: 'assistant', content });
          break;
        }
        case 'tool':
          turns.push({
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: m.toolCallId ?? '', content: textOf(m.content) },
            ],
          });
          break;
      }
    }
    const params: MessageCreateParamsNonStreaming = {
      model: req.model,
      max_tokens: req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: mergeConsecutive(
        turns as (MessageParam & { content: ContentBlockParam[] })[],
      ) as MessageParam[],
    };
    const system = systemTexts(req.messages);
    if (system.length === 1) params.system = system[0]!;
    else if (system.length > 1)
      params.system = system.map((text): TextBlockParam => ({ type: 'text', text }));

    const tools: Tool[] = (req.tools ?? []).map((t) => {
      const tool: Tool = { name: t.name, input_schema: t.parameters as Tool['input_schema'] };
      if (t.description !== undefined) tool.description = t.description;
      if (t.strict !== undefined) tool.strict = t.strict;
      return tool;
    });
    let toolChoice: AnthropicToolChoice | undefined;
    if (req.toolChoice !== undefined) {
      toolChoice =
        req.toolChoice === 'auto'
          ? { type: 'auto' }
          : req.toolChoice === 'none'
            ? { type: 'none' }
            : req.toolChoice === 'required'
              ? { type: 'any' }
              : { type: 'tool', name: req.toolChoice.name };
    }

    let jsonTool: JsonTool | undefined;
    const rf = req.responseFormat;
    if (rf?.type === 'json_schema' && claudeHasNativeJson(req.model)) {
      params.output_config = { format: { type: 'json_schema', schema: rf.schema } };
    } else if (rf && rf.type !== 'text') {
      // No native JSON mode: the answer comes back as the input of a tool the model must call.
      jsonTool = jsonToolFor(rf);
      if (jsonTool) {
        tools.push({
          name: jsonTool.name,
          description: jsonTool.description,
          input_schema: jsonTool.inputSchema as Tool['input_schema'],
        });
        toolChoice =
          tools.length > 1 && req.toolChoice !== 'none'
            ? { type: 'any' }
            : { type: 'tool', name: jsonTool.name };
      }
    }
    if (tools.length) params.tools = tools;
    if (toolChoice) params.tool_choice = toolChoice;
    // API version 2026-10-21 (SDK 1.x) removed temperature/top_p/top_k from Messages; the
    // model's own sampling applies, and `seed` never existed there.
    if (req.stop?.length) params.stop_sequences = req.stop;
    return { params, jsonTool };
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    const { params, jsonTool } = this.prepare(request);
    let msg: Message;
    const startedAt = performance.now();
    try {
      msg = await this.client.messages.create(params, this.callOptions(signal));
    } catch (err) {
      throw this.mapError(err, signal, startedAt);
    }
    let text = '';
    const toolCalls: ToolCall[] = [];
    let jsonAnswered = false;
    for (const block of msg.content) {
      if (block.type === 'text') text += block.text;
      else if (block.type === 'tool_use') {
        const args = JSON.stringify(block.input ?? {});
        if (jsonTool && block.name === jsonTool.name) {
          text += jsonFromToolInput(jsonTool, args);
          jsonAnswered = true;
        } else toolCalls.push({ id: block.id, name: block.name, argumentsJson: args });
      }
    }
    let finish = stopReason(msg.stop_reason);
    if (jsonAnswered && toolCalls.length === 0 && finish === 'tool_calls') finish = 'stop';
    return {
      text,
      toolCalls,
      finishReason: finishWithTools(finish, toolCalls.length),
      usage: usageOf(msg.usage),
      model: msg.model,
    };
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    const { params, jsonTool } = this.prepare(request);
    const asm = new MessageStreamAssembler(jsonTool);
    const startedAt = performance.now();
    try {
      const stream = await this.client.messages.create(
        { ...params, stream: true },
        this.callOptions(signal),
      );
      for await (const event of stream) yield* asm.push(event);
    } catch (err) {
      throw this.mapError(err, signal, startedAt);
    }
    if (signal?.aborted) throw cancelledError(this.name);
    const finish = asm.end();
    if (!finish) throw truncatedStreamError(this.name);
    yield finish;
  }

  async listModels(signal?: AbortSignal): Promise<ModelListing[]> {
    const startedAt = performance.now();
    try {
      const page = await this.client.models.list({}, this.callOptions(signal));
      return page.data.map((m) => ({ id: m.id }));
    } catch (err) {
      throw this.mapError(err, signal, startedAt);
    }
  }
}

type BlockState =
  | { kind: 'text' }
  | { kind: 'tool'; index: number }
  | { kind: 'json'; buffer: string }
  | { kind: 'other' };

/** Messages stream events → our events; content blocks become text or indexed tool calls. */
export class MessageStreamAssembler {
  private readonly blocks = new Map<number, BlockState>();
  private toolCount = 0;
  private jsonAnswered = false;
  private input: AnthropicUsage | undefined;
  private outputTokens = 0;
  private stop: string | null | undefined;
  private stopped = false;
  private model: string | undefined;

  constructor(private readonly jsonTool: JsonTool | undefined) {}

  *push(event: RawMessageStreamEvent): Generator<StreamEvent> {
    switch (event.type) {
      case 'message_start':
        this.model = event.message.model;
        this.input = event.message.usage;
        this.outputTokens = event.message.usage.output_tokens ?? 0;
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') {
          this.blocks.set(event.index, { kind: 'text' });
          if (block.text) yield { type: 'text', text: block.text };
        } else if (block.type === 'tool_use') {
          if (this.jsonTool && block.name === this.jsonTool.name) {
            this.blocks.set(event.index, { kind: 'json', buffer: '' });
            this.jsonAnswered = true;
          } else {
            const index = this.toolCount++;
            this.blocks.set(event.index, { kind: 'tool', index });
            yield { type: 'tool_call', index, id: block.id, name: block.name, argumentsDelta: '' };
          }
        } else this.blocks.set(event.index, { kind: 'other' });
        break;
      }
      case 'content_block_delta': {
        const state = this.blocks.get(event.index);
        const delta = event.delta;
        if (delta.type === 'text_delta') {
          if (delta.text) yield { type: 'text', text: delta.text };
        } else if (delta.type === 'input_json_delta' && state) {
          if (state.kind === 'tool') {
            if (delta.partial_json)
              yield { type: 'tool_call', index: state.index, argumentsDelta: delta.partial_json };
          } else if (state.kind === 'json') {
            if (this.jsonTool?.wrapped) state.buffer += delta.partial_json;
            else if (delta.partial_json) yield { type: 'text', text: delta.partial_json };
          }
        }
        break;
      }
      case 'content_block_stop': {
        const state = this.blocks.get(event.index);
        if (state?.kind === 'json' && this.jsonTool?.wrapped) {
          yield { type: 'text', text: jsonFromToolInput(this.jsonTool, state.buffer || '{}') };
        }
        break;
      }
      case 'message_delta': {
        this.stop = event.delta.stop_reason;
        const u = event.usage as AnthropicUsage;
        if (u.output_tokens != null) this.outputTokens = u.output_tokens;
        if (u.input_tokens) this.input = { ...this.input, ...u };
        break;
      }
      case 'message_stop':
        this.stopped = true;
        break;
    }
  }

  end(): StreamEvent | undefined {
    if (!this.stopped) return undefined;
    let finish = stopReason(this.stop);
    if (this.jsonAnswered && this.toolCount === 0 && finish === 'tool_calls') finish = 'stop';
    const usage = usageOf({ ...this.input, output_tokens: this.outputTokens });
    const ev: StreamEvent = {
      type: 'finish',
      finishReason: finishWithTools(finish, this.toolCount),
      usage,
    };
    if (this.model) ev.model = this.model;
    return ev;
  }
}
