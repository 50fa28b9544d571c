import { describe, expect, it } from 'vitest';
import { OverloadGuard } from './overload.js';

function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: this is the lag the guard must notice
  }
}

describe('overload guard', () => {
  it('refuses once the in-flight cap is reached and admits again after a request leaves', () => {
    const g = new OverloadGuard({ maxInFlight: 2, maxEventLoopDelayMs: 10_000 });
    try {
      expect(g.refuse()).toBeNull();
      g.enter();
      g.enter();
      expect(g.refuse()).toBe('in-flight');
      g.leave();
      expect(g.refuse()).toBeNull();
    } finally {
      g.close();
    }
  });

  it('sheds while the event loop lags and recovers when it is responsive again', async () => {
    const g = new OverloadGuard({ maxInFlight: 100, maxEventLoopDelayMs: 50, sampleEveryMs: 100 });
    try {
      await new Promise((r) => setTimeout(r, 150));
      expect(g.refuse()).toBeNull();
      // One long block: the overdue sampling timer fires right after it, before ours.
      blockEventLoop(250);
      await new Promise((r) => setTimeout(r, 1));
      expect(g.lagging).toBe(true);
      expect(g.refuse()).toBe('event-loop-lag');
      await new Promise((r) => setTimeout(r, 350));
      expect(g.lagging).toBe(false);
      expect(g.refuse()).toBeNull();
    } finally {
      g.close();
    }
  });
});
