import { describe, expect, it } from 'vitest';
import { FakeAgent, ids, rulesTripped } from './test-fixtures.js';

const twice = { cycleRepetitions: 2 };

/** The call (1-based) at which each trip happened. */
function tripsAt(results: ReturnType<FakeAgent['calls']>): number[] {
  return results.flatMap((trips, i) => (trips.length ? [i + 1] : []));
}

describe('cycle', () => {
  it('trips A,B,A,B,A,B on the sixth call (three repetitions of A,B with 2 allowed), not before', () => {
    const agent = new FakeAgent(twice);
    const results = agent.calls('A', 'B', 'A', 'B', 'A', 'B');
    expect(tripsAt(results)).toEqual([6]);
    const [trip, ...more] = results[5] ?? [];
    expect(more).toEqual([]);
    expect(trip).toMatchObject({
      rule: 'cycle',
      evidence: ids(1, 6),
      details: { period: 2, repetitions: 3, pattern: ['A', 'B'] },
    });
    expect(trip?.message).toBe('a cycle of 2 calls (A → B) repeated 3 times with the same arguments');
  });

  it('trips A,B,C,A,B,C,A,B,C on the ninth call, not before', () => {
    const agent = new FakeAgent(twice);
    const results = agent.calls('A', 'B', 'C', 'A', 'B', 'C', 'A', 'B', 'C');
    expect(tripsAt(results)).toEqual([9]);
    expect(results[8]?.[0]).toMatchObject({ evidence: ids(1, 9), details: { period: 3, pattern: ['A', 'B', 'C'] } });
  });

  it('allows exactly cycleRepetitions repetitions', () => {
    const agent = new FakeAgent({ cycleRepetitions: 3 });
    expect(tripsAt(agent.calls('A', 'B', 'A', 'B', 'A', 'B'))).toEqual([]);
    expect(tripsAt(agent.calls('A', 'B'))).toEqual([2]);
  });

  it('keeps tripping while the cycle goes on, naming the latest repetitions', () => {
    const agent = new FakeAgent(twice);
    const results = agent.calls('A', 'B', 'A', 'B', 'A', 'B', 'A', 'B');
    expect(results.map((trips) => trips[0]?.evidence)).toEqual([...new Array(5).fill(undefined), ids(1, 6), ids(2, 7), ids(3, 8)]);
    expect(results[6]?.[0]?.details).toMatchObject({ pattern: ['B', 'A'] });
  });

  it('does not trip when a repetition brings new arguments, and counts afresh from there', () => {
    const agent = new FakeAgent(twice);
    const results = agent.calls('A', 'B:1', 'A', 'B:2', 'A', 'B:2', 'A', 'B:2');
    // A,B:1 then A,B:2 three times: the repeats start at r3.
    expect(tripsAt(results)).toEqual([8]);
    expect(results[7]?.[0]?.evidence).toEqual(ids(3, 8));
  });

  it('does not trip a cycle whose calls differ only in arguments', () => {
    const agent = new FakeAgent(twice);
    expect(tripsAt(agent.calls('A:1', 'B:1', 'A:2', 'B:2', 'A:3', 'B:3', 'A:4', 'B:4'))).toEqual([]);
  });

  it('leaves the same call over and over to the repetition rule', () => {
    const agent = new FakeAgent(twice);
    expect(tripsAt(agent.calls('A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'))).toEqual([]);
  });

  it('reports a cycle with a repeated call inside (A,B,B,B) as period 4, not as B repeating', () => {
    const agent = new FakeAgent(twice);
    const results = agent.calls(...'ABBBABBBABBB'.split(''));
    expect(tripsAt(results)).toEqual([12]);
    expect(results[11]?.[0]?.details).toMatchObject({ period: 4, pattern: ['A', 'B', 'B', 'B'] });
  });

  it('reports A,B repeated as period 2 even when period 4 also repeats enough', () => {
    const agent = new FakeAgent(twice);
    const results = agent.calls(...'ABABABABABABAB'.split(''));
    expect(results.flat().map((t) => t.details['period'])).toEqual(new Array(9).fill(2));
  });

  it('finds cycles of up to 8 calls and none longer', () => {
    const eight = new FakeAgent(twice);
    expect(tripsAt(eight.calls(...'ABCDEFGH'.repeat(3).split('')))).toEqual([24]);
    const nine = new FakeAgent(twice);
    expect(tripsAt(nine.calls(...'ABCDEFGHI'.repeat(4).split('')))).toEqual([]);
  });

  it('counts only repetitions within cycleWindowMs (a call exactly that old is out)', () => {
    const spaced = (gapMs: number) => {
      const agent = new FakeAgent({ cycleRepetitions: 2, cycleWindowMs: 5_000 });
      return tripsAt(
        'ABABAB'.split('').map((c) => {
          const trips = agent.call(c);
          agent.advance(gapMs);
          return trips;
        }),
      );
    };
    expect(spaced(999)).toEqual([6]); // the span is 4,995 ms
    expect(spaced(1_000)).toEqual([]); // the span is 5,000 ms: r1 is out
  });

  it('sees through interleaved calls only when they are part of the pattern', () => {
    const agent = new FakeAgent(twice);
    const results = agent.calls('A', 'B', 'A', 'C', 'A', 'B', 'A', 'C', 'A', 'B', 'A', 'C');
    expect(tripsAt(results)).toEqual([12]);
    expect(rulesTripped([results[11] ?? []])).toEqual([['cycle']]);
    expect(results[11]?.[0]?.details).toMatchObject({ period: 4, pattern: ['A', 'B', 'A', 'C'] });
  });

  it('trips cycleRepetitions 100 of an 8-call cycle even with a small maxCalls', () => {
    const agent = new FakeAgent({ cycleRepetitions: 100 }, { maxCalls: 16 });
    const results = agent.calls(...'ABCDEFGH'.repeat(101).split(''));
    expect(tripsAt(results)).toEqual([808]);
    expect(results[807]?.[0]?.evidence).toEqual(ids(1, 808));
  });
});
