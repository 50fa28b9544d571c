import { GatewayError } from '../errors/gateway-error.js';
import type { LlmEstimate } from '../llm/estimate.js';
import { deny, type Decision } from '../pipeline/policy.js';

/**
 * Counts the prompt exactly, then decides again, for a policy whose byte bound said no. If the
 * count fails (the tokenizer thread stuck or being replaced) the policy still fails closed,
 * but as a retryable 503 rather than INTERNAL: only the bound said no, and the agent may well
 * be within its limit once the count is back.
 */
export function decideOnExactCount(estimate: LlmEstimate, decide: (exact: LlmEstimate) => Decision | Promise<Decision>): Promise<Decision> {
  return estimate.exactly().then(decide, (err: unknown) =>
    deny(
      new GatewayError('OVERLOADED', 'The prompt could not be counted just now; retry shortly', { headers: { 'retry-after': '1' }, cause: err }),
      'prompt count unavailable',
    ),
  );
}
