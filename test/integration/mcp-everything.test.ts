/**
 * The MCP gateway end to end: real SDK clients of both eras, through the real gateway
 * process, to the reference server-everything over stdio.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { connectClient, waitForTools, type Era } from '../helpers/mcp-client.js';
import { EVERYTHING, mcpWorkspace } from '../helpers/mcp-workspace.js';

let ws: Workspace;
let gw: RunningGateway;
let fullKey: string;
let readerKey: string;
let noneKey: string;

beforeAll(async () => {
  ws = mcpWorkspace({
    upstreams: [
      {
        id: 'every',
        transport: 'stdio',
        command: process.execPath,
        args: [EVERYTHING, 'stdio'],
        autoApprove: true,
        risk: [
          { match: 'get-*', class: 'read-only' },
          { match: 'echo', class: 'read-only' },
          { match: 'get-sum', class: 'read-only' },
        ],
      },
    ],
    agents: [
      { id: 'full-agent', tools: { allow: ['*'] } },
      { id: 'reader', tools: { allow: ['every__*'], riskClasses: { deny: ['write', 'destructive'] } } },
      { id: 'nothing' },
    ],
  });
  gw = await startGateway(ws);
  fullKey = (await createKey(ws, 'full-agent')).key;
  readerKey = (await createKey(ws, 'reader')).key;
  noneKey = (await createKey(ws, 'nothing')).key;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  ws?.cleanup();
});

describe.each<Era>(['legacy', 'modern'])('a %s-era client through the gateway to server-everything (stdio)', (era) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient(gw.url, fullKey, era);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the upstream tools under the upstream namespace', async () => {
    const names = await waitForTools(client, (n) => n.includes('every__echo'));
    expect(names.every((n) => n.startsWith('every__') && n.length <= 64)).toBe(true);
  });

  it('calls a tool and gets the upstream result back', async () => {
    const r = await client.callTool({ name: 'every__echo', arguments: { message: `hello ${era}` } });
    expect(r.content).toEqual([{ type: 'text', text: `Echo: hello ${era}` }]);
    expect(r.isError).toBeFalsy();
  });

  it('answers an unknown tool with a JSON-RPC error, not a crash', async () => {
    await expect(client.callTool({ name: 'every__no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });
});

describe('per-agent visibility', () => {
  it('shows a reader only read-only tools, and a hidden tool fails exactly like an unknown one', async () => {
    const reader = await connectClient(gw.url, readerKey, 'legacy');
    const full = await connectClient(gw.url, fullKey, 'legacy');
    try {
      const names = await waitForTools(reader, (n) => n.includes('every__echo'));
      const all = await waitForTools(full, (n) => n.length > names.length);
      const hidden = all.find((n) => !names.includes(n))!;
      expect(hidden).toBeDefined();
      const hiddenErr = await reader.callTool({ name: hidden, arguments: {} }).catch((e: Error) => e.message);
      const unknownErr = await reader.callTool({ name: 'every__zz_not_there', arguments: {} }).catch((e: Error) => e.message);
      expect(String(hiddenErr).replace(hidden, 'X')).toBe(String(unknownErr).replace('every__zz_not_there', 'X'));
    } finally {
      await reader.close();
      await full.close();
    }
  });

  it('shows an agent without a tools section nothing', async () => {
    const none = await connectClient(gw.url, noneKey, 'modern');
    try {
      expect((await none.listTools()).tools).toEqual([]);
    } finally {
      await none.close();
    }
  });
});

describe('revocation of a key with open streams', () => {
  it('ends the session and its notification stream within seconds of the revocation', async () => {
    const { key, keyId } = await createKey(ws, 'full-agent');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(new URL('/mcp', gw.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    const session = init.headers.get('mcp-session-id')!;
    await init.text();
    const stream = await fetch(new URL('/mcp', gw.url), { headers: { ...headers, 'mcp-session-id': session, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return Date.now();
    })();
    const revokedAt = Date.now();
    const r = await cli(ws, ['agents', 'keys', 'revoke', keyId]);
    expect(r.code, r.stderr).toBe(0);
    const endTime = await Promise.race([ended, new Promise<number>((res) => setTimeout(() => res(-1), 5000))]);
    expect(endTime).toBeGreaterThan(0);
    expect(endTime - revokedAt).toBeLessThan(5000);
  });
});
