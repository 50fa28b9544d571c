/** @module authenticate: resolves the calling principal from the presented credential. */
import { GatewayError } from '../errors/gateway-error.js';
import type { AdminToken } from '../admin/admin-token.js';
import type { KeyRegistry } from '../keys/key-registry.js';
import { effectiveStatus, type SuspensionIndex } from '../state/suspension-index.js';
import type { Policy, Decision } from '../pipeline/policy.js';

export interface AuthenticateDeps {
  keys: KeyRegistry;
  suspensions: SuspensionIndex;
  adminToken: AdminToken;
  now: () => number;
}

/**
 * Every failure gets the same 401 body, whatever was wrong (no credential, malformed,
 * unknown, wrong secret, revoked, expired, agent missing from the catalog, suspended):
 * telling them apart would help an attacker. The real reason goes to the audit trail only.
 * The admin surface accepts only the admin token; agent surfaces only agent keys.
 */
export function createAuthenticatePolicy(deps: AuthenticateDeps): Policy {
  const fail = (reason: string, keyId: string | null = null, agentId: string | null = null): Decision => ({
    kind: 'deny',
    error: new GatewayError('UNAUTHENTICATED', 'Missing or invalid credentials', {
      headers: { 'www-authenticate': 'Bearer realm="warden"' },
    }),
    reason: `authentication failed: ${reason}`,
    annotations: { 'auth.keyId': keyId ?? undefined, 'auth.agentId': agentId ?? undefined },
  });

  return {
    name: 'authenticate',
    phase: 'headers',
    request(ctx): Decision {
      const cred = ctx.credential;
      if (!cred) return fail('no credential');
      if (ctx.channel === 'admin') {
        if (!deps.adminToken.verify(cred.value)) return fail('invalid admin token');
        return { kind: 'allow', patch: { principal: { kind: 'admin', tokenId: 'admin' } } };
      }
      const check = deps.keys.check(cred.value, deps.now());
      if (!check.ok) return fail(`${check.reason} key`, check.keyId);
      const agent = ctx.catalog.agents.get(check.agentId);
      if (!agent) return fail('agent not in the catalog', check.keyId, check.agentId);
      if (effectiveStatus(agent.status, deps.suspensions.get(agent.id)) !== 'active') {
        return fail('agent suspended', check.keyId, agent.id);
      }
      return {
        kind: 'allow',
        patch: { principal: { kind: 'agent', agentId: agent.id, keyId: check.keyId, agent } },
      };
    },
  };
}
