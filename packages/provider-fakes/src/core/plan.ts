import { echoText, estimateTokens, sampleFromSchema, splitWords } from './text.js';
import type { FinishReason, ReplySpec } from './types.js';

/** What a family extracts from a chat request before deciding the reply. */
export interface ChatInput {
  model: string;
  stream: boolean;
  /** Text of the last message (user text or tool result), for the echo. */
  lastText: string;
  /** All prompt text (system, messages, tool calls and results, tool definitions). */
  promptText: string;
  maxTokens?: number;
  json?: { mode: 'object' } | { mode: 'schema'; schema: unknown };
}

export interface PlannedToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  argumentsJson: string;
}

/** A fully decided reply, ready for a family to render as JSON or as stream frames. */
export interface Plan {
  text: string;
  /** The text split for streaming (joined, equals `text`). */
  chunks: string[];
  toolCalls: PlannedToolCall[];
  usage: { input: number; output: number; cacheRead: number; cacheWrite: number };
  finish: FinishReason;
}

export function planReply(
  input: ChatInput,
  spec: ReplySpec,
  toolId: (index: number) => string,
): Plan {
  let text: string;
  let chunks: string[] | undefined;
  if (spec.text !== undefined) text = spec.text;
  else if (spec.chunks !== undefined) {
    text = spec.chunks.join('');
    chunks = spec.chunks;
  } else if (spec.json !== undefined) text = JSON.stringify(spec.json);
  else if (spec.toolCalls && spec.toolCalls.length > 0) text = '';
  else if (input.json?.mode === 'schema') {
    text = JSON.stringify(sampleFromSchema(input.json.schema, echoText(input.lastText)));
  } else if (input.json?.mode === 'object')
    text = JSON.stringify({ echo: echoText(input.lastText) });
  else text = echoText(input.lastText);
  if (spec.text !== undefined && spec.chunks !== undefined) chunks = spec.chunks;

  const toolCalls: PlannedToolCall[] = (spec.toolCalls ?? []).map((call, i) => ({
    id: call.id ?? toolId(i),
    name: call.name,
    arguments: call.arguments,
    argumentsJson: JSON.stringify(call.arguments),
  }));

  let finish: FinishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop';
  // Providers stop at max_tokens; the fake cuts the text at the same heuristic (4 chars/token).
  if (input.maxTokens !== undefined && estimateTokens(text) > input.maxTokens) {
    text = text.slice(0, Math.max(0, input.maxTokens * 4));
    chunks = undefined;
    finish = 'length';
  }
  if (spec.finishReason) finish = spec.finishReason;

  const toolText = toolCalls.reduce((acc, c) => acc + c.name + c.argumentsJson, '');
  return {
    text,
    chunks: chunks ?? splitWords(text),
    toolCalls,
    usage: {
      input: spec.usage?.inputTokens ?? estimateTokens(input.promptText),
      output: spec.usage?.outputTokens ?? estimateTokens(text + toolText),
      cacheRead: spec.usage?.cacheReadTokens ?? 0,
      cacheWrite: spec.usage?.cacheWriteTokens ?? 0,
    },
    finish,
  };
}
