/**
 * One agent cannot pin the gateway's memory with uploads it never finishes: bodies are
 * buffered whole before the policies that read them, so the chain admits only
 * `limits.maxBodyReadsPerAgent` of one agent's bodies at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slowPost } from '../helpers/slow-request.js';
import { fakeProvider, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

let env: LlmEnv;

beforeAll(async () => {
  env = await startLlmEnv({
    llm: ([fake]) => ({ providers: [fakeProvider('openai', fake!, ['gpt-4o'])] }),
    agents: [
      { id: 'uploader', models: { allow: ['gpt-4o'] } },
      { id: 'bystander', models: { allow: ['gpt-4o'] } },
    ],
    limits: 'maxBodyReadsPerAgent: 2',
    env: { KEY_OPENAI: 'sk-provider' },
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(2000) }] });

describe('request bodies one agent is still sending', () => {
  it('beyond the limit are refused with 429 before they are read; other agents and finished bodies are served', async () => {
    const port = Number(new URL(env.gw.url).port);
    const held = [slowPost(port, '/v1/chat/completions', env.keys.uploader!, body), slowPost(port, '/v1/chat/completions', env.keys.uploader!, body)];
    await Promise.all(held.map((h) => h.ready));
    // Let the gateway take both requests in.
    await new Promise((r) => setTimeout(r, 200));

    const refused = await env.client('uploader').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((refused as { headers: Headers }).headers.get('retry-after')).toBe('1');
    const row = env.audit().at(-1)!;
    expect(row).toMatchObject({ agent_id: 'uploader', code: 'RATE_LIMITED', policy: 'read-body' });

    const other = await env.client('bystander').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(other.choices[0]!.message.content).toBeTruthy();

    for (const h of held) h.finish();
    expect((await Promise.all(held.map((h) => h.response))).map((r) => r.status)).toEqual([200, 200]);
    const again = await env.client('uploader').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(again.choices[0]!.message.content).toBeTruthy();
  });
});
