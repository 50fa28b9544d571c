import type { Policy } from '../pipeline/policy.js';
import { createAuthenticatePolicy, type AuthenticateDeps } from './authenticate.js';
import { createAuthorizePolicy } from './authorize.js';

export type PolicyDeps = AuthenticateDeps;

/**
 * The one ordered list of policies every request runs through. Order, and why:
 *  1. authenticate: everything after keys on the principal; anonymous traffic must not
 *     create rate-limit buckets or budget rows.
 *  2. authorize: default deny against the catalog; denied calls consume no quota.
 *  -- later issues insert, in this order --
 *  3. rate-limit: counter-based and cheap, so it runs before any token estimate.
 *  4. budget: reserves the worst-case estimate (settled by the chain exactly once).
 *  5. loop-detection: needs principal and target; runs before the content scan.
 *  6. data-exposure: the most expensive step and the only one that rewrites payloads,
 *     so every decision above sees the original payload.
 * Forward, response hooks and the audit record are run by PolicyChain itself.
 */
export function buildPolicies(deps: PolicyDeps): Policy[] {
  return [createAuthenticatePolicy(deps), createAuthorizePolicy()];
}
