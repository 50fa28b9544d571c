import { describe, expect, it, vi } from 'vitest';
import { estimateEntryBytes, ResponseCache, type CachedAnswer } from './response-cache.js';

function answer(text: string): CachedAnswer {
  const json = { object: 'chat.completion', choices: [{ message: { role: 'assistant', content: text } }] };
  return { body: Buffer.from(JSON.stringify(json)), json, provider: 'openai', model: 'gpt-4o-mini', usage: null, storedAt: 0 };
}

/** A cache on a clock the test moves. */
function cacheAt(opts: { maxBytes?: number; maxEntryBytes?: number } = {}): { cache: ResponseCache; clock: { t: number } } {
  const clock = { t: 1_000 };
  const cache = new ResponseCache({ maxBytes: opts.maxBytes ?? 1_000_000, maxEntryBytes: opts.maxEntryBytes ?? 100_000, now: () => clock.t });
  return { cache, clock };
}

// Keys of one length and answers of one size, so every entry costs the same.
const keyOf = (i: number): string => `key-${i}`;
const answerOf = (i: number): CachedAnswer => answer(`answer ${i}`);
const cost = estimateEntryBytes(keyOf(0), answerOf(0).body.byteLength);

describe('ResponseCache', () => {
  it('returns what was stored and accounts for its estimated memory', () => {
    const { cache } = cacheAt();
    const a = answer('Paris');
    expect(cache.set('k', a, 60_000)).toBe(true);
    expect(cache.get('k')?.body.toString()).toBe(a.body.toString());
    expect(cache.get('k')?.json).toBe(a.json);
    expect(cache.get('other')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(estimateEntryBytes('k', a.body.byteLength));
    expect(estimateEntryBytes('k', 100)).toBeGreaterThan(200);
  });

  it('never returns an entry once its TTL has passed (a hit before does not extend it), and drops it when met', () => {
    const { cache, clock } = cacheAt();
    cache.set('k', answer('Paris'), 5_000);
    clock.t += 4_999;
    expect(cache.get('k')).toBeDefined();
    clock.t += 1;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('evicts the least recently stored entries first once over maxBytes', () => {
    const { cache } = cacheAt({ maxBytes: cost * 3 });
    for (let i = 0; i < 3; i++) expect(cache.set(keyOf(i), answerOf(i), 60_000)).toBe(true);
    expect(cache.bytes).toBe(cost * 3);
    cache.set(keyOf(3), answerOf(3), 60_000);
    expect(cache.get(keyOf(0))).toBeUndefined();
    expect([1, 2, 3].map((i) => cache.get(keyOf(i)) !== undefined)).toEqual([true, true, true]);
    expect(cache.bytes).toBe(cost * 3);
  });

  it('a hit makes an entry the most recently used, so another one is evicted first', () => {
    const { cache } = cacheAt({ maxBytes: cost * 3 });
    for (let i = 0; i < 3; i++) cache.set(keyOf(i), answerOf(i), 60_000);
    cache.get(keyOf(0));
    cache.set(keyOf(3), answerOf(3), 60_000);
    expect(cache.get(keyOf(1))).toBeUndefined();
    expect(cache.get(keyOf(0))).toBeDefined();
    cache.set(keyOf(4), answerOf(4), 60_000);
    expect(cache.get(keyOf(2))).toBeUndefined();
    expect([0, 3, 4].map((i) => cache.get(keyOf(i)) !== undefined)).toEqual([true, true, true]);
  });

  it('refuses an answer over maxEntryBytes, or one that alone would not fit maxBytes, and changes nothing', () => {
    const small = answer('ok');
    const big = answer('x'.repeat(1_000));
    const { cache } = cacheAt({ maxEntryBytes: 500 });
    cache.set('k', small, 60_000);
    const before = cache.bytes;
    expect(cache.set('k', big, 60_000)).toBe(false);
    expect(cache.get('k')?.body.toString()).toBe(small.body.toString());
    expect(cache.bytes).toBe(before);

    const tight = cacheAt({ maxBytes: estimateEntryBytes('k', small.body.byteLength) - 1 }).cache;
    expect(tight.set('k', small, 60_000)).toBe(false);
    expect(tight.size).toBe(0);
  });

  it('replacing a key keeps one entry and counts its memory once', () => {
    const { cache } = cacheAt();
    cache.set('k', answer('one'), 60_000);
    const b = answer('two, longer');
    cache.set('k', b, 60_000);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(estimateEntryBytes('k', b.body.byteLength));
    expect(cache.get('k')?.body.toString()).toBe(b.body.toString());
  });

  it('delete and clear release the accounted memory', () => {
    const { cache } = cacheAt();
    cache.set('a', answer('1'), 60_000);
    cache.set('b', answer('2'), 60_000);
    cache.delete('a');
    cache.delete('missing');
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(estimateEntryBytes('b', answer('2').body.byteLength));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('keeps a pooled or sliced body in memory of its own, so an entry never pins a larger allocation', () => {
    const { cache } = cacheAt();
    const pooled = answer('Paris');
    expect(pooled.body.buffer.byteLength).toBeGreaterThan(pooled.body.byteLength); // Buffer.from of a short string uses the pool
    cache.set('k', pooled, 60_000);
    const stored = cache.get('k');
    expect(stored?.body.buffer.byteLength).toBe(pooled.body.byteLength);
    expect(stored?.body.equals(pooled.body)).toBe(true);

    const own = Buffer.allocUnsafeSlow(10_000).fill(1);
    cache.set('own', { ...pooled, body: own }, 60_000);
    expect(cache.get('own')?.body).toBe(own);
  });

  it('rejects unusable limits and TTLs', () => {
    expect(() => new ResponseCache({ maxBytes: -1, maxEntryBytes: 1 })).toThrow(RangeError);
    expect(() => new ResponseCache({ maxBytes: Infinity, maxEntryBytes: 1 })).toThrow(RangeError);
    expect(() => new ResponseCache({ maxBytes: 1, maxEntryBytes: NaN })).toThrow(RangeError);
    const { cache } = cacheAt();
    expect(() => cache.set('k', answer('a'), 0)).toThrow(RangeError);
    expect(() => cache.set('k', answer('a'), NaN)).toThrow(RangeError);
  });

  it('times TTLs on the monotonic clock (performance.now) by default', () => {
    let t = 5_000;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => t);
    try {
      const cache = new ResponseCache({ maxBytes: 1_000_000, maxEntryBytes: 100_000 });
      cache.set('k', answer('a'), 1_000);
      t += 999;
      expect(cache.get('k')).toBeDefined();
      t += 1;
      expect(cache.get('k')).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });
});
