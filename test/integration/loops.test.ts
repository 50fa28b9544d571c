/**
 * Loop and runaway detection through the real gateway: repeated calls, call cycles and bursts
 * on MCP and the LLM API, each action (warn, throttle, block, suspend) with its audit evidence,
 * and a hop-chain cycle across two agents: an upstream MCP server that is itself a catalog
 * agent calls back through the gateway with the trace context it was given.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/gateway-process.js';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { everythingUpstream, fakeProvider, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

let env: LlmEnv;
let relay: Server;
/** Trace headers the relay received, per call. */
const relaySeen: Array<{ traceparent: string | undefined; tracestate: string | undefined }> = [];

const loops = (l: object) => `loops: ${JSON.stringify(l)}`;

/**
 * A minimal 2025-11-25 MCP server over HTTP with one tool, `ask`, which calls `relay__ask`
 * back through the gateway as agent `relay-agent`, passing on the trace context it received.
 */
function startRelay(): Promise<number> {
  relay = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      // The gateway may also open a GET stream or DELETE its session: this server has neither.
      if (req.method !== 'POST' || body === '') return void res.writeHead(405).end();
      const msg = JSON.parse(body) as { id?: number; method: string; params?: Record<string, unknown> };
      const reply = (result: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'relay' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      };
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'initialize') return reply({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'relay', version: '1' } });
      if (msg.method === 'tools/list') return reply({ tools: [{ name: 'ask', description: 'Asks the relay agent', inputSchema: { type: 'object', properties: {} } }] });
      if (msg.method !== 'tools/call') return reply({});
      const seen = { traceparent: req.headers.traceparent as string | undefined, tracestate: req.headers.tracestate as string | undefined };
      relaySeen.push(seen);
      const headers: Record<string, string> = {
        authorization: `Bearer ${env.keys['relay-agent']}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
      };
      if (seen.traceparent) headers.traceparent = seen.traceparent;
      if (seen.tracestate) headers.tracestate = seen.tracestate;
      // Stateless enough for the gateway: a fresh session per callback.
      const init = await fetch(`${env.gw.url}/mcp`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'relay', version: '1' } } }),
      });
      const session = init.headers.get('mcp-session-id')!;
      await init.text();
      const call = await fetch(`${env.gw.url}/mcp`, {
        method: 'POST',
        headers: { ...headers, 'mcp-session-id': session },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'relay__ask', arguments: {} } }),
      });
      const answer = await call.text();
      reply({ content: [{ type: 'text', text: `relayed: ${answer}` }] });
    });
  });
  return new Promise((resolve) => relay.listen(0, '127.0.0.1', () => resolve((relay.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const relayPort = await startRelay();
  const mcp = JSON.parse(everythingUpstream().slice('mcp: '.length)) as { upstreams: object[] };
  mcp.upstreams.push({ id: 'relay', transport: 'http', url: `http://127.0.0.1:${relayPort}/mcp`, internal: true, protocol: '2025-11-25', autoApprove: true, risk: [{ match: '*', class: 'read-only' }] });
  env = await startLlmEnv({
    llm: ([fake]) => ({ providers: [fakeProvider('openai', fake!, ['gpt-4.1-mini', 'gpt-4o'])] }),
    agents: [
      { id: 'repeater', extra: `tools: { allow: ["everything__*"] }\n${loops({ repetition: { threshold: 3, windowSeconds: 60 }, action: 'block', coolDownSeconds: 60 })}` },
      { id: 'cycler', models: { allow: ['*'] }, extra: loops({ repetition: { threshold: 50 }, cycleRepetitions: 2, action: 'warn' }) },
      { id: 'burster', models: { allow: ['*'] }, extra: loops({ repetition: { threshold: 50 }, velocityFactor: 2, action: 'throttle', coolDownSeconds: 60 }) },
      { id: 'suspendee', extra: `tools: { allow: ["everything__*"] }\n${loops({ repetition: { threshold: 2, windowSeconds: 60 }, action: 'suspend' })}` },
      { id: 'caller-agent', extra: `tools: { allow: ["relay__*"] }\n${loops({ maxHopDepth: 4, action: 'block' })}` },
      { id: 'relay-agent', extra: `tools: { allow: ["relay__*"] }\n${loops({ maxHopDepth: 4, action: 'block' })}` },
    ],
    extra: `mcp: ${JSON.stringify(mcp)}\n`,
    env: { KEY_OPENAI: 'sk-x' },
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
  await new Promise((r) => relay?.close(r));
});

const trips = (agent: string) => env.audit(`channel = 'system' AND action = 'loop.trip' AND agent_id = '${agent}'`);

describe('repetition', () => {
  it('blocks the third identical tool call, then every call for the cool-down, with the repeated calls as evidence', async () => {
    const client = await connectClient(env.gw.url, env.keys.repeater!, 'modern');
    try {
      await waitForTools(client, (n) => n.includes('everything__echo'), 20_000);
      await client.callTool({ name: 'everything__echo', arguments: { message: 'same' } });
      // Same arguments in another key order are the same call.
      await client.callTool({ name: 'everything__echo', arguments: { message: 'same' } });
      const third = await client.callTool({ name: 'everything__echo', arguments: { message: 'same' } }).catch((e: unknown) => e);
      expect(String(third)).toMatch(/-32014|Loop detected for agent repeater/);
      const other = await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } }).catch((e: unknown) => e);
      expect(String(other)).toMatch(/calls are blocked after a detected loop/);
    } finally {
      await client.close();
    }
    const trip = trips('repeater').at(-1)!;
    expect(trip.details).toMatchObject({ rule: 'repetition', action: 'block' });
    // The evidence names the three calls, whose own audit records carry those request ids.
    const evidence = trip.details!.evidence as string[];
    expect(evidence).toHaveLength(3);
    const calls = env.audit("channel = 'mcp' AND agent_id = 'repeater' AND action = 'tools/call'");
    const ids = new Set(calls.map((c) => (c as unknown as { request_id: string }).request_id));
    for (const id of evidence) expect(ids.has(id)).toBe(true);
    expect(calls.filter((c) => c.code === 'LOOP_DETECTED')).toHaveLength(2);
  });
});

describe('cycles and bursts on the LLM API', () => {
  it('warns about an A,B,A,B,A,B cycle without refusing it', async () => {
    const c = env.client('cycler');
    for (let i = 0; i < 6; i++) await c.chat.completions.create({ model: i % 2 === 0 ? 'gpt-4o' : 'gpt-4.1-mini', messages: [{ role: 'user', content: 'again' }] });
    const trip = trips('cycler').at(-1)!;
    expect(trip.details).toMatchObject({ rule: 'cycle', action: 'warn' });
    expect((trip.details!.evidence as string[]).length).toBeGreaterThanOrEqual(6);
    expect(env.audit("channel = 'llm' AND agent_id = 'cycler'").every((r) => r.decision === 'allow')).toBe(true);
  });

  it('throttles a runaway burst to one call a second', async () => {
    const c = env.client('burster');
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => c.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `distinct ${i}` }] })),
    );
    expect(trips('burster').some((t) => t.details!.rule === 'velocity')).toBe(true);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => (r.reason as { status: number }).status === 429)).toBe(true);
    expect(String((refused[0]!.reason as Error).message)).toMatch(/throttled after a detected loop/);
  });
});

describe('suspend', () => {
  it('suspends a looping agent until an admin resumes it', async () => {
    const client = await connectClient(env.gw.url, env.keys.suspendee!, 'modern');
    await waitForTools(client, (n) => n.includes('everything__echo'), 20_000);
    await client.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
    const second = await client.callTool({ name: 'everything__echo', arguments: { message: 'x' } }).catch((e: unknown) => e);
    expect(String(second)).toMatch(/suspended until an admin resumes it/);
    await client.close().catch(() => undefined);
    // Suspended: the key no longer works at all.
    const probe = await fetch(`${env.gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${env.keys.suspendee}` } });
    expect(probe.status).toBe(401);
    expect(env.audit("channel = 'system' AND action = 'agents.suspend' AND agent_id = 'suspendee'")).toHaveLength(1);

    expect((await cli(env.ws, ['agents', 'resume', 'suspendee'])).code).toBe(0);
    await expect.poll(async () => (await fetch(`${env.gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${env.keys.suspendee}` } })).status, { timeout: 5000 }).toBe(200);
    // Resumed with a clean history: the same call works again.
    const again = await connectClient(env.gw.url, env.keys.suspendee!, 'modern');
    try {
      const r = await again.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
      expect(JSON.stringify(r.content)).toContain('x');
    } finally {
      await again.close();
    }
    // Tripped again, and resumed through the admin API this time: a clean history too.
    const third = await connectClient(env.gw.url, env.keys.suspendee!, 'modern');
    try {
      const tripped = await third.callTool({ name: 'everything__echo', arguments: { message: 'x' } }).catch((e: unknown) => e);
      expect(String(tripped)).toMatch(/suspended until an admin resumes it/);
    } finally {
      await third.close().catch(() => undefined);
    }
    const resumed = await fetch(`${env.gw.url}/admin/agents/suspendee/resume`, { method: 'POST', headers: { authorization: `Bearer ${env.gw.adminToken}` } });
    expect(resumed.status).toBe(200);
    const fourth = await connectClient(env.gw.url, env.keys.suspendee!, 'modern');
    try {
      const r = await fourth.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
      expect(JSON.stringify(r.content)).toContain('x');
    } finally {
      await fourth.close();
    }
  });
});

describe('agent hop chain', () => {
  it('stops a call that comes back to an agent already in its chain', async () => {
    const client = await connectClient(env.gw.url, env.keys['caller-agent']!, 'modern');
    try {
      await waitForTools(client, (n) => n.includes('relay__ask'), 20_000);
      const r = await client.callTool({ name: 'relay__ask', arguments: {} });
      // caller-agent → relay (as relay-agent) → relay__ask again as relay-agent: a cycle.
      expect(JSON.stringify(r.content)).toMatch(/Loop detected for agent relay-agent/);
    } finally {
      await client.close();
    }
    expect(relaySeen[0]!.tracestate).toBe('warden=caller-agent');
    expect(relaySeen[1]!.tracestate).toBe('warden=caller-agent.relay-agent');
    // One trace from the first call to the last.
    expect(relaySeen[1]!.traceparent!.split('-')[1]).toBe(relaySeen[0]!.traceparent!.split('-')[1]);
    const trip = trips('relay-agent').at(-1)!;
    expect(trip.details).toMatchObject({ rule: 'hop-cycle', chain: ['caller-agent', 'relay-agent'] });
    // A chain could be forged by another agent: the trip refused that one call and blocked nothing.
    const own = await connectClient(env.gw.url, env.keys['relay-agent']!, 'modern');
    try {
      const r = await own.callTool({ name: 'relay__ask', arguments: {} });
      expect(r.isError).not.toBe(true);
    } finally {
      await own.close();
    }
  });
});
