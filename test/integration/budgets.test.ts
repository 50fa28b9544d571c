/**
 * Budgets through the real gateway: concurrent requests at the edge of a budget on the LLM
 * API and on MCP tool calls (exactly the ones that fit, never overspent), refusals in each
 * surface's error shape, soft-limit alerts (audit and webhook), clamping, usage above the
 * reservation, spend that survives a restart, and status and reset from the CLI and the
 * admin API.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startGateway } from '../helpers/gateway-process.js';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { everythingUpstream, fakeProvider, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

let env: LlmEnv;
let hook: Server;
const received: Array<Record<string, unknown>> = [];
const user = [{ role: 'user' as const, content: 'hi' }];

function budgets(list: object[]): string {
  return `budgets: ${JSON.stringify(list)}`;
}

beforeAll(async () => {
  hook = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  env = await startLlmEnv({
    llm: ([fake]) => ({
      providers: [
        // Nobody listens there: every attempt fails to connect.
        { ...fakeProvider('nowhere', fake!, ['gpt-4o-mini']), baseUrl: 'http://127.0.0.1:9/v1', timeouts: { connectMs: 500 } },
        fakeProvider('openai', fake!, [
          'gpt-4.1-mini',
          // $1 per 1,000 tokens, so a few requests reach a small USD budget.
          { name: 'pricey', upstreamName: 'gpt-4o', price: { input: 1000, output: 1000 } },
        ]),
      ],
    }),
    agents: [
      { id: 'ten-calls', models: { allow: ['*'] }, extra: budgets([{ name: 'ten', channel: 'llm', window: 'day', limits: { calls: 10 } }]) },
      { id: 'usd-agent', models: { allow: ['*'] }, extra: budgets([{ name: 'dime', channel: 'all', window: 'month', limits: { usd: 0.5 } }]) },
      {
        id: 'soft-agent',
        models: { allow: ['*'] },
        extra: budgets([{ name: 'watched', channel: 'llm', window: 'hour', kind: 'rolling', limits: { calls: 4 }, softThresholds: [50] }]),
      },
      {
        id: 'clamp-agent',
        models: { allow: ['*'] },
        extra: budgets([{ name: 'tokens', channel: 'llm', window: 'day', limits: { tokens: 300 }, action: 'clamp' }]),
      },
      { id: 'over-agent', models: { allow: ['*'] }, extra: budgets([{ name: 'small', channel: 'llm', window: 'day', limits: { tokens: 200 } }]) },
      { id: 'llm-calls', models: { allow: ['*'] }, extra: budgets([{ name: 'five', channel: 'llm', window: 'day', limits: { calls: 5 } }]) },
      {
        id: 'cancel-agent',
        extra: `tools: { allow: ["everything__*"] }\n${budgets([{ name: 'three-calls', channel: 'tools', window: 'day', limits: { calls: 3 } }])}`,
      },
      {
        id: 'tool-agent',
        extra: `tools: { allow: ["everything__*"] }\n${budgets([{ name: 'tool-calls', channel: 'tools', window: 'day', limits: { calls: 10 } }])}`,
      },
    ],
    extra: [
      `governance: ${JSON.stringify({ alerts: { webhook: { url: hookUrl, internal: true } } })}`,
      everythingUpstream(),
      '',
    ].join('\n'),
    env: { KEY_OPENAI: 'sk-x', KEY_NOWHERE: 'sk-y' },
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
  await new Promise((r) => hook?.close(r));
});

describe('LLM budgets', () => {
  it('admits exactly 10 of 100 concurrent requests against a 10-call budget, and the spend stays within it', async () => {
    const c = env.client('ten-calls');
    env.fakes[0]!.setDefault({ delayMs: 100 });
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled(Array.from({ length: 100 }, () => c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user })));
    } finally {
      env.fakes[0]!.setDefault({});
    }
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    // No max_tokens from the client: the provider is held to the output the reservation assumed.
    expect(env.fakes[0]!.requests.at(-1)!.body.max_tokens).toBe(4096);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as InstanceType<typeof OpenAI.APIError>);
    expect(refusals).toHaveLength(90);
    for (const e of refusals) {
      expect(e.status).toBe(429);
      expect(e.code).toBe('budget_exceeded');
      expect(e.headers?.get('x-should-retry')).toBe('false');
      expect(Number(e.headers?.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(refusals[0]!.message).toMatch(/Budget "ten" \(agent ten-calls, calendar day\) is exhausted: 10 of 10 calls/);
    const rows = env.audit("channel = 'llm' AND agent_id = 'ten-calls'");
    expect(rows.filter((r) => r.decision === 'allow')).toHaveLength(10);
    expect(rows.filter((r) => r.code === 'BUDGET_EXCEEDED' && r.policy === 'budget')).toHaveLength(90);
  });

  it('never spends more USD than the budget, with concurrent requests reserving their worst case', async () => {
    const c = env.client('usd-agent');
    // Answers held long enough that all 40 are admitted or refused before the first settles
    // (a settled call frees its unused reservation for later ones; 100 ms was too short on a
    // loaded machine for the sum below).
    env.fakes[0]!.setDefault({ delayMs: 1500 });
    try {
      await Promise.allSettled(Array.from({ length: 40 }, () => c.chat.completions.create({ model: 'pricey', messages: user, max_tokens: 20 })));
    } finally {
      env.fakes[0]!.setDefault({});
    }
    const rows = env.audit("channel = 'llm' AND agent_id = 'usd-agent'");
    const admitted = rows.filter((r) => r.decision === 'allow');
    expect(admitted.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.code === 'BUDGET_EXCEEDED')).toBe(true);
    // Every admitted request's worst case fitted at once: their sum is within the limit.
    const reserved = admitted.reduce((n, r) => n + (r.details!.estimate.worstCaseUsd as number), 0);
    expect(reserved).toBeLessThanOrEqual(0.5 + 1e-9);
    const spent = admitted.reduce((n, r) => n + (r.cost_usd ?? 0), 0);
    expect(spent).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it('sends a soft-limit alert to the audit trail and the webhook when a threshold is crossed', async () => {
    const c = env.client('soft-agent');
    await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user });
    expect(received.some((e) => e.type === 'budget.threshold')).toBe(false);
    await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user });
    await expect.poll(() => received.filter((e) => e.type === 'budget.threshold' && e.agentId === 'soft-agent'), { timeout: 5000 }).toHaveLength(1);
    const alert = received.find((e) => e.type === 'budget.threshold')!;
    expect(alert).toMatchObject({ name: 'watched', dimension: 'calls', threshold: 50, spent: 2, limit: 4 });
    const audited = env.audit("channel = 'system' AND action = 'budget.threshold'");
    expect(audited.at(-1)).toMatchObject({ agent_id: 'soft-agent' });
    // Crossing it again in the same window does not alert again.
    await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user });
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((e) => e.type === 'budget.threshold')).toHaveLength(1);
  });

  it('clamps max_tokens to what the budget still allows instead of refusing', async () => {
    const fake = env.fakes[0]!;
    fake.reset();
    const r = await env.client('clamp-agent').chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 5000 });
    expect(r.choices).toHaveLength(1);
    const sent = fake.requests.at(-1)!.body;
    expect(sent.max_tokens).toBeLessThan(300);
    expect(sent.max_tokens).toBeGreaterThan(200);
    const row = env.audit("channel = 'llm' AND agent_id = 'clamp-agent'").at(-1)!;
    expect(row.details!.estimate.maxOutputTokens).toBe(sent.max_tokens);
  });

  it('records usage above the reservation, alerts, and refuses the next request', async () => {
    env.fakes[0]!.script({ usage: { prompt_tokens: 5, completion_tokens: 400 } });
    const c = env.client('over-agent');
    await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 10 });
    await expect.poll(() => received.some((e) => e.type === 'budget.overrun' && e.agentId === 'over-agent'), { timeout: 5000 }).toBe(true);
    await expect(c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 10 })).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });
  });
});

describe('tool budgets', () => {
  it('admits exactly 10 of 100 concurrent MCP tool calls against a 10-call budget, refusing the rest with a JSON-RPC error', async () => {
    const client = await connectClient(env.gw.url, env.keys['tool-agent']!, 'modern');
    try {
      await waitForTools(client, (names) => names.includes('everything__echo'), 20_000);
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => client.callTool({ name: 'everything__echo', arguments: { message: `m${i}` } })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(String(refused.reason)).toMatch(/-32013|Budget "tool-calls"/);
    } finally {
      await client.close();
    }
  });
});

describe('LLM calls that reached no provider', () => {
  it('spends no call of the budget when every attempt failed to connect, and one when a provider answered', async () => {
    const spent = async () => {
      const res = await fetch(`${env.gw.url}/admin/budgets?agent=llm-calls`, { headers: { authorization: `Bearer ${env.gw.adminToken}` } });
      return ((await res.json()) as { budgets: Array<{ spent: { calls: number } }> }).budgets[0]!.spent.calls;
    };
    const c = env.client('llm-calls', { maxRetries: 0 });
    const err = (await c.chat.completions.create({ model: 'gpt-4o-mini', messages: user }).catch((e: unknown) => e)) as { status?: number };
    expect(err.status).toBe(503);
    expect(env.audit("agent_id = 'llm-calls'").at(-1)!.details!.attempts.every((a: { error?: string }) => a.error === 'connect')).toBe(true);
    expect(await spent()).toBe(0);
    await c.chat.completions.create({ model: 'gpt-4.1-mini', messages: user });
    expect(await spent()).toBe(1);
  });
});

describe('tool calls the upstream received but did not answer', () => {
  it('counts a call cancelled while the upstream ran it, as one that answered would', async () => {
    const client = await connectClient(env.gw.url, env.keys['cancel-agent']!, 'modern');
    try {
      await waitForTools(client, (names) => names.includes('everything__trigger-long-running-operation'), 20_000);
      for (let i = 0; i < 2; i++) {
        const ac = new AbortController();
        const call = client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 20, steps: 2 } }, { signal: ac.signal });
        await new Promise((r) => setTimeout(r, 300));
        ac.abort();
        await expect(call).rejects.toThrow();
      }
      await expect.poll(() => env.audit("agent_id = 'cancel-agent' AND code = 'CLIENT_CLOSED_REQUEST'").length, { timeout: 5000 }).toBe(2);
      const status = async () => {
        const res = await fetch(`${env.gw.url}/admin/budgets?agent=cancel-agent`, { headers: { authorization: `Bearer ${env.gw.adminToken}` } });
        return ((await res.json()) as { budgets: Array<{ spent: { calls: number } }> }).budgets[0]!.spent.calls;
      };
      await expect.poll(status, { timeout: 5000 }).toBe(2);
      await client.callTool({ name: 'everything__echo', arguments: { message: 'third' } });
      await expect(client.callTool({ name: 'everything__echo', arguments: { message: 'fourth' } })).rejects.toThrow(/-32013|Budget "three-calls"/);
    } finally {
      await client.close();
    }
  });
});

describe('status, reset and restarts', () => {
  it('shows spend, reservations and what remains in the CLI and the admin API', async () => {
    const res = await fetch(`${env.gw.url}/admin/budgets?agent=ten-calls`, { headers: { authorization: `Bearer ${env.gw.adminToken}` } });
    const { budgets: lines } = (await res.json()) as { budgets: Array<Record<string, any>> };
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ agent: 'ten-calls', budget: 'ten', limits: { calls: 10 }, spent: { calls: 10 }, reserved: { calls: 0 }, remaining: { calls: 0 } });
    const out = await cli(env.ws, ['budgets', 'status', 'ten-calls', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout.trim().split('\n')[0]!)).toMatchObject({ budget: 'ten', spent: { calls: 10 } });
  });

  it('refuses unknown or repeated parameters on the admin budget view instead of ignoring them', async () => {
    const get = (q: string) => fetch(`${env.gw.url}/admin/budgets?${q}`, { headers: { authorization: `Bearer ${env.gw.adminToken}` } });
    for (const q of ['agent=ten-calls&agent=usd-agent', 'agnt=ten-calls', 'agent[x]=1']) {
      const res = await get(q);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_PARAMS');
    }
    expect((await get('agent=ten-calls')).status).toBe(200);
  });

  it('keeps spend across a restart', async () => {
    await env.gw.stop();
    env.gw = await startGateway(env.ws, { KEY_OPENAI: 'sk-x', KEY_NOWHERE: 'sk-y' });
    await expect(env.client('ten-calls').chat.completions.create({ model: 'gpt-4.1-mini', messages: user })).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });
    const out = await cli(env.ws, ['budgets', 'status', 'ten-calls', '--json']);
    expect(JSON.parse(out.stdout.trim())).toMatchObject({ spent: { calls: 10 } });
  });

  it('resets a budget from the CLI (audited), which the running gateway applies at once', async () => {
    const out = await cli(env.ws, ['budgets', 'reset', 'ten-calls']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('reset 1 budget(s) of ten-calls: ten');
    await expect
      .poll(async () => env.client('ten-calls').chat.completions.create({ model: 'gpt-4.1-mini', messages: user }).then(() => 'ok', () => 'refused'), { timeout: 5000 })
      .toBe('ok');
    expect(env.audit("action = 'budgets.reset'").at(-1)).toMatchObject({ agent_id: 'ten-calls', decision: 'allow' });
  });

  it('resets through the admin API', async () => {
    const res = await fetch(`${env.gw.url}/admin/budgets/over-agent/reset`, { method: 'POST', headers: { authorization: `Bearer ${env.gw.adminToken}` } });
    expect(res.status).toBe(200);
    const r = await env.client('over-agent').chat.completions.create({ model: 'gpt-4.1-mini', messages: user, max_tokens: 10 });
    expect(r.choices).toHaveLength(1);
  });
});
