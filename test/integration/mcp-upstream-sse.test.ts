import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonRpcNotification } from '../../src/mcp/jsonrpc.js';
import { client, closeClients, rejection, EVERYTHING, FIXTURES, startServer, textOf, waitFor, type RunningServer } from '../fixtures/mcp-upstreams/setup.js';


afterEach(closeClients);
const sse = (url: string, extra: Record<string, unknown> = {}) => client({ transport: 'sse', url, ...extra });

describe('HTTP+SSE upstream: server-everything (sse)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(EVERYTHING, ['sse']);
  });
  afterAll(() => server.stop());

  it('connects through the endpoint event, lists tools, calls echo and receives progress on the stream', async () => {
    const c = sse(server.url('/sse'));
    await c.start();
    expect(c.info?.era).toBe('legacy');
    expect((await c.listAll('tools')).map((t) => t.name)).toContain('echo');
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'sse' } })).result)).toBe('Echo: sse');
    const seen: JsonRpcNotification[] = [];
    await c.request('tools/call', { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 }, _meta: { progressToken: 'sse-token' } }, { onNotification: (n) => seen.push(n) });
    expect(seen.map((n) => n.params?.progressToken)).toEqual(['sse-token', 'sse-token']);
  });

  it('fails pending requests when the stream drops and schedules a reconnect', async () => {
    const own = await startServer(EVERYTHING, ['sse']);
    const c = sse(own.url('/sse'), { restart: { initialDelayMs: 50, maxDelayMs: 100 }, timeouts: { connectMs: 500 } });
    await c.start();
    const pending = rejection(c.request('tools/call', { name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 5 } }));
    await own.stop();
    const err = await pending;
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    await waitFor(() => c.stats.restarts >= 1);
    expect(c.state).not.toBe('ready');
  });
});

describe('HTTP+SSE upstream: misbehaving server', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(`${FIXTURES}misbehaving-sse.mjs`);
  });
  afterAll(() => server.stop());

  it('refuses a message endpoint on another origin (credentials never leave the configured origin)', async () => {
    const c = sse(server.url('/sse?foreign=1'), { restart: { initialDelayMs: 60_000 } });
    const err = await rejection(c.start());
    expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(err.message).toContain('another origin');
  });

  it('fails the request whose event is over maxResultBytes (id found at its end) and keeps the stream', async () => {
    const c = sse(server.url('/sse'), { maxResultBytes: 64 * 1024 });
    await c.start();
    expect(c.info?.protocolVersion).toBe('2024-11-05');
    const err = await rejection(c.request('tools/call', { name: 'huge', arguments: { bytes: 1024 * 1024 } }));
    expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(err.message).toBe('Upstream response too large');
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'after' } })).result)).toBe('Echo: after');
  });
});
