import { describe, expect, it } from 'vitest';
import { LatencyTracker } from './latency-tracker.js';

describe('LatencyTracker', () => {
  it('knows nothing about a target never measured', () => {
    expect(new LatencyTracker().estimate('a')).toBeUndefined();
  });

  it('takes the first sample as it is, then moves towards new samples by alpha', () => {
    const tracker = new LatencyTracker({ alpha: 0.5 });
    tracker.record('a', 100);
    expect(tracker.estimate('a')).toBe(100);
    tracker.record('a', 200);
    expect(tracker.estimate('a')).toBe(150);
    tracker.record('a', 50);
    expect(tracker.estimate('a')).toBe(100);
  });

  it('keeps one estimate per key', () => {
    const tracker = new LatencyTracker({ alpha: 1 });
    tracker.record('a', 10);
    tracker.record('b', 20);
    tracker.record('a', 30);
    expect(tracker.estimate('a')).toBe(30);
    expect(tracker.estimate('b')).toBe(20);
  });

  it('ignores negative and non-finite samples', () => {
    const tracker = new LatencyTracker();
    tracker.record('a', 40);
    tracker.record('a', -5);
    tracker.record('a', Number.NaN);
    tracker.record('a', Infinity);
    expect(tracker.estimate('a')).toBe(40);
  });

  it('refuses an alpha outside (0, 1]', () => {
    expect(() => new LatencyTracker({ alpha: 0 })).toThrow(RangeError);
    expect(() => new LatencyTracker({ alpha: 1.1 })).toThrow(RangeError);
    expect(() => new LatencyTracker({ alpha: Number.NaN })).toThrow(RangeError);
  });
});
