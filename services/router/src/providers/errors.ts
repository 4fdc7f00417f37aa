// Shared pieces of the error mapping: every adapter turns its SDK's failures into one
// `ProviderError` with a kind from the taxonomy, and never puts upstream text in the message
// (provider messages can quote the prompt or a masked key), only status, codes and field names.
import { ProviderError, type ProviderErrorKind } from './types.js';

const KIND_TEXT: Record<ProviderErrorKind, string> = {
  rate_limited: 'rate limited by the upstream',
  overloaded: 'upstream overloaded',
  timeout: 'upstream timed out',
  context_too_long: 'input exceeds the model context window',
  auth: 'upstream refused the credentials or account',
  bad_request: 'upstream rejected the request',
  server_error: 'upstream server error',
  network: 'network failure talking to the upstream',
  cancelled: 'request cancelled by the caller',
};

export interface ErrorFacts {
  status?: number;
  retryAfterMs?: number;
  providerCode?: string;
  /** A request field the upstream blamed (a path, never a value). */
  param?: string;
  /** Only errors without an upstream body (system errors), so nothing upstream-written leaks. */
  cause?: unknown;
}

export function providerError(
  provider: string,
  kind: ProviderErrorKind,
  facts: ErrorFacts = {},
): ProviderError {
  const bits: string[] = [];
  if (facts.status !== undefined) bits.push(`HTTP ${facts.status}`);
  if (facts.providerCode) bits.push(facts.providerCode);
  if (facts.param) bits.push(`param ${facts.param}`);
  if (facts.retryAfterMs !== undefined) bits.push(`retry after ${facts.retryAfterMs} ms`);
  const message = `${provider}: ${KIND_TEXT[kind]}${bits.length ? ` (${bits.join(', ')})` : ''}`;
  const details: ConstructorParameters<typeof ProviderError>[2] = { provider };
  if (facts.status !== undefined) details.status = facts.status;
  if (facts.retryAfterMs !== undefined) details.retryAfterMs = facts.retryAfterMs;
  if (facts.providerCode) details.providerCode = facts.providerCode;
  if (facts.cause !== undefined) details.cause = facts.cause;
  return new ProviderError(kind, message, details);
}

export function cancelledError(provider: string): ProviderError {
  return providerError(provider, 'cancelled');
}

/** A stream that closed without its terminal event: the connection died under us. */
export function truncatedStreamError(provider: string): ProviderError {
  return providerError(provider, 'network', { providerCode: 'stream_truncated' });
}

// ---- status and body classification ----

export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 402 || status === 403) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

const CONTEXT_TOO_LONG =
  /context[_ ]length|context window|context limit|maximum context|too many (input )?tokens|(prompt|input)( length)?( is)? too long|too long for|reduce the length/i;

/** Whether an upstream refusal text says the input did not fit the model. */
export function saysContextTooLong(text: string | undefined | null): boolean {
  return !!text && CONTEXT_TOO_LONG.test(text);
}

/**
 * For errors that arrive without a status (an error event inside a 200 stream, an Ollama
 * error line): what the text says, when nothing structured does.
 */
export function kindFromText(text: string | undefined | null): ProviderErrorKind | undefined {
  if (!text) return undefined;
  if (saysContextTooLong(text)) return 'context_too_long';
  if (/rate limit|too many requests|throttl/i.test(text)) return 'rate_limited';
  if (/overloaded|server busy|capacity|unavailable/i.test(text)) return 'overloaded';
  if (/timed out|timeout/i.test(text)) return 'timeout';
  return undefined;
}

const QUOTA = /insufficient_quota|exceeded your current quota|credit balance|billing/i;

/** Account-level refusals (out of credit): retrying cannot help, another provider can. */
export function saysQuotaExhausted(text: string | undefined | null): boolean {
  return !!text && QUOTA.test(text);
}

/** Error `type`/`code` strings the providers put in bodies and stream error events. */
export function kindForErrorType(type: string | undefined | null): ProviderErrorKind | undefined {
  if (!type) return undefined;
  switch (type) {
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
    case 'requests':
    case 'tokens':
    case 'ThrottlingException':
      return 'rate_limited';
    case 'overloaded_error':
    case 'ServiceUnavailableException':
      return 'overloaded';
    case 'timeout_error':
    case 'ModelTimeoutException':
      return 'timeout';
    case 'context_length_exceeded':
      return 'context_too_long';
    case 'authentication_error':
    case 'permission_error':
    case 'billing_error':
    case 'invalid_api_key':
    case 'insufficient_quota':
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
    case 'InvalidSignatureException':
      return 'auth';
    case 'invalid_request_error':
    case 'not_found_error':
    case 'request_too_large':
    case 'ValidationException':
    case 'ResourceNotFoundException':
      return 'bad_request';
    case 'ModelNotReadyException':
      return 'overloaded';
    case 'ModelErrorException':
      return 'server_error';
    case 'api_error':
    case 'server_error':
    case 'InternalServerException':
    case 'ModelStreamErrorException':
      return 'server_error';
    default:
      return undefined;
  }
}

// ---- Retry-After ----

/** `Retry-After` as seconds or an HTTP date; `retry-after-ms` first when present. */
export function parseRetryAfter(
  get: (name: string) => string | null | undefined,
  now = Date.now(),
): number | undefined {
  const ms = get('retry-after-ms');
  if (ms) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.round(n);
  }
  const ra = get('retry-after')?.trim();
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra)) return Math.round(Number(ra) * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** Go-style durations OpenAI and Groq use in `x-ratelimit-reset-*` and messages: `6m0s`, `20ms`. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    matched = true;
    consumed += m[0].length;
    const n = Number(m[1]);
    const unit = m[2];
    total +=
      unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  }
  if (!matched || consumed !== text.trim().length) return undefined;
  return Math.round(total);
}

/**
 * The provider's own hints when no Retry-After came: the reset time of an exhausted limit
 * (OpenAI/Groq durations, Anthropic timestamps), then "try again in 1.5s" in the message.
 */
export function retryHint(
  get: (name: string) => string | null | undefined,
  message?: string | null,
  now = Date.now(),
): number | undefined {
  let best: number | undefined;
  const take = (ms: number | undefined) => {
    if (ms !== undefined && ms >= 0 && (best === undefined || ms > best)) best = ms;
  };
  for (const which of ['requests', 'tokens']) {
    if (get(`x-ratelimit-remaining-${which}`) === '0') {
      const reset = get(`x-ratelimit-reset-${which}`);
      if (reset) take(parseDuration(reset));
    }
  }
  for (const which of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    if (get(`anthropic-ratelimit-${which}-remaining`) === '0') {
      const reset = get(`anthropic-ratelimit-${which}-reset`);
      const at = reset ? Date.parse(reset) : NaN;
      if (!Number.isNaN(at)) take(Math.max(0, at - now));
    }
  }
  if (best === undefined && message) {
    const m = /try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i.exec(message);
    if (m) take(parseDuration(m[1]!));
  }
  return best;
}

export function retryAfterMs(
  get: (name: string) => string | null | undefined,
  message?: string | null,
): number | undefined {
  return parseRetryAfter(get) ?? retryHint(get, message);
}

// ---- transport failures ----

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'TimeoutError',
]);

const CODE_IN_TEXT =
  /\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/;

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * Classifies a transport failure by walking the cause chain: undici's `fetch failed` and
 * `terminated`, Node socket codes, timeouts. Undefined when it is not a transport failure.
 * Duck-typed on purpose: errors from Node internals can come from another realm (vm, jest),
 * where `instanceof Error` is false, and SDKs sometimes keep only their message.
 */
export function transportKind(
  err: unknown,
): { kind: 'network' | 'timeout'; code: string | undefined } | undefined {
  let cur: unknown = err;
  let network = false;
  let netCode: string | undefined;
  for (let depth = 0; depth < 6 && typeof cur === 'object' && cur !== null; depth++) {
    const e = cur as ErrorLike;
    const message = typeof e.message === 'string' ? e.message : '';
    const code = typeof e.code === 'string' ? e.code : CODE_IN_TEXT.exec(message)?.[1];
    if (code && TIMEOUT_CODES.has(code)) return { kind: 'timeout', code };
    if (code && NETWORK_CODES.has(code)) {
      network = true;
      netCode ??= code;
    } else if (e.name === 'TimeoutError') {
      // Smithy also names a reset socket "TimeoutError": the code, checked first, wins.
      return { kind: 'timeout', code: code ?? 'TimeoutError' };
    }
    if (e.name === 'TypeError' && (message === 'terminated' || message === 'fetch failed'))
      network = true;
    if (/socket hang up|other side closed|premature close/i.test(message)) network = true;
    cur = e.cause;
  }
  return network ? { kind: 'network', code: netCode } : undefined;
}

export function isAbortError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as { name?: unknown }).name === 'AbortError' ||
      (err as { code?: unknown }).code === 'ABORT_ERR')
  );
}

/** A safe summary of a system error for `cause`: no upstream body can be in it. */
export function systemCause(err: unknown): Error | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const t = transportKind(err);
  const message = typeof e.message === 'string' ? e.message.slice(0, 80) : '';
  return new Error(`${name}: ${t?.code ?? message}`);
}

/** The common tail of every mapper: our abort, transport failures, then the fallback. */
export function mapTransport(
  provider: string,
  err: unknown,
  signal: AbortSignal | undefined,
): ProviderError | undefined {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted) return cancelledError(provider);
  const t = transportKind(err);
  if (t) {
    const facts: ErrorFacts = { cause: systemCause(err) };
    if (t.code) facts.providerCode = t.code;
    return providerError(provider, t.kind, facts);
  }
  return undefined;
}
