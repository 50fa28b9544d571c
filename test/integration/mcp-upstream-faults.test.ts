/**
 * Upstreams that misbehave, seen through the real gateway by real SDK clients (threat
 * model H and C10): the agent gets a typed error in bounded time, other agents are not
 * affected, and the gateway stays healthy.
 */
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, cli, createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { mcpWorkspace } from '../helpers/mcp-workspace.js';

const FIXTURE = join(REPO, 'test/fixtures/mcp-upstreams/misbehaving-stdio.mjs');

let ws: Workspace;
let gw: RunningGateway;
let a: Client;
let b: Client;

beforeAll(async () => {
  ws = mcpWorkspace({
    upstreams: [
      {
        id: 'bad',
        transport: 'stdio',
        command: process.execPath,
        args: [FIXTURE],
        autoApprove: true,
        timeouts: { callMs: 1500 },
        maxResultBytes: 1024 * 1024,
        restart: { initialDelayMs: 50, maxDelayMs: 200 },
      },
    ],
    agents: [
      { id: 'agent-a', tools: { allow: ['bad__*'] } },
      { id: 'agent-b', tools: { allow: ['bad__*'] } },
    ],
  });
  gw = await startGateway(ws);
  a = await connectClient(gw.url, (await createKey(ws, 'agent-a')).key, 'legacy', { capabilities: { sampling: {} } });
  b = await connectClient(gw.url, (await createKey(ws, 'agent-b')).key, 'modern');
  await waitForTools(a, (n) => n.includes('bad__echo'));
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await gw?.stop();
  ws?.cleanup();
});

const text = (r: { content?: unknown }) => ((r.content as Array<{ text?: string }>)[0]?.text ?? '');

describe('an upstream that misbehaves', () => {
  it('never answers: the agent gets UPSTREAM_TIMEOUT once the call deadline passes', async () => {
    const t0 = Date.now();
    const err = await a.callTool({ name: 'bad__hang', arguments: {} }).catch((e: { code?: number; message: string }) => e);
    expect((err as { code?: number }).code).toBe(-32017);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('answers slowly with progress: the progress notifications reach the client before the result', async () => {
    const seen: number[] = [];
    const r = await a.callTool({ name: 'bad__slow', arguments: { ms: 400, progressEveryMs: 60 } }, { onprogress: (p) => seen.push(p.progress) });
    expect(text(r)).toBe('slow done');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
  });

  it('is cancelled by the client: the cancellation reaches the upstream', async () => {
    const ac = new AbortController();
    const call = a.callTool({ name: 'bad__hang', arguments: {} }, { signal: ac.signal }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await call;
    // The upstream logs which of its requests were cancelled.
    let log = { cancelled: [] as unknown[] };
    for (let i = 0; i < 20 && log.cancelled.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = JSON.parse(text(await a.callTool({ name: 'bad__cancelled-log', arguments: {} })));
    }
    expect(log.cancelled.length).toBeGreaterThan(0);
  });

  it('floods notifications: the client gets its result, at most the per-stream rate of notifications, and the gateway stays healthy', async () => {
    let n = 0;
    const t0 = performance.now();
    const r = await a.callTool({ name: 'bad__flood', arguments: { count: 5000 } }, { onprogress: () => n++ });
    const seconds = (performance.now() - t0) / 1000;
    expect(text(r)).toBe('flooded');
    // A token bucket of 200 a second (burst 200): of 10,000 notifications, only what the rate allows.
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(200 + Math.ceil(200 * seconds));
    expect(n).toBeLessThan(1000);
    expect((await fetch(new URL('/healthz', gw.url))).status).toBe(200);
  });

  it('answers with unknown ids: only the genuine answer is delivered, to its own caller', async () => {
    // b's call is in flight on the same upstream connection (sent first, so its upstream id is
    // below the ones the upstream forges) while a's call makes the upstream answer unknown ids.
    const pendingB = b.callTool({ name: 'bad__slow', arguments: { ms: 300 } });
    await new Promise((r) => setTimeout(r, 50));
    const ra = await a.callTool({ name: 'bad__unknown-id', arguments: {} });
    expect(text(ra)).toBe('genuine');
    expect(text(await pendingB)).toBe('slow done');
  });

  it('returns a 100 MB result: cut at the byte cap with UPSTREAM_BAD_RESPONSE, and the next call works', async () => {
    const err = await a.callTool({ name: 'bad__huge', arguments: { bytes: 100 * 1024 * 1024, idFirst: true } }).catch((e: { code?: number }) => e);
    expect((err as { code?: number }).code).toBe(-32018);
    expect(text(await a.callTool({ name: 'bad__echo', arguments: { message: 'after' } }))).toBe('Echo: after');
  }, 30_000);

  it('asks the client for sampling: denied by default, and the denial is audited', async () => {
    const r = await a.callTool({ name: 'bad__sample', arguments: {} });
    const answer = JSON.parse(text(r)) as { error?: { message: string } };
    expect(answer.error?.message).toMatch(/not allowed/);
    const q = await cli(ws, ['audit', 'query', '--channel', 'mcp', '--decision', 'deny', '--json']);
    expect(q.stdout).toContain('sampling/createMessage');
  });

  it('crashes mid-call: the call fails with UPSTREAM_UNAVAILABLE, the process is restarted and serves again', async () => {
    const err = await a.callTool({ name: 'bad__crash', arguments: {} }).catch((e: { code?: number }) => e);
    expect((err as { code?: number }).code).toBe(-32016);
    let ok = '';
    for (let i = 0; i < 60 && ok === ''; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ok = await a
        .callTool({ name: 'bad__echo', arguments: { message: 'back' } })
        .then(text)
        .catch(() => '');
    }
    expect(ok).toBe('Echo: back');
  });

  it('audits every call with agent, tool, upstream, decision, latency, sizes and digests', async () => {
    const q = await cli(ws, ['audit', 'query', '--channel', 'mcp', '--target', 'bad__echo', '--json']);
    const records = q.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rec = records.find((r) => r.decision === 'allow' && r.action === 'tools/call')!;
    expect(rec).toMatchObject({ agentId: expect.any(String), channel: 'mcp', target: 'bad__echo', policy: 'forward' });
    expect(rec.requestDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.responseDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.latencyMs).toEqual(expect.any(Number));
    expect(rec.responseBytes).toEqual(expect.any(Number));
    expect(rec.details).toMatchObject({ upstream: 'bad', tool: 'echo' });
  });
});

describe('what passes through', () => {
  it('forwards the client\'s own _meta (not its protocol envelope) and returns isError results and the upstream\'s _meta as given', async () => {
    const r = await b.callTool({ name: 'bad__meta', arguments: {}, _meta: { 'com.example/hint': 'keep me' } });
    expect(r.isError).toBe(true);
    expect(r._meta).toMatchObject({ 'com.example/upstream-note': 'from upstream' });
    const seen = JSON.parse(text(r)) as Record<string, unknown>;
    expect(seen['com.example/hint']).toBe('keep me');
    // The agent's own protocol envelope (its client info, here 'test-modern') stays at the gateway.
    expect(JSON.stringify(seen)).not.toContain('test-modern');
    expect(Object.keys(seen).some((k) => k.startsWith('io.modelcontextprotocol/'))).toBe(false);
  });
});
