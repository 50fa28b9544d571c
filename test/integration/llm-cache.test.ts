/**
 * The exact-match response cache through the real gateway: opt-in per agent or alias,
 * scoped so answers never cross owners or data clearances, streams served from the cache,
 * hits audited at no cost, failures never cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeProvider, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

let env: LlmEnv;

const clearance = (c: string) => `dataExposure: { clearance: ${c} }`;

beforeAll(async () => {
  env = await startLlmEnv({
    llm: ([fake]) => ({
      providers: [fakeProvider('openai', fake!, ['gpt-4.1-mini', 'gpt-4o'])],
      aliases: { 'cached-alias': { targets: [{ model: 'gpt-4o' }], cache: { ttlSeconds: 60 } } },
    }),
    agents: [
      { id: 'cacher', models: { allow: ['*'], cache: { ttlSeconds: 60 } } },
      { id: 'team-a-one', owner: 'team-a', models: { allow: ['*'], cache: { ttlSeconds: 60, scope: 'shared' } } },
      { id: 'team-a-two', owner: 'team-a', models: { allow: ['*'], cache: { ttlSeconds: 60, scope: 'shared' } } },
      { id: 'team-a-secret', owner: 'team-a', models: { allow: ['*'], cache: { ttlSeconds: 60, scope: 'shared' } }, extra: clearance('restricted') },
      { id: 'team-b', owner: 'team-b', models: { allow: ['*'], cache: { ttlSeconds: 60, scope: 'shared' } } },
      { id: 'short-lived', models: { allow: ['*'], cache: { ttlSeconds: 1 } } },
      { id: 'uncached', models: { allow: ['*'] } },
    ],
    env: { KEY_OPENAI: 'sk-x' },
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

const ask = (content: string) => ({ model: 'gpt-4.1-mini', messages: [{ role: 'user' as const, content }] });

describe('response cache', () => {
  it('serves an identical request from the cache, audited as a hit that costs nothing', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    const c = env.client('cacher');
    const first = await c.chat.completions.create(ask('cache me')).withResponse();
    const second = await c.chat.completions.create(ask('cache me')).withResponse();
    expect(first.response.headers.get('x-cache')).toBe('miss');
    expect(second.response.headers.get('x-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(fake.requests).toHaveLength(1);
    const [miss, hit] = env.audit("channel = 'llm' AND agent_id = 'cacher'").slice(-2);
    expect(miss!.details!.cache).toBe('miss');
    expect(miss!.cost_usd).toBeGreaterThan(0);
    expect(hit!.details!.cache).toBe('hit');
    expect(hit!.cost_usd).toBe(0);
    expect(hit!.tokens_in).toBe(0);
  });

  it('replays a cached answer as a stream the openai client reads back', async () => {
    const c = env.client('cacher');
    const whole = await c.chat.completions.create(ask('stream me later'));
    const stream = await c.chat.completions.create({ ...ask('stream me later'), stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(usage).toBeTruthy();
    expect(env.audit().at(-1)!.details!.cache).toBe('hit');
  });

  it('fills the cache from a stream and serves the same answer as JSON', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    const c = env.client('cacher');
    const stream = await c.chat.completions.create({ ...ask('streamed first'), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    const { data, response } = await c.chat.completions.create(ask('streamed first')).withResponse();
    expect(response.headers.get('x-cache')).toBe('hit');
    expect(data.choices[0]!.message.content).toBe(text);
    expect(fake.requests).toHaveLength(1);
  });

  it('shares answers only between agents of one owner, clearance and cache scope', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    await env.client('team-a-one').chat.completions.create(ask('team question'));
    const shared = await env.client('team-a-two').chat.completions.create(ask('team question')).withResponse();
    expect(shared.response.headers.get('x-cache')).toBe('hit');
    const otherClearance = await env.client('team-a-secret').chat.completions.create(ask('team question')).withResponse();
    expect(otherClearance.response.headers.get('x-cache')).toBe('miss');
    const otherOwner = await env.client('team-b').chat.completions.create(ask('team question')).withResponse();
    expect(otherOwner.response.headers.get('x-cache')).toBe('miss');
    const notOptedIn = await env.client('uncached').chat.completions.create(ask('team question')).withResponse();
    expect(notOptedIn.response.headers.get('x-cache')).toBeNull();
    expect(fake.requests).toHaveLength(4);
  });

  it('keeps separate answers for different parameters and never caches failures', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    const c = env.client('cacher');
    await c.chat.completions.create({ ...ask('params'), temperature: 0 });
    await c.chat.completions.create({ ...ask('params'), temperature: 1 });
    expect(fake.requests).toHaveLength(2);
    fake.script({ status: 400 });
    await expect(c.chat.completions.create(ask('fails once'))).rejects.toMatchObject({ status: 400 });
    const ok = await c.chat.completions.create(ask('fails once')).withResponse();
    expect(ok.response.headers.get('x-cache')).toBe('miss');
  });

  it('caches for an alias that opts in, even for agents that do not', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    const c = env.client('uncached');
    await c.chat.completions.create({ model: 'cached-alias', messages: [{ role: 'user', content: 'alias' }] });
    const again = await c.chat.completions.create({ model: 'cached-alias', messages: [{ role: 'user', content: 'alias' }] }).withResponse();
    expect(again.response.headers.get('x-cache')).toBe('hit');
    expect(fake.requests).toHaveLength(1);
  });

  it('expires answers after their TTL', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    const c = env.client('short-lived');
    await c.chat.completions.create(ask('ephemeral'));
    await new Promise((r) => setTimeout(r, 1100));
    const later = await c.chat.completions.create(ask('ephemeral')).withResponse();
    expect(later.response.headers.get('x-cache')).toBe('miss');
    expect(fake.requests).toHaveLength(2);
  });
});
