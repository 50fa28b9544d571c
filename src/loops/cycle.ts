import { targetOf, type CallRing } from './call-ring.js';
import { seconds } from './duration.js';
import type { CallRecord, Trip } from './types.js';

/** Longest cycle looked for: A,B,...,H. Period 1 (the same call again) is the repetition rule's. */
export const MAX_PERIOD = 8;

/**
 * Finds an agent's call sequence ending in a repeated pattern of period 2..MAX_PERIOD.
 *
 * For each period p it keeps run[p]: how many of the latest calls, consecutively, equal the
 * call p before them. The latest run[p] + p calls then repeat their last p calls throughout,
 * so one comparison per period per call suffices and the history is never rescanned.
 */
export class CycleTracker {
  readonly #run = new Float64Array(MAX_PERIOD + 1);

  /** Extends the runs with the call keyed `key`, about to be pushed to `ring`. Call once per call. */
  advance(ring: CallRing, key: string): void {
    const seq = ring.nextSeq;
    for (let p = 1; p <= MAX_PERIOD; p++) {
      const before = seq - p;
      this.#run[p] = ring.holds(before) && ring.keyAt(before) === key ? (this.#run[p] as number) + 1 : 0;
    }
  }

  reset(): void {
    this.#run.fill(0);
  }

  /**
   * Trips when, after advance(), the latest calls (up to `call`, not yet in the ring) are a
   * pattern repeated more than `allowed` times in a row, all within `windowMs`. Reports the
   * shortest such period; a pattern that is itself a shorter one repeated (A,A or A,B,A,B) is
   * left to that shorter period.
   */
  check(ring: CallRing, call: CallRecord, now: number, allowed: number, windowMs: number | undefined): Trip | null {
    const held = ring.size + 1; // the ring plus this call
    for (let p = 2; p <= MAX_PERIOD; p++) {
      const span = Math.min((this.#run[p] as number) + p, held);
      const need = (allowed + 1) * p;
      if (span < need || !this.#primitive(p)) continue;
      const firstSeq = ring.nextSeq - need + 1;
      if (windowMs !== undefined && ring.atOf(firstSeq) <= now - windowMs) continue;

      const evidence = new Array<string>(need);
      for (let i = 0; i < need - 1; i++) evidence[i] = ring.idAt(firstSeq + i);
      evidence[need - 1] = call.requestId;
      const pattern = new Array<string>(p);
      for (let i = 0; i < p; i++) pattern[i] = targetOf(ring.keyAt(firstSeq + i));
      return {
        rule: 'cycle',
        message:
          `a cycle of ${p} calls (${pattern.join(' → ')}) repeated ${allowed + 1} times with the same arguments` +
          (windowMs === undefined ? '' : ` within ${seconds(windowMs)}`),
        evidence,
        details: { period: p, repetitions: allowed + 1, pattern, ...(windowMs === undefined ? {} : { windowMs }) },
      };
    }
    return null;
  }

  /** Whether the latest p calls are not some shorter pattern d (a divisor of p) repeated. */
  #primitive(p: number): boolean {
    for (let d = 1; d <= p / 2; d++) {
      if (p % d === 0 && (this.#run[d] as number) >= p - d) return false;
    }
    return true;
  }
}
