/**
 * A token bucket refilled continuously at `perMinute / 60,000` a millisecond, holding at most
 * `perMinute` (a full minute's allowance may be spent at once, as providers allow). Amounts
 * taken on an estimate are settled later: what was not used is given back, usage above the
 * estimate is taken too, which may leave the bucket in debt (down to minus one minute's
 * allowance) so the next requests wait for it.
 *
 * The state is one instant, when the bucket will be full again: reads never change it, so a
 * client that waits exactly the Retry-After it was given is admitted (no float drift from
 * refilling on every read).
 */
export class Bucket {
  readonly perMinute: number;
  #fullAt: number;

  constructor(perMinute: number, now: number) {
    this.perMinute = perMinute;
    this.#fullAt = now;
  }

  /** Refill time of `amount`, multiplied before dividing so a whole minute's allowance is exactly 60,000 ms. */
  #ms(amount: number): number {
    return (amount * 60_000) / this.perMinute;
  }

  /** The amount available at `now`. */
  level(now: number): number {
    return this.perMinute - (Math.max(0, this.#fullAt - now) * this.perMinute) / 60_000;
  }

  /** Takes `amount` if it is available now; otherwise takes nothing and says how long until it would be. */
  tryTake(amount: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const base = Math.max(this.#fullAt, now);
    const wait = base + this.#ms(amount) - 60_000 - now;
    if (wait <= 0) {
      this.#fullAt = base + this.#ms(amount);
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(wait) };
  }

  /** Gives back (positive) or takes more (negative), within [-perMinute, perMinute]. */
  adjust(amount: number, now: number): void {
    const base = Math.max(this.#fullAt, now);
    this.#fullAt = Math.min(now + 120_000, Math.max(now, base - this.#ms(amount)));
  }

  /** Milliseconds until the bucket is full again (the `x-ratelimit-reset-*` value). */
  resetMs(now: number): number {
    return Math.ceil(Math.max(0, this.#fullAt - now));
  }

  /** Full and idle: forgetting it changes nothing. */
  full(now: number): boolean {
    return this.#fullAt <= now;
  }
}
