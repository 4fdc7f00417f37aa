import {
  context,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { FinishReason, TokenUsage } from '../providers/types.js';
import type { ModelSpec } from '../domain/types.js';

/**
 * Spans per the OpenTelemetry GenAI semantic conventions: one CLIENT span per provider attempt,
 * named `{gen_ai.operation.name} {gen_ai.request.model}`, with `gen_ai.*` attributes; the call
 * as a whole is an INTERNAL span around them carrying the router's own `ql.router.*` attributes
 * (attempts, cost, the selector as asked).
 */
const tracer = trace.getTracer('quantumlayer-router');

export type GenAiOperation = 'chat' | 'embeddings';

export interface RequestAttributes {
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  stream?: boolean;
}

/** A call's span, and the context its attempt spans are children of (only when it records). */
export interface CallSpan {
  span: Span;
  ctx: Context | undefined;
}

export type AttemptSpan = Span;

/** What attempts of a call that is not recorded get: nothing to make, nothing to end. */
const UNRECORDED: AttemptSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export function startCallSpan(
  operation: GenAiOperation,
  selector: string,
  parent: Context | undefined,
  attrs: { requestId: string; tenantId: string; generationId?: string | undefined },
): CallSpan {
  const base = parent ?? context.active();
  const span = tracer.startSpan(
    `router ${operation} ${selector || 'auto'}`,
    { kind: SpanKind.INTERNAL },
    base,
  );
  // Attributes and a child context only for a span that records them (none is recorded without
  // an exporter, or when the trace is not sampled).
  if (!span.isRecording()) return { span, ctx: undefined };
  span.setAttributes({
    'gen_ai.operation.name': operation,
    'ql.router.selector': selector || 'auto',
    'ql.router.request_id': attrs.requestId,
    'ql.tenant': attrs.tenantId,
    ...(attrs.generationId ? { 'ql.generation': attrs.generationId } : {}),
  });
  return { span, ctx: trace.setSpan(base, span) };
}

/** `gen_ai.provider.name` values of the conventions where they differ from our kind names. */
const PROVIDER_NAME: Partial<Record<ModelSpec['providerKind'], string>> = {
  bedrock: 'aws.bedrock',
};

/**
 * The attempt's span, a child of the call's. A call that is not recorded has attempts that are
 * not either (every standard sampler decides a trace's children as its root, parent-based or by
 * trace id), so none is made for them.
 */
export function startAttemptSpan(
  call: CallSpan,
  operation: GenAiOperation,
  model: ModelSpec,
  request: RequestAttributes,
): AttemptSpan {
  if (!call.ctx) return UNRECORDED;
  const span = tracer.startSpan(
    `${operation} ${model.modelId}`,
    { kind: SpanKind.CLIENT },
    call.ctx,
  );
  if (!span.isRecording()) return span;
  const attributes: Record<string, string | number | boolean> = {
    'gen_ai.operation.name': operation,
    'gen_ai.provider.name': PROVIDER_NAME[model.providerKind] ?? model.providerKind,
    // Older conventions' name of the same attribute, still what many backends group by.
    'gen_ai.system': PROVIDER_NAME[model.providerKind] ?? model.providerKind,
    'gen_ai.request.model': model.modelId,
    'ql.router.provider': model.provider,
  };
  if (request.maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = request.maxTokens;
  if (request.temperature !== undefined)
    attributes['gen_ai.request.temperature'] = request.temperature;
  if (request.topP !== undefined) attributes['gen_ai.request.top_p'] = request.topP;
  if (request.stream) attributes['gen_ai.request.stream'] = true;
  span.setAttributes(attributes);
  return span;
}

export function endAttemptSpan(
  span: Span,
  outcome: {
    usage?: TokenUsage;
    finishReason?: FinishReason;
    responseModel?: string | undefined;
    ttftMs?: number;
    error?: { type: string; message: string };
  },
): void {
  if (!span.isRecording()) {
    span.end();
    return;
  }
  if (outcome.usage) {
    span.setAttribute('gen_ai.usage.input_tokens', outcome.usage.inputTokens);
    span.setAttribute('gen_ai.usage.output_tokens', outcome.usage.outputTokens);
  }
  if (outcome.finishReason)
    span.setAttribute('gen_ai.response.finish_reasons', [outcome.finishReason]);
  if (outcome.responseModel) span.setAttribute('gen_ai.response.model', outcome.responseModel);
  if (outcome.ttftMs !== undefined)
    span.setAttribute('ql.router.time_to_first_token_ms', outcome.ttftMs);
  if (outcome.error) {
    span.setAttribute('error.type', outcome.error.type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
  }
  span.end();
}

export function endCallSpan(
  span: Span,
  outcome: {
    model?: string;
    attempts: number;
    costMicros: number;
    outcome: string;
    error?: string;
  },
): void {
  if (!span.isRecording()) {
    span.end();
    return;
  }
  if (outcome.model) span.setAttribute('ql.router.model', outcome.model);
  span.setAttribute('ql.router.attempts', outcome.attempts);
  span.setAttribute('ql.router.cost_usd', outcome.costMicros / 1_000_000);
  span.setAttribute('ql.router.outcome', outcome.outcome);
  if (outcome.error) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
  span.end();
}
