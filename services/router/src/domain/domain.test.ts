import { testConfig } from '../../test/support/engine.js';
import { Catalog } from './catalog.js';
import { costMicros, estimatePromptTokens, worstCaseCostMicros } from './cost.js';
import { AttemptPlanner, backoffDelay, type RetryPolicy } from './retry.js';
import { filterCandidates, noCandidate, rankCandidates } from './selection.js';
import { LatencyBook } from './stats.js';

const catalog = new Catalog(testConfig());
const m = (id: string) => catalog.get(id)!;
const policy: RetryPolicy = {
  maxRetriesPerCandidate: 2,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 10_000,
};

describe('backoff', () => {
  it('draws full jitter below the exponential cap', () => {
    expect(backoffDelay(0, policy, undefined, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, undefined, () => 0.999)).toBe(799);
    expect(backoffDelay(10, policy, undefined, () => 0.999)).toBe(999);
    expect(backoffDelay(2, policy, undefined, () => 0)).toBe(0);
  });

  it('never waits less than Retry-After', () => {
    expect(backoffDelay(0, policy, 1_000, () => 0.5)).toBe(1_000);
    expect(backoffDelay(5, policy, 10, () => 0.5)).toBe(500);
  });
});

describe('attempt planner', () => {
  it('falls back to untried candidates before retrying', () => {
    const p = new AttemptPlanner([m('a/m1'), m('b/m1')], policy, 10, 10_000, () => 0);
    expect(p.next(0)).toEqual({ kind: 'attempt', model: m('a/m1') });
    p.failed(m('a/m1'), { retryable: true }, 0);
    expect(p.next(0)).toEqual({ kind: 'attempt', model: m('b/m1') });
    p.failed(m('b/m1'), { retryable: true }, 0);
    expect(p.next(0)).toEqual({ kind: 'attempt', model: m('a/m1') });
  });

  it('waits out Retry-After when nothing else is ready', () => {
    const p = new AttemptPlanner([m('a/m1')], policy, 10, 10_000, () => 0);
    p.next(0);
    p.failed(m('a/m1'), { retryable: true, retryAfterMs: 1_000 }, 0);
    expect(p.next(10)).toEqual({ kind: 'wait', ms: 990 });
    expect(p.next(1_000)).toEqual({ kind: 'attempt', model: m('a/m1') });
  });

  it('stops after the retries of every candidate, the attempt budget or the deadline', () => {
    const p = new AttemptPlanner([m('a/m1')], policy, 10, 10_000, () => 0);
    for (let i = 0; i < 3; i++) {
      expect(p.next(0).kind).toBe('attempt');
      p.failed(m('a/m1'), { retryable: true }, 0);
    }
    expect(p.next(0)).toEqual({ kind: 'done', reason: 'exhausted' });

    const q = new AttemptPlanner([m('a/m1'), m('b/m1')], policy, 1, 10_000, () => 0);
    q.next(0);
    q.failed(m('a/m1'), { retryable: true }, 0);
    expect(q.next(0)).toEqual({ kind: 'done', reason: 'attempts' });

    const r = new AttemptPlanner([m('a/m1')], policy, 5, 500, () => 0);
    r.next(0);
    r.failed(m('a/m1'), { retryable: true, retryAfterMs: 1_000 }, 0);
    expect(r.next(0)).toEqual({ kind: 'done', reason: 'deadline' });
  });

  it('does not retry non-retryable errors and does not count skipped candidates', () => {
    const p = new AttemptPlanner([m('a/m1'), m('b/m1')], policy, 10, 10_000, () => 0);
    p.next(0);
    p.failed(m('a/m1'), { retryable: false }, 0);
    p.next(0);
    p.skipped(m('b/m1'));
    expect(p.attemptCount).toBe(1);
    expect(p.next(0)).toEqual({ kind: 'done', reason: 'exhausted' });
  });
});

describe('cost and tokens', () => {
  it('rounds a call up to the next micro-dollar, never to free', () => {
    const spec = { ...m('c/m1'), inputCostPerMTok: 0.15, outputCostPerMTok: 0.6 };
    expect(costMicros(spec, { inputTokens: 3, outputTokens: 0 })).toBe(1);
    expect(costMicros(spec, { inputTokens: 100, outputTokens: 10 })).toBe(21);
    expect(costMicros(spec, { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });

  it('prices cached input at its own rate', () => {
    const spec = {
      ...m('c/m1'),
      inputCostPerMTok: 1,
      cachedInputCostPerMTok: 0.1,
      outputCostPerMTok: 0,
    };
    expect(costMicros(spec, { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 1000 })).toBe(
      100,
    );
  });

  it('estimates the worst case from the prompt and the output allowance', () => {
    expect(worstCaseCostMicros(m('a/m1'), 100, 50)).toBe(100 * 5 + 50 * 10);
    // No max_tokens: the model's own maximum.
    expect(worstCaseCostMicros(m('a/m1'), 0, undefined)).toBe(4096 * 10);
    expect(
      estimatePromptTokens([{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(400) }] }]),
    ).toBe(107);
  });
});

describe('selection', () => {
  const demand = { promptTokens: 10, maxTokens: undefined, stream: false };

  it('keeps only models meeting every constraint, with reasons for the rest', () => {
    const f = filterCandidates(
      catalog.ofType('chat'),
      { minQuality: 0.55, deniedProviders: ['b'] },
      demand,
    );
    expect(f.eligible.map((x) => x.id)).toEqual(['a/m1']);
    expect(f.excluded).toContainEqual({
      model: 'b/m1',
      reason: 'constraints.denied_providers: provider denied',
    });
    expect(
      noCandidate(filterCandidates(catalog.ofType('chat'), { needsVision: true }, demand), 'auto')
        .message,
    ).toMatch(/^no model satisfies constraints\.needs_vision/);
  });

  it('applies the per-call cost ceiling to the worst case', () => {
    const f = filterCandidates(
      [m('a/m1'), m('c/m1')],
      { maxCostMicros: 1_000 },
      { ...demand, maxTokens: 100 },
    );
    expect(f.eligible.map((x) => x.id)).toEqual(['c/m1']);
  });

  it('ranks by each policy', () => {
    const book = new LatencyBook(0.5);
    book.for('b/m1').observe(10);
    book.for('a/m1').observe(200);
    book.for('c/m1').observe(100);
    const opts = { weights: { quality: 0.4, cost: 0.3, speed: 0.3 }, expectedOutputTokens: 500 };
    const models = [m('a/m1'), m('b/m1'), m('c/m1')];
    expect(rankCandidates(models, 'cost', demand, book, opts).map((x) => x.id)).toEqual([
      'c/m1',
      'b/m1',
      'a/m1',
    ]);
    expect(rankCandidates(models, 'quality', demand, book, opts).map((x) => x.id)).toEqual([
      'a/m1',
      'b/m1',
      'c/m1',
    ]);
    expect(rankCandidates(models, 'speed', demand, book, opts).map((x) => x.id)).toEqual([
      'b/m1',
      'c/m1',
      'a/m1',
    ]);
    expect(rankCandidates(models, 'balanced', demand, book, opts)[0]!.id).toBe('b/m1');
  });
});

describe('latency', () => {
  it('smooths with an EWMA and reports the median of recent calls', () => {
    const book = new LatencyBook(0.5);
    const l = book.for('x');
    l.observe(100, 10);
    l.observe(200, 30);
    expect(l.latencyMs).toBe(150);
    expect(l.ttftMs).toBe(20);
    l.observe(120);
    expect(l.p50()).toBe(120);
    expect(l.speedMs(true)).toBe(20);
  });
});
