/**
 * A token bucket on the monotonic clock: `rate` tokens a second, at most `burst` saved.
 * Used to drop what an upstream floods (notifications, stderr lines) instead of queueing it.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;
  /** What take() refused since the last drainDropped(). */
  #dropped = 0;

  constructor(ratePerSecond: number, burst = ratePerSecond) {
    this.#rate = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = performance.now();
  }

  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#dropped++;
    return false;
  }

  drainDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }
}
