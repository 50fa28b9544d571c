/**
 * Rate limits through the real gateway: requests and tokens per minute and requests in
 * flight, on the LLM API (with OpenAI's x-ratelimit headers) and on MCP tool calls, with
 * concurrent requests that must never overshoot, and other agents unaffected.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { everythingUpstream, fakeProvider, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

let env: LlmEnv;
const user = [{ role: 'user' as const, content: 'hi' }];

beforeAll(async () => {
  env = await startLlmEnv({
    llm: ([fake]) => ({ providers: [fakeProvider('openai', fake!, ['gpt-4.1-mini', 'gpt-4o'])] }),
    agents: [
      { id: 'rpm-agent', models: { allow: ['*'] }, extra: 'rateLimits: { requestsPerMinute: 5 }' },
      { id: 'tpm-agent', models: { allow: ['*'] }, extra: 'rateLimits: { tokensPerMinute: 1000 }' },
      { id: 'model-agent', models: { allow: ['*'] }, extra: 'rateLimits: { perModel: { "gpt-4o*": { requestsPerMinute: 2 } } }' },
      { id: 'busy-agent', models: { allow: ['*'] }, extra: 'rateLimits: { concurrent: 2 }' },
      { id: 'free-agent', models: { allow: ['*'] } },
      {
        id: 'tool-agent',
        extra: 'tools: { allow: ["everything__*"] }\nrateLimits: { perTool: { "everything__echo": { requestsPerMinute: 3 } } }',
      },
    ],
    extra: everythingUpstream(),
    env: { KEY_OPENAI: 'sk-x' },
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

type Attempt = { ok: true; headers: Headers } | { ok: false; status: number | undefined; headers: Headers | undefined; code: string | null | undefined };

describe('LLM rate limits', () => {
  it('admits exactly the requests per minute of 20 concurrent ones and refuses the rest with Retry-After', async () => {
    const c = env.client('rpm-agent');
    const results: Attempt[] = await Promise.all(
      Array.from({ length: 20 }, () =>
        c.chat.completions
          .create({ model: 'gpt-4.1-mini', messages: user })
          .withResponse()
          .then((r): Attempt => ({ ok: true, headers: r.response.headers }))
          .catch((e: InstanceType<typeof OpenAI.APIError>): Attempt => ({ ok: false, status: e.status, headers: e.headers, code: e.code })),
      ),
    );
    const ok = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) {
      expect(r).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(Number(r.headers!.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // OpenAI's headers on an admitted request.
    const h = ok[0]!.headers!;
    expect(h.get('x-ratelimit-limit-requests')).toBe('5');
    expect(Number(h.get('x-ratelimit-remaining-requests'))).toBeLessThan(5);
    expect(h.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?m?s$/);
    const denials = env.audit("channel = 'llm' AND agent_id = 'rpm-agent' AND code = 'RATE_LIMITED'");
    expect(denials).toHaveLength(15);
    expect(denials.every((d) => d.policy === 'rate-limit')).toBe(true);
  });

  it('does not slow or limit another agent', async () => {
    const r = await env.client('free-agent').chat.completions.create({ model: 'gpt-4.1-mini', messages: user });
    expect(r.choices).toHaveLength(1);
  });

  it('reserves tokens per minute on the estimate and gives back what was not used', async () => {
    const c = env.client('tpm-agent');
    // Each request reserves its prompt plus max_tokens 300; the fake uses 8 output tokens.
    for (let i = 0; i < 6; i++) await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 300 });
    // Without the refund, six reservations of more than 300 would have exhausted 1,000 tokens.
    const { response } = await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 300 }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
  });

  it('refuses a request larger than the token limit itself, telling the client not to retry', async () => {
    const err = (await env
      .client('tpm-agent')
      .chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 5000 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(429);
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(err.message).toMatch(/more tokens than the limit/);
  });

  it('admits only as many concurrent token reservations as fit', async () => {
    const c = env.client('tpm-agent');
    await new Promise((r) => setTimeout(r, 1500));
    env.fakes[0]!.setDefault({ delayMs: 300 });
    try {
      // Each reserves over 400 of 1,000 tokens while in flight: at most two can be admitted at once.
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 400 })));
      const admitted = results.filter((r) => r.status === 'fulfilled').length;
      expect(admitted).toBeGreaterThanOrEqual(1);
      expect(admitted).toBeLessThanOrEqual(2);
    } finally {
      env.fakes[0]!.setDefault({});
    }
  });

  it('applies a per-model limit to the models its glob matches, shared among them, and not to others', async () => {
    const c = env.client('model-agent');
    await c.chat.completions.create({ model: 'gpt-4o', messages: user });
    await c.chat.completions.create({ model: 'gpt-4o', messages: user });
    await expect(c.chat.completions.create({ model: 'gpt-4o', messages: user })).rejects.toMatchObject({ status: 429 });
    for (let i = 0; i < 4; i++) await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user });
  });

  it('limits requests in flight and frees the slot when a request ends', async () => {
    const c = env.client('busy-agent');
    env.fakes[0]!.setDefault({ delayMs: 300 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    } finally {
      env.fakes[0]!.setDefault({});
    }
    const again = await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user });
    expect(again.choices).toHaveLength(1);
  });
});

describe('MCP tool rate limits', () => {
  it('limits calls of a tool per minute, leaving other tools and listings alone', async () => {
    const client = await connectClient(env.gw.url, env.keys['tool-agent']!, 'modern');
    try {
      await waitForTools(client, (names) => names.includes('everything__echo'), 20_000);
      for (let i = 0; i < 3; i++) await client.callTool({ name: 'everything__echo', arguments: { message: `m${i}` } });
      const refused = await client.callTool({ name: 'everything__echo', arguments: { message: 'again' } }).catch((e: unknown) => e);
      expect(String(refused)).toMatch(/Rate limit of 3 requests per minute reached \(tool everything__echo\)/);
      const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } });
      expect(JSON.stringify(sum.content)).toContain('3');
      for (let i = 0; i < 5; i++) await client.listTools();
    } finally {
      await client.close();
    }
  });
});
