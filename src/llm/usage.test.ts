import { describe, expect, it } from 'vitest';
import { LlmConfigSchema } from '../config/llm-schema.js';
import { PromptEstimator } from './estimate.js';
import { ModelDirectory } from './model-directory.js';
import { parseLlmRequest } from './request-body.js';
import type { ExactTokenizer } from './tokens/index.js';
import { settleUsage } from './usage.js';

const DIR = new ModelDirectory(
  LlmConfigSchema.parse({ providers: [{ id: 'openai', baseUrl: 'https://api.openai.com/v1', models: [{ name: 'gpt-4o' }] }] }),
);

function setup(tokenizer: ExactTokenizer) {
  const estimator = new PromptEstimator({ defaultMaxOutputTokens: 100, heldHistoryTokens: 0, tokenizer });
  const req = parseLlmRequest('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: 'How many tokens is this?' }] }, { defaultModel: undefined, maxChoices: 8 });
  const route = DIR.route('gpt-4o')!;
  return { estimator, estimate: estimator.estimate(req, route, 'agent-1'), target: route.allTargets[0]! };
}

const NO_USAGE = { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Six, or so.' }, finish_reason: 'stop' }] };

describe('settleUsage when the provider reports none', () => {
  it('counts the delivered text and the prompt exactly', async () => {
    const tokenizer: ExactTokenizer = { load: async () => undefined, count: async (_e, texts) => texts.map((t) => ({ tokens: t.length, flags: 0 })) };
    const { estimator, estimate, target } = setup(tokenizer);
    const u = await settleUsage('chat', NO_USAGE, target, estimate, () => 'Six, or so.', estimator);
    expect(u.source).toBe('estimated');
    expect(u.outputTokens).toBe('Six, or so.'.length);
    expect(u.inputTokens).toBe((await estimate.exactly()).promptTokens);
    expect(u.inputTokens).toBeLessThan(estimate.promptTokens);
  });

  it('bills the bounds, not nothing, when the tokenizer thread fails after the provider answered', async () => {
    const tokenizer: ExactTokenizer = {
      load: async () => undefined,
      count: async () => {
        throw new Error('tokenizer thread exited (code 1)');
      },
    };
    const { estimator, estimate, target } = setup(tokenizer);
    const u = await settleUsage('chat', NO_USAGE, target, estimate, () => 'Six, or so. Ünïcödé', estimator);
    expect(u.source).toBe('estimated');
    expect(u.outputTokens).toBe(Buffer.byteLength('Six, or so. Ünïcödé'));
    expect(u.inputTokens).toBe(estimate.promptTokens); // the byte bound the request reserved
    expect(u.costUsd).toBeGreaterThan(0);
  });
});
