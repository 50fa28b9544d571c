import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonRpcNotification } from '../../src/mcp/jsonrpc.js';
import { client, closeClients, rejection, EVERYTHING, FIXTURES, peakRetainedBuffers, startServer, textOf, waitFor, type RunningServer } from '../fixtures/mcp-upstreams/setup.js';


afterEach(closeClients);
const http = (url: string, extra: Record<string, unknown> = {}, opts: Parameters<typeof client>[1] = {}) => client({ transport: 'http', url, ...extra }, opts);

describe('Streamable HTTP upstream: server-everything (2025-11-25)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(EVERYTHING, ['streamableHttp']);
  });
  afterAll(() => server.stop());

  it('falls back to initialize, lists tools, calls echo and routes progress from the request stream', async () => {
    const c = http(server.url('/mcp'));
    await c.start();
    expect(c.info?.era).toBe('legacy');
    expect((await c.listAll('tools')).map((t) => t.name)).toContain('echo');
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'over http' } })).result)).toBe('Echo: over http');
    const seen: JsonRpcNotification[] = [];
    const res = await c.request(
      'tools/call',
      { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 }, _meta: { progressToken: 42 } },
      { onNotification: (n) => seen.push(n) },
    );
    expect(textOf(res.result)).toContain('completed');
    expect(seen.map((n) => n.params?.progressToken)).toEqual([42, 42]);
  });

  it('advertises sampling only when allowed, and answers the upstream sampling request through onServerRequest', async () => {
    const denied = http(server.url('/mcp'));
    await denied.start();
    expect((await denied.listAll('tools')).map((t) => t.name)).not.toContain('trigger-sampling-request');
    const allowed = http(server.url('/mcp'), { allowSampling: true });
    await allowed.start();
    expect((await allowed.listAll('tools')).map((t) => t.name)).toContain('trigger-sampling-request');
    const res = await allowed.request(
      'tools/call',
      { name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } },
      { onServerRequest: async () => ({ role: 'assistant', content: { type: 'text', text: 'from the agent' }, model: 'test-model' }) },
    );
    expect(JSON.stringify(res.result)).toContain('from the agent');
  });
});

describe('Streamable HTTP upstream: a 2026-07-28 server (SDK v2)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(`${FIXTURES}modern-http.mjs`);
  });
  afterAll(() => server.stop());

  it('negotiates the modern era with server/discover and sends the envelope and Mcp-* headers', async () => {
    const c = http(server.url('/mcp'), { headers: { authorization: { env: 'WARDEN_TEST_AUTH' } } }, { env: { WARDEN_TEST_AUTH: 'Bearer gateway-held' } });
    await c.start();
    expect(c.info).toMatchObject({ era: 'modern', protocolVersion: '2026-07-28' });
    expect(c.info?.capabilities).toHaveProperty('tools');
    expect((await c.listAll('tools')).map((t) => t.name).sort()).toEqual(['echo', 'progress', 'whoami']);
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'modern' } })).result)).toBe('Echo: modern');
    const who = (await c.request('tools/call', { name: 'whoami', arguments: {}, _meta: { 'io.modelcontextprotocol/clientInfo': { name: 'agent-spoof', version: '1' } } })).result
      ?.structuredContent as Record<string, Record<string, unknown> | string>;
    expect(who.mcpMethod).toBe('tools/call');
    expect(who.mcpName).toBe('whoami');
    // Echoed back exactly as configured, then redacted: the agent never sees the upstream's credential.
    expect(who.authorization).toBe('[REDACTED]');
    // The gateway's own identity wins over whatever the caller put in _meta.
    expect(who.envelope).toMatchObject({ 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'warden-test' } });
  });

  it('routes progress notifications from the SSE response back with the caller token', async () => {
    const c = http(server.url('/mcp'));
    await c.start();
    const seen: JsonRpcNotification[] = [];
    const res = await c.request('tools/call', { name: 'progress', arguments: { steps: 3 }, _meta: { progressToken: 'mine' } }, { onNotification: (n) => seen.push(n) });
    expect(textOf(res.result)).toBe('done 3');
    expect(seen.map((n) => [n.params?.progressToken, n.params?.progress])).toEqual([
      ['mine', 1],
      ['mine', 2],
      ['mine', 3],
    ]);
  });

  it('reports a request as written once a connection took it, and not when the server cannot be reached', async () => {
    const own = await startServer(`${FIXTURES}modern-http.mjs`);
    const c = http(own.url('/mcp'));
    await c.start();
    let written = 0;
    await c.request('tools/call', { name: 'echo', arguments: { message: 'x' } }, { onDispatched: () => written++ });
    expect(written).toBe(1);
    await own.stop();
    // Let the pool notice its keep-alive connection closed.
    await new Promise((r) => setTimeout(r, 300));
    let after = 0;
    const err = await rejection(c.request('tools/call', { name: 'echo', arguments: { message: 'y' } }, { onDispatched: () => after++ }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(after).toBe(0);
  });

  it('fails start when pinned to 2025-11-25 against a modern-only server', async () => {
    const c = http(server.url('/mcp'), { protocol: '2025-11-25', restart: { initialDelayMs: 60_000 } });
    const err = await rejection(c.start());
    expect(c.state).toBe('failed');
    expect(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_BAD_RESPONSE']).toContain(err.code);
  });
});

describe('Streamable HTTP upstream: misbehaving server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(`${FIXTURES}misbehaving-http.mjs`);
  });
  afterAll(() => server.stop());
  const stats = async (c: ReturnType<typeof client>) => (await c.request('tools/call', { name: 'stats', arguments: {} })).result?.structuredContent as Record<string, unknown>;

  it('probes with Mcp-Method on a session-less POST, then keeps the session and injects configured headers', async () => {
    const c = http(server.url('/mcp'), { headers: { 'x-upstream-key': { env: 'WARDEN_TEST_KEY' } } }, { env: { WARDEN_TEST_KEY: 'k-123' } });
    await c.start();
    expect(c.info?.era).toBe('legacy');
    const s = await stats(c);
    expect(s.discoverHeaders).toEqual({ method: 'server/discover', version: '2026-07-28' });
    // The upstream echoes the header it received: exactly the configured secret, which the
    // client then redacts from the answer (no agent sees an upstream's credential).
    expect(s.lastHeaders).toEqual({ version: '2025-11-25', auth: '[REDACTED]' });
  });

  it('delivers request-stream notifications to the request and session notifications (GET stream) as events', async () => {
    const c = http(server.url('/mcp'));
    await c.start();
    const seen: JsonRpcNotification[] = [];
    const res = await c.request('tools/call', { name: 'progress', arguments: {}, _meta: { progressToken: 't' } }, { onNotification: (n) => seen.push(n) });
    expect(textOf(res.result)).toBe('progressed');
    expect(seen.map((n) => n.method)).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'notifications/message']);
    const changed: string[] = [];
    c.on('listChanged', (k) => changed.push(k));
    // The GET stream opens right after the handshake; retry until the server has it.
    let answer = '';
    for (let i = 0; i < 50 && answer !== 'notified'; i++) {
      answer = textOf((await c.request('tools/call', { name: 'notify-list-changed', arguments: {} })).result);
      if (answer !== 'notified') await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => changed.includes('tools'));
  });

  it('renews an expired session (404) once and retries the request', async () => {
    const c = http(server.url('/mcp'));
    await c.start();
    const before = (await stats(c)).initialize as number;
    expect(textOf((await c.request('tools/call', { name: 'expire-session', arguments: {} })).result)).toBe('expired');
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'again' } })).result)).toBe('Echo: again');
    expect((await stats(c)).initialize).toBe(before + 1);
  });

  it('answers a sampling request on the request stream with an error when there is no handler', async () => {
    const c = http(server.url('/mcp'));
    await c.start();
    const res = await c.request('tools/call', { name: 'sample', arguments: {} });
    expect(JSON.parse(textOf(res.result))).toMatchObject({ error: { code: -32601 } });
  });

  it('cancels with notifications/cancelled carrying the upstream id, and times out a request that never answers', async () => {
    const c = http(server.url('/mcp'));
    await c.start();
    const ac = new AbortController();
    const p = c.request('tools/call', { name: 'never', arguments: {} }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect((await rejection(p)).message).toContain('cancelled');
    expect((await rejection(c.request('tools/call', { name: 'never', arguments: {} }, { timeoutMs: 100 }))).code).toBe('UPSTREAM_TIMEOUT');
    // The cancellation POSTs are one-way: poll until both arrived.
    let s = await stats(c);
    for (let i = 0; i < 50 && (s.cancelled as unknown[]).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await stats(c);
    }
    expect(s.cancelled).toEqual(s.neverIds);
  });

  it.each(['huge-json', 'huge-sse'])('cuts a 100 MB %s response at maxResultBytes with bounded memory', async (tool) => {
    const c = http(server.url('/mcp'), { maxResultBytes: 1024 * 1024 });
    await c.start();
    const { value, peak } = await peakRetainedBuffers(() => c.request('tools/call', { name: tool, arguments: { bytes: 100 * 1024 * 1024 } }));
    const err = await rejection(Promise.reject(value));
    expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(err.message).toBe('Upstream response too large');
    expect(peak).toBeLessThan(32 * 1024 * 1024);
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'ok' } })).result)).toBe('Echo: ok');
  });

  it('sends DELETE for the session on close', async () => {
    const c = http(server.url('/mcp'));
    await c.start();
    const before = (await stats(c)).deleted as number;
    await c.close();
    const other = http(server.url('/mcp'));
    await other.start();
    expect((await stats(other)).deleted).toBe(before + 1);
  });

  it('reports an unreachable upstream as failed without blocking', async () => {
    const c = http('http://127.0.0.1:9/mcp', { timeouts: { connectMs: 500 }, restart: { initialDelayMs: 60_000 } });
    const err = await rejection(c.start());
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(c.state).toBe('failed');
  });
});
