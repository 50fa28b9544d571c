import { describe, expect, it } from 'vitest';
import { LoopsPolicySchema } from '../catalog/policy-schemas.js';
import { AgentCallHistory } from './agent-call-history.js';
import { argsDigest } from './args-digest.js';
import { rulesFrom } from './rules.js';
import { FakeAgent, ids, rulesTripped } from './test-fixtures.js';

const everything = rulesFrom(LoopsPolicySchema.parse({ velocityFactor: 4 }));

describe('AgentCallHistory', () => {
  it('holds at most maxCalls calls however many it sees', () => {
    const agent = new FakeAgent(everything, { maxCalls: 256 });
    for (let i = 0; i < 10_000; i++) {
      agent.call(`tool${i % 7}`, `arg${i}`);
      agent.advance(1);
    }
    expect(agent.history.size).toBe(256);
  });

  it('drops calls older than every window in the rules', () => {
    const agent = new FakeAgent({ repetition: { threshold: 5, windowMs: 1_000 }, cycleRepetitions: 3, cycleWindowMs: 2_000 });
    agent.calls('a', 'b', 'c');
    agent.advance(2_000);
    agent.call('d');
    expect(agent.history.size).toBe(1);
  });

  it('keeps calls by count alone for a cycle rule without a window', () => {
    const agent = new FakeAgent({ cycleRepetitions: 2 }, { maxCalls: 32 });
    agent.calls('A', 'B', 'A', 'B', 'A');
    agent.advance(86_400_000);
    expect(rulesTripped([agent.call('B')])).toEqual([['cycle']]);
  });

  it('holds as many calls as a rule needs even above maxCalls, so a configured threshold can trip', () => {
    const agent = new FakeAgent({ repetition: { threshold: 10, windowMs: 60_000 } }, { maxCalls: 4 });
    const results = agent.calls(...new Array<string>(10).fill('search'));
    expect(rulesTripped(results).flat()).toEqual(['repetition']);
    expect(results[9]?.[0]?.evidence).toEqual(ids(1, 10));
  });

  it('reports every rule a call trips, repetition first', () => {
    const agent = new FakeAgent({ repetition: { threshold: 3, windowMs: 60_000 }, cycleRepetitions: 2 });
    const results = agent.calls('A', 'B', 'A', 'B', 'A', 'B');
    expect(rulesTripped(results)).toEqual([[], [], [], [], ['repetition'], ['repetition', 'cycle']]);
    expect(results[5]?.map((t) => t.evidence)).toEqual([['r2', 'r4', 'r6'], ids(1, 6)]);
  });

  it('reads time only from the calls, treating a call earlier than the previous one as simultaneous', () => {
    const agent = new FakeAgent({ repetition: { threshold: 2, windowMs: 1_000 } }, { now: 10_000 });
    agent.call('a');
    agent.now = 5_000; // a clock that stepped back must not extend the window nor break the order
    expect(rulesTripped([agent.call('a')])).toEqual([['repetition']]);
    expect(agent.history.lastCallAt).toBe(10_000);
    agent.now = 11_000;
    expect(agent.call('a')).toEqual([]);
  });

  it('applies the rules given with each call, so a reloaded catalog takes effect at once', () => {
    const agent = new FakeAgent({ repetition: { threshold: 5, windowMs: 60_000 } });
    expect(rulesTripped(agent.calls('a', 'a', 'a'))).toEqual([[], [], []]);
    agent.rules = { repetition: { threshold: 4, windowMs: 60_000 } };
    expect(rulesTripped([agent.call('a')])).toEqual([['repetition']]);
  });

  it('holds nothing while no rule needs history, so a rule switched on counts from then', () => {
    const agent = new FakeAgent({});
    agent.calls('a', 'a', 'a');
    expect(agent.history.size).toBe(0);
    agent.rules = { repetition: { threshold: 2, windowMs: 60_000 } };
    expect(rulesTripped(agent.calls('a', 'a'))).toEqual([[], ['repetition']]);
  });

  it('forgets every call on clear()', () => {
    const agent = new FakeAgent({ repetition: { threshold: 2, windowMs: 60_000 }, cycleRepetitions: 2 });
    agent.calls('A', 'B', 'A', 'B', 'A');
    agent.history.clear();
    expect(agent.history.size).toBe(0);
    expect(rulesTripped(agent.calls('B', 'A'))).toEqual([[], []]);
  });

  it('trips on the catalog defaults with real argument digests: the fifth identical call in a minute', () => {
    const history = new AgentCallHistory({});
    const rules = rulesFrom(LoopsPolicySchema.parse({}));
    const tripped = [];
    for (let i = 1; i <= 5; i++) {
      const digest = argsDigest(i % 2 ? { query: 'refund policy', limit: 5 } : { limit: 5, query: 'refund policy' });
      tripped.push(history.observe({ requestId: `r${i}`, target: 'kb__search', argsDigest: digest, at: i * 10_000 }, rules).map((t) => t.rule));
    }
    expect(tripped).toEqual([[], [], [], [], ['repetition']]);
    expect(history.lastCallAt).toBe(50_000);
  });

  it('refuses a maxCalls that is not a positive integer', () => {
    expect(() => new AgentCallHistory({ maxCalls: 0 })).toThrow(RangeError);
    expect(() => new AgentCallHistory({ maxCalls: 2.5 })).toThrow(RangeError);
    expect(new AgentCallHistory({}).lastCallAt).toBeUndefined();
  });
});
