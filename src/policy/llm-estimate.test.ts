import type { LlmEstimate } from '../llm/estimate.js';
import { describe, expect, it } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { makeContext } from '../../test/helpers/context.js';
import { AgentSpecSchema, type Agent } from '../catalog/index.js';
import { LlmConfigSchema } from '../config/llm-schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { PromptEstimator } from '../llm/estimate.js';
import { ModelDirectory } from '../llm/model-directory.js';
import { parseLlmRequest, type LlmEndpoint } from '../llm/request-body.js';
import { applyPatch, type Principal, type RequestContext } from '../pipeline/context.js';
import type { Decision } from '../pipeline/policy.js';
import { createLlmEstimatePolicy, ESTIMATE_ANNOTATION, estimateOf } from './llm-estimate.js';

const DIR = new ModelDirectory(
  LlmConfigSchema.parse({
    providers: [
      { id: 'openai', baseUrl: 'https://api.openai.com/v1', models: [{ name: 'gpt-4o' }, { name: 'text-embedding-3-small', kind: 'embeddings' }] },
      { id: 'local', baseUrl: 'http://127.0.0.1:11434/v1', internal: true, models: [{ name: 'llama' }] },
    ],
    aliases: { 'any-model': { targets: [{ model: 'gpt-4o' }, { model: 'llama' }] } },
  }),
);
const ESTIMATOR = new PromptEstimator({ defaultMaxOutputTokens: 1000, heldHistoryTokens: 10_000 });
const policy = createLlmEstimatePolicy({ models: () => DIR, estimator: () => ESTIMATOR });

function principal(overrides: Record<string, unknown> = {}): Principal {
  const spec = AgentSpecSchema.parse(minimalAgent('bot', { models: { allow: ['*'] }, ...overrides }));
  return { kind: 'agent', agentId: 'bot', keyId: 'k1', agent: { ...spec, file: '/catalog/bot.yaml', secrets: new Map() } as unknown as Agent };
}

const usdBudget = (channel: string) => ({ budgets: [{ window: 'day', channel, limits: { usd: 5 } }] });

function llmContext(model: string, who: Principal = principal(), endpoint: LlmEndpoint = 'chat', body: Record<string, unknown> = {}): RequestContext {
  const raw = endpoint === 'embeddings' ? { model, input: 'hello', ...body } : { model, messages: [{ role: 'user', content: 'Hello' }], ...body };
  const payload = parseLlmRequest(endpoint, raw, { defaultModel: undefined, maxChoices: 8 });
  const action = endpoint === 'chat' ? 'chat.completions' : endpoint;
  return makeContext({ channel: 'llm', action, target: model, principal: who, payload });
}

const decide = (ctx: RequestContext): Promise<Decision> => Promise.resolve(policy.request!(ctx));

describe('llm-estimate policy', () => {
  it('puts the estimate in the annotations, where later policies and the audit read it', async () => {
    const ctx = llmContext('gpt-4o', principal(), 'chat', { max_tokens: 50, n: 2 });
    const d = await decide(ctx);
    if (d.kind !== 'allow') throw new Error(`denied: ${d.error.message}`);
    const estimate = d.patch?.annotations?.[ESTIMATE_ANNOTATION] as LlmEstimate;
    // First the cheap bound (bytes and margins), refined on demand: "user" and "Hello" are one token each: 3 + 1 + 1 + 3.
    expect(estimate).toMatchObject({ exact: false, maxOutputTokens: 50, n: 2, hasTools: false, hasImages: false });
    expect(estimate.promptTokens).toBeGreaterThanOrEqual(8);
    expect(d.reason).toBe(`${estimate.worstCaseTokens} tokens (bound)`);
    expect(await estimate.exactly()).toMatchObject({ promptTokens: 8, exact: true, worstCaseTokens: 108 });
    expect(estimateOf(applyPatch(ctx, d.patch!))).toBe(estimate);
    expect(estimateOf(ctx)).toBeUndefined();
  });

  it('says when the estimate is a bound', async () => {
    const d = await decide(llmContext('llama'));
    expect(d.kind === 'allow' && d.reason).toMatch(/ \(bound\)$/);
  });

  it('refuses an unpriced model to an agent with a USD budget on the llm channel or on all', async () => {
    for (const channel of ['llm', 'all']) {
      for (const model of ['llama', 'any-model']) {
        const d = await decide(llmContext(model, principal(usdBudget(channel))));
        expect(d.kind === 'deny' && d.error, `${channel} ${model}`).toMatchObject({ code: 'MODEL_NOT_PRICED', details: { param: 'model' } });
        expect(d.kind === 'deny' && d.error.message).toContain(model);
      }
    }
  });

  it('lets an unpriced model through when no USD budget covers LLM calls', async () => {
    const unbudgeted = [
      principal(),
      principal(usdBudget('tools')),
      principal(usdBudget('a2a')),
      principal({ budgets: [{ window: 'day', channel: 'llm', limits: { tokens: 100_000 } }] }),
    ];
    for (const who of unbudgeted) {
      const d = await decide(llmContext('llama', who));
      expect(d.kind).toBe('allow');
      expect(d.kind === 'allow' && d.patch?.annotations?.[ESTIMATE_ANNOTATION]).toMatchObject({ worstCaseUsd: null });
    }
  });

  it('lets a priced model through to a USD-budgeted agent, with its worst-case cost', async () => {
    const d = await decide(llmContext('gpt-4o', principal(usdBudget('llm'))));
    expect(d.kind === 'allow' && d.patch?.annotations?.[ESTIMATE_ANNOTATION]).toMatchObject({ worstCaseUsd: expect.any(Number) });
  });

  it('estimates embeddings with no output tokens', async () => {
    const d = await decide(llmContext('text-embedding-3-small', principal(usdBudget('all')), 'embeddings'));
    const estimate = (d.kind === 'allow' && d.patch?.annotations?.[ESTIMATE_ANNOTATION]) as LlmEstimate;
    expect(estimate).toMatchObject({ maxOutputTokens: 0 });
    expect(await estimate.exactly()).toMatchObject({ maxOutputTokens: 0, worstCaseTokens: 1 });
  });

  it('passes on what is not an agent LLM request with a known model, and estimates nothing', async () => {
    const base = llmContext('gpt-4o');
    const cases: RequestContext[] = [
      { ...base, channel: 'mcp' },
      { ...base, principal: { kind: 'admin', tokenId: 'admin' } },
      { ...base, principal: null },
      { ...base, target: null, action: 'models.list' },
      { ...base, target: 'no-such-model' },
      { ...base, payload: undefined },
    ];
    for (const ctx of cases) expect(await decide(ctx)).toEqual({ kind: 'allow' });
    const unconfigured = createLlmEstimatePolicy({});
    expect(await unconfigured.request!(base)).toEqual({ kind: 'allow' });
  });

  it("lets the estimator's refusal of an impossible output limit reach the client", async () => {
    const capped = new ModelDirectory(
      LlmConfigSchema.parse({ providers: [{ id: 'p', baseUrl: 'https://x/v1', models: [{ name: 'gpt-4o', maxOutputTokens: 100 }] }] }),
    );
    const p = createLlmEstimatePolicy({ models: () => capped, estimator: () => ESTIMATOR });
    const err = await Promise.resolve()
      .then(() => p.request!(llmContext('gpt-4o', principal(), 'chat', { max_tokens: 101 })))
      .then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'INVALID_PARAMS', details: { param: 'max_tokens' } });
  });
});
