export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker (an integer >= 1). */
  failureThreshold: number;
  /** How long the breaker stays open before it admits one probe. */
  openMs: number;
  /** Monotonic clock in ms; defaults to performance.now. */
  now?: () => number;
}

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const STATE_NAMES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/**
 * A per-target circuit breaker. Every attempt that got `true` from tryAcquire() must end in
 * exactly one of onSuccess(), onFailure() or release(); otherwise a half-open breaker keeps
 * its probe slot taken and never admits another caller.
 *
 * Verdicts carry no ticket, so the breaker cannot tell the probe's verdict from that of an
 * attempt admitted before the breaker opened. It therefore reads any verdict that arrives
 * while half-open as fresh news about the target, and ignores verdicts while open: the
 * cool-down always runs to its end and the probe decides.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  #state: typeof CLOSED | typeof OPEN | typeof HALF_OPEN = CLOSED;
  #consecutiveFailures = 0;
  #openedAt = 0;
  #probeInFlight = false;

  constructor(opts: CircuitBreakerOptions) {
    if (!Number.isInteger(opts.failureThreshold) || opts.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be an integer >= 1, got ${opts.failureThreshold}`);
    }
    if (!Number.isFinite(opts.openMs) || opts.openMs < 0) {
      throw new RangeError(`openMs must be a finite number >= 0, got ${opts.openMs}`);
    }
    this.#threshold = opts.failureThreshold;
    this.#openMs = opts.openMs;
    this.#now = opts.now ?? (() => performance.now());
  }

  get state(): BreakerState {
    this.#coolDown();
    return STATE_NAMES[this.#state]!;
  }

  /** Milliseconds until an open breaker lets a probe through (0 when it is not open). */
  msUntilProbe(): number {
    this.#coolDown();
    return this.#state === OPEN ? Math.max(0, this.#openedAt + this.#openMs - this.#now()) : 0;
  }

  /** True when the caller may send an attempt to this target now. */
  tryAcquire(): boolean {
    this.#coolDown();
    if (this.#state === CLOSED) return true;
    if (this.#state === OPEN || this.#probeInFlight) return false;
    this.#probeInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.#coolDown();
    if (this.#state === OPEN) return;
    this.#state = CLOSED;
    this.#consecutiveFailures = 0;
    this.#probeInFlight = false;
  }

  onFailure(): void {
    this.#coolDown();
    if (this.#state === OPEN) return;
    if (this.#state === HALF_OPEN) {
      this.#open();
      return;
    }
    this.#consecutiveFailures += 1;
    if (this.#consecutiveFailures >= this.#threshold) this.#open();
  }

  /**
   * Ends an acquired attempt that produced no verdict about the target (the client went
   * away first). Half-open, this frees the probe slot so the next caller probes instead.
   */
  release(): void {
    this.#coolDown();
    if (this.#state === HALF_OPEN) this.#probeInFlight = false;
  }

  #open(): void {
    this.#state = OPEN;
    this.#openedAt = this.#now();
    this.#probeInFlight = false;
  }

  /** Open turns half-open lazily, when someone next looks after the cool-down. */
  #coolDown(): void {
    if (this.#state === OPEN && this.#now() - this.#openedAt >= this.#openMs) {
      this.#state = HALF_OPEN;
      this.#probeInFlight = false;
    }
  }
}
