import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, makeWorkspace, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';

/** Sends raw bytes and returns the status line and body the gateway answered. */
function raw(port: number, request: string | Buffer, opts: { keepWriting?: number } = {}): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    sock.on('connect', () => {
      sock.write(request);
      if (opts.keepWriting) {
        // Keep streaming body bytes: the gateway must answer (and close) without reading it all.
        let sent = 0;
        timer = setInterval(() => {
          if (sent >= opts.keepWriting! || sock.destroyed) return clearInterval(timer);
          // Properly framed chunks, so only the size limit can stop them.
          sock.write(`10000\r\n${'a'.repeat(64 * 1024)}\r\n`, () => undefined);
          sent += 64 * 1024;
        }, 1);
      }
    });
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (timer) clearInterval(timer);
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      if (!status) return reject(new Error(`no response: ${JSON.stringify(data.slice(0, 200))}`));
      resolve({ status, headers: head, body });
    });
    setTimeout(() => sock.destroy(), 10_000);
  });
}

describe('bad input gets a typed error and nothing breaks (real gateway process)', () => {
  let ws: Workspace;
  let gw: RunningGateway;
  let adminAuth: string;

  beforeAll(async () => {
    ws = makeWorkspace({ config: 'limits: { maxBodyBytes: 4096 }\n' });
    gw = await startGateway(ws);
    adminAuth = `Bearer ${gw.adminToken}`;
  });
  afterAll(async () => {
    await gw?.stop();
    ws?.cleanup();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, { method: 'POST', body, headers: { authorization: adminAuth, 'content-type': 'application/json', ...headers } });
  const code = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

  it('answers malformed JSON with 400 PARSE_ERROR', async () => {
    const r = await post('/admin/agents/support-triage/keys', '{"label": ');
    expect(r.status).toBe(400);
    expect(await code(r)).toBe('PARSE_ERROR');
  });

  it('answers a body of the wrong shape with 400 INVALID_PARAMS listing the problems', async () => {
    const r = await post('/admin/agents/support-triage/keys', JSON.stringify({ label: 5, extra: true }));
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; details: { issues: unknown[] } } };
    expect(body.error.code).toBe('INVALID_PARAMS');
    expect(body.error.details.issues.length).toBeGreaterThanOrEqual(2);
  });

  it('answers too-deep JSON nesting with 400 before parsing it', async () => {
    const r = await post('/admin/agents/support-triage/keys', '['.repeat(1000) + ']'.repeat(1000));
    expect(r.status).toBe(400);
    expect(await code(r)).toBe('BAD_REQUEST');
  });

  it('refuses duplicate JSON keys and invalid UTF-8 instead of guessing', async () => {
    const dup = await post('/admin/agents/code-reviewer/suspend', '{"reason":"visible","reason":"hidden"}');
    expect(dup.status).toBe(400);
    expect(await code(dup)).toBe('BAD_REQUEST');
    const bad = await fetch(`${gw.url}/admin/agents/support-triage/keys`, {
      method: 'POST',
      body: Buffer.from([0x7b, 0x22, 0x6c, 0x61, 0x62, 0x65, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      headers: { authorization: adminAuth, 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(await code(bad)).toBe('PARSE_ERROR');
  });

  it('answers a wrong content type with 415', async () => {
    const r = await post('/admin/agents/support-triage/keys', 'label=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(415);
    expect(await code(r)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an oversized body with a truthful Content-Length with 413 at once', async () => {
    const big = JSON.stringify({ label: 'x'.repeat(10_000) });
    const r = await post('/admin/agents/support-triage/keys', big);
    expect(r.status).toBe(413);
    expect(await code(r)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers a chunked body that streams past the limit with 413, counting bytes read', async () => {
    const head =
      `POST /admin/agents/support-triage/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${adminAuth}\r\n` +
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const r = await raw(gw.port, head + chunk('{"label":"') + chunk('a'.repeat(3000)) + chunk('a'.repeat(3000)), { keepWriting: 4 * 1024 * 1024 });
    expect(r.status).toBe(413);
    expect(r.body).toContain('PAYLOAD_TOO_LARGE');
  });

  it('never trusts a small Content-Length: extra bytes are not read as body', async () => {
    const body = JSON.stringify({ label: 'ok' });
    const req =
      `POST /admin/agents/support-triage/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${adminAuth}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: 5\r\n\r\n${body}`;
    const r = await raw(gw.port, req);
    // Only 5 bytes count as the body: `{"lab` is not JSON.
    expect(r.status).toBe(400);
  });

  it('authenticates before reading the body: an anonymous client gets 401, not a parse of its body', async () => {
    for (const body of ['{"label": ', JSON.stringify({ label: 'x'.repeat(10_000) })]) {
      const r = await fetch(`${gw.url}/admin/agents/support-triage/keys`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(401);
      expect(await code(r)).toBe('UNAUTHENTICATED');
    }
  });

  it('answers unknown routes with 404 and wrong methods with 405 + Allow, in the one error shape', async () => {
    const nf = await fetch(`${gw.url}/nope`);
    expect(nf.status).toBe(404);
    expect(await code(nf)).toBe('NOT_FOUND');
    const m = await fetch(`${gw.url}/v1/whoami`, { method: 'DELETE' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toContain('GET');
    expect(await code(m)).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers other methods on the MCP paths with 405 + Allow, as a JSON-RPC error', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/mcp', 'GET, POST, DELETE'],
      ['PATCH', '/mcp', 'GET, POST, DELETE'],
      ['OPTIONS', '/mcp', 'GET, POST, DELETE'],
      ['DELETE', '/sse', 'GET'],
      ['OPTIONS', '/sse', 'GET'],
      ['PUT', '/messages', 'POST'],
      ['GET', '/messages', 'POST'],
    ] as const) {
      const res = await fetch(`${gw.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      const body = (await res.json()) as { jsonrpc: string; error: { data: { code: string } } };
      expect(body.jsonrpc).toBe('2.0');
      expect(body.error.data.code).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('stops a revoked key on a keep-alive connection between two requests', async () => {
    const { key, keyId } = await createKey(ws, 'support-triage');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) =>
        http.get(`${gw.url}/v1/whoami`, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject),
      );
    expect(await get()).toBe(200);
    const rev = await fetch(`${gw.url}/admin/keys/${keyId}`, { method: 'DELETE', headers: { authorization: adminAuth } });
    expect(rev.status).toBe(200);
    expect(await get()).toBe(401);
    agent.destroy();
  });

  it('answers HTTP the parser refuses (smuggling shapes) in the one JSON shape and closes', async () => {
    const cases = [
      'POST /v1/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 12\r\n\r\n{}',
      'POST /v1/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ];
    for (const c of cases) {
      const r = await raw(gw.port, c);
      expect(r.status).toBe(400);
      expect(r.body).toContain('"code":"BAD_REQUEST"');
      expect(r.headers.toLowerCase()).toContain('connection: close');
    }
    const big = await raw(gw.port, `GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(big.body).toContain('HEADERS_TOO_LARGE');
  });

  it('answers CONNECT (a proxy tunnel) with 405 in the one JSON shape instead of dropping the connection', async () => {
    const r = await raw(gw.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(r.status).toBe(405);
    expect(r.headers.toLowerCase()).toContain('allow: get, post, delete');
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('survives CONNECT requests whose client resets the connection', async () => {
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => {
        const sock = net.connect(gw.port, '127.0.0.1', () => {
          sock.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
          // Half of them reset at once, half once the answer arrives.
          if (i % 2 === 0) setImmediate(() => sock.resetAndDestroy());
        });
        sock.on('data', () => sock.resetAndDestroy());
        sock.on('error', () => undefined);
        sock.on('close', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(gw.proc.exitCode).toBeNull();
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it('refuses a compressed body or one in another charset with 415 instead of misreading it', async () => {
    for (const headers of [{ 'content-encoding': 'gzip' }, { 'content-type': 'application/json; charset=latin1' }] as Array<Record<string, string>>) {
      const res = await fetch(`${gw.url}/admin/agents/support-triage/keys`, {
        method: 'POST',
        headers: { authorization: adminAuth, 'content-type': 'application/json', ...headers },
        body: '{"label":"x"}',
      });
      expect(res.status).toBe(415);
      expect(await code(res)).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('refuses two different credentials instead of silently picking one', async () => {
    const { key } = await createKey(ws, 'support-triage');
    const r = await fetch(`${gw.url}/admin/agents`, { headers: { authorization: adminAuth, 'x-api-key': key } });
    expect(r.status).toBe(400);
    expect(await code(r)).toBe('BAD_REQUEST');
    const same = await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}`, 'x-api-key': key } });
    expect(same.status).toBe(200);
  });

  it('routes exact paths only: case and trailing-slash variants are not served', async () => {
    for (const p of ['/ADMIN/agents', '/admin/agents/', '/V1/WHOAMI']) {
      const r = await fetch(`${gw.url}${p}`, { headers: { authorization: adminAuth } });
      expect(r.status, p).toBe(404);
    }
  });

  it('answers an audit query time that is not strict ISO 8601 or epoch ms with 400 INVALID_PARAMS', async () => {
    // `1 2` is what Date.parse reads as 2001-01-02; a time without a zone would be the host's local time.
    for (const q of ['since=1%202', 'until=2024-01-01T00:00:00', 'since=2030-02-31']) {
      const r = await fetch(`${gw.url}/admin/audit?${q}`, { headers: { authorization: adminAuth } });
      expect(r.status, q).toBe(400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code, q).toBe('INVALID_PARAMS');
      expect(body.error.message, q).toMatch(/^Invalid query parameter (since|until): expected ISO 8601 with Z/);
    }
    expect((await fetch(`${gw.url}/admin/audit?since=2024-05-01&limit=1`, { headers: { authorization: adminAuth } })).status).toBe(200);
  });

  it('is still healthy and ready after all of the above', async () => {
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  });
});
