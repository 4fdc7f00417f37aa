import { expectedCostMicros, worstCaseCostMicros } from './cost.js';
import { NoCandidateError, usd } from './errors.js';
import type { LatencyBook } from './stats.js';
import type { Constraints, ModelSpec, Policy } from './types.js';

export interface Demand {
  promptTokens: number;
  maxTokens: number | undefined;
  stream: boolean;
}

export interface Filtered {
  eligible: ModelSpec[];
  excluded: { model: string; reason: string }[];
}

/**
 * Keeps the models that satisfy every hard constraint. Each exclusion keeps its reason, so that
 * when nothing is left the error names the constraint (DESIGN.md §4: name the field and rule).
 */
export function filterCandidates(
  models: readonly ModelSpec[],
  c: Constraints,
  demand: Demand,
  isUsable: (m: ModelSpec) => boolean = () => true,
): Filtered {
  const eligible: ModelSpec[] = [];
  const excluded: { model: string; reason: string }[] = [];
  const needContext =
    c.minContextTokens && c.minContextTokens > 0
      ? c.minContextTokens
      : demand.promptTokens + Math.min(demand.maxTokens ?? 0, Number.MAX_SAFE_INTEGER);
  for (const m of models) {
    const reason = exclusion(m, c, demand, needContext, isUsable);
    if (reason) excluded.push({ model: m.id, reason });
    else eligible.push(m);
  }
  return { eligible, excluded };
}

function exclusion(
  m: ModelSpec,
  c: Constraints,
  demand: Demand,
  needContext: number,
  isUsable: (m: ModelSpec) => boolean,
): string | undefined {
  if (
    c.allowedProviders?.length &&
    !c.allowedProviders.some((p) => p === m.provider || p === m.providerKind)
  ) {
    return 'constraints.allowed_providers: provider not allowed';
  }
  if (c.deniedProviders?.some((p) => p === m.provider || p === m.providerKind)) {
    return 'constraints.denied_providers: provider denied';
  }
  if (c.needsTools && !m.capabilities.has('tools'))
    return 'constraints.needs_tools: no tool calling';
  if (c.needsJson && !m.capabilities.has('json')) return 'constraints.needs_json: no JSON output';
  if (c.needsVision && !m.capabilities.has('vision'))
    return 'constraints.needs_vision: no image input';
  if (c.minQuality !== undefined && m.quality < c.minQuality) {
    return `constraints.min_quality: quality ${m.quality} < ${c.minQuality}`;
  }
  if (needContext > m.contextWindow) {
    return `constraints.min_context_tokens: needs ${needContext} tokens, window is ${m.contextWindow}`;
  }
  if (c.maxCostMicros !== undefined) {
    const worst = worstCaseCostMicros(m, demand.promptTokens, demand.maxTokens);
    if (worst > c.maxCostMicros) {
      return `constraints.max_cost: worst case ${usd(worst)} > ${usd(c.maxCostMicros)}`;
    }
  }
  if (!isUsable(m)) return 'provider not configured';
  return undefined;
}

/** The constraint named when nothing is left: the one that excluded the most models. */
export function noCandidate(filtered: Filtered, selector: string): NoCandidateError {
  const counts = new Map<string, number>();
  for (const e of filtered.excluded) {
    const key = e.reason.split(':')[0]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let top = 'the request';
  let best = 0;
  for (const [k, n] of counts) {
    if (n > best) {
      best = n;
      top = k;
    }
  }
  return new NoCandidateError(
    filtered.excluded.length ? top : `model "${selector}" (no model of the right type)`,
    filtered.excluded,
  );
}

export interface RankOptions {
  weights: { quality: number; cost: number; speed: number };
  expectedOutputTokens: number;
}

/**
 * Orders candidates by policy. Stable: ties keep the incoming order (the operator's alias order).
 * Models never measured rank as fastest under the speed policy so that they get measured; one
 * slow call then puts them where they belong.
 */
export function rankCandidates(
  models: readonly ModelSpec[],
  policy: Policy,
  demand: Demand,
  latency: LatencyBook,
  options: RankOptions,
): ModelSpec[] {
  if (models.length < 2) return models.slice();
  const out = demand.maxTokens
    ? Math.min(demand.maxTokens, options.expectedOutputTokens)
    : options.expectedOutputTokens;
  const scored = models.map((m, index) => ({
    m,
    index,
    cost: expectedCostMicros(m, demand.promptTokens, out),
    speed: latency.peek(m.id)?.speedMs(demand.stream) ?? 0,
    quality: m.quality,
  }));
  let key: (s: (typeof scored)[number]) => number;
  switch (policy) {
    case 'cost':
      key = (s) => s.cost - s.quality * 1e-9;
      break;
    case 'speed':
      key = (s) => s.speed;
      break;
    case 'quality':
      key = (s) => -s.quality;
      break;
    case 'balanced': {
      const w = options.weights;
      const total = w.quality + w.cost + w.speed || 1;
      const norm = (values: number[]) => {
        const min = Math.min(...values);
        const span = Math.max(...values) - min;
        return (v: number) => (span === 0 ? 0 : (v - min) / span);
      };
      const nc = norm(scored.map((s) => s.cost));
      const ns = norm(scored.map((s) => s.speed));
      const nq = norm(scored.map((s) => s.quality));
      // Lower is better: cost and latency count against, quality for.
      key = (s) =>
        (w.cost * nc(s.cost) + w.speed * ns(s.speed) - w.quality * nq(s.quality)) / total;
      break;
    }
  }
  return scored.sort((a, b) => key(a) - key(b) || a.index - b.index).map((s) => s.m);
}
