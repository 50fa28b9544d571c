/**
 * The LLM proxy when providers and clients misbehave: fallback across providers, retries,
 * the circuit breaker, timeouts, broken and endless streams, oversized events, missing or
 * inflated usage, client disconnects, and bad requests. Each with the real `openai` client.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeProvider, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

let env: LlmEnv;
const user = [{ role: 'user' as const, content: 'hello' }];

beforeAll(async () => {
  env = await startLlmEnv({
    fakes: 2,
    llm: ([a, b]) => ({
      providers: [
        fakeProvider('primary', a!, ['gpt-4.1-mini', 'gpt-4o', 'gpt-4.1-nano', 'gpt-4.1', { name: 'pages-model', upstreamName: 'gpt-4o' }, { name: 'fail-400', encoding: null }, { name: 'fail-503', encoding: null }], {
          timeouts: { firstByteMs: 1500, idleMs: 1000, totalMs: 4000 },
          maxEventBytes: 4096,
          maxResponseBytes: 64 * 1024,
        }),
        // One connection shared by both (same origin and settings: one pool): a request to
        // `queued` waits behind one `held` is holding.
        fakeProvider('held', a!, [{ name: 'held-model', upstreamName: 'gpt-4o' }], { maxConnections: 1, timeouts: { totalMs: 30_000 } }),
        fakeProvider('queued', a!, [{ name: 'queued-model', upstreamName: 'gpt-4o' }], { maxConnections: 1, timeouts: { totalMs: 300 } }),
        fakeProvider('backup', b!, [{ name: 'gpt-4.1-mini@backup', upstreamName: 'gpt-4.1-mini' }, { name: 'gpt-4.1-nano@backup', upstreamName: 'gpt-4.1-nano' }], { timeouts: { firstByteMs: 1500, idleMs: 1000, totalMs: 4000 } }),
      ],
      aliases: {
        resilient: { strategy: 'fallback', targets: [{ model: 'gpt-4.1-mini' }, { model: 'gpt-4.1-mini@backup' }] },
        // Its own first target: the tests that fail it stay under the circuit's threshold.
        'page-first': { strategy: 'fallback', targets: [{ model: 'pages-model' }, { model: 'gpt-4.1-mini@backup' }] },
        // Its own targets: failing them all opens their circuits, which must not touch other tests.
        doomed: { targets: [{ model: 'gpt-4.1-nano' }, { model: 'gpt-4.1-nano@backup' }] },
        broken: { targets: [{ model: 'fail-503' }, { model: 'gpt-4.1-mini@backup' }] },
        refusing: { targets: [{ model: 'fail-400' }, { model: 'gpt-4.1-mini@backup' }] },
        'short-or-long': {
          targets: [{ model: 'gpt-4o' }],
          rules: [{ when: { maxPromptTokens: 50 }, targets: [{ model: 'gpt-4.1-mini@backup' }] }],
        },
      },
      retries: { maxAttempts: 3, baseMs: 1, capMs: 5 },
      circuitBreaker: { failureThreshold: 3, openMs: 60_000 },
      defaults: { maxChoices: 8, maxBodyBytes: 1024 * 1024 },
    }),
    agents: [{ id: 'agent', models: { allow: ['*'] } }, { id: 'breaker-agent', models: { allow: ['*'] } }],
    env: { KEY_PRIMARY: 'sk-primary', KEY_BACKUP: 'sk-backup', KEY_HELD: 'sk-held', KEY_QUEUED: 'sk-queued' },
  });
  // One answered request per provider first: on a loaded machine a cold first answer can take
  // longer than the 1.5 s first-byte timeouts these tests rely on for the cases that hang.
  for (const model of ['gpt-4.1-mini', 'gpt-4.1-mini@backup']) await env.client('agent').chat.completions.create({ model, messages: user });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

function reset(): void {
  for (const f of env.fakes) f.reset();
}

describe('fallback and retries', () => {
  it('falls back to the next target on 500, then succeeds, and records every attempt', async () => {
    reset();
    env.fakes[0]!.script({ status: 500 }, { status: 500 }, { status: 500 });
    const { response } = await env.client('agent').chat.completions.create({ model: 'resilient', messages: user }).withResponse();
    expect(response.headers.get('x-warden-provider')).toBe('backup');
    expect(env.fakes[1]!.requests.at(-1)!.headers.authorization).toBe('Bearer sk-backup');
    const row = env.audit().at(-1)!;
    expect(row.decision).toBe('allow');
    expect(row.details!.attempts.map((a: { provider: string; status: number }) => `${a.provider}:${a.status}`)).toEqual(['primary:500', 'backup:200']);
  });

  it('falls back past a 2xx that is not JSON without charging it: a whole answer, not a cut-short one', async () => {
    reset();
    env.fakes[0]!.script({ text: '<html><body>502 Bad Gateway</body></html>' });
    const { response } = await env.client('agent').chat.completions.create({ model: 'page-first', messages: user }).withResponse();
    expect(response.headers.get('x-warden-provider')).toBe('backup');
    const row = env.audit().at(-1)!;
    const attempts = row.details!.attempts as Array<{ provider: string; error?: string; billable?: boolean }>;
    expect(attempts.map((a) => `${a.provider}:${a.error ?? 'ok'}`)).toEqual(['primary:bad-response', 'backup:ok']);
    expect(attempts.some((a) => a.billable)).toBe(false);
    expect(row.details!.usage.unanswered).toBeUndefined();
  });

  it('falls back past a 2xx whose JSON does not parse (a key spelt UTF-16 inside it never reaches the agent)', async () => {
    reset();
    env.fakes[0]!.script({ text: `{"id":"x","note":"${[...'sk-primary'].join('\u0000')}"}`, contentType: 'application/json' });
    const { data, response } = await env.client('agent').chat.completions.create({ model: 'page-first', messages: user }).withResponse();
    expect(response.headers.get('x-warden-provider')).toBe('backup');
    expect(JSON.stringify(data)).not.toContain('\\u0000');
    const attempts = env.audit().at(-1)!.details!.attempts as Array<{ provider: string; error?: string; billable?: boolean }>;
    expect(attempts[0]).toMatchObject({ provider: 'primary', error: 'bad-response' });
    expect(attempts[0]!.billable).toBeUndefined();
  });

  it("answers 503 with the provider's Retry-After, at once, when its 429 asks for a wait past the deadline", async () => {
    reset();
    env.fakes[0]!.script({ status: 429, retryAfter: '100' });
    const started = Date.now();
    const err = await env.client('agent', { maxRetries: 0 }).chat.completions.create({ model: 'gpt-4.1', messages: user }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err).toMatchObject({ status: 503, code: 'upstream_unavailable' });
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('100');
    expect((err as Error).message).toContain('HTTP 429');
    expect(env.audit().at(-1)!.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('retries the same target after a 500 and succeeds when it recovers', async () => {
    reset();
    env.fakes[0]!.script({ status: 500 });
    const r = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user });
    expect(r.choices[0]!.message.content).toBeTruthy();
    expect(env.fakes[0]!.requests).toHaveLength(2);
    expect(env.audit().at(-1)!.details!.attempts).toHaveLength(2);
  });

  it('falls back on 429 and on a timeout, never on a 400 the request caused', async () => {
    reset();
    env.fakes[0]!.script({ status: 429, retryAfter: '0' });
    const { response } = await env.client('agent').chat.completions.create({ model: 'resilient', messages: user }).withResponse();
    expect(response.headers.get('x-warden-provider')).toBe('backup');

    reset();
    env.fakes[0]!.script({ hang: true });
    const t = await env.client('agent').chat.completions.create({ model: 'resilient', messages: user }).withResponse();
    expect(t.response.headers.get('x-warden-provider')).toBe('backup');
    const timedOut = env.audit().at(-1)!;
    expect(timedOut.details!.attempts[0]).toMatchObject({ error: 'timeout', billable: true });
    // firstByteMs 1500: not before it.
    expect(timedOut.details!.attempts[0].ms).toBeGreaterThanOrEqual(1500);
    // The provider had the first request and may bill it: its worst case is charged on top of the answer.
    const { estimate, usage } = timedOut.details!;
    expect(usage.unanswered).toMatchObject({ attempts: 1, outputTokens: estimate.maxOutputTokens, source: 'reserved' });
    expect(usage.unanswered.inputTokens).toBe(8); // the prompt, counted exactly
    expect(timedOut.tokens_in).toBe(usage.inputTokens + 8);
    expect(timedOut.tokens_out).toBe(usage.outputTokens + estimate.maxOutputTokens);

    reset();
    const err = await env.client('agent').chat.completions.create({ model: 'refusing', messages: user }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(env.fakes[1]!.requests).toHaveLength(0);
    const row = env.audit().at(-1)!;
    expect(row.status).toBe(400);
    expect(row.details!.attempts).toHaveLength(1);
  });

  it('answers 503 with every attempt recorded when all targets fail', async () => {
    reset();
    env.fakes[0]!.setDefault({ status: 502 });
    env.fakes[1]!.setDefault({ status: 503 });
    const err = (await env.client('agent').chat.completions.create({ model: 'doomed', messages: user }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(503);
    expect(err.code).toBe('upstream_unavailable');
    const row = env.audit().at(-1)!;
    expect(row.decision).toBe('error');
    expect(row.details!.attempts.map((a: { provider: string; status: number }) => `${a.provider}:${a.status}`)).toEqual(['primary:502', 'backup:503', 'primary:502']);
    expect(row.tokens_in ?? 0).toBe(0); // every provider answered: nothing was processed to bill
    reset();
  });

  it("charges a timed-out attempt's worst case when the next one ends in the provider's refusal", async () => {
    reset();
    env.fakes[0]!.script({ hang: true }, { status: 400 });
    const err = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const row = env.audit().at(-1)!;
    expect(row.details!.attempts.map((a: { error?: string; status?: number }) => a.error ?? a.status)).toEqual(['timeout', 400]);
    expect(row.details!.usage.unanswered).toMatchObject({ attempts: 1, inputTokens: 8, source: 'reserved' });
    expect(row.tokens_in).toBe(8);
    expect(row.tokens_out).toBe(row.details!.estimate.maxOutputTokens);
  });

  it('charges the worst case once per attempt the providers may have billed without answering', async () => {
    reset();
    env.fakes[0]!.setDefault({ hang: true });
    env.fakes[1]!.setDefault({ hang: true });
    const err = (await env.client('agent', { timeout: 20_000 }).chat.completions.create({ model: 'doomed', messages: user }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(504);
    const row = env.audit().at(-1)!;
    // (A target whose circuit the test before opened is skipped, not tried.)
    const tried = (row.details!.attempts as Array<{ error?: string; billable?: boolean; skipped?: string }>).filter((a) => !a.skipped);
    expect(tried.length).toBeGreaterThanOrEqual(2);
    expect(tried.every((a) => a.error === 'timeout' && a.billable === true)).toBe(true);
    const { estimate, usage } = row.details!;
    expect(usage).toMatchObject({ source: 'reserved', attempts: tried.length });
    expect(row.tokens_in).toBe(tried.length * 8);
    expect(row.tokens_out).toBe(tried.length * estimate.maxOutputTokens);
    reset();
  });

  it('charges nothing for attempts that timed out waiting for a connection: the provider never saw them', async () => {
    reset();
    env.fakes[0]!.script({ hang: true });
    const holder = new AbortController();
    const held = env.client('agent', { maxRetries: 0 }).chat.completions.create({ model: 'held-model', messages: user }, { signal: holder.signal }).catch((e: unknown) => e);
    await expect.poll(() => env.fakes[0]!.requests.length).toBe(1);
    const t0 = Date.now();
    const err = (await env.client('agent', { maxRetries: 0 }).chat.completions.create({ model: 'queued-model', messages: user }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(504);
    // At its deadline (300 ms), not when the held connection frees up (30 s).
    expect(Date.now() - t0).toBeLessThan(10_000);
    const row = env.audit().at(-1)!;
    expect(row.target).toBe('queued-model');
    const attempts = row.details!.attempts as Array<{ provider: string; error?: string; billable?: boolean }>;
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.every((a) => a.provider === 'queued' && a.error === 'timeout' && a.billable === undefined)).toBe(true);
    expect(row.details!.usage?.attempts).toBeUndefined();
    expect([row.tokens_in ?? 0, row.tokens_out ?? 0]).toEqual([0, 0]);
    expect(env.fakes[0]!.requests).toHaveLength(1);
    // A client that gives up while its attempt still waits for the connection: nothing charged either.
    const leaver = new AbortController();
    const left = env.client('agent', { maxRetries: 0 }).chat.completions.create({ model: 'queued-model', messages: user }, { signal: leaver.signal }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    leaver.abort();
    await left;
    await expect.poll(() => env.audit().at(-1)!.code).toBe('CLIENT_CLOSED_REQUEST');
    const gone = env.audit().at(-1)!;
    expect(gone.details!.attempts).toMatchObject([{ provider: 'queued', error: 'aborted-by-client' }]);
    expect(gone.details!.attempts[0].billable).toBeUndefined();
    expect([gone.tokens_in ?? 0, gone.tokens_out ?? 0]).toEqual([0, 0]);
    expect(env.fakes[0]!.requests).toHaveLength(1);
    holder.abort();
    await held;
    reset();
  });

  it('routes by request shape: short prompts to the rule target, long ones to the default', async () => {
    reset();
    await env.client('agent').chat.completions.create({ model: 'short-or-long', messages: user });
    expect(env.fakes[1]!.requests).toHaveLength(1);
    await env.client('agent').chat.completions.create({ model: 'short-or-long', messages: [{ role: 'user', content: 'word '.repeat(200) }] });
    expect(env.fakes[0]!.requests).toHaveLength(1);
  });

  it('counts exactly when the bound alone cannot decide a prompt-size rule', async () => {
    reset();
    // 40 bytes of text: the byte bound (about 60) is over the rule's 50, the exact count (about 27) is under it.
    await env.client('agent').chat.completions.create({ model: 'short-or-long', messages: [{ role: 'user', content: 'a '.repeat(20) }] });
    expect(env.fakes[1]!.requests).toHaveLength(1);
    const est = env.audit().at(-1)!.details!.estimate;
    expect(est.exact).toBe(true);
    expect(est.promptTokens).toBeLessThanOrEqual(50);
  });

  it('opens the circuit after consecutive failures and stops calling the failing target', async () => {
    reset();
    const c = env.client('breaker-agent');
    // fail-503 always fails: three failures open its circuit.
    for (let i = 0; i < 3; i++) await c.chat.completions.create({ model: 'broken', messages: user });
    const before = env.fakes[0]!.requests.length;
    const { response } = await c.chat.completions.create({ model: 'broken', messages: user }).withResponse();
    expect(response.headers.get('x-warden-provider')).toBe('backup');
    expect(env.fakes[0]!.requests.length).toBe(before);
    expect(env.audit().at(-1)!.details!.attempts[0].skipped).toBe('circuit-open');
  });
});

describe('streams that go wrong', () => {
  it('replays as a stream a whole JSON answer the provider sent to a stream request, billed by its usage', async () => {
    reset();
    const completion = {
      id: 'chatcmpl-whole',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Answered whole.' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    };
    env.fakes[0]!.script({ text: JSON.stringify(completion), contentType: 'application/json' });
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Answered whole.');
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3 });
    const row = env.audit().at(-1)!;
    expect(row).toMatchObject({ decision: 'allow', tokens_in: 5, tokens_out: 3 });
    expect(row.details!.answeredWhole).toBe(true);
  });

  it('ends a stream that breaks mid-way with an error, and bills what was delivered as estimated', async () => {
    reset();
    env.fakes[0]!.script({ breakAfterChunks: 4, usage: 'omit' });
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeTruthy();
    const row = env.audit().at(-1)!;
    expect(row.decision).toBe('error');
    expect(row.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(row.details!.usage.source).toBe('estimated');
    // One word per token: the delivered words are the billed output tokens.
    expect(row.tokens_out).toBe(text.trim().split(/\s+/).filter(Boolean).length);
    expect(row.tokens_in).toBeGreaterThan(0);
    expect(row.tokens_in).toBeLessThanOrEqual(row.details!.estimate.promptTokens);
    expect(row.details!.streamError).toBe("primary: the provider's connection broke mid-stream");
  });

  it("records the provider's own error event as why its stream ended, scrubbed", async () => {
    reset();
    const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] };
    const sse = `data: ${JSON.stringify(chunk)}\n\ndata: ${JSON.stringify({ error: { message: 'Overloaded, key sk-primary', type: 'server_error' } })}\n\n`;
    env.fakes[0]!.script({ text: sse, contentType: 'text/event-stream' });
    const before = env.audit().length;
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeTruthy();
    // The client raised the provider's error event as it was relayed, before the stream ended.
    await expect.poll(() => env.audit().length).toBe(before + 1);
    const row = env.audit().at(-1)!;
    expect(row.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(row.details!.streamError).toBe('primary sent an error event: Overloaded, key [redacted]');
  });

  it('ends a stream at an event that is not UTF-8 text, without passing it on', async () => {
    reset();
    const chunk = (content: string) => JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    // Raw NUL bytes (JSON.stringify would escape them): the key spelt as UTF-16 would be.
    const sse = `data: ${chunk('Hello')}\n\ndata: ${chunk([...'sk-primary'].join('\u0000')).replaceAll('\\u0000', '\u0000')}\n\ndata: [DONE]\n\n`;
    env.fakes[0]!.script({ text: sse, contentType: 'text/event-stream' });
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeTruthy();
    expect(text).toBe('Hello');
    const row = env.audit().at(-1)!;
    expect(row.details!.streamError).toBe('primary: a stream event that is not UTF-8 text');
  });

  it("never passes on part of the key when the provider's error message is cut to length", async () => {
    reset();
    // The key starts at character 195: a cut at 200 before the scrub would pass its first five characters.
    const message = `${'x'.repeat(195)}sk-primary and more`;
    const sse = `data: ${JSON.stringify({ error: { message, type: 'server_error' } })}\n\n`;
    env.fakes[0]!.script({ text: sse, contentType: 'text/event-stream' });
    const before = env.audit().length;
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    await (async () => {
      for await (const _ of stream) void _;
    })().catch(() => undefined);
    await expect.poll(() => env.audit().length).toBe(before + 1);
    const said = env.audit().at(-1)!.details!.streamError as string;
    expect(said).toContain(`${'x'.repeat(195)}[reda`);
    expect(said).not.toMatch(/sk-/);
  });

  it('cuts a stream that goes quiet after the idle timeout', async () => {
    reset();
    env.fakes[0]!.script({ chunkDelayMs: 3000, tokens: 3 });
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(String(err)).toMatch(/nothing received|timeout/i);
    expect(env.audit().at(-1)!.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('cuts a never-ending stream at the attempt deadline and aborts the upstream request', async () => {
    reset();
    env.fakes[0]!.script({ neverEnd: true, chunkDelayMs: 50 });
    const stream = await env.client('agent', { timeout: 20_000 }).chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeTruthy();
    expect(env.audit().at(-1)!.code).toBe('UPSTREAM_TIMEOUT');
    await expect.poll(() => env.fakes[0]!.stats.inFlight).toBe(0);
  });

  it('ends the stream for the client at the last event even when the provider keeps its response open, and cuts that off', async () => {
    reset();
    env.fakes[0]!.script({ lingerAfterDoneMs: 60_000, tokens: 3 });
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from the');
    expect(env.audit().at(-1)).toMatchObject({ decision: 'allow', status: 200, tokens_out: 3 });
    // The provider's response is still open when the client is done; the gateway cuts it soon after.
    await expect.poll(() => env.fakes[0]!.stats.inFlight, { timeout: 5000 }).toBe(0);
    expect(env.fakes[0]!.stats.aborted).toBe(1);
  });

  it('refuses an SSE event larger than the cap', async () => {
    reset();
    env.fakes[0]!.script({ hugeEventBytes: 64 * 1024 });
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(String(err)).toMatch(/larger than 4096 bytes/);
    expect(env.audit().at(-1)!.code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('ends a stream that grows past the answer cap', async () => {
    reset();
    env.fakes[0]!.script({ tokens: 3000 });
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(String(err)).toMatch(/the stream exceeds 65536 bytes/);
    expect(env.audit().at(-1)!.code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('aborts the upstream within a second when the client disconnects mid-stream, and bills the delivered part', async () => {
    reset();
    env.fakes[0]!.script({ neverEnd: true, chunkDelayMs: 20 });
    const ctl = new AbortController();
    const stream = await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, stream: true }, { signal: ctl.signal });
    let n = 0;
    await (async () => {
      for await (const _ of stream) if (++n === 5) ctl.abort();
    })().catch(() => undefined);
    const t0 = Date.now();
    await expect.poll(() => env.fakes[0]!.stats.aborted, { timeout: 1000, interval: 20 }).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect.poll(() => env.audit().at(-1)!.code).toBe('CLIENT_CLOSED_REQUEST');
    const row = env.audit().at(-1)!;
    expect(row.details!.usage.source).toBe('estimated');
    expect(row.tokens_out).toBeGreaterThanOrEqual(4);
  });

  it('aborts the upstream when the client disconnects before any answer', async () => {
    reset();
    env.fakes[0]!.script({ delayMs: 5000 });
    const ctl = new AbortController();
    const p = env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user }, { signal: ctl.signal }).catch(() => undefined);
    await expect.poll(() => env.fakes[0]!.stats.inFlight).toBe(1);
    ctl.abort();
    await p;
    await expect.poll(() => env.fakes[0]!.stats.aborted, { timeout: 1000, interval: 20 }).toBe(1);
    await expect.poll(() => env.audit().at(-1)!.code).toBe('CLIENT_CLOSED_REQUEST');
    // The provider had the request: its worst case is charged, marked as such.
    const row = env.audit().at(-1)!;
    expect(row.details!.usage.source).toBe('reserved');
    expect(row.details!.attempts).toMatchObject([{ provider: 'primary', model: 'gpt-4o', error: 'aborted-by-client' }]);
    expect(row.tokens_in).toBe(8);
    expect(row.tokens_out).toBe(row.details!.estimate.maxOutputTokens);
  });
});

describe('usage reconciliation', () => {
  it('records a provider usage of explicit zeros as zeros, from the provider', async () => {
    reset();
    env.fakes[0]!.script({ usage: { prompt_tokens: 0, completion_tokens: 0 } });
    await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user });
    const row = env.audit().at(-1)!;
    expect(row.tokens_in).toBe(0);
    expect(row.tokens_out).toBe(0);
    expect(row.details!.usage.source).toBe('provider');
  });

  it('counts the answer when a JSON reply has no usage, marked estimated', async () => {
    reset();
    env.fakes[0]!.script({ usage: 'omit', tokens: 6 });
    await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user });
    const row = env.audit().at(-1)!;
    expect(row.details!.usage.source).toBe('estimated');
    expect(row.tokens_out).toBe(6);
    // "user" and "hello": one token each, in OpenAI's rule: 3 + 1 + 1 + 3.
    expect(row.tokens_in).toBe(8);
  });

  it('records usage above the reservation as reported, flagged', async () => {
    reset();
    env.fakes[0]!.script({ usage: { prompt_tokens: 5, completion_tokens: 900 } });
    await env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: user, max_tokens: 10 });
    const row = env.audit().at(-1)!;
    expect(row.tokens_out).toBe(900);
    expect(row.details!.usage.overReservation).toBe(true);
  });
});

describe('bad input', () => {
  const post = (body: unknown, raw?: string) =>
    fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.keys.agent}`, 'content-type': 'application/json' },
      body: raw ?? JSON.stringify(body),
    });

  it('refuses a missing model when the agent has no default', async () => {
    const res = await post({ messages: user });
    expect(res.status).toBe(400);
    const j = (await res.json()) as { error: { code: string; param: string; type: string } };
    expect(j.error).toMatchObject({ code: 'invalid_params', param: 'model', type: 'invalid_request_error' });
  });

  it('refuses n: 128 and max_tokens: 1e9 before calling the provider', async () => {
    reset();
    for (const body of [{ model: 'gpt-4o', messages: user, n: 128 }, { model: 'gpt-4o', messages: user, max_tokens: 1e9 }, { model: 'gpt-4o', messages: user, n: 0 }]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.headers.get('x-should-retry')).toBe('false');
    }
    expect(env.fakes[0]!.requests).toHaveLength(0);
  });

  it('refuses a body over the size limit with 413', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] });
    const res = await post(null, big).catch((e: unknown) => e);
    // The gateway may answer before the client finished sending; either way nothing reaches the provider.
    if (res instanceof Response) expect(res.status).toBe(413);
    expect(env.audit("channel = 'llm' AND code = 'PAYLOAD_TOO_LARGE'").length).toBeGreaterThanOrEqual(1);
  });

  it('refuses malformed JSON and a body that is not an object', async () => {
    expect((await post(null, '{"model": "gpt-4o", "messages": [')).status).toBe(400);
    expect((await post([1, 2])).status).toBe(400);
    expect((await post({ model: 'gpt-4o', messages: 'hello' })).status).toBe(400);
    expect((await post({ model: 'gpt-4o', messages: user, stream: 'yes' })).status).toBe(400);
  });
});
