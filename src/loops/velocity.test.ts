import { describe, expect, it } from 'vitest';
import { FakeAgent, ids } from './test-fixtures.js';
import { MAX_VELOCITY_EVIDENCE, VELOCITY_FLOOR_PER_SECOND, VelocityMeter } from './velocity.js';

const rules = { velocityFactor: 4, velocity: { shortWindowMs: 10_000, baselineWindowMs: 600_000, minCalls: 20 } };

/** Calls `n` times, `gapMs` apart; returns the 1-based indexes (within these n) of the calls that tripped. */
function burst(agent: FakeAgent, n: number, gapMs: number, target = 'search'): number[] {
  const tripped: number[] = [];
  for (let i = 1; i <= n; i++) {
    if (agent.call(target, `arg${i}`).length) tripped.push(i);
    agent.advance(gapMs);
  }
  return tripped;
}

describe('VelocityMeter', () => {
  it('counts calls in the short window and moves older seconds into the baseline', () => {
    const meter = new VelocityMeter(10_000, 60_000, 0);
    for (let t = 0; t < 20_000; t += 500) meter.add(t); // 2 calls a second for 20 s
    expect(meter.shortCount).toBe(20); // seconds 10..19
    expect(meter.shortRate).toBe(2);
    expect(meter.baselineRate).toBe(2); // seconds 0..9
  });

  it('has no baseline until a second has left the short window', () => {
    const meter = new VelocityMeter(10_000, 60_000, 0);
    meter.add(0);
    meter.add(9_999);
    expect(meter.baselineRate).toBeNull();
    meter.add(10_000);
    expect(meter.shortCount).toBe(2);
    expect(meter.baselineRate).toBe(1 / 10); // one call, averaged over at least one short window
  });

  it('averages the baseline over the part of the baseline window it has seen, and forgets what left it', () => {
    const meter = new VelocityMeter(10_000, 60_000, 0);
    for (let t = 0; t < 30_000; t += 1_000) meter.add(t); // one a second for 30 s
    expect(meter.baselineRate).toBe(1); // 20 calls over the 20 s seen
    meter.add(100_000); // seconds 0..29 have left both windows
    expect(meter.shortCount).toBe(1);
    expect(meter.baselineRate).toBe(0);
  });

  it('starts over after an idle spell longer than both windows', () => {
    const meter = new VelocityMeter(2_000, 3_000, 0);
    for (let i = 0; i < 50; i++) meter.add(0);
    meter.add(3_600_000);
    expect(meter.shortCount).toBe(1);
    expect(meter.baselineRate).toBe(0);
  });
});

describe('velocity', () => {
  it('trips a new agent on its minCalls-th call in the short window, judged against the floor baseline', () => {
    const agent = new FakeAgent(rules);
    expect(burst(agent, 20, 50)).toEqual([20]);
    const [trip] = agent.call('search', 'more');
    expect(trip).toMatchObject({
      rule: 'velocity',
      evidence: ids(1, 21),
      details: { shortWindowCalls: 21, baselinePerSecond: VELOCITY_FLOOR_PER_SECOND, baselineIsFloor: true, factor: 4 },
    });
    expect(trip?.message).toBe("21 calls in the last 10 s (2.1/s), over 4× the agent's baseline of 0.1/s");
  });

  it("does not trip a quiet agent's first small burst", () => {
    const agent = new FakeAgent({ velocityFactor: 2 }); // default windows, minCalls 20
    expect(burst(agent, 3, 0)).toEqual([]);
    expect(burst(agent, 16, 0)).toEqual([]);
    expect(burst(agent, 1, 0)).toEqual([1]);
  });

  it('does not count calls that have left the short window', () => {
    const agent = new FakeAgent(rules, { now: 0 });
    expect(burst(agent, 19, 0)).toEqual([]);
    agent.advance(10_000);
    expect(burst(agent, 1, 0)).toEqual([]);
  });

  it('trips an established agent only above factor × its own baseline, at the exact call', () => {
    // minCalls 30 keeps the steady 20 calls per short window clear of the new-agent floor.
    const agent = new FakeAgent({ ...rules, velocity: { ...rules.velocity, minCalls: 30 } }, { now: 0 });
    // Two calls a second for ten minutes: steady, never a trip.
    expect(burst(agent, 1_200, 500)).toEqual([]);
    // Now t = 600 s. The short window (seconds 591..600) holds 18 of those calls; the baseline
    // (seconds 0..590) is 2/s, so the limit is 8/s: 80 calls in 10 s. The 63rd extra call is the 81st.
    const results = burst(agent, 70, 0);
    expect(results[0]).toBe(63);
    const [trip] = agent.call('search', 'last');
    expect(trip?.details).toMatchObject({ baselinePerSecond: 2, baselineIsFloor: false, shortWindowCalls: 89 });
    expect(trip?.evidence).toEqual(ids(1_271 - MAX_VELOCITY_EVIDENCE + 1, 1_271));
  });

  it('trips a new agent that starts fast only until it has a few seconds of baseline', () => {
    const agent = new FakeAgent(rules, { now: 0 });
    // Two calls a second from the start (2/s in the short window from the 20th call on). Judged
    // against the floor at t = 9.5 s, then 0.2/s and 0.4/s of baseline (2 and 4 calls averaged
    // over 10 s): all below 2/s ÷ 4. From t = 12.5 s the baseline is 0.6/s and clears it.
    expect(burst(agent, 100, 500)).toEqual([20, 22, 24]);
  });

  it('uses the floor when the agent’s own baseline is lower', () => {
    const agent = new FakeAgent(rules, { now: 0 });
    expect(burst(agent, 10, 60_000)).toEqual([]); // one call a minute
    const tripped = burst(agent, 20, 0);
    expect(tripped).toEqual([20]);
  });

  it('treats a burst at the same rate as the baseline as no burst', () => {
    const agent = new FakeAgent({ ...rules, velocityFactor: 1.5 }, { now: 0 });
    burst(agent, 600, 100); // ten a second for a minute: a baseline
    expect(burst(agent, 6_000, 100)).toEqual([]); // and ten minutes more
  });

  it('starts a new baseline when the windows change', () => {
    const agent = new FakeAgent(rules, { now: 0 });
    burst(agent, 1_200, 500); // baseline 2/s
    agent.rules = { ...rules, velocity: { ...rules.velocity, shortWindowMs: 5_000 } };
    // Against the old baseline 35 calls in 5 s (7/s) would pass; against the floor they trip at 20.
    expect(burst(agent, 35, 0)[0]).toBe(20);
  });
});
