import { CallRing, callKey } from './call-ring.js';
import { CycleTracker, MAX_PERIOD } from './cycle.js';
import { checkRepetition } from './repetition.js';
import { DEFAULT_VELOCITY } from './rules.js';
import type { CallRecord, LoopRules, Trip } from './types.js';
import { VelocityMeter } from './velocity.js';

export const DEFAULT_MAX_CALLS = 256;

/**
 * One agent's recent calls and the loop detectors over them. Pure: no I/O and no clock of its
 * own (time is each call's `at`), so the policy owns one per agent and tests drive time.
 *
 * Memory is bounded: at most `maxCalls` calls, or more when the rules need more to be
 * decidable (a repetition threshold of 500, or 3 repeats of an 8-call cycle), so a configured
 * limit is never silently unreachable. Calls older than every window in the rules are dropped.
 */
export class AgentCallHistory {
  readonly #ring: CallRing;
  readonly #cycles = new CycleTracker();
  #velocity: VelocityMeter | null = null;
  #lastAt = -Infinity;

  constructor(opts: { maxCalls?: number } = {}) {
    const maxCalls = opts.maxCalls ?? DEFAULT_MAX_CALLS;
    if (!Number.isInteger(maxCalls) || maxCalls < 1) throw new RangeError(`maxCalls must be a positive integer, got ${maxCalls}`);
    this.#ring = new CallRing(maxCalls);
  }

  /** Checks the call against the history (without it) and then records it. Returns every rule it trips (usually none). */
  observe(call: CallRecord, rules: LoopRules): Trip[] {
    const now = Math.max(call.at, this.#lastAt);
    this.#lastAt = now;
    const ring = this.#ring;
    const needed = Math.max(rules.repetition?.threshold ?? 0, rules.cycleRepetitions === undefined ? 0 : (rules.cycleRepetitions + 1) * MAX_PERIOD);
    if (needed > ring.capacity) ring.grow(needed);
    const retention = retentionMs(rules);
    ring.dropUntil(now - retention);

    const key = callKey(call.target, call.argsDigest);
    this.#cycles.advance(ring, key);
    const trips: Trip[] = [];
    if (rules.repetition) {
      const trip = checkRepetition(ring, call, key, now, rules.repetition);
      if (trip) trips.push(trip);
    }
    if (rules.cycleRepetitions !== undefined) {
      const trip = this.#cycles.check(ring, call, now, rules.cycleRepetitions, rules.cycleWindowMs);
      if (trip) trips.push(trip);
    }
    if (rules.velocityFactor !== undefined) {
      const velocity = rules.velocity ?? DEFAULT_VELOCITY;
      const meter = this.#meter(velocity, now);
      meter.add(now);
      const trip = meter.check(ring, call, now, rules.velocityFactor, velocity.minCalls);
      if (trip) trips.push(trip);
    } else {
      this.#velocity = null;
    }
    if (retention > 0) ring.push(call.requestId, key, now);
    return trips;
  }

  /** Calls held. */
  get size(): number {
    return this.#ring.size;
  }

  /** Time of the latest call observed (for pruning idle agents' histories), undefined before any. */
  get lastCallAt(): number | undefined {
    return this.#lastAt === -Infinity ? undefined : this.#lastAt;
  }

  /** Forgets every call (e.g. when a suspended agent is resumed), so old loops do not trip again. */
  clear(): void {
    this.#ring.clear();
    this.#cycles.reset();
    this.#velocity = null;
  }

  /** The meter for these windows; a change of windows (catalog reload) starts a new baseline. */
  #meter(windows: NonNullable<LoopRules['velocity']>, now: number): VelocityMeter {
    const current = this.#velocity;
    if (current && current.shortWindowMs === windows.shortWindowMs && current.baselineWindowMs === windows.baselineWindowMs) return current;
    return (this.#velocity = new VelocityMeter(windows.shortWindowMs, windows.baselineWindowMs, now));
  }
}

/** How long a call must be held for the rules to see it; Infinity for a cycle rule without a window. */
function retentionMs(rules: LoopRules): number {
  let ms = 0;
  if (rules.repetition) ms = Math.max(ms, rules.repetition.windowMs);
  if (rules.cycleRepetitions !== undefined) ms = Math.max(ms, rules.cycleWindowMs ?? Infinity);
  if (rules.velocityFactor !== undefined) ms = Math.max(ms, (rules.velocity ?? DEFAULT_VELOCITY).shortWindowMs);
  return ms;
}
