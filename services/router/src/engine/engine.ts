import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import type { Logger } from '@quantumlayer/kit';
import type { RouterFileConfig } from '../config.js';
import type { Catalog } from '../domain/catalog.js';
import {
  costMicros,
  estimatePromptTokens,
  estimateTextTokens,
  worstCaseCostMicros,
} from '../domain/cost.js';
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  DependencyUnavailableError,
  NoCandidateError,
  UnknownModelError,
} from '../domain/errors.js';
import { AttemptPlanner } from '../domain/retry.js';
import { filterCandidates, noCandidate, rankCandidates, type Demand } from '../domain/selection.js';
import { LatencyBook } from '../domain/stats.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  CallContext,
  CallOutcome,
  CallStats,
  ChatCall,
  CompletionResult,
  Constraints,
  EmbedCall,
  EmbeddingResult,
  ModelHealth,
  ModelSpec,
  ModelType,
  Policy,
  StreamOutput,
} from '../domain/types.js';
import {
  ProviderError,
  type Cancellation,
  type ChatRequest,
  type ChatResult,
  type ProviderAdapter,
  type StreamEvent,
  type TokenUsage,
} from '../providers/types.js';
import type { RouterMetrics } from '../telemetry/metrics.js';
import {
  endAttemptSpan,
  endCallSpan,
  startAttemptSpan,
  startCallSpan,
  type AttemptSpan,
  type CallSpan,
  type GenAiOperation,
  type RequestAttributes,
} from '../telemetry/tracing.js';
import { BreakerRegistry, shortError, type Admission } from './breakers.js';
import { CancelSignal, type CallerSignal } from './cancel.js';
import type { BudgetStore, Reservation } from './budget.js';
import type { UsageRecord, UsageSink } from '../usage/types.js';

export type EngineConfig = Pick<
  RouterFileConfig,
  'routing' | 'retry' | 'timeouts' | 'breaker' | 'budgets' | 'providers'
>;

export interface EngineDeps {
  catalog: Catalog;
  /** Adapters by provider name. A provider missing here is "not configured" (e.g. no key). */
  providers: ReadonlyMap<string, ProviderAdapter>;
  /** Why a configured provider has no adapter, for ListModels. */
  unavailable?: ReadonlyMap<string, string>;
  config: EngineConfig;
  budget?: BudgetStore | undefined;
  usage: UsageSink;
  metrics?: RouterMetrics | undefined;
  logger: Logger;
  /** Monotonic milliseconds (tests drive time). */
  now?: () => number;
  random?: () => number;
}

export interface CallOptions {
  api: 'grpc' | 'http';
  /** Caller gone or deadline passed: stops everything, upstream requests included. */
  signal?: CallerSignal | undefined;
  /** Absolute deadline (e.g. the gRPC one); the call's own time budget applies as well. */
  deadline?: Date | undefined;
  /** Trace context of the caller (HTTP: from its traceparent). */
  traceContext?: Context | undefined;
}

interface Prepared {
  requestId: string;
  kind: UsageRecord['kind'];
  context: CallContext;
  candidates: ModelSpec[];
  promptTokens: number;
  request: Omit<ChatRequest, 'model' | 'signal'>;
  maxAttempts: number;
  /** Monotonic ms. */
  started: number;
  deadline: number;
  reservation: Reservation | undefined;
  span: CallSpan;
}

/** Running totals of one call across its attempts. */
class Tally {
  readonly attempts: AttemptRecord[] = [];
  readonly billed: TokenUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  cost = 0;
  calls = 0;
  lastError: unknown;
  last: ModelSpec | undefined;

  bill(model: ModelSpec, usage: TokenUsage): number {
    const c = costMicros(model, usage);
    this.billed.inputTokens += usage.inputTokens;
    this.billed.outputTokens += usage.outputTokens;
    this.billed.cachedInputTokens =
      (this.billed.cachedInputTokens ?? 0) + (usage.cachedInputTokens ?? 0);
    this.cost += c;
    return c;
  }
}

const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0 };

function attemptOutcome(err: ProviderError): AttemptOutcome {
  if (err.kind === 'rate_limited') return 'rate_limited';
  if (err.kind === 'timeout') return 'timed_out';
  return 'failed';
}

function noop(): void {}

/**
 * Guards one provider attempt: its cancellation (the caller's signal, the whole-attempt and
 * first-token timers), and `race`, which settles when the adapter's promise does or when any of
 * them fires, so that an adapter that does not honour its signal promptly still cannot hold the
 * call.
 *
 * The guard is itself the attempt's light cancellation (`ChatRequest.cancel`); the `AbortSignal`
 * the SDK adapters need is made only when one reads `signal` (on Node 20 an AbortSignal and its
 * listener cost ~8 µs, a sizeable share of a proxied call).
 */
class AttemptGuard extends CancelSignal implements Cancellation {
  /** Set when a timer fired: the error the attempt failed with. */
  timeoutError: ProviderError | undefined;
  private controller: AbortController | undefined;
  private reject: ((err: unknown) => void) | undefined;
  private attemptTimer: NodeJS.Timeout | undefined;
  private firstTokenTimer: NodeJS.Timeout | undefined;
  private readonly onCallerAbort: () => void;

  constructor(
    private readonly model: ModelSpec,
    private readonly callerSignal: CallerSignal | undefined,
    attemptMs: number,
    firstTokenMs: number | undefined,
  ) {
    super();
    this.attemptTimer = setTimeout(
      () => this.timeout(`no complete answer within ${attemptMs} ms`),
      attemptMs,
    );
    if (firstTokenMs !== undefined && firstTokenMs < attemptMs) {
      this.firstTokenTimer = setTimeout(
        () => this.timeout(`no first token within ${firstTokenMs} ms`),
        firstTokenMs,
      );
    }
    this.onCallerAbort = () => this.abort(new CancelledError(this.callerSignal?.reason));
    if (callerSignal) {
      if (callerSignal.aborted) this.onCallerAbort();
      else callerSignal.addEventListener('abort', this.onCallerAbort, { once: true });
    }
  }

  /** An `AbortSignal` following this guard, made on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Cancels the attempt: its listeners, its `signal`, and a pending `race` (rejects with `reason`). */
  override abort(reason: unknown): void {
    if (this.aborted) return;
    super.abort(reason);
    this.controller?.abort(reason);
    this.reject?.(reason);
  }

  /** `p`, or the reason of an abort that comes first. One race at a time. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.aborted) {
      p.catch(noop);
      return Promise.reject(this.reason as Error);
    }
    return new Promise<T>((resolve, reject) => {
      this.reject = reject;
      p.then(
        (v) => {
          this.reject = undefined;
          resolve(v);
        },
        (err: unknown) => {
          this.reject = undefined;
          reject(err);
        },
      );
    });
  }

  firstToken(): void {
    if (this.firstTokenTimer) clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
  }

  /** The error to report for whatever `err` the attempt failed with. */
  classify(err: unknown): ProviderError | CancelledError {
    if (err instanceof CancelledError) return err;
    if (this.callerSignal?.aborted) return new CancelledError(this.callerSignal.reason);
    if (this.timeoutError) return this.timeoutError;
    if (err instanceof ProviderError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError('server_error', `adapter failed: ${message}`, {
      provider: this.model.provider,
      cause: err,
    });
  }

  dispose(): void {
    if (this.attemptTimer) clearTimeout(this.attemptTimer);
    if (this.firstTokenTimer) clearTimeout(this.firstTokenTimer);
    this.attemptTimer = this.firstTokenTimer = undefined;
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  private timeout(message: string): void {
    this.timeoutError = new ProviderError('timeout', message, { provider: this.model.provider });
    this.abort(this.timeoutError);
  }
}

/**
 * The request one attempt hands its adapter: the call's request for the candidate's model, with
 * the guard as its light `cancel` and an `AbortSignal` made only if the adapter reads `signal`.
 */
class AttemptRequest implements ChatRequest {
  readonly model: string;
  readonly messages: ChatRequest['messages'];
  readonly tools: ChatRequest['tools'];
  readonly toolChoice: ChatRequest['toolChoice'];
  readonly responseFormat: ChatRequest['responseFormat'];
  readonly temperature: ChatRequest['temperature'];
  readonly topP: ChatRequest['topP'];
  readonly maxTokens: ChatRequest['maxTokens'];
  readonly stop: ChatRequest['stop'];
  readonly seed: ChatRequest['seed'];

  constructor(
    r: Prepared['request'],
    model: string,
    readonly cancel: AttemptGuard,
  ) {
    this.model = model;
    this.messages = r.messages;
    this.tools = r.tools;
    this.toolChoice = r.toolChoice;
    this.responseFormat = r.responseFormat;
    this.temperature = r.temperature;
    this.topP = r.topP;
    this.maxTokens = r.maxTokens;
    this.stop = r.stop;
    this.seed = r.seed;
  }

  get signal(): AbortSignal {
    return this.cancel.signal;
  }
}

/** The attempt that succeeded, from `firstSuccess`. */
interface Won<T> {
  model: ModelSpec;
  value: T;
  guard: AttemptGuard;
  admission: Admission;
  span: AttemptSpan;
  startedAt: number;
}

/** An upstream stream that produced its first token: the call is committed to it. */
interface OpenStream {
  model: ModelSpec;
  iterator: AsyncIterator<StreamEvent>;
  guard: AttemptGuard;
  admission: Admission;
  span: AttemptSpan;
  first: StreamEvent;
  startedAt: number;
  /** Monotonic time of the first token. */
  firstTokenAt: number;
  ttftMs: number;
}

/**
 * The router core: resolves a selector to candidates, filters them by constraints, ranks them by
 * policy, checks budgets, then runs attempts through per-model circuit breakers with per-attempt
 * timeouts, retries with backoff and fallback, and records usage and metrics for every call.
 * Independent of the wire: the gRPC and HTTP layers call it with domain types.
 */
export class RouterEngine {
  readonly breakers: BreakerRegistry;
  readonly latency: LatencyBook;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => performance.now());
    this.random = deps.random ?? Math.random;
    this.latency = new LatencyBook(deps.config.routing.ewmaAlpha);
    const providerBreaker = new Map(deps.config.providers.map((p) => [p.name, p.breaker]));
    this.breakers = new BreakerRegistry(
      (id) => {
        const model = deps.catalog.get(id);
        return {
          ...deps.config.breaker,
          ...(model ? providerBreaker.get(model.provider) : undefined),
        };
      },
      (id, state) => {
        const model = deps.catalog.get(id);
        if (model) deps.metrics?.breakerState(model.provider, model.id, state);
        deps.logger.warn({ model: id, state }, `circuit breaker ${state.replace('_', '-')}`);
      },
    );
    for (const m of deps.catalog.models) {
      this.breakers.for(m.id);
      deps.metrics?.breakerState(m.provider, m.id, 'closed');
    }
  }

  /** One chat completion, whole answer. */
  async complete(call: ChatCall, options: CallOptions): Promise<CompletionResult> {
    const p = await this.prepareChat(call, 'completion', options);
    const tally = new Tally();
    try {
      // The request carries maxTokens, temperature and topP, the attributes the span reports.
      const won = await this.firstSuccess(
        p,
        tally,
        options.signal,
        'chat',
        p.request,
        undefined,
        (adapter, model, guard) =>
          guard.race(adapter.chat(new AttemptRequest(p.request, model.modelId, guard))),
      );
      const { model, value: result, guard } = won;
      guard.dispose();
      won.admission.settle();
      const latencyMs = this.now() - won.startedAt;
      const usage = this.completeUsage(result.usage, p.promptTokens, result.text, result.toolCalls);
      const cost = tally.bill(model, usage);
      this.attemptSucceeded(model, latencyMs, undefined, usage, cost, tally);
      endAttemptSpan(won.span, {
        usage,
        finishReason: result.finishReason,
        responseModel: result.model,
      });
      const stats = this.stats(p, model, usage, tally, 0);
      const outcome: CallOutcome =
        result.finishReason === 'content_filter' ? 'content_filtered' : 'succeeded';
      this.finish(p, options, outcome, stats, tally);
      return {
        text: result.text,
        toolCalls: result.toolCalls.map((t) => ({
          id: t.id,
          name: t.name,
          argumentsJson: t.argumentsJson,
        })),
        finishReason: result.finishReason,
        stats,
      };
    } catch (err) {
      this.fail(p, options, tally, err);
      throw err;
    }
  }

  /**
   * One chat completion, streamed: `start` once a candidate produced its first token (a stream
   * that fails before that falls back like any failed attempt), then deltas, then `end`. Errors
   * before `start` are thrown from the first `next()`; after it, the stream fails with
   * `AllCandidatesFailedError(midStream)`. Ending the iteration early cancels the upstream.
   */
  async *stream(
    call: ChatCall,
    options: CallOptions,
  ): AsyncGenerator<StreamOutput, void, undefined> {
    const p = await this.prepareChat(call, 'stream_completion', options);
    const tally = new Tally();
    let open: OpenStream | undefined;
    let finished = false;
    let streamedChars = 0;
    try {
      open = await this.openStream(p, tally, options.signal);
      const { model, iterator, guard } = open;
      yield {
        type: 'start',
        requestId: p.requestId,
        provider: model.provider,
        model: model.id,
        attemptCount: tally.calls,
      };
      let event: StreamEvent = open.first;
      for (;;) {
        if (event.type === 'finish') {
          guard.dispose();
          finished = true;
          const usage = this.streamUsage(event.usage, p.promptTokens, streamedChars);
          const latencyMs = this.now() - open.startedAt;
          open.admission.settle();
          const cost = tally.bill(model, usage);
          this.attemptSucceeded(model, latencyMs, open.ttftMs, usage, cost, tally);
          endAttemptSpan(open.span, {
            usage,
            finishReason: event.finishReason,
            responseModel: event.model,
            ttftMs: open.ttftMs,
          });
          const stats = this.stats(
            p,
            model,
            usage,
            tally,
            Math.round(open.firstTokenAt - p.started),
          );
          const outcome: CallOutcome =
            event.finishReason === 'content_filter' ? 'content_filtered' : 'succeeded';
          this.finish(p, options, outcome, stats, tally);
          void iterator.return?.().catch(noop);
          yield { type: 'end', finishReason: event.finishReason, stats };
          return;
        }
        if (event.type === 'text') {
          streamedChars += event.text.length;
          if (event.text) yield event;
        } else {
          streamedChars += event.argumentsDelta.length + (event.name?.length ?? 0);
          yield event;
        }
        let next: IteratorResult<StreamEvent>;
        try {
          next = await guard.race(iterator.next());
          if (next.done)
            throw new ProviderError('server_error', 'the stream ended without a finish event', {
              provider: model.provider,
            });
        } catch (raw) {
          const err = guard.classify(raw);
          guard.dispose();
          void iterator.return?.().catch(noop);
          // Tokens already streamed were produced and are billed.
          const usage = this.streamUsage(NO_USAGE, p.promptTokens, streamedChars);
          tally.bill(model, usage);
          open.admission.settle(
            err instanceof CancelledError
              ? new ProviderError('cancelled', 'cancelled', { provider: model.provider })
              : err,
          );
          finished = true;
          const errorCode = err instanceof ProviderError ? err.kind : 'cancelled';
          tally.attempts.push(this.attemptRecord(model, err, this.now() - open.startedAt));
          if (err instanceof ProviderError) {
            this.deps.metrics?.model(model.provider, model.id).attempts[attemptOutcome(err)].inc();
            this.deps.metrics?.error(model.provider, model.id, err.kind);
          }
          endAttemptSpan(open.span, { error: { type: errorCode, message: shortError(err) } });
          tally.lastError = err;
          if (err instanceof CancelledError) throw err;
          throw new AllCandidatesFailedError(
            this.outcomeOf(tally),
            tally.attempts,
            p.requestId,
            true,
          );
        }
        event = next.value;
      }
    } catch (err) {
      this.fail(p, options, tally, err);
      throw err;
    } finally {
      if (open && !finished) {
        // The consumer stopped early (client gone): cancel upstream, bill what was streamed.
        open.guard.abort(new CancelledError('consumer stopped'));
        open.guard.dispose();
        void open.iterator.return?.().catch(noop);
        open.admission.settle(
          new ProviderError('cancelled', 'cancelled', { provider: open.model.provider }),
        );
        tally.bill(open.model, this.streamUsage(NO_USAGE, p.promptTokens, streamedChars));
        tally.attempts.push(
          this.attemptRecord(
            open.model,
            new CancelledError(undefined),
            this.now() - open.startedAt,
          ),
        );
        endAttemptSpan(open.span, { error: { type: 'cancelled', message: 'consumer stopped' } });
        this.fail(p, options, tally, new CancelledError(undefined));
      }
    }
  }

  async embed(call: EmbedCall, options: CallOptions): Promise<EmbeddingResult> {
    const p = await this.prepare(
      {
        selector: call.selector,
        type: 'embedding',
        field: 'model',
        fallback: [],
        constraints: {},
        policy: call.policy,
        context: call.context,
        promptTokens: call.inputs.reduce((n, s) => n + estimateTextTokens(s), 0),
        maxTokens: 0,
        stream: false,
        request: { messages: [] },
        operation: 'embeddings',
      },
      'embedding',
      options,
    );
    const tally = new Tally();
    try {
      const won = await this.firstSuccess(
        p,
        tally,
        options.signal,
        'embeddings',
        {},
        undefined,
        (adapter, model, guard) =>
          guard.race(
            adapter.embed!({
              model: model.modelId,
              inputs: call.inputs,
              dimensions: call.dimensions,
              cancel: guard,
              get signal() {
                return guard.signal;
              },
            }),
          ),
      );
      const { model, value: result, guard } = won;
      guard.dispose();
      won.admission.settle();
      const usage =
        result.usage.inputTokens > 0
          ? result.usage
          : { inputTokens: p.promptTokens, outputTokens: 0 };
      const cost = tally.bill(model, usage);
      this.attemptSucceeded(model, this.now() - won.startedAt, undefined, usage, cost, tally);
      endAttemptSpan(won.span, { usage });
      const stats = this.stats(p, model, usage, tally, 0);
      this.finish(p, options, 'succeeded', stats, tally);
      return { vectors: result.vectors, dimensions: result.vectors[0]?.length ?? 0, stats };
    } catch (err) {
      this.fail(p, options, tally, err);
      throw err;
    }
  }

  /** Live health of one model. */
  health(model: ModelSpec): ModelHealth {
    const breaker = this.breakers.for(model.id);
    const missing = !this.deps.providers.has(model.provider);
    const state = breaker.state;
    return {
      available: !missing && state !== 'open',
      reason: missing
        ? (this.deps.unavailable?.get(model.provider) ?? 'not_configured')
        : state === 'open'
          ? 'breaker_open'
          : undefined,
      breakerState: state,
      errorRate: breaker.errorRate(),
      p50LatencyMs: Math.round(this.latency.peek(model.id)?.p50() ?? 0),
      breakerChangedAt: breaker.changedAt,
      lastError: breaker.lastError,
    };
  }

  get catalog(): Catalog {
    return this.deps.catalog;
  }

  isConfigured(model: ModelSpec): boolean {
    const adapter = this.deps.providers.get(model.provider);
    return !!adapter && (model.type === 'chat' || typeof adapter.embed === 'function');
  }

  shutdown(): void {
    this.breakers.shutdown();
  }

  // ---------------------------------------------------------------------------------------------

  private async prepareChat(
    call: ChatCall,
    kind: 'completion' | 'stream_completion',
    options: CallOptions,
  ): Promise<Prepared> {
    const constraints: Constraints = { ...call.constraints };
    if (call.tools?.length) constraints.needsTools = true;
    if (call.responseFormat && call.responseFormat.type !== 'text') constraints.needsJson = true;
    if (call.messages.some((m) => m.content.some((c) => c.type === 'image_url')))
      constraints.needsVision = true;
    return this.prepare(
      {
        selector: call.selector,
        type: 'chat',
        field: 'model',
        fallback: call.fallbackModels ?? [],
        constraints,
        policy: call.policy,
        context: call.context,
        promptTokens: estimatePromptTokens(call.messages, call.tools),
        maxTokens: call.maxTokens,
        stream: kind === 'stream_completion',
        request: {
          messages: call.messages,
          tools: call.tools,
          toolChoice: call.toolChoice,
          responseFormat: call.responseFormat,
          temperature: call.temperature,
          topP: call.topP,
          maxTokens: call.maxTokens,
          stop: call.stop,
          seed: call.seed,
        },
        operation: 'chat',
      },
      kind,
      options,
    );
  }

  private async prepare(
    q: {
      selector: string;
      type: ModelType;
      field: string;
      fallback: readonly string[];
      constraints: Constraints;
      policy: Policy | undefined;
      context: CallContext;
      promptTokens: number;
      maxTokens: number | undefined;
      stream: boolean;
      request: Omit<ChatRequest, 'model' | 'signal'>;
      operation: GenAiOperation;
    },
    kind: UsageRecord['kind'],
    options: CallOptions,
  ): Promise<Prepared> {
    const started = this.now();
    const { catalog, config } = this.deps;
    const requestId = q.context.requestId || randomUUID();
    const resolution = catalog.resolve(q.selector, q.type, q.field);
    let candidates = resolution.candidates;
    if (q.fallback.length > 0) {
      const seen = new Set(candidates);
      candidates = candidates.slice();
      q.fallback.forEach((sel, i) => {
        const field = `fallback_models[${i}]`;
        const more = catalog.resolve(sel, q.type, field).candidates;
        if (more.length === 0) throw new UnknownModelError(field, sel, `not a ${q.type} model`);
        for (const m of more) {
          if (seen.has(m)) continue;
          seen.add(m);
          candidates.push(m);
        }
      });
    }
    if (resolution.kind === 'explicit' && candidates[0] && candidates[0].type !== q.type) {
      throw new UnknownModelError(q.field, q.selector, `not a ${q.type} model`);
    }
    const demand: Demand = {
      promptTokens: q.promptTokens,
      maxTokens: q.maxTokens,
      stream: q.stream,
    };
    const filtered = filterCandidates(candidates, q.constraints, demand, (m) =>
      this.isConfigured(m),
    );
    if (filtered.eligible.length === 0) {
      this.deps.metrics?.call(options.api, kind, 'no_candidate');
      throw noCandidate(filtered, q.selector);
    }
    const policy =
      q.policy ??
      resolution.policy ??
      (resolution.kind === 'auto' ? config.routing.defaultPolicy : undefined);
    // An explicit model and its fallbacks keep the caller's order; aliases and auto are ranked.
    let eligible =
      policy && resolution.kind !== 'explicit'
        ? rankCandidates(filtered.eligible, policy, demand, this.latency, config.routing)
        : filtered.eligible;

    const span = startCallSpan(q.operation, q.selector, options.traceContext, {
      requestId,
      tenantId: q.context.tenantId,
      generationId: q.context.generationId,
    });
    const p: Prepared = {
      requestId,
      kind,
      context: q.context,
      candidates: eligible,
      promptTokens: q.promptTokens,
      request: q.request,
      maxAttempts: q.constraints.maxAttempts || config.routing.maxAttempts,
      started,
      deadline: this.deadline(started, options.deadline),
      reservation: undefined,
      span,
    };

    // Budgets: refuse before any provider call when the worst case cannot be covered.
    const worst = (m: ModelSpec) => worstCaseCostMicros(m, q.promptTokens, q.maxTokens);
    const cap = config.budgets.maxRequestCostUsd;
    if (cap !== undefined) {
      const capMicros = Math.round(cap * 1_000_000);
      const within = eligible.filter((m) => worst(m) <= capMicros);
      if (within.length === 0) {
        throw this.refuse(
          p,
          options,
          new BudgetExceededError(
            'request',
            Math.min(...eligible.map(worst)),
            capMicros,
            capMicros,
          ),
        );
      }
      eligible = within;
    }
    const generationId = q.context.generationId;
    const limitUsd = config.budgets.generationUsd;
    const limit =
      q.context.generationBudgetMicros ??
      (limitUsd !== undefined ? Math.round(limitUsd * 1_000_000) : undefined);
    if (generationId && limit !== undefined && this.deps.budget) {
      const key = { tenantId: q.context.tenantId, generationId };
      const budget = this.deps.budget;
      // Budgets guard money: when the store cannot answer, the call is refused, not waved through.
      const reserve = (amount: number) =>
        budget.reserve(key, amount, limit).catch((err: unknown) => {
          const e = new DependencyUnavailableError(`the budget store (${budget.kind})`, err);
          this.fail(p, options, new Tally(), e);
          throw e;
        });
      let amount = Math.max(...eligible.map(worst));
      let r = await reserve(amount);
      if (!r.ok) {
        const remaining = limit - r.spentMicros - r.reservedMicros;
        const fits = eligible.filter((m) => worst(m) <= remaining);
        if (fits.length > 0) {
          amount = Math.max(...fits.map(worst));
          r = await reserve(amount);
          if (r.ok) eligible = fits;
        }
        if (!r.ok) {
          const left = limit - r.spentMicros - r.reservedMicros;
          throw this.refuse(
            p,
            options,
            new BudgetExceededError('generation', Math.min(...eligible.map(worst)), limit, left),
          );
        }
      }
      p.reservation = r.reservation;
    }
    p.candidates = eligible;
    return p;
  }

  private refuse(p: Prepared, options: CallOptions, err: BudgetExceededError): BudgetExceededError {
    this.deps.metrics?.budgetRefused(err.scope);
    const tally = new Tally();
    this.fail(p, options, tally, err);
    return err;
  }

  private deadline(started: number, deadline: Date | undefined): number {
    const own = started + this.deps.config.timeouts.callMs;
    if (!deadline) return own;
    return Math.min(own, started + (deadline.getTime() - Date.now()));
  }

  private planner(p: Prepared): AttemptPlanner {
    return new AttemptPlanner(
      p.candidates,
      this.deps.config.retry,
      p.maxAttempts,
      p.deadline,
      this.random,
    );
  }

  private attemptBudget(model: ModelSpec, p: Prepared): number {
    return Math.max(1, Math.min(model.attemptTimeoutMs, Math.floor(p.deadline - this.now())));
  }

  /** The next model to try, waiting out backoffs; undefined when the plan is exhausted. */
  private async nextCandidate(
    planner: AttemptPlanner,
    p: Prepared,
    tally: Tally,
    signal: CallerSignal | undefined,
  ): Promise<ModelSpec | undefined> {
    for (;;) {
      if (signal?.aborted) throw new CancelledError(signal.reason);
      const step = planner.next(this.now());
      if (step.kind === 'attempt') return step.model;
      if (step.kind === 'done') {
        if (step.reason === 'deadline' && tally.calls > 0 && !tally.lastError) {
          tally.lastError = new ProviderError('timeout', 'the call ran out of time', {
            provider: p.candidates[0]!.provider,
          });
        }
        return undefined;
      }
      await sleep(step.ms, signal);
    }
  }

  private skip(planner: AttemptPlanner, model: ModelSpec, tally: Tally): void {
    planner.skipped(model);
    tally.attempts.push({
      model: model.id,
      provider: model.provider,
      outcome: 'skipped_breaker_open',
      errorCode: 'breaker_open',
      errorMessage: '',
      latencyMs: 0,
    });
    this.deps.metrics?.model(model.provider, model.id).attempts.skipped_breaker_open.inc();
  }

  /**
   * The attempt loop every operation shares: the next candidate (waiting out backoffs), through
   * its breaker, guarded by the attempt's timeouts and the caller's signal, until `run` succeeds.
   * Failed attempts are recorded and settled here; the winner comes back with its guard still
   * running and its breaker admission unsettled (a stream keeps both until its last event).
   * Throws `AllCandidatesFailedError` when the plan is exhausted, `CancelledError` when the
   * caller went away.
   */
  private async firstSuccess<T>(
    p: Prepared,
    tally: Tally,
    signal: CallerSignal | undefined,
    operation: GenAiOperation,
    attrs: RequestAttributes,
    firstTokenMs: ((model: ModelSpec) => number | undefined) | undefined,
    run: (adapter: ProviderAdapter, model: ModelSpec, guard: AttemptGuard) => Promise<T>,
  ): Promise<Won<T>> {
    const planner = this.planner(p);
    for (;;) {
      const model = await this.nextCandidate(planner, p, tally, signal);
      if (!model) throw this.allFailed(p, tally);
      const adapter = this.deps.providers.get(model.provider)!;
      const admission = this.breakers.for(model.id).admit();
      if (!admission) {
        this.skip(planner, model, tally);
        continue;
      }
      tally.calls++;
      tally.last = model;
      const startedAt = this.now();
      const span = startAttemptSpan(p.span, operation, model, attrs);
      const guard = new AttemptGuard(
        model,
        signal,
        this.attemptBudget(model, p),
        firstTokenMs?.(model),
      );
      try {
        const value = await run(adapter, model, guard);
        return { model, value, guard, admission, span, startedAt };
      } catch (raw) {
        const err = guard.classify(raw);
        guard.dispose();
        admission.settle(
          err instanceof CancelledError
            ? new ProviderError('cancelled', 'cancelled', { provider: model.provider })
            : err,
        );
        this.attemptFailed(planner, model, err, startedAt, tally, span);
        if (err instanceof CancelledError) throw err;
      }
    }
  }

  /** The first candidate whose stream produced a token; the call is committed to it. */
  private async openStream(
    p: Prepared,
    tally: Tally,
    signal: CallerSignal | undefined,
  ): Promise<OpenStream> {
    const attrs = {
      maxTokens: p.request.maxTokens,
      temperature: p.request.temperature,
      topP: p.request.topP,
      stream: true,
    };
    const won = await this.firstSuccess(
      p,
      tally,
      signal,
      'chat',
      attrs,
      (model) => model.firstTokenTimeoutMs,
      async (adapter, model, guard) => {
        const iterator = adapter
          .chatStream(new AttemptRequest(p.request, model.modelId, guard))
          [Symbol.asyncIterator]();
        try {
          for (;;) {
            const r = await guard.race(iterator.next());
            if (r.done)
              throw new ProviderError('server_error', 'the stream ended before any output', {
                provider: model.provider,
              });
            // Empty deltas (role-only chunks) are not a token: a stream can still fail over after them.
            if (r.value.type === 'text' && r.value.text === '') continue;
            guard.firstToken();
            return { iterator, first: r.value, firstTokenAt: this.now() };
          }
        } catch (err) {
          void iterator.return?.().catch(noop);
          throw err;
        }
      },
    );
    const { iterator, first, firstTokenAt } = won.value;
    return {
      model: won.model,
      iterator,
      guard: won.guard,
      admission: won.admission,
      span: won.span,
      first,
      startedAt: won.startedAt,
      firstTokenAt,
      ttftMs: firstTokenAt - won.startedAt,
    };
  }

  private attemptFailed(
    planner: AttemptPlanner,
    model: ModelSpec,
    err: ProviderError | CancelledError,
    startedAt: number,
    tally: Tally,
    span: AttemptSpan,
  ): void {
    const latencyMs = this.now() - startedAt;
    tally.lastError = err;
    tally.attempts.push(this.attemptRecord(model, err, latencyMs));
    if (err instanceof ProviderError) {
      planner.failed(
        model,
        { retryable: err.retryable, retryAfterMs: err.details.retryAfterMs },
        this.now(),
      );
      const m = this.deps.metrics?.model(model.provider, model.id);
      m?.attempts[attemptOutcome(err)].inc();
      this.deps.metrics?.error(model.provider, model.id, err.kind);
      endAttemptSpan(span, { error: { type: err.kind, message: err.message } });
      this.deps.logger.debug(
        { model: model.id, kind: err.kind, err: err.message },
        'provider attempt failed',
      );
    } else {
      endAttemptSpan(span, { error: { type: 'cancelled', message: 'cancelled by the caller' } });
    }
  }

  private attemptRecord(
    model: ModelSpec,
    err: ProviderError | CancelledError,
    latencyMs: number,
  ): AttemptRecord {
    const provider = err instanceof ProviderError;
    return {
      model: model.id,
      provider: model.provider,
      outcome: provider ? attemptOutcome(err) : 'failed',
      errorCode: provider ? err.kind : 'cancelled',
      errorMessage: provider ? shortError(err.message) : '',
      latencyMs: Math.round(latencyMs),
    };
  }

  private attemptSucceeded(
    model: ModelSpec,
    latencyMs: number,
    ttftMs: number | undefined,
    usage: TokenUsage,
    cost: number,
    tally: Tally,
  ): void {
    tally.attempts.push({
      model: model.id,
      provider: model.provider,
      outcome: 'succeeded',
      errorCode: '',
      errorMessage: '',
      latencyMs: Math.round(latencyMs),
    });
    this.latency.for(model.id).observe(latencyMs, ttftMs);
    const m = this.deps.metrics?.model(model.provider, model.id);
    if (m) {
      m.attempts.succeeded.inc();
      m.latency.observe(latencyMs / 1000);
      if (ttftMs !== undefined) m.ttft.observe(ttftMs / 1000);
      m.inputTokens.inc(usage.inputTokens);
      m.outputTokens.inc(usage.outputTokens);
      if (cost > 0) m.cost.inc(cost / 1_000_000);
    }
  }

  /** Provider usage, or the estimate where the provider reported none. */
  private completeUsage(
    usage: TokenUsage,
    promptTokens: number,
    text: string,
    toolCalls: ChatResult['toolCalls'],
  ): TokenUsage {
    if (usage.inputTokens > 0 || usage.outputTokens > 0) return usage;
    let chars = text.length;
    for (const t of toolCalls) chars += t.name.length + t.argumentsJson.length;
    return { inputTokens: promptTokens, outputTokens: Math.ceil(chars / 4) };
  }

  private streamUsage(usage: TokenUsage, promptTokens: number, streamedChars: number): TokenUsage {
    const estimatedOut = Math.ceil(streamedChars / 4);
    return {
      inputTokens: usage.inputTokens > 0 ? usage.inputTokens : promptTokens,
      outputTokens: usage.outputTokens > 0 ? usage.outputTokens : estimatedOut,
      ...(usage.cachedInputTokens ? { cachedInputTokens: usage.cachedInputTokens } : {}),
    };
  }

  private stats(
    p: Prepared,
    model: ModelSpec,
    usage: TokenUsage,
    tally: Tally,
    ttftMs: number,
  ): CallStats {
    return {
      requestId: p.requestId,
      provider: model.provider,
      model: model.id,
      usage,
      costMicros: tally.cost,
      attemptCount: tally.calls,
      latencyMs: Math.round(this.now() - p.started),
      timeToFirstTokenMs: ttftMs,
      attempts: tally.attempts,
    };
  }

  private outcomeOf(tally: Tally): CallOutcome {
    if (tally.lastError instanceof CancelledError) return 'cancelled';
    const tried = tally.attempts.filter((a) => a.outcome !== 'skipped_breaker_open');
    if (tried.length > 0 && tried.every((a) => a.outcome === 'rate_limited')) return 'rate_limited';
    const last = tried.at(-1);
    if (
      last?.outcome === 'timed_out' ||
      (tally.lastError instanceof ProviderError && tally.lastError.kind === 'timeout')
    ) {
      return 'timed_out';
    }
    return 'failed';
  }

  private allFailed(p: Prepared, tally: Tally): AllCandidatesFailedError {
    return new AllCandidatesFailedError(this.outcomeOf(tally), tally.attempts, p.requestId);
  }

  /** Success: usage record, budget settlement, call metrics, span. Nothing here blocks the answer. */
  private finish(
    p: Prepared,
    options: CallOptions,
    outcome: CallOutcome,
    stats: CallStats,
    tally: Tally,
  ): void {
    this.settleBudget(p, tally.cost);
    this.deps.usage.record(
      this.usageRecord(p, outcome, stats.provider, stats.model, tally, stats.timeToFirstTokenMs),
    );
    this.deps.metrics?.call(options.api, p.kind, outcome, stats.latencyMs / 1000);
    endCallSpan(p.span.span, {
      model: stats.model,
      attempts: tally.calls,
      costMicros: tally.cost,
      outcome,
    });
  }

  private fail(p: Prepared, options: CallOptions, tally: Tally, err: unknown): void {
    const outcome: CallOutcome =
      err instanceof BudgetExceededError
        ? 'budget_exceeded'
        : err instanceof CancelledError
          ? 'cancelled'
          : err instanceof AllCandidatesFailedError
            ? err.outcome
            : 'failed';
    this.settleBudget(p, tally.cost);
    const last = tally.last;
    this.deps.usage.record(
      this.usageRecord(p, outcome, last?.provider ?? '', last?.id ?? '', tally, 0),
    );
    this.deps.metrics?.call(options.api, p.kind, outcome, (this.now() - p.started) / 1000);
    endCallSpan(p.span.span, {
      model: last?.id,
      attempts: tally.calls,
      costMicros: tally.cost,
      outcome,
      error: err instanceof Error ? err.message : String(err),
    });
    if (!(err instanceof NoCandidateError) && outcome !== 'cancelled') {
      this.deps.logger.warn(
        {
          requestId: p.requestId,
          tenant: p.context.tenantId,
          outcome,
          err: err instanceof Error ? err.message : String(err),
        },
        'router call failed',
      );
    }
  }

  private settleBudget(p: Prepared, actualMicros: number): void {
    const r = p.reservation;
    if (!r || !this.deps.budget) return;
    p.reservation = undefined;
    this.deps.budget.settle(r, actualMicros, p.requestId).catch((err: unknown) => {
      this.deps.logger.error(
        { err, requestId: p.requestId },
        'budget settlement failed; the reservation stays until it expires',
      );
    });
  }

  private usageRecord(
    p: Prepared,
    outcome: CallOutcome,
    provider: string,
    model: string,
    tally: Tally,
    ttftMs: number,
  ): UsageRecord {
    return {
      requestId: p.requestId,
      tenantId: p.context.tenantId,
      generationId: p.context.generationId ?? '',
      kind: p.kind,
      provider,
      model,
      outcome,
      tokens: { ...tally.billed },
      costMicros: tally.cost,
      latencyMs: Math.round(this.now() - p.started),
      ttftMs,
      attemptCount: tally.calls,
      caller: p.context.caller ?? '',
      stepId: p.context.stepId ?? '',
      time: new Date(),
    };
  }
}

function sleep(ms: number, signal: CallerSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
