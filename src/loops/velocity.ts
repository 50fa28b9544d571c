import type { CallRing } from './call-ring.js';
import { seconds } from './duration.js';
import type { CallRecord, Trip } from './types.js';

/**
 * The baseline rate (calls a second) assumed when the agent's own is lower or unknown: one call
 * every 10 s. A new agent, or one back from a long idle spell, has no baseline yet; without a
 * floor any first burst would be "infinitely" above it. The `minCalls` rule keeps a quiet
 * agent's first few calls from tripping.
 */
export const VELOCITY_FLOOR_PER_SECOND = 0.1;

/** Most request ids a velocity trip carries (the latest ones): the burst itself may be thousands of calls. */
export const MAX_VELOCITY_EVIDENCE = 64;

const BUCKET_MS = 1000;

/**
 * Per-second call counts over a short window (the latest seconds, the current one included) and
 * the baseline window just before it, in one ring of buckets with running sums: each call costs
 * O(1) plus one step for each second that passed since the previous call (at most the ring's
 * length). Windows are whole seconds, rounded up.
 */
export class VelocityMeter {
  readonly shortWindowMs: number;
  readonly baselineWindowMs: number;
  readonly #shortBuckets: number;
  readonly #baselineBuckets: number;
  readonly #counts: Uint32Array;
  #sec: number;
  #sinceSec: number;
  #shortSum = 0;
  #baselineSum = 0;

  constructor(shortWindowMs: number, baselineWindowMs: number, now: number) {
    this.shortWindowMs = shortWindowMs;
    this.baselineWindowMs = baselineWindowMs;
    this.#shortBuckets = Math.max(1, Math.ceil(shortWindowMs / BUCKET_MS));
    this.#baselineBuckets = Math.max(1, Math.ceil(baselineWindowMs / BUCKET_MS));
    this.#counts = new Uint32Array(this.#shortBuckets + this.#baselineBuckets);
    this.#sec = Math.floor(now / BUCKET_MS);
    this.#sinceSec = this.#sec;
  }

  /** Counts one call at `now` (not earlier than the previous one). */
  add(now: number): void {
    this.#advance(Math.floor(now / BUCKET_MS));
    const slot = this.#slot(this.#sec);
    this.#counts[slot] = (this.#counts[slot] as number) + 1;
    this.#shortSum++;
  }

  /** Calls in the short window. */
  get shortCount(): number {
    return this.#shortSum;
  }

  /** Calls a second in the short window. */
  get shortRate(): number {
    return this.#shortSum / this.#shortBuckets;
  }

  /**
   * The agent's own calls a second over the baseline window, averaged over the part of it the
   * meter has seen (at least one short window's length, so a single busy second is not a
   * baseline); null when it has seen none of it.
   */
  get baselineRate(): number | null {
    const end = this.#sec - this.#shortBuckets;
    const seen = end - Math.max(this.#sinceSec, end - this.#baselineBuckets + 1) + 1;
    if (seen <= 0) return null;
    return this.#baselineSum / Math.max(seen, this.#shortBuckets);
  }

  /**
   * After add(): trips when the short window holds at least `minCalls` calls at a rate above
   * `factor` × max(baseline, VELOCITY_FLOOR_PER_SECOND). `ring` holds the earlier calls for the
   * evidence; `call` is the one just counted.
   */
  check(ring: CallRing, call: CallRecord, now: number, factor: number, minCalls: number): Trip | null {
    if (this.#shortSum < minCalls) return null;
    const own = this.baselineRate;
    const baseline = own === null ? VELOCITY_FLOOR_PER_SECOND : Math.max(own, VELOCITY_FLOOR_PER_SECOND);
    const rate = this.shortRate;
    if (rate <= factor * baseline) return null;

    const since = now - this.shortWindowMs;
    let first = ring.nextSeq;
    const lowest = Math.max(ring.firstSeq, ring.nextSeq - (MAX_VELOCITY_EVIDENCE - 1));
    while (first > lowest && ring.atOf(first - 1) > since) first--;
    const evidence = new Array<string>(ring.nextSeq - first + 1);
    for (let seq = first; seq < ring.nextSeq; seq++) evidence[seq - first] = ring.idAt(seq);
    evidence[evidence.length - 1] = call.requestId;
    return {
      rule: 'velocity',
      message:
        `${this.#shortSum} calls in the last ${seconds(this.#shortBuckets * BUCKET_MS)} (${round(rate)}/s), ` +
        `over ${factor}× the agent's baseline of ${round(baseline)}/s`,
      evidence,
      details: {
        shortWindowMs: this.#shortBuckets * BUCKET_MS,
        baselineWindowMs: this.#baselineBuckets * BUCKET_MS,
        shortWindowCalls: this.#shortSum,
        ratePerSecond: rate,
        baselinePerSecond: baseline,
        baselineIsFloor: own === null || own < VELOCITY_FLOOR_PER_SECOND,
        factor,
      },
    };
  }

  #advance(sec: number): void {
    if (sec <= this.#sec) return;
    const length = this.#counts.length;
    if (sec - this.#sec >= length) {
      this.#counts.fill(0);
      this.#shortSum = 0;
      this.#baselineSum = 0;
      this.#sec = sec;
      return;
    }
    while (this.#sec < sec) {
      const next = ++this.#sec;
      // The bucket leaving the short window joins the baseline; the one leaving the baseline
      // shares its slot with the new current second.
      const intoBaseline = this.#counts[this.#slot(next - this.#shortBuckets)] as number;
      this.#shortSum -= intoBaseline;
      this.#baselineSum += intoBaseline;
      const slot = this.#slot(next);
      this.#baselineSum -= this.#counts[slot] as number;
      this.#counts[slot] = 0;
    }
  }

  #slot(sec: number): number {
    const length = this.#counts.length;
    return ((sec % length) + length) % length;
  }
}

function round(n: number): number {
  return Number(n.toPrecision(3));
}
