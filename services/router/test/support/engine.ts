import type { Logger } from '@quantumlayer/kit';
import {
  parseRouterConfig,
  type RouterFileConfig,
  type RouterFileInput,
} from '../../src/config.js';
import { Catalog } from '../../src/domain/catalog.js';
import {
  ProviderError,
  type ChatRequest,
  type ChatResult,
  type EmbedRequest,
  type EmbedResult,
  type ProviderAdapter,
  type ProviderErrorKind,
  type StreamEvent,
} from '../../src/providers/types.js';
import { MemoryBudgetStore, type BudgetStore } from '../../src/engine/budget.js';
import { RouterEngine, type EngineDeps } from '../../src/engine/engine.js';
import { MemoryUsageSink } from '../../src/usage/types.js';

/**
 * In-process fakes for unit tests of the core: a scriptable adapter (no network), a silent
 * logger and an engine builder. Integration tests use the real adapters against the loopback
 * fakes of @quantumlayer/provider-fakes instead.
 */

export type Step =
  | { kind: 'reply'; text?: string; delayMs?: number; inputTokens?: number; outputTokens?: number }
  | { kind: 'fail'; error: ProviderErrorKind; retryAfterMs?: number; delayMs?: number }
  /** Never answers until aborted. */
  | { kind: 'stall' }
  /** Streams `chunks`; fails with `failAfter` error after that many chunks when set. */
  | {
      kind: 'stream';
      chunks: string[];
      ttftMs?: number;
      failAfter?: number;
      error?: ProviderErrorKind;
      reportUsage?: boolean;
    };

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new ProviderError('cancelled', 'aborted', { provider: 'fake' }));
    });
  });

function waitAbort(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    signal?.addEventListener('abort', () =>
      reject(new ProviderError('cancelled', 'aborted', { provider: 'fake' })),
    );
  });
}

export class FakeAdapter implements ProviderAdapter {
  readonly kind = 'openai' as const;
  calls = 0;
  streamCalls = 0;
  readonly requests: ChatRequest[] = [];
  private readonly queue: Step[] = [];
  /** What every request gets once the queue is empty. */
  standing: Step = { kind: 'reply' };

  constructor(readonly name: string) {}

  then(...steps: Step[]): this {
    this.queue.push(...steps);
    return this;
  }

  always(step: Step): this {
    this.standing = step;
    return this;
  }

  private next(): Step {
    return this.queue.shift() ?? this.standing;
  }

  private error(kind: ProviderErrorKind, retryAfterMs?: number): ProviderError {
    return new ProviderError(kind, `fake ${kind}`, {
      provider: this.name,
      retryAfterMs,
      status: 500,
    });
  }

  async chat(req: ChatRequest): Promise<ChatResult> {
    this.calls++;
    this.requests.push(req);
    const step = this.next();
    if (step.kind === 'stall') return waitAbort(req.signal);
    if (step.kind === 'fail') {
      await sleep(step.delayMs ?? 0, req.signal);
      throw this.error(step.error, step.retryAfterMs);
    }
    if (step.kind === 'stream') throw new Error('stream step used for chat');
    await sleep(step.delayMs ?? 0, req.signal);
    return {
      text: step.text ?? `${this.name}:${req.model}`,
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: step.inputTokens ?? 10, outputTokens: step.outputTokens ?? 5 },
      model: req.model,
    };
  }

  async *chatStream(req: ChatRequest): AsyncGenerator<StreamEvent> {
    this.calls++;
    this.streamCalls++;
    this.requests.push(req);
    const step = this.next();
    if (step.kind === 'stall') {
      await waitAbort(req.signal);
      return;
    }
    if (step.kind === 'fail') {
      await sleep(step.delayMs ?? 0, req.signal);
      throw this.error(step.error, step.retryAfterMs);
    }
    if (step.kind === 'reply') {
      yield { type: 'text', text: '' };
      yield { type: 'text', text: step.text ?? `${this.name}:${req.model}` };
      yield { type: 'finish', finishReason: 'stop', usage: { inputTokens: 10, outputTokens: 5 } };
      return;
    }
    await sleep(step.ttftMs ?? 0, req.signal);
    yield { type: 'text', text: '' };
    let n = 0;
    for (const c of step.chunks) {
      if (step.failAfter !== undefined && n === step.failAfter)
        throw this.error(step.error ?? 'server_error');
      yield { type: 'text', text: c };
      n++;
    }
    if (step.failAfter !== undefined && n === step.failAfter)
      throw this.error(step.error ?? 'server_error');
    yield {
      type: 'finish',
      finishReason: 'stop',
      usage:
        step.reportUsage === false
          ? { inputTokens: 0, outputTokens: 0 }
          : { inputTokens: 10, outputTokens: step.chunks.length },
    };
  }

  async embed(req: EmbedRequest): Promise<EmbedResult> {
    this.calls++;
    const step = this.next();
    if (step.kind === 'fail') throw this.error(step.error, step.retryAfterMs);
    return {
      vectors: req.inputs.map((_, i) => [i, 0.5, 0.25]),
      usage: { inputTokens: 3 * req.inputs.length, outputTokens: 0 },
    };
  }
}

export const silentLogger = (): Logger => {
  const noop = () => undefined;
  const l = {
    info: noop,
    warn: noop,
    error: noop,
    debug: noop,
    trace: noop,
    fatal: noop,
    child: () => l,
  } as unknown;
  return l as Logger;
};

/** A router file with providers `a`, `b` (and `c`), each serving `m1` and `m2`. */
export function testConfig(overrides: Partial<RouterFileInput> = {}): RouterFileConfig {
  const model = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    inputCostPerMTok: 1,
    outputCostPerMTok: 2,
    contextWindow: 8000,
    quality: 0.5,
    ...extra,
  });
  return parseRouterConfig({
    providers: [
      {
        name: 'a',
        kind: 'vllm',
        models: [
          model('m1', { quality: 0.9, inputCostPerMTok: 5, outputCostPerMTok: 10 }),
          model('m2'),
        ],
      },
      { name: 'b', kind: 'vllm', models: [model('m1', { quality: 0.6 }), model('m2')] },
      {
        name: 'c',
        kind: 'vllm',
        models: [
          model('m1', { quality: 0.4, inputCostPerMTok: 0.1, outputCostPerMTok: 0.2 }),
          model('emb', { type: 'embedding' }),
        ],
      },
    ],
    routes: [{ alias: 'pair', candidates: ['a/m1', 'b/m1'] }],
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    breaker: {
      volumeThreshold: 3,
      errorThresholdPercentage: 50,
      resetTimeoutMs: 300,
      rollingWindowMs: 10_000,
    },
    timeouts: { firstTokenMs: 200, attemptMs: 1_000, callMs: 5_000 },
    ...overrides,
  });
}

export interface TestEngine {
  engine: RouterEngine;
  adapters: Record<string, FakeAdapter>;
  usage: MemoryUsageSink;
  budget: BudgetStore;
}

export function testEngine(
  config: RouterFileConfig = testConfig(),
  deps: Partial<EngineDeps> = {},
): TestEngine {
  const adapters: Record<string, FakeAdapter> = {};
  for (const p of config.providers) adapters[p.name] = new FakeAdapter(p.name);
  const usage = new MemoryUsageSink();
  const budget = new MemoryBudgetStore();
  const engine = new RouterEngine({
    catalog: new Catalog(config),
    providers: new Map(Object.entries(adapters)),
    config,
    budget,
    usage,
    logger: silentLogger(),
    ...deps,
  });
  return { engine, adapters, usage, budget };
}

export function userCall(selector: string, text = 'hello', extra: Record<string, unknown> = {}) {
  return {
    selector,
    messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }],
    constraints: {},
    context: { tenantId: 't1' },
    ...extra,
  };
}
