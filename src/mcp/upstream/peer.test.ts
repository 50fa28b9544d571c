import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest } from '../jsonrpc.js';
import { JsonRpcPeer, type PeerWire, type PendingRequest } from './peer.js';

function setup() {
  const sent: JsonRpcMessage[] = [];
  const requests: PendingRequest[] = [];
  const session: JsonRpcNotification[] = [];
  const peer = new JsonRpcPeer({ upstreamId: 'u', log: pino({ level: 'silent' }), maxNotificationsPerSecond: 100, onSessionNotification: (n) => session.push(n) });
  const wire: PeerWire = {
    sendRequest: (m, r) => {
      sent.push(m);
      requests.push(r);
    },
    sendNotification: (m) => sent.push(m),
    sendResponse: (m) => sent.push(m),
  };
  peer.attach(wire);
  return { peer, sent, requests, session };
}
const defaults = { timeoutMs: 5000, idleMs: 5000 };

describe('JsonRpcPeer', () => {
  it('sends fresh upstream ids and rewrites the progress token without touching the caller params', async () => {
    const { peer, sent } = setup();
    const params = { name: 't', _meta: { progressToken: 'agent-1', other: 1 } };
    const a = peer.request('tools/call', params, {}, defaults, null);
    const b = peer.request('tools/call', params, {}, defaults, null);
    const [ma, mb] = sent as JsonRpcRequest[];
    expect(ma!.id).not.toBe(mb!.id);
    const tokenA = (ma!.params!._meta as Record<string, unknown>).progressToken;
    expect(tokenA).not.toBe('agent-1');
    expect((ma!.params!._meta as Record<string, unknown>).other).toBe(1);
    expect(params._meta.progressToken).toBe('agent-1');
    peer.receive({ jsonrpc: '2.0', id: mb!.id, result: { n: 'b' } }, 10);
    peer.receive({ jsonrpc: '2.0', id: ma!.id, result: { n: 'a' } }, 10);
    expect((await a).result).toEqual({ n: 'a' });
    expect((await b).result).toEqual({ n: 'b' });
  });

  it('merges the 2026-07-28 envelope over whatever the caller put in _meta', () => {
    const { peer, sent } = setup();
    void peer.request('tools/list', { _meta: { 'io.modelcontextprotocol/clientInfo': 'spoof', keep: true } }, {}, defaults, { 'io.modelcontextprotocol/clientInfo': { name: 'gw' } });
    expect((sent[0] as JsonRpcRequest).params!._meta).toEqual({ 'io.modelcontextprotocol/clientInfo': { name: 'gw' }, keep: true });
  });

  it('never delivers a response that arrives on another request\'s stream', async () => {
    const { peer, sent, requests } = setup();
    const a = peer.request('x', undefined, { timeoutMs: 50 }, defaults, null);
    void peer.request('y', undefined, {}, defaults, null);
    peer.receive({ jsonrpc: '2.0', id: (sent[0] as JsonRpcRequest).id, result: {} }, 1, requests[1]);
    expect(peer.stats.unknownResponses).toBe(1);
    await expect(a).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('routes a server request on a shared stream only when exactly one request is in flight', async () => {
    const { peer, sent } = setup();
    const handled: string[] = [];
    const onServerRequest = async (r: JsonRpcRequest) => {
      handled.push(r.method);
      return { ok: true };
    };
    const a = peer.request('a', undefined, { onServerRequest }, defaults, null);
    void peer.request('b', undefined, { onServerRequest }, defaults, null);
    peer.receive({ jsonrpc: '2.0', id: 's1', method: 'sampling/createMessage', params: {} }, 1);
    expect(sent.at(-1)).toMatchObject({ id: 's1', error: { code: -32601 } });
    expect(handled).toEqual([]);
    peer.receive({ jsonrpc: '2.0', id: (sent[0] as JsonRpcRequest).id, result: {} }, 1);
    await a;
    peer.receive({ jsonrpc: '2.0', id: 's2', method: 'sampling/createMessage', params: {} }, 1);
    await new Promise((r) => setImmediate(r));
    expect(handled).toEqual(['sampling/createMessage']);
    expect(sent.at(-1)).toEqual({ jsonrpc: '2.0', id: 's2', result: { ok: true } });
  });

  it('keeps a long-lived request open past every timeout, out of the in-flight count, and routes by its subscription id', async () => {
    const { peer, sent } = setup();
    const onStream: string[] = [];
    const onCall: string[] = [];
    const stream = peer.request('subscriptions/listen', {}, { onNotification: (n) => onStream.push(n.method) }, { timeoutMs: 20, idleMs: 20 }, null, { longLived: true });
    const streamId = (sent[0] as JsonRpcRequest).id;
    const handled: string[] = [];
    const call = peer.request('tools/call', undefined, { onNotification: (n) => onCall.push(n.method), onServerRequest: async (r) => (handled.push(r.method), {}) }, defaults, null);
    const callId = (sent[1] as JsonRpcRequest).id;
    expect(peer.pendingCount).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    // Stamped with the stream's id: its own; with an ordinary request's id: not routed by it.
    peer.receive({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': streamId } } }, 1);
    peer.receive({ jsonrpc: '2.0', method: 'notifications/message', params: { _meta: { 'io.modelcontextprotocol/subscriptionId': callId } } }, 1);
    expect(onStream).toEqual(['notifications/subscriptions/acknowledged']);
    expect(onCall).toEqual([]);
    // A server request on the shared stream still finds the one ordinary call.
    peer.receive({ jsonrpc: '2.0', id: 's1', method: 'elicitation/create', params: {} }, 1);
    await new Promise((r) => setImmediate(r));
    expect(handled).toEqual(['elicitation/create']);
    // The upstream ends the stream on a shared channel with notifications/cancelled.
    peer.receive({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: callId } }, 1);
    peer.receive({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: streamId } }, 1);
    await expect(stream).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    peer.receive({ jsonrpc: '2.0', id: callId, result: {} }, 1);
    await expect(call).resolves.toMatchObject({ result: {} });
  });
});
