/**
 * @module token-rate-limit: the agent's LLM tokens per minute (catalog `rateLimits`), agent-wide
 * and per matching model. Takes the request's worst case from llm-estimate at admission, so
 * concurrent requests cannot overshoot; the chain's settlement gives back what the provider
 * did not use (all of it when nothing was forwarded) or takes the excess.
 */
import type { LlmEstimate } from '../llm/estimate.js';
import type { RequestContext } from '../pipeline/context.js';
import { decideOnExactCount } from './exact-count.js';
import type { Decision, Policy } from '../pipeline/policy.js';
import { TOKENS_VIEW } from '../ratelimit/headers.js';
import type { LimitRule, RateLimiter } from '../ratelimit/rate-limiter.js';
import { ESTIMATE_ANNOTATION, estimateOf } from '../llm/estimate.js';
import { unlimitedOutput, withEnforcedLimit } from '../llm/request-body.js';
import { refuse } from '../ratelimit/refusal.js';
import type { RateLimitDeps } from './rate-limit.js';

const ALLOW: Decision = { kind: 'allow' };

export function createTokenRateLimitPolicy(deps: RateLimitDeps): Policy {
  return {
    name: 'token-rate-limit',
    // Synchronous unless the byte bound is refused and the prompt must be counted exactly.
    request(ctx): Decision | Promise<Decision> {
      const limiter: RateLimiter | undefined = deps.rateLimiter;
      if (!limiter || ctx.principal?.kind !== 'agent' || ctx.channel !== 'llm' || !ctx.principal.agent.rateLimits) return ALLOW;
      const estimate = estimateOf(ctx);
      if (!estimate) return ALLOW;
      const rules = limiter.rules(ctx.principal.agent, 'llm', ctx.target).filter((r) => r.tokensPerMinute !== undefined);
      if (rules.length === 0) return ALLOW;
      return decide(ctx, limiter, rules, estimate);
    },
  };
}

function decide(ctx: RequestContext, limiter: RateLimiter, rules: readonly LimitRule[], estimate: LlmEstimate, counted = false): Decision | Promise<Decision> {
  const agentId = (ctx.principal as Extract<RequestContext['principal'], { kind: 'agent' }>).agentId;
  const r = limiter.admitTokens(agentId, rules, estimate.worstCaseTokens);
  // The byte bound overstates the prompt: near the limit, the exact count decides (once: a
  // count that is still a bound, e.g. an unknown encoding, stays one however often it is asked).
  if (!r.ok && !estimate.exact && !counted) return decideOnExactCount(estimate, (exact) => decide(ctx, limiter, rules, exact, true));
  if (!r.ok) return refuse(agentId, r.refusal);
  const admitted = r;
  return {
    kind: 'allow',
    reservation: {
      settle(outcome) {
        const u = outcome.usage;
        if (u && (u.tokensIn !== undefined || u.tokensOut !== undefined)) admitted.settle((u.tokensIn ?? 0) + (u.tokensOut ?? 0));
        else if (!outcome.forwarded) admitted.settle(0);
        else admitted.settle(undefined);
      },
    },
    patch: {
      annotations: { [ESTIMATE_ANNOTATION]: estimate, ...(admitted.view ? { [TOKENS_VIEW]: admitted.view } : {}) },
      // The reservation assumed an output limit the client did not set: the provider must keep to it.
      ...(unlimitedOutput(ctx.payload) ? { payload: withEnforcedLimit(ctx.payload, estimate.maxOutputTokens) } : {}),
    },
  };
}
