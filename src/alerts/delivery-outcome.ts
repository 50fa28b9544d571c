import { EgressError, type EgressErrorCode } from '../egress/index.js';
import { retryAfterMs } from '../llm/routing/backoff.js';

/**
 * What one delivery attempt came to. `reason` is safe to log: a status or an error code,
 * never a header value, URL path or body.
 */
export type DeliveryOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'failed'; reason: string };

/**
 * Failures that may pass: the receiver (or the way to it) is down, slow or overloaded.
 * The others do not change by asking again: a refused origin or address is the operator's
 * configuration, and a receiver whose answer is too large will send it again (every retry
 * would be one more duplicate delivery).
 */
const RETRIED_ERRORS: ReadonlySet<EgressErrorCode> = new Set(['EGRESS_DNS', 'EGRESS_CONNECT', 'EGRESS_TIMEOUT', 'EGRESS_BAD_RESPONSE']);

/**
 * 2xx delivered; 408, 429 and 5xx retried (with the wait the receiver asked for, if it
 * did); anything else (other 4xx, and 3xx, since redirects are not followed) failed.
 * `now` is wall-clock ms, for a Retry-After given as an HTTP date.
 */
export function responseOutcome(status: number, headers: Record<string, string>, now: number): DeliveryOutcome {
  if (status >= 200 && status <= 299) return { kind: 'delivered', status };
  const reason = `HTTP ${status}`;
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    const wait = retryAfterMs(headers['retry-after'], now);
    return wait === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs: wait };
  }
  return { kind: 'failed', reason };
}

/** An attempt that ended without a response. Errors that are not the egress's own are bugs or bad header values: not retried. */
export function errorOutcome(err: unknown): DeliveryOutcome {
  if (err instanceof EgressError) {
    const reason = err.phase === undefined ? err.code : `${err.code} (${err.phase})`;
    return RETRIED_ERRORS.has(err.code) ? { kind: 'retry', reason } : { kind: 'failed', reason };
  }
  // The name or code only: an error message could quote what was being sent.
  const code = (err as { code?: unknown } | null)?.code;
  return { kind: 'failed', reason: typeof code === 'string' ? code : err instanceof Error ? err.name : 'error' };
}
