import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AttemptOutcome as PbAttemptOutcome,
  BreakerState as PbBreakerState,
  FinishReason as PbFinishReason,
  ImageDetail,
  ModelCapability,
  ResponseFormatType,
  Role,
  RoutingPolicy,
  ToolChoiceMode,
  type CallContext as PbCallContext,
  type CompletionInput,
  type EmbedRequest,
  type RoutingConstraints,
} from '@quantumlayer/contracts';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  AttemptSchema,
  CallStatsSchema,
  ModelHealthSchema,
  ModelInfoSchema,
  TokenUsageSchema,
} from '@quantumlayer/contracts';
import { InvalidRequestError } from '../domain/errors.js';
import type {
  AttemptOutcome,
  BreakerState,
  CallContext,
  CallStats,
  Capability,
  ChatCall,
  Constraints,
  EmbedCall,
  ModelHealth,
  ModelSpec,
  Policy,
} from '../domain/types.js';
import type {
  ChatMessage,
  ChatRole,
  ContentPart,
  FinishReason,
  ResponseFormat,
  TokenUsage,
  ToolChoice,
  ToolDefinition,
} from '../providers/types.js';

/**
 * protobuf ↔ domain. Validation happens here, at the edge, and names fields as the proto does
 * (`input.messages[2].tool_call_id`), so a caller can find what to fix.
 */

const ROLES: Record<number, ChatRole | undefined> = {
  [Role.SYSTEM]: 'system',
  [Role.USER]: 'user',
  [Role.ASSISTANT]: 'assistant',
  [Role.TOOL]: 'tool',
};

const POLICIES: Record<number, Policy | undefined> = {
  [RoutingPolicy.COST]: 'cost',
  [RoutingPolicy.SPEED]: 'speed',
  [RoutingPolicy.QUALITY]: 'quality',
  [RoutingPolicy.BALANCED]: 'balanced',
};

const DETAIL: Record<number, 'auto' | 'low' | 'high' | undefined> = {
  [ImageDetail.AUTO]: 'auto',
  [ImageDetail.LOW]: 'low',
  [ImageDetail.HIGH]: 'high',
};

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function parseJsonObject(text: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequestError(field, 'must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestError(field, 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function policyFromProto(p: RoutingPolicy): Policy | undefined {
  return POLICIES[p];
}

export function contextFromProto(c: PbCallContext | undefined, field: string): CallContext {
  if (!c || c.tenantId.trim() === '')
    throw new InvalidRequestError(`${field}.tenant_id`, 'is required');
  return {
    tenantId: c.tenantId,
    generationId: c.generationId || undefined,
    requestId: c.requestId || undefined,
    caller: c.caller || undefined,
    stepId: c.stepId || undefined,
  };
}

function constraintsFromProto(c: RoutingConstraints | undefined): Constraints {
  if (!c) return {};
  const f = 'input.constraints';
  if (c.minQuality !== undefined && (c.minQuality < 0 || c.minQuality > 1)) {
    throw new InvalidRequestError(`${f}.min_quality`, 'must be between 0 and 1');
  }
  if (c.minContextTokens < 0)
    throw new InvalidRequestError(`${f}.min_context_tokens`, 'must not be negative');
  if (c.maxAttempts < 0) throw new InvalidRequestError(`${f}.max_attempts`, 'must not be negative');
  if (c.maxCost && c.maxCost.usdMicros < 0n)
    throw new InvalidRequestError(`${f}.max_cost`, 'must not be negative');
  return {
    maxCostMicros: c.maxCost ? Number(c.maxCost.usdMicros) : undefined,
    minQuality: c.minQuality,
    needsTools: c.needsTools,
    needsJson: c.needsJson,
    needsVision: c.needsVision,
    minContextTokens: c.minContextTokens || undefined,
    allowedProviders: c.allowedProviders,
    deniedProviders: c.deniedProviders,
    maxAttempts: c.maxAttempts || undefined,
  };
}

function messageFromProto(m: CompletionInput['messages'][number], field: string): ChatMessage {
  const role = ROLES[m.role];
  if (!role)
    throw new InvalidRequestError(`${field}.role`, 'must be SYSTEM, USER, ASSISTANT or TOOL');
  const content: ContentPart[] = m.content.map((c, j) => {
    const part = c.part;
    if (part.case === 'text') return { type: 'text', text: part.value };
    if (part.case === 'imageUrl') {
      if (!part.value.url)
        throw new InvalidRequestError(`${field}.content[${j}].image_url.url`, 'is required');
      const detail = DETAIL[part.value.detail];
      return { type: 'image_url', url: part.value.url, ...(detail ? { detail } : {}) };
    }
    throw new InvalidRequestError(`${field}.content[${j}]`, 'must set text or image_url');
  });
  const out: ChatMessage = { role, content };
  if (m.toolCalls.length > 0) {
    if (role !== 'assistant')
      throw new InvalidRequestError(
        `${field}.tool_calls`,
        'only assistant messages carry tool calls',
      );
    out.toolCalls = m.toolCalls.map((t, j) => {
      if (!t.id) throw new InvalidRequestError(`${field}.tool_calls[${j}].id`, 'is required');
      if (!TOOL_NAME.test(t.name))
        throw new InvalidRequestError(
          `${field}.tool_calls[${j}].name`,
          'must match [a-zA-Z0-9_-]{1,64}',
        );
      return { id: t.id, name: t.name, argumentsJson: t.argumentsJson };
    });
  }
  if (role === 'tool') {
    if (!m.toolCallId)
      throw new InvalidRequestError(`${field}.tool_call_id`, 'is required for TOOL messages');
    out.toolCallId = m.toolCallId;
  }
  if (m.name) out.name = m.name;
  if (content.length === 0 && !(role === 'assistant' && out.toolCalls)) {
    throw new InvalidRequestError(`${field}.content`, 'must not be empty');
  }
  return out;
}

export function chatCallFromProto(input: CompletionInput | undefined): ChatCall {
  if (!input) throw new InvalidRequestError('input', 'is required');
  if (input.messages.length === 0)
    throw new InvalidRequestError('input.messages', 'must not be empty');
  const messages = input.messages.map((m, i) => messageFromProto(m, `input.messages[${i}]`));
  const names = new Set<string>();
  const tools: ToolDefinition[] = input.tools.map((t, i) => {
    const f = `input.tools[${i}]`;
    if (!TOOL_NAME.test(t.name))
      throw new InvalidRequestError(`${f}.name`, 'must match [a-zA-Z0-9_-]{1,64}');
    if (names.has(t.name))
      throw new InvalidRequestError(`${f}.name`, `duplicate tool name "${t.name}"`);
    names.add(t.name);
    return {
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.parametersJsonSchema
        ? parseJsonObject(t.parametersJsonSchema, `${f}.parameters_json_schema`)
        : { type: 'object', properties: {} },
      ...(t.strict ? { strict: true } : {}),
    };
  });
  let toolChoice: ToolChoice | undefined;
  const choice = input.toolChoice?.choice;
  if (choice?.case === 'mode') {
    toolChoice =
      choice.value === ToolChoiceMode.NONE
        ? 'none'
        : choice.value === ToolChoiceMode.REQUIRED
          ? 'required'
          : choice.value === ToolChoiceMode.AUTO
            ? 'auto'
            : undefined;
  } else if (choice?.case === 'toolName') {
    if (!names.has(choice.value))
      throw new InvalidRequestError(
        'input.tool_choice.tool_name',
        `names no tool of input.tools ("${choice.value}")`,
      );
    toolChoice = { name: choice.value };
  }
  if (toolChoice && tools.length === 0 && toolChoice !== 'none') {
    throw new InvalidRequestError('input.tool_choice', 'needs input.tools');
  }
  let responseFormat: ResponseFormat | undefined;
  const rf = input.responseFormat;
  if (rf?.type === ResponseFormatType.JSON_OBJECT) responseFormat = { type: 'json_object' };
  else if (rf?.type === ResponseFormatType.JSON_SCHEMA) {
    const js = rf.jsonSchema;
    if (!js?.schemaJson)
      throw new InvalidRequestError(
        'input.response_format.json_schema.schema_json',
        'is required for JSON_SCHEMA',
      );
    if (!TOOL_NAME.test(js.name))
      throw new InvalidRequestError(
        'input.response_format.json_schema.name',
        'must match [a-zA-Z0-9_-]{1,64}',
      );
    responseFormat = {
      type: 'json_schema',
      name: js.name,
      ...(js.description ? { description: js.description } : {}),
      schema: parseJsonObject(js.schemaJson, 'input.response_format.json_schema.schema_json'),
      ...(js.strict ? { strict: true } : {}),
    };
  } else if (rf?.type === ResponseFormatType.TEXT) responseFormat = { type: 'text' };

  const s = input.sampling;
  if (s?.temperature !== undefined && (s.temperature < 0 || s.temperature > 2)) {
    throw new InvalidRequestError('input.sampling.temperature', 'must be between 0 and 2');
  }
  if (s?.topP !== undefined && (s.topP < 0 || s.topP > 1))
    throw new InvalidRequestError('input.sampling.top_p', 'must be between 0 and 1');
  if (s?.maxTokens !== undefined && s.maxTokens < 1)
    throw new InvalidRequestError('input.sampling.max_tokens', 'must be at least 1');
  if (s && s.stop.length > 4)
    throw new InvalidRequestError('input.sampling.stop', 'at most 4 stop sequences');

  return {
    selector: input.model,
    messages,
    tools: tools.length ? tools : undefined,
    toolChoice,
    responseFormat,
    temperature: s?.temperature,
    topP: s?.topP,
    maxTokens: s?.maxTokens,
    stop: s?.stop.length ? s.stop : undefined,
    seed: s?.seed !== undefined ? Number(s.seed) : undefined,
    policy: policyFromProto(input.policy),
    constraints: constraintsFromProto(input.constraints),
    context: contextFromProto(input.context, 'input.context'),
    fallbackModels: input.fallbackModels,
  };
}

export function embedCallFromProto(req: EmbedRequest): EmbedCall {
  if (req.inputs.length === 0) throw new InvalidRequestError('inputs', 'must not be empty');
  if (req.dimensions < 0) throw new InvalidRequestError('dimensions', 'must not be negative');
  return {
    selector: req.model,
    inputs: req.inputs,
    dimensions: req.dimensions || undefined,
    policy: policyFromProto(req.policy),
    context: contextFromProto(req.context, 'context'),
  };
}

export const FINISH: Record<FinishReason, PbFinishReason> = {
  stop: PbFinishReason.STOP,
  length: PbFinishReason.LENGTH,
  tool_calls: PbFinishReason.TOOL_CALLS,
  content_filter: PbFinishReason.CONTENT_FILTER,
};

const ATTEMPT: Record<AttemptOutcome, PbAttemptOutcome> = {
  succeeded: PbAttemptOutcome.SUCCEEDED,
  failed: PbAttemptOutcome.FAILED,
  timed_out: PbAttemptOutcome.TIMED_OUT,
  rate_limited: PbAttemptOutcome.RATE_LIMITED,
  skipped_breaker_open: PbAttemptOutcome.SKIPPED_BREAKER_OPEN,
};

/** Token counts as the contracts carry them (CallStats and UsageRecorded), with their total. */
export function tokensToProto(u: TokenUsage): MessageInitShape<typeof TokenUsageSchema> {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    totalTokens: u.inputTokens + u.outputTokens,
    cachedInputTokens: u.cachedInputTokens ?? 0,
  };
}

export function statsToProto(s: CallStats): MessageInitShape<typeof CallStatsSchema> {
  return {
    requestId: s.requestId,
    provider: s.provider,
    model: s.model,
    usage: tokensToProto(s.usage),
    cost: { usdMicros: BigInt(s.costMicros) },
    attemptCount: s.attemptCount,
    latencyMs: s.latencyMs,
    timeToFirstTokenMs: s.timeToFirstTokenMs,
    attempts: s.attempts.map((a): MessageInitShape<typeof AttemptSchema> => ({
      provider: a.provider,
      model: a.model,
      outcome: ATTEMPT[a.outcome],
      errorCode: a.errorCode,
      errorMessage: a.errorMessage,
      latencyMs: a.latencyMs,
    })),
  };
}

const BREAKER: Record<BreakerState, PbBreakerState> = {
  closed: PbBreakerState.CLOSED,
  open: PbBreakerState.OPEN,
  half_open: PbBreakerState.HALF_OPEN,
};

const CAPABILITY: Record<Capability, ModelCapability[]> = {
  tools: [ModelCapability.TOOLS],
  json: [ModelCapability.JSON_OBJECT, ModelCapability.JSON_SCHEMA],
  vision: [ModelCapability.VISION],
};

export function capabilitiesOf(m: ModelSpec): ModelCapability[] {
  if (m.type === 'embedding') return [ModelCapability.EMBEDDINGS];
  const out = [ModelCapability.CHAT, ModelCapability.STREAMING];
  for (const c of m.capabilities) out.push(...CAPABILITY[c]);
  return out;
}

function healthToProto(h: ModelHealth): MessageInitShape<typeof ModelInfoSchema>['health'] {
  const out: MessageInitShape<typeof ModelHealthSchema> = {
    available: h.available,
    breakerState: BREAKER[h.breakerState],
    errorRate: h.errorRate,
    p50LatencyMs: h.p50LatencyMs,
    lastError: h.lastError || (h.reason && !h.available ? h.reason : ''),
  };
  if (h.breakerChangedAt) out.breakerChangedAt = timestampFromDate(h.breakerChangedAt);
  return out;
}

export function modelInfoToProto(
  m: ModelSpec,
  h: ModelHealth,
): MessageInitShape<typeof ModelInfoSchema> {
  return {
    id: m.id,
    provider: m.provider,
    providerModelId: m.modelId,
    displayName: m.displayName,
    inputCostPerMtok: { usdMicros: BigInt(Math.round(m.inputCostPerMTok * 1_000_000)) },
    outputCostPerMtok: { usdMicros: BigInt(Math.round(m.outputCostPerMTok * 1_000_000)) },
    qualityScore: m.quality,
    contextWindowTokens: m.contextWindow,
    maxOutputTokens: m.maxOutputTokens,
    capabilities: capabilitiesOf(m),
    health: healthToProto(h),
  };
}
