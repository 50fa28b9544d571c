import { describe, expect, it } from 'vitest';
import { classifyAttempt, countsAgainstBreaker, type AttemptError } from './failure-class.js';

const status = (s: number) => ({ status: s });

describe('classifyAttempt', () => {
  it('every 2xx is a success', () => {
    for (const s of [200, 201, 204, 299]) expect(classifyAttempt(status(s))).toBe('success');
  });

  it('retries what the openai client retries: 408, 409, 429 and every 5xx', () => {
    for (const s of [408, 409, 429, 500, 501, 502, 503, 504, 529, 599]) expect(classifyAttempt(status(s))).toBe('retry');
  });

  it('retries 401, 402 and 403: the provider is refusing the gateway key, which another target does not share', () => {
    for (const s of [401, 402, 403]) expect(classifyAttempt(status(s))).toBe('retry');
  });

  it('a 4xx caused by the request is final: another target would refuse it too', () => {
    for (const s of [400, 404, 405, 410, 413, 415, 422, 431, 451]) expect(classifyAttempt(status(s))).toBe('final');
  });

  it('a status that is neither success nor error (1xx, 3xx, nonsense) is a misbehaving upstream: retry', () => {
    for (const s of [100, 301, 302, 304, 0, 999]) expect(classifyAttempt(status(s))).toBe('retry');
  });

  it('transport failures and bad responses retry; a client that went away is final', () => {
    const retry: AttemptError[] = ['timeout', 'connect', 'reset', 'bad-response'];
    for (const error of retry) expect(classifyAttempt({ error })).toBe('retry');
    expect(classifyAttempt({ error: 'aborted-by-client' })).toBe('final');
  });

  it('an address the egress rules refused moves on to another target (the router passes over the refused one)', () => {
    expect(classifyAttempt({ error: 'refused' })).toBe('retry');
  });
});

describe('countsAgainstBreaker', () => {
  it('counts upstream trouble: 5xx, 429, 408, 401/402/403, transport failures, bad responses, odd statuses', () => {
    for (const s of [500, 502, 503, 504, 429, 408, 401, 402, 403, 302]) expect(countsAgainstBreaker(status(s))).toBe(true);
    for (const error of ['timeout', 'connect', 'reset', 'bad-response'] as const) expect(countsAgainstBreaker({ error })).toBe(true);
  });

  it('does not count successes, request-caused 4xx, a 409 conflict, a client abort or an egress refusal', () => {
    for (const s of [200, 204, 400, 404, 413, 422, 409]) expect(countsAgainstBreaker(status(s))).toBe(false);
    expect(countsAgainstBreaker({ error: 'aborted-by-client' })).toBe(false);
    expect(countsAgainstBreaker({ error: 'refused' })).toBe(false); // the configuration's fault, not the target's health
  });
});
