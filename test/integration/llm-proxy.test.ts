/**
 * The OpenAI-compatible API end to end: the real `openai` client, the real gateway process,
 * a fake provider. Chat (JSON and streams), responses, embeddings, models, model
 * authorization, token accounting and the audit record.
 */
import { getEncoding } from 'js-tiktoken';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmEnv, fakeProvider, type LlmEnv } from './llm-fixtures.js';

let env: LlmEnv;

beforeAll(async () => {
  env = await startLlmEnv({
    llm: ([fake]) => ({
      providers: [
        fakeProvider('openai', fake!, [
          'gpt-4.1-mini',
          'gpt-4o',
          { name: 'text-embedding-3-small', kind: 'embeddings' },
          { name: 'local-llama', upstreamName: 'llama-3.1-8b', price: { input: 0.1, output: 0.2 } },
          { name: 'short-out', upstreamName: 'gpt-4o', maxOutputTokens: 100 },
        ]),
      ],
      aliases: { fast: { targets: [{ model: 'gpt-4.1-mini' }] }, 'short-first': { targets: [{ model: 'short-out' }, { model: 'gpt-4o' }] } },
    }),
    agents: [
      { id: 'chat-agent', models: { allow: ['gpt-4.1-mini', 'gpt-4o', 'fast', 'text-embedding-3-small', 'local-llama'], defaultModel: 'gpt-4.1-mini' } },
      { id: 'narrow-agent', models: { allow: ['gpt-4.1-mini'] } },
      { id: 'no-models-agent' },
      // Allowed the alias `fast` by name, but denied the one model behind it.
      { id: 'alias-deny-agent', models: { allow: ['fast', 'gpt-4o'], deny: ['gpt-4.1-mini'] } },
      // A token limit makes the gateway reserve (and enforce) an output limit the client did not set.
      { id: 'token-limited', models: { allow: ['short-first'] }, extra: 'rateLimits: { tokensPerMinute: 10000000 }' },
    ],
    env: { KEY_OPENAI: 'sk-provider-secret-abc123' },
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

describe('chat completions', () => {
  it('answers a chat through the provider with the provider key, never the agent key', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    const r = await env.client('chat-agent').chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hello there' }] });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0]!.message.content).toBeTruthy();
    expect(r.usage!.prompt_tokens).toBeGreaterThan(0);
    const sent = fake.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-provider-secret-abc123');
    expect(JSON.stringify(sent.headers)).not.toContain(env.keys['chat-agent']!);
    expect(sent.body.model).toBe('gpt-4.1-mini');
  });

  it('says which provider and model served the request', async () => {
    const { response } = await env.client('chat-agent').chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-warden-provider')).toBe('openai');
    expect(response.headers.get('x-warden-model')).toBe('gpt-4.1-mini');
  });

  it('counts prompt tokens exactly as OpenAI encodes them and records the provider usage', async () => {
    const messages = [
      { role: 'system' as const, content: 'You are terse. Ünïcödé, emoji 🤖, and code: `const x = [1,2,3].map(n => n * 2);`' },
      { role: 'user' as const, content: 'Summarise: the quick brown fox jumps over the lazy dog. '.repeat(20) },
      { role: 'assistant' as const, content: 'Sure.', name: 'helper' },
    ];
    const r = await env.client('chat-agent').chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    // OpenAI's rule (3 per message, 1 per name, 3 priming) with js-tiktoken, independently of the gateway.
    const enc = getEncoding('o200k_base');
    let expected = 3;
    for (const m of messages) expected += 3 + enc.encode(m.role).length + enc.encode(m.content).length + ('name' in m ? 1 + enc.encode(m.name!).length : 0);
    const row = env.audit().at(-1)!;
    // Nothing needed the exact count before the call: the reservation used the cheap bound.
    expect(row.details!.estimate.exact).toBe(false);
    expect(row.details!.estimate.promptTokens).toBeGreaterThanOrEqual(expected);
    expect(row.details!.estimate.maxOutputTokens).toBe(50);
    // The fake provider counts with the same rule: reconciled usage equals what it reported.
    expect(r.usage!.prompt_tokens).toBe(expected);
    expect(row.tokens_in).toBe(r.usage!.prompt_tokens);
    expect(row.tokens_out).toBe(r.usage!.completion_tokens);
    expect(row.details!.usage.source).toBe('provider');
    expect(row.cost_usd).toBeGreaterThan(0);

    // Without usage from the provider the gateway bills its own count: exactly OpenAI's.
    env.fakes[0]!.script({ usage: 'omit' });
    await env.client('chat-agent').chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 50 });
    const counted = env.audit().at(-1)!;
    expect(counted.details!.usage.source).toBe('estimated');
    expect(counted.tokens_in).toBe(expected);
  });

  it('uses the default model when the request names none', async () => {
    const fake = env.fakes[0]!;
    const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.keys['chat-agent']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(fake.requests.at(-1)!.body.model).toBe('gpt-4.1-mini');
  });

  it('passes unknown fields through and ignores fields that would redirect the call', async () => {
    const fake = env.fakes[0]!;
    await env.client('chat-agent').chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error fields the openai types do not know
      some_future_field: { keep: true },
      base_url: 'http://evil.example',
      api_key: 'sk-agent-chosen',
      extra_headers: { 'x-evil': '1' },
      models: ['some-other-model'],
      route: 'fallback',
    });
    const body = fake.requests.at(-1)!.body;
    expect(body.some_future_field).toEqual({ keep: true });
    expect(body.base_url).toBeUndefined();
    expect(body.api_key).toBeUndefined();
    expect(body.extra_headers).toBeUndefined();
    expect(body.models).toBeUndefined();
    expect(body.route).toBeUndefined();
    expect(env.audit().at(-1)!.details!.droppedFields).toEqual(['base_url', 'api_key', 'extra_headers', 'models', 'route']);
  });

  it('relays n choices, tools and response_format untouched', async () => {
    const r = await env.client('chat-agent').chat.completions.create({
      model: 'gpt-4.1-mini',
      n: 2,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      response_format: { type: 'json_object' },
    });
    expect(r.choices).toHaveLength(2);
    const sent = env.fakes[0]!.requests.at(-1)!.body;
    expect(sent.tools[0].function.name).toBe('lookup');
    expect(sent.response_format).toEqual({ type: 'json_object' });
    expect(sent.messages[0].content[1].image_url.url).toBe('data:image/png;base64,AAAA');
    const est = env.audit().at(-1)!.details!.estimate;
    expect(est.n).toBe(2);
    expect(est.exact).toBe(false);
    expect(est.bound).toMatch(/image/);
  });
});

describe("the provider's key in its answers", () => {
  it('is scrubbed from an error body passed through, however the JSON spells it', async () => {
    // "\u0073k-provider\u002dsecret-abc123" decodes to the key: any JSON client would show it.
    const spelt = '{"error":{"message":"bad key \\u0073k-provider\\u002dsecret-abc123 and sk-provider-secret-abc123","type":"invalid_request_error","code":null}}';
    expect(JSON.parse(spelt).error.message).toBe('bad key sk-provider-secret-abc123 and sk-provider-secret-abc123');
    env.fakes[0]!.script({ status: 400, errorText: spelt });
    const err = await env.client('chat-agent').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    const message = (err as { error: { message: string } }).error.message;
    expect(message).toBe('bad key [redacted] and [redacted]');
  });

  it('is not passed on inside a refusal that is not text (UTF-16, which the byte search cannot see)', async () => {
    const utf16 = [...'bad key sk-provider-secret-abc123'].join('\u0000');
    env.fakes[0]!.script({ status: 400, errorText: utf16 });
    const err = await env.client('chat-agent').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'upstream_refused' });
    const message = (err as { error: { message: string } }).error.message;
    expect(message.replace(/[^a-z0-9-]/gi, '')).not.toContain('sk-provider-secret-abc123');
    expect(message).toMatch(/refused the request \(HTTP 400\): a body of \d+ bytes that is not text, not shown/);
  });
});

describe('requests refused for their content', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.keys['chat-agent']}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('are audited with the size, digest and model of the body they read', async () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], n: 0 };
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_params');
    const row = env.audit().at(-1)!;
    expect(row).toMatchObject({ code: 'INVALID_PARAMS', policy: 'read-body', target: 'gpt-4o', request_bytes: Buffer.byteLength(JSON.stringify(body)) });
    expect(row.request_digest).toMatch(/^[0-9a-f]{64}$/);
    // Refused while it was read (a repeated key): its size and digest all the same.
    const twice = '{"model":"gpt-4o","model":"gpt-4o","messages":[]}';
    const dup = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.keys['chat-agent']}`, 'content-type': 'application/json' },
      body: twice,
    });
    expect(dup.status).toBe(400);
    expect(env.audit().at(-1)).toMatchObject({ code: 'BAD_REQUEST', policy: 'read-body', request_bytes: twice.length });
    expect(env.audit().at(-1)!.request_digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('include an explicit null model and a stream_options.include_usage that is not a boolean, as OpenAI refuses them', async () => {
    const nullModel = await post({ model: null, messages: [{ role: 'user', content: 'hi' }] });
    expect(nullModel.status).toBe(400);
    expect(await nullModel.json()).toMatchObject({ error: { code: 'invalid_params', param: 'model' } });
    const usage = await post({ model: 'gpt-4o', stream: true, stream_options: { include_usage: 'yes' }, messages: [{ role: 'user', content: 'hi' }] });
    expect(usage.status).toBe(400);
    expect(await usage.json()).toMatchObject({ error: { code: 'invalid_params', param: 'stream_options' } });
  });

  it('answer 406 to an Accept header that rules out JSON and event streams, and serve what the official client sends', async () => {
    const r = await post({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { accept: 'text/html' });
    expect(r.status).toBe(406);
    expect((await post({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { accept: 'application/json;q=0, text/html' })).status).toBe(406);
    expect(await r.json()).toMatchObject({ error: { code: 'not_acceptable' } });
    expect(env.audit().at(-1)).toMatchObject({ code: 'NOT_ACCEPTABLE', status: 406 });
    for (const accept of ['application/json', 'text/event-stream', '*/*', 'text/html, application/json;q=0.9']) {
      expect((await post({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { accept })).status, accept).toBe(200);
    }
  });
});

describe('JSON answers on the wire', () => {
  it('say their length instead of being chunk-framed, also when the scrub shortened the body', async () => {
    const url = `${env.gw.url}/v1/chat/completions`;
    const headers = { authorization: `Bearer ${env.keys['chat-agent']}`, 'content-type': 'application/json' };
    const ok = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    const okBytes = Buffer.from(await ok.arrayBuffer());
    expect(ok.status).toBe(200);
    expect(ok.headers.get('transfer-encoding')).toBeNull();
    expect(ok.headers.get('content-length')).toBe(String(okBytes.length));
    env.fakes[0]!.script({ status: 400, errorText: '{"error":{"message":"bad key sk-provider-secret-abc123","type":"invalid_request_error","code":null}}' });
    const refused = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    const refusedBytes = Buffer.from(await refused.arrayBuffer());
    expect(refused.status).toBe(400);
    expect(refusedBytes.toString()).toContain('bad key [redacted]');
    expect(refused.headers.get('transfer-encoding')).toBeNull();
    expect(refused.headers.get('content-length')).toBe(String(refusedBytes.length));
  });
});

describe('streams', () => {
  it('streams chunks and strips the usage chunk the client did not ask for, yet records usage', async () => {
    const fake = env.fakes[0]!;
    const stream = await env.client('chat-agent').chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'count' }], stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(sawUsage).toBe(false);
    expect(fake.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
    const row = env.audit().at(-1)!;
    expect(row.details!.stream).toBe(true);
    expect(row.details!.usage.source).toBe('provider');
    expect(row.tokens_out).toBe(8);
  });

  it('keeps the usage chunk when the client asked for it', async () => {
    const stream = await env.client('chat-agent').chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBe(8);
    expect(env.audit().at(-1)!.tokens_out).toBe(8);
  });

  it('streams the Responses API and records its usage', async () => {
    const stream = await env.client('chat-agent').responses.create({ model: 'gpt-4.1-mini', input: 'say hi', stream: true });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const row = env.audit().at(-1)!;
    expect(row.action).toBe('responses');
    expect(row.details!.usage.source).toBe('provider');
    expect(row.tokens_out).toBeGreaterThan(0);
  });
});

describe('responses, embeddings and models', () => {
  it('answers the Responses API as JSON with max_output_tokens reserved', async () => {
    const r = await env.client('chat-agent').responses.create({ model: 'gpt-4.1-mini', input: 'hello', max_output_tokens: 40 });
    expect(r.object).toBe('response');
    expect(r.output_text.length).toBeGreaterThan(0);
    const row = env.audit().at(-1)!;
    expect(row.details!.estimate.maxOutputTokens).toBe(40);
    expect(row.tokens_in).toBe(r.usage!.input_tokens);
  });

  it('embeds, reserving a bound of the input and recording the provider count', async () => {
    const input = ['first text to embed', 'second, longer text to embed with ünicode'];
    const r = await env.client('chat-agent').embeddings.create({ model: 'text-embedding-3-small', input });
    expect(r.data).toHaveLength(2);
    const enc = getEncoding('cl100k_base');
    const expected = input.reduce((n, t) => n + enc.encode(t).length, 0);
    const row = env.audit().at(-1)!;
    expect(row.details!.estimate.promptTokens).toBeGreaterThanOrEqual(expected);
    expect(r.usage.prompt_tokens).toBe(expected);
    expect(row.tokens_in).toBe(r.usage.prompt_tokens);
    expect(row.tokens_out).toBe(0);
  });

  it('refuses a chat model on /v1/embeddings and an embeddings model on chat', async () => {
    const c = env.client('chat-agent');
    await expect(c.embeddings.create({ model: 'gpt-4.1-mini', input: 'x' })).rejects.toMatchObject({ status: 400, code: 'invalid_params' });
    await expect(c.chat.completions.create({ model: 'text-embedding-3-small', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 400,
      param: 'model',
    });
  });

  it('lists only the models and aliases the agent may use', async () => {
    const all = [];
    for await (const m of env.client('chat-agent').models.list()) all.push(m.id);
    expect(all.sort()).toEqual(['fast', 'gpt-4.1-mini', 'gpt-4o', 'local-llama', 'text-embedding-3-small']);
    const narrow = [];
    for await (const m of env.client('narrow-agent').models.list()) narrow.push(m.id);
    expect(narrow).toEqual(['gpt-4.1-mini']);
    const none = [];
    for await (const m of env.client('no-models-agent').models.list()) none.push(m.id);
    expect(none).toEqual([]);
    expect((await env.client('narrow-agent').models.retrieve('gpt-4.1-mini')).id).toBe('gpt-4.1-mini');
    await expect(env.client('narrow-agent').models.retrieve('gpt-4o')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('does not list an alias whose models the agent is denied, as it cannot call it', async () => {
    const c = env.client('alias-deny-agent');
    const listed = [];
    for await (const m of c.models.list()) listed.push(m.id);
    expect(listed).toEqual(['gpt-4o']);
    await expect(c.models.retrieve('fast')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(c.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });
});

describe('routing by output limit', () => {
  it("passes over a target whose limit is below the client's, but not because of a limit the gateway enforced", async () => {
    const c = env.client('token-limited');
    const fake = env.fakes[0]!;
    fake.reset();
    const own = await c.chat.completions.create({ model: 'short-first', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(own.response.headers.get('x-warden-model')).toBe('short-out');
    // The reservation assumed the alias's largest limit; the smaller target gets its own.
    expect(fake.requests.at(-1)!.body.max_tokens).toBe(100);
    const asked = await c.chat.completions.create({ model: 'short-first', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(asked.response.headers.get('x-warden-model')).toBe('gpt-4o');
  });
});

describe('model authorization', () => {
  it('refuses unknown and disallowed models alike, case and suffix tricks included', async () => {
    const c = env.client('narrow-agent');
    const bodies: string[] = [];
    for (const model of ['gpt-4o', 'does-not-exist', 'GPT-4.1-MINI', 'gpt-4.1-mini ', 'gpt-4.1-mini-2025', 'gpt-4.1-mini\u0000', 'openai/gpt-4.1-mini']) {
      const err = await c.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, model).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
      bodies.push((err as Error).message.replace(JSON.stringify(model), 'M').replace(/"[^"]*"/, 'M'));
    }
    // The same answer whether the model exists or not.
    expect(new Set(bodies).size).toBe(1);
    const rows = env.audit("channel = 'llm' AND code = 'MODEL_NOT_FOUND'");
    expect(rows.length).toBeGreaterThanOrEqual(7);
    expect(rows.every((r) => r.policy === 'authorize-target' && r.decision === 'deny')).toBe(true);
  });

  it('refuses an agent without a models section', async () => {
    await expect(env.client('no-models-agent').chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('answers another method on an endpoint 405 in the OpenAI envelope, naming the allowed ones', async () => {
    for (const [method, path, allow] of [['GET', '/v1/chat/completions', 'POST'], ['PUT', '/v1/embeddings', 'POST'], ['POST', '/v1/models', 'GET, HEAD'], ['DELETE', '/v1/models/gpt-4o', 'GET, HEAD']] as const) {
      const res = await fetch(`${env.gw.url}${path}`, { method, headers: { authorization: `Bearer ${env.keys['chat-agent']}` } });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    }
  });

  it('refuses a missing or wrong key with 401 in the OpenAI envelope', async () => {
    const bad = new OpenAI({ apiKey: 'wk_nope', baseURL: `${env.gw.url}/v1`, maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
