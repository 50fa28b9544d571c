import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Egress, type EgressLookup } from '../../src/egress/index.js';
import { egressFailure, fakeLookup, log, startServer, TIMEOUTS, waitFor, type TestServer } from './egress-fixtures.js';

let server: TestServer;
const egresses: Egress[] = [];
const make = (lookup?: EgressLookup) => {
  const e = new Egress({ log, ...(lookup ? { lookup } : {}) });
  egresses.push(e);
  return e;
};
const get = (path = '/') => ({ method: 'GET', path, headers: {}, timeouts: TIMEOUTS, maxBytes: 1 << 20, redirects: 'none' as const });

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/close') res.setHeader('connection', 'close');
    res.end(`hello ${req.url}`);
  });
});
afterAll(() => server.close());
afterEach(async () => {
  await Promise.all(egresses.splice(0).map((e) => e.close()));
});

describe('egress address policy', () => {
  it('refuses a loopback origin unless the target is internal, before any connection', async () => {
    const egress = make();
    const before = server.connections;
    const err = await egressFailure(egress.request({ origin: server.origin, internal: false }, get()), 'EGRESS_ADDRESS_REFUSED');
    expect(err.message).toContain('loopback');
    expect(err.message).toContain('internal: true');
    expect(err.range).toBe('127.0.0.0/8');
    expect(server.connections).toBe(before);

    const ok = await egress.request({ origin: server.origin, internal: true }, get('/x'));
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe('hello /x');
  });

  it('refuses an IPv6 loopback literal origin', async () => {
    await egressFailure(make().request({ origin: `http://[::1]:${server.port}`, internal: false }, get()), 'EGRESS_ADDRESS_REFUSED');
  });

  it.each([
    ['10.0.0.1', 'private', '10.0.0.0/8'],
    ['169.254.169.254', 'metadata', '169.254.169.254/32'],
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.0/8'],
    ['fd00:ec2::254', 'metadata', 'fd00:ec2::254/128'],
  ])('refuses a host name that resolves to %s (%s) without connecting', async (address, kind, range) => {
    const { lookup, calls } = fakeLookup({ 'api.egress.test': [[address]] });
    const egress = make(lookup);
    const err = await egressFailure(egress.request({ origin: `http://api.egress.test:${server.port}`, internal: false }, get()), 'EGRESS_ADDRESS_REFUSED');
    expect(err.message).toBe(`api.egress.test resolves to a ${kind} address (${range}): allowed only for an upstream configured with internal: true`);
    expect(calls).toEqual(['api.egress.test']);
  });

  it('refuses a name when any of its addresses is refused, even for an internal target', async () => {
    const { lookup } = fakeLookup({ 'mixed.egress.test': [['127.0.0.1', '0.0.0.0']] });
    const before = server.connections;
    const err = await egressFailure(make(lookup).request({ origin: `http://mixed.egress.test:${server.port}`, internal: true }, get()), 'EGRESS_ADDRESS_REFUSED');
    expect(err.message).toContain('unspecified address (0.0.0.0/8): never allowed');
    expect(server.connections).toBe(before);
  });

  it('reports a name that does not resolve as EGRESS_DNS', async () => {
    const { lookup } = fakeLookup({});
    const err = await egressFailure(make(lookup).request({ origin: 'http://nowhere.egress.test', internal: false }, get()), 'EGRESS_DNS');
    expect(err.message).toBe('nowhere.egress.test could not be resolved (ENOTFOUND)');
  });

  it('resolves once per connection and connects to the checked address, never resolving again in between', async () => {
    // The second answer (0.0.0.0 reaches this machine on Linux) would be refused; it is only
    // asked for when a new connection is needed, and then checked like the first.
    const { lookup, calls } = fakeLookup({ 'pinned.egress.test': [['127.0.0.1'], ['0.0.0.0']] });
    const egress = make(lookup);
    const target = { origin: `http://pinned.egress.test:${server.port}`, internal: true, connections: 1 };
    const before = server.connections;
    for (let i = 0; i < 5; i++) expect((await egress.request(target, get(`/n${i}`))).body.toString()).toBe(`hello /n${i}`);
    // .test names never resolve on a real resolver: the answer used was the checked one.
    expect(calls).toEqual(['pinned.egress.test']);
    expect(server.connections - before).toBe(1);

    // The server ends that connection: the next request needs a new one, resolved and checked again.
    await egress.request(target, get('/close'));
    const err = await egressFailure(egress.request(target, get('/after')), 'EGRESS_ADDRESS_REFUSED');
    expect(err.range).toBe('0.0.0.0/8');
    expect(calls).toEqual(['pinned.egress.test', 'pinned.egress.test']);
    expect(server.connections - before).toBe(1);
  });

  it('keeps the host name for TLS (SNI) while connecting to the pinned address', async () => {
    let servername: string | undefined;
    const tls = createTlsServer({
      SNICallback: (name, cb) => {
        servername = name;
        cb(new Error('no certificate in this test'));
      },
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    try {
      const port = (tls.address() as AddressInfo).port;
      const { lookup, calls } = fakeLookup({ 'secure.egress.test': [['127.0.0.1']] });
      await egressFailure(make(lookup).request({ origin: `https://secure.egress.test:${port}`, internal: true }, get()), 'EGRESS_CONNECT');
      await waitFor(() => servername !== undefined);
      expect(servername).toBe('secure.egress.test');
      expect(calls).toEqual(['secure.egress.test']);
    } finally {
      tls.close();
    }
  });
});

describe('egress origins', () => {
  it.each([
    ['ftp://files.example.com', 'only http: and https: origins are allowed (not ftp:)'],
    ['file:///etc/passwd', 'only http: and https: origins are allowed (not file:)'],
    ['https://api.example.com/v1', 'an egress origin is scheme://host[:port] only (https://api.example.com has more)'],
    ['https://user:pw@api.example.com', 'an egress origin is scheme://host[:port] only (https://api.example.com has more)'],
    ['not a url', 'the egress origin is not a URL'],
  ])('refuses %s', async (origin, message) => {
    const egress = make();
    const err = await egressFailure(egress.request({ origin, internal: true }, get()), 'EGRESS_ORIGIN_REFUSED');
    expect(err.message).toBe(message);
    expect(() => egress.dispatcher({ origin, internal: true })).toThrow(message);
  });

  it('shares one pool per target, and a pool refuses requests for another origin', async () => {
    const egress = make();
    const a = egress.dispatcher({ origin: server.origin, internal: true });
    expect(egress.dispatcher({ origin: `${server.origin}/`, internal: true })).toBe(a);
    expect(egress.dispatcher({ origin: server.origin, internal: false })).not.toBe(a);
    const res = await a.request({ method: 'GET', path: '/pool' });
    expect(await res.body.text()).toBe('hello /pool');
    await expect(a.request({ origin: 'http://other.example', method: 'GET', path: '/' })).rejects.toMatchObject({ code: 'EGRESS_ORIGIN_REFUSED' });
  });

  it('refuses a request path that does not start with "/" and a Host header', async () => {
    const egress = make();
    await egressFailure(egress.request({ origin: server.origin, internal: true }, get('evil.example/x')), 'EGRESS_ORIGIN_REFUSED');
    await egressFailure(egress.request({ origin: server.origin, internal: true }, { ...get(), headers: { Host: 'other.example' } }), 'EGRESS_ORIGIN_REFUSED');
  });
});
