import type { ModelSpec } from './types.js';

export interface RetryPolicy {
  maxRetriesPerCandidate: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider asking for a longer wait than this is given up on for this call. */
  maxRetryAfterMs: number;
}

/**
 * Exponential backoff with full jitter (a uniform draw in [0, min(max, base·2^n)]), which spreads
 * retries of many callers so they do not hit a recovering provider in step. A provider's
 * `Retry-After` is a floor: the wait is never shorter than what the provider asked for.
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = Math.floor(random() * cap);
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
}

export interface FailureInfo {
  retryable: boolean;
  retryAfterMs?: number | undefined;
}

interface Slot {
  model: ModelSpec;
  /** Attempts made on this candidate. */
  tries: number;
  /** Earliest time of its next attempt. */
  readyAt: number;
  exhausted: boolean;
}

export type NextStep =
  | { kind: 'attempt'; model: ModelSpec }
  | { kind: 'wait'; ms: number }
  | { kind: 'done'; reason: 'exhausted' | 'attempts' | 'deadline' };

/**
 * Plans attempts over an ordered candidate list, bounded by an attempt count and a deadline.
 *
 * Fallback before retry: after a retryable failure the candidate waits out its backoff while the
 * candidates not tried yet are tried at once, in order; a failed candidate is retried (once its
 * backoff has passed) only when every ready candidate has been tried as often. With a single
 * candidate this is plain retry-with-backoff; with several it is immediate fallback first.
 */
export class AttemptPlanner {
  private readonly slots: Slot[];
  private attempts = 0;

  constructor(
    models: readonly ModelSpec[],
    private readonly policy: RetryPolicy,
    private readonly maxAttempts: number,
    private readonly deadline: number,
    private readonly random: () => number = Math.random,
  ) {
    this.slots = models.map((model) => ({ model, tries: 0, readyAt: 0, exhausted: false }));
  }

  get attemptCount(): number {
    return this.attempts;
  }

  next(now: number): NextStep {
    if (this.attempts >= this.maxAttempts) return { kind: 'done', reason: 'attempts' };
    if (now >= this.deadline) return { kind: 'done', reason: 'deadline' };
    let earliest = Infinity;
    let pick: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.exhausted) continue;
      if (slot.readyAt <= now) {
        // Fewest tries first, then the preference order: fallback before retry.
        if (!pick || slot.tries < pick.tries) pick = slot;
      } else {
        earliest = Math.min(earliest, slot.readyAt);
      }
    }
    if (pick) {
      this.attempts++;
      pick.tries++;
      return { kind: 'attempt', model: pick.model };
    }
    if (earliest === Infinity) return { kind: 'done', reason: 'exhausted' };
    if (earliest >= this.deadline) return { kind: 'done', reason: 'deadline' };
    return { kind: 'wait', ms: earliest - now };
  }

  /** The attempt just planned for `model` failed. */
  failed(model: ModelSpec, failure: FailureInfo, now: number): void {
    const slot = this.slot(model);
    if (!failure.retryable || slot.tries > this.policy.maxRetriesPerCandidate) {
      slot.exhausted = true;
      return;
    }
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > this.policy.maxRetryAfterMs) {
      slot.exhausted = true;
      return;
    }
    slot.readyAt =
      now + backoffDelay(slot.tries - 1, this.policy, failure.retryAfterMs, this.random);
  }

  /** Not attempted (breaker open): not retried within this call, and not counted as an attempt. */
  skipped(model: ModelSpec): void {
    const slot = this.slot(model);
    slot.exhausted = true;
    slot.tries--;
    this.attempts--;
  }

  private slot(model: ModelSpec): Slot {
    const slot = this.slots.find((s) => s.model === model);
    if (!slot) throw new Error(`planner: ${model.id} is not a candidate`);
    return slot;
  }
}
