import { describe, expect, it } from 'vitest';
import { FakeAgent, ids, rulesTripped } from './test-fixtures.js';

const rules = { repetition: { threshold: 3, windowMs: 1_000 } };

describe('repetition', () => {
  it('trips on the threshold-th identical call, not before, with those calls as evidence', () => {
    const agent = new FakeAgent(rules);
    expect(agent.call('search')).toEqual([]);
    agent.advance(100);
    expect(agent.call('search')).toEqual([]);
    agent.advance(100);
    const [trip, ...more] = agent.call('search');
    expect(more).toEqual([]);
    expect(trip).toMatchObject({
      rule: 'repetition',
      evidence: ['r1', 'r2', 'r3'],
      details: { target: 'search', argsDigest: 'same', count: 3, windowMs: 1_000 },
    });
    expect(trip?.message).toBe('3 identical calls to search within 1 s');
  });

  it('counts a call less than windowMs old and not one exactly windowMs old', () => {
    const inside = new FakeAgent(rules);
    inside.calls('search', 'search');
    inside.advance(999);
    expect(rulesTripped([inside.call('search')])).toEqual([['repetition']]);

    const expired = new FakeAgent(rules);
    expired.call('search');
    expired.advance(1);
    expired.call('search');
    expired.advance(999); // the first call is now exactly 1,000 ms old
    expect(expired.call('search')).toEqual([]);
    expect(rulesTripped([expired.call('search')])).toEqual([['repetition']]);
  });

  it('stops tripping once the window has passed, and counts afresh', () => {
    const agent = new FakeAgent(rules);
    expect(rulesTripped(agent.calls('search', 'search', 'search'))).toEqual([[], [], ['repetition']]);
    agent.advance(1_000);
    expect(rulesTripped(agent.calls('search', 'search', 'search'))).toEqual([[], [], ['repetition']]);
    expect(agent.call('search')[0]?.evidence).toEqual(ids(5, 7));
  });

  it('keeps tripping while the calls go on, each time naming the latest threshold calls', () => {
    const agent = new FakeAgent(rules);
    const results = agent.calls('search', 'search', 'search', 'search', 'search');
    expect(results.map((trips) => trips[0]?.evidence)).toEqual([undefined, undefined, ids(1, 3), ids(2, 4), ids(3, 5)]);
  });

  it('does not count a call to the same target with other arguments, nor the same arguments to another target', () => {
    const agent = new FakeAgent({ repetition: { threshold: 2, windowMs: 1_000 } });
    expect(rulesTripped(agent.calls('search:x', 'search:y', 'fetch:x', 'search:z', 'fetch:y'))).toEqual([[], [], [], [], []]);
    const [trip] = agent.call('search', 'x');
    expect(trip?.evidence).toEqual(['r1', 'r6']);
  });

  it('finds identical calls interleaved with many others without counting the others', () => {
    const agent = new FakeAgent({ repetition: { threshold: 3, windowMs: 60_000 } });
    const results = agent.calls('a', 'b:1', 'b:2', 'a', 'c', 'b:3', 'd', 'a');
    expect(rulesTripped(results)).toEqual([[], [], [], [], [], [], [], ['repetition']]);
    expect(results[7]?.[0]?.evidence).toEqual(['r1', 'r4', 'r8']);
  });

  it('does not count identical calls that have left a full history', () => {
    const agent = new FakeAgent(rules, { maxCalls: 4 });
    agent.calls('search', 'search', 'a', 'b', 'c');
    expect(agent.call('search')).toEqual([]); // r1 was dropped to make room for c: 2, not 3
    expect(agent.call('search')).toEqual([]); // r2 was dropped for r6
    expect(agent.call('search')[0]?.evidence).toEqual(ids(6, 8));
  });
});
