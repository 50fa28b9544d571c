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
  readonly problems: string[] = [];

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
    for (const [name, alias] of Object.entries(config.aliases)) {
      const route = aliasRoute(name, alias, targets);
      if (typeof route === 'string') this.problems.push(route);
      else this.#routes.set(name, route);
    }
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
}

function aliasRoute(name: string, alias: AliasConfig, models: ReadonlyMap<string, ModelTarget>): Route | string {
  const weighted = (list: AliasConfig['targets']): WeightedTarget[] | string => {
    const out: WeightedTarget[] = [];
    for (const t of list) {
      const target = models.get(t.model);
      if (!target) return `alias ${name}: unknown model ${t.model}`;
      out.push({ target, weight: t.weight });
    }
    return out;
  };
  const targets = weighted(alias.targets);
  if (typeof targets === 'string') return targets;
  const rules: RouteRule[] = [];
  for (const r of alias.rules) {
    const rt = weighted(r.targets);
    if (typeof rt === 'string') return rt;
    rules.push({ when: r.when, strategy: r.strategy ?? alias.strategy, targets: rt });
  }
  const all = new Set<ModelTarget>(targets.map((t) => t.target));
  for (const r of rules) for (const t of r.targets) all.add(t.target);
  const kinds = new Set([...all].map((t) => t.kind));
  if (kinds.size > 1) return `alias ${name}: mixes chat and embeddings models`;
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
