import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { extractTraceContext, type Logger } from '@quantumlayer/kit';
import type { FastifyInstance } from 'fastify';
import { ZodError, type z } from 'zod';
import { formatPath } from '../config.js';
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  DependencyUnavailableError,
  InvalidRequestError,
  NoCandidateError,
  UnknownModelError,
} from '../domain/errors.js';
import type {
  CallContext,
  CallStats,
  ChatCall,
  CompletionResult,
  Constraints,
  Policy,
  StreamOutput,
} from '../domain/types.js';
import { CancelSignal } from '../engine/cancel.js';
import type { RouterEngine } from '../engine/engine.js';
import type { ChatMessage, ContentPart, ResponseFormat, ToolChoice } from '../providers/types.js';
import { takeChatCompletions } from './fast-path.js';
import { lazyChildLogger } from './lazy-logger.js';
import { chatCompletionBody, embeddingsBody, type ChatCompletionBody } from './schema.js';

/**
 * The OpenAI-compatible HTTP API on the service's fastify: any OpenAI SDK pointed at
 * `http://router/v1` works. Routing extras travel in `x-ql-*` headers so the body stays the
 * OpenAI shape; what the router did comes back in `x-ql-*` response headers (and, for streams,
 * in the final chunk, since headers leave before the answer is known).
 */

export interface OpenAIRoutesOptions {
  defaultTenant: string;
  bodyLimit: number;
  /** Where failures of the chat endpoint are logged (default: fastify's request logger). */
  logger?: Pick<Logger, 'error' | 'warn'>;
}

interface OpenAIError {
  status: number;
  type: string;
  code: string | null;
  param: string | null;
  message: string;
}

const POLICIES = new Set<Policy>(['cost', 'speed', 'quality', 'balanced']);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

function numberHeader(headers: IncomingHttpHeaders, name: string, min: number): number | undefined {
  const raw = header(headers, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new InvalidRequestError(name, `expected a number ≥ ${min}, got "${raw}"`);
  return n;
}

function contextFrom(headers: IncomingHttpHeaders, defaultTenant: string): CallContext {
  const budgetUsd = numberHeader(headers, 'x-ql-generation-budget-usd', 0);
  return {
    tenantId: header(headers, 'x-ql-tenant-id') ?? defaultTenant,
    generationId: header(headers, 'x-ql-generation-id'),
    requestId: header(headers, 'x-ql-request-id'),
    caller: header(headers, 'x-ql-caller'),
    stepId: header(headers, 'x-ql-step-id'),
    generationBudgetMicros: budgetUsd === undefined ? undefined : Math.round(budgetUsd * 1_000_000),
  };
}

function policyFrom(headers: IncomingHttpHeaders): Policy | undefined {
  const raw = header(headers, 'x-ql-policy');
  if (raw === undefined) return undefined;
  const p = raw.toLowerCase() as Policy;
  if (!POLICIES.has(p))
    throw new InvalidRequestError(
      'x-ql-policy',
      `expected cost, speed, quality or balanced, got "${raw}"`,
    );
  return p;
}

function contentOf(
  c: z.infer<typeof chatCompletionBody>['messages'][number]['content'],
): ContentPart[] {
  if (c === null || c === undefined) return [];
  if (typeof c === 'string') return [{ type: 'text', text: c }];
  return c.map((p) =>
    p.type === 'text'
      ? { type: 'text', text: p.text }
      : {
          type: 'image_url',
          url: p.image_url.url,
          ...(p.image_url.detail ? { detail: p.image_url.detail } : {}),
        },
  );
}

export function chatCallFromBody(
  body: ChatCompletionBody,
  headers: IncomingHttpHeaders,
  defaultTenant: string,
): ChatCall {
  const messages: ChatMessage[] = body.messages.map((m, i) => {
    const content = contentOf(m.content);
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content, ...(m.name ? { name: m.name } : {}) };
      case 'user':
        if (content.length === 0)
          throw new InvalidRequestError(`messages[${i}].content`, 'must not be empty');
        return { role: 'user', content, ...(m.name ? { name: m.name } : {}) };
      case 'assistant':
        return {
          role: 'assistant',
          content,
          ...(m.name ? { name: m.name } : {}),
          ...(m.tool_calls?.length
            ? {
                toolCalls: m.tool_calls.map((t) => ({
                  id: t.id,
                  name: t.function.name,
                  argumentsJson: t.function.arguments,
                })),
              }
            : {}),
        };
      case 'tool':
        return { role: 'tool', content, toolCallId: m.tool_call_id };
    }
  });
  const names = new Set(body.tools?.map((t) => t.function.name));
  let toolChoice: ToolChoice | undefined;
  if (typeof body.tool_choice === 'string') toolChoice = body.tool_choice;
  else if (body.tool_choice) {
    if (!names.has(body.tool_choice.function.name)) {
      throw new InvalidRequestError(
        'tool_choice.function.name',
        `names no tool of tools ("${body.tool_choice.function.name}")`,
      );
    }
    toolChoice = { name: body.tool_choice.function.name };
  }
  let responseFormat: ResponseFormat | undefined;
  const rf = body.response_format;
  if (rf?.type === 'json_schema') {
    responseFormat = {
      type: 'json_schema',
      name: rf.json_schema.name,
      ...(rf.json_schema.description ? { description: rf.json_schema.description } : {}),
      schema: rf.json_schema.schema ?? { type: 'object' },
      ...(rf.json_schema.strict ? { strict: true } : {}),
    };
  } else if (rf) responseFormat = { type: rf.type };

  const maxCostUsd = numberHeader(headers, 'x-ql-max-cost-usd', 0);
  const constraints: Constraints = {
    maxCostMicros: maxCostUsd === undefined ? undefined : Math.round(maxCostUsd * 1_000_000),
    maxAttempts: numberHeader(headers, 'x-ql-max-attempts', 1),
    minQuality: numberHeader(headers, 'x-ql-min-quality', 0),
  };
  const fallbackHeader = header(headers, 'x-ql-fallback-models');
  return {
    selector: body.model,
    messages,
    tools: body.tools?.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      parameters: t.function.parameters ?? { type: 'object', properties: {} },
      ...(t.function.strict ? { strict: true } : {}),
    })),
    toolChoice,
    responseFormat,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    stop:
      body.stop === null || body.stop === undefined
        ? undefined
        : typeof body.stop === 'string'
          ? [body.stop]
          : body.stop,
    seed: body.seed ?? undefined,
    policy: policyFrom(headers),
    constraints,
    context: contextFrom(headers, defaultTenant),
    fallbackModels:
      body.fallback_models ??
      (fallbackHeader
        ? fallbackHeader
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined),
  };
}

export function toOpenAIError(err: unknown): OpenAIError {
  if (err instanceof ZodError) {
    const issue = err.issues[0]!;
    const param = formatPath(issue.path);
    return {
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_value',
      param,
      message: `${param}: ${issue.message}`,
    };
  }
  if (err instanceof InvalidRequestError) {
    return {
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_value',
      param: err.field,
      message: err.message,
    };
  }
  if (err instanceof UnknownModelError) {
    return {
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: err.field,
      message: err.message,
    };
  }
  if (err instanceof NoCandidateError) {
    return {
      status: 400,
      type: 'invalid_request_error',
      code: 'no_candidate_model',
      param: 'model',
      message: err.message,
    };
  }
  if (err instanceof BudgetExceededError) {
    return {
      status: 402,
      type: 'insufficient_quota',
      code: 'budget_exceeded',
      param: null,
      message: err.message,
    };
  }
  if (err instanceof AllCandidatesFailedError) {
    if (err.callerFault) {
      const tooLong = err.attempts.some((a) => a.errorCode === 'context_too_long');
      return {
        status: 400,
        type: 'invalid_request_error',
        code: tooLong ? 'context_length_exceeded' : 'upstream_rejected',
        param: null,
        message: err.message,
      };
    }
    if (err.outcome === 'rate_limited') {
      return {
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        param: null,
        message: err.message,
      };
    }
    if (err.outcome === 'timed_out')
      return {
        status: 504,
        type: 'timeout_error',
        code: 'timeout',
        param: null,
        message: err.message,
      };
    return {
      status: 503,
      type: 'api_error',
      code: 'all_candidates_failed',
      param: null,
      message: err.message,
    };
  }
  if (err instanceof DependencyUnavailableError) {
    return {
      status: 503,
      type: 'api_error',
      code: 'dependency_unavailable',
      param: null,
      message: err.message,
    };
  }
  if (err instanceof CancelledError) {
    return { status: 499, type: 'api_error', code: 'cancelled', param: null, message: err.message };
  }
  const fastifyErr = err as { statusCode?: number; message?: string; code?: string };
  if (typeof fastifyErr.statusCode === 'number' && fastifyErr.statusCode < 500) {
    return {
      status: fastifyErr.statusCode,
      type: 'invalid_request_error',
      code: fastifyErr.code ?? null,
      param: null,
      message: fastifyErr.message ?? 'bad request',
    };
  }
  return {
    status: 500,
    type: 'api_error',
    code: 'internal_error',
    param: null,
    message: 'internal error',
  };
}

function errorBody(e: OpenAIError): string {
  return JSON.stringify({
    error: { message: e.message, type: e.type, param: e.param, code: e.code },
  });
}

function statsHeaders(
  stats: Pick<CallStats, 'provider' | 'model' | 'attemptCount' | 'requestId'>,
): Record<string, string> {
  return {
    'x-ql-provider': stats.provider,
    'x-ql-model': stats.model,
    'x-ql-attempts': String(stats.attemptCount),
    'x-ql-request-id': stats.requestId,
  };
}

function usdString(micros: number): string {
  return (micros / 1_000_000).toFixed(6);
}

function usageOf(stats: CallStats) {
  return {
    prompt_tokens: stats.usage.inputTokens,
    completion_tokens: stats.usage.outputTokens,
    total_tokens: stats.usage.inputTokens + stats.usage.outputTokens,
    ...(stats.usage.cachedInputTokens
      ? { prompt_tokens_details: { cached_tokens: stats.usage.cachedInputTokens } }
      : {}),
  };
}

function traceOf(headers: IncomingHttpHeaders) {
  return headers.traceparent
    ? extractTraceContext(headers as Record<string, string | undefined>)
    : undefined;
}

/** Registers `/v1/chat/completions`, `/v1/embeddings` and `/v1/models` on `app`. */
export function registerOpenAIRoutes(
  app: FastifyInstance,
  engine: RouterEngine,
  options: OpenAIRoutesOptions,
): void {
  const chat = chatHandler(engine, options);
  takeChatCompletions(app.server, chat, {
    bodyLimit: options.bodyLimit,
    logger: options.logger ?? app.log,
  });
  void app.register(async (scope) => {
    // req.log is made on its first line written, not for every call (see lazy-logger.ts).
    scope.setChildLoggerFactory(lazyChildLogger);
    scope.setErrorHandler((err, req, reply) => {
      const e = toOpenAIError(err);
      if (e.code === 'internal_error') req.log.error({ err }, 'request failed');
      void reply.code(e.status).header('content-type', 'application/json').send(errorBody(e));
    });
    scope.setNotFoundHandler((req, reply) => {
      void reply
        .code(404)
        .header('content-type', 'application/json')
        .send(
          errorBody({
            status: 404,
            type: 'invalid_request_error',
            code: 'unknown_url',
            param: null,
            message: `no route ${req.method} ${req.url}`,
          }),
        );
    });

    // Per-request log lines at info would cost more than the rest of the hop; failures still log.
    const routeOptions = { logLevel: 'warn' as const, bodyLimit: options.bodyLimit };

    // The real server's chat requests are taken before fastify (fast-path.ts); this route serves
    // the rest (inject, bodies fastify's parser had to refuse first) with the same code.
    scope.post('/v1/chat/completions', routeOptions, async (req, reply) => {
      reply.hijack();
      await chat(req.headers, req.body, reply.raw, req.log);
    });

    scope.post('/v1/embeddings', routeOptions, async (req, reply) => {
      const body = embeddingsBody.parse(req.body);
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      const gone = new CancelSignal();
      reply.raw.once('close', () => {
        if (!reply.raw.writableEnded) gone.abort(new Error('client closed the connection'));
      });
      const r = await engine.embed(
        {
          selector: body.model,
          inputs,
          dimensions: body.dimensions,
          policy: policyFrom(req.headers),
          context: contextFrom(req.headers, options.defaultTenant),
        },
        { api: 'http', signal: gone, traceContext: traceOf(req.headers) },
      );
      const base64 = body.encoding_format === 'base64';
      void reply.headers({
        ...statsHeaders(r.stats),
        'x-ql-cost-usd': usdString(r.stats.costMicros),
        'content-type': 'application/json',
      });
      return JSON.stringify({
        object: 'list',
        data: r.vectors.map((v, index) => ({
          object: 'embedding',
          index,
          embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
        })),
        model: r.stats.model,
        usage: {
          prompt_tokens: r.stats.usage.inputTokens,
          total_tokens: r.stats.usage.inputTokens,
        },
      });
    });

    scope.get('/v1/models', { logLevel: 'warn' }, async () => {
      const data: { id: string; object: 'model'; created: number; owned_by: string }[] = [];
      for (const m of engine.catalog.models) {
        if (engine.health(m).available)
          data.push({ id: m.id, object: 'model', created: 0, owned_by: m.provider });
      }
      for (const a of engine.catalog.aliases)
        data.push({ id: a.name, object: 'model', created: 0, owned_by: 'quantumlayer-router' });
      data.push({ id: 'auto', object: 'model', created: 0, owned_by: 'quantumlayer-router' });
      return { object: 'list', data };
    });
  });
}

export type ChatLog = Pick<Logger, 'error' | 'warn'>;

/** Answers with an OpenAI-shaped error (nothing sent yet) or ends a started stream with one. */
export function sendError(res: ServerResponse, err: unknown, log: ChatLog): void {
  const e = toOpenAIError(err);
  if (e.code === 'internal_error') log.error({ err }, 'request failed');
  if (res.writableEnded || res.destroyed) return;
  const body = errorBody(e);
  if (res.headersSent) {
    res.end(`data: ${body}\n\n`);
    return;
  }
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * `POST /v1/chat/completions` once its JSON body is parsed: validation, the engine, the answer
 * (JSON or server-sent events) written straight to the response. Shared by the fast path in
 * front of fastify and the fastify route; never throws (failures are answered).
 */
export type ChatHandler = (
  headers: IncomingHttpHeaders,
  json: unknown,
  res: ServerResponse,
  log?: ChatLog,
) => Promise<void>;

export function chatHandler(engine: RouterEngine, options: OpenAIRoutesOptions): ChatHandler {
  const { defaultTenant } = options;
  return async (headers, json, res, requestLog) => {
    const log = options.logger ?? requestLog!;
    let call: ChatCall;
    let body: ChatCompletionBody;
    try {
      body = chatCompletionBody.parse(json);
      call = chatCallFromBody(body, headers, defaultTenant);
    } catch (err) {
      sendError(res, err, log);
      return;
    }
    const gone = new CancelSignal();
    const onClose = () => {
      if (!res.writableEnded) gone.abort(new Error('client closed the connection'));
    };
    res.once('close', onClose);
    const callOptions = { api: 'http' as const, signal: gone, traceContext: traceOf(headers) };
    try {
      if (body.stream) {
        await streamChat(res, engine.stream(call, callOptions), body, log);
        return;
      }
      const r = await engine.complete(call, callOptions);
      writeCompletion(res, r);
    } catch (err) {
      sendError(res, err, log);
    } finally {
      res.removeListener('close', onClose);
    }
  };
}

/** A whole answer: the Chat Completions object, written in one piece with its headers. */
function writeCompletion(res: ServerResponse, r: CompletionResult): void {
  const s = r.stats;
  let message: string;
  if (r.toolCalls.length) {
    const calls = JSON.stringify(
      r.toolCalls.map((t) => ({
        id: t.id,
        type: 'function',
        function: { name: t.name, arguments: t.argumentsJson },
      })),
    );
    message = `{"role":"assistant","content":${r.text ? JSON.stringify(r.text) : 'null'},"refusal":null,"tool_calls":${calls}}`;
  } else {
    message = `{"role":"assistant","content":${JSON.stringify(r.text)},"refusal":null}`;
  }
  // The same fields, in the same order, as JSON.stringify of the object would give.
  const body = `{"id":${JSON.stringify(`chatcmpl-${s.requestId}`)},"object":"chat.completion","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(s.model)},"choices":[{"index":0,"message":${message},"logprobs":null,"finish_reason":${JSON.stringify(r.finishReason)}}],"usage":${JSON.stringify(usageOf(s))},"system_fingerprint":null}`;
  res.writeHead(200, [
    'x-ql-provider',
    s.provider,
    'x-ql-model',
    s.model,
    'x-ql-attempts',
    String(s.attemptCount),
    'x-ql-request-id',
    s.requestId,
    'x-ql-cost-usd',
    usdString(s.costMicros),
    'content-type',
    'application/json',
    'content-length',
    String(Buffer.byteLength(body)),
  ]);
  res.end(body);
}

/**
 * Server-sent events in the Chat Completions chunk format. Headers (with the model the router
 * committed to) go out with the first token; an error before that is an ordinary JSON error
 * response, an error after it an `error` event ending the stream.
 */
async function streamChat(
  res: ServerResponse,
  stream: AsyncGenerator<StreamOutput, void, undefined>,
  body: ChatCompletionBody,
  log: ChatLog,
): Promise<void> {
  const includeUsage = body.stream_options?.include_usage === true;
  // Throws before anything is sent: answered as a JSON error.
  const first = await stream.next();
  if (first.done || first.value.type !== 'start') {
    sendError(res, new Error('stream ended early'), log);
    return;
  }
  const start = first.value;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...statsHeaders({
      provider: start.provider,
      model: start.model,
      attemptCount: start.attemptCount,
      requestId: start.requestId,
    }),
  });
  const id = `chatcmpl-${start.requestId}`;
  const created = Math.floor(Date.now() / 1000);
  const model = start.model;
  // The chunk envelope is the same every time; only the choices part varies.
  const prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":`;
  // No explicit cork: node:http already corks the socket for the rest of the tick on a write,
  // and on Node ≥ 21 an `end` while the response is corked sends the terminating chunk before
  // the corked data.
  const send = (choices: string, extra = ''): void => {
    res.write(`${prefix}${choices}${extra}}\n\n`);
  };
  send(
    '[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]',
  );
  const started = new Set<number>();
  try {
    for await (const ev of stream) {
      if (ev.type === 'text') {
        send(
          `[{"index":0,"delta":{"content":${JSON.stringify(ev.text)}},"logprobs":null,"finish_reason":null}]`,
        );
      } else if (ev.type === 'tool_call') {
        const fn: Record<string, string> = { arguments: ev.argumentsDelta };
        const delta: Record<string, unknown> = { index: ev.index, function: fn };
        if (!started.has(ev.index)) {
          started.add(ev.index);
          delta.id = ev.id ?? `call_${ev.index}`;
          delta.type = 'function';
          fn.name = ev.name ?? '';
        }
        send(
          `[{"index":0,"delta":{"tool_calls":[${JSON.stringify(delta)}]},"logprobs":null,"finish_reason":null}]`,
        );
      } else if (ev.type === 'end') {
        const usage = JSON.stringify(usageOf(ev.stats));
        const ql = JSON.stringify({
          request_id: ev.stats.requestId,
          provider: ev.stats.provider,
          model: ev.stats.model,
          attempts: ev.stats.attemptCount,
          cost_usd: usdString(ev.stats.costMicros),
          time_to_first_token_ms: ev.stats.timeToFirstTokenMs,
        });
        const finish = `[{"index":0,"delta":{},"logprobs":null,"finish_reason":${JSON.stringify(ev.finishReason)}}]`;
        if (includeUsage) {
          // OpenAI's own shape when asked: usage in one more chunk with no choices.
          send(finish);
          send('[]', `,"usage":${usage},"x_ql":${ql}`);
        } else {
          send(finish, `,"usage":${usage},"x_ql":${ql}`);
        }
      }
    }
    res.end('data: [DONE]\n\n');
  } catch (err) {
    if (!(err instanceof CancelledError)) log.warn({ err }, 'stream failed after it started');
    if (!res.writableEnded && !res.destroyed) res.end(`data: ${errorBody(toOpenAIError(err))}\n\n`);
  }
}
