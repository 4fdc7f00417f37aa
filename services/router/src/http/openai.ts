import type { ServerResponse } from 'node:http';
import { extractTraceContext } from '@quantumlayer/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
import type { CallContext, CallStats, ChatCall, Constraints, Policy } from '../domain/types.js';
import type { RouterEngine } from '../engine/engine.js';
import type { ChatMessage, ContentPart, ResponseFormat, ToolChoice } from '../providers/types.js';
import { ClientGone } from './client-gone.js';
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
}

interface OpenAIError {
  status: number;
  type: string;
  code: string | null;
  param: string | null;
  message: string;
}

const POLICIES = new Set<Policy>(['cost', 'speed', 'quality', 'balanced']);

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

function numberHeader(req: FastifyRequest, name: string, min: number): number | undefined {
  const raw = header(req, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new InvalidRequestError(name, `expected a number ≥ ${min}, got "${raw}"`);
  return n;
}

function contextFrom(req: FastifyRequest, defaultTenant: string): CallContext {
  const budgetUsd = numberHeader(req, 'x-ql-generation-budget-usd', 0);
  return {
    tenantId: header(req, 'x-ql-tenant-id') ?? defaultTenant,
    generationId: header(req, 'x-ql-generation-id'),
    requestId: header(req, 'x-ql-request-id'),
    caller: header(req, 'x-ql-caller'),
    stepId: header(req, 'x-ql-step-id'),
    generationBudgetMicros: budgetUsd === undefined ? undefined : Math.round(budgetUsd * 1_000_000),
  };
}

function policyFrom(req: FastifyRequest): Policy | undefined {
  const raw = header(req, 'x-ql-policy');
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
  req: FastifyRequest,
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

  const maxCostUsd = numberHeader(req, 'x-ql-max-cost-usd', 0);
  const constraints: Constraints = {
    maxCostMicros: maxCostUsd === undefined ? undefined : Math.round(maxCostUsd * 1_000_000),
    maxAttempts: numberHeader(req, 'x-ql-max-attempts', 1),
    minQuality: numberHeader(req, 'x-ql-min-quality', 0),
  };
  const fallbackHeader = header(req, 'x-ql-fallback-models');
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
    policy: policyFrom(req),
    constraints,
    context: contextFrom(req, defaultTenant),
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

function traceOf(req: FastifyRequest) {
  return req.headers.traceparent
    ? extractTraceContext(req.headers as Record<string, string | undefined>)
    : undefined;
}

/** Registers `/v1/chat/completions`, `/v1/embeddings` and `/v1/models` on `app`. */
export function registerOpenAIRoutes(
  app: FastifyInstance,
  engine: RouterEngine,
  options: OpenAIRoutesOptions,
): void {
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

    scope.post('/v1/chat/completions', routeOptions, async (req, reply) => {
      const body = chatCompletionBody.parse(req.body);
      const call = chatCallFromBody(body, req, options.defaultTenant);
      if (body.stream)
        return streamChat(req, reply, engine, call, body.stream_options?.include_usage === true);
      const gone = new ClientGone();
      const onClose = () => {
        if (!reply.raw.writableEnded) gone.abort(new Error('client closed the connection'));
      };
      reply.raw.once('close', onClose);
      const r = await engine.complete(call, {
        api: 'http',
        signal: gone,
        traceContext: traceOf(req),
      });
      reply.raw.removeListener('close', onClose);
      const message: Record<string, unknown> = {
        role: 'assistant',
        content: r.text || (r.toolCalls.length ? null : ''),
        refusal: null,
      };
      if (r.toolCalls.length) {
        message.tool_calls = r.toolCalls.map((t) => ({
          id: t.id,
          type: 'function',
          function: { name: t.name, arguments: t.argumentsJson },
        }));
      }
      void reply.headers({
        ...statsHeaders(r.stats),
        'x-ql-cost-usd': usdString(r.stats.costMicros),
        'content-type': 'application/json',
      });
      return JSON.stringify({
        id: `chatcmpl-${r.stats.requestId}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: r.stats.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: r.finishReason }],
        usage: usageOf(r.stats),
        system_fingerprint: null,
      });
    });

    scope.post('/v1/embeddings', routeOptions, async (req, reply) => {
      const body = embeddingsBody.parse(req.body);
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      const gone = new ClientGone();
      reply.raw.once('close', () => {
        if (!reply.raw.writableEnded) gone.abort(new Error('client closed the connection'));
      });
      const r = await engine.embed(
        {
          selector: body.model,
          inputs,
          dimensions: body.dimensions,
          policy: policyFrom(req),
          context: contextFrom(req, options.defaultTenant),
        },
        { api: 'http', signal: gone, traceContext: traceOf(req) },
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

/**
 * Server-sent events in the Chat Completions chunk format. Headers (with the model the router
 * committed to) go out with the first token; an error before that is an ordinary JSON error
 * response, an error after it an `error` event ending the stream.
 */
async function streamChat(
  req: FastifyRequest,
  reply: FastifyReply,
  engine: RouterEngine,
  call: ChatCall,
  includeUsage: boolean,
): Promise<void> {
  const gone = new ClientGone();
  const res: ServerResponse = reply.raw;
  const onClose = () => {
    if (!res.writableEnded) gone.abort(new Error('client closed the connection'));
  };
  res.once('close', onClose);
  const stream = engine.stream(call, {
    api: 'http',
    signal: gone,
    traceContext: traceOf(req),
  });
  // Throws before anything is sent: fastify's error handler answers with the JSON error.
  const first = await stream.next();
  reply.hijack();
  if (first.done || first.value.type !== 'start') {
    res.writeHead(500, { 'content-type': 'application/json' }).end(
      errorBody({
        status: 500,
        type: 'api_error',
        code: 'internal_error',
        param: null,
        message: 'stream ended early',
      }),
    );
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
    const e = toOpenAIError(err);
    if (!(err instanceof CancelledError)) req.log.warn({ err }, 'stream failed after it started');
    if (!res.writableEnded && !res.destroyed) {
      res.end(`data: ${errorBody(e)}\n\n`);
    }
  } finally {
    res.removeListener('close', onClose);
  }
}
