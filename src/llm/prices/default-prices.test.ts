import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES } from './default-prices.js';
import { ModelPriceSchema } from './price-schema.js';
import { PriceTable } from './price-table.js';

const entries = Object.entries(DEFAULT_PRICES);
const isEmbedding = (name: string) => name.startsWith('text-embedding-');

describe('DEFAULT_PRICES', () => {
  it.each(entries)('%s passes ModelPriceSchema', (_name, price) => {
    expect(ModelPriceSchema.safeParse(price).success).toBe(true);
  });

  it.each(entries.filter(([name]) => !isEmbedding(name)))('%s (chat) costs at least as much per output token as per input token', (_name, price) => {
    expect(price.output).toBeGreaterThanOrEqual(price.input);
  });

  it.each(entries.filter(([name]) => isEmbedding(name)))('%s (embeddings) charges input only', (_name, price) => {
    expect(price.output).toBe(0);
    expect(price.input).toBeGreaterThan(0);
  });

  it('holds no free chat model: a zero price would silently disable budgets', () => {
    for (const [name, price] of entries) if (!isEmbedding(name)) expect(price.input, name).toBeGreaterThan(0);
  });

  it('is frozen, entries included, so a shared price cannot be altered by a caller', () => {
    expect(Object.isFrozen(DEFAULT_PRICES)).toBe(true);
    for (const [name, price] of entries) expect(Object.isFrozen(price), name).toBe(true);
  });

  it('is keyed by names the lookup can reach: lower case, trimmed, each resolving to its own entry', () => {
    const table = new PriceTable();
    for (const [name, price] of entries) {
      expect(name).toBe(name.trim().toLowerCase());
      expect(table.lookup(name), name).toBe(price);
    }
  });
});
