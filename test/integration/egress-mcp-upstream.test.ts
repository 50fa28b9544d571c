/** Remote MCP upstreams connect through the egress: address policy, pinning, a shared pool. */
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Egress } from '../../src/egress/index.js';
import { EVERYTHING, FIXTURES, client, closeClients, rejection, startServer, textOf, waitFor, type RunningServer } from '../fixtures/mcp-upstreams/setup.js';
import { fakeLookup, log } from './egress-fixtures.js';

/** A TCP relay in front of an upstream: counts connections and tells which carried which request. */
async function relay(targetPort: number) {
  const sockets: Array<{ firstLine: string; sent: string; closed: boolean }> = [];
  const server: Server = createServer((inbound) => {
    const seen = { firstLine: '', sent: '', closed: false };
    sockets.push(seen);
    const outbound = connect(targetPort, '127.0.0.1');
    inbound.once('data', (d: Buffer) => (seen.firstLine = d.toString('latin1').split('\r\n')[0] ?? ''));
    inbound.on('data', (d: Buffer) => (seen.sent += d.toString('latin1')));
    inbound.pipe(outbound).pipe(inbound);
    const end = () => {
      seen.closed = true;
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('close', end).on('error', end);
    outbound.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, sockets, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let http: RunningServer;
let sse: RunningServer;
let stalling: RunningServer;
let httpRelay: Awaited<ReturnType<typeof relay>>;
let sseRelay: Awaited<ReturnType<typeof relay>>;
let stallingRelay: Awaited<ReturnType<typeof relay>>;
let egress: Egress | undefined;

beforeAll(async () => {
  [http, sse, stalling] = await Promise.all([startServer(EVERYTHING, ['streamableHttp']), startServer(EVERYTHING, ['sse']), startServer(`${FIXTURES}misbehaving-http.mjs`)]);
  [httpRelay, sseRelay, stallingRelay] = await Promise.all([relay(http.port), relay(sse.port), relay(stalling.port)]);
}, 30_000);
afterAll(async () => {
  await Promise.all([httpRelay?.close(), sseRelay?.close(), stallingRelay?.close(), http?.stop(), sse?.stop(), stalling?.stop()]);
});
afterEach(async () => {
  await closeClients();
  await egress?.close();
  egress = undefined;
});

describe('MCP upstreams through the egress', () => {
  it.each(['http', 'sse'] as const)('%s: an upstream on loopback is refused unless configured internal, before connecting', async (transport) => {
    const r = transport === 'http' ? httpRelay : sseRelay;
    const before = r.sockets.length;
    // A name that resolves to loopback: a loopback literal is refused by the configuration already (below).
    const { lookup } = fakeLookup({ 'local.egress.test': [['127.0.0.1']] });
    egress = new Egress({ log, lookup });
    const url = `http://local.egress.test:${r.port}${transport === 'http' ? '/mcp' : '/sse'}`;
    const err = await rejection(client({ transport, url, internal: false, restart: { initialDelayMs: 60_000 } }, { egress }).start());
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.message).toBe('Upstream up could not be reached: local.egress.test resolves to a loopback address (127.0.0.0/8): allowed only for an upstream configured with internal: true');
    expect(err.details).toEqual({ reason: 'EGRESS_ADDRESS_REFUSED' });
    expect(r.sockets.length).toBe(before);
  });

  it('refuses a loopback literal without internal in the configuration itself, naming the fix', () => {
    expect(() => client({ transport: 'http', url: `http://127.0.0.1:${httpRelay.port}/mcp`, internal: false })).toThrow(
      '127.0.0.1 is a loopback address (127.0.0.0/8): the gateway calls it only for an upstream configured with internal: true',
    );
  });

  it('http: connects through the shared egress, resolving the host once per connection', async () => {
    const { lookup, calls } = fakeLookup({ 'mcp.egress.test': [['127.0.0.1']] });
    egress = new Egress({ log, lookup });
    const before = httpRelay.sockets.length;
    // .test never resolves on a real resolver: only the egress's lookup can have found it.
    const c = client({ transport: 'http', url: `http://mcp.egress.test:${httpRelay.port}/mcp`, internal: true }, { egress });
    await c.start();
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'via egress' } })).result)).toBe('Echo: via egress');
    const connections = httpRelay.sockets.length - before;
    expect(connections).toBeGreaterThan(0);
    expect(calls).toHaveLength(connections);
  });

  it('sse: closing the client ends its stream while the shared pool stays usable', async () => {
    const { lookup } = fakeLookup({ 'sse.egress.test': [['127.0.0.1']] });
    egress = new Egress({ log, lookup });
    const url = `http://sse.egress.test:${sseRelay.port}/sse`;
    const first = client({ transport: 'sse', url, internal: true }, { egress });
    await first.start();
    const stream = sseRelay.sockets.find((s) => s.firstLine.startsWith('GET /sse') && !s.closed)!;
    expect(stream).toBeDefined();
    await first.close();
    await waitFor(() => stream.closed);

    const second = client({ transport: 'sse', url, internal: true }, { egress });
    await second.start();
    expect(textOf((await second.request('tools/call', { name: 'echo', arguments: { message: 'again' } })).result)).toBe('Echo: again');
  });

  it('http: closing the client drops the connection of a call in flight (the pool is shared, so nothing else would)', async () => {
    egress = new Egress({ log });
    const c = client({ transport: 'http', url: `http://127.0.0.1:${stallingRelay.port}/mcp`, internal: true }, { egress });
    await c.start();
    // `never` opens its response stream and sends nothing, ever.
    const call = rejection(c.request('tools/call', { name: 'never', arguments: {} }));
    const carrying = () => stallingRelay.sockets.find((s) => s.sent.includes('"never"'));
    await waitFor(() => carrying() !== undefined);
    await c.close();
    expect((await call).code).toBe('UPSTREAM_UNAVAILABLE');
    await waitFor(() => carrying()!.closed, 2000);
  });
});
