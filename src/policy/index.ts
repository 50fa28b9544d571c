import type { Policy } from '../pipeline/policy.js';
import { createAuthenticatePolicy, type AuthenticateDeps } from './authenticate.js';
import { createAuthorizePolicy } from './authorize.js';
import { createAuthorizeTargetPolicy, type AuthorizeTargetDeps } from './authorize-target.js';
import { createLlmEstimatePolicy, type LlmEstimateDeps } from './llm-estimate.js';
import { createRateLimitPolicy, type RateLimitDeps } from './rate-limit.js';
import { createTokenRateLimitPolicy } from './token-rate-limit.js';
import { createBudgetPolicy, type BudgetDeps } from './budget.js';
import { createLoopDetectionPolicy, type LoopDetectionDeps } from './loop-detection.js';

export type PolicyDeps = AuthenticateDeps & AuthorizeTargetDeps & LlmEstimateDeps & RateLimitDeps & BudgetDeps & LoopDetectionDeps;

/**
 * The one ordered list of policies every request runs through. Order, and why:
 *  1. authenticate: everything after keys on the principal; anonymous traffic must not
 *     create rate-limit buckets or budget rows.
 *  2. authorize: the principal's kind must match the surface (headers only).
 *  3. authorize-target: the tool, prompt, resource or model named in the body must be one
 *     the catalog lets the agent use (default deny); denied calls consume no quota.
 *  4. rate-limit: requests per minute and in flight (agent, per model, per tool). Counter-
 *     based and cheap, so it runs before any token estimate.
 *  5. llm-estimate: LLM requests only: the worst case in tokens and USD (prompt bounded or
 *     counted, output x n reserved), which the policies after it read.
 *  6. token-rate-limit: LLM tokens per minute, reserved on the estimate.
 *  7. budget: reserves the worst-case estimate in every budget the call is charged to
 *     (settled by the chain exactly once, to the actual usage).
 *  8. loop-detection: repetition, cycles, velocity and the agent hop chain; needs principal
 *     and target, and runs before the content scan.
 *  -- later issues insert --
 *  9. data-exposure: the most expensive step and the only one that rewrites payloads,
 *     so every decision above sees the original payload.
 * Forward, response hooks and the audit record are run by PolicyChain itself.
 */
export function buildPolicies(deps: PolicyDeps): Policy[] {
  return [
    createAuthenticatePolicy(deps),
    createAuthorizePolicy(),
    createAuthorizeTargetPolicy(deps),
    createRateLimitPolicy(deps),
    createLlmEstimatePolicy(deps),
    createTokenRateLimitPolicy(deps),
    createBudgetPolicy(deps),
    createLoopDetectionPolicy(deps),
  ];
}
