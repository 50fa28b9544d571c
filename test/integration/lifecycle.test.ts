import { afterEach, describe, expect, it } from 'vitest';
import { cli, createKey, makeWorkspace, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { slowPost } from '../helpers/slow-request.js';
import { join } from 'node:path';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { mcpWorkspace } from '../helpers/mcp-workspace.js';
import { FIXTURES } from '../fixtures/mcp-upstreams/setup.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('overload and graceful shutdown (real gateway process)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const boot = async (config = '') => {
    const ws: Workspace = makeWorkspace({ config });
    const gw: RunningGateway = await startGateway(ws);
    cleanups.push(() => ws.cleanup());
    cleanups.push(async () => void (await gw.stop('SIGKILL')));
    return { ws, gw };
  };

  it('sheds requests beyond the in-flight limit with 503 + Retry-After while health stays up', async () => {
    const { gw } = await boot('limits: { maxInFlight: 2 }\n');
    const body = JSON.stringify({ label: 'slow' });
    const a = slowPost(gw.port, '/admin/agents/support-triage/keys', gw.adminToken, body);
    const b = slowPost(gw.port, '/admin/agents/support-triage/keys', gw.adminToken, body);
    await Promise.all([a.ready, b.ready]);
    await sleep(100);
    const shed = await fetch(`${gw.url}/v1/whoami`);
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(((await shed.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    a.finish();
    b.finish();
    expect((await a.response).status).toBe(201);
    expect((await b.response).status).toBe(201);
    expect((await fetch(`${gw.url}/v1/whoami`)).status).toBe(401);
  });

  it('drains an in-flight request on SIGTERM, refuses new connections, flushes the audit and exits 0', async () => {
    const { ws, gw } = await boot();
    const used = await createKey(ws, 'code-reviewer');
    expect((await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${used.key}` } })).status).toBe(200);
    const slow = slowPost(gw.port, '/admin/agents/support-triage/keys', gw.adminToken, JSON.stringify({ label: 'during-drain' }));
    await slow.ready;
    await sleep(100);
    gw.proc.kill('SIGTERM');
    await sleep(300);
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
    slow.finish();
    const res = await slow.response;
    expect(res.status).toBe(201);
    const exit = await gw.exited;
    expect(exit.code).toBe(0);
    const verify = await cli(ws, ['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const rows = await cli(ws, ['audit', 'query', '--json', '--limit', '1000']);
    expect(rows.stdout).toContain('"action":"keys.create"');
    expect(rows.stdout).toContain('"action":"gateway.stop"');
    // Last-used times are batched off the request path and flushed on shutdown.
    const keys = await cli(ws, ['agents', 'keys', 'list', 'code-reviewer', '--json']);
    const row = JSON.parse(keys.stdout.trim().split('\n')[0]!) as { keyId: string; lastUsedAt: string | null };
    expect(row.keyId).toBe(used.keyId);
    expect(row.lastUsedAt).not.toBeNull();
  });

  it('drains an MCP call whose answer is streamed (progress) on SIGTERM: the client gets its result', async () => {
    const ws = mcpWorkspace({
      upstreams: [{ id: 'fx', transport: 'stdio', command: process.execPath, args: [join(FIXTURES, 'modern-stdio.mjs')], autoApprove: true }],
      agents: [{ id: 'drainer', tools: { allow: ['fx__*'] } }],
    });
    cleanups.push(() => ws.cleanup());
    const gw = await startGateway(ws);
    cleanups.push(async () => void (await gw.stop('SIGKILL')));
    const { key } = await createKey(ws, 'drainer');
    const client = await connectClient(gw.url, key, 'modern');
    await waitForTools(client, (names) => names.includes('fx__progress'));
    let progressed = 0;
    let signalled = false;
    const call = client.callTool({ name: 'fx__progress', arguments: { steps: 40 } }, {
      onprogress: () => {
        progressed++;
        if (!signalled) {
          signalled = true;
          gw.proc.kill('SIGTERM');
        }
      },
    });
    const result = (await call) as { content: Array<{ text?: string }> };
    expect(result.content[0]!.text).toBe('done 40');
    expect(progressed).toBe(40);
    expect((await gw.exited).code).toBe(0);
    expect(gw.logs.join('\n')).not.toMatch(/ERR_HTTP_HEADERS_SENT/);
  });

  it('closes a request still unfinished at the drain deadline and still records it before exiting 0', async () => {
    const { ws, gw } = await boot('limits: { shutdownDrainMs: 500 }\n');
    const slow = slowPost(gw.port, '/admin/agents/support-triage/keys', gw.adminToken, JSON.stringify({ label: 'cut-off' }));
    await slow.ready;
    await sleep(100);
    gw.proc.kill('SIGTERM');
    const exit = await gw.exited;
    expect(exit.code).toBe(0);
    expect((await slow.response).status).not.toBe(201);
    const rows = await cli(ws, ['audit', 'query', '--json', '--limit', '1000', '--channel', 'admin']);
    const cut = rows.stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; decision: string; policy: string });
    expect(cut.find((r) => r.action === 'keys.create')).toMatchObject({ decision: 'deny', policy: 'read-body' });
    const verify = await cli(ws, ['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('exits at once on a second signal during the drain, leaving a verifiable audit trail', async () => {
    const { ws, gw } = await boot('limits: { shutdownDrainMs: 60000 }\n');
    const slow = slowPost(gw.port, '/admin/agents/support-triage/keys', gw.adminToken, JSON.stringify({ label: 'never-finished' }));
    await slow.ready;
    await sleep(100);
    const t0 = Date.now();
    gw.proc.kill('SIGTERM');
    await sleep(200);
    gw.proc.kill('SIGINT');
    const exit = await gw.exited;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(exit.code).toBe(130);
    const verify = await cli(ws, ['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
