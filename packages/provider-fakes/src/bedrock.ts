// Amazon Bedrock Runtime Converse / ConverseStream. Wire format per the Bedrock API
// reference: restJson with `x-amzn-ErrorType` + `{ message }` errors, and ConverseStream as
// AWS event-stream frames (messageStart, contentBlockStart, contentBlockDelta,
// contentBlockStop, messageStop, metadata; modeled exceptions as `:message-type: exception`).
import type { OutgoingHttpHeaders } from 'node:http';
import type { ChatInput, Plan } from './core/plan.js';
import {
  FakeProviderServer,
  type ErrorResponse,
  type Frame,
  type RequestContext,
  type RouteDecision,
} from './core/server.js';
import { estimateTokens, splitFixed } from './core/text.js';
import type {
  Behaviour,
  CommonOptions,
  ErrorKind,
  FailSpec,
  FinishReason,
  ReplySpec,
} from './core/types.js';
import { encodeError, encodeEvent, encodeException } from './bedrock/eventstream.js';
import {
  FAKE_AWS_CREDENTIALS,
  expectedSignature,
  parseAmzDate,
  parseAuthorization,
  payloadHashMismatch,
  signaturesMatch,
  type AwsCredentials,
} from './bedrock/sigv4.js';

export interface BedrockFakeOptions extends CommonOptions {
  /** Region the credential scope must name (default us-east-1). */
  region?: string;
  /** Known credentials (default: FAKE_AWS_CREDENTIALS). Unknown access keys are refused. */
  credentials?: AwsCredentials[];
  /** Recompute and compare the SigV4 signature (default true); false checks the form only. */
  verifySignature?: boolean;
  /** Allowed clock skew between x-amz-date and now, in seconds (default 900, as AWS). */
  maxSkewSeconds?: number;
  /** Bedrock API keys accepted as `Authorization: Bearer <key>` (default: none). */
  bearerTokens?: string[];
}

const STOP: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  stop_sequence: 'stop_sequence',
  content_filter: 'content_filtered',
};

const SERVICE_NS = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
const CORAL_NS = 'http://internal.amazon.com/coral/com.amazon.coral.service/';
// Bedrock pads every stream event with a `p` field so sizes do not leak content.
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0';

const ERRORS: Record<ErrorKind, { status: number; type: string; message: string }> = {
  invalid_request: { status: 400, type: 'ValidationException', message: 'Invalid request.' },
  context_length: {
    status: 400,
    type: 'ValidationException',
    message: 'Input is too long for requested model.',
  },
  auth: {
    status: 403,
    type: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
  },
  permission: {
    status: 403,
    type: 'AccessDeniedException',
    message: "You don't have access to the model with the specified model ID.",
  },
  not_found: {
    status: 404,
    type: 'ResourceNotFoundException',
    message: 'Could not resolve the foundation model from the provided model identifier.',
  },
  rate_limit: {
    status: 429,
    type: 'ThrottlingException',
    message: 'Too many requests, please wait before trying again.',
  },
  quota: {
    status: 400,
    type: 'ServiceQuotaExceededException',
    message: 'Your request exceeds the service quotas for your account.',
  },
  server: {
    status: 500,
    type: 'InternalServerException',
    message:
      'The system encountered an unexpected error during processing. Try your request again.',
  },
  overloaded: {
    status: 503,
    type: 'ServiceUnavailableException',
    message: 'Bedrock is unable to process your request.',
  },
  timeout: {
    status: 408,
    type: 'ModelTimeoutException',
    message: 'Model has timed out in processing the request. Try your request again.',
  },
};

/** ConverseStream union members that carry modeled exceptions. */
const STREAM_EXCEPTIONS: Partial<Record<ErrorKind, string>> = {
  rate_limit: 'throttlingException',
  overloaded: 'serviceUnavailableException',
  server: 'internalServerException',
  invalid_request: 'validationException',
  context_length: 'validationException',
  timeout: 'modelStreamErrorException',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function blocksText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  const out: string[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') out.push(block.text);
    else if (isRecord(block.json)) out.push(JSON.stringify(block.json));
    else if (isRecord(block.toolUse))
      out.push(`${String(block.toolUse.name ?? '')}${JSON.stringify(block.toolUse.input)}`);
    else if (isRecord(block.toolResult)) out.push(blocksText(block.toolResult.content));
  }
  return out.join('\n');
}

function requestId(seq: number): string {
  return `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`;
}

export class BedrockFake extends FakeProviderServer {
  readonly family = 'bedrock' as const;
  readonly region: string;
  private readonly opts: BedrockFakeOptions;
  private readonly secrets: Map<string, string>;

  constructor(options: BedrockFakeOptions = {}) {
    super(options);
    this.opts = options;
    this.region = options.region ?? 'us-east-1';
    this.secrets = new Map(
      (options.credentials ?? [FAKE_AWS_CREDENTIALS]).map((c) => [
        c.accessKeyId,
        c.secretAccessKey,
      ]),
    );
  }

  protected decide(ctx: RequestContext): RouteDecision | undefined {
    if (ctx.method !== 'POST' || !ctx.path.startsWith('/model/')) return undefined;
    const rest = ctx.path.slice('/model/'.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return undefined;
    const op = rest.slice(slash + 1);
    if (op !== 'converse' && op !== 'converse-stream') return undefined;
    let modelId: string;
    try {
      modelId = decodeURIComponent(rest.slice(0, slash));
    } catch {
      return undefined;
    }
    const stream = op === 'converse-stream';
    const body = isRecord(ctx.body) ? ctx.body : {};
    const messages = Array.isArray(body.messages) ? body.messages : undefined;
    let reject: ErrorResponse | undefined;
    if (ctx.badJson || (ctx.rawBody.length > 0 && !isRecord(ctx.body)))
      reject = this.error(
        400,
        'ValidationException',
        'Malformed input request, please reformat your input and try again.',
        ctx,
      );
    else if (!messages || messages.length === 0)
      reject = this.error(
        400,
        'ValidationException',
        'A conversation must start with a user message. Try again with a conversation that starts with a user message.',
        ctx,
      );
    else if (!this.isModelKnown(modelId))
      reject = this.error(
        400,
        'ValidationException',
        'The provided model identifier is invalid.',
        ctx,
      );

    const parts = [blocksText(body.system)];
    for (const m of messages ?? []) parts.push(isRecord(m) ? blocksText(m.content) : '');
    const toolConfig = isRecord(body.toolConfig) ? body.toolConfig : undefined;
    if (Array.isArray(toolConfig?.tools)) parts.push(JSON.stringify(toolConfig.tools));
    const promptText = parts.filter((p) => p !== '').join('\n');
    const last = messages?.[messages.length - 1];
    const input: ChatInput = {
      model: modelId,
      stream,
      lastText: isRecord(last) ? blocksText(last.content) : '',
      promptText,
    };
    const inference = isRecord(body.inferenceConfig) ? body.inferenceConfig : undefined;
    if (typeof inference?.maxTokens === 'number') input.maxTokens = inference.maxTokens;
    const textFormat = isRecord(body.outputConfig) ? body.outputConfig.textFormat : undefined;
    if (isRecord(textFormat) && textFormat.type === 'json_schema') {
      const structure = isRecord(textFormat.structure) ? textFormat.structure : {};
      const js = isRecord(structure.jsonSchema) ? structure.jsonSchema : {};
      let schema: unknown = js.schema;
      if (typeof schema === 'string') {
        try {
          schema = JSON.parse(schema);
        } catch {
          reject ??= this.error(
            400,
            'ValidationException',
            'The JSON schema is not valid JSON.',
            ctx,
          );
        }
      }
      input.json = { mode: 'schema', schema };
    }
    if (!reject && estimateTokens(promptText) > this.contextWindow)
      reject = this.errorFor('context_length', {}, ctx);

    return {
      route: 'chat',
      model: modelId,
      stream,
      ...(reject ? { reject } : {}),
      handle: (c, b) =>
        this.runChat(
          c,
          b,
          {
            input,
            json: (plan) => this.converse(plan, latency(b, 1)),
            stream: (plan) => {
              const frames = this.events(plan, 0);
              // metadata is last; its latency covers the paced frames before it.
              frames[frames.length - 1] = this.metadata(plan, latency(b, frames.length));
              return {
                headers: {
                  'content-type': 'application/vnd.amazon.eventstream',
                  'x-amzn-requestid': requestId(c.seq),
                },
                frames,
              };
            },
            streamError: (kind, message) => this.streamError(kind, message),
            headers: () => ({ 'x-amzn-requestid': requestId(c.seq) }),
          },
          (i) => `tooluse_fake${c.seq}_${i}`,
        ),
    };
  }

  protected authorize(ctx: RequestContext): ErrorResponse | undefined {
    const header = ctx.req.headers.authorization;
    if (!header)
      return this.error(
        403,
        'MissingAuthenticationTokenException',
        'Missing Authentication Token',
        ctx,
        CORAL_NS,
      );
    if (header.startsWith('Bearer ')) {
      const token = header.slice(7).trim();
      if (this.opts.bearerTokens?.includes(token)) return undefined;
      return this.errorFor('auth', {}, ctx);
    }
    const auth = parseAuthorization(header);
    if (!auth)
      return this.error(
        403,
        'IncompleteSignatureException',
        `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters in the AWS4-HMAC-SHA256 form. Authorization=${header.split(' ')[0]}`,
        ctx,
        CORAL_NS,
      );
    const amzDate = ctx.req.headers['x-amz-date'];
    const when = parseAmzDate(typeof amzDate === 'string' ? amzDate : undefined);
    if (Number.isNaN(when))
      return this.error(
        403,
        'IncompleteSignatureException',
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ctx,
        CORAL_NS,
      );
    if (!auth.signedHeaders.includes('host') && !auth.signedHeaders.includes(':authority'))
      return this.error(
        403,
        'InvalidSignatureException',
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ctx,
        CORAL_NS,
      );
    if (auth.service !== 'bedrock')
      return this.error(
        403,
        'InvalidSignatureException',
        "Credential should be scoped to correct service: 'bedrock'.",
        ctx,
        CORAL_NS,
      );
    if (auth.region !== this.region)
      return this.error(
        403,
        'InvalidSignatureException',
        `Credential should be scoped to a valid region, not '${auth.region}'.`,
        ctx,
        CORAL_NS,
      );
    if (auth.date !== String(amzDate).slice(0, 8))
      return this.error(
        403,
        'InvalidSignatureException',
        'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
        ctx,
        CORAL_NS,
      );
    if (Math.abs(Date.now() - when) > (this.opts.maxSkewSeconds ?? 900) * 1000)
      return this.error(
        403,
        'InvalidSignatureException',
        `Signature expired: ${String(amzDate)} is now outside the allowed clock skew.`,
        ctx,
        CORAL_NS,
      );
    const secret = this.secrets.get(auth.accessKeyId);
    if (secret === undefined) return this.errorFor('auth', {}, ctx);
    if (this.opts.verifySignature !== false) {
      const url = ctx.req.url ?? '';
      const q = url.indexOf('?');
      const signed = {
        method: ctx.method,
        path: ctx.path,
        query: q < 0 ? '' : url.slice(q + 1),
        headers: ctx.req.headers,
        body: ctx.rawBody,
      };
      const expected = expectedSignature(signed, auth, secret);
      if (!expected || !signaturesMatch(expected, auth.signature) || payloadHashMismatch(signed))
        return this.error(
          403,
          'InvalidSignatureException',
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
          ctx,
          CORAL_NS,
        );
    }
    return undefined;
  }

  protected notFoundRoute(ctx: RequestContext): ErrorResponse {
    return this.error(404, 'UnknownOperationException', 'Unknown operation', ctx, CORAL_NS);
  }

  protected errorFor(kind: ErrorKind, spec: Partial<FailSpec>, ctx: RequestContext): ErrorResponse {
    const e = ERRORS[kind];
    const headers: OutgoingHttpHeaders = {};
    if (spec.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(spec.retryAfterSeconds);
    return this.error(
      e.status,
      e.type,
      spec.message ?? e.message,
      ctx,
      kind === 'auth' ? CORAL_NS : SERVICE_NS,
      headers,
    );
  }

  // ---- rendering ----

  private usage(plan: Plan): Record<string, number> {
    const u: Record<string, number> = {
      inputTokens: plan.usage.input,
      outputTokens: plan.usage.output,
      totalTokens: plan.usage.input + plan.usage.output,
    };
    if (plan.usage.cacheRead) u.cacheReadInputTokens = plan.usage.cacheRead;
    if (plan.usage.cacheWrite) u.cacheWriteInputTokens = plan.usage.cacheWrite;
    return u;
  }

  private converse(plan: Plan, latencyMs: number): unknown {
    const content: unknown[] = [];
    if (plan.text !== '' || plan.toolCalls.length === 0) content.push({ text: plan.text });
    for (const c of plan.toolCalls)
      content.push({ toolUse: { toolUseId: c.id, name: c.name, input: c.arguments } });
    return {
      output: { message: { role: 'assistant', content } },
      stopReason: STOP[plan.finish],
      usage: this.usage(plan),
      metrics: { latencyMs },
    };
  }

  private metadata(plan: Plan, latencyMs: number): Buffer {
    return encodeEvent('metadata', {
      usage: this.usage(plan),
      metrics: { latencyMs },
      p: PAD.slice(0, 6),
    });
  }

  private events(plan: Plan, latencyMs: number): Buffer[] {
    const frames: Buffer[] = [
      encodeEvent('messageStart', { role: 'assistant', p: PAD.slice(0, 10) }),
    ];
    let index = 0;
    if (plan.text !== '' || plan.toolCalls.length === 0) {
      for (const piece of plan.chunks) {
        frames.push(
          encodeEvent('contentBlockDelta', {
            contentBlockIndex: index,
            delta: { text: piece },
            p: PAD.slice(0, 4 + (piece.length % 20)),
          }),
        );
      }
      frames.push(
        encodeEvent('contentBlockStop', { contentBlockIndex: index, p: PAD.slice(0, 8) }),
      );
      index += 1;
    }
    for (const call of plan.toolCalls) {
      frames.push(
        encodeEvent('contentBlockStart', {
          contentBlockIndex: index,
          start: { toolUse: { toolUseId: call.id, name: call.name } },
          p: PAD.slice(0, 8),
        }),
      );
      for (const piece of splitFixed(call.argumentsJson)) {
        frames.push(
          encodeEvent('contentBlockDelta', {
            contentBlockIndex: index,
            delta: { toolUse: { input: piece } },
            p: PAD.slice(0, 6),
          }),
        );
      }
      frames.push(
        encodeEvent('contentBlockStop', { contentBlockIndex: index, p: PAD.slice(0, 8) }),
      );
      index += 1;
    }
    frames.push(encodeEvent('messageStop', { stopReason: STOP[plan.finish], p: PAD.slice(0, 12) }));
    frames.push(this.metadata(plan, latencyMs));
    return frames;
  }

  private streamError(kind: ErrorKind, message: string | undefined): Frame {
    const member = STREAM_EXCEPTIONS[kind];
    const e = ERRORS[kind];
    if (!member) return encodeError(e.type, message ?? e.message);
    const payload: Record<string, unknown> = { message: message ?? e.message };
    if (member === 'modelStreamErrorException') {
      payload.originalStatusCode = e.status;
      payload.originalMessage = message ?? e.message;
    }
    return encodeException(member, payload);
  }

  // ---- errors ----

  private error(
    status: number,
    type: string,
    message: string,
    ctx: RequestContext,
    ns = SERVICE_NS,
    headers: OutgoingHttpHeaders = {},
  ): ErrorResponse {
    return {
      status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId(ctx.seq),
        'x-amzn-errortype': `${type}:${ns}`,
        ...headers,
      },
      body: JSON.stringify({ message }),
    };
  }
}

/** Deterministic latency report: the scripted delays, at least 1 ms. */
function latency(b: Behaviour, frames: number): number {
  const spec = b as ReplySpec;
  const first = spec.delayMs ?? spec.ttftMs ?? 0;
  return Math.max(1, first + (spec.chunkDelayMs ?? 0) * Math.max(0, frames - 1));
}
