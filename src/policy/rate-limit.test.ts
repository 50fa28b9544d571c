import { describe, expect, it } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { GOVERNED_AS } from '../pipeline/call-kind.js';
import { makeContext } from '../../test/helpers/context.js';
import { AgentSpecSchema, type Agent } from '../catalog/index.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Principal, RequestContext } from '../pipeline/context.js';
import type { Decision, Outcome } from '../pipeline/policy.js';
import { REQUESTS_VIEW } from '../ratelimit/headers.js';
import { RateLimiter } from '../ratelimit/rate-limiter.js';
import { createRateLimitPolicy } from './rate-limit.js';

function principal(rateLimits?: Record<string, unknown>, id = 'bot'): Principal {
  const spec = AgentSpecSchema.parse(minimalAgent(id, rateLimits ? { rateLimits } : {}));
  return { kind: 'agent', agentId: id, keyId: 'k1', agent: { ...spec, file: `/catalog/${id}.yaml`, secrets: new Map() } as unknown as Agent };
}

const toolCall = (who: Principal | null, tool = 'kb_search', action = 'tools/call'): RequestContext =>
  makeContext({ channel: 'mcp', action, target: tool, principal: who });
const llmCall = (who: Principal | null, model = 'gpt-4o', action = 'chat.completions'): RequestContext =>
  makeContext({ channel: 'llm', action, target: model, principal: who });

const DONE: Outcome = { ok: true, status: 200, forwarded: true };

/** A policy on a limiter whose clock the test moves. */
function setup() {
  let t = 0;
  const limiter = new RateLimiter(() => t);
  const policy = createRateLimitPolicy({ rateLimiter: limiter });
  return { limiter, at: (ms: number) => void (t = ms), decide: (ctx: RequestContext) => policy.request!(ctx) as Decision };
}

function denial(d: Decision): GatewayError {
  if (d.kind !== 'deny') throw new Error('expected a denial');
  return d.error;
}

describe('rate-limit policy', () => {
  it('admits requestsPerMinute calls and refuses the next with RATE_LIMITED, Retry-After and a message naming the rule', () => {
    const { decide } = setup();
    const bot = principal({ requestsPerMinute: 2 });
    expect(decide(toolCall(bot)).kind).toBe('allow');
    expect(decide(llmCall(bot)).kind).toBe('allow');
    const d = decide(toolCall(bot));
    const err = denial(d);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.httpStatus).toBe(429);
    expect(err.headers).toEqual({ 'retry-after': '30', 'retry-after-ms': '30000' });
    expect(err.message).toBe('Rate limit of 2 requests per minute reached (agent) for agent bot');
    expect(err.details).toEqual({ limit: 'requests', scope: 'agent' });
    expect(d.kind === 'deny' && d.reason).toBe('requests limit 2 (agent)');
  });

  it('admits again once the bucket has refilled', () => {
    const { decide, at } = setup();
    const bot = principal({ requestsPerMinute: 2 });
    decide(toolCall(bot));
    decide(toolCall(bot));
    at(29_999);
    expect(decide(toolCall(bot)).kind).toBe('deny');
    at(30_000);
    expect(decide(toolCall(bot)).kind).toBe('allow');
    expect(decide(toolCall(bot)).kind).toBe('deny');
  });

  it('never sends Retry-After: 0 for a wait under a second', () => {
    const { decide, at } = setup();
    const bot = principal({ requestsPerMinute: 60 });
    for (let i = 0; i < 60; i++) decide(toolCall(bot));
    at(500);
    expect(denial(decide(toolCall(bot))).headers).toEqual({ 'retry-after': '1', 'retry-after-ms': '500' });
  });

  it('names the per-model or per-tool rule that refused', () => {
    const { decide } = setup();
    const bot = principal({ perModel: { 'gpt-4*': { requestsPerMinute: 1 } }, perTool: { 'github__*': { requestsPerMinute: 1 } } });
    decide(llmCall(bot, 'gpt-4o'));
    const model = denial(decide(llmCall(bot, 'gpt-4.1')));
    expect(model.message).toBe('Rate limit of 1 requests per minute reached (model gpt-4*) for agent bot');
    expect(model.details).toEqual({ limit: 'requests', scope: 'model gpt-4*' });
    decide(toolCall(bot, 'github__issues'));
    expect(denial(decide(toolCall(bot, 'github__pulls'))).message).toContain('(tool github__*)');
    expect(decide(toolCall(bot, 'kb_search')).kind).toBe('allow');
    expect(decide(llmCall(bot, 'llama')).kind).toBe('allow');
  });

  it("applies per-tool rules to resource reads under the name authorize-target governs them as, not the URI", () => {
    const { decide } = setup();
    const bot = principal({ perTool: { 'github__*': { requestsPerMinute: 1 } } });
    const read = (uri: string) => makeContext({ channel: 'mcp', action: 'resources/read', target: uri, principal: bot, annotations: { [GOVERNED_AS]: 'github__readme' } });
    expect(decide(read('github+repo://readme')).kind).toBe('allow');
    expect(denial(decide(read('github+REPO://readme'))).message).toContain('(tool github__*)');
  });

  it('holds a concurrency slot until the chain settles the reservation, once', () => {
    const { decide } = setup();
    const bot = principal({ concurrent: 1 });
    const first = decide(llmCall(bot));
    if (first.kind !== 'allow' || !first.reservation) throw new Error('expected a reservation');
    const err = denial(decide(llmCall(bot)));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.message).toBe('Rate limit of 1 requests in flight reached (agent) for agent bot');
    expect(err.headers).toEqual({});
    expect(err.details).toEqual({ limit: 'concurrent', scope: 'agent' });
    first.reservation.settle(DONE);
    const second = decide(llmCall(bot));
    expect(second.kind).toBe('allow');
    first.reservation.settle(DONE); // settling again must not free the second request's slot
    expect(decide(llmCall(bot)).kind).toBe('deny');
  });

  it('puts the tightest request bucket in the annotations, for the x-ratelimit headers', () => {
    const { decide } = setup();
    const d = decide(llmCall(principal({ requestsPerMinute: 100, perModel: { 'gpt-*': { requestsPerMinute: 10 } } })));
    expect(d.kind === 'allow' && d.patch?.annotations?.[REQUESTS_VIEW]).toEqual({ limit: 10, remaining: 9, resetMs: 6_000 });
    const onlyConcurrency = decide(llmCall(principal({ concurrent: 3 }, 'other')));
    expect(onlyConcurrency.kind === 'allow' && onlyConcurrency.patch).toBeUndefined();
  });

  it('keeps agents apart: one at its limit does not limit another', () => {
    const { decide } = setup();
    const alpha = principal({ requestsPerMinute: 1 }, 'alpha');
    const beta = principal({ requestsPerMinute: 1 }, 'beta');
    expect(decide(toolCall(alpha)).kind).toBe('allow');
    expect(decide(toolCall(alpha)).kind).toBe('deny');
    expect(decide(toolCall(beta)).kind).toBe('allow');
  });

  it('passes, taking nothing, what is not a call: listings, initialize, model listings', () => {
    const { decide } = setup();
    const bot = principal({ requestsPerMinute: 1, concurrent: 1 });
    const housekeeping = [toolCall(bot, 'x', 'tools/list'), toolCall(bot, 'x', 'initialize'), llmCall(bot, 'gpt-4o', 'models.retrieve'), makeContext({ principal: bot })];
    for (const ctx of housekeeping) for (let i = 0; i < 3; i++) expect(decide(ctx), ctx.action).toEqual({ kind: 'allow' });
    expect(decide(toolCall(bot)).kind).toBe('allow');
  });

  it('passes non-agents, agents without rateLimits, and everything when no limiter is configured', () => {
    const { decide } = setup();
    const plain = principal();
    for (let i = 0; i < 5; i++) {
      expect(decide(toolCall(null))).toEqual({ kind: 'allow' });
      expect(decide(llmCall({ kind: 'admin', tokenId: 'admin' }))).toEqual({ kind: 'allow' });
      expect(decide(toolCall(plain))).toEqual({ kind: 'allow' });
    }
    const unconfigured = createRateLimitPolicy({});
    const limited = principal({ requestsPerMinute: 1 });
    for (let i = 0; i < 3; i++) expect(unconfigured.request!(toolCall(limited))).toEqual({ kind: 'allow' });
  });
});
