import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import {
  brotliDecompressSync,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  gunzipSync,
  inflateSync,
} from 'node:zlib';

/**
 * A `fetch` for the provider SDKs (they all take a `fetch` option) over node:http/https with
 * keep-alive agents, for the router's hot path.
 *
 * Why: Node's built-in fetch (undici) wraps every request and response in WHATWG streams and
 * objects; at LLM-gateway request rates that is most of the CPU a proxied call costs. Measured
 * on the router's machine with the official `openai` client against the loopback fake:
 * ~0.5 ms less per call at concurrency 1 and ~40% more calls/s at concurrency 32 than the
 * default fetch. Non-streamed answers are read whole into the Response (no stream machinery);
 * event streams (`text/event-stream`, NDJSON) are handed over as a web stream, since the SDKs
 * parse them incrementally. Anything this does not handle (a `Request` object, a body that is a
 * stream or a form) goes to the built-in fetch.
 *
 * Behaviour kept from the platform fetch, which the adapters' error mapping relies on: an abort
 * rejects with the signal's reason (an `AbortError` when it has none), also mid-body; a
 * connection failure rejects with `TypeError('fetch failed', { cause })`; error statuses resolve
 * with their headers (`retry-after`) and body; gzip/deflate/br bodies are decoded. Not kept:
 * redirects are not followed (provider APIs do not redirect API calls).
 */
export interface HttpFetchOptions {
  /** Concurrent connections per upstream host. */
  maxSockets?: number;
  keepAliveMs?: number;
}

/** `fetch`, plus `destroy()` to close the idle keep-alive connections (shutdown). */
export type HttpFetch = typeof fetch & { destroy(): void };

type FetchInput = string | URL | Request;

function headerRecord(init: ConstructorParameters<typeof Headers>[0]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  if (init instanceof Headers) init.forEach((v, k) => (out[k] = v));
  else if (Array.isArray(init)) {
    for (const pair of init)
      if (pair[0] !== undefined && pair[1] !== undefined) out[pair[0].toLowerCase()] = pair[1];
  } else
    for (const [k, v] of Object.entries(init))
      if (v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}

function responseHeaders(res: IncomingMessage): Headers {
  const h = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) h.append(raw[i]!, raw[i + 1]!);
  return h;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * The headers of a response read whole: the `Headers` API (get/has/iteration in sorted order,
 * `getSetCookie`, immutable) over a plain map built from the raw header lines, without
 * undici's per-header validation and bookkeeping. It passes `instanceof Headers`, so SDK code
 * that checks for it sees what it would with the platform fetch; every method is its own.
 */
class ResponseHeaders {
  /** Lower-cased name → values in arrival order. */
  readonly #values = new Map<string, string[]>();
  #sorted: [string, string][] | undefined;

  constructor(raw: string[]) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!.trim();
      const list = this.#values.get(name);
      if (list) list.push(value);
      else this.#values.set(name, [value]);
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase())?.join(', ') ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  getSetCookie(): string[] {
    return [...(this.#values.get('set-cookie') ?? [])];
  }

  set(): never {
    throw new TypeError('immutable');
  }

  append(): never {
    throw new TypeError('immutable');
  }

  delete(): never {
    throw new TypeError('immutable');
  }

  /** Sorted by name, `set-cookie` one entry per value, as the Fetch standard iterates. */
  entries(): IterableIterator<[string, string]> {
    // Built once: the SDKs iterate a response's headers more than once.
    if (!this.#sorted) {
      const sorted: [string, string][] = [];
      for (const name of [...this.#values.keys()].sort()) {
        const values = this.#values.get(name)!;
        if (name === 'set-cookie') for (const v of values) sorted.push([name, v]);
        else sorted.push([name, values.join(', ')]);
      }
      this.#sorted = sorted;
    }
    return this.#sorted[Symbol.iterator]();
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  forEach(fn: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this as unknown as Headers);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  [INSPECT](): Record<string, string> {
    return Object.fromEntries(this.entries());
  }
}
Object.setPrototypeOf(ResponseHeaders.prototype, Headers.prototype);
Object.defineProperty(ResponseHeaders.prototype, Symbol.toStringTag, { value: 'Headers' });

/** BOM-less UTF-8, as `Response.text()` decodes. */
function utf8(buf: Buffer): string {
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  return buf.toString('utf8', bom ? 3 : 0);
}

/**
 * A response whose body was read whole: what the SDKs use of `Response` (status, ok, headers,
 * text/json/arrayBuffer, body, bodyUsed, clone) over the buffer, without the web stream undici
 * builds for every body. The first use of `body` (or of anything rarer, like `formData`) turns
 * it into a real `Response` over the same bytes, which serves everything from then on.
 */
class BufferedResponse {
  readonly type = 'default';
  readonly url = '';
  readonly redirected = false;
  readonly ok: boolean;
  #buf: Buffer | null;
  #used = false;
  #real: Response | undefined;

  constructor(
    buf: Buffer | null,
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
  ) {
    this.#buf = buf;
    this.ok = status >= 200 && status <= 299;
  }

  private get real(): Response {
    if (!this.#real) {
      this.#real = new Response(this.#buf, {
        status: this.status,
        statusText: this.statusText,
        headers: [...this.headers],
      });
      // A body read already is read on the real response too (bodyUsed, a disturbed stream).
      if (this.#used && this.#buf) void this.#real.arrayBuffer().catch(() => undefined);
    }
    return this.#real;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#buf === null) return null;
    return this.real.body;
  }

  get bodyUsed(): boolean {
    return this.#real ? this.#real.bodyUsed : this.#used;
  }

  #take(): Buffer {
    // A null body reads as empty, any number of times.
    if (this.#buf === null) return Buffer.alloc(0);
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#buf;
  }

  async text(): Promise<string> {
    if (this.#real) return this.#real.text();
    return utf8(this.#take());
  }

  async json(): Promise<unknown> {
    if (this.#real) return this.#real.json();
    return JSON.parse(utf8(this.#take())) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real) return this.#real.arrayBuffer();
    const b = this.#take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  blob(): Promise<Blob> {
    return this.real.blob();
  }

  formData(): Promise<FormData> {
    return this.real.formData();
  }

  clone(): BufferedResponse | Response {
    if (this.#real) return this.#real.clone();
    if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.#buf, this.status, this.statusText, this.headers);
  }
}

/**
 * A second abort signal for one request, under this symbol key of its `RequestInit`: the
 * router's own (caller gone, attempt timeout), handed to this fetch past the SDK.
 *
 * Why: given a `signal`, the SDKs compose it with their own controller (`AbortSignal.any`, weak
 * references, finalizers) on every call; on Node 20 that is ~100 µs of CPU per call, more than
 * the rest of the SDK's request building. Passed here instead (through the SDKs' per-request
 * `fetchOptions`, which they hand to `fetch` as they are), it aborts the request exactly as
 * before: the request is destroyed and the fetch rejects with the signal's reason, also
 * mid-stream; the adapters classify the failure by their own signal, which is aborted. The SDK's
 * own `signal` (its timeout) is obeyed as well. The platform fetch ignores the key, so adapters
 * only use it with a fetch made here (`acceptsUpstreamSignal`).
 */
export const UPSTREAM_SIGNAL = Symbol.for('quantumlayer.router.upstreamSignal');

const ACCEPTS_UPSTREAM_SIGNAL = Symbol('acceptsUpstreamSignal');

/** Whether `f` obeys `UPSTREAM_SIGNAL` (a fetch from `createHttpFetch`). */
export function acceptsUpstreamSignal(f: typeof fetch | undefined): boolean {
  return !!f && (f as { [ACCEPTS_UPSTREAM_SIGNAL]?: boolean })[ACCEPTS_UPSTREAM_SIGNAL] === true;
}

/** The (at most two) signals one request obeys. */
class Aborts {
  constructor(
    private readonly a: AbortSignal | undefined,
    private readonly b: AbortSignal | undefined,
  ) {}

  /** The signal that fired (the first), if any did. */
  fired(): AbortSignal | undefined {
    if (this.a?.aborted) return this.a;
    if (this.b?.aborted) return this.b;
    return undefined;
  }

  on(listener: () => void): void {
    this.a?.addEventListener('abort', listener, { once: true });
    this.b?.addEventListener('abort', listener, { once: true });
  }

  off(listener: () => void): void {
    this.a?.removeEventListener('abort', listener);
    this.b?.removeEventListener('abort', listener);
  }
}

/** What the platform fetch rejects with on abort: the signal's reason, else an AbortError. */
function abortReason(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (reason !== undefined) return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

/** The body's decoder for its `content-encoding`, as the platform fetch decodes it. */
export type Coding = 'gzip' | 'deflate' | 'br' | undefined;

export function codingOf(res: IncomingMessage): Coding {
  const enc = res.headers['content-encoding']?.trim().toLowerCase();
  if (!enc || enc === 'identity') return undefined;
  if (enc === 'gzip' || enc === 'x-gzip') return 'gzip';
  if (enc === 'deflate') return 'deflate';
  if (enc === 'br') return 'br';
  return undefined;
}

export function decodeWhole(buf: Buffer, coding: Coding): Buffer {
  if (coding === 'gzip') return gunzipSync(buf);
  if (coding === 'deflate') return inflateSync(buf);
  if (coding === 'br') return brotliDecompressSync(buf);
  return buf;
}

export function decodeStream(res: IncomingMessage, coding: Coding): Readable {
  if (!coding) return res;
  const decoder =
    coding === 'gzip'
      ? createGunzip()
      : coding === 'deflate'
        ? createInflate()
        : createBrotliDecompress();
  res.on('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

/** What `http.request` needs of a URL (as `url.urlToHttpOptions` makes it). */
interface Target {
  protocol: string;
  /** Without the brackets of an IPv6 literal. */
  hostname: string;
  port: string;
  path: string;
}

function toTarget(u: URL): Target {
  const h = u.hostname;
  return {
    protocol: u.protocol,
    hostname: h.startsWith('[') ? h.slice(1, -1) : h,
    port: u.port,
    path: u.pathname + u.search,
  };
}

/** Parsed request URLs: an adapter calls the same few endpoints over and over. */
const targets = new Map<string, Target>();

function parseUrl(input: string): Target {
  let t = targets.get(input);
  if (!t) {
    t = toTarget(new URL(input));
    if (targets.size >= 1_000) targets.clear();
    targets.set(input, t);
  }
  return t;
}

export function createHttpFetch(options: HttpFetchOptions = {}): HttpFetch {
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: options.keepAliveMs ?? 30_000,
    maxSockets: options.maxSockets ?? 256,
  };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  const httpFetch = (input: FetchInput, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (
      input instanceof Request ||
      (body !== undefined &&
        body !== null &&
        typeof body !== 'string' &&
        !(body instanceof Uint8Array))
    ) {
      return fetch(input, init);
    }
    const url = input instanceof URL ? toTarget(input) : parseUrl(input);
    const secure = url.protocol === 'https:';
    const headers = headerRecord(init.headers);
    if (body !== undefined && body !== null)
      headers['content-length'] = String(Buffer.byteLength(body));
    const aborts = new Aborts(
      init.signal ?? undefined,
      (init as { [UPSTREAM_SIGNAL]?: AbortSignal })[UPSTREAM_SIGNAL],
    );
    const early = aborts.fired();
    if (early) return Promise.reject(abortReason(early));

    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          path: url.path,
          method: init.method ?? 'GET',
          headers,
          agent: secure ? https : http,
        },
        (res) => {
          const status = res.statusCode ?? 502;
          const type = res.headers['content-type'] ?? '';
          const coding = codingOf(res);
          const streamed = type.includes('text/event-stream') || type.includes('ndjson');
          if (streamed) {
            aborts.off(onAbort);
            // Aborting later destroys the response stream; the web stream reports it.
            aborts.on(() => res.destroy(abortReason(aborts.fired()!) as Error));
            resolve(
              new Response(
                Readable.toWeb(decodeStream(res, coding)) as ReadableStream<Uint8Array>,
                {
                  status,
                  statusText: res.statusMessage,
                  headers: responseHeaders(res),
                },
              ),
            );
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            aborts.off(onAbort);
            // 1xx/204/304 answers carry no body by definition.
            const nullBody = status === 204 || status === 304 || status < 200;
            let buf: Buffer | null = null;
            if (!nullBody) {
              buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
              try {
                buf = decodeWhole(buf, coding);
              } catch (err) {
                reject(Object.assign(new TypeError('fetch failed'), { cause: err }));
                return;
              }
            }
            resolve(
              new BufferedResponse(
                buf,
                status,
                res.statusMessage ?? '',
                new ResponseHeaders(res.rawHeaders) as unknown as Headers,
              ) as unknown as Response,
            );
          });
          res.on('error', (err) => {
            aborts.off(onAbort);
            const fired = aborts.fired();
            reject(fired ? abortReason(fired) : err);
          });
        },
      );
      const onAbort = () => req.destroy(abortReason(aborts.fired()!) as Error);
      aborts.on(onAbort);
      req.on('error', (err) => {
        aborts.off(onAbort);
        const fired = aborts.fired();
        reject(
          fired ? abortReason(fired) : Object.assign(new TypeError('fetch failed'), { cause: err }),
        );
      });
      req.end(body ?? undefined);
    });
  };
  return Object.assign(httpFetch as typeof fetch, {
    [ACCEPTS_UPSTREAM_SIGNAL]: true,
    destroy: () => {
      http.destroy();
      https.destroy();
    },
  });
}
