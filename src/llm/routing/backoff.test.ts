import { describe, expect, it } from 'vitest';
import { backoffMs, retryAfterMs } from './backoff.js';
import { seededRandom } from '../tokens/test-fixtures.js';

describe('backoffMs', () => {
  const base = { baseMs: 100, capMs: 1_000 };

  it('spans [0, base * 2^(attempt-1)] up to the cap, scaled by the random draw', () => {
    expect(backoffMs(1, { ...base, random: () => 0 })).toBe(0);
    expect(backoffMs(1, { ...base, random: () => 0.5 })).toBe(50);
    expect(backoffMs(2, { ...base, random: () => 0.5 })).toBe(100);
    expect(backoffMs(3, { ...base, random: () => 0.5 })).toBe(200);
    expect(backoffMs(4, { ...base, random: () => 0.5 })).toBe(400);
    expect(backoffMs(5, { ...base, random: () => 0.5 })).toBe(500); // capped at 1,000
    expect(backoffMs(5, { ...base, random: () => 0.999 })).toBeCloseTo(999);
  });

  it('stays within its bounds for many draws and attempts', () => {
    const random = seededRandom(5);
    for (let attempt = 1; attempt <= 40; attempt++) {
      const ceiling = Math.min(1_000, 100 * 2 ** (attempt - 1));
      let max = 0;
      for (let i = 0; i < 200; i++) {
        const wait = backoffMs(attempt, { ...base, random });
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThanOrEqual(ceiling);
        max = Math.max(max, wait);
      }
      // Full jitter really uses the whole range, not a narrow band.
      expect(max).toBeGreaterThan(ceiling * 0.9);
    }
  });

  it('treats attempt < 1 as the first retry and never returns NaN for huge attempts', () => {
    expect(backoffMs(0, { ...base, random: () => 0.5 })).toBe(50);
    expect(backoffMs(-3, { ...base, random: () => 0.5 })).toBe(50);
    expect(backoffMs(5_000, { ...base, random: () => 0.5 })).toBe(500);
  });

  it('a zero base or cap means no wait', () => {
    expect(backoffMs(5_000, { baseMs: 0, capMs: 1_000, random: () => 0.5 })).toBe(0);
    expect(backoffMs(3, { baseMs: 100, capMs: 0, random: () => 0.5 })).toBe(0);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('7', now)).toBe(7_000);
    expect(retryAfterMs(' 2 ', now)).toBe(2_000);
    expect(retryAfterMs('1.5', now)).toBe(1_500);
  });

  it('reads an HTTP date relative to now, in all three forms, as GMT whatever the local zone', () => {
    expect(retryAfterMs('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Sunday, 01-Mar-26 12:00:30 GMT', now)).toBe(30_000);
    // asctime has no zone: read it under a zone far from GMT to prove it is taken as GMT.
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(retryAfterMs('Sun Mar  1 12:00:30 2026', now)).toBe(30_000);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('a date in the past means retry now', () => {
    expect(retryAfterMs('Sun, 01 Mar 2026 11:59:00 GMT', now)).toBe(0);
  });

  it('prefers retry-after-ms when it is readable, as the openai client does', () => {
    expect(retryAfterMs('7', now, '250')).toBe(250);
    expect(retryAfterMs(undefined, now, '12.5')).toBe(12.5);
    expect(retryAfterMs('7', now, 'soon')).toBe(7_000);
  });

  it('no header or an unreadable one means no advice', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
    expect(retryAfterMs('1e3', now)).toBeUndefined();
    expect(retryAfterMs('hello 1', now)).toBeUndefined(); // Date.parse alone would say 2001
    expect(retryAfterMs('Tue, 99 Nov 2026 08:49:37 GMT', now)).toBeUndefined();
    expect(retryAfterMs('9'.repeat(400), now)).toBeUndefined();
  });
});
