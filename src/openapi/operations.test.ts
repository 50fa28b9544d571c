import { describe, expect, it } from 'vitest';
import { selectOperations, sanitizeName } from './operations.js';
import { ImportSidecarSchema } from './sidecar-schema.js';

const sidecar = (extra: object = {}) => ImportSidecarSchema.parse(extra);
const doc = (paths: Record<string, unknown>) => ({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths });

describe('operation selection and naming', () => {
  it('names tools from the operationId, else from method and path, in [A-Za-z0-9_-] only', () => {
    const { operations } = selectOperations(
      doc({
        '/repos/{owner}/{repo}/forks': { post: { operationId: 'repos/create-fork' } },
        '/pets/{petId}': { get: {} },
        '/cookies#formExploded': { get: {} },
        '/ünïcode': { delete: { operationId: '../../etc/passwd' } },
      }),
      sidecar(),
    );
    expect(operations.map((o) => o.toolName)).toEqual(['repos_create-fork', 'get_pets_petId', 'get_cookies_formExploded', 'etc_passwd']);
    for (const o of operations) expect(o.toolName).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('gives names that differ only by case a hash of their own method and path, whatever the order', () => {
    const paths = {
      '/a': { get: { operationId: 'userGetOauth2Application' } },
      '/b': { get: { operationId: 'userGetOAuth2Application' } },
      '/c': { get: { operationId: 'unique' } },
    };
    const one = selectOperations(doc(paths), sidecar()).operations;
    const reversed = selectOperations(doc(Object.fromEntries(Object.entries(paths).reverse())), sidecar()).operations;
    const names = (ops: typeof one) => Object.fromEntries(ops.map((o) => [o.key, o.toolName]));
    expect(names(one)).toEqual(names(reversed));
    expect(names(one)['GET /c']).toBe('unique');
    expect(names(one)['GET /a']).toMatch(/^userGetOauth2Application_[0-9a-f]{8}$/);
    expect(names(one)['GET /a']!.toLowerCase()).not.toBe(names(one)['GET /b']!.toLowerCase());
  });

  it('derives the risk class and annotations from the method, and lets the sidecar override the class', () => {
    const { operations } = selectOperations(
      doc({ '/x': { get: {}, post: {}, put: {}, patch: {}, delete: { operationId: 'drop' }, head: {} } }),
      sidecar({ operations: { drop: { risk: 'write' }, 'POST /x': { risk: 'destructive', name: 'make_x' } } }),
    );
    const by = Object.fromEntries(operations.map((o) => [o.key, o]));
    expect(by['GET /x']!.risk).toBe('read-only');
    expect(by['HEAD /x']!.risk).toBe('read-only');
    expect(by['PUT /x']!.risk).toBe('write');
    expect(by['PUT /x']!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true });
    expect(by['PATCH /x']!.annotations).toMatchObject({ idempotentHint: false });
    expect(by['DELETE /x']!.risk).toBe('write');
    expect(by['POST /x']).toMatchObject({ risk: 'destructive', toolName: 'make_x' });
    expect(by['POST /x']!.annotations).toMatchObject({ destructiveHint: true });
  });

  it('includes and excludes by tag, path glob, method and operationId, and warns about overrides that match nothing', () => {
    const d = doc({
      '/pets': { get: { operationId: 'listPets', tags: ['pets'] }, post: { operationId: 'addPet', tags: ['pets'] } },
      '/pets/{id}': { delete: { operationId: 'deletePet', tags: ['pets'] } },
      '/store/orders': { get: { operationId: 'listOrders', tags: ['store'] } },
    });
    const keys = (s: object) => selectOperations(d, sidecar(s)).operations.map((o) => o.key);
    expect(keys({ include: { tags: ['pets'] } })).toEqual(['GET /pets', 'POST /pets', 'DELETE /pets/{id}']);
    expect(keys({ include: { paths: ['/pets*'] }, exclude: { methods: ['delete'] } })).toEqual(['GET /pets', 'POST /pets']);
    expect(keys({ include: { operations: ['list*'] } })).toEqual(['GET /pets', 'GET /store/orders']);
    expect(keys({ exclude: { operations: ['DELETE /pets/{id}'] } })).toEqual(['GET /pets', 'POST /pets', 'GET /store/orders']);
    expect(selectOperations(d, sidecar({ operations: { nope: { risk: 'write' } } })).warnings).toEqual([expect.stringContaining('operations.nope')]);
  });

  it('describes a tool by its summary and description, trimmed, falling back to METHOD /path', () => {
    const { operations } = selectOperations(doc({ '/a': { get: { summary: '  List  ', description: ' Lists all. ' } }, '/b': { get: {} } }), sidecar());
    expect(operations[0]!.description).toBe('List\n\nLists all.');
    expect(operations[1]!.description).toBe('GET /b');
  });

  it('sanitizes anything to a non-empty safe name', () => {
    expect(sanitizeName('{}')).toBe('operation');
    expect(sanitizeName('a..b//c')).toBe('a_b_c');
    expect(sanitizeName('__x__')).toBe('x');
  });

  it('looks up overrides by own keys only (an operationId like constructor finds nothing inherited)', () => {
    const { operations } = selectOperations(doc({ '/a': { get: { operationId: 'constructor' } }, '/b': { get: { operationId: 'toString' } } }), sidecar());
    expect(operations.map((o) => [o.toolName, o.override])).toEqual([
      ['constructor', undefined],
      ['toString', undefined],
    ]);
  });

  it('marks operations of a path item that has its own servers', () => {
    const { operations } = selectOperations(doc({ '/up': { servers: [{ url: 'https://uploads.example.test' }], post: {} }, '/a': { get: {} } }), sidecar());
    expect(operations.map((o) => [o.key, o.pathItemHasServers])).toEqual([
      ['POST /up', true],
      ['GET /a', false],
    ]);
  });
});
