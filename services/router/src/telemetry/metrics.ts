import { LATENCY_BUCKETS } from '@quantumlayer/kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptOutcome, BreakerState, CallOutcome } from '../domain/types.js';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

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
  private readonly tokens: Counter<'provider' | 'model' | 'direction'>;
  private readonly cost: Counter<'provider' | 'model'>;
  private readonly attempts: Counter<'provider' | 'model' | 'outcome'>;
  private readonly errors: Counter<'provider' | 'model' | 'class'>;
  private readonly breaker: Gauge<'provider' | 'model'>;
  private readonly calls: Counter<'api' | 'kind' | 'outcome'>;
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
    this.tokens = new Counter({
      name: 'ql_router_tokens_total',
      help: 'Tokens billed, by direction (input|output)',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    });
    this.cost = new Counter({
      name: 'ql_router_cost_usd_total',
      help: 'Cost charged in USD',
      labelNames: ['provider', 'model'],
      registers,
    });
    this.attempts = new Counter({
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
    this.calls = new Counter({
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
      const counter = (outcome: AttemptOutcome) => this.attempts.labels(provider, model, outcome);
      m = {
        latency: this.latency.labels(provider, model),
        ttft: this.ttft.labels(provider, model),
        inputTokens: this.tokens.labels(provider, model, 'input'),
        outputTokens: this.tokens.labels(provider, model, 'output'),
        cost: this.cost.labels(provider, model),
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
        calls: this.calls.labels(api, kind, outcome),
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
