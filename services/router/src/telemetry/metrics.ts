import { LATENCY_BUCKETS } from '@quantumlayer/kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptOutcome, BreakerState, CallOutcome } from '../domain/types.js';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * One labelled child of a counter that adds up in a plain number; the counter's `collect` (run
 * at each scrape) hands the sums to prom-client. A prom-client increment validates and hashes
 * its labels every time (~1 µs); a call makes five, a scrape a handful per label set.
 */
class LocalCount {
  pending = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(n = 1): void {
    this.pending += n;
  }
}

/** A counter whose children are `LocalCount`s, flushed into it whenever it is collected. */
function localCounter<L extends string>(config: {
  name: string;
  help: string;
  labelNames: L[];
  registers: Registry[];
}): { counter: Counter<L>; child(labels: Record<L, string>): LocalCount } {
  const children: LocalCount[] = [];
  const counter = new Counter<L>({
    ...config,
    collect() {
      for (const c of children) {
        if (c.pending === 0) continue;
        this.inc(c.labels as Partial<Record<L, string>>, c.pending);
        c.pending = 0;
      }
    },
  });
  return {
    counter,
    child(labels) {
      const c = new LocalCount(labels);
      children.push(c);
      return c;
    },
  };
}

/** Children of the labelled metrics for one model, resolved once: label lookups are not free. */
export interface ModelMetrics {
  latency: { observe(seconds: number): void };
  ttft: { observe(seconds: number): void };
  inputTokens: { inc(n: number): void };
  outputTokens: { inc(n: number): void };
  cost: { inc(usd: number): void };
  attempts: Record<AttemptOutcome, { inc(): void }>;
}

/**
 * Router metrics, `ql_router_*`, labelled by provider and canonical model. Latency and TTFT are
 * per attempt (what the provider did); the request histogram is per call (what the caller saw).
 */
export class RouterMetrics {
  private readonly latency: Histogram<'provider' | 'model'>;
  private readonly ttft: Histogram<'provider' | 'model'>;
  private readonly tokens: ReturnType<typeof localCounter<'provider' | 'model' | 'direction'>>;
  private readonly cost: ReturnType<typeof localCounter<'provider' | 'model'>>;
  private readonly attempts: ReturnType<typeof localCounter<'provider' | 'model' | 'outcome'>>;
  private readonly errors: Counter<'provider' | 'model' | 'class'>;
  private readonly breaker: Gauge<'provider' | 'model'>;
  private readonly calls: ReturnType<typeof localCounter<'api' | 'kind' | 'outcome'>>;
  private readonly callDuration: Histogram<'kind' | 'outcome'>;
  private readonly budgetRefusals: Counter<'scope'>;
  private readonly byModel = new Map<string, ModelMetrics>();
  /** Children of the per-call metrics by api, kind and outcome (a handful of combinations). */
  private readonly byCall = new Map<
    string,
    { calls: { inc(): void }; duration: { observe(seconds: number): void } }
  >();

  constructor(registry: Registry) {
    const registers = [registry];
    this.latency = new Histogram({
      name: 'ql_router_attempt_duration_seconds',
      help: 'Provider attempt latency, start to last byte, successful attempts',
      labelNames: ['provider', 'model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.ttft = new Histogram({
      name: 'ql_router_time_to_first_token_seconds',
      help: 'Time from the start of a streamed attempt to its first token',
      labelNames: ['provider', 'model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tokens = localCounter({
      name: 'ql_router_tokens_total',
      help: 'Tokens billed, by direction (input|output)',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    });
    this.cost = localCounter({
      name: 'ql_router_cost_usd_total',
      help: 'Cost charged in USD',
      labelNames: ['provider', 'model'],
      registers,
    });
    this.attempts = localCounter({
      name: 'ql_router_attempts_total',
      help: 'Provider attempts by outcome (succeeded|failed|timed_out|rate_limited|skipped_breaker_open)',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    });
    this.errors = new Counter({
      name: 'ql_router_provider_errors_total',
      help: 'Provider errors by class of the normalized taxonomy',
      labelNames: ['provider', 'model', 'class'],
      registers,
    });
    this.breaker = new Gauge({
      name: 'ql_router_breaker_state',
      help: 'Circuit breaker state per model: 0 closed, 1 half-open, 2 open',
      labelNames: ['provider', 'model'],
      registers,
    });
    this.calls = localCounter({
      name: 'ql_router_calls_total',
      help: 'Router calls by API (grpc|http), kind and outcome',
      labelNames: ['api', 'kind', 'outcome'],
      registers,
    });
    this.callDuration = new Histogram({
      name: 'ql_router_call_duration_seconds',
      help: 'Whole-call latency as the caller saw it, retries and fallbacks included',
      labelNames: ['kind', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.budgetRefusals = new Counter({
      name: 'ql_router_budget_refusals_total',
      help: 'Calls refused before any provider call because the estimate exceeded a budget',
      labelNames: ['scope'],
      registers,
    });
  }

  model(provider: string, model: string): ModelMetrics {
    let m = this.byModel.get(model);
    if (!m) {
      const counter = (outcome: AttemptOutcome) =>
        this.attempts.child({ provider, model, outcome });
      m = {
        latency: this.latency.labels(provider, model),
        ttft: this.ttft.labels(provider, model),
        inputTokens: this.tokens.child({ provider, model, direction: 'input' }),
        outputTokens: this.tokens.child({ provider, model, direction: 'output' }),
        cost: this.cost.child({ provider, model }),
        attempts: {
          succeeded: counter('succeeded'),
          failed: counter('failed'),
          timed_out: counter('timed_out'),
          rate_limited: counter('rate_limited'),
          skipped_breaker_open: counter('skipped_breaker_open'),
        },
      };
      this.byModel.set(model, m);
    }
    return m;
  }

  error(provider: string, model: string, errorClass: string): void {
    this.errors.labels(provider, model, errorClass).inc();
  }

  breakerState(provider: string, model: string, state: BreakerState): void {
    this.breaker.labels(provider, model).set(BREAKER_VALUE[state]);
  }

  call(
    api: 'grpc' | 'http',
    kind: string,
    outcome: CallOutcome | 'invalid' | 'no_candidate',
    seconds?: number,
  ): void {
    const key = `${api} ${kind} ${outcome}`;
    let c = this.byCall.get(key);
    if (!c) {
      c = {
        calls: this.calls.child({ api, kind, outcome }),
        duration: this.callDuration.labels(kind, outcome),
      };
      this.byCall.set(key, c);
    }
    c.calls.inc();
    if (seconds !== undefined) c.duration.observe(seconds);
  }

  budgetRefused(scope: 'request' | 'generation'): void {
    this.budgetRefusals.labels(scope).inc();
  }
}
