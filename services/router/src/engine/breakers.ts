import CircuitBreaker from 'opossum';
import type { BreakerConfig } from '../config.js';
import type { BreakerState } from '../domain/types.js';
import { ProviderError } from '../providers/types.js';

/**
 * One opossum circuit breaker per provider+model. The breaker wraps the whole attempt (for a
 * stream: until its last event), opens when the failure share over its rolling window passes
 * the threshold once the window holds enough calls, and half-opens after the cool-down to let
 * one trial call through; the trial's outcome closes or re-opens it.
 *
 * The router asks `admit` before calling a provider, so a call to an open breaker is skipped
 * (and the next candidate tried) without ever reaching the upstream.
 */

/** Errors the caller caused say nothing about the provider's health. */
function notTheProvidersFault(err: unknown): boolean {
  return (
    err instanceof ProviderError &&
    (err.kind === 'bad_request' || err.kind === 'context_too_long' || err.kind === 'cancelled')
  );
}

export interface Admission {
  /** Settle with the attempt's outcome: undefined for success, the error for failure. */
  settle(error?: unknown): void;
}

type Action = (done: Promise<void>) => Promise<void>;

const passThrough: Action = (done) => done;

export class ModelBreaker {
  readonly breaker: CircuitBreaker<[Promise<void>], void>;
  changedAt: Date | undefined;
  lastError = '';

  constructor(
    readonly model: string,
    config: BreakerConfig,
    onChange: (model: string, state: BreakerState) => void,
  ) {
    this.breaker = new CircuitBreaker(passThrough, {
      name: model,
      // Attempt timeouts are the router's (first token, whole attempt); opossum's would add a
      // timer per call and could not tell the two apart.
      timeout: false,
      errorThresholdPercentage: config.errorThresholdPercentage,
      volumeThreshold: config.volumeThreshold,
      rollingCountTimeout: config.rollingWindowMs,
      rollingCountBuckets: config.rollingBuckets,
      resetTimeout: config.resetTimeoutMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: notTheProvidersFault,
    });
    const changed = (state: BreakerState) => () => {
      this.changedAt = new Date();
      onChange(model, state);
    };
    this.breaker.on('open', changed('open'));
    this.breaker.on('halfOpen', changed('half_open'));
    this.breaker.on('close', changed('closed'));
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half_open';
    return 'closed';
  }

  /** Would a call be let through now? (Open, or half-open with its trial in flight: no.) */
  get admitting(): boolean {
    return this.breaker.closed || this.breaker.pendingClose;
  }

  /** Failure share over the rolling window, 0..1. */
  errorRate(): number {
    const s = this.breaker.stats;
    return s.fires > 0 ? s.failures / s.fires : 0;
  }

  /**
   * Lets one attempt through, or returns undefined when the breaker refuses it. The returned
   * admission must be settled exactly once.
   */
  admit(): Admission | undefined {
    if (!this.admitting) return undefined;
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Checked just above and nothing runs in between, so `fire` admits: it passes `done` to the
    // action at once and reports the outcome when `done` settles.
    this.breaker.fire(done).catch(() => undefined);
    return {
      settle: (error?: unknown) => {
        if (error === undefined) resolve();
        else {
          if (!notTheProvidersFault(error)) this.lastError = shortError(error);
          reject(error);
        }
      },
    };
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}

export function shortError(err: unknown): string {
  const text =
    err instanceof Error
      ? `${err.name === 'ProviderError' ? (err as ProviderError).kind : err.name}: ${err.message}`
      : String(err);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

export class BreakerRegistry {
  private readonly breakers = new Map<string, ModelBreaker>();

  constructor(
    private readonly config: (model: string) => BreakerConfig,
    private readonly onChange: (model: string, state: BreakerState) => void = () => undefined,
  ) {}

  for(model: string): ModelBreaker {
    let b = this.breakers.get(model);
    if (!b) {
      b = new ModelBreaker(model, this.config(model), this.onChange);
      this.breakers.set(model, b);
    }
    return b;
  }

  peek(model: string): ModelBreaker | undefined {
    return this.breakers.get(model);
  }

  shutdown(): void {
    for (const b of this.breakers.values()) b.shutdown();
    this.breakers.clear();
  }
}
