import {
  createServer as createHttp1Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type Server as Http1Server,
} from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { planReply, type ChatInput, type Plan } from './plan.js';
import { Script, matches } from './script.js';
import type {
  Behaviour,
  CommonOptions,
  ErrorKind,
  FailSpec,
  Family,
  Matcher,
  RecordedRequest,
  ReplySpec,
  RouteName,
  StartOptions,
  Started,
} from './types.js';

export type Frame = string | Buffer;

/** What the fakes need of a request, HTTP/1.1 or HTTP/2 (compat API). */
export interface RequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/** What the fakes need of a response, HTTP/1.1 or HTTP/2 (compat API). */
export interface ResponseLike {
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: string | Buffer): boolean;
  end(): unknown;
  end(chunk: string | Buffer): unknown;
  flushHeaders?(): void;
  readonly headersSent: boolean;
  /** On HTTP/2 a proxy whose destroy() resets the stream. */
  readonly socket: { destroy(): unknown } | null;
}

/**
 * Drops the connection under a response, as a network cut would: the TCP socket on HTTP/1.1,
 * the whole session (and so its socket) on HTTP/2.
 */
export function dropConnection(res: ResponseLike): void {
  const h2 = res as { stream?: { session?: { destroy(): void } } };
  if (h2.stream?.session) h2.stream.session.destroy();
  else res.socket?.destroy();
}

/** True once the client went away or the response was torn down. */
export function gone(res: ResponseLike): boolean {
  const r = res as { destroyed?: boolean; stream?: { destroyed?: boolean } };
  return r.destroyed === true || r.stream?.destroyed === true;
}

/** One request on its way through a fake. */
export interface RequestContext {
  req: RequestLike;
  res: ResponseLike;
  method: string;
  path: string;
  query: Record<string, string>;
  rawBody: Buffer;
  /** Parsed JSON body, undefined when empty; `badJson` is set when it did not parse. */
  body: unknown;
  badJson: boolean;
  seq: number;
  recorded: RecordedRequest | undefined;
}

/** How a family wants a request treated, decided from method, path and body. */
export interface RouteDecision {
  route: RouteName;
  model?: string;
  stream?: boolean;
  /**
   * A validation refusal the provider itself would give (bad body, unknown model, input over
   * the context window). Sent after auth, before the script is consulted.
   */
  reject?: ErrorResponse;
  /** Runs after auth; gets the scripted behaviour. */
  handle: (ctx: RequestContext, behaviour: Behaviour) => void | Promise<void>;
}

export interface ErrorResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  body: string;
}

export interface StreamRender {
  status?: number;
  headers: OutgoingHttpHeaders;
  frames: Frame[];
}

/** Family hooks used by the shared chat runner. */
export interface ChatRenderer {
  input: ChatInput;
  json: (plan: Plan) => unknown;
  stream: (plan: Plan) => StreamRender;
  /** The provider's in-stream error frame. */
  streamError: (kind: ErrorKind, message: string | undefined) => Frame;
  /** Headers for a successful JSON reply. */
  headers?: () => OutgoingHttpHeaders;
}

const DEFAULT_MODELS: Record<Family, string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'],
  anthropic: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
  bedrock: ['anthropic.claude-3-5-sonnet-20240620-v1:0', 'amazon.nova-lite-v1:0'],
  ollama: ['llama3.2:latest', 'nomic-embed-text:latest'],
};

/**
 * The HTTP plumbing every family shares: plain node:http, socket tracking so close() also
 * ends hung requests, request recording, the behaviour script, and stream pacing.
 */
export abstract class FakeProviderServer {
  abstract readonly family: Family;
  /** Received requests, oldest first (empty when recording is off). */
  readonly requests: RecordedRequest[] = [];
  /** Requests received, recorded or not. */
  requestCount = 0;
  protected readonly script: Script;
  protected readonly options: CommonOptions;
  private server: NetServer | undefined;
  private http1: Http1Server | undefined;
  private http2: Http2Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: { n: number; resolve: () => void }[] = [];
  private closed = false;
  private started: Started | undefined;

  constructor(options: CommonOptions = {}) {
    this.options = options;
    this.script = new Script(options.defaultBehaviour);
  }

  get models(): string[] {
    return this.options.models ?? DEFAULT_MODELS[this.family];
  }

  get contextWindow(): number {
    return this.options.contextWindow ?? 128_000;
  }

  get embeddingDimensions(): number {
    return this.options.embeddingDimensions ?? 8;
  }

  get url(): string {
    if (!this.started) throw new Error(`${this.family} fake is not started`);
    return this.started.url;
  }

  get port(): number {
    if (!this.started) throw new Error(`${this.family} fake is not started`);
    return this.started.port;
  }

  /** Queue behaviours used once each, in order, by the next requests (matching `match`). */
  enqueue(...behaviours: Behaviour[]): this {
    this.script.enqueue(behaviours);
    return this;
  }

  enqueueFor(match: Matcher, ...behaviours: Behaviour[]): this {
    this.script.enqueue(behaviours, match);
    return this;
  }

  /** Standing rule for matching requests (all of them, or the next `times`); returns a remover. */
  when(match: Matcher, behaviour: Behaviour, times?: number): () => void {
    return this.script.when(match, behaviour, times);
  }

  setDefault(behaviour: Behaviour): this {
    this.script.setDefault(behaviour);
    return this;
  }

  /** Forget the script, the recorded requests and the count. */
  reset(): void {
    this.script.reset();
    this.requests.length = 0;
    this.requestCount = 0;
  }

  /** Recorded requests that match. */
  received(match?: Matcher): RecordedRequest[] {
    return match ? this.requests.filter((r) => matches(match, r)) : this.requests.slice();
  }

  count(match?: Matcher): number {
    return match ? this.received(match).length : this.requestCount;
  }

  lastRequest(): RecordedRequest | undefined {
    return this.requests[this.requests.length - 1];
  }

  /** Resolves once `n` requests in all have arrived (useful with `stall`). */
  waitForRequests(n: number, timeoutMs = 5000): Promise<void> {
    if (this.requestCount >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`timed out waiting for ${n} requests (got ${this.requestCount})`));
      }, timeoutMs);
      const waiter = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  async start(opts: StartOptions = {}): Promise<Started> {
    if (this.server) throw new Error(`${this.family} fake already started`);
    const host = opts.host ?? '127.0.0.1';
    // One port for both protocols: the AWS SDK's default handler speaks HTTP/2 with prior
    // knowledge (h2c), the other SDKs HTTP/1.1. The first bytes tell them apart.
    const http1 = createHttp1Server({ keepAliveTimeout: 5000 }, (req, res) =>
      this.onRequest(req, res),
    );
    const http2 = createHttp2Server((req, res) => this.onRequest(req, res));
    const server = createNetServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        if (isHttp2Preface(first)) {
          // The HTTP/2 session drains already-buffered bytes itself on its next tick.
          http2.emit('connection', socket);
        } else {
          http1.emit('connection', socket);
          socket.resume();
        }
      });
    });
    this.http1 = http1;
    this.http2 = http2;
    this.server = server;
    this.closed = false;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
    const urlHost = host.includes(':') ? `[${host}]` : host;
    this.started = { url: `http://${urlHost}:${port}`, port };
    return this.started;
  }

  /** Stop listening and destroy every open socket, hung or streaming. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.closed = true;
    this.server = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    this.http1?.closeAllConnections();
    this.http2?.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await done;
  }

  // ---- family hooks ----

  /** Route the request; undefined means the family's 404. */
  protected abstract decide(ctx: RequestContext): RouteDecision | undefined;
  /** Credentials and required headers; an error response refuses the request. */
  protected abstract authorize(
    ctx: RequestContext,
    decision: RouteDecision,
  ): ErrorResponse | undefined;
  /** The family's error for a provider-neutral error class. */
  protected abstract errorFor(
    kind: ErrorKind,
    spec: Partial<FailSpec>,
    ctx: RequestContext,
  ): ErrorResponse;
  protected abstract notFoundRoute(ctx: RequestContext): ErrorResponse;

  // ---- request flow ----

  private onRequest(req: RequestLike, res: ResponseLike): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.dispatch(req, res, rawBody).catch((err: unknown) => {
        if (!res.headersSent && !gone(res)) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake provider failure: ${String(err)}`);
        } else dropConnection(res);
      });
    });
  }

  private async dispatch(req: RequestLike, res: ResponseLike, rawBody: Buffer) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query: Record<string, string> = {};
    if (q >= 0) for (const [k, v] of new URLSearchParams(url.slice(q + 1))) query[k] = v;
    let body: unknown;
    let badJson = false;
    if (rawBody.length > 0) {
      const text = rawBody.toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        badJson = true;
      }
    }
    this.requestCount += 1;
    const ctx: RequestContext = {
      req,
      res,
      method: req.method ?? 'GET',
      path,
      query,
      rawBody,
      body,
      badJson,
      seq: this.requestCount,
      recorded: undefined,
    };
    const decision = this.decide(ctx);
    if (this.options.record !== false) {
      ctx.recorded = {
        seq: ctx.seq,
        method: ctx.method,
        path,
        query,
        headers: req.headers,
        body,
        route: decision?.route ?? 'other',
        model: decision?.model,
        stream: decision?.stream ?? false,
        receivedAt: Date.now(),
      };
      this.requests.push(ctx.recorded);
    }
    this.notifyWaiters();
    if (!decision) return this.sendError(ctx, this.notFoundRoute(ctx));
    const refused = this.authorize(ctx, decision);
    if (refused) return this.sendError(ctx, refused);
    if (decision.reject) return this.sendError(ctx, decision.reject);
    const view: RecordedRequest = ctx.recorded ?? {
      seq: ctx.seq,
      method: ctx.method,
      path,
      query,
      headers: req.headers,
      body,
      route: decision.route,
      model: decision.model,
      stream: decision.stream ?? false,
      receivedAt: Date.now(),
    };
    await decision.handle(ctx, this.script.next(view));
  }

  private notifyWaiters() {
    if (this.waiters.length === 0) return;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (this.requestCount >= w.n) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  // ---- helpers for families ----

  protected sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  protected isModelKnown(model: string): boolean {
    return !this.options.strictModels || this.models.includes(model);
  }

  protected sendError(ctx: RequestContext, err: ErrorResponse): void {
    if (gone(ctx.res)) return;
    ctx.res.writeHead(err.status, {
      ...err.headers,
      'content-length': Buffer.byteLength(err.body),
    });
    ctx.res.end(err.body);
  }

  /** Error response for a `fail` / `throttle` behaviour, with overrides applied. */
  protected failResponse(ctx: RequestContext, spec: FailSpec): ErrorResponse {
    const base = this.errorFor(spec.error, spec, ctx);
    const headers: OutgoingHttpHeaders = { ...base.headers, ...spec.headers };
    if (spec.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(spec.retryAfterSeconds);
    return {
      status: spec.status ?? base.status,
      headers,
      body: spec.body !== undefined ? JSON.stringify(spec.body) : base.body,
    };
  }

  /**
   * Applies the failure-type behaviours that do not depend on the route. Returns true when the
   * request was taken care of (error sent, or stalled for good).
   */
  protected async handleFailure(ctx: RequestContext, behaviour: Behaviour): Promise<boolean> {
    switch (behaviour.kind) {
      case 'fail':
        await this.sleep(behaviour.delayMs ?? 0);
        this.sendError(ctx, this.failResponse(ctx, behaviour));
        return true;
      case 'throttle':
        this.sendError(
          ctx,
          this.failResponse(ctx, {
            error: 'rate_limit',
            retryAfterSeconds: behaviour.retryAfterSeconds ?? 1,
            ...(behaviour.message !== undefined ? { message: behaviour.message } : {}),
          }),
        );
        return true;
      case 'stall':
        // Accepted and never answered: the socket stays open until the client gives up or
        // close() destroys it.
        return behaviour.afterChunks === undefined;
      default:
        return false;
    }
  }

  /** Non-streamed JSON answer, honouring delay and the stall/cut half-body behaviours. */
  protected async sendJson(
    ctx: RequestContext,
    payload: unknown,
    behaviour: Behaviour,
    headers: OutgoingHttpHeaders = {},
    status = 200,
  ): Promise<void> {
    const spec = behaviour as ReplySpec;
    await this.sleep(spec.delayMs ?? spec.ttftMs ?? 0);
    if (gone(ctx.res)) return;
    const body = JSON.stringify(payload);
    const length = Buffer.byteLength(body);
    ctx.res.writeHead(status, {
      'content-type': 'application/json',
      ...headers,
      'content-length': length,
    });
    if (behaviour.kind === 'stall' || behaviour.kind === 'cut') {
      ctx.res.write(Buffer.from(body).subarray(0, Math.floor(length / 2)));
      if (behaviour.kind === 'cut') dropConnection(ctx.res);
      return;
    }
    ctx.res.end(body);
  }

  /**
   * Streamed answer: head, then frames paced by ttft/chunk delay, ending early for
   * `cut`, `stall` and `streamError`.
   */
  protected async sendStream(
    ctx: RequestContext,
    render: StreamRender,
    behaviour: Behaviour,
    errorFrame?: () => Frame,
  ): Promise<void> {
    const { res } = ctx;
    const spec = behaviour as ReplySpec;
    const frames = render.frames;
    let limit = frames.length;
    if (
      behaviour.kind === 'cut' ||
      behaviour.kind === 'streamError' ||
      behaviour.kind === 'stall'
    ) {
      limit = Math.min(frames.length, behaviour.afterChunks ?? 1);
    }
    res.writeHead(render.status ?? 200, render.headers);
    const ttft = spec.ttftMs ?? 0;
    const gap = spec.chunkDelayMs ?? 0;
    // With pacing the head goes out at once (clients see the response start, then wait for
    // tokens); without it, head and frames leave in one write.
    if (ttft > 0 || gap > 0 || limit === 0) res.flushHeaders?.();
    if (ttft === 0 && gap === 0) {
      if (limit > 0) res.write(joinFrames(frames, limit));
    } else {
      for (let i = 0; i < limit; i++) {
        await this.sleep(i === 0 ? ttft : gap);
        if (gone(res) || this.closed) return;
        res.write(frames[i]!);
      }
    }
    if (gone(res)) return;
    switch (behaviour.kind) {
      case 'cut': {
        const next = frames[limit];
        if (behaviour.midFrame && next !== undefined) {
          const bytes = typeof next === 'string' ? Buffer.from(next) : next;
          res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
        }
        // Let the written bytes reach the client before the reset.
        setImmediate(() => dropConnection(res));
        return;
      }
      case 'stall':
        return;
      case 'streamError':
        if (errorFrame) res.write(errorFrame());
        res.end();
        return;
      default:
        res.end();
    }
  }

  /** The shared chat flow: failure behaviours, then a planned reply as JSON or as a stream. */
  protected async runChat(
    ctx: RequestContext,
    behaviour: Behaviour,
    renderer: ChatRenderer,
    toolId: (index: number) => string,
  ): Promise<void> {
    if (await this.handleFailure(ctx, behaviour)) return;
    if (behaviour.kind === 'streamError' && !renderer.input.stream) {
      const spec: FailSpec = { error: behaviour.error };
      if (behaviour.errorMessage !== undefined) spec.message = behaviour.errorMessage;
      this.sendError(ctx, this.failResponse(ctx, spec));
      return;
    }
    const plan = planReply(renderer.input, behaviour as ReplySpec, toolId);
    if (!renderer.input.stream) {
      await this.sendJson(ctx, renderer.json(plan), behaviour, renderer.headers?.());
      return;
    }
    const onError =
      behaviour.kind === 'streamError'
        ? () => renderer.streamError(behaviour.error, behaviour.errorMessage)
        : undefined;
    await this.sendStream(ctx, renderer.stream(plan), behaviour, onError);
  }
}

const PREFACE = Buffer.from('PRI * HTTP/2.0');

function isHttp2Preface(first: Buffer): boolean {
  const n = Math.min(first.length, PREFACE.length);
  return n >= 3 && first.subarray(0, n).equals(PREFACE.subarray(0, n));
}

function joinFrames(frames: Frame[], limit: number): Frame {
  if (limit === 1) return frames[0]!;
  if (typeof frames[0] === 'string') {
    let out = '';
    for (let i = 0; i < limit; i++) out += frames[i] as string;
    return out;
  }
  return Buffer.concat(
    frames.slice(0, limit).map((f) => (typeof f === 'string' ? Buffer.from(f) : f)),
  );
}
