import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Client } from '@modelcontextprotocol/client';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitForTools } from '../helpers/mcp-client.js';
import { agentYaml, mcpWorkspace } from '../helpers/mcp-workspace.js';
import { createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';
import { freePort } from '../fixtures/mcp-upstreams/setup.js';

const SECRETS = {
  SHOP_HEADER_KEY: 'hdr-key-7f3a9c21',
  SHOP_QUERY_KEY: 'qry-key-55d0e8b4',
  SHOP_COOKIE_KEY: 'ck-key-1b2c3d4e',
  SHOP_BASIC_USER: 'svc-user',
  SHOP_BASIC_PASS: 'p@ss:w0rd/9',
  SHOP_BEARER: 'bearer-tok-9e8d7c6b',
  SHOP_CLIENT_ID: 'client-1',
  SHOP_CLIENT_SECRET: 'cl-secret-a1b2c3',
};

function spec(api: string): string {
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Shop', version: '1.0.0' },
    servers: [{ url: 'https://shop.example.test/v1' }],
    components: {
      securitySchemes: {
        keyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        keyQuery: { type: 'apiKey', in: 'query', name: 'api_key' },
        keyCookie: { type: 'apiKey', in: 'cookie', name: 'shop_session' },
        basicAuth: { type: 'http', scheme: 'basic' },
        bearerAuth: { type: 'http', scheme: 'bearer' },
        oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${api}/oauth/token`, scopes: { 'items:read': 'read' } } } },
      },
      schemas: {
        Owner: { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string', nullable: true } } },
        NewItem: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, price: { type: 'number', minimum: 0 }, owner: { $ref: '#/components/schemas/Owner' }, id: { type: 'integer', readOnly: true } },
        },
      },
    },
    paths: {
      '/items/{itemId}': {
        parameters: [{ name: 'itemId', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          operationId: 'getItem',
          summary: 'Get one item',
          parameters: [
            { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
            { name: 'filter', in: 'query', style: 'deepObject', explode: true, schema: { type: 'object', properties: { color: { type: 'string' }, size: { type: 'string' } } } },
            { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
            { name: 'pref', in: 'cookie', schema: { type: 'string' } },
          ],
          responses: { 200: { description: 'ok' } },
        },
        delete: { operationId: 'deleteItem', responses: { 204: { description: 'gone' } } },
      },
      '/items': { post: { operationId: 'createItem', requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewItem' } } } }, responses: { 201: { description: 'made' } } } },
      '/forms/login': {
        post: {
          operationId: 'submitForm',
          requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { user: { type: 'string' }, remember: { type: 'boolean' }, meta: { type: 'object', properties: { a: { type: 'string' } } } } }, encoding: { meta: { style: 'deepObject', explode: true } } } } },
          responses: { 200: { description: 'ok' } },
        },
      },
      '/files': {
        post: {
          operationId: 'uploadFile',
          requestBody: { content: { 'multipart/form-data': { schema: { type: 'object', properties: { note: { type: 'string' }, file: { type: 'string', format: 'binary' } } } } } },
          responses: { 200: { description: 'ok' } },
        },
      },
      '/secure/header': { get: { operationId: 'secureHeader', security: [{ keyHeader: [] }], responses: { 200: { description: 'ok' } } } },
      '/secure/query': { get: { operationId: 'secureQuery', security: [{ keyQuery: [] }], responses: { 200: { description: 'ok' } } } },
      '/secure/cookie': { get: { operationId: 'secureCookie', security: [{ keyCookie: [] }], responses: { 200: { description: 'ok' } } } },
      '/secure/basic': { get: { operationId: 'secureBasic', security: [{ basicAuth: [] }], responses: { 200: { description: 'ok' } } } },
      '/secure/bearer': { get: { operationId: 'secureBearer', security: [{ bearerAuth: [] }], responses: { 200: { description: 'ok' } } } },
      '/secure/oauth': { get: { operationId: 'secureOauth', security: [{ oauth: ['items:read'] }], responses: { 200: { description: 'ok' } } } },
      '/echo': { get: { operationId: 'echoAuth', security: [{ bearerAuth: [] }], responses: { 200: { description: 'ok' } } } },
      '/status/{code}': { get: { operationId: 'status', parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'integer' } }], responses: { default: { description: 'any' } } } },
      '/slow': { get: { operationId: 'slow', responses: { 200: { description: 'ok' } } } },
      '/big': { get: { operationId: 'big', responses: { 200: { description: 'ok' } } } },
      '/gzip': { get: { operationId: 'gzipped', responses: { 200: { description: 'ok' } } } },
      '/redirect': { get: { operationId: 'redirect', responses: { 302: { description: 'moved' } } } },
    },
  });
}

function sidecar(api: string): string {
  return [
    'namespace: shop',
    `baseUrl: ${api}/v1`,
    'internal: true',
    'allowHttp: true',
    'maxResponseBytes: 65536',
    'timeouts: { firstByteMs: 700, totalMs: 1500 }',
    'credentials:',
    '  schemes:',
    '    keyHeader: { type: apiKey, value: { env: SHOP_HEADER_KEY } }',
    '    keyQuery: { type: apiKey, value: { env: SHOP_QUERY_KEY } }',
    '    keyCookie: { type: apiKey, value: { env: SHOP_COOKIE_KEY } }',
    '    basicAuth: { type: basic, username: { env: SHOP_BASIC_USER }, password: { env: SHOP_BASIC_PASS } }',
    '    bearerAuth: { type: bearer, token: { env: SHOP_BEARER } }',
    '    oauth: { type: clientCredentials, clientId: { env: SHOP_CLIENT_ID }, clientSecret: { env: SHOP_CLIENT_SECRET } }',
    '',
  ].join('\n');
}

type ToolResult = { content: Array<{ type: string; text?: string; data?: string; mimeType?: string }>; structuredContent?: Record<string, unknown>; isError?: boolean };
const textOf = (r: ToolResult) => r.content.map((c) => c.text ?? '').join('\n');

describe('OpenAPI tools through the MCP endpoint (real gateway, real HTTP API)', () => {
  let api: RecordingApi;
  let ws: Workspace;
  let gw: RunningGateway;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name: `shop__${name}`, arguments: args })) as unknown as ToolResult;

  beforeAll(async () => {
    api = await startRecordingApi();
    api.route('/v1/status/', (req, res) => {
      const code = Number(req.path.split('/').pop());
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `status ${code}`, detail: 'x'.repeat(5000) }));
    });
    api.route('/v1/slow', (_req, res) => {
      setTimeout(() => {
        if (!res.destroyed) res.end('{}');
      }, 3000);
    });
    api.route('/v1/big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // 1 MB, well past the 64 KiB cap: the gateway must stop reading.
      res.end(JSON.stringify({ blob: 'z'.repeat(1024 * 1024) }));
    });
    api.route('/v1/gzip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ compressed: true })));
    });
    api.route('/v1/redirect', (_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
      res.end();
    });
    api.route('/v1/echo', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ youSent: req.headers.authorization, again: `token=${SECRETS.SHOP_BEARER}` }));
    });
    ws = mcpWorkspace({ upstreams: [], agents: [{ id: 'buyer', tools: { allow: ['shop__*'], riskClasses: { allow: ['read-only', 'write', 'destructive'] } } }] });
    writeFileSync(
      join(ws.catalogDir, 'metered.yaml'),
      `${agentYaml({ id: 'metered', tools: { allow: ['shop__*', 'dead__*'] } })}budgets: [{ name: calls, channel: tools, window: day, limits: { calls: 1000 } }]\n`,
    );
    const dir = join(ws.dir, 'openapi-imports');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'shop.json'), spec(api.url));
    writeFileSync(join(dir, 'shop.warden.yaml'), sidecar(api.url));
    // An API nobody listens for: its calls never reach it.
    const deadPort = await freePort();
    writeFileSync(join(dir, 'dead.json'), JSON.stringify({ openapi: '3.0.3', info: { title: 'Dead', version: '1' }, paths: { '/ping': { get: { operationId: 'ping', responses: { 200: { description: 'ok' } } } } } }));
    writeFileSync(join(dir, 'dead.warden.yaml'), `namespace: dead\nbaseUrl: http://127.0.0.1:${deadPort}\ninternal: true\nallowHttp: true\n`);
    gw = await startGateway(ws, SECRETS);
    const { key } = await createKey(ws, 'buyer');
    client = await connectClient(gw.url, key, 'modern');
    await waitForTools(client, (names) => names.includes('shop__getItem'));
  });

  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    if (process.env.SHOW_GATEWAY_ERRORS) for (const l of gw?.logs ?? []) if (/"level":(50|40)/.test(l)) console.error(l.slice(0, 1500));
    await api?.close();
    ws?.cleanup();
  });

  it('lists one tool per operation with an object input schema, method-derived annotations and no credential parameters', async () => {
    const tools = (await client.listTools()).tools;
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('shop__getItem')?.inputSchema).toMatchObject({ type: 'object', required: ['itemId'] });
    expect(Object.keys(byName.get('shop__getItem')!.inputSchema.properties ?? {}).sort()).toEqual(['X-Trace', 'filter', 'itemId', 'pref', 'tags']);
    expect(byName.get('shop__getItem')?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.get('shop__deleteItem')?.annotations).toMatchObject({ destructiveHint: true, idempotentHint: true });
    expect(byName.get('shop__createItem')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(Object.keys(byName.get('shop__createItem')!.inputSchema.properties ?? {})).not.toContain('id');
    for (const t of tools) {
      expect(t.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(JSON.stringify(t.inputSchema)).not.toMatch(/X-Api-Key|api_key|shop_session/);
      expect(t.outputSchema).toBeUndefined();
    }
  });

  it('sends path, query (form and deepObject), header and cookie parameters exactly as the spec styles them', async () => {
    const r = await call('getItem', { itemId: 'a b/c', tags: ['x', 'y&z'], filter: { color: 'red', size: 'L' }, 'X-Trace': 't-1', pref: 'dark' });
    expect(r.isError).toBeFalsy();
    const req = api.last();
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/v1/items/a%20b%2Fc');
    expect(req.query).toBe('tags=x&tags=y%26z&filter[color]=red&filter[size]=L'.replace(/\[/g, '%5B').replace(/\]/g, '%5D'));
    expect(req.headers['x-trace']).toBe('t-1');
    expect(req.headers.cookie).toBe('pref=dark');
  });

  it('sends JSON bodies with the flattened arguments reassembled', async () => {
    const r = await call('createItem', { name: 'lamp', price: 12.5, owner: { name: 'ann', email: null } });
    expect(r.isError).toBeFalsy();
    const req = api.last();
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req.body.toString())).toEqual({ name: 'lamp', price: 12.5, owner: { name: 'ann', email: null } });
  });

  it('sends form-urlencoded bodies with deepObject encoding', async () => {
    await call('submitForm', { user: 'ann', remember: true, meta: { a: '1&2' } });
    const req = api.last();
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.body.toString()).toBe('user=ann&remember=true&meta%5Ba%5D=1%262');
  });

  it('sends multipart bodies with a file part decoded from base64', async () => {
    await call('uploadFile', { note: 'hi', file: Buffer.from('PNG\x00bytes').toString('base64') });
    const req = api.last();
    expect(req.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const body = req.body.toString('latin1');
    expect(body).toContain('name="note"\r\n\r\nhi\r\n');
    expect(body).toMatch(/name="file"; filename="[^"]*"\r\nContent-Type: application\/octet-stream\r\n\r\nPNG\x00bytes\r\n/);
  });

  it('injects each kind of credential the operation\'s security asks for, and nothing else', async () => {
    await call('secureHeader', {});
    expect(api.last().headers['x-api-key']).toBe(SECRETS.SHOP_HEADER_KEY);
    expect(api.last().headers.authorization).toBeUndefined();
    await call('secureQuery', {});
    expect(api.last().query).toBe(`api_key=${SECRETS.SHOP_QUERY_KEY}`);
    await call('secureCookie', {});
    expect(api.last().headers.cookie).toBe(`shop_session=${SECRETS.SHOP_COOKIE_KEY}`);
    await call('secureBasic', {});
    expect(api.last().headers.authorization).toBe(`Basic ${Buffer.from(`${SECRETS.SHOP_BASIC_USER}:${SECRETS.SHOP_BASIC_PASS}`).toString('base64')}`);
    await call('secureBearer', {});
    expect(api.last().headers.authorization).toBe(`Bearer ${SECRETS.SHOP_BEARER}`);
    // The agent's own key never goes upstream.
    for (const r of api.requests) expect(String(r.headers.authorization ?? '')).not.toMatch(/^Bearer wdn_/);
  });

  it('fetches an OAuth client-credentials token once, reuses it, and fetches a new one after a 401', async () => {
    let refuseNext = false;
    api.route('/v1/secure/oauth', (req, res) => {
      const ok = !refuseNext && req.headers.authorization === `Bearer ${api.tokens.issued.at(-1)}`;
      refuseNext = false;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok }));
    });
    expect((await call('secureOauth', {})).isError).toBeFalsy();
    expect((await call('secureOauth', {})).isError).toBeFalsy();
    expect(api.tokens.issued).toHaveLength(1);
    const grant = api.tokens.requests[0]!;
    expect(grant.body.toString()).toContain('grant_type=client_credentials');
    expect(grant.headers.authorization).toBe(`Basic ${Buffer.from(`${SECRETS.SHOP_CLIENT_ID}:${SECRETS.SHOP_CLIENT_SECRET}`).toString('base64')}`);
    // The API refuses the cached token once: the gateway gets a new one and retries the call.
    refuseNext = true;
    const r = await call('secureOauth', {});
    expect(r.isError).toBeFalsy();
    expect(api.tokens.issued).toHaveLength(2);
    expect(api.last().headers.authorization).toBe(`Bearer ${api.tokens.issued[1]}`);
  });

  it('turns error statuses into error results with the status and a trimmed body', async () => {
    const r = await call('status', { code: 404 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^HTTP 404 Not Found: \{"error":"status 404"/);
    expect(textOf(r).length).toBeLessThan(2500);
    expect((await call('status', { code: 503 })).isError).toBe(true);
  });

  it('redacts credentials the API echoes back, in text and structured content', async () => {
    const r = await call('echoAuth', {});
    expect(r.isError).toBeFalsy();
    expect(JSON.stringify(r)).not.toContain(SECRETS.SHOP_BEARER);
    // `Bearer <token>` is itself one of the redacted forms.
    expect(r.structuredContent).toEqual({ youSent: '[REDACTED]', again: 'token=[REDACTED]' });
  });

  it('ends a call that gets no answer in time with an error result, and keeps serving', async () => {
    const t0 = Date.now();
    const r = await call('slow', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/did not answer in time/);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect((await call('status', { code: 200 })).isError).toBeFalsy();
  });

  it('records a call its client cancelled while the API worked as CLIENT_CLOSED_REQUEST, a call the API received', async () => {
    const ac = new AbortController();
    const pending = client.callTool({ name: 'shop__slow', arguments: {} }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    await expect(pending).rejects.toThrow();
    const lastSlow = () => {
      const db = new Database(join(ws.dataDir, 'audit.db'), { readonly: true });
      try {
        return db.prepare("SELECT code, status, details FROM audit_events WHERE target = 'shop__slow' ORDER BY seq DESC LIMIT 1").get() as { code: string | null; status: number; details: string } | undefined;
      } finally {
        db.close();
      }
    };
    await expect.poll(() => lastSlow()?.code, { timeout: 5000 }).toBe('CLIENT_CLOSED_REQUEST');
    // Recorded as forwarded (the outcome the API's request led to), which is what budgets charge.
    expect(JSON.parse(lastSlow()!.details)).toMatchObject({ outcome: 'client-gone', api: 'shop' });
    expect(gw.logs.join('\n')).not.toMatch(/internal error in policy chain/);
  });

  it('charges a budget for a call the API received, not for one refused before any request or one that never reached the API', async () => {
    const { key } = await createKey(ws, 'metered');
    const metered = await connectClient(gw.url, key, 'modern');
    const spent = async () => {
      const res = await fetch(`${gw.url}/admin/budgets?agent=metered`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
      return ((await res.json()) as { budgets: Array<{ spent: { calls: number } }> }).budgets[0]!.spent.calls;
    };
    try {
      const refused = (await metered.callTool({ name: 'shop__getItem', arguments: { itemId: 42 } })) as unknown as ToolResult;
      expect(textOf(refused)).toMatch(/the API was not called/);
      expect(await spent()).toBe(0);
      const unreachable = (await metered.callTool({ name: 'dead__ping', arguments: {} })) as unknown as ToolResult;
      expect(unreachable.isError).toBe(true);
      expect(textOf(unreachable)).toMatch(/could not be reached/);
      expect(await spent()).toBe(0);
      expect(((await metered.callTool({ name: 'shop__status', arguments: { code: 200 } })) as unknown as ToolResult).isError).toBeFalsy();
      expect(await spent()).toBe(1);
    } finally {
      await metered.close();
    }
  });

  it('stops reading a response past the byte cap, and decompresses gzip within it', async () => {
    const big = await call('big', {});
    expect(big.isError).toBe(true);
    expect(textOf(big)).toMatch(/larger than 65536 bytes/);
    const gz = await call('gzipped', {});
    expect(gz.structuredContent).toEqual({ compressed: true });
  });

  it('does not follow redirects', async () => {
    const r = await call('redirect', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/HTTP 302.*redirect/);
    expect(api.requests.filter((q) => q.path.includes('meta-data'))).toHaveLength(0);
  });

  it('refuses hostile arguments before any request: dot segments, wrong types, unknown and __proto__ keys, CRLF headers', async () => {
    const before = api.requests.length;
    // Stricter than encoding alone: a value that decodes (once or more) to a dot segment is refused too.
    for (const itemId of ['..', '.', '%2e%2E', '.%2e', '../../admin', '..%2F..%2Fadmin']) {
      const r = await call('getItem', { itemId });
      expect(r.isError, itemId).toBe(true);
    }
    const wrong = await call('createItem', { name: 7, price: -1, extra: true });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toMatch(/name/);
    expect(textOf(wrong)).toMatch(/price/);
    expect(textOf(wrong)).toMatch(/extra/);
    expect((await call('getItem', { itemId: 'a', 'X-Trace': 'x\r\nInjected: 1' })).isError).toBe(true);
    expect((await client.callTool({ name: 'shop__createItem', arguments: JSON.parse('{"name":"n","__proto__":{"admin":true}}') })).isError).toBe(true);
    expect(api.requests.length).toBe(before);
    // An encoded slash stays inside the one segment.
    await call('getItem', { itemId: 'a%2Fb' });
    expect(api.last().path).toBe('/v1/items/a%252Fb');
  });
});
