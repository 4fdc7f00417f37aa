import type {
  ChatMessage,
  FinishReason,
  ProviderErrorKind,
  ProviderKind,
  ResponseFormat,
  TokenUsage,
  ToolChoice,
  ToolDefinition,
} from '../providers/types.js';

/**
 * The router's own vocabulary, independent of the wire (gRPC/protobuf, OpenAI HTTP) and of any
 * provider. The API layers translate into these types; the engine only sees these.
 */

export type Policy = 'cost' | 'speed' | 'quality' | 'balanced';
export type Capability = 'tools' | 'json' | 'vision';
export type ModelType = 'chat' | 'embedding';

/** One routable model: static catalogue data from the router file. */
export interface ModelSpec {
  /** Canonical `provider/model`, e.g. `openai-main/gpt-4o-mini`. */
  readonly id: string;
  /** Operator's provider name, e.g. `openai-main`. */
  readonly provider: string;
  readonly providerKind: ProviderKind;
  /** The provider's own model id, as sent on the wire. */
  readonly modelId: string;
  readonly displayName: string;
  readonly type: ModelType;
  /** USD per million tokens, which is the same number as micro-dollars per token. */
  readonly inputCostPerMTok: number;
  readonly outputCostPerMTok: number;
  readonly cachedInputCostPerMTok: number | undefined;
  readonly quality: number;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  readonly capabilities: ReadonlySet<Capability>;
  readonly dimensions: number | undefined;
  readonly firstTokenTimeoutMs: number;
  readonly attemptTimeoutMs: number;
}

export interface Alias {
  readonly name: string;
  readonly policy: Policy | undefined;
  /** Canonical model ids in the operator's order. */
  readonly candidates: readonly string[];
}

export interface Constraints {
  /** Ceiling on one call's estimated worst-case cost, micro-dollars. */
  maxCostMicros?: number | undefined;
  minQuality?: number | undefined;
  needsTools?: boolean;
  needsJson?: boolean;
  needsVision?: boolean;
  /** 0/undefined: prompt estimate plus the output allowance. */
  minContextTokens?: number | undefined;
  /** Provider names or kinds. */
  allowedProviders?: readonly string[];
  deniedProviders?: readonly string[];
  maxAttempts?: number | undefined;
}

export interface CallContext {
  tenantId: string;
  generationId?: string | undefined;
  /** Assigned by the router when the caller gives none. */
  requestId?: string | undefined;
  caller?: string | undefined;
  stepId?: string | undefined;
  /** Budget of the generation, micro-dollars; overrides the router default. */
  generationBudgetMicros?: number | undefined;
}

/** What a chat call asks for, whatever API it came through. */
export interface ChatCall {
  /** `provider/model`, a bare model id, an alias, `auto` or empty. */
  selector: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[] | undefined;
  toolChoice?: ToolChoice | undefined;
  responseFormat?: ResponseFormat | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  maxTokens?: number | undefined;
  stop?: string[] | undefined;
  seed?: number | undefined;
  policy?: Policy | undefined;
  constraints: Constraints;
  context: CallContext;
  fallbackModels?: readonly string[] | undefined;
}

export interface EmbedCall {
  selector: string;
  inputs: string[];
  dimensions?: number | undefined;
  policy?: Policy | undefined;
  context: CallContext;
}

export type AttemptOutcome =
  'succeeded' | 'failed' | 'timed_out' | 'rate_limited' | 'skipped_breaker_open';

export interface AttemptRecord {
  model: string;
  provider: string;
  outcome: AttemptOutcome;
  /** Provider error kind, e.g. `rate_limited`; empty on success. */
  errorCode: string;
  /** Short message without prompt text or credentials. */
  errorMessage: string;
  latencyMs: number;
}

export type CallOutcome =
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'cancelled'
  | 'content_filtered';

export interface CallStats {
  requestId: string;
  /** Provider and canonical model that produced the answer (or the last one tried). */
  provider: string;
  model: string;
  /** Tokens of the successful attempt. */
  usage: TokenUsage;
  /** All billable attempts, micro-dollars (rounded up per attempt). */
  costMicros: number;
  /** Provider calls made (skipped candidates excluded). */
  attemptCount: number;
  latencyMs: number;
  timeToFirstTokenMs: number;
  attempts: AttemptRecord[];
}

export interface ToolCallOut {
  id: string;
  name: string;
  argumentsJson: string;
}

export interface CompletionResult {
  text: string;
  toolCalls: ToolCallOut[];
  finishReason: FinishReason;
  stats: CallStats;
}

/** What `RouterEngine.stream` yields: one start, deltas, one end. */
export type StreamOutput =
  | { type: 'start'; requestId: string; provider: string; model: string; attemptCount: number }
  | { type: 'text'; text: string }
  | {
      type: 'tool_call';
      index: number;
      id?: string | undefined;
      name?: string | undefined;
      argumentsDelta: string;
    }
  | { type: 'end'; finishReason: FinishReason; stats: CallStats };

export interface EmbeddingResult {
  vectors: number[][];
  dimensions: number;
  stats: CallStats;
}

/** Live health of a model, for ListModels and the breaker-state gauge. */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface ModelHealth {
  available: boolean;
  /** Why not available: `no_key`, `breaker_open`, `adapter_failed`. */
  reason?: string | undefined;
  breakerState: BreakerState;
  errorRate: number;
  p50LatencyMs: number;
  breakerChangedAt: Date | undefined;
  lastError: string;
}

export type { ProviderErrorKind };
