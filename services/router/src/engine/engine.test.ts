import { testConfig, testEngine, userCall, type TestEngine } from '../../test/support/engine.js';
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  DependencyUnavailableError,
  NoCandidateError,
  UnknownModelError,
} from '../domain/errors.js';
import type { StreamOutput } from '../domain/types.js';

const http = { api: 'http' as const };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect(it: AsyncIterable<StreamOutput>): Promise<StreamOutput[]> {
  const out: StreamOutput[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

let t: TestEngine;
afterEach(() => t?.engine.shutdown());

describe('routing', () => {
  it('answers from the explicit model and reports stats, cost and usage', async () => {
    t = testEngine();
    const r = await t.engine.complete(userCall('b/m2'), http);
    expect(r.text).toBe('b:m2');
    expect(r.stats).toMatchObject({
      provider: 'b',
      model: 'b/m2',
      attemptCount: 1,
      usage: { inputTokens: 10, outputTokens: 5 },
    });
    // 10 × $1/MTok + 5 × $2/MTok = 20 micro-dollars
    expect(r.stats.costMicros).toBe(20);
    expect(t.usage.records).toHaveLength(1);
    expect(t.usage.records[0]).toMatchObject({
      outcome: 'succeeded',
      model: 'b/m2',
      costMicros: 20,
      kind: 'completion',
      tenantId: 't1',
    });
  });

  it('resolves a bare model id only when one provider serves it', async () => {
    t = testEngine();
    await expect(t.engine.complete(userCall('m1'), http)).rejects.toThrow(UnknownModelError);
    await expect(t.engine.complete(userCall('m1'), http)).rejects.toThrow(/served by a, b, c/);
    await expect(t.engine.complete(userCall('nope/m1'), http)).rejects.toThrow(
      /unknown model "nope\/m1"/,
    );
  });

  it('ranks auto by policy: cost, quality', async () => {
    t = testEngine();
    const cheap = await t.engine.complete(userCall('auto', 'x', { policy: 'cost' }), http);
    expect(cheap.stats.model).toBe('c/m1');
    const best = await t.engine.complete(userCall('auto', 'x', { policy: 'quality' }), http);
    expect(best.stats.model).toBe('a/m1');
  });

  it('ranks by live latency under the speed policy', async () => {
    t = testEngine();
    t.adapters.a!.always({ kind: 'reply', delayMs: 40 });
    // Measure a/m1 (slow) and b/m1 (fast) once each.
    await t.engine.complete(userCall('a/m1'), http);
    await t.engine.complete(userCall('b/m1'), http);
    const r = await t.engine.complete(userCall('pair', 'x', { policy: 'speed' }), http);
    expect(r.stats.model).toBe('b/m1');
    expect(t.engine.latency.peek('a/m1')!.latencyMs).toBeGreaterThan(30);
  });

  it('refuses with the constraint named when no model satisfies it', async () => {
    t = testEngine();
    const err = await t.engine
      .complete(userCall('auto', 'x', { constraints: { needsVision: true } }), http)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCandidateError);
    expect((err as Error).message).toMatch(/constraints\.needs_vision/);
    expect(t.adapters.a!.calls + t.adapters.b!.calls + t.adapters.c!.calls).toBe(0);
  });

  it('filters by context window using the prompt estimate plus max_tokens', async () => {
    t = testEngine();
    const err = await t.engine
      .complete(userCall('a/m1', 'x'.repeat(40_000)), http)
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/constraints\.min_context_tokens/);
  });
});

describe('resilience', () => {
  it('falls back to the next candidate when the first fails', async () => {
    t = testEngine();
    t.adapters.a!.always({ kind: 'fail', error: 'server_error' });
    const r = await t.engine.complete(userCall('pair'), http);
    expect(r.stats.model).toBe('b/m1');
    expect(r.stats.attemptCount).toBe(2);
    expect(r.stats.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
  });

  it('does not retry or fall back on a bad request', async () => {
    t = testEngine();
    t.adapters.a!.then({ kind: 'fail', error: 'bad_request' });
    const err = await t.engine
      .complete(userCall('a/m1', 'x', { fallbackModels: [] }), http)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllCandidatesFailedError);
    expect(t.adapters.a!.calls).toBe(1);
  });

  it('retries one candidate with backoff, honouring Retry-After as a floor', async () => {
    t = testEngine();
    t.adapters.a!.then({ kind: 'fail', error: 'rate_limited', retryAfterMs: 120 });
    const started = Date.now();
    const r = await t.engine.complete(userCall('a/m1'), http);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(r.stats.attempts.map((a) => a.outcome)).toEqual(['rate_limited', 'succeeded']);
  });

  it('gives up on a candidate whose Retry-After is beyond the limit', async () => {
    t = testEngine(testConfig({ retry: { maxRetryAfterMs: 50 } }));
    t.adapters.a!.then({ kind: 'fail', error: 'rate_limited', retryAfterMs: 5_000 });
    const err = (await t.engine
      .complete(userCall('a/m1'), http)
      .catch((e: unknown) => e)) as AllCandidatesFailedError;
    expect(err).toBeInstanceOf(AllCandidatesFailedError);
    expect(err.outcome).toBe('rate_limited');
    expect(t.usage.records[0]!.outcome).toBe('rate_limited');
  });

  it('bounds the attempts of a call', async () => {
    t = testEngine();
    t.adapters.a!.always({ kind: 'fail', error: 'overloaded' });
    t.adapters.b!.always({ kind: 'fail', error: 'overloaded' });
    const err = (await t.engine
      .complete(userCall('pair', 'x', { constraints: { maxAttempts: 3 } }), http)
      .catch((e: unknown) => e)) as AllCandidatesFailedError;
    expect(err.attempts).toHaveLength(3);
    expect(t.adapters.a!.calls + t.adapters.b!.calls).toBe(3);
  });

  it('times out a stalled attempt and falls back', async () => {
    t = testEngine(testConfig({ timeouts: { attemptMs: 80, firstTokenMs: 50, callMs: 5_000 } }));
    t.adapters.a!.then({ kind: 'stall' });
    const r = await t.engine.complete(userCall('pair'), http);
    expect(r.stats.model).toBe('b/m1');
    expect(r.stats.attempts[0]).toMatchObject({ outcome: 'timed_out', errorCode: 'timeout' });
  });

  it('opens the breaker after enough failures and stops sending traffic until the cool-down', async () => {
    t = testEngine();
    t.adapters.a!.always({ kind: 'fail', error: 'server_error' });
    for (let i = 0; i < 3; i++) await t.engine.complete(userCall('pair'), http);
    expect(t.adapters.a!.calls).toBe(3);
    expect(t.engine.health(t.engine.catalog.get('a/m1')!).breakerState).toBe('open');
    for (let i = 0; i < 5; i++) {
      const r = await t.engine.complete(userCall('pair'), http);
      expect(r.stats.model).toBe('b/m1');
      expect(r.stats.attempts[0]!.outcome).toBe('skipped_breaker_open');
      expect(r.stats.attemptCount).toBe(1);
    }
    expect(t.adapters.a!.calls).toBe(3);
    await sleep(350);
    expect(t.engine.health(t.engine.catalog.get('a/m1')!).breakerState).toBe('half_open');
    // One trial goes through, fails, and the breaker opens again.
    await t.engine.complete(userCall('pair'), http);
    expect(t.adapters.a!.calls).toBe(4);
    await t.engine.complete(userCall('pair'), http);
    expect(t.adapters.a!.calls).toBe(4);
  });

  it('closes the breaker after a successful half-open trial', async () => {
    t = testEngine();
    t.adapters.a!.then(...Array(3).fill({ kind: 'fail', error: 'server_error' }));
    for (let i = 0; i < 3; i++) await t.engine.complete(userCall('pair'), http);
    await sleep(350);
    const r = await t.engine.complete(userCall('pair'), http);
    expect(r.stats.model).toBe('a/m1');
    expect(t.engine.health(t.engine.catalog.get('a/m1')!).breakerState).toBe('closed');
  });

  it('does not count bad requests against the provider', async () => {
    t = testEngine();
    t.adapters.a!.always({ kind: 'fail', error: 'bad_request' });
    for (let i = 0; i < 6; i++)
      await t.engine.complete(userCall('a/m1'), http).catch(() => undefined);
    expect(t.engine.health(t.engine.catalog.get('a/m1')!).breakerState).toBe('closed');
  });

  it('stops at once when the caller cancels', async () => {
    t = testEngine();
    t.adapters.a!.then({ kind: 'stall' });
    const controller = new AbortController();
    const p = t.engine.complete(userCall('pair'), { api: 'grpc', signal: controller.signal });
    await sleep(20);
    controller.abort(new Error('gone'));
    await expect(p).rejects.toThrow(CancelledError);
    expect(t.adapters.b!.calls).toBe(0);
    expect(t.usage.records[0]!.outcome).toBe('cancelled');
  });
});

describe('streams', () => {
  it('streams start, deltas and end with usage', async () => {
    t = testEngine();
    t.adapters.b!.then({ kind: 'stream', chunks: ['Hel', 'lo'] });
    const out = await collect(t.engine.stream(userCall('b/m1'), http));
    expect(out[0]).toMatchObject({ type: 'start', model: 'b/m1', provider: 'b' });
    expect(
      out
        .filter((e) => e.type === 'text')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('Hello');
    const end = out.at(-1)!;
    expect(end).toMatchObject({
      type: 'end',
      finishReason: 'stop',
      stats: { usage: { inputTokens: 10, outputTokens: 2 } },
    });
    expect(t.usage.records[0]).toMatchObject({ kind: 'stream_completion', outcome: 'succeeded' });
  });

  it('falls back when a stream fails before its first token', async () => {
    t = testEngine();
    t.adapters.a!.then({ kind: 'stream', chunks: ['x'], failAfter: 0, error: 'overloaded' });
    t.adapters.b!.then({ kind: 'stream', chunks: ['ok'] });
    const out = await collect(t.engine.stream(userCall('pair'), http));
    expect(out[0]).toMatchObject({ type: 'start', model: 'b/m1', attemptCount: 2 });
  });

  it('falls back when the first token does not come in time', async () => {
    t = testEngine(testConfig({ timeouts: { firstTokenMs: 60, attemptMs: 2_000, callMs: 5_000 } }));
    t.adapters.a!.then({ kind: 'stream', chunks: ['late'], ttftMs: 500 });
    t.adapters.b!.then({ kind: 'stream', chunks: ['ok'] });
    const started = Date.now();
    const out = await collect(t.engine.stream(userCall('pair'), http));
    expect(out[0]).toMatchObject({ type: 'start', model: 'b/m1' });
    expect(Date.now() - started).toBeLessThan(400);
    const end = out.at(-1) as Extract<StreamOutput, { type: 'end' }>;
    expect(end.stats.attempts[0]).toMatchObject({ outcome: 'timed_out' });
  });

  it('fails without fallback once the stream has started, billing what was streamed', async () => {
    t = testEngine();
    t.adapters.a!.then({ kind: 'stream', chunks: ['abcd', 'efgh', 'ijkl'], failAfter: 2 });
    const got: StreamOutput[] = [];
    const err = await (async () => {
      for await (const ev of t.engine.stream(userCall('pair'), http)) got.push(ev);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllCandidatesFailedError);
    expect((err as AllCandidatesFailedError).midStream).toBe(true);
    expect(got.map((e) => e.type)).toEqual(['start', 'text', 'text']);
    expect(t.adapters.b!.calls).toBe(0);
    expect(t.usage.records[0]).toMatchObject({ outcome: 'failed', tokens: { outputTokens: 2 } });
  });

  it('estimates output tokens when the provider reports none', async () => {
    t = testEngine();
    t.adapters.b!.then({ kind: 'stream', chunks: ['12345678', '12345678'], reportUsage: false });
    const out = await collect(t.engine.stream(userCall('b/m1', 'hi'), http));
    const end = out.at(-1) as Extract<StreamOutput, { type: 'end' }>;
    expect(end.stats.usage.outputTokens).toBe(4);
    expect(end.stats.usage.inputTokens).toBeGreaterThan(0);
  });

  it('cancels upstream and records the call when the consumer stops early', async () => {
    t = testEngine();
    t.adapters.b!.then({ kind: 'stream', chunks: ['a', 'b', 'c', 'd'] });
    for await (const ev of t.engine.stream(userCall('b/m1'), http)) {
      if (ev.type === 'text') break;
    }
    expect(t.usage.records[0]).toMatchObject({ outcome: 'cancelled' });
  });
});

describe('budgets', () => {
  it('refuses a call over the per-request cap before any provider call', async () => {
    t = testEngine(testConfig({ budgets: { maxRequestCostUsd: 0.000001 } }));
    const err = await t.engine.complete(userCall('a/m1'), http).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect((err as Error).message).toMatch(/per-request cap \$0\.000001/);
    expect(t.adapters.a!.calls).toBe(0);
    expect(t.usage.records[0]).toMatchObject({ outcome: 'budget_exceeded', attemptCount: 0 });
  });

  it('reserves against the generation budget and settles the actual cost once per request id', async () => {
    t = testEngine();
    const ctx = {
      tenantId: 't1',
      generationId: 'g1',
      requestId: 'r1',
      generationBudgetMicros: 100_000,
    };
    // a/m1 worst case: ~5 µ$ × prompt + 4096 × 10 µ$ = ~41k µ$: fits 100k once, not three times at once.
    await t.engine.complete(userCall('a/m1', 'x', { context: ctx }), http);
    await sleep(5);
    const after = await t.budget.spent({ tenantId: 't1', generationId: 'g1' });
    expect(after.reservedMicros).toBe(0);
    expect(after.spentMicros).toBe(5 * 10 + 10 * 5);
    // Same request id again: answered, not charged twice.
    await t.engine.complete(userCall('a/m1', 'x', { context: ctx }), http);
    await sleep(5);
    expect((await t.budget.spent({ tenantId: 't1', generationId: 'g1' })).spentMicros).toBe(100);
  });

  it('refuses when the generation cannot cover the estimate, before any provider call', async () => {
    t = testEngine();
    const ctx = { tenantId: 't1', generationId: 'g2', generationBudgetMicros: 1_000 };
    const err = await t.engine
      .complete(userCall('a/m1', 'x', { context: ctx, maxTokens: 1000 }), http)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect((err as Error).message).toMatch(/generation has \$0\.001000 left/);
    expect(t.adapters.a!.calls).toBe(0);
  });

  it('refuses rather than guesses when the budget store is down', async () => {
    t = testEngine();
    t.budget.reserve = () => Promise.reject(new Error('ECONNREFUSED'));
    const ctx = { tenantId: 't1', generationId: 'g4', generationBudgetMicros: 1_000_000 };
    const err = await t.engine
      .complete(userCall('a/m1', 'x', { context: ctx }), http)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(t.adapters.a!.calls).toBe(0);
    expect(t.usage.records[0]).toMatchObject({ outcome: 'failed', attemptCount: 0 });
  });

  it('narrows to candidates the remaining budget covers', async () => {
    t = testEngine();
    const ctx = { tenantId: 't1', generationId: 'g3', generationBudgetMicros: 2_000 };
    // a/m1 worst case 1000 × 10 = 10k µ$ (over), b/m1 1000 × 2 = 2k µ$ (fits).
    const r = await t.engine.complete(
      userCall('pair', 'x', { context: ctx, maxTokens: 990 }),
      http,
    );
    expect(r.stats.model).toBe('b/m1');
    expect(t.adapters.a!.calls).toBe(0);
  });
});

describe('embeddings', () => {
  it('routes auto to an embedding model', async () => {
    t = testEngine();
    const r = await t.engine.embed(
      { selector: 'auto', inputs: ['a', 'b'], context: { tenantId: 't1' } },
      http,
    );
    expect(r.stats.model).toBe('c/emb');
    expect(r.vectors).toHaveLength(2);
    expect(r.dimensions).toBe(3);
    expect(t.usage.records[0]).toMatchObject({ kind: 'embedding', outcome: 'succeeded' });
  });
});
