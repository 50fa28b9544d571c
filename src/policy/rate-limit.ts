/**
 * @module rate-limit: the agent's requests-per-minute and in-flight limits (catalog
 * `rateLimits`), agent-wide and per matching model or tool. Counter-based and cheap, so it
 * runs before any token estimate; a refused request has cost nothing downstream. The slot
 * it takes is released when the request ends (the chain settles it).
 */
import { callKind, governedName } from '../pipeline/call-kind.js';
import type { Decision, Policy } from '../pipeline/policy.js';
import { REQUESTS_VIEW } from '../ratelimit/headers.js';
import { refuse } from '../ratelimit/refusal.js';
import type { RateLimiter } from '../ratelimit/rate-limiter.js';

export interface RateLimitDeps {
  rateLimiter?: RateLimiter;
}

const ALLOW: Decision = { kind: 'allow' };

export function createRateLimitPolicy(deps: RateLimitDeps): Policy {
  return {
    name: 'rate-limit',
    request(ctx): Decision {
      const limiter = deps.rateLimiter;
      if (!limiter || ctx.principal?.kind !== 'agent' || !ctx.principal.agent.rateLimits) return ALLOW;
      const kind = callKind(ctx);
      if (kind === null) return ALLOW;
      const agent = ctx.principal.agent;
      const rules = limiter.rules(agent, kind, governedName(ctx));
      if (rules.length === 0) return ALLOW;
      const r = limiter.admitRequest(agent.id, rules);
      if (!r.ok) return refuse(agent.id, r.refusal);
      return {
        kind: 'allow',
        reservation: { settle: r.release },
        ...(r.view ? { patch: { annotations: { [REQUESTS_VIEW]: r.view } } } : {}),
      };
    },
  };
}
