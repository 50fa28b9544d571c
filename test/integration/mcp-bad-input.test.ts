/**
 * Hostile and malformed MCP input against the real gateway (threat model C): each gets a
 * typed JSON-RPC error with the right HTTP status, and nothing reaches an upstream.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { EVERYTHING, mcpWorkspace } from '../helpers/mcp-workspace.js';

let ws: Workspace;
let gw: RunningGateway;
let key: string;
let otherKey: string;

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

beforeAll(async () => {
  ws = mcpWorkspace({
    upstreams: [{ id: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], autoApprove: true }],
    agents: [
      { id: 'agent-a', tools: { allow: ['*'] } },
      { id: 'agent-b', tools: { allow: ['*'] } },
    ],
    extra: 'limits: { maxBodyBytes: 65536, maxInFlight: 6 }\n',
    mcp: { maxStreamsPerAgent: 3 },
  });
  gw = await startGateway(ws);
  key = (await createKey(ws, 'agent-a')).key;
  otherKey = (await createKey(ws, 'agent-b')).key;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  ws?.cleanup();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { jsonrpc?: string; id?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> }; result?: unknown } | null;
}

function post(body: string | Buffer, headers: Record<string, string> = {}, opts: { auth?: string | null; chunked?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL('/mcp', gw.url);
    const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers };
    if (opts.auth !== null) h.authorization = `Bearer ${opts.auth ?? key}`;
    if (!opts.chunked) h['content-length'] = String(Buffer.byteLength(body));
    const req = request(url, { method: 'POST', headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    if (opts.chunked) {
      const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
      for (let i = 0; i < buf.length; i += 16384) req.write(buf.subarray(i, i + 16384));
    } else req.write(body);
    req.end();
  });
}

const modern = (method: string, params: Record<string, unknown> = {}, id: unknown = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: MODERN_META } });
const modernHeaders = (method: string, name?: string) => ({
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': method,
  ...(name ? { 'mcp-name': name } : {}),
});

async function openSession(k = key): Promise<string> {
  const r = await post(
    JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    {},
    { auth: k },
  );
  expect(r.status).toBe(200);
  return r.headers['mcp-session-id'] as string;
}

describe('malformed JSON-RPC on /mcp', () => {
  it('answers invalid JSON with 400 and -32700, id null', async () => {
    const r = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"');
    expect(r.status).toBe(400);
    expect(r.json?.error?.code).toBe(-32700);
    expect(r.json?.id).toBeNull();
  });

  it('refuses JSON-RPC batches (and the empty batch) with -32600, executing nothing', async () => {
    const batch = await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }]));
    expect(batch.status).toBe(400);
    expect(batch.json?.error?.code).toBe(-32600);
    const empty = await post('[]');
    expect(empty.status).toBe(400);
    expect(empty.json?.error?.code).toBe(-32600);
  });

  it('refuses a missing or wrong jsonrpc member and null, float or object ids', async () => {
    for (const body of [
      { id: 1, method: 'tools/list' },
      { jsonrpc: '1.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: null, method: 'tools/list' },
      { jsonrpc: '2.0', id: 1.5, method: 'tools/list' },
      { jsonrpc: '2.0', id: { x: 1 }, method: 'tools/list' },
    ]) {
      const r = await post(JSON.stringify(body));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json?.error?.code).toBe(-32600);
    }
  });

  it('refuses duplicate keys, so the policy and the upstream can never see different calls', async () => {
    const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"every__echo","name":"every__get-env","arguments":{},"_meta":${JSON.stringify(MODERN_META)}}}`;
    const r = await post(body, modernHeaders('tools/call', 'every__echo'));
    expect(r.status).toBe(400);
    expect(r.json?.error?.code).toBe(-32600);
    expect(r.json?.error?.message).toMatch(/repeats a key/);
  });

  it('refuses Mcp-Method / Mcp-Name headers that disagree with the body (-32020)', async () => {
    const r = await post(modern('tools/call', { name: 'every__get-env', arguments: {} }), modernHeaders('tools/call', 'every__echo'));
    expect(r.status).toBe(400);
    expect(r.json?.error?.code).toBe(-32020);
    const m = await post(modern('tools/call', { name: 'every__echo', arguments: {} }), modernHeaders('tools/list'));
    expect(m.json?.error?.code).toBe(-32020);
  });

  it('refuses unknown protocol versions with -32022 and the supported list', async () => {
    const session = await openSession();
    const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), { 'mcp-protocol-version': '1999-01-01', 'mcp-session-id': session });
    expect(r.status).toBe(400);
    expect(r.json?.error?.code).toBe(-32022);
    expect(r.json?.error?.data?.supported).toEqual(expect.arrayContaining(['2026-07-28', '2025-11-25']));
  });

  it('answers unknown methods, case tricks and path tricks with -32601', async () => {
    for (const method of ['tools/delete', 'tools/CALL', 'tools/call/../admin', 'ping']) {
      const r = await post(modern(method), modernHeaders(method));
      expect(r.json?.error?.code, method).toBe(-32601);
    }
  });

  it('refuses a body over the size limit with 413, by declared length and by bytes streamed', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(200_000) } });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    const chunked = await post(big, {}, { chunked: true });
    expect(chunked.status).toBe(413);
  });

  it('refuses 10,000-deep nesting without falling over', async () => {
    const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"every__echo","arguments":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`;
    const r = await post(deep);
    expect(r.status).toBe(400);
    expect(r.json?.error?.message).toMatch(/nesting/);
    const health = await fetch(new URL('/healthz', gw.url));
    expect(health.status).toBe(200);
  });
});

describe('sessions, credentials and DNS rebinding', () => {
  it('tells another agent presenting a session id "not found", and the owner still works', async () => {
    const session = await openSession(key);
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const stolen = await post(list, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }, { auth: otherKey });
    expect(stolen.status).toBe(404);
    const bogus = await post(list, { 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': '2025-11-25' }, { auth: otherKey });
    expect(bogus.status).toBe(404);
    expect(stolen.json?.error).toEqual({ ...bogus.json?.error, data: { ...bogus.json?.error?.data, requestId: stolen.json?.error?.data?.requestId } });
    const mine = await post(list, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    expect(mine.status).toBe(200);
  });

  it('requires a session id for 2025-11-25 requests after initialize', async () => {
    const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), { 'mcp-protocol-version': '2025-11-25' });
    expect(r.status).toBe(400);
  });

  it('answers a missing credential with 401 and WWW-Authenticate', async () => {
    const r = await post(modern('tools/list'), modernHeaders('tools/list'), { auth: null });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/Bearer/);
    expect(r.json?.error?.code).toBe(-32010);
  });

  it('refuses a foreign Origin and a foreign Host with 403 before looking at credentials', async () => {
    const origin = await post(modern('tools/list'), { ...modernHeaders('tools/list'), origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    const host = await post(modern('tools/list'), { ...modernHeaders('tools/list'), host: 'evil.example:8080' });
    expect(host.status).toBe(403);
    const local = await post(modern('tools/list'), { ...modernHeaders('tools/list'), origin: `http://localhost:${gw.port}` });
    expect(local.status).toBe(200);
    // The refusal is in the audit trail, with the policy that decided.
    const q = await cli(ws, ['audit', 'query', '--channel', 'mcp', '--decision', 'deny', '--json']);
    const refusals = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { policy: string; code: string; requestId: string });
    expect(refusals.some((r) => r.policy === 'origin-guard' && r.code === 'FORBIDDEN' && r.requestId === origin.headers['x-request-id'])).toBe(true);
  });
});

describe('notification streams', () => {
  async function openListen(k: string): Promise<{ status: number; close: () => void }> {
    const ac = new AbortController();
    const res = await fetch(new URL('/mcp', gw.url), {
      method: 'POST',
      signal: ac.signal,
      headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...modernHeaders('subscriptions/listen') },
      body: modern('subscriptions/listen', { notifications: { toolsListChanged: true } }),
    });
    if (!res.headers.get('content-type')?.includes('event-stream')) await res.text();
    return { status: res.status, close: () => ac.abort() };
  }

  it('caps open streams per agent, and idle streams never take request slots from other agents', async () => {
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push(await openListen(otherKey));
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const over = await post(modern('subscriptions/listen', { notifications: { toolsListChanged: true } }), modernHeaders('subscriptions/listen'), { auth: otherKey });
    expect(over.status).toBe(429);
    expect(over.json?.error?.data?.code).toBe('RATE_LIMITED');
    // maxInFlight is 6: with 3 idle streams open, 5 concurrent calls of another agent still pass.
    const calls = await Promise.all(Array.from({ length: 5 }, () => post(modern('tools/list'), modernHeaders('tools/list'))));
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    for (const s of streams) s.close();
  });
});
