// Translation helpers more than one adapter needs.
import { providerError } from './errors.js';
import type {
  ChatMessage,
  ContentPart,
  FinishReason,
  ResponseFormat,
  ToolCall,
  TokenUsage,
} from './types.js';
import { UPSTREAM_SIGNAL } from '../upstream/http-fetch.js';

/** The SDKs' last-resort per-request timeout when the config sets none (their own default). */
export const DEFAULT_TIMEOUT_MS = 600_000;

export const EMPTY_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

export function textOf(content: ContentPart[]): string {
  if (content.length === 1 && content[0]!.type === 'text') return content[0]!.text;
  let out = '';
  for (const part of content) if (part.type === 'text') out += part.text;
  return out;
}

/** Tool-call arguments as an object, for the providers that want one (Anthropic, Bedrock, Ollama). */
export function parseArguments(provider: string, call: ToolCall): Record<string, unknown> {
  if (call.argumentsJson.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(call.argumentsJson);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw providerError(provider, 'bad_request', {
    providerCode: 'invalid_tool_arguments',
    param: `toolCalls[${call.id}].argumentsJson`,
  });
}

export interface InlineImage {
  mediaType: string;
  base64: string;
}

/** `data:image/png;base64,...` → its parts; undefined for any other URL. */
export function parseDataUrl(url: string): InlineImage | undefined {
  const m = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!.toLowerCase(), base64: m[2]! } : undefined;
}

export function unsupportedImage(provider: string): never {
  throw providerError(provider, 'bad_request', {
    providerCode: 'image_url_not_supported',
    param: 'messages[].content[].url (use a data: URL)',
  });
}

/** A model that called tools has finished for tools, whatever the provider labels it. */
export function finishWithTools(reason: FinishReason, toolCallCount: number): FinishReason {
  return toolCallCount > 0 && reason === 'stop' ? 'tool_calls' : reason;
}

/**
 * Consecutive messages of one role merged into one: Anthropic and Bedrock want user and
 * assistant turns to alternate, and all tool results of a turn in one user message.
 */
export function mergeConsecutive<T extends { role: string; content: unknown[] }>(turns: T[]): T[] {
  const out: T[] = [];
  for (const turn of turns) {
    const prev = out[out.length - 1];
    if (prev && prev.role === turn.role) prev.content.push(...turn.content);
    else out.push({ ...turn, content: [...turn.content] });
  }
  return out;
}

export function systemTexts(messages: ChatMessage[]): string[] {
  const out: string[] = [];
  for (const m of messages) if (m.role === 'system') out.push(textOf(m.content));
  return out;
}

// ---- JSON output through a forced tool call ----

/** Name of the synthetic tool that carries a JSON answer when a model has no native JSON mode. */
export const JSON_TOOL_NAME = 'ql_json_output';

export interface JsonTool {
  name: string;
  description: string;
  /** Always an object schema (tool inputs must be objects). */
  inputSchema: Record<string, unknown>;
  /** The user's schema was not an object: the answer sits under `value`. */
  wrapped: boolean;
}

/** The forced-tool stand-in for a JSON response format, or undefined for plain text. */
export function jsonToolFor(format: ResponseFormat | undefined): JsonTool | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    return {
      name: JSON_TOOL_NAME,
      description: 'Return the answer as a JSON object through this tool.',
      inputSchema: { type: 'object', additionalProperties: true },
      wrapped: false,
    };
  }
  const schema = format.schema;
  const isObject =
    schema.type === 'object' ||
    (schema.type === undefined && typeof schema.properties === 'object');
  return {
    name: JSON_TOOL_NAME,
    description:
      format.description ?? `Return the answer as JSON matching the "${format.name}" schema.`,
    inputSchema: isObject
      ? schema
      : { type: 'object', properties: { value: schema }, required: ['value'] },
    wrapped: !isObject,
  };
}

/** The JSON text of the answer from the synthetic tool's input. */
export function jsonFromToolInput(tool: JsonTool, inputJson: string): string {
  if (!tool.wrapped) return inputJson;
  try {
    const parsed = JSON.parse(inputJson) as { value?: unknown };
    return JSON.stringify(parsed.value ?? null);
  } catch {
    return inputJson;
  }
}

/**
 * Claude models with native structured outputs (`output_config.format`): Opus 4.1, the 4.5
 * generation and everything newer, whatever the family name. Older ones (and ids we cannot
 * read) get JSON through a forced tool call, which every Claude model supports. Also matches
 * Bedrock ids (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`).
 */
export function claudeHasNativeJson(model: string): boolean {
  const m = /claude-([a-z]+)-(\d+)(?:-(\d{1,2})(?!\d))?/.exec(model);
  if (!m) return false;
  const major = Number(m[2]);
  const minor = m[3] !== undefined ? Number(m[3]) : 0;
  if (major > 4) return true;
  if (major < 4) return false;
  return minor >= 5 || (m[1] === 'opus' && minor >= 1);
}

/**
 * The per-request options of an SDK call (openai, groq-sdk, Anthropic) that carry the call's
 * abort signal: straight to the router's keep-alive fetch when the adapter runs on it (see
 * `UPSTREAM_SIGNAL`: the SDKs' own signal composition costs ~100 µs per call), else as the SDK's
 * `signal`, as with the platform fetch. The SDK then sees an aborted request as a failed one;
 * the adapters classify by their own (aborted) signal first, and the SDKs run with
 * `maxRetries: 0`, so nothing retries it.
 */
export function sdkCallOptions(signal: AbortSignal | undefined, viaFetch: boolean): SdkCallOptions {
  if (!signal) return {};
  // A symbol key is invisible to the SDKs' types (and to the platform fetch).
  if (viaFetch) return { fetchOptions: { [UPSTREAM_SIGNAL]: signal } };
  return { signal };
}

/** Assignable to the request options of each of the three SDKs. */
export interface SdkCallOptions {
  signal?: AbortSignal;
  fetchOptions?: Record<never, never>;
}
