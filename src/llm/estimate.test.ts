import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { LlmConfigSchema } from '../config/llm-schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { PromptEstimator, promptShape } from './estimate.js';
import { ModelDirectory, type Route } from './model-directory.js';
import { worstCaseCostUsd } from './prices/cost.js';
import { parseLlmRequest, type LlmEndpoint } from './request-body.js';

const O200K = new Tiktoken(o200k);
/** cl100k_base counts by js-tiktoken (its rank file is not loaded here: it would double this file's start-up time). */
const CL100K_COUNTS: Record<string, number> = { 'The quick brown fox.': 5, 'naïve café 中文': 6, hello: 1 };
const cl100kCount = (s: string) => CL100K_COUNTS[s]!;

/** OpenAI's rule (cookbook "How to count tokens with tiktoken"): 3 per message, its values, 1 more for a name, 3 to prime the reply. */
function openAiChatTokens(enc: Tiktoken, messages: ReadonlyArray<Record<string, string>>): number {
  let n = 3;
  for (const m of messages) {
    n += 3;
    for (const [key, value] of Object.entries(m)) n += enc.encode(value).length + (key === 'name' ? 1 : 0);
  }
  return n;
}

const DEFAULT_OUTPUT = 4096;
const HELD = 5000;

const DIR = new ModelDirectory(
  LlmConfigSchema.parse({
    providers: [
      {
        id: 'openai',
        baseUrl: 'https://api.openai.com/v1',
        models: [
          { name: 'gpt-4o' },
          { name: 'gpt-4o-mini', maxOutputTokens: 16_384, imageTokens: 48_000 },
          { name: 'capped', upstreamName: 'gpt-4o', maxOutputTokens: 1000 },
          { name: 'text-embedding-3-small', kind: 'embeddings' },
        ],
      },
      { id: 'local', baseUrl: 'http://127.0.0.1:11434/v1', internal: true, models: [{ name: 'llama' }, { name: 'nomic', kind: 'embeddings' }] },
    ],
    aliases: {
      'both-capped': { targets: [{ model: 'capped' }, { model: 'gpt-4o-mini' }] },
      'one-unlimited': { targets: [{ model: 'capped' }, { model: 'gpt-4o' }] },
      'priced-pair': { targets: [{ model: 'gpt-4o-mini' }, { model: 'gpt-4o' }] },
      'with-unpriced': { targets: [{ model: 'gpt-4o' }, { model: 'llama' }] },
    },
  }),
);

function route(name: string): Route {
  const r = DIR.route(name);
  if (!r) throw new Error(`no route ${name}`);
  return r;
}

const estimator = () => new PromptEstimator({ defaultMaxOutputTokens: DEFAULT_OUTPUT, heldHistoryTokens: HELD });

/** The exact estimate (what `exactly()` refines the cheap bound to). */
async function estimate(endpoint: LlmEndpoint, body: Record<string, unknown>, est = estimator()) {
  return (await bounded(endpoint, body, est)).exactly();
}

/** The first, cheap estimate: the prompt bounded by its bytes. */
async function bounded(endpoint: LlmEndpoint, body: Record<string, unknown>, est = estimator()) {
  const req = parseLlmRequest(endpoint, body, { defaultModel: undefined, maxChoices: 8 });
  return est.estimate(req, route(req.model), 'agent-1');
}

const MESSAGES: ReadonlyArray<Record<string, string>> = [
  { role: 'system', content: 'You answer in one word.' },
  { role: 'user', name: 'ada', content: 'What is the capital of France?' },
  { role: 'assistant', content: 'Paris.' },
  { role: 'user', content: 'And of Italy, naïvement? 🇮🇹' },
];

describe('PromptEstimator: the cheap bound first', () => {
  it('bounds the prompt by its bytes without tokenizing, never below the exact count', async () => {
    const b = await bounded('chat', { model: 'gpt-4o', messages: MESSAGES });
    const e = await b.exactly();
    expect(b.exact).toBe(false);
    expect(b.bound).toMatch(/upper bound/);
    expect(b.promptTokens).toBeGreaterThanOrEqual(e.promptTokens);
    expect(e.exact).toBe(true);
    expect(b.worstCaseTokens - b.promptTokens).toBe(e.worstCaseTokens - e.promptTokens);
    expect(await e.exactly()).toBe(e);
    expect(await b.exactly()).toBe(e);
  });

  it('is exact at once when the input is token ids', async () => {
    const b = await bounded('embeddings', { model: 'text-embedding-3-small', input: [[1, 2, 3], [4, 5]] });
    expect(b).toMatchObject({ promptTokens: 5, exact: true });
  });
});

describe('PromptEstimator: prompt tokens', () => {
  it("counts a chat prompt exactly as js-tiktoken does with OpenAI's rule", async () => {
    const e = await estimate('chat', { model: 'gpt-4o', messages: MESSAGES });
    expect(e.promptTokens).toBe(openAiChatTokens(O200K, MESSAGES));
    expect(e.exact).toBe(true);
    expect(e.bound).toBeUndefined();
  });

  it('bounds the prompt of a model with no public tokenizer, and says so', async () => {
    const e = await estimate('chat', { model: 'llama', messages: MESSAGES });
    expect(e.exact).toBe(false);
    expect(e.bound).toMatch(/upper bound/);
    expect(e.promptTokens).toBeGreaterThan(openAiChatTokens(O200K, MESSAGES));
  });

  it('counts embeddings input without chat overhead: strings, token ids and token arrays', async () => {
    const texts = ['The quick brown fox.', 'naïve café 中文'];
    const strings = await estimate('embeddings', { model: 'text-embedding-3-small', input: texts });
    expect(strings).toMatchObject({ promptTokens: cl100kCount(texts[0]!) + cl100kCount(texts[1]!), exact: true, maxOutputTokens: 0, worstCaseTokens: strings.promptTokens });
    expect(await estimate('embeddings', { model: 'text-embedding-3-small', input: texts[0] })).toMatchObject({ promptTokens: cl100kCount(texts[0]!), exact: true });
    expect(await estimate('embeddings', { model: 'text-embedding-3-small', input: [101, 102, 103] })).toMatchObject({ promptTokens: 3, exact: true });
    expect(await estimate('embeddings', { model: 'text-embedding-3-small', input: [[1, 2, 3], [4, 5]] })).toMatchObject({ promptTokens: 5, exact: true });
    expect(await estimate('embeddings', { model: 'text-embedding-3-small', input: ['hello', [4, 5]] })).toMatchObject({ promptTokens: cl100kCount('hello') + 2, exact: true });
  });

  it('bounds embeddings input for a model with no public tokenizer', async () => {
    const e = await estimate('embeddings', { model: 'nomic', input: 'héllo' });
    expect(e).toMatchObject({ exact: false, maxOutputTokens: 0 });
    expect(e.promptTokens).toBeGreaterThanOrEqual(Buffer.byteLength('héllo'));
  });

  it('counts a Responses request as instructions (system) + input (user)', async () => {
    const e = await estimate('responses', { model: 'gpt-4o', instructions: 'You answer in one word.', input: 'What is the capital of France?' });
    expect(e.promptTokens).toBe(
      openAiChatTokens(O200K, [
        { role: 'system', content: 'You answer in one word.' },
        { role: 'user', content: 'What is the capital of France?' },
      ]),
    );
    expect(e.exact).toBe(true);
  });

  it('reads Responses input_text parts as text', async () => {
    const input = [{ role: 'user', content: [{ type: 'input_text', text: 'What is the capital of France?' }] }];
    const e = await estimate('responses', { model: 'gpt-4o', input });
    expect(e).toMatchObject({ promptTokens: openAiChatTokens(O200K, [{ role: 'user', content: 'What is the capital of France?' }]), exact: true });
  });

  it('adds the configured bound for a history the provider holds (previous_response_id), and is no longer exact', async () => {
    const plain = await estimate('responses', { model: 'gpt-4o', input: 'Go on.' });
    const held = await estimate('responses', { model: 'gpt-4o', input: 'Go on.', previous_response_id: 'resp_123' });
    expect(held.promptTokens).toBe(plain.promptTokens + HELD);
    expect(held.exact).toBe(false);
    expect(held.bound).toContain('previous_response_id');
    expect(held.bound).toContain(String(HELD));
    const none = await estimate('responses', { model: 'gpt-4o', previous_response_id: 'resp_123' });
    expect(none.promptTokens).toBeGreaterThanOrEqual(HELD);
  });

  it('counts a Responses text.format JSON schema, as the chat API counts response_format', async () => {
    const properties = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`field_${i}`, { type: 'string', description: `The value of field number ${i}, written out in full.` }]));
    const format = { type: 'json_schema', name: 'report', strict: true, schema: { type: 'object', properties } };
    const plain = await estimate('responses', { model: 'gpt-4o', input: 'Fill in the report.' });
    const shaped = await estimate('responses', { model: 'gpt-4o', input: 'Fill in the report.', text: { format } });
    expect(shaped.promptTokens - plain.promptTokens).toBe(O200K.encode(JSON.stringify(format)).length);
    const cheap = await bounded('responses', { model: 'gpt-4o', input: 'Fill in the report.', text: { format } });
    expect(cheap.promptTokens).toBeGreaterThanOrEqual(shaped.promptTokens);
  });

  it('counts Responses instructions given as a list of items', async () => {
    const long = 'Always answer with a table of the relevant figures and their sources. '.repeat(40);
    const plain = await estimate('responses', { model: 'gpt-4o', input: 'Go.' });
    const e = await estimate('responses', { model: 'gpt-4o', input: 'Go.', instructions: [{ role: 'developer', content: [{ type: 'input_text', text: long }] }] });
    expect(e.promptTokens - plain.promptTokens).toBeGreaterThanOrEqual(O200K.encode(long).length);
  });

  it('adds the held-input bound for files and item references the provider reads itself, and is not exact', async () => {
    const cases: Array<[LlmEndpoint, Record<string, unknown>, string]> = [
      ['chat', { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'Summarize.' }, { type: 'file', file: { file_id: 'file-abc123' } }] }] }, 'file parts'],
      ['responses', { model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Summarize.' }, { type: 'input_file', file_url: 'https://example.com/a.pdf' }] }] }, 'file inputs'],
      ['responses', { model: 'gpt-4o', input: [{ type: 'item_reference', id: 'msg_123' }, { role: 'user', content: 'Go on.' }] }, 'item_reference'],
      ['responses', { model: 'gpt-4o', input: [{ type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'file inputs'],
    ];
    for (const [endpoint, body, label] of cases) {
      for (const e of [await bounded(endpoint, body), await estimate(endpoint, body)]) {
        expect(e.promptTokens, label).toBeGreaterThanOrEqual(HELD);
        expect(e.exact, label).toBe(false);
        expect(e.bound, label).toContain(label);
      }
    }
  });

  it('adds the held-history bound for a stored prompt template (prompt.id), and is not exact', async () => {
    const e = await estimate('responses', { model: 'gpt-4o', prompt: { id: 'pmpt_123', variables: { city: 'Paris' } } });
    expect(e.exact).toBe(false);
    expect(e.promptTokens).toBeGreaterThanOrEqual(HELD);
  });

  it("charges each image at the largest per-image figure among the route's targets", async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }];
    const alone = await estimate('chat', { model: 'gpt-4o', messages });
    const pair = await estimate('chat', { model: 'priced-pair', messages });
    expect(alone.promptTokens).toBeGreaterThanOrEqual(3800);
    expect(alone.promptTokens).toBeLessThan(48_000);
    expect(pair.promptTokens).toBe(alone.promptTokens - 3800 + 48_000);
    expect(pair.exact).toBe(false);
  });
});

describe('PromptEstimator: output tokens', () => {
  const chat = (model: string, extra: Record<string, unknown> = {}) => estimate('chat', { model, messages: MESSAGES, ...extra });

  it('reserves what the request asks for, times n', async () => {
    const e = await chat('gpt-4o', { max_tokens: 200, n: 3 });
    expect(e).toMatchObject({ maxOutputTokens: 200, n: 3, worstCaseTokens: e.promptTokens + 600 });
    expect((await estimate('responses', { model: 'gpt-4o', input: 'hi', max_output_tokens: 77 })).maxOutputTokens).toBe(77);
  });

  it("reserves the model's limit when the request sets none, else the configured default", async () => {
    expect((await chat('gpt-4o-mini')).maxOutputTokens).toBe(16_384);
    expect((await chat('gpt-4o')).maxOutputTokens).toBe(DEFAULT_OUTPUT);
    expect((await chat('capped')).maxOutputTokens).toBe(1000);
    // An alias reserves for the target that may write the most.
    expect((await chat('both-capped')).maxOutputTokens).toBe(16_384);
    expect((await chat('one-unlimited')).maxOutputTokens).toBe(DEFAULT_OUTPUT);
  });

  it("refuses a limit above every target's own limit, naming the field", async () => {
    const refused = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(err)}`);
      return { code: err.code, param: err.details?.param, message: err.message };
    };
    expect(await refused(chat('capped', { max_tokens: 1001 }))).toEqual({ code: 'INVALID_PARAMS', param: 'max_tokens', message: "max_tokens is above the model's output limit of 1000 tokens" });
    expect(await refused(chat('both-capped', { max_tokens: 16_385 }))).toMatchObject({ param: 'max_tokens', message: expect.stringContaining('16384') });
    expect(await refused(estimate('responses', { model: 'capped', input: 'hi', max_output_tokens: 5000 }))).toMatchObject({ param: 'max_output_tokens' });
    expect((await chat('capped', { max_tokens: 1000 })).maxOutputTokens).toBe(1000);
  });

  it('accepts a limit that one target of the route can honour, or that no limit bounds', async () => {
    expect((await chat('both-capped', { max_tokens: 5000 })).maxOutputTokens).toBe(5000);
    expect((await chat('one-unlimited', { max_tokens: 200_000 })).maxOutputTokens).toBe(200_000);
  });
});

describe('PromptEstimator: worst-case cost', () => {
  it('prices the whole worst case at the priciest target of the route', async () => {
    const e = await estimate('chat', { model: 'priced-pair', messages: MESSAGES, max_tokens: 1000, n: 2 });
    const gpt4o = route('gpt-4o').targets[0]!.target.price!;
    expect(e.worstCaseUsd).toBe(worstCaseCostUsd(gpt4o, e.promptTokens, 2000));
    // gpt-4o: 2.5 / 10 USD per 1M; the output alone is 2000 x 10 / 1e6.
    expect(e.worstCaseUsd).toBeGreaterThan(0.02);
    const mini = await estimate('chat', { model: 'gpt-4o-mini', messages: MESSAGES, max_tokens: 1000, n: 2 });
    expect(mini.worstCaseUsd).toBeLessThan(e.worstCaseUsd!);
  });

  it('is null when any target has no price (unknown is never free)', async () => {
    expect((await estimate('chat', { model: 'with-unpriced', messages: MESSAGES })).worstCaseUsd).toBeNull();
    expect((await estimate('chat', { model: 'llama', messages: MESSAGES })).worstCaseUsd).toBeNull();
  });
});

describe('promptShape', () => {
  const shape = (endpoint: LlmEndpoint, body: Record<string, unknown>) => promptShape(parseLlmRequest(endpoint, { model: 'm', ...body }, { defaultModel: undefined, maxChoices: 8 }));
  const tool = { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } };

  it('sees tools (and legacy functions) on chat and Responses; an empty list is none', () => {
    expect(shape('chat', { messages: MESSAGES, tools: [tool] })).toEqual({ tools: true, images: false });
    expect(shape('chat', { messages: MESSAGES, functions: [tool.function] })).toEqual({ tools: true, images: false });
    expect(shape('chat', { messages: MESSAGES, tools: [] })).toEqual({ tools: false, images: false });
    expect(shape('responses', { input: 'hi', tools: [{ type: 'function', name: 'f' }] })).toEqual({ tools: true, images: false });
  });

  it('sees image parts in chat messages and in Responses input', () => {
    expect(shape('chat', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] })).toEqual({ tools: false, images: true });
    expect(shape('chat', { messages: [{ role: 'user', content: [{ type: 'text', text: 'image_url' }] }] })).toEqual({ tools: false, images: false });
    expect(shape('responses', { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] })).toEqual({ tools: false, images: true });
    expect(shape('responses', { input: 'an image_url, in words' })).toEqual({ tools: false, images: false });
  });

  it('reports the shape on the estimate for route rules and the audit', async () => {
    const e = await estimate('chat', { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }], tools: [tool] });
    expect(e).toMatchObject({ hasTools: true, hasImages: true });
  });
});
