import { describe, expect, it } from 'vitest';
import { Bucket } from './bucket.js';

/** A bucket of `perMinute` emptied at time 0. */
function drained(perMinute: number): Bucket {
  const b = new Bucket(perMinute, 0);
  expect(b.tryTake(perMinute, 0)).toEqual({ ok: true });
  return b;
}

describe('Bucket', () => {
  it('starts full: a whole minute of allowance may be spent at once', () => {
    const b = new Bucket(60, 5_000);
    expect(b.level(5_000)).toBe(60);
    expect(b.tryTake(60, 5_000)).toEqual({ ok: true });
    expect(b.level(5_000)).toBe(0);
  });

  it('refills continuously at perMinute / 60,000 a millisecond', () => {
    const b = drained(60);
    expect(b.level(500)).toBe(0.5);
    expect(b.level(1_000)).toBe(1);
    expect(b.level(30_000)).toBe(30);
  });

  it('never holds more than perMinute, however long it sits idle', () => {
    const b = drained(60);
    expect(b.level(600_000)).toBe(60);
    expect(b.tryTake(61, 600_000)).toMatchObject({ ok: false });
    expect(b.tryTake(60, 600_000)).toEqual({ ok: true });
  });

  it('takes nothing when it refuses', () => {
    const b = new Bucket(10, 0);
    expect(b.tryTake(11, 0)).toMatchObject({ ok: false });
    expect(b.level(0)).toBe(10);
  });

  it('says exactly how long until the amount is available, and admits it then', () => {
    const b = drained(60); // one unit a second
    expect(b.tryTake(1, 0)).toEqual({ ok: false, retryAfterMs: 1_000 });
    expect(b.tryTake(3, 0)).toEqual({ ok: false, retryAfterMs: 3_000 });
    expect(b.tryTake(1, 400)).toEqual({ ok: false, retryAfterMs: 600 });
    expect(b.tryTake(1, 750)).toEqual({ ok: false, retryAfterMs: 250 });
    expect(b.tryTake(1, 1_000)).toEqual({ ok: true });
    expect(b.level(1_000)).toBe(0);
  });

  it('rounds a fractional wait up, so a retry at that time never comes early', () => {
    const b = drained(7); // one unit every 8571.43 ms
    expect(b.tryTake(1, 0)).toEqual({ ok: false, retryAfterMs: 8_572 });
    expect(b.tryTake(1, 8_571)).toMatchObject({ ok: false });
    expect(b.tryTake(1, 8_572)).toEqual({ ok: true });
  });

  // BUG (harmless half): (amount - level) * 60_000 / perMinute lands a hair above the integer
  // (level 0.999 leaves 1.0000000000000009 ms), and the ceil turns 1 ms into 2. Same fix as below.
  it('says 1 ms one millisecond before the unit is refilled', () => {
    const b = drained(60);
    expect(b.tryTake(1, 999)).toEqual({ ok: false, retryAfterMs: 1 });
  });

  // BUG: #refill adds each elapsed slice to the level, so every read accumulates floating-point
  // error; after reads at 18 ms and 87 ms the level falls short of the true refill by ~1e-15 and
  // a client that waits the retryAfterMs it was given (113 ms, landing at 200 ms = exactly one
  // unit at 300/min) is refused again with retryAfterMs 1. Fix: keep the state as the time the
  // bucket will be full (`#fullAt`; level(now) = perMinute - max(0, #fullAt - now) * perMinute
  // / 60_000; take/adjust move #fullAt by amount * 60_000 / perMinute, clamped to
  // [now, now + 120_000]), so reads never change the state and nothing accumulates.
  it('admits a client that waits exactly the retryAfterMs it was given, however often the bucket was read', () => {
    const b = drained(300); // one unit every 200 ms
    expect(b.tryTake(1, 18)).toMatchObject({ ok: false });
    const refused = b.tryTake(1, 87);
    expect(refused).toEqual({ ok: false, retryAfterMs: 113 });
    expect(b.tryTake(1, 200)).toEqual({ ok: true });
  });

  it('gives back and takes more on settlement, capped at perMinute', () => {
    const b = new Bucket(100, 0);
    b.tryTake(80, 0);
    b.adjust(30, 0); // unused part of an estimate
    expect(b.level(0)).toBe(50);
    b.adjust(-20, 0); // usage above the estimate
    expect(b.level(0)).toBe(30);
    b.adjust(500, 0);
    expect(b.level(0)).toBe(100);
  });

  it('goes into debt down to one minute of allowance, and makes the next request wait it out', () => {
    const b = new Bucket(60, 0);
    b.adjust(-1_000, 0);
    expect(b.level(0)).toBe(-60);
    expect(b.resetMs(0)).toBe(120_000);
    expect(b.tryTake(1, 0)).toEqual({ ok: false, retryAfterMs: 61_000 });
    expect(b.tryTake(1, 60_999)).toMatchObject({ ok: false });
    expect(b.tryTake(1, 61_000)).toEqual({ ok: true });
  });

  it('reports the time until full again', () => {
    const b = new Bucket(60, 0);
    expect(b.resetMs(0)).toBe(0);
    b.tryTake(30, 0);
    expect(b.resetMs(0)).toBe(30_000);
    expect(b.resetMs(10_000)).toBe(20_000);
    b.tryTake(0.5, 10_000);
    expect(b.resetMs(10_000)).toBe(20_500);
  });

  it('is full only once refilled to perMinute', () => {
    const b = new Bucket(60, 0);
    expect(b.full(0)).toBe(true);
    b.tryTake(1, 0);
    expect(b.full(999)).toBe(false);
    expect(b.full(1_000)).toBe(true);
  });
});
