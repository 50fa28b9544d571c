/**
 * OpenAPI imports against the threat model (issue #4; threat model B and E5/E6), end to end:
 * a real gateway calling a real HTTP API that echoes every credential it is sent, in bodies
 * of successes and failures and from its token endpoint. No secret value, in any encoding,
 * may reach an agent, the audit trail or a log line. Also: the body limit and argument
 * limits, opt-in output schemas, loopback refused unless the import is internal, and an
 * agent restricted to some of an import's tools.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createKey, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { connectClient } from '../helpers/mcp-client.js';
import { mcpWorkspace } from '../helpers/mcp-workspace.js';
import { startRecordingApi, type RecordingApi, type Route } from '../helpers/recording-api.js';
import { importStatus, jsonAnswer, openApiSpec, type Operation } from '../fixtures/openapi/e2e-helpers.js';

/** Each has characters that percent-, form- and JSON-encode differently from themselves. */
const SECRETS = {
  SAFE_HEADER_KEY: 'hk-5f1c9a7e3b/h',
  SAFE_QUERY_KEY: 'qk/8d+2e=4a&zz',
  SAFE_COOKIE_KEY: 'ck-7a2b9c4d5e',
  SAFE_BASIC_USER: 'svc-9e7d5c3b',
  SAFE_BASIC_PASS: 'pw:3x/7y+z?q',
  SAFE_BEARER: 'bt-1a2b3c4d5e6f',
  SAFE_CLIENT_ID: 'cid-6b5a4f3e',
  SAFE_CLIENT_SECRET: 'cs-0f9e/8d7c+=',
  SAFE_CLIENT2_ID: 'cid2-aa11bb22',
  SAFE_CLIENT2_SECRET: 'cs2-cc33/dd44+ee=',
};

const form = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every form in which a secret could be written out: as is, percent-, form-, JSON- and base64-encoded. */
function secretForms(skip: readonly string[]): Map<string, string> {
  const values = Object.entries(SECRETS).filter(([name]) => !skip.includes(name));
  for (const [id, secret] of [['SAFE_BASIC_USER', 'SAFE_BASIC_PASS'], ['SAFE_CLIENT_ID', 'SAFE_CLIENT_SECRET'], ['SAFE_CLIENT2_ID', 'SAFE_CLIENT2_SECRET']] as const) {
    values.push([`${id}:${secret} pair`, `${SECRETS[id]}:${SECRETS[secret]}`]);
    // OAuth client authentication form-encodes both before joining them (RFC 6749 2.3.1).
    values.push([`${id}:${secret} form pair`, `${form(SECRETS[id])}:${form(SECRETS[secret])}`]);
  }
  api.tokens.issued.forEach((t, i) => values.push([`oauth token ${i + 1}`, t]));
  const forms = new Map<string, string>();
  for (const [label, v] of values) {
    const pct = encodeURIComponent(v);
    const candidates: Array<[string, string]> = [
      ['raw', v],
      ['percent', pct],
      ['percent lower', pct.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
      ['form', form(v)],
      ['json \\/', JSON.stringify(v).slice(1, -1).replaceAll('/', '\\/')],
      ['base64', b64(v)],
      ['base64url', Buffer.from(v).toString('base64url')],
    ];
    // Pairs are only secret whole (and base64 encoded); their raw parts are listed on their own.
    for (const [how, f] of label.includes('pair') ? candidates.filter(([h]) => h.startsWith('base64')) : candidates) forms.set(f, `${label} (${how})`);
  }
  return forms;
}

/** Secrets an agent may see echoed back: none (the basic user name is a configured secret too). */
const AGENTS_MAY_SEE: string[] = [];

function findings(where: string, text: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const [f, what] of secretForms(skip)) if (text.includes(f)) out.push(`${where}: ${what}`);
  return out;
}

/** Answers with the status at the end of the path and everything the request carried, decoded too. */
const echo: Route = (req, res) => {
  const code = Number(req.path.split('/').pop());
  const auth = String(req.headers.authorization ?? '');
  const body = {
    error: code >= 400 ? `refused request ${req.url}` : undefined,
    url: req.url,
    query: decodeURIComponent(req.query),
    headers: req.headers,
    decodedBasic: auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : null,
  };
  if (code === 502) {
    // Not JSON: a proxy's text page quoting the request.
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(`Bad gateway for ${req.url}\nauthorization=${auth}\nx-api-key=${String(req.headers['x-api-key'])}\ncookie=${String(req.headers.cookie)}\n${body.query}\n${body.decodedBasic}`);
    return;
  }
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** A token endpoint that refuses the client and quotes what it was sent. */
const refuseToken: Route = (req, res) => {
  const auth = String(req.headers.authorization ?? '');
  const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'invalid_client', error_description: `unknown client; you sent ${auth} (${decoded}) and ${req.body.toString()} = ${decodeURIComponent(req.body.toString())}` }));
};

const keys = [{ keyHeader: [], keyQuery: [], keyCookie: [] }];
const codeParam = ['code'];
const SHOP_OPS: Operation[] = [
  { id: 'getThings', method: 'get', path: '/things', summary: 'List things' },
  { id: 'getThing', method: 'get', path: '/things/{id}', summary: 'Get a thing', pathParams: ['id'] },
  {
    id: 'createThing',
    method: 'post',
    path: '/things',
    summary: 'Create a thing',
    more: { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 10 } } } } } } },
  },
  { id: 'echoKeys', method: 'get', path: '/keys/{code}', summary: 'Echo, with API keys', pathParams: codeParam, more: { security: keys } },
  { id: 'echoBasic', method: 'get', path: '/basic/{code}', summary: 'Echo, with basic auth', pathParams: codeParam, more: { security: [{ basicAuth: [] }] } },
  { id: 'echoBearer', method: 'get', path: '/bearer/{code}', summary: 'Echo, with a bearer token', pathParams: codeParam, more: { security: [{ bearerAuth: [] }] } },
  { id: 'echoOauth', method: 'get', path: '/oauth/{code}', summary: 'Echo, with an OAuth token', pathParams: codeParam, more: { security: [{ oauth: [] }] } },
  { id: 'slowKeys', method: 'get', path: '/slow', summary: 'Never answers in time', more: { security: keys } },
  { id: 'refusedBasic', method: 'get', path: '/refused-basic', summary: 'Token refused (basic client auth)', more: { security: [{ refusedBasic: [] }] } },
  { id: 'refusedBody', method: 'get', path: '/refused-body', summary: 'Token refused (client auth in the body)', more: { security: [{ refusedBody: [] }] } },
];

const PROFILE = { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } };
const json200 = (schema: unknown) => ({ responses: { 200: { description: 'ok', content: { 'application/json': { schema } } } } });
const TYPED_OPS: Operation[] = [
  { id: 'getProfile', method: 'get', path: '/profile', summary: 'A profile', more: json200(PROFILE) },
  { id: 'getBadProfile', method: 'get', path: '/bad-profile', summary: 'A profile, wrongly typed by the API', more: json200(PROFILE) },
  { id: 'getTags', method: 'get', path: '/tags', summary: 'Tags', more: json200({ type: 'array', items: { type: 'string' } }) },
];

type ToolResult = { content: Array<{ type: string; text?: string }>; structuredContent?: Record<string, unknown>; isError?: boolean };
const textOf = (r: ToolResult) => r.content.map((c) => c.text ?? '').join('\n');

let api: RecordingApi;
let ws: Workspace;
let gw: RunningGateway;
let buyer: Client;
let browser: Client;
let buyerKey: string;
/** Everything an agent was handed, results and errors alike. */
const seenByAgents: unknown[] = [];

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  try {
    const r = (await client.callTool({ name, arguments: args })) as unknown as ToolResult;
    seenByAgents.push(r);
    return r;
  } catch (err) {
    seenByAgents.push({ error: String(err), data: (err as { data?: unknown }).data });
    throw err;
  }
}

/** A raw tools/call POST (the SDK client is no help for bodies the gateway refuses outright). */
function rawToolCall(key: string, name: string, args: Record<string, unknown>): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name,
      arguments: args,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/mcp', gw.url),
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(body)),
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': name,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    // The gateway may answer 413 and close before reading it all.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: -1, body: err.code }) : reject(err)));
    req.end(body);
  });
}

beforeAll(async () => {
  api = await startRecordingApi();
  for (const p of ['/v1/keys/', '/v1/basic/', '/v1/bearer/', '/v1/oauth/']) api.route(p, echo);
  api.route('/oauth/refuse', refuseToken);
  // Moved within the origin, with a Location that carries no key (or one of its own).
  api.route('/v1/moved/old', (_req, res) => void res.writeHead(302, { location: '/v1/keys/200?after=redirect' }).end());
  api.route('/v1/moved/spoof', (_req, res) => void res.writeHead(307, { location: '/v1/keys/200?api_key=from-the-api' }).end());
  // Answers long after the import's 600 ms first-byte deadline (the socket is gone by then).
  api.route('/v1/slow', (_req, res) => void setTimeout(() => res.destroyed || res.end('{}'), 2500));
  api.route('/typed/profile', jsonAnswer({ id: 7, name: 'Ann' }));
  api.route('/typed/bad-profile', jsonAnswer({ id: 'seven' }));
  api.route('/typed/tags', jsonAnswer(['a', 'b']));

  ws = mcpWorkspace({
    upstreams: [],
    agents: [
      { id: 'buyer', tools: { allow: ['*'], riskClasses: { allow: ['read-only', 'write', 'destructive'] } } },
      { id: 'browser', tools: { allow: ['shop__get*'], riskClasses: { allow: ['read-only', 'write', 'destructive'] } } },
    ],
  });
  const dir = join(ws.dir, 'openapi-imports');
  mkdirSync(dir);
  const oauthFlow = (path: string) => ({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${api.url}${path}`, scopes: {} } } });
  writeFileSync(
    join(dir, 'shop.json'),
    openApiSpec('Shop', SHOP_OPS, {
      components: {
        securitySchemes: {
          keyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          keyQuery: { type: 'apiKey', in: 'query', name: 'api_key' },
          keyCookie: { type: 'apiKey', in: 'cookie', name: 'shop_session' },
          basicAuth: { type: 'http', scheme: 'basic' },
          bearerAuth: { type: 'http', scheme: 'bearer' },
          oauth: oauthFlow('/oauth/token'),
          refusedBasic: oauthFlow('/oauth/refuse'),
          refusedBody: oauthFlow('/oauth/refuse'),
        },
      },
    }),
  );
  writeFileSync(
    join(dir, 'shop.warden.yaml'),
    [
      'namespace: shop',
      `baseUrl: ${api.url}/v1`,
      'internal: true',
      'allowHttp: true',
      'timeouts: { firstByteMs: 600, totalMs: 1200 }',
      'credentials:',
      '  schemes:',
      '    keyHeader: { type: apiKey, value: { env: SAFE_HEADER_KEY } }',
      '    keyQuery: { type: apiKey, value: { env: SAFE_QUERY_KEY } }',
      '    keyCookie: { type: apiKey, value: { env: SAFE_COOKIE_KEY } }',
      '    basicAuth: { type: basic, username: { env: SAFE_BASIC_USER }, password: { env: SAFE_BASIC_PASS } }',
      '    bearerAuth: { type: bearer, token: { env: SAFE_BEARER } }',
      '    oauth: { type: clientCredentials, clientId: { env: SAFE_CLIENT_ID }, clientSecret: { env: SAFE_CLIENT_SECRET } }',
      '    refusedBasic: { type: clientCredentials, clientId: { env: SAFE_CLIENT2_ID }, clientSecret: { env: SAFE_CLIENT2_SECRET } }',
      '    refusedBody: { type: clientCredentials, clientId: { env: SAFE_CLIENT2_ID }, clientSecret: { env: SAFE_CLIENT2_SECRET }, tokenAuth: body }',
      '',
    ].join('\n'),
  );
  // Follows same-origin redirects; its key travels in the query.
  writeFileSync(
    join(dir, 'moved.json'),
    openApiSpec(
      'Moved',
      [
        { id: 'getOld', method: 'get', path: '/moved/old', summary: 'Moved', more: { security: [{ keyQuery: [] }] } },
        { id: 'getSpoof', method: 'get', path: '/moved/spoof', summary: 'Moved, naming a key', more: { security: [{ keyQuery: [] }] } },
      ],
      { components: { securitySchemes: { keyQuery: { type: 'apiKey', in: 'query', name: 'api_key' } } } },
    ),
  );
  writeFileSync(
    join(dir, 'moved.warden.yaml'),
    [
      `baseUrl: ${api.url}/v1`,
      'internal: true',
      'allowHttp: true',
      'redirects: same-origin',
      'credentials:',
      '  schemes:',
      '    keyQuery: { type: apiKey, value: { env: SAFE_QUERY_KEY } }',
      '',
    ].join('\n'),
  );
  // The same API twice: with output schemas advertised and enforced, and without.
  writeFileSync(join(dir, 'typed.json'), openApiSpec('Typed', TYPED_OPS));
  writeFileSync(join(dir, 'typed.warden.yaml'), `baseUrl: ${api.url}/typed\ninternal: true\nallowHttp: true\noutputSchema: true\n`);
  writeFileSync(join(dir, 'plain.json'), openApiSpec('Typed', TYPED_OPS));
  writeFileSync(join(dir, 'plain.warden.yaml'), `baseUrl: ${api.url}/typed\ninternal: true\nallowHttp: true\n`);
  // On loopback but not marked internal: neither its calls nor its token requests may leave.
  writeFileSync(
    join(dir, 'leaky.json'),
    openApiSpec(
      'Leaky',
      [
        { id: 'getThings', method: 'get', path: '/things', summary: 'List things' },
        { id: 'getSecured', method: 'get', path: '/secured', summary: 'Needs a token', more: { security: [{ oauth: [] }] } },
      ],
      { components: { securitySchemes: { oauth: oauthFlow('/oauth/token') } } },
    ),
  );
  writeFileSync(
    join(dir, 'leaky.warden.yaml'),
    [
      `baseUrl: http://localhost:${new URL(api.url).port}/leaky`,
      'allowHttp: true',
      'credentials:',
      '  schemes:',
      // The token endpoint is on another origin (127.0.0.1, not localhost): the operator writes it.
      `    oauth: { type: clientCredentials, clientId: { env: SAFE_CLIENT_ID }, clientSecret: { env: SAFE_CLIENT_SECRET }, tokenUrl: '${api.url}/oauth/token' }`,
      '',
    ].join('\n'),
  );

  gw = await startGateway(ws, SECRETS);
  buyerKey = (await createKey(ws, 'buyer')).key;
  buyer = await connectClient(gw.url, buyerKey, 'modern');
  browser = await connectClient(gw.url, (await createKey(ws, 'browser')).key, 'legacy');
  const deadline = Date.now() + 10_000;
  while ((await importStatus(gw)).filter((s) => s.state === 'imported').length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
});

afterAll(async () => {
  await buyer?.close();
  await browser?.close();
  await gw?.stop();
  await api?.close();
  ws?.cleanup();
});

describe('OpenAPI imports and the threat model (real gateway, echoing HTTP API)', () => {
  it('loads every import of the folder', async () => {
    const status = await importStatus(gw);
    expect(status.map((s) => [s.id, s.state]).sort()).toEqual([
      ['leaky', 'imported'],
      ['moved', 'imported'],
      ['plain', 'imported'],
      ['shop', 'imported'],
      ['typed', 'imported'],
    ]);
    expect(status.find((s) => s.id === 'shop')?.skipped).toEqual([]);
  });

  it('hands agents no credential, in any encoding, from successes, 4xx/5xx echoes, timeouts and token endpoints', async () => {
    for (const code of [200, 403, 500, 502]) {
      for (const tool of ['echoKeys', 'echoBasic', 'echoBearer', 'echoOauth']) {
        const r = await call(buyer, `shop__${tool}`, { code: String(code) });
        expect(r.isError ?? false, `${tool} ${code}`).toBe(code !== 200);
      }
    }
    // A 401 makes the gateway fetch a second token and retry: two tokens to keep secret.
    expect((await call(buyer, 'shop__echoOauth', { code: '401' })).isError).toBe(true);
    expect(api.tokens.issued.length).toBeGreaterThanOrEqual(2);
    expect(textOf(await call(buyer, 'shop__slowKeys'))).toMatch(/did not answer in time/);
    // The token endpoint's error description quotes the client's credentials: redacted, not dropped.
    const refusedBasic = await call(buyer, 'shop__refusedBasic');
    expect(textOf(refusedBasic)).toMatch(/credentials could not be obtained: .*answered 401: invalid_client \(unknown client; you sent \[REDACTED\] \(\[REDACTED\]:\[REDACTED\]\)/);
    const refusedBody = await call(buyer, 'shop__refusedBody');
    expect(textOf(refusedBody)).toMatch(/answered 401: .*client_id=\[REDACTED\]&client_secret=\[REDACTED\]/);

    // The API did receive, and echo, every credential (else this test would prove nothing)...
    const sent = findings('sent', JSON.stringify([...api.requests, ...api.tokens.requests].map((r) => [r.url, r.headers, r.body.toString()]))).join('\n');
    for (const name of Object.keys(SECRETS)) expect(sent, name).toContain(name);
    // ...and the agent saw none of them.
    expect(findings('agent results', JSON.stringify(seenByAgents), AGENTS_MAY_SEE)).toEqual([]);
    const echoed = (await call(buyer, 'shop__echoKeys', { code: '200' })).structuredContent as { query: string; headers: Record<string, string> };
    expect(echoed.headers).toMatchObject({ 'x-api-key': '[REDACTED]', cookie: 'shop_session=[REDACTED]' });
    expect(echoed.query).toBe('api_key=[REDACTED]');
  });

  it('sends a query credential again after a same-origin redirect whose Location leaves it out, and never the API\'s own value', async () => {
    for (const tool of ['moved__getOld', 'moved__getSpoof']) {
      const r = await call(buyer, tool, {});
      expect(r.isError ?? false, tool).toBe(false);
      const received = api.requests.at(-1)!;
      expect(received.path).toBe('/v1/keys/200');
      expect(new URLSearchParams(received.query).getAll('api_key')).toEqual([SECRETS.SAFE_QUERY_KEY]);
      expect(JSON.stringify(r)).not.toContain(SECRETS.SAFE_QUERY_KEY);
    }
  });

  // Threat model E5: every configured secret is a canary, the basic user name included.
  it('redacts a basic user name the API echoes back, as it is a configured secret reference too', async () => {
    const r = await call(buyer, 'shop__echoBasic', { code: '403' });
    expect(textOf(r)).not.toContain(SECRETS.SAFE_BASIC_USER);
  });

  it.each([2, 100])('refuses a %i MB argument with 413 at the MCP endpoint, before the API is called', async (mb) => {
    const before = api.requests.length;
    const r = await rawToolCall(buyerKey, 'shop__createThing', { name: 'x'.repeat(mb * 1024 * 1024) });
    seenByAgents.push(r.body);
    // The gateway answers 413 at 1 MiB and closes; a client still writing 100 MB may see the
    // reset before it reads that answer (-1). Either way nothing reached the API.
    if (mb === 2) expect(r.status).toBe(413);
    else expect([413, -1]).toContain(r.status);
    expect(api.requests.length).toBe(before);
    // ...and the gateway keeps serving.
    expect((await rawToolCall(buyerKey, 'shop__getThing', { id: 'after' })).status).toBe(200);
  });

  it('refuses a 100 KB string over the schema\'s maxLength as an error result naming the violation, without echoing it', async () => {
    const before = api.requests.length;
    const r = await call(buyer, 'shop__createThing', { name: 'y'.repeat(100_000) });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^Invalid arguments for createThing; the API was not called:\n- name: .*10/);
    expect(textOf(r).length).toBeLessThan(1000);
    expect(api.requests.length).toBe(before);
    expect((await call(buyer, 'shop__createThing', { name: 'lamp' })).isError).toBeFalsy();
    expect(JSON.parse(api.last().body.toString())).toEqual({ name: 'lamp' });
  });

  it('advertises output schemas only when the import opts in, and then returns conforming bodies as structured content', async () => {
    const tools = new Map((await buyer.listTools()).tools.map((t) => [t.name, t]));
    expect(tools.get('typed__getProfile')?.outputSchema).toMatchObject({ type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' } } });
    expect(tools.get('typed__getTags')?.outputSchema).toMatchObject({ type: 'object', required: ['result'], properties: { result: { type: 'array' } } });
    for (const name of ['plain__getProfile', 'plain__getTags', 'shop__getThings']) expect(tools.get(name)?.outputSchema, name).toBeUndefined();

    const ok = await call(buyer, 'typed__getProfile');
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toEqual({ id: 7, name: 'Ann' });
    expect((await call(buyer, 'typed__getTags')).structuredContent).toEqual({ result: ['a', 'b'] });
  });

  it('turns a body that does not match the advertised output schema into an error result naming the mismatch (and passes it through without the option)', async () => {
    const bad = await call(buyer, 'typed__getBadProfile');
    expect(bad.isError).toBe(true);
    expect(bad.structuredContent).toBeUndefined();
    expect(textOf(bad)).toMatch(/does not match the operation's declared output schema/);
    expect(textOf(bad)).toMatch(/id: /);
    expect(textOf(bad)).toMatch(/name/);
    const plain = await call(buyer, 'plain__getBadProfile');
    expect(plain.isError).toBeFalsy();
    expect(plain.structuredContent).toEqual({ id: 'seven' });
  });

  // Problems with a response are reported as the response's, not the arguments'.
  it('names the response, not the arguments, when the missing property is at the root of the body', async () => {
    const bad = await call(buyer, 'typed__getBadProfile');
    expect(textOf(bad)).toMatch(/required property "name"/);
    expect(textOf(bad)).not.toMatch(/arguments/);
  });

  it('refuses an import on loopback that is not marked internal: an error result, and neither the API nor its token endpoint sees a request', async () => {
    const grants = api.tokens.requests.length;
    const r = await call(buyer, 'leaky__getThings');
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/address is in a range the gateway does not call .*unless the import is marked internal/);
    // Its token endpoint is on loopback too: the token request is refused the same way.
    const secured = await call(buyer, 'leaky__getSecured');
    expect(secured.isError).toBe(true);
    expect(textOf(secured)).toMatch(/credentials could not be obtained/);
    expect(api.requests.filter((q) => q.path.startsWith('/leaky'))).toEqual([]);
    expect(api.tokens.requests.length).toBe(grants);
  });

  it('shows an agent allowed `shop__get*` exactly those tools, and answers Unknown tool for the others', async () => {
    const all = (await buyer.listTools()).tools.map((t) => t.name);
    const gets = all.filter((n) => n.startsWith('shop__get')).sort();
    expect(gets).toEqual(['shop__getThing', 'shop__getThings']);
    expect((await browser.listTools()).tools.map((t) => t.name).sort()).toEqual(gets);
    expect((await call(browser, 'shop__getThing', { id: 'a1' })).isError).toBeFalsy();
    expect(api.last().path).toBe('/v1/things/a1');
    const before = api.requests.length;
    for (const name of ['shop__createThing', 'shop__echoKeys', 'typed__getProfile', 'leaky__getThings']) {
      await expect(call(browser, name, { code: '200', name: 'n' }), name).rejects.toThrow(/Unknown tool/);
    }
    expect(api.requests.length).toBe(before);
  });

  it('leaves no credential, in any encoding, in the audit trail or in any log line (checked after the gateway stops)', async () => {
    await buyer.close();
    await browser.close();
    const { code } = await gw.stop();
    expect(code).toBe(0);
    const audit = await cli(ws, ['audit', 'export', '--format', 'jsonl']);
    expect(audit.code, audit.stderr).toBe(0);
    const records = audit.stdout.split('\n').filter(Boolean);
    // The trail holds the calls above (else scanning it proves nothing).
    expect(records.filter((l) => l.includes('"tools/call"')).length).toBeGreaterThan(20);
    expect(findings('audit', audit.stdout)).toEqual([]);
    expect(gw.logs.length).toBeGreaterThan(10);
    expect(findings('log', gw.logs.join('\n'))).toEqual([]);
    expect(findings('stderr', gw.stderr.join(''))).toEqual([]);
  });
});
