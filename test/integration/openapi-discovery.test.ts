import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { mcpWorkspace } from '../helpers/mcp-workspace.js';
import { cli, createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';

/** 60 resources x (list, get, delete): 180 operations, too many to hand an agent as tools. */
function bigSpec(): string {
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < 60; i++) {
    const thing = `widget${i}`;
    paths[`/${thing}s`] = { get: { operationId: `list_${thing}s`, summary: `List ${thing} records`, responses: { 200: { description: 'ok' } } } };
    paths[`/${thing}s/{id}`] = {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { operationId: `get_${thing}`, summary: `Get one ${thing}`, responses: { 200: { description: 'ok' } } },
      delete: { operationId: `delete_${thing}`, summary: `Delete one ${thing}`, responses: { 204: { description: 'gone' } } },
    };
  }
  return JSON.stringify({ openapi: '3.1.0', info: { title: 'Widgets', version: '1' }, paths });
}

type ToolResult = { content: Array<{ text?: string }>; structuredContent?: { operations: Array<{ name: string; risk: string; inputSchema: unknown }>; matched: number }; isError?: boolean };

describe('discovery mode for a large OpenAPI import (real gateway, real HTTP API)', () => {
  let api: RecordingApi;
  let ws: Workspace;
  let gw: RunningGateway;
  let reader: Client;
  let admin: Client;

  beforeAll(async () => {
    api = await startRecordingApi();
    ws = mcpWorkspace({
      upstreams: [],
      agents: [
        { id: 'reader', tools: { allow: ['widgets__*'], riskClasses: { allow: ['read-only'] } } },
        { id: 'admin', tools: { allow: ['widgets__*'], riskClasses: { allow: ['read-only', 'write', 'destructive'] } } },
      ],
    });
    const dir = join(ws.dir, 'openapi-imports');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'widgets.json'), bigSpec());
    writeFileSync(join(dir, 'widgets.warden.yaml'), `baseUrl: ${api.url}/api\ninternal: true\nallowHttp: true\ndiscovery: true\nmaxTools: 50\n`);
    gw = await startGateway(ws);
    reader = await connectClient(gw.url, (await createKey(ws, 'reader')).key, 'legacy');
    admin = await connectClient(gw.url, (await createKey(ws, 'admin')).key, 'modern');
    await waitForTools(reader, (names) => names.includes('widgets__find_operations'));
  });

  afterAll(async () => {
    await reader?.close();
    await admin?.close();
    await gw?.stop();
    await api?.close();
    ws?.cleanup();
  });

  it('lists only the search and call tools, not the 180 operations', async () => {
    expect((await reader.listTools()).tools.map((t) => t.name).sort()).toEqual(['widgets__call_operation', 'widgets__find_operations']);
    const call = (await admin.listTools()).tools.find((t) => t.name === 'widgets__call_operation');
    // What call_operation can reach includes deletes: clients must not treat it as harmless.
    expect(call?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  });

  it('finds operations by keywords, only among those the agent may call, with their input schemas', async () => {
    const forReader = (await reader.callTool({ name: 'widgets__find_operations', arguments: { query: 'widget7 one' } })) as unknown as ToolResult;
    const names = forReader.structuredContent!.operations.map((o) => o.name);
    expect(names[0]).toBe('widgets__get_widget7');
    expect(names.every((n) => !n.includes('delete'))).toBe(true);
    expect(forReader.structuredContent!.operations[0]!.inputSchema).toMatchObject({ type: 'object', required: ['id'] });
    const forAdmin = (await admin.callTool({ name: 'widgets__find_operations', arguments: { query: 'delete widget7' } })) as unknown as ToolResult;
    expect(forAdmin.structuredContent!.operations[0]).toMatchObject({ name: 'widgets__delete_widget7', risk: 'destructive' });
  });

  it('calls an operation by name through call_operation, governed and audited as that operation', async () => {
    const r = (await reader.callTool({ name: 'widgets__call_operation', arguments: { operation: 'widgets__get_widget7', arguments: { id: 'w-1' } } })) as unknown as ToolResult;
    expect(r.isError).toBeFalsy();
    expect(api.last()).toMatchObject({ method: 'GET', path: '/api/widget7s/w-1' });
    const rows = (await cli(ws, ['audit', 'query', '--json', '--limit', '1000'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; target: string; decision: string; details?: Record<string, unknown> });
    const row = rows.find((x) => x.action === 'tools/call' && x.target === 'widgets__get_widget7' && x.decision === 'allow');
    expect(row?.details).toMatchObject({ via: 'call_operation', operation: 'GET /widget7s/{id}' });
  });

  it('refuses, as an unknown tool, an operation the agent may not call, one of another namespace, or one that does not exist', async () => {
    const before = api.requests.length;
    for (const operation of ['widgets__delete_widget7', 'delete_widget7', 'everything__echo', 'widgets__nope']) {
      await expect(reader.callTool({ name: 'widgets__call_operation', arguments: { operation, arguments: { id: 'w-1' } } }), operation).rejects.toThrow(/Unknown tool/);
    }
    expect(api.requests.length).toBe(before);
    // A hidden operation and a missing one get the same answer: the refusal enumerates nothing.
    const message = async (operation: string): Promise<string> =>
      (await reader.callTool({ name: 'widgets__call_operation', arguments: { operation, arguments: {} } }).then(() => new Error('not refused'), (e: Error) => e)).message;
    expect((await message('delete_widget7')).replace('delete_widget7', 'X')).toBe((await message('nope_widget7')).replace('nope_widget7', 'X'));
    // The admin may delete.
    const r = (await admin.callTool({ name: 'widgets__call_operation', arguments: { operation: 'delete_widget7', arguments: { id: 'w-2' } } })) as unknown as ToolResult;
    expect(r.isError).toBeFalsy();
    expect(api.last()).toMatchObject({ method: 'DELETE', path: '/api/widget7s/w-2' });
  });

  it('validates the operation\'s own arguments', async () => {
    const r = (await reader.callTool({ name: 'widgets__call_operation', arguments: { operation: 'widgets__get_widget3', arguments: {} } })) as unknown as ToolResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/id/);
  });

  it('checks the discovery tools\' own arguments (a 650 KB query is refused, not searched)', async () => {
    const r = (await reader.callTool({ name: 'widgets__find_operations', arguments: { query: 'x'.repeat(650_000) } })) as unknown as ToolResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/query/);
    const c = (await reader.callTool({ name: 'widgets__call_operation', arguments: { operation: 'widgets__get_widget1', arguments: {}, extra: 1 } })) as unknown as ToolResult;
    expect(c.isError).toBe(true);
  });
});
