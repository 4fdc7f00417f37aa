import {
  kindForStatus,
  kindFromText,
  mapTransport,
  parseDuration,
  parseRetryAfter,
  retryAfterMs,
  retryHint,
  saysContextTooLong,
  transportKind,
} from './errors.js';
import { ProviderError } from './types.js';

const headers =
  (h: Record<string, string>) =>
  (name: string): string | undefined =>
    h[name];

describe('Retry-After', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('reads seconds, fractions and HTTP dates', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(headers({ 'retry-after': 'Mon, 23 Nov 2026 12:00:07 GMT' }), now)).toBe(
      7000,
    );
    // A date in the past means "now".
    expect(parseRetryAfter(headers({ 'retry-after': 'Mon, 23 Nov 2026 11:00:00 GMT' }), now)).toBe(
      0,
    );
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
  });

  it('prefers retry-after-ms', () => {
    expect(parseRetryAfter(headers({ 'retry-after-ms': '120', 'retry-after': '3' }), now)).toBe(
      120,
    );
  });

  it('parses Go-style durations', () => {
    expect(parseDuration('20ms')).toBe(20);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('1h2m3s')).toBe(3_723_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('5s later')).toBeUndefined();
  });

  it('falls back to the reset of an exhausted limit, then to the message', () => {
    expect(
      retryHint(
        headers({
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '1.2s',
          'x-ratelimit-remaining-tokens': '5000',
          'x-ratelimit-reset-tokens': '9s',
        }),
        undefined,
        now,
      ),
    ).toBe(1200);
    expect(
      retryHint(
        headers({
          'anthropic-ratelimit-tokens-remaining': '0',
          'anthropic-ratelimit-tokens-reset': '2026-11-23T12:00:04Z',
        }),
        undefined,
        now,
      ),
    ).toBe(4000);
    expect(retryHint(headers({}), 'Rate limit reached. Please try again in 820ms.', now)).toBe(820);
    expect(retryAfterMs(headers({ 'retry-after': '1' }), 'try again in 9s')).toBe(1000);
  });
});

describe('classification', () => {
  it('maps statuses', () => {
    expect(kindForStatus(400)).toBe('bad_request');
    expect(kindForStatus(401)).toBe('auth');
    expect(kindForStatus(403)).toBe('auth');
    expect(kindForStatus(408)).toBe('timeout');
    expect(kindForStatus(429)).toBe('rate_limited');
    expect(kindForStatus(500)).toBe('server_error');
    expect(kindForStatus(502)).toBe('server_error');
    expect(kindForStatus(503)).toBe('overloaded');
    expect(kindForStatus(504)).toBe('timeout');
    expect(kindForStatus(529)).toBe('overloaded');
  });

  it('recognises context-length refusals in each provider wording', () => {
    for (const text of [
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
      'prompt is too long: 210000 tokens > 200000 maximum',
      'Input is too long for requested model.',
      'the input length exceeds the context length',
      'input length and `max_tokens` exceed context limit',
    ])
      expect(saysContextTooLong(text)).toBe(true);
    expect(saysContextTooLong('Invalid value for temperature')).toBe(false);
  });

  it('reads stream error texts', () => {
    expect(kindFromText('The engine is currently overloaded')).toBe('overloaded');
    expect(kindFromText('too many requests')).toBe('rate_limited');
    expect(kindFromText('llama runner process has terminated')).toBeUndefined();
  });
});

describe('transport failures', () => {
  it('walks the cause chain for socket codes and timeouts', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    expect(transportKind(refused)).toEqual({ kind: 'network', code: 'ECONNREFUSED' });
    expect(transportKind(new TypeError('terminated'))).toEqual({
      kind: 'network',
      code: undefined,
    });
    expect(
      transportKind(Object.assign(new Error('x'), { name: 'TimeoutError', code: 'ETIMEDOUT' })),
    ).toEqual({
      kind: 'timeout',
      code: 'ETIMEDOUT',
    });
    // Smithy names a reset socket TimeoutError; the code wins.
    expect(
      transportKind(
        Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }),
      ),
    ).toEqual({ kind: 'network', code: 'ECONNRESET' });
    // Only a message survived (an SDK wrapper): the code in it still counts.
    expect(
      transportKind(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 1.2.3.4:5')),
    ).toEqual({
      kind: 'network',
      code: 'ECONNREFUSED',
    });
    expect(transportKind(new Error('Unexpected token'))).toBeUndefined();
  });

  it('reports cancelled when our signal aborted, whatever the error', () => {
    const ac = new AbortController();
    ac.abort();
    expect(mapTransport('p', new TypeError('terminated'), ac.signal)?.kind).toBe('cancelled');
  });

  it('keeps only the code in the cause, never upstream text', () => {
    const err = mapTransport(
      'p',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('secret words'), { code: 'ECONNRESET' }),
      }),
      undefined,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err?.retryable).toBe(true);
    expect(String(err?.cause)).not.toContain('secret words');
    expect(err?.message).toBe('p: network failure talking to the upstream (ECONNRESET)');
  });
});
