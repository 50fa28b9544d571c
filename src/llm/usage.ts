/**
 * Reconciliation: what a request actually used, from the provider's `usage` when it sent
 * one (an explicit 0 is a count, not a missing value), else from our own counts (the prompt
 * as estimated, the output as delivered), marked estimated. Priced at the target that served.
 */
import type { Usage } from '../pipeline/policy.js';
import { isObject } from '../util/is-object.js';
import { exactlyOrBound, type LlmEstimate, type PromptEstimator } from './estimate.js';
import type { ModelTarget } from './model-directory.js';
import { costUsd, usageFromChat, usageFromResponses, type TokenUsage } from './prices/cost.js';
import type { LlmEndpoint } from './request-body.js';
import { textUpperBound } from './tokens/index.js';

export interface SettledUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  source: 'provider' | 'estimated';
  /** null: the target has no price. */
  costUsd: number | null;
  /** The provider reported more than was reserved (recorded and alerted; budgets block the next request). */
  overReservation: boolean;
}

export function providerUsage(endpoint: LlmEndpoint, raw: unknown): TokenUsage | undefined {
  return endpoint === 'responses' ? usageFromResponses(raw) : usageFromChat(raw);
}

/**
 * `delivered`: the output text the client received, counted when the provider reported
 * nothing (a broken stream, a provider that omits usage).
 */
export async function settleUsage(
  endpoint: LlmEndpoint,
  raw: unknown,
  target: ModelTarget,
  estimate: LlmEstimate | undefined,
  delivered: () => string,
  estimator: PromptEstimator,
  /** The agent, whose turn at the tokenizer thread this count takes. */
  scope = '',
): Promise<SettledUsage> {
  const reported = providerUsage(endpoint, raw);
  let usage: TokenUsage;
  let source: SettledUsage['source'] = 'provider';
  if (reported) usage = reported;
  else {
    source = 'estimated';
    const text = endpoint === 'embeddings' ? '' : delivered();
    // The provider has answered: if counting fails now, bill the bounds rather than nothing.
    const out =
      text.length === 0
        ? 0
        : (await estimator.counter(target.imageTokens).countText(text, { model: target.upstreamName, encoding: target.encoding }, { scope }).catch(() => textUpperBound(text))).tokens;
    // Billing needs the prompt's real count, not the bound that was reserved.
    const prompt = estimate ? (await exactlyOrBound(estimate)).promptTokens : 0;
    usage = { inputTokens: prompt, outputTokens: out };
  }
  const cached = usage.cachedInputTokens ?? 0;
  return {
    inputTokens: usage.inputTokens,
    cachedInputTokens: cached,
    outputTokens: usage.outputTokens,
    source,
    costUsd: target.price ? costUsd(target.price, usage) : null,
    overReservation: estimate !== undefined && usage.inputTokens + usage.outputTokens > estimate.worstCaseTokens,
  };
}

export function chainUsage(u: SettledUsage): Usage {
  return { tokensIn: u.inputTokens, tokensOut: u.outputTokens, ...(u.costUsd !== null ? { costUsd: u.costUsd } : {}) };
}

/** The output text of a whole (non-streamed) answer, for counting when usage is missing. */
export function answerText(endpoint: LlmEndpoint, json: unknown): string {
  if (!isObject(json)) return '';
  const parts: string[] = [];
  if (endpoint === 'chat' && Array.isArray(json.choices)) {
    for (const c of json.choices) {
      const m = isObject(c) && isObject(c.message) ? c.message : undefined;
      if (!m) continue;
      if (typeof m.content === 'string') parts.push(m.content);
      if (typeof m.refusal === 'string') parts.push(m.refusal);
      if (Array.isArray(m.tool_calls)) {
        for (const t of m.tool_calls) {
          if (isObject(t) && isObject(t.function)) parts.push(String(t.function.name ?? ''), String(t.function.arguments ?? ''));
        }
      }
    }
  } else if (endpoint === 'responses' && Array.isArray(json.output)) {
    for (const item of json.output) {
      if (!isObject(item)) continue;
      if (typeof item.arguments === 'string') parts.push(item.arguments);
      if (Array.isArray(item.content)) for (const c of item.content) if (isObject(c) && typeof c.text === 'string') parts.push(c.text);
    }
  }
  return parts.join('');
}
