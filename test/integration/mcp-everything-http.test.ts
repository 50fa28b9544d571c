/**
 * The gateway in front of server-everything over Streamable HTTP: tools with structured
 * output, prompts and resources pass through under the upstream's namespace, for clients of
 * both eras; the upstream sees the gateway's configured credential, never the agent's key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { connectClient, waitForTools, type Era } from '../helpers/mcp-client.js';
import { EVERYTHING, mcpWorkspace } from '../helpers/mcp-workspace.js';

let upstream: ChildProcess;
let ws: Workspace;
let gw: RunningGateway;
let key: string;
let recorder: Server;
const seenHeaders: IncomingHttpHeaders[] = [];

/** A pass-through proxy in front of the upstream that remembers the headers the gateway sent. */
async function headerRecorder(target: number): Promise<number> {
  recorder = createHttpServer((req, res) => {
    seenHeaders.push(req.headers);
    const up = httpRequest({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', () => r()));
  return (recorder.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  upstream = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server-everything did not start')), 15_000);
    upstream.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const proxyPort = await headerRecorder(port);
  ws = mcpWorkspace({
    upstreams: [
      {
        id: 'web',
        transport: 'http',
        url: `http://127.0.0.1:${proxyPort}/mcp`,
        internal: true,
        autoApprove: true,
        headers: { 'x-upstream-token': { env: 'WEB_UPSTREAM_TOKEN' } },
        risk: [{ match: '*', class: 'read-only' }],
      },
    ],
    agents: [{ id: 'agent-a', tools: { allow: ['web__*'] } }],
  });
  gw = await startGateway(ws, { WEB_UPSTREAM_TOKEN: 'upstream-secret-123' });
  key = (await createKey(ws, 'agent-a')).key;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  upstream?.kill();
  recorder?.close();
  ws?.cleanup();
});

describe.each<Era>(['legacy', 'modern'])('a %s-era client, upstream over Streamable HTTP', (era) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient(gw.url, key, era);
    await waitForTools(client, (n) => n.includes('web__get-structured-content'));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('passes structured content and the output schema through', async () => {
    const tool = (await client.listTools()).tools.find((t) => t.name === 'web__get-structured-content')!;
    expect(tool.outputSchema).toBeDefined();
    const r = await client.callTool({ name: 'web__get-structured-content', arguments: { location: 'New York' } });
    expect(r.structuredContent).toMatchObject({ temperature: expect.any(Number) });
  });

  it('marks annotations with the gateway risk class, not the upstream\'s claims', async () => {
    const tool = (await client.listTools()).tools.find((t) => t.name === 'web__echo')!;
    expect(tool.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('lists and gets prompts under the upstream namespace', async () => {
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts.length).toBeGreaterThan(0);
    expect(prompts.every((n) => n.startsWith('web__'))).toBe(true);
    const simple = prompts.find((n) => n.includes('simple'))!;
    const got = await client.getPrompt({ name: simple, arguments: {} });
    expect(got.messages.length).toBeGreaterThan(0);
  });

  it('lists resources with namespaced URIs and reads them back', async () => {
    const templates = (await client.listResourceTemplates()).resourceTemplates;
    expect(templates.length).toBeGreaterThan(0);
    expect(templates.every((t) => t.uriTemplate.startsWith('web+'))).toBe(true);
    const textTemplate = templates.find((t) => t.uriTemplate.includes('/text/'))!;
    const uri = textTemplate.uriTemplate.replace(/\{[^}]+\}/, '1');
    const read = await client.readResource({ uri });
    expect(read.contents[0]?.uri).toBe(uri);
  });
});

it('injects the configured upstream credential and never the agent key', async () => {
  const client = await connectClient(gw.url, key, 'legacy');
  try {
    await client.callTool({ name: 'web__echo', arguments: { message: 'x' } });
  } finally {
    await client.close();
  }
  const posts = seenHeaders.filter((h) => h['content-type']?.includes('json'));
  expect(posts.length).toBeGreaterThan(0);
  for (const h of seenHeaders) {
    expect(JSON.stringify(h)).not.toContain(key);
    expect(h.authorization).toBeUndefined();
  }
  for (const h of posts) expect(h['x-upstream-token']).toBe('upstream-secret-123');
});
