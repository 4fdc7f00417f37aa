// Ollama native API. Wire format per Ollama's API docs: /api/chat answers one JSON object, or
// NDJSON lines (application/x-ndjson) ending with a `done: true` line that carries
// done_reason, token counts and durations in nanoseconds; errors are `{ "error": "..." }`.
import type { OutgoingHttpHeaders } from 'node:http';
import type { ChatInput, Plan } from './core/plan.js';
import {
  FakeProviderServer,
  type ErrorResponse,
  type RequestContext,
  type RouteDecision,
} from './core/server.js';
import { embedText, estimateTokens } from './core/text.js';
import type { CommonOptions, ErrorKind, FailSpec, FinishReason } from './core/types.js';

export interface OllamaFakeOptions extends CommonOptions {
  /** When set, `Authorization: Bearer <apiKey>` is required (Ollama behind a proxy, or cloud). */
  apiKey?: string;
  /** Reported by GET /api/version. */
  version?: string;
}

const DONE: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'stop',
  stop_sequence: 'stop',
  content_filter: 'stop',
};

const ERRORS: Record<ErrorKind, { status: number; message: (model: string) => string }> = {
  invalid_request: { status: 400, message: () => 'invalid request' },
  context_length: {
    status: 400,
    message: () => 'the input length exceeds the context length',
  },
  auth: { status: 401, message: () => 'unauthorized' },
  permission: { status: 403, message: () => 'forbidden' },
  not_found: {
    status: 404,
    message: (m) => `model "${m}" not found, try pulling it first`,
  },
  rate_limit: { status: 429, message: () => 'too many requests' },
  quota: { status: 429, message: () => 'usage limit reached' },
  server: { status: 500, message: () => 'llama runner process has terminated: exit status 2' },
  overloaded: {
    status: 503,
    message: () => 'server busy, please try again.  maximum pending requests exceeded',
  },
  timeout: { status: 500, message: () => 'timed out waiting for llama runner to start' },
};

// Deterministic stand-ins for Ollama's timings (nanoseconds).
const LOAD_NS = 1_000_000;
const PROMPT_NS_PER_TOKEN = 100_000;
const EVAL_NS_PER_TOKEN = 1_000_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface OllamaMessage {
  role?: string;
  content?: unknown;
  tool_calls?: { function?: { name?: string; arguments?: unknown } }[];
}

export class OllamaFake extends FakeProviderServer {
  readonly family = 'ollama' as const;
  private readonly opts: OllamaFakeOptions;

  constructor(options: OllamaFakeOptions = {}) {
    super(options);
    this.opts = options;
  }

  protected decide(ctx: RequestContext): RouteDecision | undefined {
    const { method, path } = ctx;
    if (method === 'POST' && path === '/api/chat') return this.decideChat(ctx);
    if (method === 'POST' && (path === '/api/embed' || path === '/api/embeddings'))
      return this.decideEmbed(ctx, path === '/api/embeddings');
    if (method === 'GET' && path === '/api/tags') {
      return {
        route: 'models',
        handle: async (c, b) => {
          if (await this.handleFailure(c, b)) return;
          await this.sendJson(c, { models: this.models.map((m) => this.tag(m)) }, b);
        },
      };
    }
    if (method === 'GET' && path === '/api/version') {
      return {
        route: 'other',
        handle: async (c, b) => {
          if (await this.handleFailure(c, b)) return;
          await this.sendJson(c, { version: this.opts.version ?? '0.12.0' }, b);
        },
      };
    }
    if ((method === 'GET' || method === 'HEAD') && path === '/') {
      return {
        route: 'other',
        handle: (c) => {
          c.res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          if (method === 'HEAD') c.res.end();
          else c.res.end('Ollama is running');
        },
      };
    }
    return undefined;
  }

  private resolveModel(name: string): string {
    // Ollama treats "llama3.2" and "llama3.2:latest" as the same model.
    return name.includes(':') ? name : `${name}:latest`;
  }

  private known(model: string): boolean {
    return (
      !this.options.strictModels ||
      this.models.includes(model) ||
      this.models.includes(this.resolveModel(model))
    );
  }

  private decideChat(ctx: RequestContext): RouteDecision {
    const body = isRecord(ctx.body) ? ctx.body : {};
    const model = typeof body.model === 'string' ? body.model : undefined;
    // Ollama streams unless told otherwise.
    const stream = body.stream !== false;
    const messages = Array.isArray(body.messages) ? (body.messages as OllamaMessage[]) : [];
    let reject: ErrorResponse | undefined;
    if (ctx.badJson || !isRecord(ctx.body))
      reject = this.error(400, 'invalid character in request body');
    else if (!model) reject = this.error(400, 'model is required');
    else if (!this.known(model)) reject = this.errorFor('not_found', {}, ctx);

    const parts: string[] = [];
    for (const m of messages) {
      if (typeof m !== 'object' || m === null) continue;
      if (typeof m.content === 'string') parts.push(m.content);
      for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : [])
        parts.push(`${call.function?.name ?? ''}${JSON.stringify(call.function?.arguments ?? {})}`);
    }
    if (Array.isArray(body.tools)) parts.push(JSON.stringify(body.tools));
    const promptText = parts.filter((p) => p !== '').join('\n');
    const last = messages[messages.length - 1];
    const input: ChatInput = {
      model: model ?? '',
      stream,
      lastText: isRecord(last) && typeof last.content === 'string' ? last.content : '',
      promptText,
    };
    const options = isRecord(body.options) ? body.options : {};
    if (typeof options.num_predict === 'number' && options.num_predict >= 0)
      input.maxTokens = options.num_predict;
    if (body.format === 'json') input.json = { mode: 'object' };
    else if (isRecord(body.format)) input.json = { mode: 'schema', schema: body.format };
    // Ollama truncates prompts to num_ctx rather than failing; the fake fails instead so
    // the router's context handling can be exercised the same way on every family.
    const numCtx = typeof options.num_ctx === 'number' ? options.num_ctx : this.contextWindow;
    if (!reject && estimateTokens(promptText) > numCtx)
      reject = this.errorFor('context_length', {}, ctx);

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
            json: (plan) => this.final(input.model, plan, true),
            stream: (plan) => ({
              headers: { 'content-type': 'application/x-ndjson' },
              frames: this.lines(input.model, plan),
            }),
            streamError: (kind, message) => {
              const e = ERRORS[kind];
              return `${JSON.stringify({ error: message ?? e.message(input.model) })}\n`;
            },
          },
          (i) => `call_fake${c.seq}_${i}`,
        ),
    };
  }

  private decideEmbed(ctx: RequestContext, legacy: boolean): RouteDecision {
    const body = isRecord(ctx.body) ? ctx.body : {};
    const model = typeof body.model === 'string' ? body.model : undefined;
    const raw = legacy ? body.prompt : body.input;
    const inputs =
      typeof raw === 'string'
        ? [raw]
        : Array.isArray(raw) && raw.every((x) => typeof x === 'string')
          ? (raw as string[])
          : undefined;
    let reject: ErrorResponse | undefined;
    if (ctx.badJson || !isRecord(ctx.body))
      reject = this.error(400, 'invalid character in request body');
    else if (!model) reject = this.error(400, 'model is required');
    else if (!inputs) reject = this.error(400, 'invalid input type');
    else if (!this.known(model)) reject = this.errorFor('not_found', {}, ctx);
    const dims = typeof body.dimensions === 'number' ? body.dimensions : this.embeddingDimensions;
    return {
      route: 'embeddings',
      ...(model !== undefined ? { model } : {}),
      ...(reject ? { reject } : {}),
      handle: async (c, b) => {
        if (await this.handleFailure(c, b)) return;
        const list = inputs ?? [];
        const tokens = list.reduce((n, s) => n + estimateTokens(s), 0);
        const payload = legacy
          ? { embedding: embedText(list[0] ?? '', dims) }
          : {
              model,
              embeddings: list.map((s) => embedText(s, dims)),
              total_duration: LOAD_NS + tokens * PROMPT_NS_PER_TOKEN,
              load_duration: LOAD_NS,
              prompt_eval_count: tokens,
            };
        await this.sendJson(c, payload, b);
      },
    };
  }

  protected authorize(ctx: RequestContext): ErrorResponse | undefined {
    if (this.opts.apiKey === undefined) return undefined;
    const auth = ctx.req.headers.authorization;
    if (auth !== `Bearer ${this.opts.apiKey}`) return this.errorFor('auth', {}, ctx);
    return undefined;
  }

  protected notFoundRoute(): ErrorResponse {
    return {
      status: 404,
      headers: { 'content-type': 'text/plain' },
      body: '404 page not found',
    };
  }

  protected errorFor(kind: ErrorKind, spec: Partial<FailSpec>, ctx: RequestContext): ErrorResponse {
    const e = ERRORS[kind];
    const b = ctx.body;
    const model = isRecord(b) && typeof b.model === 'string' ? b.model : 'unknown';
    const headers: OutgoingHttpHeaders = {};
    if (spec.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(spec.retryAfterSeconds);
    return this.error(e.status, spec.message ?? e.message(model), headers);
  }

  // ---- rendering ----

  private tag(name: string) {
    const family = name.split(/[:.\d-]/)[0] || 'llama';
    return {
      name,
      model: name,
      modified_at: '2026-01-01T00:00:00.000000000Z',
      size: 2_019_393_189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: {
        parent_model: '',
        format: 'gguf',
        family,
        families: [family],
        parameter_size: '3.2B',
        quantization_level: 'Q4_K_M',
      },
    };
  }

  private toolCalls(plan: Plan) {
    return plan.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
  }

  private final(model: string, plan: Plan, withContent: boolean): Record<string, unknown> {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: withContent ? plan.text : '',
    };
    if (withContent && plan.toolCalls.length > 0) message.tool_calls = this.toolCalls(plan);
    const promptNs = plan.usage.input * PROMPT_NS_PER_TOKEN;
    const evalNs = plan.usage.output * EVAL_NS_PER_TOKEN;
    return {
      model,
      created_at: new Date().toISOString(),
      message,
      done: true,
      done_reason: DONE[plan.finish],
      total_duration: LOAD_NS + promptNs + evalNs,
      load_duration: LOAD_NS,
      prompt_eval_count: plan.usage.input,
      prompt_eval_duration: promptNs,
      eval_count: plan.usage.output,
      eval_duration: evalNs,
    };
  }

  private lines(model: string, plan: Plan): string[] {
    const createdAt = new Date().toISOString();
    const head = `{"model":${JSON.stringify(model)},"created_at":"${createdAt}","message":{"role":"assistant","content":`;
    const frames = plan.chunks.map((piece) => `${head}${JSON.stringify(piece)}},"done":false}\n`);
    if (plan.toolCalls.length > 0) {
      frames.push(
        `${head}"","tool_calls":${JSON.stringify(this.toolCalls(plan))}},"done":false}\n`,
      );
    }
    frames.push(`${JSON.stringify(this.final(model, plan, false))}\n`);
    return frames;
  }

  private error(status: number, message: string, headers: OutgoingHttpHeaders = {}): ErrorResponse {
    return {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body: JSON.stringify({ error: message }),
    };
  }
}
