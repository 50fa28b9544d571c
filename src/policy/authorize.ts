/** @module authorize: default-deny check of what the authenticated principal may reach. */
import { GatewayError } from '../errors/gateway-error.js';
import type { Decision, Policy } from '../pipeline/policy.js';

/**
 * Admin surfaces need the admin principal and agent surfaces an agent principal, so an
 * agent key can never reach the admin API even if authentication were misconfigured.
 * Later issues extend this with tool, model and A2A permissions from the catalog.
 */
export function createAuthorizePolicy(): Policy {
  return {
    name: 'authorize',
    phase: 'headers',
    request(ctx): Decision {
      const p = ctx.principal;
      if (!p) return { kind: 'deny', error: new GatewayError('UNAUTHENTICATED', 'Missing or invalid credentials'), reason: 'no principal' };
      const wantsAdmin = ctx.channel === 'admin';
      if (wantsAdmin !== (p.kind === 'admin')) {
        return {
          kind: 'deny',
          error: new GatewayError('FORBIDDEN', 'This credential may not use this endpoint'),
          reason: `${p.kind} principal on ${ctx.channel} surface`,
        };
      }
      return { kind: 'allow' };
    },
  };
}
