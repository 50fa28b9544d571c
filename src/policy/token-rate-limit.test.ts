import { describe, expect, it, vi } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { makeContext } from '../../test/helpers/context.js';
import { AgentSpecSchema, type Agent } from '../catalog/index.js';
import { LlmConfigSchema } from '../config/llm-schema.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { PromptEstimator, type LlmEstimate } from '../llm/estimate.js';
import { ModelDirectory } from '../llm/model-directory.js';
import { parseLlmRequest } from '../llm/request-body.js';
import { applyPatch, type Principal, type RequestContext } from '../pipeline/context.js';
import type { Decision, Outcome, Reservation } from '../pipeline/policy.js';
import { TOKENS_VIEW } from '../ratelimit/headers.js';
import { RateLimiter } from '../ratelimit/rate-limiter.js';
import { createLlmEstimatePolicy, ESTIMATE_ANNOTATION, estimateOf } from './llm-estimate.js';
import { createTokenRateLimitPolicy } from './token-rate-limit.js';

const DIR = new ModelDirectory(
  LlmConfigSchema.parse({
    providers: [{ id: 'openai', baseUrl: 'https://api.openai.com/v1', models: [{ name: 'gpt-4o' }, { name: 'gpt-4.1' }, { name: 'llama' }] }],
  }),
);
const ESTIMATOR = new PromptEstimator({ defaultMaxOutputTokens: 1000, heldHistoryTokens: 10_000 });
const estimatePolicy = createLlmEstimatePolicy({ models: () => DIR, estimator: () => ESTIMATOR });

function principal(rateLimits?: Record<string, unknown>, id = 'bot'): Principal {
  const spec = AgentSpecSchema.parse(minimalAgent(id, { models: { allow: ['*'] }, ...(rateLimits ? { rateLimits } : {}) }));
  return { kind: 'agent', agentId: id, keyId: 'k1', agent: { ...spec, file: `/catalog/${id}.yaml`, secrets: new Map() } as unknown as Agent };
}

/** A chat request as the chain hands it to this policy: after llm-estimate has put its (bound) estimate in the annotations. */
async function llmContext(who: Principal, model = 'gpt-4o', body: Record<string, unknown> = { max_tokens: 50 }): Promise<RequestContext> {
  const payload = parseLlmRequest('chat', { model, messages: [{ role: 'user', content: 'Hello' }], ...body }, { defaultModel: undefined, maxChoices: 8 });
  const ctx = makeContext({ channel: 'llm', action: 'chat.completions', target: model, principal: who, payload });
  const d = await estimatePolicy.request!(ctx);
  if (d.kind !== 'allow' || !d.patch) throw new Error('llm-estimate made no estimate');
  return applyPatch(ctx, d.patch);
}

/** The bound llm-estimate reserves and the exact count it refines to, for the standard request. */
async function estimates(): Promise<{ bound: LlmEstimate; exact: LlmEstimate }> {
  const bound = estimateOf(await llmContext(principal()))!;
  const exact = await bound.exactly();
  // The refinement tests need a bound that overstates the prompt.
  expect(bound.exact).toBe(false);
  expect(exact.exact).toBe(true);
  expect(bound.worstCaseTokens).toBeGreaterThan(exact.worstCaseTokens);
  return { bound, exact };
}

function setup() {
  let t = 0;
  const limiter = new RateLimiter(() => t);
  const policy = createTokenRateLimitPolicy({ rateLimiter: limiter });
  return {
    limiter,
    at: (ms: number) => void (t = ms),
    decide: (ctx: RequestContext) => Promise.resolve(policy.request!(ctx)),
    /** Tokens left for `who` calling `model`, read by admitting zero tokens. */
    left(who: Principal, model = 'gpt-4o'): number {
      if (who.kind !== 'agent') throw new Error('not an agent');
      const r = limiter.admitTokens(who.agentId, limiter.rules(who.agent, 'llm', model), 0);
      if (!r.ok) throw new Error(`in debt: retry after ${r.refusal.retryAfterMs} ms`);
      return r.view!.remaining;
    },
  };
}

function admitted(d: Decision): { reservation: Reservation; annotations: Record<string, unknown> } {
  if (d.kind !== 'allow' || !d.reservation) throw new Error(d.kind === 'deny' ? `denied: ${d.error.message}` : 'no reservation');
  return { reservation: d.reservation, annotations: d.patch?.annotations ?? {} };
}

function denial(d: Decision): GatewayError {
  if (d.kind !== 'deny') throw new Error('expected a denial');
  return d.error;
}

const outcome = (o: Partial<Outcome>): Outcome => ({ ok: true, status: 200, forwarded: true, ...o });

describe('token-rate-limit policy', () => {
  it('reserves the bound estimate when it fits, without counting the prompt exactly', async () => {
    const { decide, left } = setup();
    const bot = principal({ tokensPerMinute: 10_000 });
    const ctx = await llmContext(bot);
    const bound = estimateOf(ctx)!;
    const exactly = vi.spyOn(bound, 'exactly');
    const { annotations } = admitted(await decide(ctx));
    expect(exactly).not.toHaveBeenCalled();
    expect(annotations[ESTIMATE_ANNOTATION]).toBe(bound);
    expect(annotations[TOKENS_VIEW]).toEqual({ limit: 10_000, remaining: 10_000 - bound.worstCaseTokens, resetMs: bound.worstCaseTokens * 6 });
    expect(left(bot)).toBe(10_000 - bound.worstCaseTokens);
  });

  it('decides synchronously when the bound fits, and with a promise only when the prompt must be counted', async () => {
    const policy = createTokenRateLimitPolicy({ rateLimiter: new RateLimiter(() => 0) });
    // A promise would cost the chain a timeout timer and several allocations on every request.
    expect(policy.request!(await llmContext(principal({ tokensPerMinute: 10_000 })))).not.toBeInstanceOf(Promise);
    const { exact } = await estimates();
    const pending = policy.request!(await llmContext(principal({ tokensPerMinute: exact.worstCaseTokens })));
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).kind).toBe('allow');
  });

  it('counts exactly when the bound is larger than the limit, and admits the exact count that fits', async () => {
    const { exact } = await estimates();
    const { decide, left } = setup();
    const bot = principal({ tokensPerMinute: exact.worstCaseTokens });
    const { annotations } = admitted(await decide(await llmContext(bot)));
    expect(annotations[ESTIMATE_ANNOTATION]).toMatchObject({ exact: true, worstCaseTokens: exact.worstCaseTokens, promptTokens: exact.promptTokens });
    expect(annotations[TOKENS_VIEW]).toMatchObject({ limit: exact.worstCaseTokens, remaining: 0 });
    expect(left(bot)).toBe(0);
  });

  it('fails closed with a retryable OVERLOADED, reserving nothing, when the prompt cannot be counted near the limit', async () => {
    const { exact } = await estimates();
    const { decide, left } = setup();
    const bot = principal({ tokensPerMinute: exact.worstCaseTokens });
    const ctx = await llmContext(bot);
    const failing: LlmEstimate = { ...estimateOf(ctx)!, exactly: () => Promise.reject(new Error('tokenizer thread unavailable')) };
    const d = await decide(applyPatch(ctx, { annotations: { [ESTIMATE_ANNOTATION]: failing } }));
    const err = denial(d);
    expect([err.code, err.httpStatus, err.retryable, err.headers]).toEqual(['OVERLOADED', 503, true, { 'retry-after': '1' }]);
    expect(d.kind === 'deny' && d.reason).toBe('prompt count unavailable');
    expect(left(bot)).toBe(exact.worstCaseTokens);
  });

  it('counts exactly when the bucket has room for the exact count but not the bound', async () => {
    const { exact } = await estimates();
    const { decide, limiter, left } = setup();
    const bot = principal({ tokensPerMinute: 1_000 });
    if (bot.kind !== 'agent') throw new Error('unreachable');
    expect(limiter.admitTokens('bot', limiter.rules(bot.agent, 'llm', 'gpt-4o'), 1_000 - exact.worstCaseTokens).ok).toBe(true);
    const { annotations } = admitted(await decide(await llmContext(bot)));
    expect(annotations[ESTIMATE_ANNOTATION]).toMatchObject({ exact: true });
    expect(left(bot)).toBe(0);
  });

  it('refuses when even the exact count does not fit, with the wait for it, taking nothing', async () => {
    const { exact } = await estimates();
    const { decide, limiter, left } = setup();
    const bot = principal({ tokensPerMinute: 6_000 }); // 100 tokens a second
    if (bot.kind !== 'agent') throw new Error('unreachable');
    expect(limiter.admitTokens('bot', limiter.rules(bot.agent, 'llm', 'gpt-4o'), 6_000 - exact.worstCaseTokens + 1).ok).toBe(true);
    const err = denial(await decide(await llmContext(bot)));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.message).toBe('Rate limit of 6000 tokens per minute reached (agent) for agent bot');
    expect(err.headers).toEqual({ 'retry-after': '1', 'retry-after-ms': '10' });
    expect(err.details).toEqual({ limit: 'tokens', scope: 'agent' });
    expect(left(bot)).toBe(exact.worstCaseTokens - 1);
  });

  it('refuses for good a request larger than the limit even when counted exactly: x-should-retry false, no Retry-After', async () => {
    const { decide, left } = setup();
    const bot = principal({ tokensPerMinute: 5_000, perModel: { 'gpt-4*': { tokensPerMinute: 100 } } });
    const err = denial(await decide(await llmContext(bot, 'gpt-4o', { max_tokens: 500 })));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.headers).toEqual({ 'x-should-retry': 'false' });
    expect(err.message).toBe('This request needs more tokens than the limit of 100 tokens per minute (model gpt-4*) for agent bot; lower max_tokens or the prompt');
    expect(err.details).toEqual({ limit: 'tokens', scope: 'model gpt-4*' });
    expect(left(bot, 'llama')).toBe(5_000);
  });

  it('counts a prompt at most once: a count that stays a bound (a model without a known encoding) is refused, not counted again and again', async () => {
    // The refined estimate of an unknown model is still not exact (exactly() gives itself back):
    // asking again would never end, and as a chain of microtasks it starves the event loop, so
    // not even the chain's policy timeout fires. Guarded here so that a regression fails, not hangs.
    const { decide, left } = setup();
    const bot = principal({ tokensPerMinute: 20 });
    const ctx = await llmContext(bot, 'llama');
    expect(await estimateOf(ctx)!.exactly()).toMatchObject({ exact: false, worstCaseTokens: expect.any(Number) });
    const asked: LlmEstimate[] = [];
    const guarded = (e: LlmEstimate): LlmEstimate => ({ ...e, exactly: () => (asked.push(e) > 5 ? Promise.reject(new Error('counted again and again')) : e.exactly().then(guarded)) });
    const err = denial(await decide(applyPatch(ctx, { annotations: { [ESTIMATE_ANNOTATION]: guarded(estimateOf(ctx)!) } })));
    expect([asked.length, err.code, left(bot, 'llama')]).toEqual([1, 'RATE_LIMITED', 20]);
  });

  it('settles to the usage the provider reported: unused tokens back, excess taken', async () => {
    const { decide, left } = setup();
    const bot = principal({ tokensPerMinute: 10_000 });
    admitted(await decide(await llmContext(bot))).reservation.settle(outcome({ usage: { tokensIn: 8, tokensOut: 12 } }));
    expect(left(bot)).toBe(10_000 - 20);
    admitted(await decide(await llmContext(bot))).reservation.settle(outcome({ usage: { tokensOut: 3_000 } }));
    expect(left(bot)).toBe(10_000 - 20 - 3_000);
  });

  it('gives everything back when nothing was forwarded, and keeps the estimate when a forwarded call reported no usage', async () => {
    const { decide, left } = setup();
    const bot = principal({ tokensPerMinute: 10_000 });
    const ctx = await llmContext(bot);
    const worst = estimateOf(ctx)!.worstCaseTokens;
    admitted(await decide(ctx)).reservation.settle(outcome({ ok: false, status: 502, forwarded: false }));
    expect(left(bot)).toBe(10_000);
    admitted(await decide(ctx)).reservation.settle(outcome({ ok: false, status: 499 }));
    expect(left(bot)).toBe(10_000 - worst);
  });

  it('applies per-model token limits to matching models only, shared among them', async () => {
    const { exact } = await estimates();
    const { decide } = setup();
    const bot = principal({ perModel: { 'gpt-4*': { tokensPerMinute: exact.worstCaseTokens } } });
    admitted(await decide(await llmContext(bot, 'gpt-4o')));
    expect(denial(await decide(await llmContext(bot, 'gpt-4.1'))).message).toContain('(model gpt-4*)');
    expect(await decide(await llmContext(bot, 'llama'))).toEqual({ kind: 'allow' });
  });

  it('keeps agents apart: one out of tokens does not limit another', async () => {
    const { exact } = await estimates();
    const { decide } = setup();
    const alpha = principal({ tokensPerMinute: exact.worstCaseTokens }, 'alpha');
    const beta = principal({ tokensPerMinute: exact.worstCaseTokens }, 'beta');
    admitted(await decide(await llmContext(alpha)));
    expect((await decide(await llmContext(alpha))).kind).toBe('deny');
    admitted(await decide(await llmContext(beta)));
  });

  it('passes non-LLM channels, non-agents, agents without rateLimits or token limits, requests without an estimate, and everything without a limiter', async () => {
    const { decide } = setup();
    const limited = principal({ tokensPerMinute: 1 });
    const base = await llmContext(limited);
    const cases: RequestContext[] = [
      { ...base, channel: 'mcp', action: 'tools/call' },
      { ...base, principal: { kind: 'admin', tokenId: 'admin' } },
      { ...base, principal: null },
      await llmContext(principal()),
      await llmContext(principal({ requestsPerMinute: 1, perModel: { 'gpt-4*': { concurrent: 1 } } })),
      { ...base, annotations: {} },
    ];
    for (const ctx of cases) expect(await decide(ctx)).toEqual({ kind: 'allow' });
    const unconfigured = createTokenRateLimitPolicy({});
    expect(await unconfigured.request!(base)).toEqual({ kind: 'allow' });
  });
});
