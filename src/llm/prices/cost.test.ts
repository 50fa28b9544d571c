import type { CompletionUsage } from 'openai/resources/completions';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import type { ResponseUsage } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { costUsd, tierFor, usageFromChat, usageFromResponses, worstCaseCostUsd } from './cost.js';
import type { ModelPrice } from './price-schema.js';

const o4mini: ModelPrice = { input: 1.1, cachedInput: 0.275, output: 4.4 };
const noCachePrice: ModelPrice = { input: 3, output: 15 };

describe('costUsd', () => {
  it('bills uncached input, cached input and output each at its own price', () => {
    // 11,345 x 1.1 + 1,000 x 0.275 + 678 x 4.4 = 15,737.7 micro-USD
    expect(costUsd(o4mini, { inputTokens: 12_345, cachedInputTokens: 1_000, outputTokens: 678 })).toBe(0.0157377);
  });

  it('bills cached tokens at the input price when the model has no cached price', () => {
    expect(costUsd(noCachePrice, { inputTokens: 1_000, cachedInputTokens: 600, outputTokens: 100 })).toBe(
      costUsd(noCachePrice, { inputTokens: 1_000, outputTokens: 100 }),
    );
    expect(costUsd(noCachePrice, { inputTokens: 1_000, outputTokens: 100 })).toBe(0.0045);
  });

  it('clamps the cached count to the input count and to zero', () => {
    const allCached = costUsd(o4mini, { inputTokens: 1_000, cachedInputTokens: 1_000, outputTokens: 0 });
    expect(allCached).toBe(0.000275);
    expect(costUsd(o4mini, { inputTokens: 1_000, cachedInputTokens: 5_000, outputTokens: 0 })).toBe(allCached);
    expect(costUsd(o4mini, { inputTokens: 1_000, cachedInputTokens: -5, outputTokens: 0 })).toBe(0.0011);
  });

  it('rounds to 1e-9 USD so float noise does not reach the audit', () => {
    // Computed naively this is 3.0000000000000004e-7.
    expect(costUsd({ input: 0.1, output: 0.2 }, { inputTokens: 1, outputTokens: 1 })).toBe(3e-7);
    expect(costUsd({ input: 0.1, output: 0.2 }, { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(0.3);
  });

  it('costs nothing for an explicit zero usage', () => {
    expect(costUsd(o4mini, { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 })).toBe(0);
  });
});

describe('worstCaseCostUsd', () => {
  it('prices every input token at the full input price and every allowed output token', () => {
    expect(worstCaseCostUsd(o4mini, 10_000, 2_000)).toBe(0.0198);
  });

  it('is never below the cost of a call that stays within the estimate, cached or not', () => {
    const worst = worstCaseCostUsd(o4mini, 10_000, 2_000);
    expect(worst).toBeGreaterThanOrEqual(costUsd(o4mini, { inputTokens: 10_000, outputTokens: 2_000 }));
    expect(worst).toBeGreaterThan(costUsd(o4mini, { inputTokens: 10_000, cachedInputTokens: 9_000, outputTokens: 2_000 }));
  });
});

describe('usageFromChat', () => {
  it('reads prompt, cached and completion tokens of a Chat Completions usage', () => {
    const usage: CompletionUsage = {
      prompt_tokens: 1_200,
      completion_tokens: 300,
      total_tokens: 1_500,
      prompt_tokens_details: { cached_tokens: 1_024 },
      completion_tokens_details: { reasoning_tokens: 200 },
    };
    expect(usageFromChat(usage)).toEqual({ inputTokens: 1_200, cachedInputTokens: 1_024, outputTokens: 300 });
  });

  it('keeps explicit zeros as counts, the cached zero included', () => {
    const usage: CompletionUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } };
    expect(usageFromChat(usage)).toStrictEqual({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 });
  });

  it('leaves the cached count out when the provider sends none', () => {
    expect(usageFromChat({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 })).toStrictEqual({ inputTokens: 10, outputTokens: 5 });
    expect(usageFromChat({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: null })).toStrictEqual({ inputTokens: 10, outputTokens: 5 });
  });

  it('reads an Embeddings usage, which has no completion_tokens, as zero output', () => {
    const usage: CreateEmbeddingResponse.Usage = { prompt_tokens: 42, total_tokens: 42 };
    expect(usageFromChat(usage)).toStrictEqual({ inputTokens: 42, outputTokens: 0 });
    expect(usageFromChat({ prompt_tokens: 42 })).toStrictEqual({ inputTokens: 42, outputTokens: 0 });
  });

  it('counts output tokens that a provider left out of completion_tokens but put in total_tokens (thinking tokens)', () => {
    expect(usageFromChat({ prompt_tokens: 20, completion_tokens: 151, total_tokens: 553 })).toStrictEqual({ inputTokens: 20, outputTokens: 533 });
  });

  it('ignores a total below prompt + completion, and an unusable total', () => {
    expect(usageFromChat({ prompt_tokens: 20, completion_tokens: 151, total_tokens: 100 })).toStrictEqual({ inputTokens: 20, outputTokens: 151 });
    expect(usageFromChat({ prompt_tokens: 20, completion_tokens: 151, total_tokens: 'lots' })).toStrictEqual({ inputTokens: 20, outputTokens: 151 });
  });

  it('ignores a malformed or impossible cached count, billing those tokens as input', () => {
    for (const cached of [-1, 1.5, '10', null, Number.NaN, 11]) {
      expect(usageFromChat({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: cached } }), String(cached)).toStrictEqual({
        inputTokens: 10,
        outputTokens: 5,
      });
    }
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 12],
    ['a string', '{"prompt_tokens":1}'],
    ['an array', [1, 2]],
    ['an empty object', {}],
    ['a string count', { prompt_tokens: '10', completion_tokens: 5 }],
    ['a negative count', { prompt_tokens: -1, completion_tokens: 5 }],
    ['a fractional count', { prompt_tokens: 10, completion_tokens: 2.5 }],
    ['a count beyond safe integers', { prompt_tokens: 1e20, completion_tokens: 5 }],
    ['NaN', { prompt_tokens: Number.NaN, completion_tokens: 5 }],
    ['Infinity', { prompt_tokens: 10, completion_tokens: Number.POSITIVE_INFINITY }],
    ['a null completion count', { prompt_tokens: 10, completion_tokens: null }],
  ])('returns undefined for %s', (_label, value) => {
    expect(usageFromChat(value)).toBeUndefined();
  });

  it('returns undefined instead of throwing when reading the object throws', () => {
    const hostile = {
      get prompt_tokens(): number {
        throw new Error('boom');
      },
    };
    expect(usageFromChat(hostile)).toBeUndefined();
    expect(usageFromResponses(hostile)).toBeUndefined();
  });
});

describe('usageFromResponses', () => {
  it('reads input, cached and output tokens of a Responses API usage', () => {
    const usage: ResponseUsage = {
      input_tokens: 5_000,
      input_tokens_details: { cached_tokens: 4_096, cache_write_tokens: 0 },
      output_tokens: 700,
      output_tokens_details: { reasoning_tokens: 512 },
      total_tokens: 5_700,
    };
    expect(usageFromResponses(usage)).toEqual({ inputTokens: 5_000, cachedInputTokens: 4_096, outputTokens: 700 });
  });

  it('keeps explicit zeros as counts', () => {
    expect(usageFromResponses({ input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, total_tokens: 0 })).toStrictEqual({
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
    });
  });

  it('counts output tokens that only total_tokens reports', () => {
    expect(usageFromResponses({ input_tokens: 21, output_tokens: 0, total_tokens: 81 })).toStrictEqual({ inputTokens: 21, outputTokens: 60 });
  });

  it.each([
    ['null', null],
    ['a Chat Completions usage', { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }],
    ['a missing output count', { input_tokens: 10, total_tokens: 10 }],
    ['a negative output count', { input_tokens: 10, output_tokens: -3 }],
    ['a string input count', { input_tokens: '10', output_tokens: 3 }],
  ])('returns undefined for %s', (_label, value) => {
    expect(usageFromResponses(value)).toBeUndefined();
  });
});

describe('long-context tiers', () => {
  const tiered = { input: 1.25, output: 10, longContext: { aboveInputTokens: 200_000, input: 2.5, output: 15 } };

  it('bills a request at the base prices up to the threshold and wholly at the tier above it', () => {
    expect(costUsd(tiered, { inputTokens: 200_000, outputTokens: 1000 })).toBeCloseTo(0.25 + 0.01, 9);
    expect(costUsd(tiered, { inputTokens: 200_001, outputTokens: 1000 })).toBeCloseTo(200_001 * 2.5e-6 + 0.015, 9);
  });

  it('reserves at the tier the estimated prompt falls in', () => {
    expect(worstCaseCostUsd(tiered, 1000, 1000)).toBeCloseTo(0.00125 + 0.01, 9);
    expect(worstCaseCostUsd(tiered, 300_000, 1000)).toBeCloseTo(0.75 + 0.015, 9);
    expect(tierFor(tiered, 10).input).toBe(1.25);
  });
});
