import { describe, expect, it } from 'vitest';
import { LoopsPolicySchema } from '../catalog/policy-schemas.js';
import { NO_HOPS, type HopChain } from './hop-chain.js';
import { LoopGuard, THROTTLE_INTERVAL_MS } from './loop-guard.js';

const T = 1_700_000_000_000;
const MINUTE = 60_000;

const policy = (o: Record<string, unknown> = {}) => LoopsPolicySchema.parse(o);
const chain = (...hops: string[]): HopChain => ({ hops, overflow: false });

/** Calls to distinct targets, so the detectors stay quiet and only hop rules can trip. */
let seq = 0;
function call(at = T, target = `tool-${++seq}`, argsDigest = 'a') {
  return { requestId: `r-${seq}`, target, argsDigest, at };
}

describe('LoopGuard hop chain', () => {
  it('trips hop-cycle when the agent is already in the chain', () => {
    const guard = new LoopGuard();
    const c = call();
    const trips = guard.observe('bot', policy(), c, chain('planner', 'bot', 'writer'));
    expect(trips).toEqual([
      {
        rule: 'hop-cycle',
        message: "Agent bot is already in this request's chain (planner → bot → writer → bot)",
        evidence: [c.requestId],
        details: { chain: ['planner', 'bot', 'writer'] },
      },
    ]);
  });

  it('does not trip for a chain of other agents within the depth limit', () => {
    const guard = new LoopGuard();
    expect(guard.observe('bot', policy({ maxHopDepth: 3 }), call(), chain('planner', 'writer'))).toEqual([]);
    expect(guard.observe('bot', policy(), call(), NO_HOPS)).toEqual([]);
  });

  it('trips hop-depth when this hop makes the chain deeper than maxHopDepth', () => {
    const guard = new LoopGuard();
    const c = call();
    const trips = guard.observe('bot', policy({ maxHopDepth: 3 }), c, chain('a', 'b', 'c'));
    expect(trips).toEqual([
      {
        rule: 'hop-depth',
        message: 'The chain of agent calls is 4 hops deep, above the limit of 3',
        evidence: [c.requestId],
        details: { chain: ['a', 'b', 'c'], depth: 4, maxHopDepth: 3 },
      },
    ]);
  });

  it('counts a chain too long to carry as too deep, whatever the limit', () => {
    const guard = new LoopGuard();
    const trips = guard.observe('bot', policy({ maxHopDepth: 64 }), call(), { hops: [], overflow: true });
    expect(trips.map((t) => t.rule)).toEqual(['hop-depth']);
    expect(trips[0]?.message).toBe('The chain of agent calls is longer than can be carried, above the limit of 64');
  });

  it('reports both hop rules at once', () => {
    const guard = new LoopGuard();
    expect(guard.observe('bot', policy({ maxHopDepth: 1 }), call(), chain('bot')).map((t) => t.rule)).toEqual(['hop-cycle', 'hop-depth']);
  });
});

describe('LoopGuard detectors', () => {
  it('keeps one history per agent and passes the detectors’ trips on', () => {
    const guard = new LoopGuard();
    const p = policy({ repetition: { threshold: 3, windowSeconds: 60 } });
    const same = (id: string, agent: string) => guard.observe(agent, p, { requestId: id, target: 'search', argsDigest: 'x', at: T }, NO_HOPS);
    expect(same('a1', 'a')).toEqual([]);
    expect(same('b1', 'b')).toEqual([]);
    expect(same('a2', 'a')).toEqual([]);
    expect(same('b2', 'b')).toEqual([]);
    const trips = same('a3', 'a');
    expect(trips).toEqual([expect.objectContaining({ rule: 'repetition', evidence: ['a1', 'a2', 'a3'] })]);
  });

  it('reads a catalog edit (a new policy object) at once', () => {
    const guard = new LoopGuard();
    const same = (id: string, threshold: number) =>
      guard.observe('bot', policy({ repetition: { threshold, windowSeconds: 60 } }), { requestId: id, target: 'search', argsDigest: 'x', at: T }, NO_HOPS);
    expect(same('r1', 5)).toEqual([]);
    expect(same('r2', 5)).toEqual([]);
    expect(same('r3', 3).map((t) => t.rule)).toEqual(['repetition']);
  });
});

describe('LoopGuard cool-downs', () => {
  it('a block lasts until its end, then clears', () => {
    const guard = new LoopGuard();
    guard.startCoolDown('bot', 'block', T + 5_000, T);
    expect(guard.coolDown('bot', T)).toEqual({ action: 'block', until: T + 5_000, lastAllowedAt: T });
    expect(guard.coolDown('bot', T + 4_999)?.action).toBe('block');
    expect(guard.coolDown('bot', T + 5_000)).toBeUndefined();
    // Cleared, not merely hidden: asking about an earlier instant finds nothing either.
    expect(guard.coolDown('bot', T)).toBeUndefined();
    expect(guard.coolDown('other', T)).toBeUndefined();
  });

  it('a throttle lets one call per second through, counted from the call that tripped it', () => {
    const guard = new LoopGuard();
    guard.startCoolDown('bot', 'throttle', T + 10_000, T);
    const slot = (at: number) => guard.takeThrottleSlot(guard.coolDown('bot', at)!, at);
    expect(slot(T)).toBe(false);
    expect(slot(T + THROTTLE_INTERVAL_MS - 1)).toBe(false);
    expect(slot(T + THROTTLE_INTERVAL_MS)).toBe(true);
    expect(slot(T + THROTTLE_INTERVAL_MS + 1)).toBe(false);
    expect(slot(T + 1_999)).toBe(false);
    expect(slot(T + 5_000)).toBe(true);
    expect(slot(T + 5_999)).toBe(false);
    expect(guard.coolDown('bot', T + 10_000)).toBeUndefined();
  });

  it('never shortens a cool-down', () => {
    const guard = new LoopGuard();
    guard.startCoolDown('bot', 'block', T + 10_000, T);
    guard.startCoolDown('bot', 'block', T + 5_000, T + 1);
    expect(guard.coolDown('bot', T + 2)?.until).toBe(T + 10_000);
    guard.startCoolDown('bot', 'block', T + 20_000, T + 3);
    expect(guard.coolDown('bot', T + 4)?.until).toBe(T + 20_000);
  });

  it.each([
    ['a throttle does not weaken a block, only extends it', 'block', 10_000, 'throttle', 30_000, 'block', 30_000],
    ['a block replaces a throttle, keeping the later end', 'throttle', 30_000, 'block', 10_000, 'block', 30_000],
    ['a throttle extended by another trip keeps throttling', 'throttle', 10_000, 'throttle', 5_000, 'throttle', 10_000],
  ] as const)('%s', (_name, first, firstEnd, second, secondEnd, action, end) => {
    const guard = new LoopGuard();
    guard.startCoolDown('bot', first, T + firstEnd, T);
    guard.startCoolDown('bot', second, T + secondEnd, T + 1);
    expect(guard.coolDown('bot', T + 2)).toMatchObject({ action, until: T + end });
  });
});

describe('LoopGuard clear and prune', () => {
  const p = policy({ repetition: { threshold: 2, windowSeconds: 86_400 } });
  const same = (guard: LoopGuard, agent: string, id: string, at: number) => guard.observe(agent, p, { requestId: id, target: 'search', argsDigest: 'x', at }, NO_HOPS);

  it('clear forgets the agent’s history and cool-down', () => {
    const guard = new LoopGuard();
    same(guard, 'bot', 'r1', T);
    guard.startCoolDown('bot', 'block', T + MINUTE, T);
    guard.clear('bot');
    expect(guard.coolDown('bot', T + 1)).toBeUndefined();
    expect(same(guard, 'bot', 'r2', T + 2)).toEqual([]);
  });

  it('clear leaves other agents alone', () => {
    const guard = new LoopGuard();
    same(guard, 'a', 'a1', T);
    guard.startCoolDown('a', 'block', T + MINUTE, T);
    guard.clear('b');
    expect(guard.coolDown('a', T + 1)?.action).toBe('block');
    expect(same(guard, 'a', 'a2', T + 2).map((t) => t.rule)).toEqual(['repetition']);
  });

  it('prune drops the histories of agents quiet for more than 30 minutes, and only those', () => {
    const guard = new LoopGuard();
    same(guard, 'quiet', 'q1', T);
    same(guard, 'busy', 'b1', T + 10 * MINUTE);
    guard.prune(T + 30 * MINUTE + 1);
    // The quiet agent starts afresh; the busy one still remembers its first call.
    expect(same(guard, 'quiet', 'q2', T + 31 * MINUTE)).toEqual([]);
    expect(same(guard, 'busy', 'b2', T + 31 * MINUTE).map((t) => t.rule)).toEqual(['repetition']);
  });

  it('prune keeps an agent that called exactly 30 minutes ago', () => {
    const guard = new LoopGuard();
    same(guard, 'bot', 'r1', T);
    guard.prune(T + 30 * MINUTE);
    expect(same(guard, 'bot', 'r2', T + 30 * MINUTE).map((t) => t.rule)).toEqual(['repetition']);
  });

  it('prune keeps cool-downs that have not ended', () => {
    const guard = new LoopGuard();
    guard.startCoolDown('bot', 'block', T + 2 * 3_600_000, T);
    guard.prune(T + 3_600_000);
    expect(guard.coolDown('bot', T + 3_600_000)?.action).toBe('block');
  });
});
