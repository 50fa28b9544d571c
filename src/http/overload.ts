import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * Load shedding instead of unbounded queueing: a global cap on requests in flight, and a
 * lag detector that trips while the event loop's p99 delay stays above a threshold (the
 * process is then too busy to answer in time, so refusing fast is kinder than queueing).
 */
export class OverloadGuard {
  readonly maxInFlight: number;
  readonly maxDelayMs: number;
  #inFlight = 0;
  #lagging = false;
  #lastP99Ms = 0;
  readonly #hist: IntervalHistogram;
  readonly #timer: NodeJS.Timeout;

  constructor(opts: { maxInFlight: number; maxEventLoopDelayMs: number; sampleEveryMs?: number }) {
    this.maxInFlight = opts.maxInFlight;
    this.maxDelayMs = opts.maxEventLoopDelayMs;
    this.#hist = monitorEventLoopDelay({ resolution: 10 });
    this.#hist.enable();
    this.#timer = setInterval(() => this.#sample(), opts.sampleEveryMs ?? 500);
    this.#timer.unref();
  }

  #sample(): void {
    this.#lastP99Ms = this.#hist.percentile(99) / 1e6;
    this.#lagging = this.#lastP99Ms > this.maxDelayMs;
    this.#hist.reset();
  }

  /** Why a new request must be refused right now, or null to admit it. */
  refuse(): 'in-flight' | 'event-loop-lag' | null {
    if (this.#lagging) return 'event-loop-lag';
    if (this.#inFlight >= this.maxInFlight) return 'in-flight';
    return null;
  }

  enter(): void {
    this.#inFlight++;
  }

  leave(): void {
    this.#inFlight--;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get lagging(): boolean {
    return this.#lagging;
  }

  get eventLoopP99Ms(): number {
    return this.#lastP99Ms;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#hist.disable();
  }
}
