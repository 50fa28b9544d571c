/**
 * The public model names of the LLM proxy: every provider model and every alias, resolved
 * once per configuration into the routes requests use. Built at start; immutable.
 */
import type { AliasConfig, LlmConfig, ProviderConfig, ProviderModelConfig, RouteStrategyName } from '../config/llm-schema.js';
import type { ModelPrice } from './prices/price-schema.js';
import { PriceTable } from './prices/price-table.js';
import { encodingForModel, type EncodingName } from './tokens/index.js';
import type { RouteRuleWhen } from './routing/route-rules.js';

/** One provider model, as attempts use it. */
export interface ModelTarget {
  /** Public model name, unique across providers. */
  readonly name: string;
  readonly provider: ProviderConfig;
  readonly upstreamName: string;
  readonly kind: ProviderModelConfig['kind'];
  /** null: no public tokenizer, prompts are bounded. */
  readonly encoding: EncodingName | null;
  readonly imageTokens: number | undefined;
  readonly maxOutputTokens: number | undefined;
  /** undefined: no price known (free is never assumed). */
  readonly price: ModelPrice | undefined;
  /** `<provider>/<name>`: the key of the target's circuit breaker and latency figures. */
  readonly key: string;
}

export interface WeightedTarget {
  readonly target: ModelTarget;
  readonly weight: number;
}

export interface RouteRule {
  readonly when: RouteRuleWhen;
  readonly strategy: RouteStrategyName;
  readonly targets: readonly WeightedTarget[];
}

/** What a public name routes to; a plain model is a route with one target. */
export interface Route {
  readonly name: string;
  readonly alias: boolean;
  readonly kind: ProviderModelConfig['kind'];
  readonly strategy: RouteStrategyName;
  readonly targets: readonly WeightedTarget[];
  readonly rules: readonly RouteRule[];
  /** Every target any rule may pick, for worst-case estimates. */
  readonly allTargets: readonly ModelTarget[];
  readonly cacheTtlMs: number | undefined;
}

export class ModelDirectory {
  readonly #routes = new Map<string, Route>();

  constructor(config: LlmConfig, prices = new PriceTable(config.prices)) {
    const targets = new Map<string, ModelTarget>();
    for (const provider of config.providers) {
      for (const m of provider.models) {
        const upstreamName = m.upstreamName ?? m.name;
        const target: ModelTarget = {
          name: m.name,
          provider,
          upstreamName,
          kind: m.kind,
          // Guessing the encoding from the name is only right for OpenAI's own models: a
          // local server may call anything "gpt-4o", so operators say so with `encoding`.
          encoding: m.encoding !== undefined ? m.encoding : (encodingForModel(upstreamName) ?? null),
          imageTokens: m.imageTokens,
          maxOutputTokens: m.maxOutputTokens,
          price: m.price ?? prices.lookup(upstreamName) ?? prices.lookup(m.name),
          key: `${provider.id}/${m.name}`,
        };
        targets.set(m.name, target);
        this.#routes.set(m.name, {
          name: m.name,
          alias: false,
          kind: m.kind,
          strategy: 'fallback',
          targets: [{ target, weight: 1 }],
          rules: [],
          allTargets: [target],
          cacheTtlMs: undefined,
        });
      }
    }
    for (const [name, alias] of Object.entries(config.aliases)) this.#routes.set(name, aliasRoute(name, alias, targets));
  }

  /** The route of a public name; names are case-sensitive and exact (no suffix or case folding). */
  route(name: string): Route | undefined {
    return this.#routes.get(name);
  }

  routes(): IterableIterator<Route> {
    return this.#routes.values();
  }

  get size(): number {
    return this.#routes.size;
  }

  /** The encodings some configured model is counted with, each once: those worth loading ahead. */
  encodings(): EncodingName[] {
    const found = new Set<EncodingName>();
    for (const route of this.#routes.values()) for (const t of route.allTargets) if (t.encoding !== null) found.add(t.encoding);
    return [...found];
  }
}

/**
 * An alias's route. LlmConfigSchema has already refused unknown targets and aliases mixing
 * chat and embeddings; a config that got past it is a programming error, not a user's.
 */
function aliasRoute(name: string, alias: AliasConfig, models: ReadonlyMap<string, ModelTarget>): Route {
  const weighted = (list: AliasConfig['targets']): WeightedTarget[] =>
    list.map((t) => {
      const target = models.get(t.model);
      if (!target) throw new Error(`alias ${name}: unknown model ${t.model} (the config was not validated)`);
      return { target, weight: t.weight };
    });
  const targets = weighted(alias.targets);
  const rules: RouteRule[] = alias.rules.map((r) => ({ when: r.when, strategy: r.strategy ?? alias.strategy, targets: weighted(r.targets) }));
  const all = new Set<ModelTarget>(targets.map((t) => t.target));
  for (const r of rules) for (const t of r.targets) all.add(t.target);
  if (new Set([...all].map((t) => t.kind)).size > 1) throw new Error(`alias ${name}: mixes chat and embeddings models (the config was not validated)`);
  return {
    name,
    alias: true,
    kind: targets[0]!.target.kind,
    strategy: alias.strategy,
    targets,
    rules,
    allTargets: [...all],
    cacheTtlMs: alias.cache ? alias.cache.ttlSeconds * 1000 : undefined,
  };
}
