export type AttemptError = 'timeout' | 'connect' | 'refused' | 'reset' | 'aborted-by-client' | 'bad-response';

/** How one attempt against one target ended: an HTTP status from the upstream, or no usable answer. */
export type AttemptOutcome = { status: number } | { error: AttemptError };

/**
 * - success: the upstream answered 2xx.
 * - retry: this target failed for reasons of its own; retrying (here or on the next target) may work.
 * - final: another target would fail the same way (the request itself is at fault) or nobody is
 *   waiting for the answer any more; stop and report.
 */
export type AttemptClass = 'success' | 'retry' | 'final';

/**
 * Statuses follow the `openai` client's own retry rule (408, 409, 429 and every 5xx), with
 * one deliberate departure: 401, 402 and 403 also retry. The agent authenticated to the
 * gateway, not to the provider; the provider is judging the gateway's own key (revoked,
 * out of credit, or lacking access to this model), so the next target, with another key,
 * may well succeed. Every other 4xx (400, 404, 413, 422, ...) is about the request and
 * would fail anywhere. A status that is neither 2xx nor an error (1xx, 3xx: the gateway
 * does not follow redirects) is an upstream that misbehaves, like a bad response.
 */
export function classifyAttempt(outcome: AttemptOutcome): AttemptClass {
  if ('error' in outcome) return outcome.error === 'aborted-by-client' ? 'final' : 'retry';
  const { status } = outcome;
  if (status >= 200 && status <= 299) return 'success';
  if (status >= 400 && status <= 499) return RETRYABLE_4XX.has(status) ? 'retry' : 'final';
  return 'retry';
}

/**
 * Whether the attempt says something bad about the target's health. A 409 is retried (the
 * `openai` client treats it as a lock timeout) but concerns one request, not the target;
 * a request-caused 4xx or a client that went away says nothing about the target at all, and
 * an address the gateway's egress rules refuse is the configuration's fault (the router
 * passes over that target for the rest of the request instead).
 */
export function countsAgainstBreaker(outcome: AttemptOutcome): boolean {
  if ('error' in outcome) return outcome.error !== 'aborted-by-client' && outcome.error !== 'refused';
  const { status } = outcome;
  return classifyAttempt(outcome) === 'retry' && status !== 409;
}

const RETRYABLE_4XX: ReadonlySet<number> = new Set([401, 402, 403, 408, 409, 429]);
