import type { LoopsPolicy } from '../catalog/index.js';
import type { LoopRules } from './types.js';

/** The runaway-velocity windows when the rules name only a factor. */
export const DEFAULT_VELOCITY: Readonly<NonNullable<LoopRules['velocity']>> = Object.freeze({
  shortWindowMs: 10_000,
  baselineWindowMs: 600_000,
  minCalls: 20,
});

/**
 * The detector rules for a catalog `loops` section. A cycle counts only within the repetition
 * window, so an agent that repeats the same few calls once an hour is not looping.
 * `maxHopDepth`, `action` and `coolDownSeconds` are the policy's business, not the detectors'.
 */
export function rulesFrom(policy: LoopsPolicy): LoopRules {
  const windowMs = policy.repetition.windowSeconds * 1000;
  const rules: LoopRules = {
    repetition: { threshold: policy.repetition.threshold, windowMs },
    cycleRepetitions: policy.cycleRepetitions,
    cycleWindowMs: windowMs,
  };
  if (policy.velocityFactor !== undefined) {
    rules.velocityFactor = policy.velocityFactor;
    rules.velocity = { ...DEFAULT_VELOCITY };
  }
  return rules;
}
