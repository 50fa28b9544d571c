/** Hostile arguments from the threat model (section B1-B4), reserved names and `__proto__` keys. */
import { describe, expect, it } from 'vitest';
import { bodyOf, build, built, param, planOf, problemsOf } from './test-fixtures.js';

const userPlan = planOf('/users/{id}/profile', [param('id', 'path')]);

describe('path values stay one segment and never become dot segments (B1, B2)', () => {
  it.each(['..', '.', '%2e%2E', '.%2e', '%2E', '%2e', '%252e%252e', '%25252E', '..;jsessionid=x', '../../admin', 'a/../b', '..\\admin', 'x/.'])(
    'refuses %j',
    (id) => {
      expect(problemsOf(userPlan, { id })).toEqual([
        'id: is, contains or decodes to a "." or ".." path segment; such values are refused',
      ]);
    },
  );

  it('refuses dot segments inside array members and object keys and values', () => {
    const plan = planOf('/users/{id}', [param('id', 'path', { explode: true })]);
    expect(problemsOf(plan, { id: ['a', '..'] })).toHaveLength(1);
    expect(problemsOf(plan, { id: { '..': 'a' } })).toHaveLength(1);
    expect(problemsOf(plan, { id: { a: '%2e' } })).toHaveLength(1);
  });

  it('refuses an empty value for the (always required) path parameter, in every style', () => {
    for (const style of ['simple', 'label', 'matrix'] as const) {
      const plan = planOf('/users/{id}', [param('id', 'path', { style })]);
      expect(problemsOf(plan, { id: '' })).toEqual(['id: must not be empty (a path segment)']);
      expect(problemsOf(plan, { id: null })).toEqual(['id: must not be empty (a path segment)']);
      expect(problemsOf(plan, { id: [] })).toEqual(['id: must not be empty (a path segment)']);
    }
    expect(problemsOf(userPlan, {})).toEqual(['id: required path parameter "id" is missing']);
  });

  it('refuses a label-style value that would write a dot segment', () => {
    const plan = planOf('/users/{id}', [param('id', 'path', { style: 'label', explode: true })]);
    expect(problemsOf(plan, { id: ['', ''] })).toEqual(['path: the built path contains a "." or ".." segment']);
  });

  it('encodes slashes, so a value with dots but no dot segment stays inside its segment', () => {
    expect(built(userPlan, { id: 'a/b' }).path).toBe('/users/a%2Fb/profile');
    expect(built(userPlan, { id: '...' }).path).toBe('/users/.../profile');
    expect(built(userPlan, { id: 'v1.2..3' }).path).toBe('/users/v1.2..3/profile');
  });

  it('double-encodes an already encoded slash', () => {
    expect(built(userPlan, { id: 'a%2Fb' }).path).toBe('/users/a%252Fb/profile');
  });

  it("encodes everything outside RFC 3986 unreserved, including encodeURIComponent's ! ' ( ) *", () => {
    expect(built(userPlan, { id: "a?b#c d!e'f(g)h*i~j_k-l.m;n,o=p&q+r:s@t$u%v[w]x\\y\"z" }).path).toBe(
      '/users/a%3Fb%23c%20d%21e%27f%28g%29h%2Ai~j_k-l.m%3Bn%2Co%3Dp%26q%2Br%3As%40t%24u%25v%5Bw%5Dx%5Cy%22z/profile',
    );
    expect(built(userPlan, { id: 'é😀' }).path).toBe('/users/%C3%A9%F0%9F%98%80/profile');
  });

  it('reports a lone surrogate instead of throwing', () => {
    expect(problemsOf(userPlan, { id: 'a\uD800b' })).toEqual(['id: contains an unpaired UTF-16 surrogate, which has no UTF-8 encoding']);
  });

  it('keeps the base path and static prefix, and drops a #fragment of the path key', () => {
    expect(built(userPlan, { id: '7' }, undefined, '/v2').path).toBe('/v2/users/7/profile');
    expect(built(userPlan, { id: '7' }, undefined, '/v2/').path).toBe('/v2/users/7/profile');
    const sqs = planOf('/{Queue}/#Action=SendMessage', [param('Queue', 'path')]);
    expect(built(sqs, { Queue: 'q1' }).path).toBe('/q1/');
  });

  it('matches template variables by exact name and reports unbound ones', () => {
    const plan = planOf('/a/{Id}/{id}', [param('id', 'path')]);
    expect(problemsOf(plan, { id: '1' })).toEqual(['path template variable {Id}: no path parameter of that name in the operation plan']);
  });
});

describe('query values stay one value (B3)', () => {
  const plan = planOf('/search', [param('q', 'query')]);

  it('encodes & and = inside a value', () => {
    expect(built(plan, { q: 'x&admin=true' }).query).toEqual(['q=x%26admin%3Dtrue']);
  });

  it('double-encodes an already encoded value', () => {
    expect(built(plan, { q: 'x%26admin=true' }).query).toEqual(['q=x%2526admin%3Dtrue']);
  });

  it('encodes the delimiters of each style inside values', () => {
    const styled = planOf('/s', [param('a', 'query', { explode: false }), param('b', 'query', { style: 'pipeDelimited' }), param('c', 'query', { style: 'deepObject', explode: true })]);
    expect(built(styled, { a: ['1,2', '3'], b: ['x|y', 'z'], c: { 'k]&x=[': 'v' } }).query).toEqual([
      'a=1%2C2,3',
      'b=x%7Cy%7Cz',
      'c%5Bk%5D%26x%3D%5B%5D=v',
    ]);
  });
});

describe('header values cannot split or smuggle headers (B4)', () => {
  const plan = planOf('/x', [param('X-Trace', 'header'), param('X-Other', 'header')]);

  it.each([
    ['a\r\nX-Admin: 1'],
    ['a\nb'],
    ['a\u0000b'],
    ['a\tb'],
    ['a\u007fb'],
  ])('refuses control characters in %j', (value) => {
    expect(problemsOf(plan, { 'X-Trace': value })).toEqual([
      'X-Trace: contains a control character (CR, LF, NUL, TAB or another); header values cannot carry them',
    ]);
  });

  it('refuses non-ASCII values with a clear problem', () => {
    expect(problemsOf(plan, { 'X-Trace': 'café' })).toEqual(['X-Trace: contains a character outside printable ASCII; header values must be ASCII']);
  });

  it('refuses CR/LF hidden in an exploded object key', () => {
    const exploded = planOf('/x', [param('X-Obj', 'header', { explode: true })]);
    expect(problemsOf(exploded, { 'X-Obj': { 'a\r\nb': 'c' } })).toHaveLength(1);
  });

  it.each(['Authorization', 'Proxy-Authorization', 'Cookie', 'Host', 'Content-Length', 'Content-Type', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'Upgrade', 'TE', 'Trailer', 'Expect'])(
    'refuses a %s header parameter',
    (name) => {
      expect(problemsOf(planOf('/x', [param(name, 'header')]), { [name]: 'v' })).toEqual([
        `${name}: would set the header "${name}", which the gateway controls; refused`,
      ]);
    },
  );

  it('refuses headers the credential injector sets, and invalid header names', () => {
    const reserved = new Set(['x-api-key']);
    expect(problemsOf(planOf('/x', [param('X-API-Key', 'header')]), { 'X-API-Key': 'mine' }, reserved)).toEqual([
      'X-API-Key: would set the header "X-API-Key", which the gateway controls; refused',
    ]);
    expect(problemsOf(planOf('/x', [param('Bad Name', 'header')]), { 'Bad Name': 'v' })).toEqual(['Bad Name: "Bad Name" is not a valid header name']);
  });

  it('does not complain about a reserved parameter the agent did not set', () => {
    expect(built(planOf('/x', [param('X-API-Key', 'header')]), {}, new Set(['x-api-key'])).headers).toEqual({});
  });
});

describe('names the credential injector uses cannot be set through query or cookie', () => {
  const reserved = new Set(['api_key', 'session']);

  it('refuses a query parameter with a reserved name, in any case', () => {
    expect(problemsOf(planOf('/x', [param('API_KEY', 'query')]), { API_KEY: 'mine' }, reserved)).toEqual([
      'API_KEY: would set the query parameter "API_KEY", which carries the API\'s credentials; refused',
    ]);
  });

  it('refuses an exploded query object whose key is a reserved name', () => {
    const plan = planOf('/x', [param('filter', 'query', { explode: true })]);
    expect(problemsOf(plan, { filter: { status: 'open', api_key: 'mine' } }, reserved)).toEqual([
      'filter: would set the query parameter "api_key", which carries the API\'s credentials; refused',
    ]);
  });

  it('refuses reserved cookie names, also as exploded object keys, and invalid cookie names', () => {
    const plan = planOf('/x', [param('prefs', 'cookie', { explode: true }), param('session', 'cookie')]);
    expect(problemsOf(plan, { prefs: { Session: 'x' }, session: 'y' }, reserved)).toEqual([
      'prefs: would set the cookie "Session", which carries the API\'s credentials; refused',
      'session: would set the cookie "session", which carries the API\'s credentials; refused',
    ]);
    expect(problemsOf(plan, { prefs: { 'a;b': 'x', 'c d': 'y' } })).toEqual(['prefs: "a;b" is not a valid cookie name']);
  });
});

describe('__proto__ and constructor keys are plain data', () => {
  const hostile = JSON.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}, "ok": 1}') as Record<string, unknown>;

  it('serializes them in a deepObject query and does not pollute Object.prototype', () => {
    const plan = planOf('/x', [param('f', 'query', { style: 'deepObject', explode: true })]);
    expect(built(plan, { f: hostile }).query).toEqual([
      'f%5B__proto__%5D%5Badmin%5D=true',
      'f%5Bconstructor%5D%5Bprototype%5D%5Badmin%5D=true',
      'f%5Bok%5D=1',
    ]);
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('sends them as JSON keys in a whole JSON body', () => {
    const plan = planOf('/x', [], bodyOf('application/json'), [{ arg: 'body', to: 'body' }]);
    const request = built(plan, { body: hostile });
    expect(request.body?.data).toBe('{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"ok":1}');
  });

  it('reassembles a flattened body whose property is literally named __proto__', () => {
    const plan = planOf('/x', [], bodyOf('application/json'), [
      { arg: 'proto', to: 'body-property', property: '__proto__' },
      { arg: 'name', to: 'body-property', property: 'name' },
    ]);
    expect(built(plan, { proto: { admin: true }, name: 'n' }).body?.data).toBe('{"__proto__":{"admin":true},"name":"n"}');
  });

  it('never reads an argument through the prototype chain', () => {
    const plan = planOf('/x', [param('constructor', 'query'), param('toString', 'query', { required: true })]);
    expect(problemsOf(plan, {})).toEqual(['toString: required query parameter "toString" is missing']);
  });

  it('splits a whole form body with a __proto__ key into fields without consulting inherited encodings', () => {
    const plan = planOf('/x', [], bodyOf('application/x-www-form-urlencoded'), [{ arg: 'body', to: 'body' }]);
    expect(built(plan, { body: hostile }).body?.data).toBe(
      '__proto__=%7B%22admin%22%3Atrue%7D&constructor=%7B%22prototype%22%3A%7B%22admin%22%3Atrue%7D%7D&ok=1',
    );
  });
});

describe('arguments outside the plan', () => {
  it('never reach the request', () => {
    const plan = planOf('/x', [param('q', 'query')]);
    const request = built(plan, { q: '1', extra: 'x', 'X-Admin': 'yes', Authorization: 'Bearer stolen' });
    expect(request).toEqual({ method: 'GET', path: '/x', query: ['q=1'], headers: {}, cookies: [], body: null });
  });
});

describe('a large value', () => {
  it('is encoded without trouble (10 MB path and query values)', () => {
    const big = 'a'.repeat(10 * 1024 * 1024);
    const plan = planOf('/u/{id}', [param('id', 'path'), param('q', 'query')]);
    const result = build(plan, { id: big, q: `${big}.` });
    expect(result.ok && result.request.path.length).toBe(3 + big.length);
  });
});
