/**
 * The legacy HTTP+SSE transport (2024-11-05 style) end to end: the SDK v2 SSEClientTransport
 * through the real gateway process to server-everything over stdio, plus the raw HTTP
 * cases a client library would never send (other agents' session ids, 2026 envelopes).
 */
import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressOfLongCall, startEverythingGateway, type EverythingGateway } from '../helpers/everything-gateway.js';
import type { RunningGateway } from '../helpers/gateway-process.js';
import { waitForTools } from '../helpers/mcp-client.js';

let setup: EverythingGateway;
let gw: RunningGateway;
let aliceKey: string;
let bobKey: string;

beforeAll(async () => {
  setup = await startEverythingGateway(['alice', 'bob']);
  gw = setup.gw;
  ({ alice: aliceKey, bob: bobKey } = setup.keys as { alice: string; bob: string });
}, 60_000);

afterAll(async () => {
  await setup?.stop();
});

async function connectSse(key: string): Promise<Client> {
  const client = new Client({ name: 'old-client', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new SSEClientTransport(new URL('/sse', gw.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

/** A raw SSE session: the endpoint the gateway announced, and every `message` event after it. */
async function openRawSession(key: string): Promise<{ endpoint: string; messages: unknown[]; close: () => void }> {
  const ac = new AbortController();
  const res = await fetch(new URL('/sse', gw.url), { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal: ac.signal });
  expect(res.status).toBe(200);
  const messages: unknown[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let resolveEndpoint!: (e: string) => void;
  const endpoint = new Promise<string>((r) => (resolveEndpoint = r));
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const name = /^event: (.*)$/m.exec(event)?.[1];
          const data = /^data: (.*)$/m.exec(event)?.[1] ?? '';
          if (name === 'endpoint') resolveEndpoint(data);
          else if (name === 'message') messages.push(JSON.parse(data));
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { endpoint: await endpoint, messages, close: () => ac.abort() };
}

/** Runs `fn` with a raw session of `key`, closing its stream afterwards. */
async function withSession(key: string, fn: (s: Awaited<ReturnType<typeof openRawSession>>) => Promise<void>): Promise<void> {
  const s = await openRawSession(key);
  try {
    await fn(s);
  } finally {
    s.close();
  }
}

function post(path: string, key: string | null, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, gw.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
}

const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

describe('an SDK client on the legacy HTTP+SSE transport', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectSse(aliceKey);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the upstream tools under their namespace', async () => {
    const names = await waitForTools(client, (n) => n.includes('every__echo'));
    expect(names.every((n) => n.startsWith('every__'))).toBe(true);
  });

  it('calls a tool and gets the result back on the stream', async () => {
    const r = await client.callTool({ name: 'every__echo', arguments: { message: 'over sse' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Echo: over sse' }]);
  });

  it('passes on progress notifications of a call on the stream', async () => {
    expect((await progressOfLongCall(client)).slice(0, 2)).toEqual([1, 2]);
  });

  it('gets a JSON-RPC error on the stream for an unknown tool', async () => {
    await expect(client.callTool({ name: 'every__no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });
});

describe('legacy HTTP+SSE sessions', () => {
  it('answers the POST with 202 and delivers the answer on the stream, with the session id accepted in the query', async () => {
    await withSession(aliceKey, async (s) => {
      expect(s.endpoint).toMatch(/^\/messages\?sessionId=[A-Za-z0-9_-]+$/);
      const r = await post(s.endpoint, aliceKey, INITIALIZE);
      expect(r.status).toBe(202);
      await expect.poll(() => s.messages.length).toBe(1);
      expect(s.messages[0]).toMatchObject({ id: 1, result: { protocolVersion: '2024-11-05', serverInfo: { name: 'warden' } } });
    });
  });

  it("tells another agent presenting a session's id that it does not exist, and delivers nothing", async () => {
    await withSession(aliceKey, async (s) => {
      const r = await post(s.endpoint, bobKey, LIST);
      expect(r.status).toBe(404);
      const body = (await r.json()) as { error: { message: string; data: { code: string } } };
      expect(body.error.data.code).toBe('SESSION_NOT_FOUND');
      const unknown = await post('/messages?sessionId=never-issued', bobKey, LIST);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(body.error.message);
      // Nor may another agent initialize (take over) the session.
      expect((await post(s.endpoint, bobKey, INITIALIZE)).status).toBeGreaterThanOrEqual(400);
      expect(s.messages).toEqual([]);
    });
  });

  it('refuses a 2026-07-28 enveloped message on a session endpoint instead of running it session-less', async () => {
    await withSession(aliceKey, async (s) => {
      const modern = {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/list',
        params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
      };
      const r = await post(s.endpoint, bobKey, modern, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' });
      expect(r.status).toBe(400);
      expect(s.messages).toEqual([]);
    });
  });

  it('refuses requests without a credential with 401, on both endpoints', async () => {
    const get = await fetch(new URL('/sse', gw.url), { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(401);
    expect(get.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await withSession(aliceKey, async (s) => {
      const r = await post(s.endpoint, null, INITIALIZE);
      expect(r.status).toBe(401);
      expect(s.messages).toEqual([]);
    });
  });

  it('answers bad JSON on the POST itself', async () => {
    await withSession(aliceKey, async (s) => {
      const r = await fetch(new URL(s.endpoint, gw.url), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceKey}` }, body: '{"jsonrpc":' });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: number } }).error.code).toBe(-32700);
    });
  });

  it('closes the session when its stream closes', async () => {
    const s = await openRawSession(aliceKey);
    s.close();
    await expect.poll(async () => (await post(s.endpoint, aliceKey, LIST)).status).toBe(404);
  });

  it('refuses a stream opened from a foreign origin (DNS rebinding)', async () => {
    const r = await fetch(new URL('/sse', gw.url), { headers: { authorization: `Bearer ${aliceKey}`, accept: 'text/event-stream', origin: 'http://evil.example' } });
    expect(r.status).toBe(403);
  });
});
