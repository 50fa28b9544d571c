import type { LatencyTracker } from './latency-tracker.js';

export type RouteStrategy = 'fallback' | 'weighted' | 'cheapest' | 'latency';

export interface RouteCandidate {
  key: string;
  /** Relative share for 'weighted'; 0 (or less) means "only as a fallback". */
  weight: number;
  /** USD per 1M tokens or any comparable number; undefined = unknown price. */
  price?: number;
}

export interface OrderEnv {
  /** Uniform in [0, 1), like Math.random. */
  random: () => number;
  latency?: LatencyTracker;
}

/**
 * The order in which to try an alias's targets. Always a new array holding every candidate
 * once, so a failure can fall through to every other target; the input is never mutated.
 */
export function orderCandidates<T extends RouteCandidate>(candidates: readonly T[], strategy: RouteStrategy, env: OrderEnv): T[] {
  const ordered = candidates.slice();
  if (ordered.length < 2) return ordered;
  switch (strategy) {
    case 'fallback':
      return ordered;
    case 'weighted':
      return weightedOrder(ordered, env.random);
    case 'cheapest':
      // Array.prototype.sort is stable, so equal prices keep config order.
      return ordered.sort(byPrice);
    case 'latency':
      return env.latency ? ordered.sort(byLatency(env.latency)) : ordered;
  }
}

function byPrice(a: RouteCandidate, b: RouteCandidate): number {
  return compareKnown(a.price, b.price, 1);
}

/** Unmeasured targets first, so each one gets measured; then the fastest. */
function byLatency(tracker: LatencyTracker): (a: RouteCandidate, b: RouteCandidate) => number {
  return (a, b) => compareKnown(tracker.estimate(a.key), tracker.estimate(b.key), -1);
}

/** Ascending among known numbers; an unknown (undefined, NaN) sorts after them if
 * `unknownSide` is 1, before them if -1; two unknowns tie. */
function compareKnown(a: number | undefined, b: number | undefined, unknownSide: 1 | -1): number {
  const aKnown = a !== undefined && Number.isFinite(a);
  const bKnown = b !== undefined && Number.isFinite(b);
  if (aKnown && bKnown) return a - b;
  if (aKnown === bKnown) return 0;
  return aKnown ? -unknownSide : unknownSide;
}

function positiveWeight(c: RouteCandidate): number {
  return c.weight > 0 && Number.isFinite(c.weight) ? c.weight : 0;
}

/**
 * Weighted random order without replacement, in place: positive weights first (each pick
 * drawn in proportion to weight among those left), then zero weights in config order.
 * Quadratic in the number of targets, which is a handful per alias; no extra allocation.
 */
function weightedOrder<T extends RouteCandidate>(items: T[], random: () => number): T[] {
  // Stable partition: positives to the front, zero weights behind in their config order.
  let positives = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (positiveWeight(item) === 0) continue;
    for (let j = i; j > positives; j--) items[j] = items[j - 1]!;
    items[positives++] = item;
  }
  for (let start = 0; start < positives - 1; start++) {
    let total = 0;
    for (let i = start; i < positives; i++) total += positiveWeight(items[i]!);
    let target = random() * total;
    // If rounding leaves `target` at or past the sum, the last remaining item is the pick.
    let pick = positives - 1;
    for (let i = start; i < positives; i++) {
      target -= positiveWeight(items[i]!);
      if (target < 0) {
        pick = i;
        break;
      }
    }
    const chosen = items[pick]!;
    items[pick] = items[start]!;
    items[start] = chosen;
  }
  return items;
}
