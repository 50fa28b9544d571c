import { describe, expect, it } from 'vitest';
import { LoopsPolicySchema } from '../catalog/policy-schemas.js';
import { DEFAULT_VELOCITY, rulesFrom } from './rules.js';

describe('rulesFrom', () => {
  it('turns `loops: {}` into the catalog defaults: 5 identical calls in 60 s, cycles repeated more than 3 times within 60 s, no velocity', () => {
    expect(rulesFrom(LoopsPolicySchema.parse({}))).toEqual({
      repetition: { threshold: 5, windowMs: 60_000 },
      cycleRepetitions: 3,
      cycleWindowMs: 60_000,
    });
  });

  it('converts seconds to milliseconds and bounds cycles by the repetition window', () => {
    const rules = rulesFrom(LoopsPolicySchema.parse({ repetition: { threshold: 2, windowSeconds: 5 }, cycleRepetitions: 7 }));
    expect(rules.repetition).toEqual({ threshold: 2, windowMs: 5_000 });
    expect(rules.cycleRepetitions).toBe(7);
    expect(rules.cycleWindowMs).toBe(5_000);
  });

  it('turns velocity on with the default windows when a velocityFactor is declared', () => {
    const rules = rulesFrom(LoopsPolicySchema.parse({ velocityFactor: 4 }));
    expect(rules.velocityFactor).toBe(4);
    expect(rules.velocity).toEqual({ shortWindowMs: 10_000, baselineWindowMs: 600_000, minCalls: 20 });
    expect(rules.velocity).not.toBe(DEFAULT_VELOCITY);
  });
});
