/**
 * A token bucket refilled continuously at `perMinute / 60,000` a millisecond, holding at most
 * `perMinute` (a full minute's allowance may be spent at once, as providers allow). Amounts
 * taken on an estimate are settled later: what was not used is given back, usage above the
 * estimate is taken too, which may leave the bucket in debt (down to minus one minute's
 * allowance) so the next requests wait for it.
 */
export class Bucket {
  readonly perMinute: number;
  #level: number;
  #at: number;

  constructor(perMinute: number, now: number) {
    this.perMinute = perMinute;
    this.#level = perMinute;
    this.#at = now;
  }

  /** The amount available at `now`. */
  level(now: number): number {
    this.#refill(now);
    return this.#level;
  }

  /** Takes `amount` if it is available now; otherwise takes nothing and says how long until it would be. */
  tryTake(amount: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    this.#refill(now);
    if (amount <= this.#level) {
      this.#level -= amount;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((amount - this.#level) * 60_000) / this.perMinute) };
  }

  /** Gives back (positive) or takes more (negative), within [-perMinute, perMinute]. */
  adjust(amount: number, now: number): void {
    this.#refill(now);
    this.#level = Math.max(-this.perMinute, Math.min(this.perMinute, this.#level + amount));
  }

  /** Milliseconds until the bucket is full again (the `x-ratelimit-reset-*` value). */
  resetMs(now: number): number {
    this.#refill(now);
    return Math.ceil(((this.perMinute - this.#level) * 60_000) / this.perMinute);
  }

  /** Full and idle: forgetting it changes nothing. */
  full(now: number): boolean {
    return this.level(now) >= this.perMinute;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#level = Math.min(this.perMinute, this.#level + ((now - this.#at) * this.perMinute) / 60_000);
      this.#at = now;
    }
  }
}
