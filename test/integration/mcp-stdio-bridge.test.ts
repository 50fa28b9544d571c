/**
 * `warden mcp-stdio` end to end: SDK v2 clients of both eras speak stdio to the real bridge
 * process, which carries their messages to the real gateway and on to server-everything.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressOfLongCall, startEverythingGateway, type EverythingGateway } from '../helpers/everything-gateway.js';
import { CLI, type RunningGateway } from '../helpers/gateway-process.js';
import { waitForTools, type Era } from '../helpers/mcp-client.js';

let setup: EverythingGateway;
let gw: RunningGateway;
let key: string;
let rawKey: string;

beforeAll(async () => {
  setup = await startEverythingGateway(['local-agent', 'raw-agent']);
  gw = setup.gw;
  ({ 'local-agent': key, 'raw-agent': rawKey } = setup.keys as Record<'local-agent' | 'raw-agent', string>);
}, 60_000);

afterAll(async () => {
  await setup?.stop();
});

/** The audit actions recorded for an agent, through the admin API. */
async function auditedActions(agent: string): Promise<string[]> {
  const r = await fetch(`${gw.url}/admin/audit?agent=${agent}&channel=mcp`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
  const body = (await r.json()) as { records: Array<{ action: string }> };
  return body.records.map((x) => x.action);
}

/** How many tools/call records of an agent say the call was cancelled (by its client: CLIENT_CLOSED_REQUEST, not the upstream's failure). */
async function cancelledCalls(agent: string): Promise<number> {
  const r = await fetch(`${gw.url}/admin/audit?agent=${agent}&channel=mcp&limit=1000`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
  const body = (await r.json()) as { records: Array<{ action: string; reason: string | null; code: string | null }> };
  return body.records.filter((x) => x.action === 'tools/call' && /cancelled/i.test(x.reason ?? '') && x.code === 'CLIENT_CLOSED_REQUEST').length;
}

const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' });

async function bridgedClient(era: Era, opts: { args?: string[]; env?: Record<string, string> } = {}): Promise<{ client: Client; stderr: string[] }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp-stdio', '--url', `${gw.url}/mcp`, ...(opts.args ?? [])],
    env: { ...baseEnv(), ...(opts.env ?? { WARDEN_AGENT_KEY: key }) },
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString('utf8')));
  const client = new Client({ name: `stdio-${era}`, version: '1.0.0' }, { capabilities: {}, versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' } });
  await client.connect(transport);
  return { client, stderr };
}

describe.each<Era>(['legacy', 'modern'])('a %s-era stdio client through warden mcp-stdio', (era) => {
  let client: Client;
  beforeAll(async () => {
    ({ client } = await bridgedClient(era));
  }, 20_000);
  afterAll(async () => {
    await client?.close();
  });

  it('negotiates its own era with the gateway', () => {
    expect(client.getServerVersion()?.name).toBe('warden');
    expect(client.getNegotiatedProtocolVersion()).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
  });

  it('lists the upstream tools', async () => {
    const names = await waitForTools(client, (n) => n.includes('every__echo'));
    expect(names.every((n) => n.startsWith('every__'))).toBe(true);
  });

  it('calls a tool and gets the upstream result back', async () => {
    const r = await client.callTool({ name: 'every__echo', arguments: { message: `via stdio ${era}` } });
    expect(r.content).toEqual([{ type: 'text', text: `Echo: via stdio ${era}` }]);
  });

  it('passes on progress notifications of a call', async () => {
    expect((await progressOfLongCall(client)).slice(0, 2)).toEqual([1, 2]);
  });

  it('cancels a call at the gateway when the client cancels it', async () => {
    const before = await cancelledCalls('local-agent');
    const ac = new AbortController();
    const call = client.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 20, steps: 2 } }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    await expect(call).rejects.toThrow();
    // Recorded once the gateway stopped the call: long before the 20 s the upstream would take.
    await expect.poll(() => cancelledCalls('local-agent'), { timeout: 5000 }).toBe(before + 1);
  });

  it('passes on JSON-RPC errors for a request', async () => {
    await expect(client.callTool({ name: 'every__no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });
});

describe('warden mcp-stdio', () => {
  it('reads the key from --key-file', async () => {
    const file = join(setup.ws.dir, 'agent.key');
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    const { client } = await bridgedClient('legacy', { args: ['--key-file', file], env: {} });
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("answers a request the gateway refused with the gateway's JSON-RPC error", async () => {
    await expect(bridgedClient('legacy', { env: { WARDEN_AGENT_KEY: 'wdn_not_a_real_key' } })).rejects.toThrow(/credential/i);
  });

  it('writes only JSON-RPC lines on stdout, opens the session stream after initialize, and ends the session when stdin closes', async () => {
    const proc = spawn(process.execPath, [CLI, 'mcp-stdio', '--url', `${gw.url}/mcp`], { env: { ...baseEnv(), WARDEN_AGENT_KEY: rawKey }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = once(proc, 'exit');
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    proc.stdin.write(`${JSON.stringify(init)}\n`);
    await expect.poll(() => out.includes('\n'), { timeout: 5000 }).toBe(true);
    proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    await expect.poll(() => auditedActions('raw-agent'), { timeout: 5000 }).toContain('mcp.stream');
    proc.stdin.end();
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-11-25', serverInfo: { name: 'warden' } } });
    await expect.poll(() => auditedActions('raw-agent')).toContain('mcp.session.close');
  });

  it('still answers requests sent just before stdin closed (a piped one-shot)', async () => {
    const proc = spawn(process.execPath, [CLI, 'mcp-stdio', '--url', `${gw.url}/mcp`], { env: { ...baseEnv(), WARDEN_AGENT_KEY: rawKey }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = once(proc, 'exit');
    const init = { jsonrpc: '2.0', id: 'one-shot', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    proc.stdin.end(`${JSON.stringify(init)}\n`);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(JSON.parse(out.trim())).toMatchObject({ id: 'one-shot', result: { serverInfo: { name: 'warden' } } });
  });

  it('holds what a 2025-11-25 client writes right after initialize until the session exists (the whole one-shot piped at once)', async () => {
    const proc = spawn(process.execPath, [CLI, 'mcp-stdio', '--url', `${gw.url}/mcp`], { env: { ...baseEnv(), WARDEN_AGENT_KEY: rawKey }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exited = once(proc, 'exit');
    const lines = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
    ];
    proc.stdin.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    const answers = out.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: number; result?: { tools?: unknown[] }; error?: unknown });
    expect(answers.map((a) => a.id)).toEqual([1, 2]);
    expect(answers[1]!.error).toBeUndefined();
    expect(answers[1]!.result?.tools?.length).toBeGreaterThan(0);
    expect(err).toBe('');
  });

  it('refuses to start without a key, saying why on stderr', async () => {
    const proc = spawn(process.execPath, [CLI, 'mcp-stdio', '--url', `${gw.url}/mcp`], { env: baseEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/WARDEN_AGENT_KEY/);
  });
});
