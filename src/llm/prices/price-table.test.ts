import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES } from './default-prices.js';
import type { ModelPrice } from './price-schema.js';
import { PriceTable } from './price-table.js';

const p = (input: number, output: number): ModelPrice => ({ input, output });

describe('PriceTable.lookup with the default table', () => {
  const table = new PriceTable();

  it.each([
    ['gpt-4.1-2025-04-14', 'gpt-4.1'],
    ['gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-opus-4-20250514', 'claude-opus-4'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['claude-3-5-haiku-20241022', 'claude-3-5-haiku'],
  ])('prices the dated snapshot %s as %s', (snapshot, base) => {
    expect(table.lookup(snapshot)).toBe(DEFAULT_PRICES[base]);
  });

  it('prefers a snapshot with its own entry over its base model (gpt-4o-2024-05-13 kept its launch price)', () => {
    expect(table.lookup('gpt-4o-2024-05-13')).toBe(DEFAULT_PRICES['gpt-4o-2024-05-13']);
    expect(table.lookup('gpt-4o-2024-05-13')).not.toEqual(DEFAULT_PRICES['gpt-4o']);
  });

  it('never prices a model as another whose name is its prefix', () => {
    expect(table.lookup('gpt-4.1-mini')).toBe(DEFAULT_PRICES['gpt-4.1-mini']);
    expect(table.lookup('gpt-4o-mini')).toBe(DEFAULT_PRICES['gpt-4o-mini']);
    expect(table.lookup('gpt-4o-mini')).not.toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(table.lookup('gpt-4.1-turbo')).toBeUndefined();
    expect(table.lookup('gpt-4o-audio-preview')).toBeUndefined();
    expect(table.lookup('gemini-2.5-flash-preview-05-20')).toBeUndefined();
    expect(table.lookup('o3-pro')).toBeUndefined();
  });

  it('strips one provider prefix (OpenRouter, Gemini style) when the rest is known', () => {
    expect(table.lookup('openai/gpt-4o')).toBe(DEFAULT_PRICES['gpt-4o']);
    expect(table.lookup('openai/gpt-4o-2024-08-06')).toBe(DEFAULT_PRICES['gpt-4o']);
    expect(table.lookup('models/gemini-2.5-pro')).toBe(DEFAULT_PRICES['gemini-2.5-pro']);
    expect(table.lookup('openai/unknown-model')).toBeUndefined();
    expect(table.lookup('router/openai/gpt-4o')).toBeUndefined();
    expect(table.lookup('/gpt-4o')).toBeUndefined();
  });

  it('matches names case-insensitively and ignores surrounding spaces', () => {
    expect(table.lookup(' GPT-4o ')).toBe(DEFAULT_PRICES['gpt-4o']);
  });

  it('knows no price for unknown, fine-tuned or empty names, and says so again on a second lookup', () => {
    for (const name of ['llama3', 'ft:gpt-4o-mini:org::abc', '', 'constructor', '__proto__', 'x'.repeat(10_000)]) {
      expect(table.lookup(name), name).toBeUndefined();
      expect(table.lookup(name), name).toBeUndefined();
    }
  });
});

describe('PriceTable date suffixes', () => {
  const table = new PriceTable({}, { 'model-a': p(1, 2), 'model-a-4': p(3, 4) });

  it.each(['model-a-2025-04-14', 'model-a-20250929', 'model-a-2031-12-31'])('strips the date of %s', (name) => {
    expect(table.lookup(name)).toEqual(p(1, 2));
  });

  it.each([
    ['an impossible month', 'model-a-2025-13-01'],
    ['an impossible day', 'model-a-20250932'],
    ['a four-digit snapshot number', 'model-a-0613'],
    ['a date that is not at the end', 'model-a-2025-04-14-preview'],
    ['a version number', 'model-a-4-1'],
  ])('does not strip %s (%s)', (_label, name) => {
    expect(table.lookup(name)).toBeUndefined();
  });

  it('strips only the date, leaving a version number in place', () => {
    expect(table.lookup('model-a-4-20250514')).toEqual(p(3, 4));
  });
});

describe('PriceTable overrides', () => {
  const defaults = { 'gpt-4o': p(2.5, 10), 'gpt-4o-2024-05-13': p(5, 15), 'gpt-4o-mini': p(0.15, 0.6) };

  it('prefers an override over the default for the same model', () => {
    expect(new PriceTable({ 'gpt-4o': p(1, 4) }, defaults).lookup('gpt-4o')).toEqual(p(1, 4));
  });

  it('applies an override to dated snapshots and prefixed names, even where the defaults have an exact entry', () => {
    const table = new PriceTable({ 'gpt-4o': p(1, 4) }, defaults);
    expect(table.lookup('gpt-4o-2024-08-06')).toEqual(p(1, 4));
    expect(table.lookup('gpt-4o-2024-05-13')).toEqual(p(1, 4));
    expect(table.lookup('azure/gpt-4o')).toEqual(p(1, 4));
  });

  it('leaves other models at their defaults, including those the override name is a prefix of', () => {
    expect(new PriceTable({ 'gpt-4o': p(1, 4) }, defaults).lookup('gpt-4o-mini')).toEqual(p(0.15, 0.6));
  });

  it('prices a model only the overrides know, whatever the case of the configured name', () => {
    const table = new PriceTable({ 'My-Local-Llama ': p(0, 0) }, defaults);
    expect(table.lookup('my-local-llama')).toEqual(p(0, 0));
  });

  it('keeps its own copy: changing the config object afterwards does not change a price', () => {
    const overrides: Record<string, { input: number; output: number }> = { 'gpt-4o': { input: 1, output: 4 } };
    const table = new PriceTable(overrides, defaults);
    overrides['gpt-4o']!.input = 99;
    expect(table.lookup('gpt-4o')).toEqual(p(1, 4));
  });

  it('knows nothing with empty overrides and empty defaults', () => {
    expect(new PriceTable({}, {}).lookup('gpt-4o')).toBeUndefined();
  });
});
