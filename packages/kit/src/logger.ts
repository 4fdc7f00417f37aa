import { context, trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, wherever they sit in the logged object. Callers log
 * freely; the logger is the one place that keeps secrets out (DESIGN.md §4).
 */
const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'authorization',
  'Authorization',
  'password',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'privateKey',
  'x-api-key',
  'cookie',
  'set-cookie',
];

const REDACT_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `*.*.*${dot}${key}`];
});

/** Secret-shaped values that can hide inside ordinary strings (messages, URLs, errors). */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(sk|pk|rk)-[A-Za-z0-9_-]{12,}/g, '$1-[REDACTED]'],
  [/\b(sk-ant-[a-z0-9]+-)[A-Za-z0-9_-]{8,}/g, '$1[REDACTED]'],
  [/\bgsk_[A-Za-z0-9]{12,}/g, 'gsk_[REDACTED]'],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '$1[REDACTED]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s/]+@/gi, '$1[REDACTED]@'],
];

export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, replacement] of SECRET_PATTERNS) out = out.replace(re, replacement);
  return out;
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // A copy with the same prototype, so pino's error serializer still reports the error's type.
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error;
    Object.assign(copy, value);
    Object.defineProperty(copy, 'message', {
      value: scrubSecrets(value.message),
      enumerable: false,
    });
    Object.defineProperty(copy, 'stack', {
      value: value.stack && scrubSecrets(value.stack),
      enumerable: false,
    });
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, depth + 1);
  return out;
}

export interface CreateLoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read lines back. */
  destination?: pino.DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubValue(object, 0) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    // Every line of work done under a span can be joined with its trace.
    mixin() {
      const span = trace.getSpan(context.active());
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger for work on behalf of one tenant and generation, as DESIGN.md §4 asks of each line. */
export function scopedLogger(
  logger: Logger,
  scope: { tenant?: string; generation?: string },
): Logger {
  const fields: Record<string, string> = {};
  if (scope.tenant) fields.tenant = scope.tenant;
  if (scope.generation) fields.generation = scope.generation;
  return logger.child(fields);
}
