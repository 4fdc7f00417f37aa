import type { AttemptRecord, CallOutcome } from './types.js';

/**
 * Domain errors. They carry what a caller needs to act (the field and rule, the constraint that
 * excluded every model, the budget left), never internals; the API layers map them to gRPC
 * statuses and OpenAI-shaped HTTP errors.
 */
export abstract class RouterError extends Error {
  abstract readonly kind:
    | 'invalid'
    | 'unknown_model'
    | 'no_candidate'
    | 'budget'
    | 'unavailable'
    | 'dependency'
    | 'cancelled';
}

/** Bad input: names the field (as the caller spelled it) and the rule. */
export class InvalidRequestError extends RouterError {
  readonly kind = 'invalid' as const;
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = 'InvalidRequestError';
  }
}

export class UnknownModelError extends RouterError {
  readonly kind = 'unknown_model' as const;
  constructor(
    readonly field: string,
    readonly selector: string,
    detail?: string,
  ) {
    super(
      `${field}: unknown model "${selector}"${detail ? ` (${detail})` : ''}; expected "<provider>/<model>", a model id, an alias or "auto"`,
    );
    this.name = 'UnknownModelError';
  }
}

/** No configured model satisfies the constraints; the message names what excluded each. */
export class NoCandidateError extends RouterError {
  readonly kind = 'no_candidate' as const;
  constructor(
    readonly constraint: string,
    readonly excluded: readonly { model: string; reason: string }[],
  ) {
    const shown = excluded.slice(0, 6).map((e) => `${e.model}: ${e.reason}`);
    const more = excluded.length > 6 ? `; … ${excluded.length - 6} more` : '';
    super(`no model satisfies ${constraint}${shown.length ? ` (${shown.join('; ')}${more})` : ''}`);
    this.name = 'NoCandidateError';
  }
}

/** Refused before any provider call: the estimate does not fit the request cap or the budget. */
export class BudgetExceededError extends RouterError {
  readonly kind = 'budget' as const;
  constructor(
    readonly scope: 'request' | 'generation',
    readonly estimateMicros: number,
    readonly limitMicros: number,
    readonly remainingMicros: number,
  ) {
    super(
      scope === 'request'
        ? `budget exceeded: the call's estimated worst-case cost ${usd(estimateMicros)} is above the per-request cap ${usd(limitMicros)}`
        : `budget exceeded: the generation has ${usd(Math.max(0, remainingMicros))} left of ${usd(limitMicros)}, the call needs up to ${usd(estimateMicros)}`,
    );
    this.name = 'BudgetExceededError';
  }
}

/** Every candidate failed (or was skipped); `attempts` tells the story. */
export class AllCandidatesFailedError extends RouterError {
  readonly kind = 'unavailable' as const;
  constructor(
    readonly outcome: CallOutcome,
    readonly attempts: readonly AttemptRecord[],
    readonly requestId: string,
    /** True when a stream failed after its first token: nothing can be retried. */
    readonly midStream = false,
  ) {
    const tried = attempts.map((a) =>
      a.outcome === 'skipped_breaker_open'
        ? `${a.model}: breaker open`
        : `${a.model}: ${a.errorCode}${a.errorMessage ? ` (${a.errorMessage})` : ''}`,
    );
    super(
      midStream
        ? `the stream from ${attempts.at(-1)?.model ?? 'the provider'} failed after it started: ${tried.at(-1) ?? ''}`
        : `every candidate failed: ${tried.join('; ') || 'no attempt was possible'}`,
    );
    this.name = 'AllCandidatesFailedError';
  }

  /** Every provider refused the request itself (bad request, context too long): the caller's to fix. */
  get callerFault(): boolean {
    const tried = this.attempts.filter((a) => a.outcome !== 'skipped_breaker_open');
    return (
      tried.length > 0 &&
      tried.every((a) => a.errorCode === 'bad_request' || a.errorCode === 'context_too_long')
    );
  }
}

/** A store the call cannot go without (the budget store) did not answer: refused, not guessed. */
export class DependencyUnavailableError extends RouterError {
  readonly kind = 'dependency' as const;
  constructor(what: string, cause: unknown) {
    super(`${what} is unavailable; the call was not sent`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}

export class CancelledError extends RouterError {
  readonly kind = 'cancelled' as const;
  constructor(readonly reason: unknown) {
    super('the call was cancelled by the caller');
    this.name = 'CancelledError';
  }
}

export function usd(micros: number): string {
  return `$${(micros / 1_000_000).toFixed(6)}`;
}
