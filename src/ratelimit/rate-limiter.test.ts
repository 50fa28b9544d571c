import { describe, expect, it } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { AgentSpecSchema, type Agent } from '../catalog/index.js';
import { RateLimiter, type LimitRule } from './rate-limiter.js';

function agent(id: string, rateLimits?: Record<string, unknown>): Agent {
  const spec = AgentSpecSchema.parse(minimalAgent(id, rateLimits ? { rateLimits } : {}));
  return { ...spec, file: `/catalog/${id}.yaml`, secrets: new Map() } as unknown as Agent;
}

/** A limiter on a clock the test moves. */
function limiter(): { rl: RateLimiter; at: (ms: number) => void } {
  let t = 0;
  return { rl: new RateLimiter(() => t), at: (ms) => void (t = ms) };
}

/** Admits one request and returns whether it got in (the slot is released at once unless `keep`). */
function admit(rl: RateLimiter, a: Agent, kind: 'llm' | 'tool' | 'a2a', target: string | null): boolean {
  const r = rl.admitRequest(a.id, rl.rules(a, kind, target));
  if (r.ok) r.release();
  return r.ok;
}

function admitN(rl: RateLimiter, a: Agent, kind: 'llm' | 'tool' | 'a2a', target: string | null, n: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (admit(rl, a, kind, target)) admitted++;
  return admitted;
}

/** Tokens left in the rules' buckets, read by admitting zero tokens. */
function tokensLeft(rl: RateLimiter, a: Agent, rules: readonly LimitRule[]): number {
  const r = rl.admitTokens(a.id, rules, 0);
  if (!r.ok) throw new Error(`in debt: retry after ${r.refusal.retryAfterMs} ms`);
  return r.view!.remaining;
}

describe('RateLimiter.rules', () => {
  const bot = agent('bot', {
    requestsPerMinute: 10,
    perModel: { 'gpt-4*': { requestsPerMinute: 2 }, '*mini': { tokensPerMinute: 100 } },
    perTool: { 'github__*': { concurrent: 1 } },
  });

  it('applies the agent rule to every call, and per-model rules to LLM calls of matching models only', () => {
    const rl = new RateLimiter(() => 0);
    expect(rl.rules(bot, 'llm', 'gpt-4o-mini').map((r) => r.label)).toEqual(['agent', 'model gpt-4*', 'model *mini']);
    expect(rl.rules(bot, 'llm', 'gpt-4o').map((r) => r.label)).toEqual(['agent', 'model gpt-4*']);
    expect(rl.rules(bot, 'llm', 'llama').map((r) => r.label)).toEqual(['agent']);
    expect(rl.rules(bot, 'llm', null).map((r) => r.label)).toEqual(['agent']);
  });

  it('applies per-tool rules to tool calls only, never to a model or an A2A message of the same name', () => {
    const rl = new RateLimiter(() => 0);
    expect(rl.rules(bot, 'tool', 'github__issues').map((r) => r.key)).toEqual(['agent', 'tool:github__*']);
    expect(rl.rules(bot, 'tool', 'kb_search').map((r) => r.key)).toEqual(['agent']);
    expect(rl.rules(bot, 'llm', 'github__issues').map((r) => r.key)).toEqual(['agent']);
    expect(rl.rules(bot, 'a2a', 'github__issues').map((r) => r.key)).toEqual(['agent']);
    expect(rl.rules(bot, 'tool', 'gpt-4o').map((r) => r.key)).toEqual(['agent']);
  });

  it('has no rules for an agent without a rateLimits section', () => {
    expect(new RateLimiter(() => 0).rules(agent('plain'), 'llm', 'gpt-4o')).toEqual([]);
  });
});

describe('RateLimiter.admitRequest', () => {
  it('admits exactly requestsPerMinute at once and refuses the next, with the exact wait', () => {
    const { rl } = limiter();
    const bot = agent('bot', { requestsPerMinute: 3 });
    expect(admitN(rl, bot, 'llm', 'gpt-4o', 3)).toBe(3);
    const r = rl.admitRequest('bot', rl.rules(bot, 'llm', 'gpt-4o'));
    expect(r).toEqual({ ok: false, refusal: { rule: expect.objectContaining({ key: 'agent' }), what: 'requests', limit: 3, retryAfterMs: 20_000 } });
  });

  it('admits one more request per refilled unit, and a full minute restores the whole allowance', () => {
    const { rl, at } = limiter();
    const bot = agent('bot', { requestsPerMinute: 3 });
    expect(admitN(rl, bot, 'a2a', null, 4)).toBe(3);
    at(19_999);
    expect(admit(rl, bot, 'a2a', null)).toBe(false);
    at(20_000);
    expect(admitN(rl, bot, 'a2a', null, 2)).toBe(1);
    at(80_000);
    expect(admitN(rl, bot, 'a2a', null, 4)).toBe(3);
  });

  it('takes nothing from the other rules when one refuses', () => {
    const { rl } = limiter();
    const bot = agent('bot', { requestsPerMinute: 5, perModel: { 'gpt-4*': { requestsPerMinute: 2 } } });
    expect(admitN(rl, bot, 'llm', 'gpt-4o', 2)).toBe(2);
    // The agent rule admits (3 left) and the model rule refuses: the agent keeps its 3.
    const refused = rl.admitRequest('bot', rl.rules(bot, 'llm', 'gpt-4o'));
    expect(!refused.ok && refused.refusal).toMatchObject({ what: 'requests', limit: 2, rule: { label: 'model gpt-4*' } });
    expect(admitN(rl, bot, 'llm', 'llama', 4)).toBe(3);
  });

  it('shares a per-model or per-tool glob among every name it matches, and leaves other names to the agent rule', () => {
    const cases = [
      { kind: 'llm', limits: { perModel: { 'gpt-4*': { requestsPerMinute: 2 } } }, matching: ['gpt-4o', 'gpt-4.1', 'gpt-4-turbo'], other: 'llama' },
      { kind: 'tool', limits: { perTool: { 'github__*': { requestsPerMinute: 2 } } }, matching: ['github__issues', 'github__pulls', 'github__wiki'], other: 'kb_search' },
    ] as const;
    for (const c of cases) {
      const { rl } = limiter();
      const bot = agent('bot', c.limits);
      expect(c.matching.map((name) => admit(rl, bot, c.kind, name)), c.kind).toEqual([true, true, false]);
      expect(admitN(rl, bot, c.kind, c.other, 10), c.kind).toBe(10);
    }
  });

  it('counts requests in flight and frees a slot exactly once when one ends', () => {
    const { rl } = limiter();
    const bot = agent('bot', { concurrent: 2 });
    const rules = rl.rules(bot, 'tool', 'kb_search');
    const first = rl.admitRequest('bot', rules);
    const second = rl.admitRequest('bot', rules);
    expect(first.ok && second.ok).toBe(true);
    expect(rl.admitRequest('bot', rules)).toEqual({ ok: false, refusal: { rule: rules[0], what: 'concurrent', limit: 2, retryAfterMs: undefined } });
    if (!first.ok) throw new Error('unreachable');
    first.release();
    first.release(); // a second release of the same request must not free another slot
    const third = rl.admitRequest('bot', rules);
    expect(third.ok).toBe(true);
    expect(rl.admitRequest('bot', rules).ok).toBe(false);
    if (second.ok) second.release();
    if (third.ok) third.release();
    expect(admitN(rl, bot, 'tool', 'kb_search', 1)).toBe(1);
  });

  it('takes no request unit when concurrency refuses, and no slot when the request rate refuses', () => {
    const { rl } = limiter();
    const bot = agent('bot', { requestsPerMinute: 3, concurrent: 1, perModel: { 'gpt-4*': { requestsPerMinute: 1 } } });
    const held = rl.admitRequest('bot', rl.rules(bot, 'llm', 'gpt-4o'));
    expect(held.ok).toBe(true);
    expect(admit(rl, bot, 'llm', 'llama')).toBe(false); // in flight: refused
    expect(admit(rl, bot, 'llm', 'llama')).toBe(false);
    if (held.ok) held.release();
    expect(admit(rl, bot, 'llm', 'gpt-4o')).toBe(false); // model rate: refused, holds no slot
    // 3 a minute, 1 used: both refusals above took nothing.
    expect(admitN(rl, bot, 'llm', 'llama', 3)).toBe(2);
  });

  it('limits the concurrency of a per-tool glob separately from the agent', () => {
    const { rl } = limiter();
    const bot = agent('bot', { concurrent: 5, perTool: { 'github__*': { concurrent: 1 } } });
    const gh = rl.admitRequest('bot', rl.rules(bot, 'tool', 'github__issues'));
    expect(gh.ok).toBe(true);
    const refused = rl.admitRequest('bot', rl.rules(bot, 'tool', 'github__pulls'));
    expect(!refused.ok && refused.refusal).toMatchObject({ what: 'concurrent', rule: { label: 'tool github__*' } });
    const kb = rl.admitRequest('bot', rl.rules(bot, 'tool', 'kb_search'));
    expect(kb.ok).toBe(true);
  });

  it('keeps agents apart: one at its limit does not limit another', () => {
    const { rl } = limiter();
    const a = agent('alpha', { requestsPerMinute: 1, concurrent: 1 });
    const b = agent('beta', { requestsPerMinute: 1, concurrent: 1 });
    const held = rl.admitRequest('alpha', rl.rules(a, 'llm', 'gpt-4o'));
    expect(held.ok).toBe(true);
    expect(admit(rl, a, 'llm', 'gpt-4o')).toBe(false);
    expect(admit(rl, b, 'llm', 'gpt-4o')).toBe(true);
  });

  it('starts a fresh bucket when a catalog edit changes the limit, and keeps the bucket when it does not', () => {
    const { rl } = limiter();
    expect(admitN(rl, agent('bot', { requestsPerMinute: 2 }), 'llm', 'm', 3)).toBe(2);
    // Reloaded with the same limit: still spent.
    expect(admit(rl, agent('bot', { requestsPerMinute: 2 }), 'llm', 'm')).toBe(false);
    // Reloaded with another limit: a new allowance.
    expect(admitN(rl, agent('bot', { requestsPerMinute: 3 }), 'llm', 'm', 4)).toBe(3);
  });

  it('reports the tightest request bucket that applied', () => {
    const { rl } = limiter();
    const bot = agent('bot', { requestsPerMinute: 10, perModel: { 'gpt-4*': { requestsPerMinute: 3 } } });
    const r = rl.admitRequest('bot', rl.rules(bot, 'llm', 'gpt-4o'));
    expect(r.ok && r.view).toEqual({ limit: 3, remaining: 2, resetMs: 20_000 });
    const other = rl.admitRequest('bot', rl.rules(bot, 'llm', 'llama'));
    expect(other.ok && other.view).toEqual({ limit: 10, remaining: 8, resetMs: 12_000 });
    const onlyConcurrency = rl.admitRequest('carol', rl.rules(agent('carol', { concurrent: 1 }), 'llm', 'x'));
    expect(onlyConcurrency.ok && onlyConcurrency.view).toBeNull();
  });
});

describe('RateLimiter.admitTokens', () => {
  const bot = agent('bot', { tokensPerMinute: 1_000 });

  /** `tokens` admitted for bot on a fresh limiter. */
  function reserved(tokens: number) {
    const { rl, at } = limiter();
    const rules = rl.rules(bot, 'llm', 'gpt-4o');
    const r = rl.admitTokens('bot', rules, tokens);
    if (!r.ok) throw new Error('refused');
    return { ...r, at, left: () => tokensLeft(rl, bot, rules) };
  }

  it('takes the estimate, and settlement gives back what was not used', () => {
    const r = reserved(400);
    expect(r.view).toEqual({ limit: 1_000, remaining: 600, resetMs: 24_000 });
    r.settle(100);
    expect(r.left()).toBe(900);
    r.settle(0); // settled once: later calls change nothing
    expect(r.left()).toBe(900);
  });

  it('takes usage above the estimate too', () => {
    const r = reserved(400);
    r.settle(700);
    expect(r.left()).toBe(300);
  });

  it('keeps the estimate when usage is unknown', () => {
    const r = reserved(400);
    r.settle(undefined);
    expect(r.left()).toBe(600);
  });

  it('settles against the bucket as it has refilled since admission', () => {
    const r = reserved(1_000);
    r.at(30_000); // 500 refilled
    r.settle(200); // 800 given back, capped at the limit
    expect(r.left()).toBe(1_000);
  });

  it('leaves the bucket in debt of at most one minute after a large overrun, and the next request waits it out', () => {
    const { rl, at } = limiter();
    const rules = rl.rules(bot, 'llm', 'gpt-4o');
    const r = rl.admitTokens('bot', rules, 100);
    if (!r.ok) throw new Error('refused');
    r.settle(50_000);
    const next = rl.admitTokens('bot', rules, 1);
    expect(next).toEqual({ ok: false, refusal: expect.objectContaining({ what: 'tokens', limit: 1_000, retryAfterMs: 60_060 }) });
    at(60_060);
    expect(rl.admitTokens('bot', rules, 1).ok).toBe(true);
  });

  it('refuses tokens that do not fit yet with the exact wait, taking nothing', () => {
    const { rl, at } = limiter();
    const rules = rl.rules(bot, 'llm', 'gpt-4o');
    expect(rl.admitTokens('bot', rules, 900).ok).toBe(true);
    const r = rl.admitTokens('bot', rules, 400);
    expect(!r.ok && r.refusal).toMatchObject({ what: 'tokens', limit: 1_000, retryAfterMs: 18_000 });
    expect(tokensLeft(rl, bot, rules)).toBe(100);
    at(18_000);
    expect(rl.admitTokens('bot', rules, 400).ok).toBe(true);
  });

  it('refuses a request larger than the limit for good (no retry time), taking nothing from other rules', () => {
    const { rl } = limiter();
    const capped = agent('bot', { tokensPerMinute: 5_000, perModel: { 'gpt-4*': { tokensPerMinute: 1_000 } } });
    const rules = rl.rules(capped, 'llm', 'gpt-4o');
    const r = rl.admitTokens('bot', rules, 1_001);
    expect(!r.ok && r.refusal).toMatchObject({ what: 'tokens', limit: 1_000, retryAfterMs: undefined, rule: { label: 'model gpt-4*' } });
    expect(tokensLeft(rl, capped, rl.rules(capped, 'llm', 'llama'))).toBe(5_000);
    expect(rl.admitTokens('bot', rules, 1_000).ok).toBe(true);
  });

  it('admits any estimate when no rule limits tokens', () => {
    const { rl } = limiter();
    const r = rl.admitTokens('xavier', rl.rules(agent('xavier', { requestsPerMinute: 1 }), 'llm', 'gpt-4o'), 10_000_000);
    expect(r.ok && r.view).toBeNull();
  });
});

describe('RateLimiter.prune', () => {
  it('forgets only full buckets, so a spent allowance is never restored by forgetting it', () => {
    const { rl, at } = limiter();
    const fast = agent('fast', { requestsPerMinute: 60 });
    const slow = agent('slow', { requestsPerMinute: 1 });
    const debtor = agent('debtor', { tokensPerMinute: 600 });
    expect(admit(rl, fast, 'llm', 'm')).toBe(true);
    expect(admit(rl, slow, 'llm', 'm')).toBe(true);
    const t = rl.admitTokens('debtor', rl.rules(debtor, 'llm', 'm'), 10);
    if (!t.ok) throw new Error('refused');
    t.settle(1_200);
    expect(rl.size).toBe(3);
    at(1_000); // fast is full again; slow and debtor are not
    rl.prune();
    expect(rl.size).toBe(2);
    expect(admit(rl, slow, 'llm', 'm')).toBe(false);
    expect(rl.admitTokens('debtor', rl.rules(debtor, 'llm', 'm'), 1).ok).toBe(false);
    at(120_000);
    rl.prune();
    expect(rl.size).toBe(0);
  });
});
