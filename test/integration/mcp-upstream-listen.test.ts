import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JsonRpcNotification } from '../../src/mcp/jsonrpc.js';
import type { UpstreamClientImpl } from '../../src/mcp/upstream/client.js';
import { client, closeClients, EVERYTHING, FIXTURES, startServer, waitFor, type RunningServer } from '../fixtures/mcp-upstreams/setup.js';

// The refresh timer is an hour away in every test here: whatever arrives came over the stream.
const HOUR = 3_600_000;
const NOTIFYING = `${FIXTURES}modern-notifying.mjs`;

afterEach(closeClients);

function watch(c: UpstreamClientImpl): { lists: string[]; updates: string[] } {
  const seen = { lists: [] as string[], updates: [] as string[] };
  c.on('listChanged', (kind) => seen.lists.push(kind));
  c.on('notification', (n: JsonRpcNotification) => {
    if (n.method === 'notifications/resources/updated') seen.updates.push(String(n.params?.uri));
  });
  return seen;
}

async function listens(c: UpstreamClientImpl): Promise<Array<Record<string, unknown>>> {
  const res = await c.request('tools/call', { name: 'listens', arguments: {} });
  return (res.result?.structuredContent as { listens: Array<Record<string, unknown>> }).listens;
}

const poke = (c: UpstreamClientImpl, what: 'tools' | 'resource', uri?: string) =>
  c.request('tools/call', { name: 'poke', arguments: { what, ...(uri ? { uri } : {}) } });

describe('subscriptions/listen to a 2026-07-28 upstream over Streamable HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(NOTIFYING);
  });
  afterAll(() => server.stop());

  const modern = (extra: Record<string, unknown> = {}) =>
    client({ transport: 'http', url: server.url('/mcp'), refreshIntervalMs: HOUR, restart: { initialDelayMs: 50, maxDelayMs: 200 }, ...extra });

  it('opens one stream for the announced list_changed kinds and emits listChanged from it, past the request timeouts', async () => {
    const c = modern({ timeouts: { callMs: 300, idleMs: 300 } });
    const seen = watch(c);
    await c.start();
    await waitFor(() => c.stats.pending === 0 && seen.lists.length === 0);
    // Longer than callMs and idleMs: the stream must still be the first one, and alive.
    await new Promise((r) => setTimeout(r, 700));
    await poke(c, 'tools');
    await waitFor(() => seen.lists.includes('tools'), 2000);
    const filters = await listens(c);
    expect(filters).toHaveLength(1);
    // No prompts capability: not asked for.
    expect(filters[0]).toEqual({ toolsListChanged: true, resourcesListChanged: true });
    expect(c.stats.pending).toBe(0);
  });

  it('subscribes a resource through a new stream and delivers resources/updated for it only', async () => {
    const c = modern();
    const seen = watch(c);
    await c.start();
    expect(await c.subscribeResource('note://a')).toEqual({ result: {}, bytes: 0, honored: true });
    expect((await listens(c)).at(-1)).toEqual({ toolsListChanged: true, resourcesListChanged: true, resourceSubscriptions: ['note://a'] });
    await poke(c, 'resource', 'note://b');
    await poke(c, 'resource', 'note://a');
    await waitFor(() => seen.updates.length > 0, 2000);
    // The tools change is sent after both updates on the same stream: once it is here, both were.
    await poke(c, 'tools');
    await waitFor(() => seen.lists.includes('tools'), 2000);
    expect(seen.updates).toEqual(['note://a']);
  });

  it('stops resources/updated after unsubscribeResource, once the narrower stream is acknowledged', async () => {
    const c = modern();
    const seen = watch(c);
    await c.start();
    await c.subscribeResource('note://a');
    expect(c.listenFilter?.resourceSubscriptions).toEqual(['note://a']);
    expect(await c.unsubscribeResource('note://a')).toEqual({ result: {}, bytes: 0 });
    await waitFor(() => c.listenFilter !== null && c.listenFilter.resourceSubscriptions === undefined);
    await poke(c, 'resource', 'note://a');
    await poke(c, 'tools');
    await waitFor(() => seen.lists.includes('tools'), 2000);
    expect(seen.updates).toEqual([]);
    expect((await listens(c)).at(-1)).toEqual({ toolsListChanged: true, resourcesListChanged: true });
  });

  it('opens the stream again after it drops, with the same subscriptions', async () => {
    const c = modern();
    const seen = watch(c);
    await c.start();
    await c.subscribeResource('note://a');
    const before = (await listens(c)).length;
    await c.request('tools/call', { name: 'drop', arguments: {} });
    let filters = await listens(c);
    for (let i = 0; i < 100 && filters.length === before; i++) {
      await new Promise((r) => setTimeout(r, 20));
      filters = await listens(c);
    }
    expect(filters.at(-1)).toEqual({ toolsListChanged: true, resourcesListChanged: true, resourceSubscriptions: ['note://a'] });
    // The drop was noticed before the new request went out: a filter now is the new stream's.
    await waitFor(() => c.listenFilter !== null);
    await poke(c, 'resource', 'note://a');
    await waitFor(() => seen.updates.length > 0, 2000);
    expect(seen.updates).toEqual(['note://a']);
  });

  it('closes the stream on close()', async () => {
    const c = modern();
    await c.start();
    await c.subscribeResource('note://a');
    await c.close();
    const other = modern();
    await other.start();
    // The fixture drops a response that ended from its set; `drop` counts what is still open.
    await waitFor(() => other.state === 'ready');
    const res = await other.request('tools/call', { name: 'drop', arguments: {} });
    const open = Number(/dropped (\d+)/.exec(JSON.stringify(res.result))?.[1]);
    // Only `other`'s own stream (opening or open) may remain.
    expect(open).toBeLessThanOrEqual(1);
  });
});

describe('subscriptions/listen to a 2026-07-28 upstream without resources.subscribe', () => {
  it('answers subscribeResource with an empty result marked not honoured, and keeps the list_changed stream', async () => {
    const server = await startServer(`${FIXTURES}modern-http.mjs`);
    try {
      const c = client({ transport: 'http', url: server.url('/mcp'), refreshIntervalMs: HOUR });
      await c.start();
      expect(await c.subscribeResource('note://a')).toEqual({ result: {}, bytes: 0, honored: false });
      expect(c.listenFilter).toEqual({ toolsListChanged: true });
    } finally {
      await server.stop();
    }
  });
});

describe('subscriptions/listen to a 2026-07-28 upstream on stdio', () => {
  it('correlates the acknowledgement by subscription id and delivers list_changed and resources/updated', async () => {
    const c = client({ transport: 'stdio', command: process.execPath, args: [NOTIFYING, 'stdio'], refreshIntervalMs: HOUR });
    const seen = watch(c);
    await c.start();
    expect(c.info?.era).toBe('modern');
    expect(await c.subscribeResource('note://a')).toEqual({ result: {}, bytes: 0, honored: true });
    await poke(c, 'resource', 'note://a');
    await poke(c, 'tools');
    await waitFor(() => seen.lists.includes('tools'), 2000);
    expect(seen.updates).toEqual(['note://a']);
    // A server request on the shared channel still finds the one ordinary call in flight.
    expect(c.stats.pending).toBe(0);
  });
});

describe('resource subscriptions to a 2025-11-25 upstream', () => {
  it('sends resources/subscribe and resources/unsubscribe', async () => {
    const server = await startServer(EVERYTHING, ['streamableHttp']);
    try {
      const c = client({ transport: 'http', url: server.url('/mcp'), refreshIntervalMs: HOUR });
      await c.start();
      expect(c.info?.era).toBe('legacy');
      const uri = String((await c.listAll('resources'))[0]?.uri);
      expect(await c.subscribeResource(uri)).toMatchObject({ result: {} });
      expect(await c.unsubscribeResource(uri)).toMatchObject({ result: {} });
      // What the upstream refuses comes back as its own answer.
      const refused = await c.request('resources/subscribe', {});
      expect(refused.error).toBeDefined();
    } finally {
      await server.stop();
    }
  });
});
