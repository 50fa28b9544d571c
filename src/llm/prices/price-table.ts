import { LruMap } from '../tokens/lru.js';
import { DEFAULT_PRICES } from './default-prices.js';
import type { ModelPrice } from './price-schema.js';

// Model names come from clients: the memo is bounded, and names no table could hold are not kept.
const MEMO_CAPACITY = 1024;
const MAX_MEMO_NAME_LENGTH = 256;

// A dated snapshot: -YYYY-MM-DD (OpenAI) or -YYYYMMDD (Anthropic), with a plausible month and day
// so that version numbers ("-4-1", "-0613") are never taken for dates.
const DATE_SUFFIX =
  /-20\d\d(?:-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$/;

type Prices = ReadonlyMap<string, ModelPrice>;

/**
 * Prices by model name. A configured override always wins over the built-in table: the
 * overrides are searched with every rule below before the defaults are.
 *
 * Rules, in order: the exact name (case-insensitive); the name without a trailing date
 * (`gpt-4.1-2025-04-14` is priced as `gpt-4.1`); the same two after dropping one leading
 * `provider/` segment (`openai/gpt-4o`, `models/gemini-2.5-pro`). A name is never matched
 * by prefix, so `gpt-4.1-mini` can never be priced as `gpt-4.1`.
 */
export class PriceTable {
  readonly #overrides: Prices;
  readonly #defaults: Prices;
  // null records a miss, so unknown names cost one map lookup too.
  readonly #memo = new LruMap<string, ModelPrice | null>(MEMO_CAPACITY);

  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}, defaults: Readonly<Record<string, ModelPrice>> = DEFAULT_PRICES) {
    this.#overrides = normalize(overrides);
    this.#defaults = normalize(defaults);
  }

  /** The price of a model, or undefined when none is known (never "free"). */
  lookup(model: string): ModelPrice | undefined {
    const memo = this.#memo.get(model);
    if (memo !== undefined) return memo ?? undefined;
    const price = resolve(this.#overrides, model) ?? resolve(this.#defaults, model);
    if (model.length <= MAX_MEMO_NAME_LENGTH) this.#memo.set(model, price ?? null);
    return price;
  }
}

function normalize(prices: Readonly<Record<string, ModelPrice>>): Prices {
  const map = new Map<string, ModelPrice>();
  for (const [name, price] of Object.entries(prices)) map.set(name.trim().toLowerCase(), Object.isFrozen(price) ? price : Object.freeze({ ...price }));
  return map;
}

function resolve(prices: Prices, model: string): ModelPrice | undefined {
  if (prices.size === 0) return undefined;
  const name = model.trim().toLowerCase();
  const direct = exactOrSnapshot(prices, name);
  if (direct !== undefined) return direct;
  const slash = name.indexOf('/');
  return slash > 0 ? exactOrSnapshot(prices, name.slice(slash + 1)) : undefined;
}

function exactOrSnapshot(prices: Prices, name: string): ModelPrice | undefined {
  const exact = prices.get(name);
  if (exact !== undefined) return exact;
  const undated = name.replace(DATE_SUFFIX, '');
  return undated === name ? undefined : prices.get(undated);
}
