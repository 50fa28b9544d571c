/*
 * Default price table: USD per 1M tokens, standard (non-batch, non-priority) tier.
 * Checked 2026-11-25. Config overrides (llm.prices, per-model price) win over every entry.
 *
 * Sources, per family:
 * - OpenAI: OpenAI's model pages on developers.openai.com (gpt-5-mini, gpt-5-nano,
 *   gpt-3.5-turbo, text-embedding-3-large/-small); for models whose page was not available,
 *   the same list price agreed on by at least two of: GitHub Docs "Models and pricing for
 *   GitHub Copilot" (per-token table), Vercel AI Gateway model pages (OpenAI provider row),
 *   OpenRouter model pages, and an integrator table sourced from OpenAI's pricing page.
 * - Anthropic: Claude docs "Pricing" page (platform.claude.com / docs.anthropic.com, model
 *   pricing and long context pricing), cross-checked with the GitHub Copilot table.
 * - Google: "Gemini Developer API pricing" (ai.google.dev), as transcribed on 2026-09-20,
 *   with output prices cross-checked against two published cost tables.
 *
 * Tiered prices: where a provider bills the whole request higher once its prompt passes a
 * threshold, the entry carries that tier as `longContext`; reservations and recorded costs
 * both pick the tier by the prompt's size (estimated before the call, reported after).
 *
 * A cachedInput is given only where the figure was found; without one, cached input tokens
 * are billed at the input price (an over-estimate, never an under-estimate). Cache writes
 * (Anthropic, newer OpenAI models) and audio/image token prices are not modelled here.
 *
 * Left out for lack of a reliable figure: Mistral (mistral-large, mistral-small: published
 * prices disagree and the -latest aliases move), Groq-hosted Llama (no first-party page
 * found), GPT-5.6 / GPT-6 (model ids not confirmed), o3 and o3-mini cached input,
 * Gemini context-cache prices.
 */
import type { ModelPrice } from './price-schema.js';

const PRICES = {
  // OpenAI: GPT-5 family
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-5.1': { input: 1.25, output: 10 },
  'gpt-5.2': { input: 1.75, cachedInput: 0.175, output: 14 },
  'gpt-5.4': { input: 2.5, cachedInput: 0.25, output: 15, longContext: { aboveInputTokens: 272_000, input: 5, cachedInput: 0.5, output: 22.5 } },
  'gpt-5.4-mini': { input: 0.75, cachedInput: 0.075, output: 4.5 },
  'gpt-5.4-nano': { input: 0.2, cachedInput: 0.02, output: 1.25 },
  'gpt-5.5': { input: 5, cachedInput: 0.5, output: 30, longContext: { aboveInputTokens: 272_000, input: 10, cachedInput: 1, output: 45 } },

  // OpenAI: GPT-4.1, GPT-4o, GPT-3.5
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-2024-05-13': { input: 5, output: 15 }, // the first gpt-4o snapshot kept its launch price
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },

  // OpenAI: o-series reasoning models (reasoning tokens are billed as output)
  o1: { input: 15, cachedInput: 7.5, output: 60 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },

  // OpenAI: embeddings (input only)
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },

  // Anthropic (dated ids such as claude-opus-4-20250514 resolve to these)
  'claude-opus-4': { input: 15, cachedInput: 1.5, output: 75 },
  'claude-opus-4-0': { input: 15, cachedInput: 1.5, output: 75 },
  'claude-opus-4-1': { input: 15, cachedInput: 1.5, output: 75 },
  'claude-opus-4-5': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-4-6': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-4-7': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-4-8': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-5': { input: 5, cachedInput: 0.5, output: 25 },
  // Sonnet 4 and 4.5: a long-context tier for prompts above 200K (with the 1M-context beta).
  // Cache reads at 0.1x of that input price, as for every Claude model.
  'claude-sonnet-4': { input: 3, cachedInput: 0.3, output: 15, longContext: { aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, output: 22.5 } },
  'claude-sonnet-4-0': { input: 3, cachedInput: 0.3, output: 15, longContext: { aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, output: 22.5 } },
  'claude-sonnet-4-5': { input: 3, cachedInput: 0.3, output: 15, longContext: { aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, output: 22.5 } },
  'claude-sonnet-4-6': { input: 3, cachedInput: 0.3, output: 15 }, // 1M context at one price
  'claude-sonnet-5': { input: 2, cachedInput: 0.2, output: 10 },
  'claude-haiku-4-5': { input: 1, cachedInput: 0.1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, output: 4 },
  'claude-3-5-haiku-latest': { input: 0.8, cachedInput: 0.08, output: 4 },

  // Google Gemini (text, image and video input; audio input is priced higher and not covered)
  'gemini-2.5-pro': { input: 1.25, output: 10, longContext: { aboveInputTokens: 200_000, input: 2.5, output: 15 } },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4 }, // reported shut down on the Gemini API in June 2026
} as const satisfies Record<string, ModelPrice>;

for (const price of Object.values(PRICES)) Object.freeze(price);

/** Built-in prices by model name (lower case, no date suffix); see the header for sources. */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze(PRICES);
