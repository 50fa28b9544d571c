import type { ModelPrice } from './price-schema.js';

/** Token counts of one call. cachedInputTokens is the part of inputTokens the provider served from its cache. */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens?: number;
  outputTokens: number;
}

/**
 * Prices are USD per 1M tokens, so tokens x price is in micro-USD. Costs are rounded to
 * 1e-9 USD (1e-3 micro-USD) so that audit records hold 0.3, not 0.30000000000000004.
 */
function microUsdToUsd(microUsd: number): number {
  return Math.round(microUsd * 1000) / 1e9;
}

/** The cost of a call in USD; cached input tokens (clamped to [0, inputTokens]) at the cached price. */
export function costUsd(model: ModelPrice, usage: TokenUsage): number {
  const input = usage.inputTokens;
  const price = tierFor(model, input);
  const cached = Math.min(Math.max(usage.cachedInputTokens ?? 0, 0), input);
  return microUsdToUsd((input - cached) * price.input + cached * (price.cachedInput ?? price.input) + usage.outputTokens * price.output);
}

/** The prices of the tier a request with this many input tokens falls in (the whole request is billed at it). */
export function tierFor(price: ModelPrice, inputTokens: number): { input: number; cachedInput?: number | undefined; output: number } {
  const long = price.longContext;
  return long && inputTokens > long.aboveInputTokens ? long : price;
}

/** The most a call can cost before it is made: no cache discount assumed, every allowed output token used. */
export function worstCaseCostUsd(model: ModelPrice, inputTokens: number, maxOutputTokens: number): number {
  const price = tierFor(model, inputTokens);
  return microUsdToUsd(inputTokens * price.input + maxOutputTokens * price.output);
}

/**
 * Usage of a Chat Completions (or Embeddings) response: prompt_tokens,
 * prompt_tokens_details.cached_tokens, completion_tokens. Undefined when the object is missing
 * or a count the bill depends on is not a non-negative safe integer: garbage from a provider
 * must not reach the audit. An explicit 0 is a count, not a missing value. Never throws.
 */
export function usageFromChat(u: unknown): TokenUsage | undefined {
  try {
    if (!isRecord(u)) return undefined;
    const input = tokenCount(u.prompt_tokens);
    if (input === undefined) return undefined;
    // Embeddings have no completion_tokens; their output is 0 (total_tokens equals prompt_tokens).
    const completion = u.completion_tokens === undefined ? 0 : tokenCount(u.completion_tokens);
    if (completion === undefined) return undefined;
    return withCached(input, outputFromTotal(completion, input, u.total_tokens), cachedTokens(u.prompt_tokens_details, input));
  } catch {
    return undefined;
  }
}

/**
 * Usage of a Responses API response (input_tokens, input_tokens_details.cached_tokens,
 * output_tokens), with the same rules as usageFromChat.
 */
export function usageFromResponses(u: unknown): TokenUsage | undefined {
  try {
    if (!isRecord(u)) return undefined;
    const input = tokenCount(u.input_tokens);
    const output = tokenCount(u.output_tokens);
    if (input === undefined || output === undefined) return undefined;
    return withCached(input, outputFromTotal(output, input, u.total_tokens), cachedTokens(u.input_tokens_details, input));
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tokenCount(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/**
 * Output tokens are never fewer than total minus input: compatibility layers that leave
 * thinking tokens out of completion_tokens (seen with Gemini) still count them in total_tokens,
 * and the provider bills them. An unusable total is ignored; it is not a count the bill needs.
 */
function outputFromTotal(output: number, input: number, total: unknown): number {
  const t = tokenCount(total);
  return t !== undefined && t - input > output ? t - input : output;
}

// Optional: a missing, malformed or impossible (more than the input) cached count is ignored,
// which bills those tokens at the full input price.
function cachedTokens(details: unknown, input: number): number | undefined {
  if (!isRecord(details)) return undefined;
  const cached = tokenCount(details.cached_tokens);
  return cached !== undefined && cached <= input ? cached : undefined;
}

function withCached(inputTokens: number, outputTokens: number, cachedInputTokens: number | undefined): TokenUsage {
  return cachedInputTokens === undefined ? { inputTokens, outputTokens } : { inputTokens, cachedInputTokens, outputTokens };
}
