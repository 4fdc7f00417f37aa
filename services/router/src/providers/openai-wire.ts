// The Chat Completions wire shape shared by OpenAI, vLLM, OpenAI-compatible servers and Groq.
// Both SDKs (openai, groq-sdk) take and return these shapes; the adapters only differ in the
// client, the token-limit field and where streamed usage arrives.
import { providerError } from './errors.js';
import { EMPTY_USAGE, finishWithTools, textOf } from './shared.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  FinishReason,
  StreamEvent,
  TokenUsage,
  ToolCall,
} from './types.js';

type WirePart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export type WireMessage =
  | { role: 'system'; content: string; name?: string }
  | { role: 'user'; content: string | WirePart[]; name?: string }
  | {
      role: 'assistant';
      content: string | null;
      name?: string;
      tool_calls?: {
        id: string;
        type: 'function';
        function: { name: string; arguments: string };
      }[];
    }
  | { role: 'tool'; content: string; tool_call_id: string };

export interface WireChatBody {
  model: string;
  messages: WireMessage[];
  tools?: {
    type: 'function';
    function: {
      name: string;
      description?: string;
      parameters: Record<string, unknown>;
      strict?: boolean;
    };
  }[];
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  response_format?:
    | { type: 'text' }
    | { type: 'json_object' }
    | {
        type: 'json_schema';
        json_schema: {
          name: string;
          description?: string;
          schema: Record<string, unknown>;
          strict?: boolean;
        };
      };
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  seed?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

function wireMessage(m: ChatMessage): WireMessage {
  switch (m.role) {
    case 'system':
      return m.name
        ? { role: 'system', content: textOf(m.content), name: m.name }
        : { role: 'system', content: textOf(m.content) };
    case 'user': {
      const plain = m.content.every((p) => p.type === 'text');
      const content: string | WirePart[] = plain
        ? textOf(m.content)
        : m.content.map((p): WirePart =>
            p.type === 'text'
              ? { type: 'text', text: p.text }
              : {
                  type: 'image_url',
                  image_url: p.detail ? { url: p.url, detail: p.detail } : { url: p.url },
                },
          );
      return m.name ? { role: 'user', content, name: m.name } : { role: 'user', content };
    }
    case 'assistant': {
      const text = textOf(m.content);
      const out: WireMessage = {
        role: 'assistant',
        content: text === '' && m.toolCalls?.length ? null : text,
      };
      if (m.name) out.name = m.name;
      if (m.toolCalls?.length) {
        out.tool_calls = m.toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.argumentsJson },
        }));
      }
      return out;
    }
    case 'tool':
      return { role: 'tool', content: textOf(m.content), tool_call_id: m.toolCallId ?? '' };
  }
}

/** The request body; `tokenField` is where the output cap goes for this server. */
export function wireChatBody(
  req: ChatRequest,
  tokenField: 'max_tokens' | 'max_completion_tokens',
): WireChatBody {
  const body: WireChatBody = { model: req.model, messages: req.messages.map(wireMessage) };
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => {
      const fn: NonNullable<WireChatBody['tools']>[number]['function'] = {
        name: t.name,
        parameters: t.parameters,
      };
      if (t.description !== undefined) fn.description = t.description;
      if (t.strict !== undefined) fn.strict = t.strict;
      return { type: 'function', function: fn };
    });
  }
  if (req.toolChoice !== undefined) {
    body.tool_choice =
      typeof req.toolChoice === 'string'
        ? req.toolChoice
        : { type: 'function', function: { name: req.toolChoice.name } };
  }
  const rf = req.responseFormat;
  if (rf) {
    if (rf.type === 'json_schema') {
      const js: {
        name: string;
        description?: string;
        schema: Record<string, unknown>;
        strict?: boolean;
      } = {
        name: rf.name,
        schema: rf.schema,
      };
      if (rf.description !== undefined) js.description = rf.description;
      if (rf.strict !== undefined) js.strict = rf.strict;
      body.response_format = { type: 'json_schema', json_schema: js };
    } else body.response_format = { type: rf.type };
  }
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.maxTokens !== undefined) body[tokenField] = req.maxTokens;
  if (req.stop?.length) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  return body;
}

// ---- responses ----

export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

interface WireToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

export interface WireCompletion {
  model?: string;
  choices?: {
    finish_reason?: string | null;
    message?: { content?: string | null; tool_calls?: WireToolCall[] | null };
  }[];
  usage?: WireUsage | null;
}

export interface WireChunk {
  model?: string;
  choices?: {
    finish_reason?: string | null;
    delta?: {
      content?: string | null;
      tool_calls?: (WireToolCall & { index?: number })[] | null;
    };
  }[];
  usage?: WireUsage | null;
  x_groq?: { usage?: WireUsage | null } | null;
}

export function finishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function usageOf(u: WireUsage | null | undefined): TokenUsage {
  if (!u) return { ...EMPTY_USAGE };
  const out: TokenUsage = {
    inputTokens: u.prompt_tokens ?? 0,
    outputTokens: u.completion_tokens ?? 0,
  };
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (cached) out.cachedInputTokens = cached;
  return out;
}

export function chatResult(provider: string, c: WireCompletion): ChatResult {
  const choice = c.choices?.[0];
  if (!choice) throw providerError(provider, 'server_error', { providerCode: 'no_choices' });
  const toolCalls: ToolCall[] = [];
  for (const call of choice.message?.tool_calls ?? []) {
    if (call.function === undefined) continue;
    toolCalls.push({
      id: call.id ?? `call_${toolCalls.length}`,
      name: call.function.name ?? '',
      argumentsJson: call.function.arguments ?? '',
    });
  }
  const result: ChatResult = {
    text: choice.message?.content ?? '',
    toolCalls,
    finishReason: finishWithTools(finishReason(choice.finish_reason), toolCalls.length),
    usage: usageOf(c.usage),
  };
  if (c.model) result.model = c.model;
  return result;
}

/**
 * Streamed tool-call fragments carry the provider's `index`; some compatible servers reuse
 * index 0 for parallel calls or leave it out, so a new id also starts a new call.
 */
export class ToolCallIndexer {
  private readonly slots = new Map<number, { index: number; id: string | undefined }>();
  private last: { index: number; id: string | undefined } | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Our stable index for a fragment, and whether it opens a call. */
  place(
    providerIndex: number | undefined,
    id: string | undefined,
  ): { index: number; first: boolean } {
    let slot = providerIndex !== undefined ? this.slots.get(providerIndex) : this.last;
    if (slot && id && slot.id && slot.id !== id) slot = undefined;
    if (slot) {
      this.last = slot;
      return { index: slot.index, first: false };
    }
    slot = { index: this.count++, id };
    if (providerIndex !== undefined) this.slots.set(providerIndex, slot);
    this.last = slot;
    return { index: slot.index, first: true };
  }
}

/**
 * Turns Chat Completions chunks into our events. Usage can come on the finish chunk, on a
 * trailing usage-only chunk (`include_usage`) or in Groq's `x_groq`, so `finish` is emitted
 * only when the stream ends.
 */
export class ChunkAssembler {
  private readonly tools = new ToolCallIndexer();
  private finish: FinishReason | undefined;
  private usage: TokenUsage | undefined;
  private model: string | undefined;

  *push(chunk: WireChunk): Generator<StreamEvent> {
    if (chunk.model && !this.model) this.model = chunk.model;
    const u = chunk.usage ?? chunk.x_groq?.usage;
    if (u) this.usage = usageOf(u);
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta;
    if (delta?.content) yield { type: 'text', text: delta.content };
    if (delta?.tool_calls) {
      for (const frag of delta.tool_calls) {
        const id = frag.id ?? undefined;
        const { index, first } = this.tools.place(frag.index ?? undefined, id);
        const ev: StreamEvent = {
          type: 'tool_call',
          index,
          argumentsDelta: frag.function?.arguments ?? '',
        };
        if (first || id) {
          if (id) ev.id = id;
          else ev.id = `call_${index}`;
        }
        if (frag.function?.name) ev.name = frag.function.name;
        yield ev;
      }
    }
    if (choice.finish_reason) this.finish = finishReason(choice.finish_reason);
  }

  /** The closing event, or undefined when the stream never said it finished (cut). */
  end(): StreamEvent | undefined {
    if (this.finish === undefined) return undefined;
    const ev: StreamEvent = {
      type: 'finish',
      finishReason: finishWithTools(this.finish, this.tools.size),
      usage: this.usage ?? { ...EMPTY_USAGE },
    };
    if (this.model) ev.model = this.model;
    return ev;
  }
}
