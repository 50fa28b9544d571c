/**
 * @module llm-estimate: the worst case of an LLM request (prompt tokens, output tokens x n,
 * cost at the priciest target), computed once before anything is reserved or sent. Later
 * policies (rate limits, budgets) read it from the context; the audit record keeps it next
 * to the provider's usage. An agent with a money budget cannot use a model without a
 * price: its cost could not be reserved, and "unknown" must never mean "free".
 */
import { GatewayError } from '../errors/gateway-error.js';
import { ESTIMATE_ANNOTATION, type PromptEstimator } from '../llm/estimate.js';
import type { ModelDirectory } from '../llm/model-directory.js';
import type { LlmRequest } from '../llm/request-body.js';
import type { Decision, Policy } from '../pipeline/policy.js';

export interface LlmEstimateDeps {
  models?: () => ModelDirectory | undefined;
  estimator?: () => PromptEstimator | undefined;
}

export { ESTIMATE_ANNOTATION, estimateOf } from '../llm/estimate.js';

const ALLOW: Decision = { kind: 'allow' };

export function createLlmEstimatePolicy(deps: LlmEstimateDeps): Policy {
  return {
    name: 'llm-estimate',
    request(ctx): Decision {
      if (ctx.channel !== 'llm' || ctx.principal?.kind !== 'agent' || ctx.target === null) return ALLOW;
      const req = ctx.payload as LlmRequest | undefined;
      const route = deps.models?.()?.route(ctx.target);
      const estimator = deps.estimator?.();
      if (!req || !route || !estimator) return ALLOW;
      const agent = ctx.principal.agent;
      const estimate = estimator.estimate(req, route, agent.id);
      if (estimate.worstCaseUsd === null && hasMoneyBudget(agent.budgets)) {
        return {
          kind: 'deny',
          error: new GatewayError('MODEL_NOT_PRICED', `Model ${route.name} has no price, and this agent's spending is budgeted in USD`, { details: { param: 'model' } }),
          reason: 'no price for a budgeted agent',
        };
      }
      return {
        kind: 'allow',
        patch: { annotations: { [ESTIMATE_ANNOTATION]: estimate } },
        reason: `${estimate.worstCaseTokens} tokens${estimate.exact ? '' : ' (bound)'}`,
      };
    },
  };
}

function hasMoneyBudget(budgets: ReadonlyArray<{ channel: string; limits: { usd?: number | undefined } }> | undefined): boolean {
  return budgets?.some((b) => b.limits.usd !== undefined && (b.channel === 'llm' || b.channel === 'all')) ?? false;
}
