import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Egress, type EgressRequest } from '../../src/egress/index.js';
import { egressFailure, log, startServer, TIMEOUTS, waitFor, type TestServer } from './egress-fixtures.js';

const MB = 1024 * 1024;
const TEXT = 'warden egress '.repeat(2000);
// 64 MiB of zeros: about 64 KiB compressed.
const BOMB = gzipSync(Buffer.alloc(64 * MB));

let server: TestServer;
let egress: Egress;
const target = () => ({ origin: server.origin, internal: true });
const req = (path: string, over: Partial<EgressRequest> = {}): EgressRequest => ({
  method: 'GET',
  path,
  headers: {},
  timeouts: TIMEOUTS,
  maxBytes: MB,
  redirects: 'none',
  ...over,
});

beforeAll(async () => {
  server = await startServer((r, res) => {
    switch (r.url) {
      case '/silent':
        return; // never answers
      case '/drip': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const t = setInterval(() => res.write('.'), 20);
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/big': {
        // 2 MiB, then the response stays open: only a dropped connection ends it.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(2 * MB, 1));
        return;
      }
      case '/bomb':
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.write(BOMB);
        return;
      case '/gzip':
        return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(TEXT));
      case '/deflate':
        return void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync(TEXT));
      case '/raw-deflate':
        return void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateRawSync(TEXT));
      case '/br':
        return void res.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync(TEXT));
      case '/gzip-then-br':
        return void res.writeHead(200, { 'content-encoding': 'gzip, br' }).end(brotliCompressSync(gzipSync(TEXT)));
      case '/corrupt':
        return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(Buffer.from('not gzip at all'));
      case '/many-layers': {
        // Four gzip layers: one more than any real server sends; a long chain costs a decompressor each.
        let body = Buffer.from(TEXT);
        for (let i = 0; i < 4; i++) body = gzipSync(body);
        return void res.writeHead(200, { 'content-encoding': 'gzip, gzip, gzip, gzip' }).end(body);
      }
      case '/zstd':
        return void res.writeHead(200, { 'content-encoding': 'zstd' }).end('x');
      case '/empty-gzip':
        return void res.writeHead(200, { 'content-encoding': 'gzip' }).end();
      default:
        res.end('ok');
    }
  });
});
afterAll(() => server.close());
afterEach(async () => {
  await egress?.close();
});

describe('egress deadlines', () => {
  it('connect: a connection (name resolution included) that takes too long fails as a connect timeout', async () => {
    // Loopback only: the resolver never answers, so no packet is ever sent anywhere.
    egress = new Egress({ log, lookup: () => new Promise(() => {}) });
    const t0 = performance.now();
    const err = await egressFailure(
      egress.request({ origin: 'http://stuck.egress.test', internal: true }, req('/', { timeouts: { ...TIMEOUTS, connectMs: 200 } })),
      'EGRESS_TIMEOUT',
    );
    expect(err.phase).toBe('connect');
    expect(err.message).toBe('http://stuck.egress.test: no connection within 200 ms');
    // undici's connect timer, like its parser timers, has a resolution of about a second.
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a TLS handshake that fails (a server that does not speak TLS) is a connect failure, and the request was never written', async () => {
    egress = new Egress({ log });
    let written = false;
    const err = await egressFailure(
      egress.request({ origin: server.origin.replace('http:', 'https:'), internal: true }, req('/', { onWritten: () => void (written = true) })),
      'EGRESS_CONNECT',
    );
    expect(err.phase).toBe('connect');
    expect(err.message).toMatch(/the TLS handshake failed \((ERR_SSL_|EPROTO)/);
    expect(written).toBe(false);
  });

  it('a queued request ends at its total deadline, not when a connection frees up, and was never written', async () => {
    egress = new Egress({ log });
    const one = { ...target(), connections: 1 };
    const holding = egress.request(one, req('/silent', { timeouts: { ...TIMEOUTS, firstByteMs: 5_000, totalMs: 5_000 } })).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    let written = false;
    const t0 = performance.now();
    const err = await egressFailure(egress.request(one, req('/', { timeouts: { ...TIMEOUTS, totalMs: 300 }, onWritten: () => void (written = true) })), 'EGRESS_TIMEOUT');
    expect(err.phase).toBe('total');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(written).toBe(false);
    await egress.close();
    await holding;
  });

  it('first byte: a server that accepts the request but never answers', async () => {
    egress = new Egress({ log });
    const t0 = performance.now();
    const err = await egressFailure(egress.request(target(), req('/silent', { timeouts: { ...TIMEOUTS, firstByteMs: 200 } })), 'EGRESS_TIMEOUT');
    expect(err.phase).toBe('first-byte');
    // undici's parser timers have a resolution of about a second.
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('total: a body that keeps dripping is cut at the total deadline and its connection dropped', async () => {
    egress = new Egress({ log });
    const dropped = server.dropped;
    const t0 = performance.now();
    const err = await egressFailure(egress.request(target(), req('/drip', { timeouts: { ...TIMEOUTS, totalMs: 300 } })), 'EGRESS_TIMEOUT');
    expect(err.phase).toBe('total');
    expect(performance.now() - t0).toBeLessThan(1500);
    await waitFor(() => server.dropped > dropped);
  });

  it("the caller's abort rejects with the caller's reason", async () => {
    egress = new Egress({ log });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('caller gave up')), 50);
    await expect(egress.request(target(), req('/silent', { signal: ac.signal }))).rejects.toThrow('caller gave up');
  });
});

describe('egress byte cap', () => {
  it('a plain body past the cap fails at once and its connection is dropped', async () => {
    egress = new Egress({ log });
    const dropped = server.dropped;
    const err = await egressFailure(egress.request(target(), req('/big')), 'EGRESS_TOO_LARGE');
    expect(err.maxBytes).toBe(MB);
    expect(err.message).toBe(`${server.origin}: the response exceeds ${MB} bytes`);
    await waitFor(() => server.dropped > dropped);
  });

  it('a gzip bomb is capped after decompression, without inflating it in memory, and its connection is dropped', async () => {
    egress = new Egress({ log });
    const dropped = server.dropped;
    expect(BOMB.length).toBeLessThan(MB);
    const before = process.memoryUsage().arrayBuffers;
    const err = await egressFailure(egress.request(target(), req('/bomb')), 'EGRESS_TOO_LARGE');
    expect(err.maxBytes).toBe(MB);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MB);
    await waitFor(() => server.dropped > dropped);
  });

  it('a body of exactly the cap is accepted', async () => {
    egress = new Egress({ log });
    const res = await egress.request(target(), req('/gzip', { maxBytes: TEXT.length }));
    expect(res.body.length).toBe(TEXT.length);
    await egressFailure(egress.request(target(), req('/gzip', { maxBytes: TEXT.length - 1 })), 'EGRESS_TOO_LARGE');
  });
});

describe('egress decoding', () => {
  it.each(['/gzip', '/deflate', '/raw-deflate', '/br', '/gzip-then-br'])('decodes %s', async (path) => {
    egress = new Egress({ log });
    const res = await egress.request(target(), req(path));
    expect(res.body.toString()).toBe(TEXT);
  });

  it('refuses a chain of more than three content codings', async () => {
    egress = new Egress({ log });
    await expect(egress.request(target(), req('/many-layers'))).rejects.toMatchObject({ code: 'EGRESS_BAD_RESPONSE', message: expect.stringContaining('content codings') });
  });

  it('an empty encoded body is an empty body', async () => {
    egress = new Egress({ log });
    expect((await egress.request(target(), req('/empty-gzip'))).body.length).toBe(0);
    expect((await egress.request(target(), req('/gzip', { method: 'HEAD' }))).body.length).toBe(0);
  });

  it('a body that does not decode, or an unknown coding, is a bad response', async () => {
    egress = new Egress({ log });
    const corrupt = await egressFailure(egress.request(target(), req('/corrupt')), 'EGRESS_BAD_RESPONSE');
    expect(corrupt.message).toContain('could not be decoded (gzip)');
    const zstd = await egressFailure(egress.request(target(), req('/zstd')), 'EGRESS_BAD_RESPONSE');
    expect(zstd.message).toBe('unsupported content encoding "zstd"');
  });
});
