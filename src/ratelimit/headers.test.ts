import { describe, expect, it } from 'vitest';
import { rateLimitHeaders, refusalHeaders } from './headers.js';
import type { LimitRule, Refusal } from './rate-limiter.js';

const RULE: LimitRule = { key: 'agent', label: 'agent', requestsPerMinute: 60, tokensPerMinute: 1_000 };
const refusal = (what: Refusal['what'], retryAfterMs: number | undefined): Refusal => ({ rule: RULE, what, limit: 60, retryAfterMs });

describe('rateLimitHeaders', () => {
  it('reports the request and token buckets as OpenAI names them', () => {
    expect(rateLimitHeaders({ limit: 60, remaining: 59, resetMs: 1_000 }, { limit: 150_000, remaining: 149_000, resetMs: 400 })).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149000',
      'x-ratelimit-reset-tokens': '400ms',
    });
  });

  it('sends only the headers of the buckets that applied', () => {
    expect(rateLimitHeaders(undefined, undefined)).toEqual({});
    expect(Object.keys(rateLimitHeaders({ limit: 1, remaining: 0, resetMs: 60_000 }, undefined))).toEqual([
      'x-ratelimit-limit-requests',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-reset-requests',
    ]);
    expect(Object.keys(rateLimitHeaders(undefined, { limit: 1, remaining: 0, resetMs: 0 }))).toEqual([
      'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-tokens',
    ]);
  });

  it('writes reset times in milliseconds below a second and in seconds (up to 3 decimals) from one second', () => {
    const reset = (resetMs: number) => rateLimitHeaders({ limit: 1, remaining: 0, resetMs }, undefined)['x-ratelimit-reset-requests'];
    expect(reset(0)).toBe('0ms');
    expect(reset(20)).toBe('20ms');
    expect(reset(999)).toBe('999ms');
    expect(reset(1_000)).toBe('1s');
    expect(reset(1_500)).toBe('1.5s');
    expect(reset(12_345)).toBe('12.345s');
    expect(reset(60_000)).toBe('60s');
    expect(reset(120_000)).toBe('120s');
  });
});

describe('refusalHeaders', () => {
  it('gives Retry-After in whole seconds rounded up, and the exact wait in retry-after-ms', () => {
    expect(refusalHeaders(refusal('requests', 20_000))).toEqual({ 'retry-after': '20', 'retry-after-ms': '20000' });
    expect(refusalHeaders(refusal('requests', 1_500))).toEqual({ 'retry-after': '2', 'retry-after-ms': '1500' });
    expect(refusalHeaders(refusal('tokens', 60_060))).toEqual({ 'retry-after': '61', 'retry-after-ms': '60060' });
  });

  it('never tells a client to retry after 0 seconds', () => {
    expect(refusalHeaders(refusal('requests', 1))).toEqual({ 'retry-after': '1', 'retry-after-ms': '1' });
    expect(refusalHeaders(refusal('requests', 0.3))).toEqual({ 'retry-after': '1', 'retry-after-ms': '1' });
  });

  it('tells a client not to retry a request larger than the token limit, with no Retry-After', () => {
    expect(refusalHeaders(refusal('tokens', undefined))).toEqual({ 'x-should-retry': 'false' });
  });

  it('sends no wait for a concurrency refusal, whose slot frees when a request ends', () => {
    expect(refusalHeaders(refusal('concurrent', undefined))).toEqual({});
  });
});
