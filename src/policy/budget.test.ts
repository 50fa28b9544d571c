import { describe, expect, it, vi } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { makeContext } from '../../test/helpers/context.js';
import { allBudgetSpecs } from '../budget/budget-specs.js';
import { BudgetLedger, type Amount, type BudgetSpec } from '../budget/ledger.js';
import { AgentSpecSchema, type Agent } from '../catalog/index.js';
import { LlmConfigSchema } from '../config/llm-schema.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { PromptEstimator, type LlmEstimate } from '../llm/estimate.js';
import { upstreamBody } from '../llm/upstream-body.js';
import { ModelDirectory } from '../llm/model-directory.js';
import { parseLlmRequest, type LlmEndpoint, type LlmRequest } from '../llm/request-body.js';
import { GOVERNED_AS } from '../pipeline/call-kind.js';
import { applyPatch, type Principal, type RequestContext } from '../pipeline/context.js';
import type { Decision, Outcome, Reservation } from '../pipeline/policy.js';
import { createBudgetPolicy, type BudgetDeps } from './budget.js';
import { createLlmEstimatePolicy, ESTIMATE_ANNOTATION, estimateOf } from './llm-estimate.js';

const NOON = Date.parse('2026-01-15T12:00:00.000Z');
const DIR = new ModelDirectory(
  LlmConfigSchema.parse({
    providers: [
      {
        id: 'openai',
        baseUrl: 'https://api.openai.com/v1',
        models: [{ name: 'gpt-4o' }, { name: 'reasoner', upstreamName: 'o3-mini', price: { input: 1, output: 4 } }],
      },
    ],
    aliases: { mixed: { targets: [{ model: 'gpt-4o' }, { model: 'reasoner' }] } },
  }),
);
const ESTIMATOR = new PromptEstimator({ defaultMaxOutputTokens: 1000, heldHistoryTokens: 10_000 });
const estimatePolicy = createLlmEstimatePolicy({ models: () => DIR, estimator: () => ESTIMATOR });

function principal(budgets?: object[], id = 'bot'): Principal {
  const spec = AgentSpecSchema.parse(minimalAgent(id, { models: { allow: ['*'] }, ...(budgets ? { budgets } : {}) }));
  return { kind: 'agent', agentId: id, keyId: 'k1', agent: { ...spec, file: `/catalog/${id}.yaml`, secrets: new Map() } as unknown as Agent };
}

function agentOf(who: Principal): Agent {
  if (who.kind !== 'agent') throw new Error('not an agent');
  return who.agent;
}

/** The agent's budgets by name (or `<window>-<channel>`). */
function specsOf(who: Principal): Record<string, BudgetSpec> {
  return Object.fromEntries(allBudgetSpecs(agentOf(who)).map((s) => [s.name, s]));
}

/** An LLM request after llm-estimate has put its (bound) estimate in the annotations. */
async function llmContext(who: Principal, model = 'gpt-4o', body: Record<string, unknown> = { max_tokens: 50 }, endpoint: LlmEndpoint = 'chat'): Promise<RequestContext> {
  const raw = endpoint === 'responses' ? { model, input: 'Hello', ...body } : { model, messages: [{ role: 'user', content: 'Hello' }], ...body };
  const payload = parseLlmRequest(endpoint, raw, { defaultModel: undefined, maxChoices: 8 });
  const ctx = makeContext({ channel: 'llm', action: endpoint === 'chat' ? 'chat.completions' : endpoint, target: model, principal: who, payload });
  const d = await estimatePolicy.request!(ctx);
  if (d.kind !== 'allow' || !d.patch) throw new Error(d.kind === 'deny' ? `llm-estimate refused: ${d.error.message}` : 'llm-estimate made no estimate');
  return applyPatch(ctx, d.patch);
}

function toolContext(who: Principal | null, tool = 'search', action = 'tools/call'): RequestContext {
  return makeContext({ channel: 'mcp', action, target: tool, principal: who });
}

function a2aContext(who: Principal): RequestContext {
  return makeContext({ channel: 'a2a', action: 'message/send', target: 'peer', principal: who });
}

/** The bound estimate of a request and the exact count it refines to. */
async function estimates(model = 'gpt-4o', body: Record<string, unknown> = { max_tokens: 50 }, endpoint: LlmEndpoint = 'chat'): Promise<{ bound: LlmEstimate; exact: LlmEstimate }> {
  const bound = estimateOf(await llmContext(principal(), model, body, endpoint))!;
  const exact = await bound.exactly();
  // The refinement tests need a bound that overstates the prompt.
  expect(bound.exact).toBe(false);
  expect(bound.worstCaseTokens).toBeGreaterThan(exact.worstCaseTokens);
  return { bound, exact };
}

function setup(deps: Omit<BudgetDeps, 'budgets'> = {}) {
  const ledger = new BudgetLedger({ timezone: 'UTC', now: () => NOON });
  const policy = createBudgetPolicy({ budgets: ledger, models: () => DIR, ...deps });
  return {
    ledger,
    decide: (ctx: RequestContext) => Promise.resolve(policy.request!(ctx)),
    /** Spend already made in a budget. */
    spend(spec: BudgetSpec, a: Partial<Amount>) {
      const r = ledger.admit([spec], amount(a));
      if (!r.ok) throw new Error('refused');
      ledger.settle(r.held, amount(a));
    },
  };
}

const amount = (a: Partial<Amount>): Amount => ({ tokens: 0, usd: 0, calls: 0, ...a });
const ZERO = amount({});

function admitted(d: Decision): { reservation: Reservation; annotations: Record<string, unknown>; payload: LlmRequest | undefined; reason: string | undefined } {
  if (d.kind !== 'allow' || !d.reservation) throw new Error(d.kind === 'deny' ? `denied: ${d.error.message}` : 'no reservation');
  return { reservation: d.reservation, annotations: d.patch?.annotations ?? {}, payload: d.patch?.payload as LlmRequest | undefined, reason: d.reason };
}

function denial(d: Decision): GatewayError {
  if (d.kind !== 'deny') throw new Error('expected a denial');
  return d.error;
}

const outcome = (o: Partial<Outcome>): Outcome => ({ ok: true, status: 200, forwarded: true, ...o });

describe('budget policy: what is charged where', () => {
  const CHANNELS = [
    { name: 'llm', channel: 'llm', window: 'day', limits: { calls: 10 } },
    { name: 'tools', channel: 'tools', window: 'day', limits: { calls: 10 } },
    { name: 'a2a', channel: 'a2a', window: 'day', limits: { calls: 10 } },
    { name: 'all', channel: 'all', window: 'day', limits: { calls: 10 } },
  ];

  it.each([
    ['a tool call', (who: Principal) => Promise.resolve(toolContext(who)), ['tools', 'all']],
    ['a resources/read', (who: Principal) => Promise.resolve(toolContext(who, 'docs', 'resources/read')), ['tools', 'all']],
    ['an LLM call', (who: Principal) => llmContext(who), ['llm', 'all']],
    ['an A2A message', (who: Principal) => Promise.resolve(a2aContext(who)), ['a2a', 'all']],
  ])('reserves %s in the budgets of its channel and of all, and no others', async (_name, build, charged) => {
    const { ledger, decide } = setup();
    const who = principal(CHANNELS);
    admitted(await decide(await build(who)));
    for (const [name, spec] of Object.entries(specsOf(who))) {
      expect(ledger.status(spec).reserved.calls, name).toBe(charged.includes(name) ? 1 : 0);
    }
  });

  it('charges a tool call its configured cost and one call', async () => {
    const toolCost = vi.fn(() => ({ usd: 0.25, tokens: 7 }));
    const { ledger, decide } = setup({ toolCost });
    const who = principal([{ name: 'tools', channel: 'tools', window: 'day', limits: { usd: 10, tokens: 100, calls: 10 } }]);
    const { annotations } = admitted(await decide(toolContext(who, 'search_web')));
    expect(toolCost).toHaveBeenCalledWith('search_web');
    expect(annotations['budget.reserved']).toEqual({ tokens: 7, usd: 0.25, calls: 1 });
    expect(ledger.status(specsOf(who).tools!).reserved).toEqual({ tokens: 7, usd: 0.25, calls: 1 });
    expect(annotations[ESTIMATE_ANNOTATION]).toBeUndefined();
  });

  it("prices a resource read by the name authorize-target governs it as, not the URI", async () => {
    const toolCost = vi.fn(() => ({ usd: 0.25, tokens: 0 }));
    const { decide } = setup({ toolCost });
    const who = principal([{ name: 'tools', channel: 'tools', window: 'day', limits: { usd: 10 } }]);
    const ctx = makeContext({ channel: 'mcp', action: 'resources/read', target: 'gh+repo://readme', principal: who, annotations: { [GOVERNED_AS]: 'gh__readme' } });
    const { annotations } = admitted(await decide(ctx));
    expect(toolCost).toHaveBeenCalledWith('gh__readme');
    expect(annotations['budget.reserved']).toEqual({ tokens: 0, usd: 0.25, calls: 1 });
  });

  it('charges a tool only the call when no costs are configured', async () => {
    const { ledger, decide } = setup();
    const who = principal([{ name: 'tools', channel: 'tools', window: 'day', limits: { usd: 10, calls: 10 } }]);
    admitted(await decide(toolContext(who)));
    expect(ledger.status(specsOf(who).tools!).reserved).toEqual({ tokens: 0, usd: 0, calls: 1 });
  });

  it('reserves an LLM call at its bound estimate when that fits, without counting the prompt', async () => {
    const { ledger, decide } = setup();
    const who = principal([{ name: 'daily', channel: 'llm', window: 'day', limits: { tokens: 100_000, usd: 10, calls: 10 } }]);
    const ctx = await llmContext(who);
    const bound = estimateOf(ctx)!;
    const exactly = vi.spyOn(bound, 'exactly');
    const { annotations } = admitted(await decide(ctx));
    expect(exactly).not.toHaveBeenCalled();
    expect(bound.worstCaseUsd).toBeGreaterThan(0);
    const reserved = { tokens: bound.worstCaseTokens, usd: bound.worstCaseUsd, calls: 1 };
    expect(annotations['budget.reserved']).toEqual(reserved);
    expect(annotations[ESTIMATE_ANNOTATION]).toBe(bound);
    expect(ledger.status(specsOf(who).daily!).reserved).toEqual(reserved);
  });

  it('decides synchronously when the bound fits, and with a promise only when the prompt must be counted', async () => {
    const ledger = new BudgetLedger({ timezone: 'UTC', now: () => NOON });
    const policy = createBudgetPolicy({ budgets: ledger, models: () => DIR });
    const roomy = principal([{ name: 'daily', channel: 'llm', window: 'day', limits: { tokens: 100_000 } }]);
    // A promise would cost the chain a timeout timer and several allocations on every request.
    expect(policy.request!(await llmContext(roomy))).not.toBeInstanceOf(Promise);
    expect(policy.request!(toolContext(roomy))).not.toBeInstanceOf(Promise);
    const { exact } = await estimates();
    const tight = principal([{ name: 'daily', channel: 'llm', window: 'day', limits: { tokens: exact.worstCaseTokens } }]);
    const fresh = createBudgetPolicy({ budgets: new BudgetLedger({ timezone: 'UTC', now: () => NOON }), models: () => DIR });
    const pending = fresh.request!(await llmContext(tight));
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).kind).toBe('allow');
  });

  it('counts the prompt exactly when the bound does not fit, and reserves the exact count', async () => {
    const { exact } = await estimates();
    const { ledger, decide } = setup();
    const who = principal([{ name: 'daily', channel: 'llm', window: 'day', limits: { tokens: exact.worstCaseTokens } }]);
    const ctx = await llmContext(who);
    const exactly = vi.spyOn(estimateOf(ctx)!, 'exactly');
    const { annotations } = admitted(await decide(ctx));
    expect(exactly).toHaveBeenCalledTimes(1);
    expect(annotations[ESTIMATE_ANNOTATION]).toMatchObject({ exact: true, worstCaseTokens: exact.worstCaseTokens });
    expect(annotations['budget.reserved']).toEqual({ tokens: exact.worstCaseTokens, usd: exact.worstCaseUsd, calls: 1 });
    expect(ledger.remaining(specsOf(who).daily!)).toEqual({ tokens: 0 });
  });
  it('fails closed with a retryable OVERLOADED, reserving nothing, when the prompt cannot be counted near the limit', async () => {
    const { exact } = await estimates();
    const { ledger, decide } = setup();
    const who = principal([{ name: 'daily', channel: 'llm', window: 'day', limits: { tokens: exact.worstCaseTokens } }]);
    const ctx = await llmContext(who);
    const failing: LlmEstimate = { ...estimateOf(ctx)!, exactly: () => Promise.reject(new Error('tokenizer thread unavailable')) };
    const err = denial(await decide(applyPatch(ctx, { annotations: { [ESTIMATE_ANNOTATION]: failing } })));
    expect([err.code, err.httpStatus, err.retryable, err.headers]).toEqual(['OVERLOADED', 503, true, { 'retry-after': '1' }]);
    expect(ledger.status(specsOf(who).daily!).reserved).toEqual(ZERO);
  });

  it('counts a prompt at most once: a count that stays a bound (input held by the provider) is refused, not counted again and again', async () => {
    // previous_response_id is counted as the configured history bound even after exactly():
    // asking again would never end, and as a chain of microtasks it starves the event loop, so
    // not even the chain's policy timeout fires. Guarded here so that a regression fails, not hangs.
    const { ledger, decide } = setup();
    const who = principal([{ name: 'daily', channel: 'llm', window: 'day', limits: { tokens: 5_000 } }]);
    const ctx = await llmContext(who, 'gpt-4o', { max_output_tokens: 50, previous_response_id: 'resp_1' }, 'responses');
    const bound = estimateOf(ctx)!;
    const refined = await bound.exactly();
    expect(bound.exact).toBe(false);
    expect(refined.exact).toBe(false);
    expect(refined.worstCaseTokens).toBeGreaterThan(5_000);
    let counts = 0;
    const counted = (e: LlmEstimate): LlmEstimate => ({
      ...e,
      exactly: () => (++counts > 5 ? Promise.reject(new Error('the prompt was counted again and again')) : e.exactly().then(counted)),
    });
    const d = await decide(applyPatch(ctx, { annotations: { [ESTIMATE_ANNOTATION]: counted(bound) } }));
    expect(counts).toBe(1);
    expect(denial(d).code).toBe('BUDGET_EXCEEDED');
    expect(ledger.status(specsOf(who).daily!).reserved).toEqual(ZERO);
  });
});

describe('budget policy: refusals', () => {
  it('refuses an exhausted budget with BUDGET_EXCEEDED naming budget, scope, window and dimension, with Retry-After at the window end', async () => {
    const { ledger, decide, spend } = setup();
    const who = principal([{ name: 'daily', channel: 'tools', window: 'day', limits: { calls: 3 } }]);
    const daily = specsOf(who).daily!;
    spend(daily, { calls: 3 });
    const d = await decide(toolContext(who));
    const err = denial(d);
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(err.message).toBe('Budget "daily" (agent bot, calendar day) is exhausted: 3 of 3 calls used or reserved, this call needs 1');
    expect(err.headers).toEqual({ 'retry-after': String(12 * 3600) });
    expect(err.details).toEqual({ budget: 'daily', scope: 'agent', window: 'day', kind: 'calendar', dimension: 'calls', limit: 3, used: 3 });
    expect(d.kind === 'deny' && d.reason).toBe('budget daily: calls');
    expect(ledger.status(daily).reserved).toEqual(ZERO);
  });

  it('names the owner of an owner budget and writes dollars as dollars', async () => {
    const { decide, spend } = setup({ toolCost: () => ({ usd: 0.25, tokens: 0 }) });
    const who = principal([{ scope: 'owner', channel: 'all', window: 'hour', kind: 'rolling', limits: { usd: 1.5 } }]);
    spend(specsOf(who)['hour-all']!, { usd: 1.4 });
    const err = denial(await decide(toolContext(who)));
    expect(err.message).toBe('Budget "hour-all" (owner team-test, rolling hour) is exhausted: $1.4 of $1.5 usd used or reserved, this call needs $0.25');
    expect(err.details).toMatchObject({ scope: 'owner', kind: 'rolling', window: 'hour', dimension: 'usd' });
    expect(Number(err.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('says a call that alone exceeds the limit cannot fit, with no Retry-After', async () => {
    const { exact } = await estimates();
    const { ledger, decide } = setup();
    const who = principal([{ name: 'tiny', channel: 'llm', window: 'day', limits: { tokens: exact.worstCaseTokens - 1 } }]);
    const err = denial(await decide(await llmContext(who)));
    expect(err.message).toBe(`Budget "tiny" (agent bot, calendar day) cannot fit this call: it needs ${exact.worstCaseTokens} tokens of a ${exact.worstCaseTokens - 1} limit`);
    expect(err.headers).toEqual({});
    expect(ledger.status(specsOf(who).tiny!).reserved).toEqual(ZERO);
  });

  it('refuses when one budget is full and reserves nothing in the others', async () => {
    const { ledger, decide, spend } = setup();
    const who = principal([
      { name: 'roomy', channel: 'all', window: 'month', limits: { calls: 100 } },
      { name: 'full', channel: 'tools', window: 'minute', limits: { calls: 1 } },
    ]);
    spend(specsOf(who).full!, { calls: 1 });
    expect(denial(await decide(toolContext(who))).details).toMatchObject({ budget: 'full' });
    expect(ledger.status(specsOf(who).roomy!).reserved).toEqual(ZERO);
  });
});

describe('budget policy: settlement', () => {
  it('charges nothing when the call was never forwarded', async () => {
    const { ledger, decide } = setup();
    const who = principal([{ name: 'daily', channel: 'all', window: 'day', limits: { tokens: 100_000, calls: 10 } }]);
    const daily = specsOf(who).daily!;
    admitted(await decide(await llmContext(who))).reservation.settle({ ok: false, status: 403, forwarded: false });
    admitted(await decide(toolContext(who))).reservation.settle({ ok: false, status: 502, forwarded: false });
    expect(ledger.status(daily)).toMatchObject({ spent: ZERO, reserved: ZERO });
  });

  it('charges an LLM call the usage it reported, and one call', async () => {
    const { ledger, decide } = setup();
    const who = principal([{ name: 'daily', channel: 'llm', window: 'day', limits: { tokens: 100_000, usd: 10, calls: 10 } }]);
    const daily = specsOf(who).daily!;
    admitted(await decide(await llmContext(who))).reservation.settle(outcome({ usage: { tokensIn: 12, tokensOut: 30, costUsd: 0.0004 } }));
    expect(ledger.status(daily)).toMatchObject({ spent: { tokens: 42, usd: 0.0004, calls: 1 }, reserved: ZERO });
    // A forwarded call that produced no usage (the provider failed) still counts as a call.
    admitted(await decide(await llmContext(who))).reservation.settle(outcome({ ok: false, status: 502 }));
    expect(ledger.status(daily).spent).toEqual({ tokens: 42, usd: 0.0004, calls: 2 });
  });

  it('charges a forwarded tool call its declared cost, whatever the outcome reports', async () => {
    const { ledger, decide } = setup({ toolCost: () => ({ usd: 0.5, tokens: 3 }) });
    const who = principal([{ name: 'tools', channel: 'tools', window: 'day', limits: { usd: 10, calls: 10 } }]);
    admitted(await decide(toolContext(who))).reservation.settle(outcome({ ok: false, status: 500, usage: { tokensIn: 999 } }));
    expect(ledger.status(specsOf(who).tools!)).toMatchObject({ spent: { tokens: 3, usd: 0.5, calls: 1 }, reserved: ZERO });
  });
});

describe('budget policy: clamp', () => {
  const clampTo = (tokens: number, extra: Record<string, unknown> = {}) => [{ name: 'clamped', channel: 'llm', window: 'day', limits: { tokens }, action: 'clamp', ...extra }];

  it('lowers max_tokens to what is left and reserves that', async () => {
    const { exact } = await estimates('gpt-4o', { max_tokens: 500 });
    const { ledger, decide } = setup();
    const who = principal(clampTo(exact.promptTokens + 100));
    const ctx = await llmContext(who, 'gpt-4o', { max_tokens: 500 });
    const { payload, annotations, reason } = admitted(await decide(ctx));
    expect(JSON.parse(upstreamBody(payload as LlmRequest, DIR.route('gpt-4o')!.allTargets[0]!))).toMatchObject({ max_tokens: 100 });
    expect(payload?.maxOutputTokens).toBe(100);
    expect(reason).toBe('output limited to 100 tokens');
    const estimate = annotations[ESTIMATE_ANNOTATION] as LlmEstimate;
    expect(estimate).toMatchObject({ maxOutputTokens: 100, worstCaseTokens: exact.promptTokens + 100, exact: true });
    expect(annotations['budget.reserved']).toMatchObject({ tokens: exact.promptTokens + 100, calls: 1 });
    expect(ledger.remaining(specsOf(who).clamped!)).toEqual({ tokens: 0 });
    // The request the client sent is not changed in place.
    expect((ctx.payload as LlmRequest).body.max_tokens).toBe(500);
  });

  it('clamps to what a usd limit leaves', async () => {
    const { exact } = await estimates('gpt-4o', { max_tokens: 500 });
    const usd = exact.withOutputLimit(100).worstCaseUsd!;
    const { decide } = setup();
    const who = principal([{ name: 'dollars', channel: 'all', window: 'month', limits: { usd }, action: 'clamp' }]);
    const { payload } = admitted(await decide(await llmContext(who, 'gpt-4o', { max_tokens: 500 })));
    expect(payload?.maxOutputTokens).toBe(100);
  });

  it.each([
    ['max_completion_tokens', 'gpt-4o', { max_completion_tokens: 500 }, 'chat'],
    ['max_completion_tokens', 'gpt-4o', { max_tokens: 500, max_completion_tokens: 400 }, 'chat'],
    ['max_tokens', 'gpt-4o', { max_tokens: 500 }, 'chat'],
    ['max_output_tokens', 'gpt-4o', { max_output_tokens: 500 }, 'responses'],
    ['max_output_tokens', 'gpt-4o', {}, 'responses'],
    // No limit set: the field the route's models expect.
    ['max_tokens', 'gpt-4o', {}, 'chat'],
    ['max_completion_tokens', 'reasoner', {}, 'chat'],
  ] as const)('writes the lowered limit to %s (model %s, body %j, %s)', async (field, model, body, endpoint) => {
    const { exact } = await estimates(model, body, endpoint);
    const { decide } = setup();
    const who = principal(clampTo(exact.promptTokens + 100));
    const { payload } = admitted(await decide(await llmContext(who, model, body, endpoint)));
    expect(payload?.enforcedOutputLimit).toBe(100);
    const sent = JSON.parse(upstreamBody(payload as LlmRequest, DIR.route(model)!.allTargets[0]!)) as Record<string, unknown>;
    expect(sent[field]).toBe(100);
    for (const other of ['max_tokens', 'max_completion_tokens', 'max_output_tokens'].filter((f) => f !== field)) {
      expect(sent, other).not.toHaveProperty(other);
    }
  });

  it('writes the limit in the field each target of an alias expects when the client set none', async () => {
    const { exact } = await estimates('mixed', {});
    const { decide } = setup();
    const { payload } = admitted(await decide(await llmContext(principal(clampTo(exact.promptTokens + 100)), 'mixed', {})));
    const sent = (upstream: string) => JSON.parse(upstreamBody(payload as LlmRequest, DIR.route('mixed')!.allTargets.find((t) => t.upstreamName === upstream)!)) as Record<string, unknown>;
    expect(sent('gpt-4o')).toMatchObject({ max_tokens: 100 });
    expect(sent('o3-mini')).toMatchObject({ max_completion_tokens: 100 });
    expect(sent('o3-mini')).not.toHaveProperty('max_tokens');
  });

  it('refuses when not even one output token fits, reserving nothing', async () => {
    const { exact } = await estimates('gpt-4o', { max_tokens: 500 });
    const { ledger, decide } = setup();
    const who = principal(clampTo(exact.promptTokens));
    const err = denial(await decide(await llmContext(who, 'gpt-4o', { max_tokens: 500 })));
    expect(err.code).toBe('BUDGET_EXCEEDED');
    expect(ledger.status(specsOf(who).clamped!).reserved).toEqual(ZERO);
  });

  it('does not clamp a call the budget refuses for its call count', async () => {
    const { decide, spend } = setup();
    const who = principal(clampTo(100_000, { limits: { tokens: 100_000, calls: 1 } }));
    spend(specsOf(who).clamped!, { calls: 1 });
    expect(denial(await decide(await llmContext(who))).details).toMatchObject({ dimension: 'calls' });
  });

  it('does not clamp for a deny budget', async () => {
    const { exact } = await estimates('gpt-4o', { max_tokens: 500 });
    const { decide } = setup();
    const who = principal(clampTo(exact.promptTokens + 100, { action: 'deny' }));
    expect(denial(await decide(await llmContext(who, 'gpt-4o', { max_tokens: 500 }))).code).toBe('BUDGET_EXCEEDED');
  });

  it('clamps to what every budget of the call leaves', async () => {
    const { exact } = await estimates('gpt-4o', { max_tokens: 500 });
    const { decide } = setup();
    const who = principal([
      { name: 'day', channel: 'llm', window: 'day', limits: { tokens: exact.promptTokens + 300 }, action: 'clamp' },
      { name: 'hour', channel: 'all', window: 'hour', limits: { tokens: exact.promptTokens + 100 }, action: 'clamp' },
    ]);
    const { payload } = admitted(await decide(await llmContext(who, 'gpt-4o', { max_tokens: 500 })));
    expect(payload?.maxOutputTokens).toBe(100);
  });

  it('decides between clamping and refusing whatever the order of the budgets', async () => {
    const { exact } = await estimates('gpt-4o', { max_tokens: 500 });
    const clamp = { name: 'clamp', channel: 'llm', window: 'day', limits: { tokens: exact.promptTokens + 300 }, action: 'clamp' };
    const deny = { name: 'deny', channel: 'all', window: 'day', limits: { tokens: exact.promptTokens + 100 }, action: 'deny' };
    const kinds: string[] = [];
    for (const budgets of [[clamp, deny], [deny, clamp]]) {
      const { decide } = setup();
      kinds.push((await decide(await llmContext(principal(budgets), 'gpt-4o', { max_tokens: 500 }))).kind);
    }
    expect(kinds[0]).toBe(kinds[1]);
  });
});

describe('budget policy: what it leaves alone', () => {
  it('lets everything through without a ledger', async () => {
    const policy = createBudgetPolicy({});
    const d = await policy.request!(toolContext(principal([{ channel: 'all', window: 'day', limits: { calls: 1 } }])));
    expect(d).toEqual({ kind: 'allow' });
  });

  it.each([
    ['no principal', () => toolContext(null)],
    ['an admin', () => toolContext({ kind: 'admin', tokenId: 'admin' })],
    ['an agent without budgets', () => toolContext(principal())],
    ['protocol housekeeping (tools/list)', () => toolContext(principal([{ channel: 'all', window: 'day', limits: { calls: 1 } }]), 'search', 'tools/list')],
    ['a tool call of an agent with only LLM budgets', () => toolContext(principal([{ channel: 'llm', window: 'day', limits: { calls: 1 } }]))],
  ])('passes %s through, reserving nothing', async (_name, build) => {
    const { ledger, decide } = setup();
    const ctx = build();
    expect(await decide(ctx)).toEqual({ kind: 'allow' });
    if (ctx.principal?.kind === 'agent') {
      for (const spec of allBudgetSpecs(ctx.principal.agent)) expect(ledger.status(spec).reserved).toEqual(ZERO);
    }
  });
});
