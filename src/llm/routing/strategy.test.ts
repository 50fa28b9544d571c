import { describe, expect, it } from 'vitest';
import { LatencyTracker } from './latency-tracker.js';
import { orderCandidates, type RouteCandidate } from './strategy.js';
import { seededRandom } from '../tokens/test-fixtures.js';

const keys = (list: readonly RouteCandidate[]) => list.map((c) => c.key);
const noRandom = () => {
  throw new Error('this strategy must not draw random numbers');
};

describe('orderCandidates', () => {
  it('fallback keeps the configured order', () => {
    const list = [{ key: 'a', weight: 1 }, { key: 'b', weight: 9 }, { key: 'c', weight: 0 }];
    expect(keys(orderCandidates(list, 'fallback', { random: noRandom }))).toEqual(['a', 'b', 'c']);
  });

  it('returns a new array and never mutates the input, for every strategy', () => {
    const list = Object.freeze([
      { key: 'a', weight: 1, price: 3 },
      { key: 'b', weight: 5, price: 1 },
      { key: 'c', weight: 0 },
      { key: 'd', weight: 2, price: 2 },
    ]);
    const latency = new LatencyTracker();
    latency.record('a', 50);
    latency.record('d', 10);
    for (const strategy of ['fallback', 'weighted', 'cheapest', 'latency'] as const) {
      const out = orderCandidates(list, strategy, { random: seededRandom(7), latency });
      expect(out).not.toBe(list);
      expect([...keys(out)].sort()).toEqual(['a', 'b', 'c', 'd']);
      // The very same objects come back, so callers keep their own fields.
      for (const candidate of out) expect(list).toContain(candidate);
    }
    expect(keys(list)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('handles empty and single-candidate lists', () => {
    expect(orderCandidates([], 'weighted', { random: noRandom })).toEqual([]);
    expect(keys(orderCandidates([{ key: 'a', weight: 0 }], 'weighted', { random: noRandom }))).toEqual(['a']);
  });

  describe('weighted', () => {
    it('picks the first target in proportion to weight (3:1 over 10,000 draws)', () => {
      const list = [{ key: 'a', weight: 3 }, { key: 'b', weight: 1 }];
      const random = seededRandom(42);
      let firstA = 0;
      for (let i = 0; i < 10_000; i++) if (orderCandidates(list, 'weighted', { random })[0]!.key === 'a') firstA++;
      // Expected 7,500 with a standard deviation of about 43.
      expect(firstA).toBeGreaterThan(7_300);
      expect(firstA).toBeLessThan(7_700);
    });

    it('draws the following positions without replacement, also in proportion to weight', () => {
      const list = [{ key: 'a', weight: 2 }, { key: 'b', weight: 1 }, { key: 'c', weight: 1 }];
      const random = seededRandom(3);
      const firsts = { a: 0, b: 0, c: 0 };
      let bSecondAfterA = 0;
      let aFirst = 0;
      for (let i = 0; i < 10_000; i++) {
        const order = keys(orderCandidates(list, 'weighted', { random }));
        expect([...order].sort()).toEqual(['a', 'b', 'c']);
        firsts[order[0] as 'a' | 'b' | 'c']++;
        if (order[0] === 'a') {
          aFirst++;
          if (order[1] === 'b') bSecondAfterA++;
        }
      }
      expect(firsts.a / 10_000).toBeCloseTo(0.5, 1);
      expect(firsts.b / 10_000).toBeCloseTo(0.25, 1);
      expect(firsts.c / 10_000).toBeCloseTo(0.25, 1);
      // Once a is taken, b and c (1:1) share second place evenly.
      expect(bSecondAfterA / aFirst).toBeCloseTo(0.5, 1);
    });

    it('puts zero-weight targets last, in config order, as fallbacks only', () => {
      const list = [
        { key: 'z1', weight: 0 },
        { key: 'a', weight: 1 },
        { key: 'z2', weight: 0 },
        { key: 'b', weight: 1 },
        { key: 'neg', weight: -4 },
        { key: 'nan', weight: Number.NaN },
      ];
      const random = seededRandom(11);
      for (let i = 0; i < 200; i++) {
        expect(keys(orderCandidates(list, 'weighted', { random })).slice(2)).toEqual(['z1', 'z2', 'neg', 'nan']);
      }
    });

    it('with every weight zero keeps config order', () => {
      const list = [{ key: 'a', weight: 0 }, { key: 'b', weight: 0 }];
      expect(keys(orderCandidates(list, 'weighted', { random: seededRandom(1) }))).toEqual(['a', 'b']);
    });

    it('stays correct at the edges of the random source', () => {
      const list = [{ key: 'a', weight: 1 }, { key: 'b', weight: 1 }, { key: 'c', weight: 1 }];
      expect(keys(orderCandidates(list, 'weighted', { random: () => 0 }))).toEqual(['a', 'b', 'c']);
      const top = keys(orderCandidates(list, 'weighted', { random: () => 0.999_999_999_999 }));
      expect(top[0]).toBe('c');
      expect([...top].sort()).toEqual(['a', 'b', 'c']);
    });
  });

  describe('cheapest', () => {
    it('orders by ascending price, unknown price last, ties in config order', () => {
      const list = [
        { key: 'unknown1', weight: 1 },
        { key: 'p5', weight: 1, price: 5 },
        { key: 'p1a', weight: 1, price: 1 },
        { key: 'nan', weight: 1, price: Number.NaN },
        { key: 'p1b', weight: 1, price: 1 },
        { key: 'free', weight: 1, price: 0 },
        { key: 'unknown2', weight: 1 },
      ];
      expect(keys(orderCandidates(list, 'cheapest', { random: noRandom }))).toEqual([
        'free', 'p1a', 'p1b', 'p5', 'unknown1', 'nan', 'unknown2',
      ]);
    });
  });

  describe('latency', () => {
    it('puts unmeasured targets first (config order), then ascending estimate', () => {
      const latency = new LatencyTracker({ alpha: 1 });
      latency.record('slow', 300);
      latency.record('fast', 20);
      latency.record('mid', 80);
      const list = ['slow', 'new1', 'fast', 'mid', 'new2'].map((key) => ({ key, weight: 1 }));
      expect(keys(orderCandidates(list, 'latency', { random: noRandom, latency }))).toEqual([
        'new1', 'new2', 'fast', 'mid', 'slow',
      ]);
    });

    it('follows the estimate as it changes', () => {
      const latency = new LatencyTracker({ alpha: 1 });
      latency.record('a', 10);
      latency.record('b', 20);
      const list = [{ key: 'a', weight: 1 }, { key: 'b', weight: 1 }];
      expect(keys(orderCandidates(list, 'latency', { random: noRandom, latency }))).toEqual(['a', 'b']);
      latency.record('a', 50);
      expect(keys(orderCandidates(list, 'latency', { random: noRandom, latency }))).toEqual(['b', 'a']);
    });

    it('without a tracker keeps config order', () => {
      const list = [{ key: 'b', weight: 1 }, { key: 'a', weight: 1 }];
      expect(keys(orderCandidates(list, 'latency', { random: noRandom }))).toEqual(['b', 'a']);
    });
  });
});
