import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSecretRef } from '../../config/secret-ref.js';
import type { BuiltRequest } from '../plan.js';
import { CredentialsConfigSchema } from './credential-schema.js';
import { buildCredentialSet } from './build-credential-set.js';
import type { CredentialSetInput, OperationAuth } from './credential-set.js';
import type { Injector } from './injector.js';
import { httpTokenTransport, startTokenServer } from './test-fixtures.js';

const FILE = '/imports/pets.warden.yaml';

const ENV: NodeJS.ProcessEnv = {
  HEADER_KEY: 'hdr-key-0001',
  QUERY_KEY: 'q key&=/ü',
  COOKIE_KEY: 'cookie-key-01',
  USER: 'alice',
  PASS: 'pa55:word!',
  STRIPE_KEY: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  TOKEN: 'static-token-xyz',
  CLIENT_ID: 'gateway-client',
  CLIENT_SECRET: 'client-secret-42',
  GH_TOKEN: 'ghp_abcdefghijklmnop',
  BROKEN: 'line\r\nX-Injected: 1',
};

const SCHEMES = {
  key_header: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  key_query: { type: 'apiKey', in: 'query', name: 'api_key' },
  key_cookie: { type: 'apiKey', in: 'cookie', name: 'session_id' },
  sudo: { type: 'apiKey', in: 'header', name: 'Sudo' },
  basic: { type: 'http', scheme: 'Basic' },
  bearer: { type: 'http', scheme: 'bearer' },
  oauth_cc: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: { read: 'read' } } } },
  oauth_code: { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: 'https://a.example/auth', tokenUrl: 'https://a.example/token', scopes: {} } } },
  oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://a.example/.well-known/openid-configuration' },
  mtls: { type: 'mutualTLS' },
  digest: { type: 'http', scheme: 'digest' },
  sigv4: { type: 'apiKey', in: 'header', name: 'Host' },
};

let dir: string;
let tokenServer: Awaited<ReturnType<typeof startTokenServer>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-cred-'));
  await writeFile(join(dir, 'password'), 'file-password-77\n');
  tokenServer = await startTokenServer();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await tokenServer.close();
});

async function build(config: unknown, over: Partial<CredentialSetInput> = {}) {
  return buildCredentialSet({
    file: FILE,
    securitySchemes: SCHEMES,
    security: undefined,
    config: CredentialsConfigSchema.parse(config),
    resolveSecret: (ref) => resolveSecretRef(ref, dir, ENV),
    tokenTransport: httpTokenTransport,
    baseUrl: new URL(tokenServer.url).origin,
    allowHttp: true,
    ...over,
  });
}

function request(over: Partial<BuiltRequest> = {}): BuiltRequest {
  return { method: 'GET', path: '/v1/pets', query: [], headers: {}, cookies: [], body: null, ...over };
}

function injector(auth: OperationAuth): Injector {
  if (!auth.ok) throw new Error(`expected credentials, got: ${auth.reason}`);
  return auth.injector;
}

function reason(auth: OperationAuth): string {
  if (auth.ok) throw new Error(`expected no credentials, got ${auth.injector.schemes.join(', ')}`);
  return auth.reason;
}

async function applied(auth: OperationAuth, over: Partial<BuiltRequest> = {}): Promise<BuiltRequest> {
  const req = request(over);
  await injector(auth).apply(req, new AbortController().signal);
  return req;
}

const ALL = {
  schemes: {
    key_header: { type: 'apiKey', value: { env: 'HEADER_KEY' } },
    key_query: { type: 'apiKey', value: { env: 'QUERY_KEY' } },
    key_cookie: { type: 'apiKey', value: { env: 'COOKIE_KEY' } },
    basic: { type: 'basic', username: { env: 'USER' }, password: { env: 'PASS' } },
    bearer: { type: 'bearer', token: { env: 'TOKEN' } },
    oauth_cc: { type: 'clientCredentials', clientId: { env: 'CLIENT_ID' }, clientSecret: { env: 'CLIENT_SECRET' } },
  },
};

describe('startup validation', () => {
  it('builds without problems when every configured scheme exists and fits', async () => {
    expect((await build(ALL)).problems).toEqual([]);
  });

  it('names a configured scheme the spec does not declare, with file and key path', async () => {
    const { problems } = await build({ schemes: { petstore_auth: { type: 'bearer', token: { env: 'TOKEN' } } } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\/imports\/pets\.warden\.yaml: credentials\.schemes\.petstore_auth: the spec declares no security scheme "petstore_auth" \(it declares "key_header", /);
  });

  it('points a spec without schemes to inject', async () => {
    const { problems } = await build({ schemes: { token: { type: 'bearer', token: { env: 'TOKEN' } } } }, { securitySchemes: undefined });
    expect(problems).toEqual([`${FILE}: credentials.schemes.token: the spec declares no security schemes, so there is no "token" (use credentials.inject for credentials every call needs)`]);
  });

  it('refuses a credential type that does not fit the scheme', async () => {
    const { problems } = await build({ schemes: { key_header: { type: 'basic', username: { env: 'USER' }, password: { env: 'PASS' } } } });
    expect(problems).toEqual([
      `${FILE}: credentials.schemes.key_header: type basic does not fit the spec's apiKey scheme (in header X-API-Key), which needs an API key in header X-API-Key ({type: apiKey})`,
    ]);
  });

  it('refuses credentials for schemes the gateway cannot use', async () => {
    const { problems } = await build({
      schemes: { mtls: { type: 'bearer', token: { env: 'TOKEN' } }, sigv4: { type: 'apiKey', value: { env: 'HEADER_KEY' } } },
    });
    expect(problems).toEqual([
      `${FILE}: credentials.schemes.mtls: the spec's scheme cannot be used: mutualTLS (client certificates) is not supported`,
      `${FILE}: credentials.schemes.sigv4: the spec's scheme cannot be used: the Host header may not carry a credential`,
    ]);
  });

  it('reports secrets that cannot be resolved, and values a header cannot carry, without the value', async () => {
    const { set, problems } = await build({
      schemes: { bearer: { type: 'bearer', token: { env: 'NOT_SET' } }, key_header: { type: 'apiKey', value: { env: 'BROKEN' } } },
    });
    expect(problems).toEqual([
      `${FILE}: credentials.schemes.bearer.token: environment variable NOT_SET is not set`,
      `${FILE}: credentials.schemes.key_header.value: the value has characters a header may not carry (control characters, non-ASCII, or leading/trailing spaces)`,
    ]);
    expect(reason(set.forOperation([{ bearer: [] }]))).toBe('no usable credentials: the credentials of "bearer" are configured but unusable (see the import\'s warnings)');
  });

  it('needs a tokenUrl when the scheme has no clientCredentials flow, and https for it', async () => {
    const cc = { type: 'clientCredentials', clientId: { env: 'CLIENT_ID' }, clientSecret: { env: 'CLIENT_SECRET' } };
    const { problems } = await build({ schemes: { oauth_code: cc, oidc: cc, oauth_cc: cc } }, { allowHttp: false });
    expect(problems).toEqual([
      `${FILE}: credentials.schemes.oauth_code.tokenUrl: the spec's scheme has no clientCredentials flow with a tokenUrl: set tokenUrl`,
      `${FILE}: credentials.schemes.oidc.tokenUrl: the spec's scheme has no clientCredentials flow with a tokenUrl: set tokenUrl`,
      `${FILE}: credentials.schemes.oauth_cc.tokenUrl: the token endpoint ${new URL(tokenServer.url).origin} must use https (the client secret is sent to it)`,
    ]);
  });

  it('takes the spec\'s tokenUrl only on the API\'s own origin: elsewhere the operator must write it', async () => {
    const cc = { type: 'clientCredentials', clientId: { env: 'CLIENT_ID' }, clientSecret: { env: 'CLIENT_SECRET' } };
    const schemes = { ...SCHEMES, oauth_cc: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://collector.example.test/token', scopes: {} } } } };
    const refused = await build({ schemes: { oauth_cc: cc } }, { securitySchemes: schemes, baseUrl: 'https://api.example.test' });
    expect(refused.problems).toEqual([expect.stringContaining('is not on the API\'s origin: write it as tokenUrl in the sidecar')]);
    const written = await build({ schemes: { oauth_cc: { ...cc, tokenUrl: 'https://collector.example.test/token' } } }, { securitySchemes: schemes, baseUrl: 'https://api.example.test' });
    expect(written.problems).toEqual([]);
  });
});

describe('inject entries that cannot be resolved', () => {
  it('make every operation unavailable rather than call without them', async () => {
    const { set, problems } = await build({ inject: [{ in: 'header', name: 'X-Team', value: { env: 'NOT_SET_ANYWHERE' } }] });
    expect(problems).toEqual([expect.stringContaining('credentials.inject[0].value')]);
    expect(reason(set.forOperation([]))).toMatch(/credentials\.inject\[0\] cannot be resolved/);
    expect(reason(set.forOperation(undefined))).toMatch(/cannot be resolved/);
    expect(set.hiddenParameters()).toContainEqual({ in: 'header', name: 'X-Team' });
  });
});

describe('requirement sets', () => {
  it('takes the first alternative, in spec order, whose schemes all have credentials', async () => {
    const { set } = await build({ schemes: { key_query: ALL.schemes.key_query, bearer: ALL.schemes.bearer } });
    expect(injector(set.forOperation([{ basic: [] }, { key_query: [] }, { bearer: [] }])).schemes).toEqual(['key_query']);
    expect(injector(set.forOperation([{ bearer: [] }, { key_query: [] }])).schemes).toEqual(['bearer']);
  });

  it('needs every scheme of an AND set, and then applies them all', async () => {
    const { set } = await build({ schemes: { key_header: ALL.schemes.key_header, key_query: ALL.schemes.key_query } });
    const req = await applied(set.forOperation([{ key_header: [], key_query: [] }]));
    expect(req.headers['x-api-key']).toBe('hdr-key-0001');
    expect(req.query).toEqual([`api_key=${encodeURIComponent('q key&=/ü')}`]);
    expect(reason(set.forOperation([{ key_header: [], key_cookie: [] }]))).toBe(
      'no usable credentials: scheme "key_cookie" needs an API key in cookie session_id ({type: apiKey}) under credentials.schemes',
    );
  });

  it('treats security: [] and an empty requirement {} as anonymous', async () => {
    const { set } = await build({});
    expect(injector(set.forOperation([])).schemes).toEqual([]);
    expect(injector(set.forOperation([{ bearer: [] }, {}])).schemes).toEqual([]);
  });

  it('uses the document security for operations without their own, and none when there is none', async () => {
    const { set } = await build({ schemes: { bearer: ALL.schemes.bearer } }, { security: [{ bearer: [] }] });
    expect(injector(set.forOperation(undefined)).schemes).toEqual(['bearer']);
    expect(injector(set.forOperation([])).schemes).toEqual([]);
    const { set: open } = await build({});
    expect(injector(open.forOperation(undefined)).schemes).toEqual([]);
  });

  it('makes an operation unavailable, with every alternative\'s reason, instead of calling it without credentials', async () => {
    const { set } = await build({});
    const why = reason(set.forOperation([{ oauth_code: ['read'] }, { oidc: [] }, { mtls: [] }, { digest: [] }, { nowhere: [] }]));
    expect(why).toBe(
      'no usable credentials for any of 5 alternatives: ' +
        '(1) scheme "oauth_code" needs a static token ({type: bearer}) or client credentials with a tokenUrl: the spec\'s flows (authorizationCode) need a user under credentials.schemes; ' +
        '(2) scheme "oidc" needs a static token ({type: bearer}) or client credentials with a tokenUrl ({type: clientCredentials}) under credentials.schemes; ' +
        '(3) scheme "mtls": mutualTLS (client certificates) is not supported; ' +
        '(4) scheme "digest": http scheme "digest" is not supported (only basic and bearer); ' +
        '(5) scheme "nowhere" is not declared in components.securitySchemes',
    );
    expect(reason(set.forOperation({ bearer: [] }))).toBe('security is not a list of requirement objects');
  });

  it('refuses an AND set whose schemes would both set the Authorization header', async () => {
    const { set } = await build({ schemes: { basic: ALL.schemes.basic, bearer: ALL.schemes.bearer } });
    expect(reason(set.forOperation([{ basic: [], bearer: [] }]))).toBe('no usable credentials: basic and bearer both set header Authorization');
  });

  it('accepts a static token for oauth2 and openIdConnect schemes', async () => {
    const { set, problems } = await build({ schemes: { oauth_code: ALL.schemes.bearer, oidc: ALL.schemes.bearer } });
    expect(problems).toEqual([]);
    expect((await applied(set.forOperation([{ oauth_code: ['read'] }]))).headers.authorization).toBe('Bearer static-token-xyz');
    expect((await applied(set.forOperation([{ oidc: [] }]))).headers.authorization).toBe('Bearer static-token-xyz');
  });
});

describe('injection', () => {
  it('puts an apiKey in its header, query parameter or cookie, replacing anything of that name', async () => {
    const { set } = await build(ALL);
    expect((await applied(set.forOperation([{ key_header: [] }]), { headers: { 'x-api-key': 'agent' } })).headers).toEqual({ 'x-api-key': 'hdr-key-0001' });
    expect((await applied(set.forOperation([{ key_query: [] }]), { query: ['limit=5', 'api_key=agent'] })).query).toEqual([
      'limit=5',
      'api_key=q%20key%26%3D%2F%C3%BC',
    ]);
    expect((await applied(set.forOperation([{ key_cookie: [] }]), { cookies: ['session_id=agent', 'theme=dark'] })).cookies).toEqual([
      'theme=dark',
      'session_id=cookie-key-01',
    ]);
  });

  it('sends HTTP basic as base64 of user:password, and of key: when the password is omitted', async () => {
    const { set } = await build(ALL);
    expect((await applied(set.forOperation([{ basic: [] }]))).headers.authorization).toBe(`Basic ${Buffer.from('alice:pa55:word!').toString('base64')}`);
    const { set: stripe } = await build({ schemes: { basic: { type: 'basic', username: { env: 'STRIPE_KEY' } } } });
    const header = (await applied(stripe.forOperation([{ basic: [] }]))).headers.authorization;
    expect(header).toBe(`Basic ${Buffer.from(`${ENV.STRIPE_KEY}:`).toString('base64')}`);
    expect(stripe.secretValues()).toContain(ENV.STRIPE_KEY);
  });

  it('reads a password from a file relative to the sidecar', async () => {
    const { set } = await build({ schemes: { basic: { type: 'basic', username: { env: 'USER' }, password: { file: 'password' } } } });
    expect((await applied(set.forOperation([{ basic: [] }]))).headers.authorization).toBe(`Basic ${Buffer.from('alice:file-password-77').toString('base64')}`);
  });

  it('sends a bearer token', async () => {
    const { set } = await build(ALL);
    expect((await applied(set.forOperation([{ bearer: [] }]))).headers.authorization).toBe('Bearer static-token-xyz');
  });

  it('adds inject entries to every operation, anonymous ones included', async () => {
    const { set } = await build({
      schemes: { key_query: ALL.schemes.key_query },
      inject: [
        { in: 'header', name: 'Authorization', value: { env: 'GH_TOKEN' }, prefix: 'token ' },
        { in: 'header', name: 'Api-Username', value: 'system' },
        { in: 'cookie', name: 'tenant', value: 'acme' },
      ],
    });
    const anon = await applied(set.forOperation([]));
    expect(anon.headers).toEqual({ authorization: 'token ghp_abcdefghijklmnop', 'api-username': 'system' });
    expect(anon.cookies).toEqual(['tenant=acme']);
    const withKey = await applied(set.forOperation([{ key_query: [] }]));
    expect(injector(set.forOperation([{ key_query: [] }])).schemes).toEqual(['key_query', 'inject[0]', 'inject[1]', 'inject[2]']);
    expect(withKey.query).toHaveLength(1);
    expect(withKey.headers.authorization).toBe('token ghp_abcdefghijklmnop');
    // A scheme that needs the header an inject entry already sets cannot be served.
    const { set: clash } = await build({ schemes: { bearer: ALL.schemes.bearer }, inject: [{ in: 'header', name: 'authorization', value: { env: 'GH_TOKEN' } }] });
    expect(reason(clash.forOperation([{ bearer: [] }]))).toBe('no usable credentials: bearer and inject[0] both set header authorization');
  });

  it('fetches a client credentials token for an oauth2 scheme, and retries once after a 401 with a new one', async () => {
    const before = tokenServer.requests.length;
    const { set } = await build({ schemes: { oauth_cc: { ...ALL.schemes.oauth_cc, scopes: ['read'] } } });
    expect(set.tokenEndpoints()).toEqual([tokenServer.url]);
    const auth = set.forOperation([{ oauth_cc: ['read'] }]);
    const first = await applied(auth);
    expect(first.headers.authorization).toMatch(/^Bearer tok-\d+$/);
    expect(tokenServer.requests[before]!.form.get('scope')).toBe('read');
    expect(await injector(auth).afterUnauthorized(first)).toBe(true);
    const retry = await applied(auth);
    expect(retry.headers.authorization).not.toBe(first.headers.authorization);
    expect(tokenServer.requests.length - before).toBe(2);
    expect(await injector(set.forOperation([])).afterUnauthorized()).toBe(false);
  });
});

describe('what the agent never sees', () => {
  it('hides every apiKey location of the spec, configured or not, the Authorization header and inject entries', async () => {
    const { set } = await build({ inject: [{ in: 'query', name: 'client_key', value: { env: 'HEADER_KEY' } }] });
    expect(set.hiddenParameters()).toEqual([
      { in: 'header', name: 'X-API-Key' },
      { in: 'query', name: 'api_key' },
      { in: 'cookie', name: 'session_id' },
      { in: 'header', name: 'Sudo' },
      { in: 'header', name: 'Authorization' },
      { in: 'header', name: 'Host' },
      { in: 'query', name: 'client_key' },
    ]);
    expect([...set.reservedNames()]).toEqual(['x-api-key', 'api_key', 'session_id', 'sudo', 'authorization', 'host', 'client_key']);
  });

  it('lists every secret and the forms an upstream could echo, OAuth tokens old and new included', async () => {
    const { set } = await build({
      ...ALL,
      inject: [{ in: 'header', name: 'X-Auth-Token', value: { env: 'GH_TOKEN' }, prefix: 'token ' }],
    });
    const basic64 = Buffer.from('alice:pa55:word!').toString('base64');
    const values = set.secretValues();
    for (const v of ['hdr-key-0001', 'q key&=/ü', 'cookie-key-01', 'pa55:word!', basic64, `Basic ${basic64}`, 'static-token-xyz', 'Bearer static-token-xyz', 'client-secret-42', 'ghp_abcdefghijklmnop', 'token ghp_abcdefghijklmnop']) {
      expect(values).toContain(v);
    }
    expect(values).toContain('alice'); // the user name is a configured secret reference too
    expect(set.secretValues()).toBe(values); // unchanged until a token is issued

    const auth = set.forOperation([{ oauth_cc: [] }]);
    const first = (await applied(auth)).headers.authorization!;
    await injector(auth).afterUnauthorized();
    const second = (await applied(auth)).headers.authorization!;
    const now = set.secretValues();
    expect(now).not.toBe(values);
    for (const v of [first, second, first.slice(7), second.slice(7)]) expect(now).toContain(v);
  });

  it('prints no secret through util.inspect, JSON or String', async () => {
    const { set } = await build(ALL);
    await applied(set.forOperation([{ oauth_cc: [] }]));
    const auth = set.forOperation([{ key_header: [], key_query: [], oauth_cc: [] }]);
    const printed = [
      inspect(set, { depth: Infinity, showHidden: true, getters: true }),
      inspect(auth, { depth: Infinity, showHidden: true }),
      JSON.stringify(set),
      JSON.stringify(auth),
      String(set),
    ].join('\n');
    const secrets = set.secretValues().filter((s) => s.length >= 4);
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) expect(printed).not.toContain(s);
  });
});
