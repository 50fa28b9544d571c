import { GatewayError } from '../errors/gateway-error.js';
import type { Decision } from '../pipeline/policy.js';
import { refusalHeaders } from './headers.js';
import type { Refusal } from './rate-limiter.js';

/** The denial of a rate-limit refusal: 429 RATE_LIMITED naming the limit and its scope. */
export function refuse(agentId: string, r: Refusal): Decision {
  const what = r.what === 'concurrent' ? `${r.limit} requests in flight` : `${r.limit} ${r.what} per minute`;
  const message =
    r.what === 'tokens' && r.retryAfterMs === undefined
      ? `This request needs more tokens than the limit of ${what} (${r.rule.label}) for agent ${agentId}; lower max_tokens or the prompt`
      : `Rate limit of ${what} reached (${r.rule.label}) for agent ${agentId}`;
  return {
    kind: 'deny',
    error: new GatewayError('RATE_LIMITED', message, { headers: refusalHeaders(r), details: { limit: r.what, scope: r.rule.label } }),
    reason: `${r.what} limit ${r.limit} (${r.rule.label})`,
  };
}
