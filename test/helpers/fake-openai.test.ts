import OpenAI, { APIConnectionError, APIConnectionTimeoutError, AuthenticationError, InternalServerError, RateLimitError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai.js';

const KEY = 'sk-fake-test';
const encodings = { o200k: new Tiktoken(o200k), cl100k: new Tiktoken(cl100k) };
const tokens = (enc: Tiktoken, text: string): number => enc.encode(text, [], []).length;

let fake: FakeOpenAi;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAi({ apiKey: KEY });
  client = new OpenAI({ baseURL: fake.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const messages = [
  { role: 'system' as const, content: 'You answer in one short sentence.' },
  { role: 'user' as const, name: 'ada', content: 'What is the capital of France? Réponds en français, s’il te plaît.' },
];

/** OpenAI's cookbook rule, spelled out independently of the fake: 3 per message, its strings, 1 per name, 3 for the reply. */
function expectedPrompt(enc: Tiktoken): number {
  return 3 + messages.reduce((n, m) => n + 3 + Object.values(m).reduce((k, v) => k + tokens(enc, v), 0) + ('name' in m ? 1 : 0), 0);
}

async function rawSse(path: string, body: object): Promise<string> {
  const res = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.text();
}

describe('chat completions', () => {
  it('answers a chat.completion whose prompt_tokens follow the chat rule with the model family’s encoding', async () => {
    const a = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(a.object).toBe('chat.completion');
    expect(a.choices).toHaveLength(1);
    expect(a.choices[0]?.message).toMatchObject({ role: 'assistant', refusal: null });
    expect(a.choices[0]?.finish_reason).toBe('stop');
    const text = a.choices[0]?.message.content ?? '';
    expect(tokens(encodings.o200k, text)).toBe(8);
    expect(a.usage).toEqual({
      prompt_tokens: expectedPrompt(encodings.o200k),
      completion_tokens: 8,
      total_tokens: expectedPrompt(encodings.o200k) + 8,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
    const legacy = await client.chat.completions.create({ model: 'gpt-4-0613', messages });
    expect(legacy.usage?.prompt_tokens).toBe(expectedPrompt(encodings.cl100k));
    // The two encodings differ on this French text, so the model name really chose the encoding.
    expect(expectedPrompt(encodings.o200k)).not.toBe(expectedPrompt(encodings.cl100k));
  });

  it('gives n choices and counts their tokens together', async () => {
    fake.script({ tokens: 5 });
    const a = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, n: 2 });
    expect(a.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(a.choices[1]?.message.content).toBe('Hello from the fake model');
    expect(a.usage?.completion_tokens).toBe(10);
  });

  it('stops at max_tokens or max_completion_tokens with finish_reason length', async () => {
    const a = await client.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 3 });
    expect(a.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'Hello from the' } });
    expect(a.usage?.completion_tokens).toBe(3);
    const b = await client.chat.completions.create({ model: 'gpt-4o', messages, max_completion_tokens: 2 });
    expect(b.usage?.completion_tokens).toBe(2);
  });

  it('answers with a call of the request’s tool when the step asks for one', async () => {
    fake.script({ toolCall: true });
    const a = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } } }],
    });
    const choice = a.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('no function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'example', days: 1 });
  });

  it('streams a role chunk, one chunk per token and a finish chunk, with no usage anywhere unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks).toHaveLength(10);
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from the fake model with some more');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]?.id && !('usage' in c))).toBe(true);
    expect(await rawSse('/chat/completions', { model: 'gpt-4o', messages, stream: true })).toMatch(/data: \[DONE\]\n\n$/);
  });

  it('with include_usage, sends usage: null on every chunk and the usage in a last chunk with no choices', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true }, n: 2, max_tokens: 4 });
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.pop();
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: expectedPrompt(encodings.o200k), completion_tokens: 8, total_tokens: expectedPrompt(encodings.o200k) + 8 });
    expect(chunks.every((c) => c.usage === null && c.choices.length === 1)).toBe(true);
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finishes.map((c) => [c.choices[0]?.index, c.choices[0]?.finish_reason])).toEqual([
      [0, 'length'],
      [1, 'length'],
    ]);
  });

  it('streams a tool call as argument deltas the client can join', async () => {
    fake.script({ toolCall: true });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' }, exact: { type: 'boolean' } } } } }],
    });
    let name = '';
    let args = '';
    let finish: string | null | undefined;
    for await (const c of stream) {
      const call = c.choices[0]?.delta.tool_calls?.[0];
      name += call?.function?.name ?? '';
      args += call?.function?.arguments ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('lookup');
    expect(JSON.parse(args)).toEqual({ query: 'example', exact: true });
    expect(finish).toBe('tool_calls');
  });

  it('reports the usage a step dictates, or none', async () => {
    fake.script({ usage: { prompt_tokens: 1000, completion_tokens: 0, cached_tokens: 600 } }, { usage: 'omit' }, { usage: 'omit' });
    const a = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(a.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 0, total_tokens: 1000, prompt_tokens_details: { cached_tokens: 600 } });
    const b = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(b).not.toHaveProperty('usage');
    const sse = await rawSse('/chat/completions', { model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } });
    expect(sse).not.toContain('"usage"');
    expect(sse).toContain('data: [DONE]');
  });

  it('sends one SSE event of the requested size', async () => {
    fake.script({ hugeEventBytes: 200_000 });
    const events = (await rawSse('/chat/completions', { model: 'gpt-4o', messages, stream: true })).split('\n\n');
    const sizes = events.map((e) => Buffer.byteLength(e) + 2).sort((x, y) => y - x);
    expect(sizes[0]).toBeGreaterThan(199_990);
    expect(sizes[0]).toBeLessThanOrEqual(200_000);
    expect(sizes[1]).toBeLessThan(1_000);
  });
});

describe('embeddings', () => {
  it('answers base64 embeddings the client decodes to unit vectors, equal for equal input', async () => {
    const a = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['the cat sat', 'on the mat', 'the cat sat'] });
    expect(fake.requests.at(-1)?.body.encoding_format).toBe('base64');
    expect(a.object).toBe('list');
    expect(a.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([
      ['embedding', 0, 1536],
      ['embedding', 1, 1536],
      ['embedding', 2, 1536],
    ]);
    const [x, y, z] = a.data.map((d) => d.embedding);
    expect(Math.hypot(...(x ?? []))).toBeCloseTo(1, 4);
    expect(z).toEqual(x);
    expect(y).not.toEqual(x);
    const expected = tokens(encodings.cl100k, 'the cat sat') * 2 + tokens(encodings.cl100k, 'on the mat');
    expect(a.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });
  });

  it('honours dimensions, float format and token-array input', async () => {
    const res = await fetch(`${fake.url}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-large', input: [[1, 2, 3], [4, 5]], dimensions: 256, encoding_format: 'float' }),
    });
    const a = (await res.json()) as { data: Array<{ embedding: number[] }>; usage: { prompt_tokens: number } };
    expect(a.data.map((d) => d.embedding.length)).toEqual([256, 256]);
    expect(typeof a.data[0]?.embedding[0]).toBe('number');
    expect(a.usage.prompt_tokens).toBe(5);
  });
});

describe('responses', () => {
  it('answers a completed response with output_text and usage, and an incomplete one at max_output_tokens', async () => {
    const r = await client.responses.create({ model: 'gpt-4o', instructions: 'Be brief.', input: 'Say hello.' });
    expect(r).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o' });
    expect(r.output).toEqual([
      {
        id: expect.any(String),
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Hello from the fake model with some more', annotations: [], logprobs: [] }],
      },
    ]);
    expect(r.output_text).toBe('Hello from the fake model with some more');
    // Instructions count as a system message, the input string as a user message.
    const o = (text: string) => tokens(encodings.o200k, text);
    const input = 3 + (3 + o('system') + o('Be brief.')) + (3 + o('user') + o('Say hello.'));
    expect(r.usage).toEqual({
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 8,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + 8,
    });

    const cut = await client.responses.create({ model: 'gpt-4o', input: 'Say hello.', max_output_tokens: 2 });
    expect(cut).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output_text: 'Hello from',
      usage: { output_tokens: 2 },
    });
  });

  it('streams the Responses events in sequence, which both client APIs accept', async () => {
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'Say hello.', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(8);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(completed.response.usage?.output_tokens).toBe(8);

    const helper = client.responses.stream({ model: 'gpt-4o', input: 'Say hello.' });
    let deltas = '';
    helper.on('response.output_text.delta', (e) => (deltas += e.delta));
    const final = await helper.finalResponse();
    expect(final.output_text).toBe('Hello from the fake model with some more');
    expect(deltas).toBe(final.output_text);
  });

  it('streams a function call the stream helper assembles', async () => {
    fake.script({ toolCall: true });
    const parameters = { type: 'object', properties: { city: { type: 'string' } } };
    const final = await client.responses
      .stream({ model: 'gpt-4o', input: 'Weather?', tools: [{ type: 'function', name: 'get_weather', strict: false, parameters }] })
      .finalResponse();
    expect(final.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"example"}', status: 'completed' });
  });
});

describe('models', () => {
  it('lists models and retrieves one, 404 for an unknown one', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o');
    expect(await client.models.retrieve('text-embedding-3-small')).toMatchObject({ id: 'text-embedding-3-small', object: 'model' });
    await expect(client.models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });
});

describe('failures', () => {
  it('answers a scripted 429 with retry-after in OpenAI’s error envelope, then the default again', async () => {
    fake.script({ status: 429, retryAfter: '7' });
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const rate = err as RateLimitError;
    expect(rate.headers?.get('retry-after')).toBe('7');
    expect(rate.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null, message: expect.any(String) });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('fails fail-<status> models without taking the scripted step', async () => {
    fake.script({ tokens: 3 });
    await expect(client.chat.completions.create({ model: 'fail-503', messages })).rejects.toBeInstanceOf(InternalServerError);
    await expect(client.embeddings.create({ model: 'fail-400', input: 'x' })).rejects.toMatchObject({ status: 400 });
    const a = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(a.usage?.completion_tokens).toBe(3);
  });

  it('refuses a wrong API key with 401 and malformed JSON with 400', async () => {
    const wrong = new OpenAI({ baseURL: fake.url, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(AuthenticationError);
    const res = await fetch(`${fake.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{"model":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('breaks a stream after k chunks: the client sees them, then its iteration throws', async () => {
    fake.script({ breakAfterChunks: 3, chunkDelayMs: 5 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? '');
    };
    await expect(iterate()).rejects.toThrow();
    expect(seen).toEqual(['', 'Hello', ' from']);
    fake.script({ breakAfterChunks: 2 });
    const unpaced = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    await expect((async () => { for await (const _ of unpaced); })()).rejects.toThrow();
    // The fake broke them itself: that is not a client going away.
    expect(fake.stats.aborted).toBe(0);
  });

  it('counts an abort when the client gives up on a hung request', async () => {
    fake.script({ hang: true });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages }, { timeout: 150 })).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    await vi.waitFor(() => expect(fake.stats.aborted).toBe(1));
    expect(fake.stats.inFlight).toBe(0);
    expect(fake.requests).toHaveLength(1);
  });

  it('keeps an endless stream going until the client leaves, and counts that as an abort', async () => {
    fake.script({ neverEnd: true, chunkDelayMs: 2 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let n = 0;
    for await (const _ of stream) if (++n === 30) break;
    await vi.waitFor(() => expect(fake.stats.aborted).toBe(1));
    expect(n).toBe(30);
  });

  it('delays the answer by delayMs, so a shorter client timeout fails', async () => {
    fake.script({ delayMs: 2_000 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages }, { timeout: 100 })).rejects.toBeInstanceOf(APIConnectionError);
    await vi.waitFor(() => expect(fake.stats.aborted).toBe(1));
  });

  it('closes promptly with a hung request still open', async () => {
    const own = await startFakeOpenAi();
    own.setDefault({ hang: true });
    const pending = fetch(`${own.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-4o', messages }) }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(own.requests).toHaveLength(1));
    expect(own.stats.open).toBe(1);
    await own.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(own.stats.open).toBe(0);
  });
});

describe('recorded requests', () => {
  it('records method, path without query, headers and the parsed body of every request', async () => {
    await client.chat.completions.create({ model: 'gpt-4o', messages, temperature: 0.2, unknown_field: { kept: true } } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await fetch(`${fake.url}/models?limit=1`, { headers: { authorization: `Bearer ${KEY}` } });
    const [chat, models] = fake.requests;
    expect(chat).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'gpt-4o', messages, temperature: 0.2, unknown_field: { kept: true } } });
    expect(chat?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(chat?.at).toBeGreaterThan(Date.now() - 60_000);
    expect(models).toMatchObject({ method: 'GET', path: '/v1/models', body: undefined });
  });
});
