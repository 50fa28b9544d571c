import type { GatewayError } from '../errors/gateway-error.js';
import { monotonicNow } from './clock.js';

/** One append() promise waiting for its commit. */
export interface Waiter {
  resolve(seq: number): void;
  reject(err: GatewayError): void;
  /** monotonicNow() ms after which the caller is answered AUDIT_UNAVAILABLE. */
  deadline: number;
  requestId: string;
}

/**
 * The sink's waiting appends, keyed by producer id, with the one deadline timer and the
 * flush() promises. Every waiter shares commitWaitMs and ids grow, so insertion order is
 * both id order and deadline order: the oldest waiter is always the first entry.
 */
export class Waiters {
  readonly #map = new Map<number, Waiter>();
  readonly #onExpired: (expired: Array<[id: number, waiter: Waiter]>) => void;
  #timer: NodeJS.Timeout | null = null;
  #flushes: Array<{ upto: number; resolve: () => void }> = [];

  /** `onExpired` gets the waiters whose deadline passed, already removed, oldest first. */
  constructor(onExpired: (expired: Array<[id: number, waiter: Waiter]>) => void) {
    this.#onExpired = onExpired;
  }

  get size(): number {
    return this.#map.size;
  }

  add(id: number, waiter: Waiter): void {
    this.#map.set(id, waiter);
    if (this.#timer === null) this.#arm();
  }

  /** Removes and returns the waiter of `id` (undefined when already answered). */
  take(id: number): Waiter | undefined {
    const w = this.#map.get(id);
    if (w !== undefined) this.#map.delete(id);
    return w;
  }

  /** Removes and returns every waiter. */
  takeAll(): Waiter[] {
    const all = [...this.#map.values()];
    this.#map.clear();
    return all;
  }

  /** Removes and returns every waiter with its id, oldest first. */
  takeAllEntries(): Array<[id: number, waiter: Waiter]> {
    const all = [...this.#map.entries()];
    this.#map.clear();
    return all;
  }

  /** Resolves once every waiter with id <= upto has been answered. */
  whenSettled(upto: number): Promise<void> {
    if (this.#map.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#flushes.push({ upto, resolve }));
  }

  /**
   * Call after answering waiters: arms the timer if none is armed and resolves finished flushes.
   * An armed timer stays when the waiters it was set for are answered: it fires at the latest
   * at the oldest remaining deadline (every later waiter's deadline is later still), and at
   * most once per commit wait with nothing to expire, instead of a timer made and cleared for
   * every append.
   */
  settled(): void {
    if (this.#timer === null && this.#map.size > 0) this.#arm();
    if (this.#flushes.length > 0) {
      const first = this.#map.keys().next();
      const oldest = first.done ? Infinity : first.value;
      this.#flushes = this.#flushes.filter((f) => (f.upto < oldest ? (f.resolve(), false) : true));
    }
  }

  stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  // One timer, for the oldest waiter.
  #arm(): void {
    const first = this.#map.values().next();
    if (first.done) return;
    // Unreferenced: the sink references its worker while appends wait, which keeps the process up.
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.value.deadline - monotonicNow())).unref();
  }

  #expire(): void {
    this.#timer = null;
    const now = monotonicNow();
    const expired: Array<[number, Waiter]> = [];
    for (const [id, w] of this.#map) {
      if (w.deadline > now) break;
      expired.push([id, w]);
    }
    for (const [id] of expired) this.#map.delete(id);
    if (expired.length > 0) this.#onExpired(expired);
    else this.settled(); // fired for waiters already answered: re-arm for the oldest remaining
  }
}
