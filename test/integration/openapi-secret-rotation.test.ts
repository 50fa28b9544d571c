import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { mcpWorkspace } from '../helpers/mcp-workspace.js';
import { createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';

const SPEC = JSON.stringify({
  openapi: '3.1.0',
  info: { title: 'Rotating', version: '1' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  security: [{ bearer: [] }],
  paths: { '/me': { get: { operationId: 'whoAmI', responses: { 200: { description: 'ok' } } } } },
});

describe('a rotated secret file reaches a running gateway\'s OpenAPI calls', () => {
  let api: RecordingApi;
  let ws: Workspace;
  let gw: RunningGateway;
  let client: Client;
  let dir: string;

  beforeAll(async () => {
    api = await startRecordingApi();
    ws = mcpWorkspace({ upstreams: [], agents: [{ id: 'caller', tools: { allow: ['rot__*'] } }] });
    dir = join(ws.dir, 'openapi-imports');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token.txt'), 'first-token-1111\n');
    writeFileSync(join(dir, 'rot.json'), SPEC);
    writeFileSync(join(dir, 'rot.warden.yaml'), `baseUrl: ${api.url}\ninternal: true\nallowHttp: true\ncredentials:\n  schemes:\n    bearer: { type: bearer, token: { file: ./token.txt } }\n`);
    gw = await startGateway(ws);
    client = await connectClient(gw.url, (await createKey(ws, 'caller')).key, 'modern');
    await waitForTools(client, (n) => n.includes('rot__whoAmI'));
  });

  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    await api?.close();
    ws?.cleanup();
  });

  it('sends the new value once the file changes, without touching the spec or sidecar', async () => {
    await client.callTool({ name: 'rot__whoAmI', arguments: {} });
    expect(api.last().headers.authorization).toBe('Bearer first-token-1111');
    writeFileSync(join(dir, 'token.txt'), 'second-token-2222\n');
    const deadline = Date.now() + 10_000;
    for (;;) {
      await client.callTool({ name: 'rot__whoAmI', arguments: {} });
      if (api.last().headers.authorization === 'Bearer second-token-2222') break;
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
