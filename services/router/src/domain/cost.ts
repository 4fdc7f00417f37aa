import type { ChatMessage, TokenUsage, ToolDefinition } from '../providers/types.js';
import type { ModelSpec } from './types.js';

/**
 * Token and cost estimates. Estimates only decide routing and budgets before a call (context fit,
 * worst-case cost); what is billed comes from the provider's usage report. Where a provider
 * reports nothing (some streams, a stream cut short) the estimate stands in for it.
 *
 * Why a character heuristic and not a tokenizer: the estimate sits on every request's hot path,
 * models of six families use different tokenizers anyway, and ~4 characters per token is within
 * the margin budgets need (it over-estimates code and non-English text slightly less than it
 * under-estimates them, so the per-message overhead below keeps it on the safe side).
 */
const CHARS_PER_TOKEN = 4;
/** Role markers and separators every chat format adds per message. */
const MESSAGE_OVERHEAD = 4;
/** What providers charge for an image input at low detail; a conservative flat figure. */
const IMAGE_TOKENS = 850;

export function estimateTextTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function estimatePromptTokens(
  messages: readonly ChatMessage[],
  tools?: readonly ToolDefinition[],
): number {
  let chars = 0;
  let tokens = 3;
  for (const m of messages) {
    tokens += MESSAGE_OVERHEAD;
    for (const part of m.content) {
      if (part.type === 'text') chars += part.text.length;
      else tokens += IMAGE_TOKENS;
    }
    if (m.toolCalls) for (const c of m.toolCalls) chars += c.name.length + c.argumentsJson.length;
  }
  if (tools) {
    for (const t of tools) {
      chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
    }
  }
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * Cost of actual usage in micro-dollars, rounded up so that no billable call is free. Prices per
 * million tokens in USD are micro-dollars per token.
 */
export function costMicros(model: ModelSpec, usage: TokenUsage): number {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const cachedPrice = model.cachedInputCostPerMTok ?? model.inputCostPerMTok;
  const exact =
    (usage.inputTokens - cached) * model.inputCostPerMTok +
    cached * cachedPrice +
    usage.outputTokens * model.outputCostPerMTok;
  // Float noise (0.15 * 3 = 0.45000000000000007) must not round a whole micro-dollar up.
  return exact <= 0 ? 0 : Math.ceil(exact - 1e-7);
}

/** The most a call can cost: the prompt plus every output token it may produce. */
export function worstCaseCostMicros(
  model: ModelSpec,
  promptTokens: number,
  maxTokens: number | undefined,
): number {
  const output = Math.min(maxTokens ?? model.maxOutputTokens, model.maxOutputTokens);
  return costMicros(model, { inputTokens: promptTokens, outputTokens: output });
}

/** Expected cost used to rank by price: the prompt plus a typical answer. */
export function expectedCostMicros(
  model: ModelSpec,
  promptTokens: number,
  outputTokens: number,
): number {
  return promptTokens * model.inputCostPerMTok + outputTokens * model.outputCostPerMTok;
}

export function usdToMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function microsToUsd(micros: number): number {
  return micros / 1_000_000;
}
