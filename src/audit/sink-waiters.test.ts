import { describe, expect, it } from 'vitest';
import { monotonicNow } from './clock.js';
import { Waiters, type Waiter } from './sink-waiters.js';

function waiter(deadline: number): Waiter {
  return { resolve: () => {}, reject: () => {}, deadline, requestId: `r-${deadline}` };
}

describe('Waiters', () => {
  it('expires a waiter at its deadline even when the timer was armed for one answered before', async () => {
    const expiredAt: Array<{ ids: number[]; at: number }> = [];
    const w: Waiters = new Waiters((expired) => {
      expiredAt.push({ ids: expired.map(([id]) => id), at: monotonicNow() });
      w.settled();
    });
    const t0 = monotonicNow();
    w.add(1, waiter(t0 + 20)); // arms the timer for 20 ms
    expect(w.take(1)).toBeDefined(); // answered: the timer stays armed
    w.settled();
    // Far enough apart that a loaded machine's late timer still fires before the second deadline.
    const second = t0 + 1000;
    w.add(2, waiter(second));
    w.settled();
    await new Promise((r) => setTimeout(r, 100));
    expect(expiredAt).toEqual([]); // the early firing found nothing due
    expect(w.size).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(expiredAt.map((e) => e.ids)).toEqual([[2]]);
    expect(expiredAt[0]!.at).toBeGreaterThanOrEqual(second - 1);
    expect(w.size).toBe(0);
  });

  it('expires the due waiters oldest first and keeps the rest', async () => {
    const got: number[] = [];
    // As the sink does: answer the expired ones, then settled() re-arms for the rest.
    const w: Waiters = new Waiters((expired) => {
      got.push(...expired.map(([id]) => id));
      w.settled();
    });
    const t0 = monotonicNow();
    w.add(1, waiter(t0 + 10));
    w.add(2, waiter(t0 + 15));
    w.add(3, waiter(t0 + 10_000));
    await new Promise((r) => setTimeout(r, 80));
    expect(got).toEqual([1, 2]);
    expect(w.take(3)).toBeDefined();
    w.stopTimer();
  });

  it('resolves flush promises once every waiter up to the id is answered', async () => {
    const w = new Waiters(() => {});
    const t0 = monotonicNow();
    w.add(1, waiter(t0 + 10_000));
    w.add(2, waiter(t0 + 10_000));
    let flushed = false;
    const p = w.whenSettled(1).then(() => (flushed = true));
    w.take(2);
    w.settled();
    await Promise.resolve();
    expect(flushed).toBe(false);
    w.take(1);
    w.settled();
    await p;
    expect(flushed).toBe(true);
    w.stopTimer();
  });
});
