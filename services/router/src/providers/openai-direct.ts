// OpenAI, vLLM, any OpenAI-compatible server and Groq, speaking the Chat Completions wire
// directly over keep-alive node:http agents: the router's hot path (`client: direct`, the
// default for these kinds; `client: sdk` switches back to the official SDKs, openai.ts/groq.ts).
//
// Why hand-written, against the rule of preferring the SDKs (DESIGN §4): the router only sends
// requests it already built and reads answers into its own types, so it uses none of what the
// SDKs add (typed params, pagination, retries — off —, file uploads) but pays for all of it on
// every call: request building and header merging, eager log formatting, a promise chain of
// ~20 links, undici's Request/Headers objects and web streams under them. Measured on the
// router's machine with the bench (scripts/bench/router-overhead, README there), the SDK adapter
// costs several times the CPU of this client per call, most of the router's overhead over a bare
// proxy. The wire is small and stable (one POST, JSON or SSE back) and the request/response
// translation is the one the SDK adapters already share (openai-wire.ts), as is the error
// classification (stainless.ts `mapApiError`); the same contract, wire and failure suites run
// against both clients.
import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { codingOf, decodeStream, decodeWhole } from '../upstream/http-fetch.js';
import { cancelledError, mapTransport, providerError, truncatedStreamError } from './errors.js';
import {
  ChunkAssembler,
  chatResult,
  wireChatBody,
  type WireChunk,
  type WireCompletion,
} from './openai-wire.js';
import { OPENAI_DEFAULT_BASE_URL } from './openai.js';
import { GROQ_DEFAULT_BASE_URL } from './groq.js';
import { DEFAULT_TIMEOUT_MS } from './shared.js';
import { mapApiError } from './stainless.js';
import type {
  Cancellation,
  ChatRequest,
  ChatResult,
  EmbedRequest,
  EmbedResult,
  ModelListing,
  ProviderAdapter,
  ProviderError,
  ProviderSettings,
  StreamEvent,
} from './types.js';

export type DirectKind = 'openai' | 'vllm' | 'openai-compatible' | 'groq';

/** Marks why the client destroyed a request, so the failure is classified by it. */
const ABORTED = 'aborted by the caller';
const TIMED_OUT = 'no response headers before the client timeout';

/** An answer read whole. */
interface Answer {
  status: number;
  res: IncomingMessage;
  text: string;
}

function noop(): void {}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * One upstream request: the node:http request, its abort listener and its last-resort timer
 * (until the response headers, as the SDKs time out), and the settle-once bookkeeping shared by
 * the whole-answer and the streamed paths. A class rather than closures: one object per call.
 */
class Exchange {
  req: ClientRequest | undefined;
  res: IncomingMessage | undefined;
  /** Why we destroyed the request ourselves, if we did. */
  why: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chunks: Buffer[] | undefined;
  private first: Buffer | undefined;
  private settled = false;
  private resolveAnswer: ((a: Answer) => void) | undefined;
  private resolveHead: ((res: IncomingMessage) => void) | undefined;
  private reject!: (err: unknown) => void;
  readonly onAbort = (): void => this.destroy(ABORTED);

  constructor(
    private readonly client: DirectClient,
    private readonly signal: Cancellation | undefined,
  ) {}

  /** Sends the request; resolves with the whole answer (any status). */
  whole(method: string, path: string, body: string | undefined): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.resolveAnswer = resolve;
      this.reject = reject;
      this.send(method, path, body);
    });
  }

  /** Sends the request; resolves with the response once its headers are in (body unread). */
  head(method: string, path: string, body: string | undefined): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      this.resolveHead = resolve;
      this.reject = reject;
      this.send(method, path, body);
    });
  }

  private send(method: string, path: string, body: string | undefined): void {
    const c = this.client;
    const headers =
      body === undefined
        ? c.headers
        : [...c.headers, 'Content-Length', String(Buffer.byteLength(body))];
    const req = (c.secure ? httpsRequest : httpRequest)(
      {
        agent: c.agent,
        hostname: c.hostname,
        port: c.port,
        method,
        path: c.basePath + path,
        // A flat array is written as it is (no per-header bookkeeping); it names Host itself.
        headers,
      },
      (res) => this.onResponse(res),
    );
    this.req = req;
    req.on('error', (err) => this.fail(err));
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = setTimeout(() => this.destroy(TIMED_OUT), c.timeoutMs);
    req.end(body);
  }

  private onResponse(res: IncomingMessage): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.res = res;
    if (this.resolveHead) {
      this.settled = true;
      // Until its reader listens, an error of the handed-over response must not go unheard.
      res.on('error', noop);
      this.resolveHead(res);
      return;
    }
    res.on('data', (chunk: Buffer) => {
      if (this.first === undefined) this.first = chunk;
      else (this.chunks ??= [this.first]).push(chunk);
    });
    res.on('end', () => {
      if (this.settled) return;
      this.settled = true;
      this.detach();
      let buf = this.chunks ? Buffer.concat(this.chunks) : (this.first ?? Buffer.alloc(0));
      const coding = codingOf(res);
      if (coding) {
        try {
          buf = decodeWhole(buf, coding);
        } catch (err) {
          this.reject(this.client.failure(err, this.signal, this.why));
          return;
        }
      }
      this.resolveAnswer!({ status: res.statusCode ?? 502, res, text: buf.toString('utf8') });
    });
    res.on('error', (err) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.reject(this.client.failure(err, this.signal, this.why));
  }

  /** Destroys the request (and response); the failure is classified by `why`. */
  destroy(why: string): void {
    this.why ??= why;
    const err = new Error(why);
    if (this.res && !this.res.complete) this.res.destroy(err);
    this.req?.destroy(err);
    // A response already handed over (a stream): its reader sees the destroyed stream.
    this.fail(err);
  }

  /** Stops listening for aborts and the timer (the call is over, or a stream took it). */
  detach(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** The connection settings of one upstream API root, shared by its calls. */
class DirectClient {
  readonly agent: HttpAgent;
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number | undefined;
  /** Path of the API root, no trailing slash (`/v1`, `/openai/v1`). */
  readonly basePath: string;
  /** Every request's headers, flat (name, value, …), Host included. */
  readonly headers: string[];

  constructor(
    readonly provider: string,
    root: string,
    apiKey: string | undefined,
    extra: Record<string, string> | undefined,
    readonly timeoutMs: number,
    maxSockets: number,
  ) {
    const u = new URL(root);
    this.secure = u.protocol === 'https:';
    const h = u.hostname;
    this.hostname = h.startsWith('[') ? h.slice(1, -1) : h;
    this.port = u.port ? Number(u.port) : undefined;
    this.basePath = u.pathname.replace(/\/+$/, '');
    const options = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets };
    this.agent = this.secure ? new HttpsAgent(options) : new HttpAgent(options);
    const headers = new Map<string, [string, string]>();
    const set = (name: string, value: string) => headers.set(name.toLowerCase(), [name, value]);
    set('Host', u.host);
    set('Content-Type', 'application/json');
    set('Accept', 'application/json');
    set('User-Agent', 'quantumlayer-router');
    // Self-hosted servers often run without auth: no Authorization header at all then.
    if (apiKey) set('Authorization', `Bearer ${apiKey}`);
    for (const [k, v] of Object.entries(extra ?? {})) set(k, v);
    this.headers = [...headers.values()].flat();
  }

  exchange(signal: Cancellation | undefined): Exchange {
    return new Exchange(this, signal);
  }

  /** A transport failure (or our own abort/timeout) as a ProviderError. */
  failure(err: unknown, signal: Cancellation | undefined, why: string | undefined): ProviderError {
    if (why === ABORTED || signal?.aborted) return cancelledError(this.provider);
    if (why === TIMED_OUT)
      return providerError(this.provider, 'timeout', { providerCode: 'client_timeout' });
    return (
      mapTransport(this.provider, err, undefined) ??
      providerError(this.provider, 'network', {
        providerCode: (err as { code?: string } | undefined)?.code ?? 'connection_failed',
      })
    );
  }

  /** An error answer (status ≥ 400) as a ProviderError, from its status, body and headers. */
  statusError(status: number, res: IncomingMessage, text: string): ProviderError {
    return mapApiError(this.provider, status, safeJson(text), (n) => {
      const v = res.headers[n];
      return Array.isArray(v) ? v.join(', ') : v;
    });
  }

  destroy(): void {
    this.agent.destroy();
  }
}

/** Splits a server-sent event stream into the `data` of each event. */
async function* sseData(res: IncomingMessage): AsyncGenerator<string> {
  const source = decodeStream(res, codingOf(res));
  source.setEncoding('utf8');
  let buf = '';
  for await (const chunk of source as AsyncIterable<string>) {
    buf += chunk;
    for (;;) {
      // An event ends at a blank line (LF LF, or CRLF CRLF from some servers).
      let end = buf.indexOf('\n\n');
      let sep = 2;
      const crlf = buf.indexOf('\r\n\r\n');
      if (crlf !== -1 && (end === -1 || crlf < end)) {
        end = crlf;
        sep = 4;
      }
      if (end === -1) break;
      const event = buf.slice(0, end);
      buf = buf.slice(end + sep);
      let data: string | undefined;
      for (const raw of event.split('\n')) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (!line.startsWith('data:')) continue; // comments, event names, ids
        const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        data = data === undefined ? value : `${data}\n${value}`;
      }
      if (data !== undefined) yield data;
    }
  }
}

/**
 * The Chat Completions adapter over `DirectClient`. Same request/answer translation as the SDK
 * adapters (openai-wire.ts); errors classified by `mapApiError` from status, body and headers
 * (`Retry-After`), or in a stream by the error event's body.
 */
export class DirectChatCompletionsAdapter implements ProviderAdapter {
  readonly kind: DirectKind;
  private readonly client: DirectClient;
  private readonly tokenField: 'max_tokens' | 'max_completion_tokens';
  /** Whether streamed requests ask for usage (`stream_options`): Groq reports it in `x_groq`. */
  private readonly streamUsage: boolean;

  constructor(settings: ProviderSettings & { kind: DirectKind }) {
    this.kind = settings.kind;
    const groq = settings.kind === 'groq';
    if (!settings.apiKey && (settings.kind === 'openai' || groq)) {
      throw new Error(
        `provider ${settings.name}: kind ${settings.kind} needs an API key (apiKeyEnv)`,
      );
    }
    // OpenAI's reasoning models refuse `max_tokens`; vLLM and most compatible servers only
    // know `max_tokens`; Groq takes `max_completion_tokens` (as its SDK sends).
    this.tokenField = settings.kind === 'openai' || groq ? 'max_completion_tokens' : 'max_tokens';
    this.streamUsage = !groq;
    // Groq's base URL is the host; its API root is /openai/v1 under it (as groq-sdk builds it).
    const root = groq
      ? `${(settings.baseUrl ?? GROQ_DEFAULT_BASE_URL).replace(/\/+$/, '')}/openai/v1`
      : (settings.baseUrl ?? OPENAI_DEFAULT_BASE_URL);
    this.client = new DirectClient(
      settings.name,
      root,
      settings.apiKey,
      settings.headers,
      settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      settings.maxSockets ?? 256,
    );
  }

  get name(): string {
    return this.client.provider;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const signal = request.cancel ?? request.signal;
    if (signal?.aborted) throw cancelledError(this.name);
    const body = JSON.stringify(wireChatBody(request, this.tokenField));
    const a = await this.client.exchange(signal).whole('POST', '/chat/completions', body);
    return chatResult(this.name, this.parse<WireCompletion>(a));
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const signal = request.cancel ?? request.signal;
    if (signal?.aborted) throw cancelledError(this.name);
    const wire: ReturnType<typeof wireChatBody> = wireChatBody(request, this.tokenField);
    wire.stream = true;
    if (this.streamUsage) wire.stream_options = { include_usage: true };
    const ex = this.client.exchange(signal);
    const res = await ex.head('POST', '/chat/completions', JSON.stringify(wire));
    const status = res.statusCode ?? 502;
    if (status < 200 || status > 299) {
      ex.detach();
      throw this.client.statusError(status, res, await readAll(res));
    }
    const assembler = new ChunkAssembler();
    let complete = false;
    try {
      for await (const data of sseData(res)) {
        if (data === '[DONE]') continue; // the body ends right after; read it out for keep-alive
        const chunk = safeJson(data) as (WireChunk & { error?: unknown }) | undefined;
        if (chunk === undefined)
          throw providerError(this.name, 'server_error', { providerCode: 'invalid_stream_event' });
        // An error event inside the 200 stream: only its body says what happened.
        if (chunk.error !== undefined)
          throw mapApiError(this.name, undefined, chunk, (n) => headerOf(res, n));
        yield* assembler.push(chunk);
      }
      complete = true;
    } catch (err) {
      if (isProviderError(err)) throw err;
      throw this.client.failure(err, signal, ex.why);
    } finally {
      ex.detach();
      // Ended early (consumer gone, error event): the connection cannot be reused mid-answer.
      if (!complete) ex.destroy(ex.why ?? 'stream left early');
    }
    if (signal?.aborted) throw cancelledError(this.name);
    const finish = assembler.end();
    if (!finish) throw truncatedStreamError(this.name);
    yield finish;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const signal = request.cancel ?? request.signal;
    if (signal?.aborted) throw cancelledError(this.name);
    const groq = this.kind === 'groq';
    if (groq && request.dimensions !== undefined) {
      // Groq's embeddings take no `dimensions`; vectors of another size would be worse than a refusal.
      throw providerError(this.name, 'bad_request', {
        providerCode: 'dimensions_not_supported',
        param: 'dimensions',
      });
    }
    const body: Record<string, unknown> = {
      model: request.model,
      input: request.inputs,
      // base64 as the openai SDK asks (a quarter of the bytes); Groq only serves floats.
      encoding_format: groq ? 'float' : 'base64',
    };
    if (request.dimensions !== undefined) body.dimensions = request.dimensions;
    const a = await this.client.exchange(signal).whole('POST', '/embeddings', JSON.stringify(body));
    const res = this.parse<{
      data?: { index?: number; embedding: number[] | string }[];
      usage?: { prompt_tokens?: number };
    }>(a);
    const vectors: number[][] = new Array(request.inputs.length);
    (res.data ?? []).forEach((d, i) => {
      vectors[d.index ?? i] =
        typeof d.embedding === 'string' ? floatsOfBase64(d.embedding) : d.embedding;
    });
    return { vectors, usage: { inputTokens: res.usage?.prompt_tokens ?? 0, outputTokens: 0 } };
  }

  async listModels(signal?: AbortSignal): Promise<ModelListing[]> {
    if (signal?.aborted) throw cancelledError(this.name);
    const a = await this.client.exchange(signal).whole('GET', '/models', undefined);
    const res = this.parse<{ data?: { id: string }[] }>(a);
    return (res.data ?? []).map((m) => ({ id: m.id }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** A 2xx answer's JSON, or the error the answer is. */
  private parse<T>(a: Answer): T {
    if (a.status < 200 || a.status > 299) throw this.client.statusError(a.status, a.res, a.text);
    const value = safeJson(a.text);
    if (typeof value !== 'object' || value === null)
      throw providerError(this.name, 'server_error', {
        status: a.status,
        providerCode: 'invalid_json',
      });
    return value as T;
  }
}

function headerOf(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function isProviderError(err: unknown): err is ProviderError {
  return err instanceof Error && err.name === 'ProviderError';
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      let buf: Buffer = Buffer.concat(chunks);
      const coding = codingOf(res);
      try {
        if (coding) buf = decodeWhole(buf, coding);
      } catch {
        // an undecodable error body says nothing more than its status
      }
      resolve(buf.toString('utf8'));
    });
    // A cut error body: the status alone still classifies it.
    res.on('error', () => resolve(''));
  });
}

/** The openai SDK's decoding of `encoding_format: base64`: little-endian float32s. */
function floatsOfBase64(b64: string): number[] {
  const buf = Buffer.from(b64, 'base64');
  const out: number[] = new Array(buf.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
