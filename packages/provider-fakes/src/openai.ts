// OpenAI-compatible Chat Completions (OpenAI, Groq, vLLM). Wire format per the OpenAI API
// reference: chat.completion objects, chat.completion.chunk SSE frames ending in
// `data: [DONE]`, `{ error: { message, type, param, code } }` errors and x-ratelimit-* headers.
import type { OutgoingHttpHeaders } from 'node:http';
import type { ChatInput, Plan } from './core/plan.js';
import {
  FakeProviderServer,
  type ErrorResponse,
  type RequestContext,
  type RouteDecision,
} from './core/server.js';
import { embedText, estimateTokens, floatsToBase64 } from './core/text.js';
import type { CommonOptions, ErrorKind, FailSpec, FinishReason } from './core/types.js';

export type OpenAIFlavor = 'openai' | 'groq' | 'vllm';

export interface OpenAIFakeOptions extends CommonOptions {
  /** Response details of one server: Groq adds `x_groq` and timing usage; vLLM its model card. */
  flavor?: OpenAIFlavor;
  /** Prefix of every route. Default `/v1`, or `/openai/v1` for Groq. */
  basePath?: string;
  /** When set, `Authorization: Bearer <apiKey>` must match; otherwise any bearer is accepted. */
  apiKey?: string;
  /** Advertised request and token limits (x-ratelimit-limit-*). */
  rateLimit?: { requests: number; tokens: number };
}

const FINISH: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  stop_sequence: 'stop',
  content_filter: 'content_filter',
};

interface OpenAIMessage {
  role?: string;
  content?: unknown;
  tool_calls?: { function?: { name?: string; arguments?: string } }[];
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let out = '';
    for (const part of content as { type?: string; text?: string; refusal?: string }[]) {
      if (typeof part?.text === 'string') out += (out ? '\n' : '') + part.text;
    }
    return out;
  }
  return '';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class OpenAIFake extends FakeProviderServer {
  readonly family = 'openai' as const;
  readonly flavor: OpenAIFlavor;
  readonly basePath: string;
  private readonly opts: OpenAIFakeOptions;

  constructor(options: OpenAIFakeOptions = {}) {
    super({
      ...options,
      models:
        options.models ??
        (options.flavor === 'groq'
          ? ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant']
          : options.flavor === 'vllm'
            ? ['meta-llama/Llama-3.1-8B-Instruct']
            : undefined),
    });
    this.opts = options;
    this.flavor = options.flavor ?? 'openai';
    this.basePath = (options.basePath ?? (this.flavor === 'groq' ? '/openai/v1' : '/v1')).replace(
      /\/$/,
      '',
    );
  }

  protected decide(ctx: RequestContext): RouteDecision | undefined {
    if (!ctx.path.startsWith(this.basePath)) return undefined;
    const sub = ctx.path.slice(this.basePath.length);
    if (ctx.method === 'POST' && sub === '/chat/completions') return this.decideChat(ctx);
    if (ctx.method === 'POST' && sub === '/embeddings') return this.decideEmbeddings(ctx);
    if (ctx.method === 'GET' && sub === '/models') {
      return {
        route: 'models',
        handle: async (c, b) => {
          if (await this.handleFailure(c, b)) return;
          await this.sendJson(
            c,
            { object: 'list', data: this.models.map((id) => this.modelCard(id)) },
            b,
            this.okHeaders(c),
          );
        },
      };
    }
    if (ctx.method === 'GET' && sub.startsWith('/models/')) {
      const id = decodeURIComponent(sub.slice('/models/'.length));
      return {
        route: 'models',
        model: id,
        ...(this.models.includes(id) ? {} : { reject: this.modelNotFound(id, ctx) }),
        handle: async (c, b) => {
          if (await this.handleFailure(c, b)) return;
          await this.sendJson(c, this.modelCard(id), b, this.okHeaders(c));
        },
      };
    }
    return undefined;
  }

  private decideChat(ctx: RequestContext): RouteDecision {
    const body = isRecord(ctx.body) ? ctx.body : {};
    const model = typeof body.model === 'string' ? body.model : undefined;
    const stream = body.stream === true;
    const messages = Array.isArray(body.messages) ? (body.messages as OpenAIMessage[]) : undefined;
    let reject: ErrorResponse | undefined;
    if (ctx.badJson || !isRecord(ctx.body)) reject = this.badBody(ctx);
    else if (!model) reject = this.invalid(ctx, 'you must provide a model parameter', null, null);
    else if (!messages)
      reject = this.invalid(
        ctx,
        "Missing required parameter: 'messages'.",
        'messages',
        'missing_required_parameter',
      );
    else if (messages.length === 0)
      reject = this.invalid(ctx, "[] is too short - 'messages'", 'messages', 'empty_array');
    else if (!this.isModelKnown(model)) reject = this.modelNotFound(model, ctx);

    const parts: string[] = [];
    for (const m of messages ?? []) {
      parts.push(contentText(m.content));
      for (const call of m.tool_calls ?? [])
        parts.push(`${call.function?.name ?? ''}${call.function?.arguments ?? ''}`);
    }
    if (Array.isArray(body.tools)) parts.push(JSON.stringify(body.tools));
    const promptText = parts.join('\n');
    const last = messages?.[messages.length - 1];
    const input: ChatInput = {
      model: model ?? '',
      stream,
      lastText: last ? contentText(last.content) : '',
      promptText,
    };
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    if (typeof maxTokens === 'number') input.maxTokens = maxTokens;
    const rf = isRecord(body.response_format) ? body.response_format : undefined;
    if (rf?.type === 'json_object') input.json = { mode: 'object' };
    else if (rf?.type === 'json_schema' && isRecord(rf.json_schema))
      input.json = { mode: 'schema', schema: rf.json_schema.schema };

    if (!reject) {
      const tokens = estimateTokens(promptText);
      if (tokens > this.contextWindow) reject = this.contextLength(ctx, tokens);
    }
    const includeUsage =
      isRecord(body.stream_options) && body.stream_options.include_usage === true;
    return {
      route: 'chat',
      ...(model !== undefined ? { model } : {}),
      stream,
      ...(reject ? { reject } : {}),
      handle: (c, b) =>
        this.runChat(
          c,
          b,
          {
            input,
            json: (plan) => this.completion(c, input.model, plan),
            stream: (plan) => ({
              headers: this.sseHeaders(c),
              frames: this.chunks(c, input.model, plan, includeUsage),
            }),
            streamError: (kind, message) => {
              const err = this.errorFor(kind, message !== undefined ? { message } : {}, c);
              return `data: ${err.body}\n\n`;
            },
            headers: () => this.okHeaders(c),
          },
          (i) => `call_fake${c.seq}_${i}`,
        ),
    };
  }

  private decideEmbeddings(ctx: RequestContext): RouteDecision {
    const body = isRecord(ctx.body) ? ctx.body : {};
    const model = typeof body.model === 'string' ? body.model : undefined;
    const input = body.input;
    let inputs: (string | number[])[] | undefined;
    if (typeof input === 'string') inputs = [input];
    else if (Array.isArray(input) && input.length > 0) {
      if (input.every((x) => typeof x === 'number')) inputs = [input as number[]];
      else if (input.every((x) => typeof x === 'string' || Array.isArray(x)))
        inputs = input as (string | number[])[];
    }
    let reject: ErrorResponse | undefined;
    if (ctx.badJson || !isRecord(ctx.body)) reject = this.badBody(ctx);
    else if (!model) reject = this.invalid(ctx, 'you must provide a model parameter', null, null);
    else if (!inputs) reject = this.invalid(ctx, "'$.input' is invalid.", 'input', null);
    else if (!this.isModelKnown(model)) reject = this.modelNotFound(model, ctx);
    const dims = typeof body.dimensions === 'number' ? body.dimensions : this.embeddingDimensions;
    const base64 = body.encoding_format === 'base64';
    return {
      route: 'embeddings',
      ...(model !== undefined ? { model } : {}),
      ...(reject ? { reject } : {}),
      handle: async (c, b) => {
        if (await this.handleFailure(c, b)) return;
        let tokens = 0;
        const data = (inputs ?? []).map((item, index) => {
          const text = typeof item === 'string' ? item : item.join(' ');
          tokens += typeof item === 'string' ? estimateTokens(item) : item.length;
          const vector = embedText(text, dims);
          return {
            object: 'embedding',
            index,
            embedding: base64 ? floatsToBase64(vector) : vector,
          };
        });
        await this.sendJson(
          c,
          {
            object: 'list',
            data,
            model,
            usage: { prompt_tokens: tokens, total_tokens: tokens },
          },
          b,
          this.okHeaders(c),
        );
      },
    };
  }

  protected authorize(ctx: RequestContext): ErrorResponse | undefined {
    const auth = ctx.req.headers.authorization;
    const key = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!key) {
      return this.error(
        401,
        {
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
        ctx,
      );
    }
    if (this.opts.apiKey !== undefined && key !== this.opts.apiKey) {
      return this.errorFor('auth', {}, ctx);
    }
    return undefined;
  }

  protected notFoundRoute(ctx: RequestContext): ErrorResponse {
    return this.error(
      404,
      {
        message: `Invalid URL (${ctx.method} ${ctx.path})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
      ctx,
    );
  }

  protected errorFor(kind: ErrorKind, spec: Partial<FailSpec>, ctx: RequestContext): ErrorResponse {
    const model = this.modelOf(ctx);
    const msg = spec.message;
    switch (kind) {
      case 'invalid_request':
        return this.invalid(ctx, msg ?? 'Invalid request.', null, null);
      case 'context_length':
        return this.contextLength(ctx, this.contextWindow + 1, msg);
      case 'auth':
        return this.error(
          401,
          {
            message:
              msg ?? 'Incorrect API key provided. You can find your API key in your account.',
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
          ctx,
        );
      case 'permission':
        return this.error(
          403,
          {
            message: msg ?? `Project does not have access to model \`${model}\``,
            type: 'invalid_request_error',
            param: null,
            code: 'model_not_found',
          },
          ctx,
        );
      case 'not_found':
        return this.modelNotFound(model, ctx, msg);
      case 'rate_limit': {
        const wait = spec.retryAfterSeconds ?? 1;
        return this.error(
          429,
          {
            message:
              msg ??
              `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit ${this.limits.requests}, Used ${this.limits.requests}, Requested 1. Please try again in ${wait}s.`,
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
          ctx,
          { ...this.rateHeaders(0, `${wait}s`), 'retry-after': String(wait) },
        );
      }
      case 'quota':
        return this.error(
          429,
          {
            message:
              msg ?? 'You exceeded your current quota, please check your plan and billing details.',
            type: 'insufficient_quota',
            param: null,
            code: 'insufficient_quota',
          },
          ctx,
        );
      case 'server':
        return this.error(
          500,
          {
            message:
              msg ?? 'The server had an error while processing your request. Sorry about that!',
            type: 'server_error',
            param: null,
            code: null,
          },
          ctx,
        );
      case 'overloaded':
        return this.error(
          503,
          {
            message: msg ?? 'The engine is currently overloaded, please try again later',
            type: 'server_error',
            param: null,
            code: null,
          },
          ctx,
        );
      case 'timeout':
        return this.error(
          504,
          { message: msg ?? 'Gateway timeout.', type: 'server_error', param: null, code: null },
          ctx,
        );
    }
  }

  // ---- rendering ----

  private get limits() {
    return this.opts.rateLimit ?? { requests: 10_000, tokens: 2_000_000 };
  }

  private rateHeaders(remainingRequests: number, resetRequests: string): OutgoingHttpHeaders {
    const l = this.limits;
    return {
      'x-ratelimit-limit-requests': String(l.requests),
      'x-ratelimit-limit-tokens': String(l.tokens),
      'x-ratelimit-remaining-requests': String(remainingRequests),
      'x-ratelimit-remaining-tokens': String(remainingRequests === 0 ? 0 : l.tokens - 1000),
      'x-ratelimit-reset-requests': resetRequests,
      'x-ratelimit-reset-tokens': remainingRequests === 0 ? resetRequests : '30ms',
    };
  }

  private okHeaders(ctx: RequestContext): OutgoingHttpHeaders {
    return {
      'x-request-id': `req_fake${ctx.seq}`,
      'openai-processing-ms': '1',
      ...this.rateHeaders(this.limits.requests - 1, '6ms'),
    };
  }

  private sseHeaders(ctx: RequestContext): OutgoingHttpHeaders {
    return {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...this.okHeaders(ctx),
    };
  }

  private modelOf(ctx: RequestContext): string {
    const b = ctx.body;
    return isRecord(b) && typeof b.model === 'string' ? b.model : (this.models[0] ?? 'unknown');
  }

  private modelCard(id: string): Record<string, unknown> {
    const card: Record<string, unknown> = {
      id,
      object: 'model',
      created: 1_700_000_000,
      owned_by: this.flavor === 'openai' ? 'system' : this.flavor,
    };
    if (this.flavor === 'groq') {
      card.active = true;
      card.context_window = this.contextWindow;
    }
    if (this.flavor === 'vllm') {
      card.root = id;
      card.parent = null;
      card.max_model_len = this.contextWindow;
    }
    return card;
  }

  private usage(plan: Plan): Record<string, unknown> {
    const u: Record<string, unknown> = {
      prompt_tokens: plan.usage.input,
      completion_tokens: plan.usage.output,
      total_tokens: plan.usage.input + plan.usage.output,
      prompt_tokens_details: { cached_tokens: plan.usage.cacheRead, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    if (this.flavor === 'groq') {
      // Groq reports its timings (seconds) beside the counts.
      u.queue_time = 0.001;
      u.prompt_time = plan.usage.input / 100_000;
      u.completion_time = plan.usage.output / 1_000;
      u.total_time = (u.prompt_time as number) + (u.completion_time as number);
    }
    return u;
  }

  private completion(ctx: RequestContext, model: string, plan: Plan): unknown {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: plan.toolCalls.length > 0 && plan.text === '' ? null : plan.text,
      refusal: null,
      annotations: [],
    };
    if (plan.toolCalls.length > 0) {
      message.tool_calls = plan.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.argumentsJson },
      }));
    }
    const out: Record<string, unknown> = {
      id: `chatcmpl-fake${ctx.seq}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[plan.finish] }],
      usage: this.usage(plan),
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
    };
    if (this.flavor === 'groq') out.x_groq = { id: `req_fake${ctx.seq}` };
    return out;
  }

  private chunks(ctx: RequestContext, model: string, plan: Plan, includeUsage: boolean): string[] {
    const created = Math.floor(Date.now() / 1000);
    // The envelope is the same for every chunk; only the choice part changes.
    const head = `{"id":"chatcmpl-fake${ctx.seq}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"default","system_fingerprint":"fp_fake","choices":[`;
    const tail = includeUsage ? '],"usage":null}' : ']}';
    const frame = (delta: unknown, finish: string | null, extra = '') =>
      `data: ${head}{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}${tail.slice(0, -1)}${extra}}\n\n`;
    const groqId = this.flavor === 'groq' ? `,"x_groq":{"id":"req_fake${ctx.seq}"}` : '';

    const frames: string[] = [];
    const hasText = plan.text !== '' || plan.toolCalls.length === 0;
    frames.push(
      frame({ role: 'assistant', content: hasText ? '' : null, refusal: null }, null, groqId),
    );
    for (const piece of plan.chunks) frames.push(frame({ content: piece }, null));
    plan.toolCalls.forEach((call, index) => {
      frames.push(
        frame(
          {
            tool_calls: [
              {
                index,
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: '' },
              },
            ],
          },
          null,
        ),
      );
      for (let i = 0; i < call.argumentsJson.length; i += 12) {
        frames.push(
          frame(
            {
              tool_calls: [{ index, function: { arguments: call.argumentsJson.slice(i, i + 12) } }],
            },
            null,
          ),
        );
      }
    });
    const usage = this.usage(plan);
    const groqUsage =
      this.flavor === 'groq'
        ? `,"x_groq":{"id":"req_fake${ctx.seq}","usage":${JSON.stringify(usage)}}`
        : '';
    frames.push(frame({}, FINISH[plan.finish], groqUsage));
    if (includeUsage) {
      frames.push(`data: ${head}],"usage":${JSON.stringify(usage)}}\n\n`);
    }
    frames.push('data: [DONE]\n\n');
    return frames;
  }

  // ---- errors ----

  private error(
    status: number,
    error: { message: string; type: string; param: string | null; code: string | null },
    ctx: RequestContext,
    headers: OutgoingHttpHeaders = {},
  ): ErrorResponse {
    return {
      status,
      headers: {
        'content-type': 'application/json',
        'x-request-id': `req_fake${ctx.seq}`,
        ...headers,
      },
      body: JSON.stringify({ error }),
    };
  }

  private invalid(
    ctx: RequestContext,
    message: string,
    param: string | null,
    code: string | null,
  ): ErrorResponse {
    return this.error(400, { message, type: 'invalid_request_error', param, code }, ctx);
  }

  private badBody(ctx: RequestContext): ErrorResponse {
    return this.invalid(
      ctx,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      null,
      null,
    );
  }

  private modelNotFound(model: string, ctx: RequestContext, message?: string): ErrorResponse {
    return this.error(
      404,
      {
        message:
          message ?? `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
      ctx,
    );
  }

  private contextLength(ctx: RequestContext, tokens: number, message?: string): ErrorResponse {
    return this.error(
      400,
      {
        message:
          message ??
          `This model's maximum context length is ${this.contextWindow} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
      ctx,
    );
  }
}
