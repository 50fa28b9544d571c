import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** Proves the breaker stays closed through n-1 further failures and opens on the n-th. */
function expectOpensAfterFailures(breaker: CircuitBreaker, n: number): void {
  for (let i = 1; i < n; i++) {
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
  }
  breaker.onFailure();
  expect(breaker.state).toBe('open');
}

function openBreaker(threshold = 3, openMs = 1_000) {
  const clock = manualClock();
  const breaker = new CircuitBreaker({ failureThreshold: threshold, openMs, now: clock.now });
  for (let i = 0; i < threshold; i++) {
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
  }
  expect(breaker.state).toBe('open');
  return { breaker, clock };
}

describe('CircuitBreaker', () => {
  it('admits every caller while closed, concurrently', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 1_000, now: manualClock().now });
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 100; i++) expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe('closed');
  });

  it('opens on the threshold-th consecutive failure, not before', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000, now: manualClock().now });
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('a success while closed resets the consecutive-failure count', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000, now: manualClock().now });
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    expectOpensAfterFailures(breaker, 3);
  });

  it('refuses everyone while open until openMs has passed, then turns half-open', () => {
    const { breaker, clock } = openBreaker(3, 1_000);
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('half-open admits exactly one probe among concurrent callers', () => {
    const { breaker, clock } = openBreaker();
    clock.advance(1_000);
    const admitted = Array.from({ length: 10 }, () => breaker.tryAcquire());
    expect(admitted.filter(Boolean)).toHaveLength(1);
    expect(admitted[0]).toBe(true);
    // Time passing does not hand out a second probe while the first is out.
    clock.advance(60_000);
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.state).toBe('half-open');
  });

  it('a successful probe closes the breaker with a fresh failure count', () => {
    const { breaker, clock } = openBreaker(3);
    clock.advance(1_000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
    expectOpensAfterFailures(breaker, 3);
  });

  it('a failed probe opens the breaker again for a full openMs', () => {
    const { breaker, clock } = openBreaker(3, 1_000);
    clock.advance(1_500);
    expect(breaker.tryAcquire()).toBe(true);
    clock.advance(200);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('release frees the probe slot without changing state, so the next caller probes', () => {
    const { breaker, clock } = openBreaker();
    clock.advance(1_000);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.release();
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('release while closed or open changes nothing', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 1_000, now: clock.now });
    breaker.onFailure();
    breaker.release();
    breaker.onFailure(); // the release did not reset the count
    expect(breaker.state).toBe('open');
    breaker.release();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('verdicts arriving while open (attempts admitted before it opened) neither close it nor extend the cool-down', () => {
    const { breaker, clock } = openBreaker(3, 1_000);
    clock.advance(500);
    breaker.onSuccess();
    expect(breaker.state).toBe('open');
    breaker.onFailure();
    clock.advance(500);
    expect(breaker.state).toBe('half-open');
  });

  it('the half-open probe is handed out again after the breaker re-opens and cools down', () => {
    const { breaker, clock } = openBreaker(1, 100);
    for (let round = 0; round < 3; round++) {
      clock.advance(100);
      expect(breaker.tryAcquire()).toBe(true);
      expect(breaker.tryAcquire()).toBe(false);
      breaker.onFailure();
      expect(breaker.state).toBe('open');
    }
  });

  it('refuses a threshold that is not an integer >= 1 and a negative or infinite openMs', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, openMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1.5, openMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, openMs: -1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, openMs: Infinity })).toThrow(RangeError);
  });

  it('uses a monotonic clock by default', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 0 });
    breaker.onFailure();
    expect(breaker.state).toBe('half-open');
  });
});
