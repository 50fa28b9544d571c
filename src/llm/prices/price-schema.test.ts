import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ModelPriceSchema } from './price-schema.js';

describe('ModelPriceSchema', () => {
  it('accepts a price with or without a cached-input price, and explicit zeros', () => {
    expect(ModelPriceSchema.safeParse({ input: 2, cachedInput: 0.5, output: 8 }).success).toBe(true);
    expect(ModelPriceSchema.safeParse({ input: 0.02, output: 0 }).success).toBe(true);
    expect(ModelPriceSchema.safeParse({ input: 0, cachedInput: 0, output: 0 }).success).toBe(true);
  });

  it.each([
    ['a negative price', { input: -1, output: 1 }],
    ['NaN', { input: Number.NaN, output: 1 }],
    ['Infinity', { input: 1, output: Number.POSITIVE_INFINITY }],
    ['a string', { input: '2', output: 8 }],
    ['a missing output', { input: 2 }],
    ['an unknown key (typo of cachedInput)', { input: 2, cached_input: 0.5, output: 8 }],
    ['a cached price above the input price (swapped columns)', { input: 0.5, cachedInput: 2, output: 8 }],
  ])('rejects %s', (_label, value) => {
    expect(ModelPriceSchema.safeParse(value).success).toBe(false);
  });

  it('generates a JSON Schema with its descriptions for the config schema', () => {
    const json = z.toJSONSchema(ModelPriceSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as {
      properties: Record<string, { description?: string; minimum?: number }>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(json.required).toEqual(['input', 'output']);
    expect(json.additionalProperties).toBe(false);
    for (const key of ['input', 'cachedInput', 'output']) {
      expect(json.properties[key]?.description).toMatch(/USD per 1M/);
      expect(json.properties[key]?.minimum).toBe(0);
    }
  });
});
