/**
 * Resource subscriptions through the gateway to a 2026-07-28 upstream (which only has
 * subscriptions/listen): a 2025-11-25 session subscribes with resources/subscribe, a
 * 2026-07-28 client with subscriptions/listen; each gets notifications/resources/updated
 * under the public URI, and only for resources it may read.
 */
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { mcpWorkspace } from '../helpers/mcp-workspace.js';

const FIXTURE = join(REPO, 'test/fixtures/mcp-upstreams/modern-notifying.mjs');
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

let ws: Workspace;
let gw: RunningGateway;
let key: string;
let blindKey: string;
let legacy: Client;

beforeAll(async () => {
  ws = mcpWorkspace({
    upstreams: [{ id: 'note', transport: 'stdio', command: process.execPath, args: [FIXTURE, 'stdio'], autoApprove: true, risk: [{ match: '*', class: 'read-only' }] }],
    agents: [
      { id: 'reader', tools: { allow: ['note__*'] } },
      { id: 'blind', tools: { allow: ['note__poke'] } },
    ],
  });
  gw = await startGateway(ws);
  key = (await createKey(ws, 'reader')).key;
  blindKey = (await createKey(ws, 'blind')).key;
  legacy = await connectClient(gw.url, key, 'legacy');
  await waitForTools(legacy, (n) => n.includes('note__poke'));
}, 60_000);

afterAll(async () => {
  await legacy?.close();
  await gw?.stop();
  ws?.cleanup();
});

const poke = () => legacy.callTool({ name: 'note__poke', arguments: { what: 'resource', uri: 'note://a' } });

/** Opens subscriptions/listen and collects the messages of its stream. */
async function listen(k: string, uris: string[]): Promise<{ messages: Array<{ method?: string; params?: { uri?: string } }>; close: () => void }> {
  const ac = new AbortController();
  const res = await fetch(new URL('/mcp', gw.url), {
    method: 'POST',
    signal: ac.signal,
    headers: {
      authorization: `Bearer ${k}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'subscriptions/listen',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 'L1', method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: uris }, _meta: ENVELOPE } }),
  });
  expect(res.headers.get('content-type')).toMatch(/event-stream/);
  const messages: Array<{ method?: string; params?: { uri?: string } }> = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  void (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (r.done) return;
      buf += decoder.decode(r.value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const data = buf
          .slice(0, i)
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('');
        buf = buf.slice(i + 2);
        if (data) messages.push(JSON.parse(data));
      }
    }
  })();
  return { messages, close: () => ac.abort() };
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

describe('resource subscriptions to a 2026-07-28 upstream', () => {
  it('delivers resources/updated to a 2025-11-25 session that subscribed', async () => {
    const updates: string[] = [];
    legacy.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri));
    await legacy.subscribeResource({ uri: 'note+note://a' });
    await new Promise((r) => setTimeout(r, 300));
    await poke();
    expect(await until(() => updates.includes('note+note://a'))).toBe(true);
    await legacy.unsubscribeResource({ uri: 'note+note://a' });
  });

  it('delivers resources/updated on a 2026-07-28 listen stream, acknowledged with the filter', async () => {
    const l = await listen(key, ['note+note://a']);
    try {
      expect(await until(() => l.messages.some((m) => m.method === 'notifications/subscriptions/acknowledged'))).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      await poke();
      expect(await until(() => l.messages.some((m) => m.method === 'notifications/resources/updated' && m.params?.uri === 'note+note://a'))).toBe(true);
    } finally {
      l.close();
    }
  });

  it('drops resources the agent may not read from the listen filter', async () => {
    const l = await listen(blindKey, ['note+note://a']);
    try {
      expect(await until(() => l.messages.some((m) => m.method === 'notifications/subscriptions/acknowledged'))).toBe(true);
      const ack = l.messages.find((m) => m.method === 'notifications/subscriptions/acknowledged') as { params: { notifications: { resourceSubscriptions?: string[] } } };
      expect(ack.params.notifications.resourceSubscriptions ?? []).toEqual([]);
      await poke();
      await new Promise((r) => setTimeout(r, 500));
      expect(l.messages.some((m) => m.method === 'notifications/resources/updated')).toBe(false);
    } finally {
      l.close();
    }
  });
});
