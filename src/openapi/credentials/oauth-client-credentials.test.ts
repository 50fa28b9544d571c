import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../config/secret-ref.js';
import type { BuiltRequest } from '../plan.js';
import { oauthCredential } from './injector.js';
import { ClientCredentialsTokenSource, TokenError, type ClientCredentialsOptions } from './oauth-client-credentials.js';
import { fakeClock, httpTokenTransport, startTokenServer, type TokenReply, type TokenRequest } from './test-fixtures.js';

const CLIENT_SECRET = 'cs-Sup3r/Secret+value';
let server: Awaited<ReturnType<typeof startTokenServer>> | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(reply?: (n: number, req: TokenRequest) => TokenReply, opts: Partial<ClientCredentialsOptions> = {}) {
  server = await startTokenServer(reply);
  const clock = fakeClock();
  const source = new ClientCredentialsTokenSource({
    tokenUrl: server.url,
    clientId: new Secret('client-1'),
    clientSecret: new Secret(CLIENT_SECRET),
    tokenAuth: 'basic',
    transport: httpTokenTransport,
    clock: clock.now,
    ...opts,
  });
  return { server, clock, source };
}

const signal = () => new AbortController().signal;

function request(): BuiltRequest {
  return { method: 'GET', path: '/x', query: [], headers: {}, cookies: [], body: null };
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

async function rejection(p: Promise<unknown>): Promise<TokenError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenError);
  return err as TokenError;
}

describe('client credentials token source', () => {
  it('posts an RFC 6749 4.4 form with HTTP Basic client auth, then serves the cached token', async () => {
    const { server, source } = await setup(undefined, { scopes: ['read:pets', 'write:pets'], audience: 'https://api.example' });
    const a = await source.getToken(signal());
    const b = await source.getToken(signal());
    expect(a.value).toBe('tok-0');
    expect(b).toEqual(a);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(req.form)).toEqual({ grant_type: 'client_credentials', scope: 'read:pets write:pets', audience: 'https://api.example' });
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`client-1:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`);
  });

  it('form-encodes id and secret before base64 in Basic client auth, so ":" and non-ASCII survive', async () => {
    const id = 'id:with space';
    const secret = 'p@ss+w/rd é:%';
    const { server, source } = await setup(undefined, { clientId: new Secret(id), clientSecret: new Secret(secret) });
    await source.getToken(signal());
    const decoded = Buffer.from(String(server.requests[0]!.headers.authorization).slice('Basic '.length), 'base64').toString('utf8');
    expect(decoded).toBe('id%3Awith+space:p%40ss%2Bw%2Frd+%C3%A9%3A%25');
    // What a server does per RFC 6749 2.3.1: split on the one ":", then form-decode each part.
    const [u, p] = decoded.split(':').map((s) => decodeURIComponent(s.replace(/\+/g, ' ')));
    expect([u, p]).toEqual([id, secret]);
  });

  it('sends client_id and client_secret in the body when tokenAuth is body', async () => {
    const { server, source } = await setup(undefined, { tokenAuth: 'body' });
    await source.getToken(signal());
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBeUndefined();
    expect(req.form.get('client_id')).toBe('client-1');
    expect(req.form.get('client_secret')).toBe(CLIENT_SECRET);
  });

  it('shares one token request among concurrent callers', async () => {
    const { server, source } = await setup(() => ({ status: 200, json: { access_token: 'shared', token_type: 'bearer', expires_in: 60 }, delayMs: 50 }));
    const tokens = await Promise.all(Array.from({ length: 20 }, () => source.getToken(signal())));
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['shared']));
    expect(server.requests).toHaveLength(1);
  });

  it('refreshes in the background after 75% of the lifetime while still handing out the valid token', async () => {
    const { server, clock, source } = await setup((n) => ({ status: 200, json: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 100 } }));
    expect((await source.getToken(signal())).value).toBe('tok-0');
    clock.advance(50_000);
    expect((await source.getToken(signal())).value).toBe('tok-0');
    expect(server.requests).toHaveLength(1);
    clock.advance(30_000); // 80 s: past 75 s, before expiry minus skew (90 s)
    expect((await source.getToken(signal())).value).toBe('tok-0');
    await waitFor(() => source.generation === 2);
    expect((await source.getToken(signal())).value).toBe('tok-1');
    expect(server.requests).toHaveLength(2);
  });

  it('fetches a new token once the cached one is within the skew of its expiry', async () => {
    const { server, clock, source } = await setup((n) => ({ status: 200, json: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: '100' } }));
    await source.getToken(signal());
    clock.advance(91_000); // skew = min(30 s, 10% of 100 s) = 10 s
    expect((await source.getToken(signal())).value).toBe('tok-1');
    expect(server.requests).toHaveLength(2);
  });

  it('after a 401 drops the token once and keeps a token a concurrent retry already replaced', async () => {
    const { server, source } = await setup();
    const cred = oauthCredential('oauth', source);
    const first = request();
    const second = request();
    await cred.apply(first, signal());
    await cred.apply(second, signal());
    expect(first.headers.authorization).toBe('Bearer tok-0');
    expect(cred.afterUnauthorized(first)).toBe(true);
    const retry = request();
    await cred.apply(retry, signal());
    expect(retry.headers.authorization).toBe('Bearer tok-1');
    // The second call's 401 (same old token) arrives late: tok-1 is kept.
    expect(cred.afterUnauthorized(second)).toBe(true);
    const third = request();
    await cred.apply(third, signal());
    expect(third.headers.authorization).toBe('Bearer tok-1');
    expect(server.requests).toHaveLength(2);
  });

  it('reports an OAuth error body by its error and description only, with secrets redacted', async () => {
    const { source } = await setup(() => ({
      status: 401,
      json: { error: 'invalid_client', error_description: `client secret ${CLIENT_SECRET} is wrong`, debug: 'internal detail' },
    }));
    const err = await rejection(source.getToken(signal()));
    expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(err.reason).toBe('oauth-error');
    expect(err.message).toContain('answered 401: invalid_client (client secret [REDACTED] is wrong)');
    expect(err.message).not.toContain(CLIENT_SECRET);
    expect(err.message).not.toContain('internal detail');
  });

  it('does not show a non-OAuth error body at all', async () => {
    const { source } = await setup(() => ({ status: 502, text: `<html>proxy error, echoing ${CLIENT_SECRET}</html>` }));
    const err = await rejection(source.getToken(signal()));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.reason).toBe('status');
    expect(err.message).toMatch(/^token endpoint http:\/\/127\.0\.0\.1:\d+\/oauth\/token answered 502$/);
  });

  it.each([
    ['a token type other than bearer', { access_token: 'abc', token_type: 'mac' }, 'the token_type is not bearer'],
    ['no access_token', { token_type: 'bearer' }, 'no access_token'],
    ['a token that would break the header', { access_token: 'abc\r\nX-Evil: 1', token_type: 'bearer' }, 'characters a bearer token may not have'],
  ])('refuses a 200 response with %s, without echoing it', async (_what, json, message) => {
    const { source } = await setup(() => ({ status: 200, json }));
    const err = await rejection(source.getToken(signal()));
    expect(err.reason).toBe('bad-response');
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('abc');
  });

  it('backs off after a failure instead of calling the token endpoint on every request', async () => {
    const { server, clock, source } = await setup((n) => (n < 2 ? { status: 503, text: 'down' } : { status: 200, json: { access_token: 'ok', token_type: 'bearer' } }));
    await rejection(source.getToken(signal()));
    const during = await rejection(source.getToken(signal()));
    expect(during.reason).toBe('backoff');
    expect(during.headers['retry-after']).toBe('1');
    expect(server.requests).toHaveLength(1);
    clock.advance(1_000);
    await rejection(source.getToken(signal())); // second failure: the next wait doubles
    clock.advance(1_000);
    expect((await rejection(source.getToken(signal()))).reason).toBe('backoff');
    clock.advance(1_000);
    expect((await source.getToken(signal())).value).toBe('ok');
    expect(server.requests).toHaveLength(3);
  });

  it('lets one caller give up without failing the fetch the others wait for', async () => {
    const { source } = await setup(() => ({ status: 200, json: { access_token: 'slow', token_type: 'bearer' }, delayMs: 100 }));
    const impatient = new AbortController();
    const a = source.getToken(impatient.signal);
    const b = source.getToken(signal());
    impatient.abort(new Error('caller gone'));
    await expect(a).rejects.toThrow('caller gone');
    expect((await b).value).toBe('slow');
  });

  it('gives a network error a typed error naming the endpoint', async () => {
    const { server, source } = await setup();
    await server.close();
    const err = await rejection(source.getToken(signal()));
    expect(err.reason).toBe('network');
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.message).toContain('could not be reached');
  });
});
