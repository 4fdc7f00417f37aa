// Ollama's native API (/api/chat, /api/embed, /api/tags) through a small fetch client.
//
// Why not the official `ollama` package (0.6.x): it cannot abort one non-streamed request (its
// only abort is `Ollama.abort()`, which cancels every streamed request of the client, and
// chat/embed calls take no signal), and its errors keep the status but drop the response
// headers, so `Retry-After` is lost. Both are required here, and the protocol is small.
import { randomUUID } from 'node:crypto';
import { acceptsUpstreamSignal, UPSTREAM_SIGNAL } from '../upstream/http-fetch.js';
import {
  cancelledError,
  kindForStatus,
  kindFromText,
  mapTransport,
  parseRetryAfter,
  providerError,
  saysContextTooLong,
  systemCause,
  truncatedStreamError,
  type ErrorFacts,
} from './errors.js';
import {
  DEFAULT_TIMEOUT_MS,
  EMPTY_USAGE,
  finishWithTools,
  parseArguments,
  parseDataUrl,
  textOf,
  unsupportedImage,
} from './shared.js';
import type {
  ChatRequest,
  ChatResult,
  EmbedRequest,
  EmbedResult,
  FinishReason,
  ModelListing,
  ProviderAdapter,
  ProviderError,
  ProviderErrorKind,
  ProviderSettings,
  StreamEvent,
  TokenUsage,
  ToolCall,
} from './types.js';

export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

interface OllamaToolCall {
  id?: string;
  function?: { name?: string; arguments?: unknown; index?: number };
}

interface OllamaWireMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
}

export interface OllamaChatBody {
  model: string;
  messages: OllamaWireMessage[];
  stream: boolean;
  tools?: {
    type: 'function';
    function: { name: string; description?: string; parameters: Record<string, unknown> };
  }[];
  format?: 'json' | Record<string, unknown>;
  options?: {
    temperature?: number;
    top_p?: number;
    num_predict?: number;
    stop?: string[];
    seed?: number;
  };
}

interface OllamaChatLine {
  model?: string;
  message?: { content?: string; tool_calls?: OllamaToolCall[] | null };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

function doneReason(reason: string | undefined): FinishReason {
  return reason === 'length' ? 'length' : 'stop';
}

function usageOf(line: OllamaChatLine): TokenUsage {
  return { inputTokens: line.prompt_eval_count ?? 0, outputTokens: line.eval_count ?? 0 };
}

/** Ollama does not name its tool calls; ids are ours, unique so later turns can refer to them. */
function callId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

function argumentsJson(args: unknown): string {
  if (typeof args === 'string') return args;
  return JSON.stringify(args ?? {});
}

/** Classifies an Ollama error (HTTP or in-stream), whose body is only `{ "error": "..." }`. */
function kindFor(status: number | undefined, message: string | undefined): ProviderErrorKind {
  // Ollama reports a runner that never started as a 500 "timed out waiting for llama runner".
  if (message && /timed out|timeout/i.test(message)) return 'timeout';
  if (status === undefined) return kindFromText(message) ?? 'server_error';
  const kind = kindForStatus(status);
  return kind === 'bad_request' && saysContextTooLong(message) ? 'context_too_long' : kind;
}

export class OllamaAdapter implements ProviderAdapter {
  readonly kind = 'ollama' as const;
  readonly name: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  /** The settings' fetch, else the platform's (looked up per call, as before). */
  private readonly fetch: typeof fetch;
  /** Whether that fetch takes the caller's signal itself (`UPSTREAM_SIGNAL`). */
  private readonly signalViaFetch: boolean;

  constructor(settings: ProviderSettings) {
    this.name = settings.name;
    this.base = (settings.baseUrl ?? OLLAMA_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.headers = { 'content-type': 'application/json', ...settings.headers };
    if (settings.apiKey) this.headers.authorization = `Bearer ${settings.apiKey}`;
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = settings.fetch ?? ((input, init) => fetch(input, init));
    this.signalViaFetch = acceptsUpstreamSignal(settings.fetch);
  }

  chatBody(req: ChatRequest, stream: boolean): OllamaChatBody {
    const namesById = new Map<string, string>();
    const messages: OllamaWireMessage[] = req.messages.map((m) => {
      const out: OllamaWireMessage = { role: m.role, content: textOf(m.content) };
      if (m.role === 'user') {
        const images: string[] = [];
        for (const part of m.content) {
          if (part.type !== 'image_url') continue;
          const inline = parseDataUrl(part.url);
          if (!inline) unsupportedImage(this.name);
          images.push(inline.base64);
        }
        if (images.length) out.images = images;
      }
      if (m.role === 'assistant' && m.toolCalls?.length) {
        out.tool_calls = m.toolCalls.map((c) => {
          namesById.set(c.id, c.name);
          return { function: { name: c.name, arguments: parseArguments(this.name, c) } };
        });
      }
      if (m.role === 'tool') {
        const name = m.name ?? (m.toolCallId ? namesById.get(m.toolCallId) : undefined);
        if (name) out.tool_name = name;
      }
      return out;
    });
    const body: OllamaChatBody = { model: req.model, messages, stream };
    // No tool_choice in Ollama: "none" drops the tools, a named choice offers only that one.
    let tools = req.toolChoice === 'none' ? [] : (req.tools ?? []);
    const choice = req.toolChoice;
    if (typeof choice === 'object') tools = tools.filter((t) => t.name === choice.name);
    if (tools.length) {
      body.tools = tools.map((t) => ({
        type: 'function',
        function: {
          name: t.name,
          ...(t.description !== undefined ? { description: t.description } : {}),
          parameters: t.parameters,
        },
      }));
    }
    const rf = req.responseFormat;
    if (rf?.type === 'json_object') body.format = 'json';
    else if (rf?.type === 'json_schema') body.format = rf.schema;
    const options: NonNullable<OllamaChatBody['options']> = {};
    if (req.temperature !== undefined) options.temperature = req.temperature;
    if (req.topP !== undefined) options.top_p = req.topP;
    if (req.maxTokens !== undefined) options.num_predict = req.maxTokens;
    if (req.stop?.length) options.stop = req.stop;
    if (req.seed !== undefined) options.seed = req.seed;
    if (Object.keys(options).length) body.options = options;
    return body;
  }

  private mapError(err: unknown, signal: AbortSignal | undefined): ProviderError {
    const mapped = mapTransport(this.name, err, signal);
    if (mapped) return mapped;
    const cause = systemCause(err);
    return providerError(this.name, 'server_error', {
      providerCode: err instanceof Error ? err.name : 'unknown',
      ...(cause ? { cause } : {}),
    });
  }

  /** One request with our signal and the last-resort timeout; HTTP errors mapped here. */
  private async request(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    if (signal?.aborted) throw cancelledError(this.name);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const init: RequestInit = { method, headers: this.headers };
    if (!signal) init.signal = timeout;
    else if (this.signalViaFetch) {
      // The keep-alive fetch obeys both itself; composing them costs more than the rest here.
      init.signal = timeout;
      (init as { [UPSTREAM_SIGNAL]?: AbortSignal })[UPSTREAM_SIGNAL] = signal;
    } else init.signal = AbortSignal.any([signal, timeout]);
    if (body !== undefined) init.body = JSON.stringify(body);
    let res: Response;
    try {
      res = await this.fetch(this.base + path, init);
    } catch (err) {
      throw this.mapError(err, signal);
    }
    if (!res.ok) throw await this.httpError(res, signal);
    return res;
  }

  private async httpError(res: Response, signal: AbortSignal | undefined): Promise<ProviderError> {
    let message: string | undefined;
    try {
      const text = await res.text();
      try {
        const parsed = JSON.parse(text) as { error?: unknown };
        if (typeof parsed.error === 'string') message = parsed.error;
      } catch {
        message = text;
      }
    } catch (err) {
      return this.mapError(err, signal);
    }
    const facts: ErrorFacts = { status: res.status };
    const wait = parseRetryAfter((n) => res.headers.get(n));
    if (wait !== undefined) facts.retryAfterMs = wait;
    return providerError(this.name, kindFor(res.status, message), facts);
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const { signal } = request;
    const res = await this.request('POST', '/api/chat', this.chatBody(request, false), signal);
    let line: OllamaChatLine;
    try {
      line = (await res.json()) as OllamaChatLine;
    } catch (err) {
      throw this.mapError(err, signal);
    }
    if (line.error) throw providerError(this.name, kindFor(undefined, line.error));
    const toolCalls: ToolCall[] = (line.message?.tool_calls ?? []).map((c) => ({
      id: c.id ?? callId(),
      name: c.function?.name ?? '',
      argumentsJson: argumentsJson(c.function?.arguments),
    }));
    const result: ChatResult = {
      text: line.message?.content ?? '',
      toolCalls,
      finishReason: finishWithTools(doneReason(line.done_reason), toolCalls.length),
      usage: usageOf(line),
    };
    if (line.model) result.model = line.model;
    return result;
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const { signal } = request;
    const res = await this.request('POST', '/api/chat', this.chatBody(request, true), signal);
    if (!res.body) throw truncatedStreamError(this.name);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let toolCount = 0;
    let finish: StreamEvent | undefined;
    let model: string | undefined;
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw this.mapError(err, signal);
        }
        if (chunk.done) break;
        buffered += decoder.decode(chunk.value, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const raw = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (raw === '') continue;
          let line: OllamaChatLine;
          try {
            line = JSON.parse(raw) as OllamaChatLine;
          } catch {
            throw providerError(this.name, 'server_error', { providerCode: 'malformed_ndjson' });
          }
          if (line.error) throw providerError(this.name, kindFor(undefined, line.error));
          model ??= line.model;
          const content = line.message?.content;
          if (content) yield { type: 'text', text: content };
          for (const call of line.message?.tool_calls ?? []) {
            // Ollama sends each call whole, in one line.
            yield {
              type: 'tool_call',
              index: toolCount++,
              id: call.id ?? callId(),
              name: call.function?.name ?? '',
              argumentsDelta: argumentsJson(call.function?.arguments),
            };
          }
          if (line.done) {
            finish = {
              type: 'finish',
              finishReason: finishWithTools(doneReason(line.done_reason), toolCount),
              usage: usageOf(line),
            };
            if (model) finish.model = model;
          }
        }
      }
    } finally {
      // Ends the upstream request when the consumer stops early or an error ends the loop.
      if (!finish) reader.cancel().catch(() => undefined);
    }
    if (signal?.aborted) throw cancelledError(this.name);
    if (!finish) throw truncatedStreamError(this.name);
    yield finish;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const { signal } = request;
    const body: Record<string, unknown> = { model: request.model, input: request.inputs };
    if (request.dimensions !== undefined) body.dimensions = request.dimensions;
    const res = await this.request('POST', '/api/embed', body, signal);
    try {
      const out = (await res.json()) as { embeddings?: number[][]; prompt_eval_count?: number };
      return {
        vectors: out.embeddings ?? [],
        usage: { ...EMPTY_USAGE, inputTokens: out.prompt_eval_count ?? 0 },
      };
    } catch (err) {
      throw this.mapError(err, signal);
    }
  }

  async listModels(signal?: AbortSignal): Promise<ModelListing[]> {
    const res = await this.request('GET', '/api/tags', undefined, signal);
    try {
      const out = (await res.json()) as { models?: { name?: string; model?: string }[] };
      return (out.models ?? []).map((m) => ({ id: m.model ?? m.name ?? '' }));
    } catch (err) {
      throw this.mapError(err, signal);
    }
  }
}
