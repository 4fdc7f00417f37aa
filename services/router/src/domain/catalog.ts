import type { RouterFileConfig } from '../config.js';
import { UnknownModelError } from './errors.js';
import type { Alias, Capability, ModelSpec, ModelType, Policy } from './types.js';

const DEFAULT_CHAT_CAPABILITIES: readonly Capability[] = ['tools', 'json'];

/** What a selector resolved to, before constraints and policy. */
export interface Resolution {
  kind: 'explicit' | 'alias' | 'auto';
  /** In preference order (the operator's for aliases, the request's for explicit + fallbacks). */
  candidates: ModelSpec[];
  /** Policy the alias asks for, if any. */
  policy: Policy | undefined;
}

/**
 * The models and aliases of the router file, indexed for selector resolution. Built once at
 * start; immutable afterwards, so lookups need no locking or copying.
 */
export class Catalog {
  readonly models: readonly ModelSpec[];
  readonly aliases: readonly Alias[];
  private readonly byId = new Map<string, ModelSpec>();
  private readonly byBareId = new Map<string, ModelSpec[]>();
  private readonly aliasByName = new Map<string, Alias>();
  private readonly byType = new Map<ModelType, ModelSpec[]>();
  private readonly providerNames = new Set<string>();

  constructor(config: Pick<RouterFileConfig, 'providers' | 'routes' | 'timeouts'>) {
    const models: ModelSpec[] = [];
    for (const p of config.providers) {
      this.providerNames.add(p.name);
      for (const m of p.models) {
        const spec: ModelSpec = {
          id: `${p.name}/${m.id}`,
          provider: p.name,
          providerKind: p.kind,
          modelId: m.id,
          displayName: m.displayName ?? m.id,
          type: m.type,
          inputCostPerMTok: m.inputCostPerMTok,
          outputCostPerMTok: m.outputCostPerMTok,
          cachedInputCostPerMTok: m.cachedInputCostPerMTok,
          quality: m.quality,
          contextWindow: m.contextWindow,
          maxOutputTokens:
            m.maxOutputTokens ?? (m.type === 'embedding' ? 0 : Math.min(m.contextWindow, 4096)),
          capabilities: new Set(
            m.capabilities ?? (m.type === 'chat' ? DEFAULT_CHAT_CAPABILITIES : []),
          ),
          dimensions: m.dimensions,
          firstTokenTimeoutMs:
            m.timeouts?.firstTokenMs ?? p.timeouts?.firstTokenMs ?? config.timeouts.firstTokenMs,
          attemptTimeoutMs:
            m.timeouts?.attemptMs ?? p.timeouts?.attemptMs ?? config.timeouts.attemptMs,
        };
        models.push(spec);
        this.byId.set(spec.id, spec);
        const same = this.byBareId.get(m.id) ?? [];
        same.push(spec);
        this.byBareId.set(m.id, same);
        const ofType = this.byType.get(spec.type) ?? [];
        ofType.push(spec);
        this.byType.set(spec.type, ofType);
      }
    }
    this.models = models;
    this.aliases = config.routes.map((r) => ({
      name: r.alias,
      policy: r.policy,
      candidates: r.candidates,
    }));
    for (const a of this.aliases) this.aliasByName.set(a.name, a);
  }

  get(id: string): ModelSpec | undefined {
    return this.byId.get(id);
  }

  hasProvider(name: string): boolean {
    return this.providerNames.has(name);
  }

  ofType(type: ModelType): readonly ModelSpec[] {
    return this.byType.get(type) ?? [];
  }

  /**
   * `provider/model` (exact), an alias, a model id that only one provider serves, or `auto`/``
   * (every model of the type). Throws `UnknownModelError` naming `field`.
   */
  resolve(selector: string, type: ModelType, field: string): Resolution {
    const s = selector.trim();
    if (s === '' || s === 'auto') {
      return { kind: 'auto', candidates: [...this.ofType(type)], policy: undefined };
    }
    const alias = this.aliasByName.get(s);
    if (alias) {
      return {
        kind: 'alias',
        candidates: alias.candidates.map((id) => this.byId.get(id)!).filter((m) => m.type === type),
        policy: alias.policy,
      };
    }
    return { kind: 'explicit', candidates: [this.model(s, field)], policy: undefined };
  }

  /** One concrete model from `provider/model` or an unambiguous bare id. */
  model(selector: string, field: string): ModelSpec {
    const exact = this.byId.get(selector);
    if (exact) return exact;
    const bare = this.byBareId.get(selector);
    if (bare?.length === 1) return bare[0]!;
    if (bare && bare.length > 1) {
      throw new UnknownModelError(
        field,
        selector,
        `served by ${bare.map((m) => m.provider).join(', ')}: name one as "<provider>/${selector}"`,
      );
    }
    const slash = selector.indexOf('/');
    if (slash > 0 && this.providerNames.has(selector.slice(0, slash))) {
      throw new UnknownModelError(
        field,
        selector,
        `provider "${selector.slice(0, slash)}" has no such model`,
      );
    }
    throw new UnknownModelError(field, selector);
  }
}
