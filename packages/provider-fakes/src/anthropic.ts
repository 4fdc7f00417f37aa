// Anthropic Messages API. Wire format per the API reference: `message` objects, SSE with
// `event:` lines (message_start, content_block_start, ping, content_block_delta,
// content_block_stop, message_delta, message_stop, error) and
// `{ type: "error", error: { type, message }, request_id }` errors.
import type { OutgoingHttpHeaders } from 'node:http';
import type { ChatInput, Plan } from './core/plan.js';
import {
  FakeProviderServer,
  type ErrorResponse,
  type RequestContext,
  type RouteDecision,
} from './core/server.js';
import { estimateTokens, splitFixed } from './core/text.js';
import type { CommonOptions, ErrorKind, FailSpec, FinishReason } from './core/types.js';

export interface AnthropicFakeOptions extends CommonOptions {
  /** When set, the key (x-api-key or Bearer) must match; otherwise any non-empty key passes. */
  apiKey?: string;
  /** When set, only these `anthropic-version` values are accepted; otherwise any non-empty one. */
  acceptedVersions?: string[];
}

const STOP: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  stop_sequence: 'stop_sequence',
  content_filter: 'refusal',
};

type Block = {
  type?: string;
  text?: string;
  name?: string;
  input?: unknown;
  content?: unknown;
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function blocksText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const out: string[] = [];
  for (const block of content as Block[]) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') out.push(block.text);
    else if (block.type === 'tool_use')
      out.push(`${block.name ?? ''}${JSON.stringify(block.input)}`);
    else if (block.type === 'tool_result') out.push(blocksText(block.content));
  }
  return out.join('\n');
}

function sse(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

export class AnthropicFake extends FakeProviderServer {
  readonly family = 'anthropic' as const;
  private readonly opts: AnthropicFakeOptions;

  constructor(options: AnthropicFakeOptions = {}) {
    super(options);
    this.opts = options;
  }

  protected decide(ctx: RequestContext): RouteDecision | undefined {
    const { method, path } = ctx;
    if (method === 'POST' && path === '/v1/messages') return this.decideMessages(ctx, false);
    if (method === 'POST' && path === '/v1/messages/count_tokens')
      return this.decideMessages(ctx, true);
    if (method === 'GET' && path === '/v1/models') {
      return {
        route: 'models',
        handle: async (c, b) => {
          if (await this.handleFailure(c, b)) return;
          const data = this.models.map((id) => this.modelCard(id));
          await this.sendJson(
            c,
            {
              data,
              has_more: false,
              first_id: data[0]?.id ?? null,
              last_id: data.at(-1)?.id ?? null,
            },
            b,
            this.okHeaders(c),
          );
        },
      };
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      return {
        route: 'models',
        model: id,
        ...(this.models.includes(id)
          ? {}
          : { reject: this.error(404, 'not_found_error', `model: ${id}`, ctx) }),
        handle: async (c, b) => {
          if (await this.handleFailure(c, b)) return;
          await this.sendJson(c, this.modelCard(id), b, this.okHeaders(c));
        },
      };
    }
    return undefined;
  }

  private decideMessages(ctx: RequestContext, countOnly: boolean): RouteDecision {
    const body = isRecord(ctx.body) ? ctx.body : {};
    const model = typeof body.model === 'string' ? body.model : undefined;
    const stream = !countOnly && body.stream === true;
    const messages = Array.isArray(body.messages) ? (body.messages as Block[]) : undefined;
    let reject: ErrorResponse | undefined;
    if (ctx.badJson || !isRecord(ctx.body))
      reject = this.error(400, 'invalid_request_error', 'Request body is not valid JSON.', ctx);
    else if (!model)
      reject = this.error(400, 'invalid_request_error', 'model: Field required', ctx);
    else if (!messages)
      reject = this.error(400, 'invalid_request_error', 'messages: Field required', ctx);
    else if (!countOnly && typeof body.max_tokens !== 'number')
      reject = this.error(400, 'invalid_request_error', 'max_tokens: Field required', ctx);
    else if (!this.isModelKnown(model))
      reject = this.error(404, 'not_found_error', `model: ${model}`, ctx);

    const parts: string[] = [blocksText(body.system)];
    for (const m of messages ?? []) parts.push(blocksText(isRecord(m) ? m.content : undefined));
    if (Array.isArray(body.tools)) parts.push(JSON.stringify(body.tools));
    const promptText = parts.filter((p) => p !== '').join('\n');
    const last = messages?.[messages.length - 1];
    const input: ChatInput = {
      model: model ?? '',
      stream,
      lastText: last && isRecord(last) ? blocksText(last.content) : '',
      promptText,
    };
    if (typeof body.max_tokens === 'number') input.maxTokens = body.max_tokens;
    const config = isRecord(body.output_config) ? body.output_config : undefined;
    const format = isRecord(config?.format)
      ? config.format
      : isRecord(body.output_format)
        ? body.output_format
        : undefined;
    if (format?.type === 'json_schema') input.json = { mode: 'schema', schema: format.schema };

    const tokens = estimateTokens(promptText);
    if (!reject && tokens > this.contextWindow) reject = this.contextLength(ctx, tokens);

    if (countOnly) {
      return {
        route: 'count_tokens',
        ...(model !== undefined ? { model } : {}),
        ...(reject ? { reject } : {}),
        handle: async (c, b) => {
          if (await this.handleFailure(c, b)) return;
          await this.sendJson(c, { input_tokens: tokens }, b, this.okHeaders(c));
        },
      };
    }
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
            json: (plan) => this.message(c, input.model, plan),
            stream: (plan) => ({
              headers: this.sseHeaders(c),
              frames: this.events(c, input.model, plan),
            }),
            streamError: (kind, message) => {
              const err = this.errorFor(kind, message !== undefined ? { message } : {}, c);
              return sse('error', err.body);
            },
            headers: () => this.okHeaders(c),
          },
          (i) => `toolu_fake${c.seq}_${i}`,
        ),
    };
  }

  protected authorize(ctx: RequestContext): ErrorResponse | undefined {
    const h = ctx.req.headers;
    const auth = h.authorization;
    const headerKey = typeof h['x-api-key'] === 'string' ? h['x-api-key'].trim() : '';
    const key = headerKey || (auth?.startsWith('Bearer ') ? auth.slice(7).trim() : '');
    if (!key) return this.error(401, 'authentication_error', 'x-api-key header is required', ctx);
    if (this.opts.apiKey !== undefined && key !== this.opts.apiKey)
      return this.error(401, 'authentication_error', 'invalid x-api-key', ctx);
    const version = h['anthropic-version'];
    if (typeof version !== 'string' || version === '')
      return this.error(400, 'invalid_request_error', 'anthropic-version: header is required', ctx);
    if (this.opts.acceptedVersions && !this.opts.acceptedVersions.includes(version))
      return this.error(
        400,
        'invalid_request_error',
        `anthropic-version: invalid version '${version}'`,
        ctx,
      );
    return undefined;
  }

  protected notFoundRoute(ctx: RequestContext): ErrorResponse {
    return this.error(404, 'not_found_error', 'Not Found', ctx);
  }

  protected errorFor(kind: ErrorKind, spec: Partial<FailSpec>, ctx: RequestContext): ErrorResponse {
    const m = spec.message;
    switch (kind) {
      case 'invalid_request':
        return this.error(400, 'invalid_request_error', m ?? 'Invalid request.', ctx);
      case 'context_length':
        return this.contextLength(ctx, this.contextWindow + 1, m);
      case 'auth':
        return this.error(401, 'authentication_error', m ?? 'invalid x-api-key', ctx);
      case 'permission':
        return this.error(
          403,
          'permission_error',
          m ?? 'Your API key does not have permission to use the specified resource.',
          ctx,
        );
      case 'not_found': {
        const b = ctx.body;
        const model = isRecord(b) && typeof b.model === 'string' ? b.model : 'unknown';
        return this.error(404, 'not_found_error', m ?? `model: ${model}`, ctx);
      }
      case 'rate_limit': {
        const wait = spec.retryAfterSeconds ?? 1;
        return this.error(
          429,
          'rate_limit_error',
          m ??
            'This request would exceed the rate limit for your organization of 50 requests per minute. Please reduce the prompt length or the maximum tokens requested, or try again later.',
          ctx,
          {
            'retry-after': String(wait),
            'anthropic-ratelimit-requests-limit': '50',
            'anthropic-ratelimit-requests-remaining': '0',
            'anthropic-ratelimit-requests-reset': new Date(Date.now() + wait * 1000).toISOString(),
          },
        );
      }
      case 'quota':
        return this.error(
          400,
          'invalid_request_error',
          m ??
            'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
          ctx,
        );
      case 'server':
        return this.error(500, 'api_error', m ?? 'Internal server error', ctx);
      case 'overloaded':
        return this.error(529, 'overloaded_error', m ?? 'Overloaded', ctx);
      case 'timeout':
        return this.error(504, 'timeout_error', m ?? 'Request timed out', ctx);
    }
  }

  // ---- rendering ----

  private okHeaders(ctx: RequestContext): OutgoingHttpHeaders {
    return {
      'request-id': `req_fake${ctx.seq}`,
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-tokens-limit': '2000000',
      'anthropic-ratelimit-tokens-remaining': '1999000',
    };
  }

  private sseHeaders(ctx: RequestContext): OutgoingHttpHeaders {
    return {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...this.okHeaders(ctx),
    };
  }

  private modelCard(id: string) {
    return {
      type: 'model',
      id,
      display_name: id,
      created_at: '2025-01-01T00:00:00Z',
    };
  }

  private usage(plan: Plan, output: number): Record<string, unknown> {
    return {
      input_tokens: plan.usage.input,
      cache_creation_input_tokens: plan.usage.cacheWrite,
      cache_read_input_tokens: plan.usage.cacheRead,
      cache_creation: {
        ephemeral_5m_input_tokens: plan.usage.cacheWrite,
        ephemeral_1h_input_tokens: 0,
      },
      output_tokens: output,
      service_tier: 'standard',
    };
  }

  private message(ctx: RequestContext, model: string, plan: Plan): unknown {
    const content: unknown[] = [];
    if (plan.text !== '' || plan.toolCalls.length === 0)
      content.push({ type: 'text', text: plan.text });
    for (const c of plan.toolCalls)
      content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
    return {
      id: `msg_fake${ctx.seq}`,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: STOP[plan.finish],
      stop_sequence: null,
      stop_details: null,
      container: null,
      usage: this.usage(plan, plan.usage.output),
    };
  }

  private events(ctx: RequestContext, model: string, plan: Plan): string[] {
    const frames: string[] = [];
    frames.push(
      sse(
        'message_start',
        JSON.stringify({
          type: 'message_start',
          message: {
            id: `msg_fake${ctx.seq}`,
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            stop_details: null,
            container: null,
            usage: this.usage(plan, 1),
          },
        }),
      ),
    );
    let index = 0;
    let pinged = false;
    const ping = () => {
      if (!pinged) frames.push(sse('ping', '{"type": "ping"}'));
      pinged = true;
    };
    if (plan.text !== '' || plan.toolCalls.length === 0) {
      frames.push(
        sse(
          'content_block_start',
          `{"type":"content_block_start","index":${index},"content_block":{"type":"text","text":""}}`,
        ),
      );
      ping();
      const prefix = `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":`;
      for (const piece of plan.chunks)
        frames.push(sse('content_block_delta', `${prefix}${JSON.stringify(piece)}}}`));
      frames.push(sse('content_block_stop', `{"type":"content_block_stop","index":${index}}`));
      index += 1;
    }
    for (const call of plan.toolCalls) {
      frames.push(
        sse(
          'content_block_start',
          JSON.stringify({
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
          }),
        ),
      );
      ping();
      const prefix = `{"type":"content_block_delta","index":${index},"delta":{"type":"input_json_delta","partial_json":`;
      for (const piece of ['', ...splitFixed(call.argumentsJson)])
        frames.push(sse('content_block_delta', `${prefix}${JSON.stringify(piece)}}}`));
      frames.push(sse('content_block_stop', `{"type":"content_block_stop","index":${index}}`));
      index += 1;
    }
    frames.push(
      sse(
        'message_delta',
        JSON.stringify({
          type: 'message_delta',
          delta: { stop_reason: STOP[plan.finish], stop_sequence: null, stop_details: null },
          usage: {
            input_tokens: plan.usage.input,
            cache_creation_input_tokens: plan.usage.cacheWrite,
            cache_read_input_tokens: plan.usage.cacheRead,
            output_tokens: plan.usage.output,
          },
        }),
      ),
    );
    frames.push(sse('message_stop', '{"type":"message_stop"}'));
    return frames;
  }

  // ---- errors ----

  private error(
    status: number,
    type: string,
    message: string,
    ctx: RequestContext,
    headers: OutgoingHttpHeaders = {},
  ): ErrorResponse {
    const requestId = `req_fake${ctx.seq}`;
    return {
      status,
      headers: { 'content-type': 'application/json', 'request-id': requestId, ...headers },
      body: JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }),
    };
  }

  private contextLength(ctx: RequestContext, tokens: number, message?: string): ErrorResponse {
    return this.error(
      400,
      'invalid_request_error',
      message ?? `prompt is too long: ${tokens} tokens > ${this.contextWindow} maximum`,
      ctx,
    );
  }
}
