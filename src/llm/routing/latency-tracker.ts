export interface LatencyTrackerOptions {
  /** Weight of the newest sample, in (0, 1]; higher forgets the past faster. Default 0.3. */
  alpha?: number;
}

const DEFAULT_ALPHA = 0.3;

/**
 * Exponentially weighted moving average of observed latency per target key. The first
 * sample is taken as it is, so one measurement is enough to place a target.
 */
export class LatencyTracker {
  readonly #alpha: number;
  readonly #ewma = new Map<string, number>();

  constructor(opts: LatencyTrackerOptions = {}) {
    const alpha = opts.alpha ?? DEFAULT_ALPHA;
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
    this.#alpha = alpha;
  }

  record(key: string, ms: number): void {
    // A clock hiccup or a caller bug must not poison the estimate for good.
    if (!Number.isFinite(ms) || ms < 0) return;
    const previous = this.#ewma.get(key);
    this.#ewma.set(key, previous === undefined ? ms : previous + this.#alpha * (ms - previous));
  }

  /** undefined for a target never measured: callers try those first. */
  estimate(key: string): number | undefined {
    return this.#ewma.get(key);
  }
}
