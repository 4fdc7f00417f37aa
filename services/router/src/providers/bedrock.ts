// Amazon Bedrock Converse / ConverseStream through the official
// `@aws-sdk/client-bedrock-runtime`. SigV4 signing is the SDK's, with credentials from the
// standard AWS provider chain (environment variables first).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ContentBlock,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type ConverseStreamOutput,
  type ImageFormat,
  type Message,
  type SystemContentBlock,
  type Tool,
  type ToolChoice as BedrockToolChoice,
  type TokenUsage as BedrockUsage,
  type ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  cancelledError,
  isAbortError,
  kindForErrorType,
  kindForStatus,
  mapTransport,
  parseRetryAfter,
  providerError,
  saysContextTooLong,
  truncatedStreamError,
  type ErrorFacts,
} from './errors.js';
import {
  claudeHasNativeJson,
  DEFAULT_TIMEOUT_MS,
  EMPTY_USAGE,
  finishWithTools,
  jsonFromToolInput,
  jsonToolFor,
  mergeConsecutive,
  parseArguments,
  parseDataUrl,
  systemTexts,
  textOf,
  unsupportedImage,
  type JsonTool,
} from './shared.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  FinishReason,
  ProviderAdapter,
  ProviderError,
  ProviderErrorKind,
  ProviderSettings,
  StreamEvent,
  TokenUsage,
  ToolCall,
} from './types.js';

/** Smithy's JSON document type, as the SDK names it in tool inputs and schemas. */
type DocumentType = NonNullable<ToolUseBlock['input']>;

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

export function stopReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Bedrock, like Anthropic, counts cache reads and writes apart from `inputTokens`. */
function usageOf(u: BedrockUsage | undefined): TokenUsage {
  if (!u) return { ...EMPTY_USAGE };
  const cacheRead = u.cacheReadInputTokens ?? 0;
  const out: TokenUsage = {
    inputTokens: (u.inputTokens ?? 0) + cacheRead + (u.cacheWriteInputTokens ?? 0),
    outputTokens: u.outputTokens ?? 0,
  };
  if (cacheRead) out.cachedInputTokens = cacheRead;
  return out;
}

interface SmithyErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  originalStatusCode?: number;
}

const AUTH_NAMES = new Set([
  'CredentialsProviderError',
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

/** Bedrock exception names (thrown, or ConverseStream exception members) → taxonomy. */
export function mapBedrockError(
  provider: string,
  err: unknown,
  signal: AbortSignal | undefined,
): ProviderError {
  const early = mapTransport(provider, err, signal);
  if (early) return early;
  if (isAbortError(err)) return providerError(provider, 'cancelled');
  const e = (typeof err === 'object' && err !== null ? err : {}) as SmithyErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  let kind: ProviderErrorKind | undefined;
  if (name === 'ModelStreamErrorException' && typeof e.originalStatusCode === 'number') {
    kind = kindForStatus(e.originalStatusCode);
  } else if (name === 'ServiceQuotaExceededException') {
    kind = 'rate_limited';
  } else if (AUTH_NAMES.has(name)) {
    kind = 'auth';
  } else {
    kind = kindForErrorType(name);
  }
  kind ??= status !== undefined && status >= 400 ? kindForStatus(status) : 'server_error';
  if (kind === 'bad_request' && saysContextTooLong(e.message)) kind = 'context_too_long';

  const facts: ErrorFacts = { providerCode: name };
  if (status !== undefined) facts.status = status;
  const headers = e.$response?.headers;
  if (headers) {
    const wait = parseRetryAfter((n) => headers[n]);
    if (wait !== undefined) facts.retryAfterMs = wait;
  }
  return providerError(provider, kind, facts);
}

const STREAM_EXCEPTION_MEMBERS = [
  'internalServerException',
  'modelStreamErrorException',
  'serviceUnavailableException',
  'throttlingException',
  'validationException',
] as const;

interface Prepared {
  input: ConverseCommandInput;
  jsonTool: JsonTool | undefined;
}

export class BedrockAdapter implements ProviderAdapter {
  readonly kind = 'bedrock' as const;
  readonly client: BedrockRuntimeClient;

  constructor(
    readonly name: string,
    client: BedrockRuntimeClient,
  ) {
    this.client = client;
  }

  static fromSettings(settings: ProviderSettings): BedrockAdapter {
    const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // HTTP/1.1 with keep-alive: Converse needs no HTTP/2 (the client's default handler), and
    // an HTTP/1.1 handler also reaches plain-HTTP endpoints (tests, VPC proxies).
    const maxSockets = settings.maxSockets ?? 256;
    const requestHandler = new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      requestTimeout: timeout,
      // Without it the handler only logs a warning when the timeout passes.
      throwOnRequestTimeout: true,
    });
    const client = new BedrockRuntimeClient({
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.baseUrl ? { endpoint: settings.baseUrl } : {}),
      // The router core owns retries.
      maxAttempts: 1,
      requestHandler,
      // A Bedrock API key, when configured, replaces SigV4 with a bearer token.
      ...(settings.apiKey
        ? { token: { token: settings.apiKey }, authSchemePreference: ['httpBearerAuth'] }
        : {}),
    });
    if (settings.headers && Object.keys(settings.headers).length > 0) {
      const extra = settings.headers;
      client.middlewareStack.add(
        (next) => async (args) => {
          const req = args.request as { headers?: Record<string, string> };
          if (req.headers) Object.assign(req.headers, extra);
          return next(args);
        },
        { step: 'build', name: 'qlExtraHeaders' },
      );
    }
    return new BedrockAdapter(settings.name, client);
  }

  private mapError(err: unknown, signal: AbortSignal | undefined): ProviderError {
    return mapBedrockError(this.name, err, signal);
  }

  private userContent(m: ChatMessage): ContentBlock[] {
    const out: ContentBlock[] = [];
    for (const part of m.content) {
      if (part.type === 'text') {
        if (part.text !== '') out.push({ text: part.text });
        continue;
      }
      const inline = parseDataUrl(part.url);
      const format = inline && IMAGE_FORMATS[inline.mediaType];
      if (!inline || !format) unsupportedImage(this.name);
      out.push({ image: { format, source: { bytes: Buffer.from(inline.base64, 'base64') } } });
    }
    return out;
  }

  prepare(req: ChatRequest): Prepared {
    const turns: { role: 'user' | 'assistant'; content: ContentBlock[] }[] = [];
    let toolBlocks = false;
    for (const m of req.messages) {
      switch (m.role) {
        case 'system':
          break;
        case 'user':
          turns.push({ role: 'user', content: this.userContent(m) });
          break;
        case 'assistant': {
          const content: ContentBlock[] = [];
          const text = textOf(m.content);
          if (text !== '') content.push({ text });
          for (const call of m.toolCalls ?? []) {
            toolBlocks = true;
            content.push({
              toolUse: {
                toolUseId: call.id,
                name: call.name,
                input: parseArguments(this.name, call) as DocumentType,
              },
            });
          }
          turns.push({ role: 'assistant', content });
          break;
        }
        case 'tool':
          toolBlocks = true;
          turns.push({
            role: 'user',
            content: [
              {
                toolResult: {
                  toolUseId: m.toolCallId ?? '',
                  content: [{ text: textOf(m.content) }],
                },
              },
            ],
          });
          break;
      }
    }
    const input: ConverseCommandInput = {
      modelId: req.model,
      messages: mergeConsecutive(turns) as Message[],
    };
    const system = systemTexts(req.messages);
    if (system.length) input.system = system.map((text): SystemContentBlock => ({ text }));

    const inference: NonNullable<ConverseCommandInput['inferenceConfig']> = {};
    if (req.maxTokens !== undefined) inference.maxTokens = req.maxTokens;
    if (req.temperature !== undefined) inference.temperature = req.temperature;
    if (req.topP !== undefined) inference.topP = req.topP;
    if (req.stop?.length) inference.stopSequences = req.stop;
    if (Object.keys(inference).length) input.inferenceConfig = inference;

    const tools: Tool[] = (req.tools ?? []).map((t) => ({
      toolSpec: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        inputSchema: { json: t.parameters as DocumentType },
        ...(t.strict !== undefined ? { strict: t.strict } : {}),
      },
    }));
    let toolChoice: BedrockToolChoice | undefined;
    if (req.toolChoice === 'auto') toolChoice = { auto: {} };
    else if (req.toolChoice === 'required') toolChoice = { any: {} };
    else if (typeof req.toolChoice === 'object')
      toolChoice = { tool: { name: req.toolChoice.name } };

    let jsonTool: JsonTool | undefined;
    const rf = req.responseFormat;
    if (rf?.type === 'json_schema' && claudeHasNativeJson(req.model)) {
      input.outputConfig = {
        textFormat: {
          type: 'json_schema',
          structure: {
            jsonSchema: {
              schema: JSON.stringify(rf.schema),
              name: rf.name,
              ...(rf.description !== undefined ? { description: rf.description } : {}),
            },
          },
        },
      };
    } else if (rf && rf.type !== 'text') {
      jsonTool = jsonToolFor(rf);
      if (jsonTool) {
        tools.push({
          toolSpec: {
            name: jsonTool.name,
            description: jsonTool.description,
            inputSchema: { json: jsonTool.inputSchema as DocumentType },
          },
        });
        toolChoice =
          tools.length > 1 && req.toolChoice !== 'none'
            ? { any: {} }
            : { tool: { name: jsonTool.name } };
      }
    }
    // Converse has no "none" choice: leave the choice out, and declare the tools only when
    // the conversation already holds tool blocks (Bedrock then requires them).
    if (req.toolChoice === 'none' && !jsonTool) {
      toolChoice = undefined;
      if (!toolBlocks) tools.length = 0;
    }
    if (tools.length) input.toolConfig = toolChoice ? { tools, toolChoice } : { tools };
    return { input, jsonTool };
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    const { input, jsonTool } = this.prepare(request);
    let out: ConverseCommandOutput;
    try {
      out = await this.client.send(
        new ConverseCommand(input),
        signal ? { abortSignal: signal } : {},
      );
    } catch (err) {
      throw this.mapError(err, signal);
    }
    let text = '';
    const toolCalls: ToolCall[] = [];
    let jsonAnswered = false;
    for (const block of out.output?.message?.content ?? []) {
      if (block.text !== undefined) text += block.text;
      else if (block.toolUse) {
        const args = JSON.stringify(block.toolUse.input ?? {});
        if (jsonTool && block.toolUse.name === jsonTool.name) {
          text += jsonFromToolInput(jsonTool, args);
          jsonAnswered = true;
        } else {
          toolCalls.push({
            id: block.toolUse.toolUseId ?? `tooluse_${toolCalls.length}`,
            name: block.toolUse.name ?? '',
            argumentsJson: args,
          });
        }
      }
    }
    let finish = stopReason(out.stopReason);
    if (jsonAnswered && toolCalls.length === 0 && finish === 'tool_calls') finish = 'stop';
    return {
      text,
      toolCalls,
      finishReason: finishWithTools(finish, toolCalls.length),
      usage: usageOf(out.usage),
    };
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const { signal } = request;
    if (signal?.aborted) throw cancelledError(this.name);
    const { input, jsonTool } = this.prepare(request);
    const asm = new ConverseStreamAssembler(this.name, jsonTool);
    // Our own controller: leaving the event stream early does not end the HTTP response, so
    // a consumer that stops (or our signal) aborts the request explicitly.
    const upstream = new AbortController();
    const onAbort = () => upstream.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      const out = await this.client.send(new ConverseStreamCommand(input), {
        abortSignal: upstream.signal,
      });
      if (!out.stream) throw truncatedStreamError(this.name);
      for await (const event of out.stream) yield* asm.push(event);
      finished = true;
    } catch (err) {
      throw this.mapError(err, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!finished) upstream.abort();
    }
    if (signal?.aborted) throw cancelledError(this.name);
    const finish = asm.end();
    if (!finish) throw truncatedStreamError(this.name);
    yield finish;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

type BlockState = { kind: 'tool'; index: number } | { kind: 'json'; buffer: string };

/** ConverseStream events → our events. Text blocks have no start event; tool blocks do. */
export class ConverseStreamAssembler {
  private readonly blocks = new Map<number, BlockState>();
  private toolCount = 0;
  private jsonAnswered = false;
  private stop: string | undefined;
  private stopped = false;
  private usage: BedrockUsage | undefined;

  constructor(
    private readonly provider: string,
    private readonly jsonTool: JsonTool | undefined,
  ) {}

  *push(event: ConverseStreamOutput): Generator<StreamEvent> {
    if (event.contentBlockDelta) {
      const { contentBlockIndex = 0, delta } = event.contentBlockDelta;
      if (delta?.text !== undefined) {
        if (delta.text) yield { type: 'text', text: delta.text };
      } else if (delta?.toolUse) {
        const state = this.blocks.get(contentBlockIndex);
        const piece = delta.toolUse.input ?? '';
        if (state?.kind === 'tool') {
          if (piece) yield { type: 'tool_call', index: state.index, argumentsDelta: piece };
        } else if (state?.kind === 'json') {
          if (this.jsonTool?.wrapped) state.buffer += piece;
          else if (piece) yield { type: 'text', text: piece };
        }
      }
    } else if (event.contentBlockStart) {
      const { contentBlockIndex = 0, start } = event.contentBlockStart;
      const tool = start?.toolUse;
      if (tool) {
        if (this.jsonTool && tool.name === this.jsonTool.name) {
          this.blocks.set(contentBlockIndex, { kind: 'json', buffer: '' });
          this.jsonAnswered = true;
        } else {
          const index = this.toolCount++;
          this.blocks.set(contentBlockIndex, { kind: 'tool', index });
          const ev: StreamEvent = { type: 'tool_call', index, argumentsDelta: '' };
          if (tool.toolUseId) ev.id = tool.toolUseId;
          if (tool.name) ev.name = tool.name;
          yield ev;
        }
      }
    } else if (event.contentBlockStop) {
      const state = this.blocks.get(event.contentBlockStop.contentBlockIndex ?? 0);
      if (state?.kind === 'json' && this.jsonTool?.wrapped)
        yield { type: 'text', text: jsonFromToolInput(this.jsonTool, state.buffer || '{}') };
    } else if (event.messageStop) {
      this.stop = event.messageStop.stopReason;
      this.stopped = true;
    } else if (event.metadata) {
      this.usage = event.metadata.usage;
    } else {
      // Exceptions modelled as union members (the SDK usually throws them instead).
      for (const member of STREAM_EXCEPTION_MEMBERS) {
        const value = (event as unknown as Record<string, unknown>)[member];
        if (value) {
          const name = member.charAt(0).toUpperCase() + member.slice(1);
          throw mapBedrockError(this.provider, { ...(value as object), name }, undefined);
        }
      }
    }
  }

  end(): StreamEvent | undefined {
    if (!this.stopped) return undefined;
    let finish = stopReason(this.stop);
    if (this.jsonAnswered && this.toolCount === 0 && finish === 'tool_calls') finish = 'stop';
    return {
      type: 'finish',
      finishReason: finishWithTools(finish, this.toolCount),
      usage: usageOf(this.usage),
    };
  }
}
