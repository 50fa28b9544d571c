import type { BucketView, Refusal } from './rate-limiter.js';

/** Where policies leave the views for the LLM surface's `x-ratelimit-*` headers. */
export const REQUESTS_VIEW = 'ratelimit.requests';
export const TOKENS_VIEW = 'ratelimit.tokens';

/** OpenAI's `x-ratelimit-*` headers for the tightest request and token buckets that applied. */
export function rateLimitHeaders(requests: BucketView | undefined, tokens: BucketView | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (requests) {
    h['x-ratelimit-limit-requests'] = String(requests.limit);
    h['x-ratelimit-remaining-requests'] = String(requests.remaining);
    h['x-ratelimit-reset-requests'] = duration(requests.resetMs);
  }
  if (tokens) {
    h['x-ratelimit-limit-tokens'] = String(tokens.limit);
    h['x-ratelimit-remaining-tokens'] = String(tokens.remaining);
    h['x-ratelimit-reset-tokens'] = duration(tokens.resetMs);
  }
  return h;
}

/** Headers of a refusal: Retry-After in whole seconds (at least 1) when a retry can succeed. */
export function refusalHeaders(r: Refusal): Record<string, string> {
  const h: Record<string, string> = {};
  if (r.retryAfterMs !== undefined) {
    h['retry-after'] = String(Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
    h['retry-after-ms'] = String(Math.max(0, Math.ceil(r.retryAfterMs)));
  } else if (r.what === 'tokens') {
    // Larger than the limit itself: waiting never helps.
    h['x-should-retry'] = 'false';
  }
  return h;
}

/** `1.5s`, `20ms`: the duration format of OpenAI's reset headers. */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}
