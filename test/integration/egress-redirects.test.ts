import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Egress, type EgressRequest } from '../../src/egress/index.js';
import { egressFailure, fakeLookup, log, startServer, TIMEOUTS, type TestServer } from './egress-fixtures.js';

let server: TestServer;
let egress: Egress;
const target = () => ({ origin: server.origin, internal: true });
const req = (over: Partial<EgressRequest> = {}): EgressRequest => ({
  method: 'GET',
  path: '/',
  headers: {},
  timeouts: TIMEOUTS,
  maxBytes: 1 << 20,
  redirects: 'same-origin',
  ...over,
});

beforeAll(async () => {
  server = await startServer((r, res) => {
    const url = new URL(r.url, 'http://x');
    const to = url.searchParams.get('to');
    const status = Number(url.searchParams.get('status') ?? 302);
    if (url.pathname === '/redirect' && to) {
      if (url.searchParams.has('close')) res.setHeader('connection', 'close');
      res.writeHead(status, { location: to, 'content-type': 'text/plain' }).end('moved');
      return;
    }
    if (url.pathname === '/loop') return void res.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` }).end();
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.setHeader('X-Mixed-Case', 'yes');
    res.end(JSON.stringify({ method: r.method, url: r.url, body: r.body.toString(), type: r.headers['content-type'] ?? null, key: r.headers['x-api-key'] ?? null }));
  });
});
afterAll(() => server.close());
afterEach(async () => {
  await egress?.close();
});

describe('egress redirects', () => {
  it("'none' returns the redirect as it is, Location and body included", async () => {
    egress = new Egress({ log });
    const res = await egress.request(target(), req({ path: '/redirect?to=/final', redirects: 'none' }));
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/final');
    expect(res.body.toString()).toBe('moved');
    expect(res.url).toBe(`${server.origin}/redirect?to=/final`);
  });

  it("'same-origin' follows within the origin, keeping the credentials, and reports the final URL", async () => {
    egress = new Egress({ log });
    const res = await egress.request(target(), req({ path: '/redirect?to=/final%3Fq%3D1', headers: { 'X-Api-Key': 'k-123' } }));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ method: 'GET', url: '/final?q=1', key: 'k-123' });
    expect(res.url).toBe(`${server.origin}/final?q=1`);
  });

  it.each([
    ['another host', 'http://169.254.169.254/latest/meta-data/', 'http://169.254.169.254'],
    ['another port', 'http://127.0.0.1:1/x', 'http://127.0.0.1:1'],
    ['another scheme', 'https://127.0.0.1/x', 'https://127.0.0.1'],
  ])('refuses a redirect to %s without sending anything there', async (_what, to, shown) => {
    egress = new Egress({ log });
    const before = server.requests.length;
    const err = await egressFailure(
      egress.request(target(), req({ path: `/redirect?to=${encodeURIComponent(to)}`, headers: { authorization: 'Bearer s3cret' } })),
      'EGRESS_ORIGIN_REFUSED',
    );
    expect(err.message).toBe(`${server.origin}: a redirect to another origin (${shown}) was refused`);
    expect(err.message).not.toContain('meta-data');
    expect(server.requests.length).toBe(before + 1);
  });

  it('303 turns a POST into a GET without its body or body headers; 307 keeps method and body', async () => {
    egress = new Egress({ log });
    const post = { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } };
    const seeOther = await egress.request(target(), req({ ...post, path: '/redirect?status=303&to=/after' }));
    expect(JSON.parse(seeOther.body.toString())).toEqual({ method: 'GET', url: '/after', body: '', type: null, key: null });
    const temporary = await egress.request(target(), req({ ...post, path: '/redirect?status=307&to=/after' }));
    expect(JSON.parse(temporary.body.toString())).toEqual({ method: 'POST', url: '/after', body: '{"a":1}', type: 'application/json', key: null });
  });

  it('gives up after 5 redirects', async () => {
    egress = new Egress({ log });
    const before = server.requests.length;
    const err = await egressFailure(egress.request(target(), req({ path: '/loop' })), 'EGRESS_BAD_RESPONSE');
    expect(err.message).toContain('more than 5 redirects');
    expect(server.requests.length - before).toBe(6);
  });

  it('checks the address again when a redirect needs a new connection', async () => {
    const { lookup, calls } = fakeLookup({ 'rebind.egress.test': [['127.0.0.1'], ['0.0.0.0']] });
    egress = new Egress({ log, lookup });
    const err = await egressFailure(
      egress.request({ origin: `http://rebind.egress.test:${server.port}`, internal: true }, req({ path: '/redirect?close&to=/next' })),
      'EGRESS_ADDRESS_REFUSED',
    );
    expect(err.range).toBe('0.0.0.0/8');
    expect(calls).toHaveLength(2);
  });
});

describe('egress responses', () => {
  it('lower-cases header names, joins repeated ones and asks for compressed bodies unless told otherwise', async () => {
    egress = new Egress({ log });
    const before = server.requests.length;
    const res = await egress.request(target(), req({ path: '/h' }));
    expect(res.headers['x-mixed-case']).toBe('yes');
    expect(res.headers['set-cookie']).toBe('a=1, b=2');
    expect(server.requests[before]!.headers['accept-encoding']).toBe('gzip, deflate, br');
    await egress.request(target(), req({ path: '/h', headers: { 'Accept-Encoding': 'identity' } }));
    expect(server.requests[before + 1]!.headers['accept-encoding']).toBe('identity');
  });

  it('sends FormData as multipart with its own boundary', async () => {
    egress = new Egress({ log });
    const form = new FormData();
    form.append('name', 'warden');
    form.append('file', new Blob(['bytes']), 'a.txt');
    const res = await egress.request(target(), req({ method: 'POST', path: '/form', body: form, headers: { 'content-type': 'multipart/form-data' } }));
    const seen = JSON.parse(res.body.toString()) as { type: string; body: string };
    const boundary = /boundary=(.+)$/.exec(seen.type)?.[1];
    expect(boundary).toBeTruthy();
    expect(seen.body).toContain(`--${boundary}`);
    expect(seen.body).toContain('name="name"\r\n\r\nwarden');
    expect(seen.body).toContain('filename="a.txt"');
  });
});
