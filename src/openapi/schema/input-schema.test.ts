import { describe, expect, it } from 'vitest';
import type { HttpMethod } from '../plan.js';
import { buildToolInput, type ToolInput } from './input-schema.js';
import { indexSchemaNames } from './schema-names.js';
import { assertTree, newAjv, prepare } from './test-fixtures.js';

type Ok = Extract<ToolInput, { ok: true }>;

/** One operation in a 3.0 document, through the real upgrader and dereferencer. */
function tool(
  path: string,
  method: string,
  operation: Record<string, unknown>,
  extra: { pathParameters?: unknown[]; components?: Record<string, unknown>; isHidden?: (p: { name: string; in: string }) => boolean } = {},
): ToolInput {
  const doc = prepare({
    openapi: '3.0.3',
    info: { title: 't', version: '1' },
    paths: { [path]: { ...(extra.pathParameters ? { parameters: extra.pathParameters } : {}), [method]: { responses: { 200: { description: 'ok' } }, ...operation } } },
    components: extra.components ?? {},
  });
  const item = doc.paths[path];
  return buildToolInput({
    method: method.toUpperCase() as HttpMethod,
    pathTemplate: path,
    pathItemParameters: item.parameters ?? [],
    operation: item[method],
    isHidden: extra.isHidden ?? (() => false),
    schemaNames: indexSchemaNames(doc),
  });
}

function ok(r: ToolInput): Ok {
  if (!r.ok) throw new Error(`expected a tool, got: ${r.reason}`);
  const ajv = newAjv();
  expect(() => ajv.compile(r.inputSchema)).not.toThrow();
  expect(JSON.parse(JSON.stringify(r.inputSchema))).toEqual(r.inputSchema);
  assertTree(r.inputSchema);
  return r;
}

const str = { type: 'string' };

describe('buildToolInput: parameters', () => {
  it('operation parameters override path-item ones by name and location; OAS style defaults per location', () => {
    const r = ok(
      tool(
        '/items/{id}',
        'get',
        {
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'integer' }, description: 'operation id' },
            { name: 'tags', in: 'query', schema: { type: 'array', items: str } },
            { name: 'X-Trace', in: 'header', schema: str, deprecated: true },
            { name: 'session', in: 'cookie', schema: str },
          ],
        },
        { pathParameters: [{ name: 'id', in: 'path', required: true, schema: str, description: 'path-item id' }, { name: 'limit', in: 'query', schema: { type: 'integer' } }] },
      ),
    );
    expect(r.inputSchema).toEqual({
      type: 'object',
      properties: {
        id: { type: 'integer', description: 'operation id' },
        limit: { type: 'integer' },
        tags: { type: 'array', items: str },
        'X-Trace': { type: 'string', deprecated: true },
        session: str,
      },
      required: ['id'],
      additionalProperties: false,
    });
    expect(r.plan.parameters).toEqual([
      { name: 'id', in: 'path', style: 'simple', explode: false, allowReserved: false, required: true, shape: 'primitive' },
      { name: 'limit', in: 'query', style: 'form', explode: true, allowReserved: false, required: false, shape: 'primitive' },
      { name: 'tags', in: 'query', style: 'form', explode: true, allowReserved: false, required: false, shape: 'array' },
      { name: 'X-Trace', in: 'header', style: 'simple', explode: false, allowReserved: false, required: false, shape: 'primitive' },
      { name: 'session', in: 'cookie', style: 'form', explode: true, allowReserved: false, required: false, shape: 'primitive' },
    ]);
    expect(r.plan.args).toEqual([
      { arg: 'id', to: 'parameter', index: 0 },
      { arg: 'limit', to: 'parameter', index: 1 },
      { arg: 'tags', to: 'parameter', index: 2 },
      { arg: 'X-Trace', to: 'parameter', index: 3 },
      { arg: 'session', to: 'parameter', index: 4 },
    ]);
    expect(r.plan.body).toBeNull();
  });

  it('keeps explicit style, explode and allowReserved; a path parameter is required even if the spec says not', () => {
    const r = ok(
      tool('/{p}', 'get', {
        parameters: [
          { name: 'p', in: 'path', required: false, style: 'label', explode: true, schema: { type: 'array', items: str } },
          { name: 'f', in: 'query', style: 'deepObject', allowReserved: true, schema: { type: 'object', properties: { a: str } } },
          { name: 'q', in: 'query', style: 'matrix', schema: str },
        ],
      }),
    );
    expect(r.plan.parameters).toEqual([
      { name: 'p', in: 'path', style: 'label', explode: true, allowReserved: false, required: true, shape: 'array' },
      { name: 'f', in: 'query', style: 'deepObject', explode: false, allowReserved: true, required: false, shape: 'object' },
      { name: 'q', in: 'query', style: 'form', explode: true, allowReserved: false, required: false, shape: 'primitive' },
    ]);
    expect(r.warnings).toEqual([expect.stringContaining('style "matrix" is not valid here')]);
  });

  it('a content parameter is planned with its JSON media type', () => {
    const r = ok(tool('/s', 'get', { parameters: [{ name: 'filter', in: 'query', content: { 'application/json': { schema: { type: 'object', properties: { a: str } } } } }] }));
    expect(r.plan.parameters[0]).toMatchObject({ name: 'filter', contentType: 'application/json', shape: 'object' });
    expect(r.inputSchema.properties).toEqual({ filter: { type: 'object', properties: { a: str } } });
  });

  it('hides credential and transport headers always, and what the caller hides; a required hidden parameter is no error', () => {
    const headers = ['Authorization', 'proxy-authorization', 'Cookie', 'Host', 'Content-Length', 'Content-Type', 'Transfer-Encoding', 'Connection', 'Upgrade', 'TE', 'Accept'];
    const r = ok(
      tool(
        '/s',
        'get',
        {
          parameters: [
            ...headers.map((name) => ({ name, in: 'header', required: true, schema: str })),
            { name: 'api_key', in: 'query', required: true, schema: str },
            { name: 'X-Visible', in: 'header', schema: str },
            { name: 'authorization', in: 'query', schema: str },
          ],
        },
        { isHidden: (p) => p.name === 'api_key' && p.in === 'query' },
      ),
    );
    expect(Object.keys(r.inputSchema.properties as object)).toEqual(['authorization', 'X-Visible']);
    expect(r.inputSchema.required).toBeUndefined();
    expect(r.plan.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['query:authorization', 'header:X-Visible']);
  });

  it('skips an operation whose path variable has no parameter, or whose path parameter is hidden', () => {
    expect(tool('/a/{id}', 'get', {})).toEqual({ ok: false, reason: 'path template variable {id} has no path parameter' });
    expect(tool('/a/{id}', 'get', { parameters: [{ name: 'id', in: 'path', required: true, schema: str }] }, { isHidden: () => true })).toEqual({
      ok: false,
      reason: 'path parameter "id" is hidden',
    });
  });

  it('a declared path parameter missing from the template is ignored with a warning', () => {
    const r = ok(tool('/a', 'get', { parameters: [{ name: 'ghost', in: 'path', required: true, schema: str }] }));
    expect(r.plan.parameters).toEqual([]);
    expect(r.warnings).toEqual(['path parameter "ghost" is not in the path template; ignored']);
  });

  it('says in words why a parameter is ignored: no name, a bad "in", or empty from a $ref to itself', () => {
    const r = ok(
      tool('/a', 'get', {
        parameters: [
          { in: 'query', schema: str },
          { name: 'id', in: 'body', schema: str },
          { name: 7, schema: str },
          { $ref: '#/components/parameters/Self' },
        ],
      }, { components: { parameters: { Self: { $ref: '#/components/parameters/Self' } } } }),
    );
    expect(r.plan.parameters).toEqual([]);
    expect(r.warnings).toEqual([
      'operation parameter ignored: it has no name',
      'operation parameter ignored: "id": its "in" is "body", not one of path, query, header, cookie',
      'operation parameter ignored: its name is 7, not a non-empty string; it has no "in"',
      'operation parameter ignored: it is empty (a $ref that refers to itself?)',
    ]);
  });

  it('skips an operation with a $ref the dereferencer could not resolve', () => {
    const r = buildToolInput({
      method: 'GET',
      pathTemplate: '/a',
      pathItemParameters: [],
      operation: { parameters: [{ name: 'q', in: 'query', schema: { $ref: 'other.yaml#/Q' } }] },
      isHidden: () => false,
    });
    expect(r).toEqual({ ok: false, reason: 'unresolved $ref "other.yaml#/Q"' });
    const p = buildToolInput({ method: 'GET', pathTemplate: '/a', pathItemParameters: [{ $ref: '#/components/parameters/Missing' }], operation: {}, isHidden: () => false });
    expect(p).toEqual({ ok: false, reason: 'unresolved parameter $ref "#/components/parameters/Missing"' });
  });
});

describe('buildToolInput: request body media types', () => {
  const objectSchema = { type: 'object', properties: { name: str, file: { type: 'string', format: 'binary' } }, required: ['name'] };

  it.each([
    ['application/json over everything', ['application/xml', 'multipart/form-data', 'application/x-www-form-urlencoded', 'application/json'], 'application/json'],
    ['+json over form', ['application/x-www-form-urlencoded', 'application/merge-patch+json'], 'application/merge-patch+json'],
    ['*/* as JSON', ['*/*', 'text/plain'], 'application/json'],
    ['form over multipart', ['multipart/form-data', 'application/x-www-form-urlencoded'], 'application/x-www-form-urlencoded'],
    ['multipart over text', ['text/plain', 'multipart/form-data'], 'multipart/form-data'],
    ['text over octet-stream', ['application/octet-stream', 'text/plain'], 'text/plain'],
    ['octet-stream over other types', ['image/png', 'application/octet-stream'], 'application/octet-stream'],
    ['another type over XML', ['text/xml', 'image/png'], 'image/png'],
  ])('prefers %s', (_name, types, chosen) => {
    const content = Object.fromEntries(types.map((t) => [t, { schema: objectSchema }]));
    expect(ok(tool('/b', 'post', { requestBody: { content } })).plan.body?.mediaType).toBe(chosen);
  });

  it('skips an XML-only body', () => {
    expect(tool('/b', 'post', { requestBody: { content: { 'application/xml': { schema: objectSchema } } } })).toEqual({ ok: false, reason: 'request body is XML only (no XML serializer)' });
  });

  it('JSON object body: flattened, bytes left alone (JSON carries no raw bytes)', () => {
    const r = ok(tool('/b', 'post', { requestBody: { required: true, content: { 'application/json': { schema: objectSchema } } } }));
    expect(r.inputSchema).toEqual({
      type: 'object',
      // The upgrader turned format: binary into contentMediaType; in JSON it stays an annotation.
      properties: { name: str, file: { type: 'string', contentMediaType: 'application/octet-stream' } },
      required: ['name'],
      additionalProperties: false,
    });
    expect(r.plan.body).toEqual({ mediaType: 'application/json', required: true, encoding: {}, binary: [], shapes: { name: 'primitive', file: 'primitive' } });
    expect(r.plan.args).toEqual([
      { arg: 'name', to: 'body-property', property: 'name' },
      { arg: 'file', to: 'body-property', property: 'file' },
    ]);
  });

  it('multipart body: files become base64 arguments marked binary, encoding kept', () => {
    const r = ok(
      tool('/b', 'post', {
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: { type: 'object', properties: { name: str, file: { type: 'string', format: 'binary' }, files: { type: 'array', items: { type: 'string', format: 'binary' } }, meta: { type: 'object' } } },
              encoding: { file: { contentType: 'image/png' }, meta: { contentType: 'application/json', style: 'form', explode: false, headers: { 'X-A': {} } } },
            },
          },
        },
      }),
    );
    expect(r.inputSchema.properties).toEqual({
      name: str,
      file: { type: 'string', contentEncoding: 'base64', description: 'Bytes (base64)' },
      files: { type: 'array', items: { type: 'string', contentEncoding: 'base64', description: 'Bytes (base64)' } },
      meta: { type: 'object' },
    });
    expect(r.plan.body).toEqual({
      mediaType: 'multipart/form-data',
      required: true,
      encoding: { file: { contentType: 'image/png' }, meta: { contentType: 'application/json', style: 'form', explode: false } },
      binary: ['file', 'files'],
      shapes: { name: 'primitive', file: 'primitive', files: 'array', meta: 'object' },
    });
  });

  it('form body: flattened with shapes for serialization', () => {
    const r = ok(tool('/b', 'post', { requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { a: { type: 'object', properties: { b: str } }, n: { type: 'integer' } } }, encoding: { a: { style: 'deepObject', explode: true } } } } } }));
    expect(r.plan.body).toEqual({ mediaType: 'application/x-www-form-urlencoded', required: false, encoding: { a: { style: 'deepObject', explode: true } }, binary: [], shapes: { a: 'object', n: 'primitive' } });
  });

  it('text/plain body: one string argument', () => {
    const r = ok(tool('/b', 'post', { requestBody: { required: true, description: 'Markdown', content: { 'text/plain': { schema: str } } } }));
    expect(r.inputSchema).toEqual({ type: 'object', properties: { body: { type: 'string', description: 'Markdown' } }, required: ['body'], additionalProperties: false });
    expect(r.plan.args).toEqual([{ arg: 'body', to: 'body' }]);
    expect(r.plan.body).toMatchObject({ mediaType: 'text/plain', binary: [] });
  });

  it('octet-stream and other byte bodies: one base64 argument, the whole body binary', () => {
    for (const type of ['application/octet-stream', 'image/png']) {
      const r = ok(tool('/b', 'post', { requestBody: { required: true, content: { [type]: { schema: { type: 'string', format: 'binary' } } } } }));
      expect(r.inputSchema.properties).toEqual({ body: { type: 'string', contentEncoding: 'base64', description: 'Request body bytes (base64)' } });
      expect(r.plan.body).toMatchObject({ mediaType: type, binary: [''] });
      expect(r.plan.args).toEqual([{ arg: 'body', to: 'body' }]);
    }
  });

  it('a body without content sends nothing', () => {
    const r = ok(tool('/b', 'post', { requestBody: { content: {} } }));
    expect(r.plan.body).toBeNull();
  });
});

describe('buildToolInput: request body shapes', () => {
  it('merges a root allOf (nested, through $refs) into flattened properties', () => {
    const r = ok(
      tool(
        '/b',
        'post',
        {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { allOf: [{ $ref: '#/components/schemas/Named' }, { type: 'object', properties: { age: { type: 'integer' }, id: { type: 'integer', readOnly: true } }, required: ['age', 'id'] }] },
              },
            },
          },
        },
        { components: { schemas: { Base: { type: 'object', properties: { kind: str }, required: ['kind'] }, Named: { allOf: [{ $ref: '#/components/schemas/Base' }, { properties: { name: str } }] } } } },
      ),
    );
    expect(r.inputSchema).toEqual({
      type: 'object',
      properties: { kind: str, name: str, age: { type: 'integer' } },
      required: ['kind', 'age'],
      additionalProperties: false,
    });
  });

  it.each([
    ['an array', { type: 'array', items: str }],
    ['a scalar', { type: 'integer' }],
    ['a root oneOf', { oneOf: [{ type: 'object', properties: { a: str } }, { type: 'object', properties: { b: str } }] }],
    ['a map (additionalProperties only)', { type: 'object', additionalProperties: { type: 'integer' } }],
    ['a free-form object', { type: 'object' }],
  ])('%s goes under one `body` argument', (_name, schema) => {
    const r = ok(tool('/b', 'post', { requestBody: { required: true, content: { 'application/json': { schema } } } }));
    expect(r.inputSchema).toEqual({ type: 'object', properties: { body: schema }, required: ['body'], additionalProperties: false });
    expect(r.plan.args).toEqual([{ arg: 'body', to: 'body' }]);
  });

  it('an optional body: none of its properties is required', () => {
    const r = ok(tool('/b', 'post', { requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { a: str }, required: ['a'] } } } } }));
    expect(r.inputSchema.required).toBeUndefined();
    expect(r.plan.body?.required).toBe(false);
  });

  it('recursive body properties: $defs hoisted to the root, never a composition at the root', () => {
    const r = ok(
      tool(
        '/b',
        'post',
        { parameters: [{ name: 'q', in: 'query', schema: { $ref: '#/components/schemas/Node' } }], requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { root: { $ref: '#/components/schemas/Node' } } } } } } },
        { components: { schemas: { Node: { type: 'object', properties: { next: { $ref: '#/components/schemas/Node' } } } } } },
      ),
    );
    expect(r.inputSchema).toEqual({
      type: 'object',
      properties: { q: { $ref: '#/$defs/Node' }, root: { $ref: '#/$defs/Node' } },
      additionalProperties: false,
      $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } },
    });
    const validate = newAjv().compile(r.inputSchema);
    expect(validate({ root: { next: { next: {} } } })).toBe(true);
    expect(validate({ root: { next: { next: 1 } } })).toBe(false);
  });
});

describe('buildToolInput: argument name clashes', () => {
  const body = (properties: Record<string, unknown>): Record<string, unknown> => ({ requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties, required: Object.keys(properties) } } } } });

  it('a parameter clashing with a body property is renamed <name>__<in>; the property keeps its name', () => {
    const r = ok(tool('/u/{id}', 'put', { parameters: [{ name: 'id', in: 'path', required: true, schema: str }], ...body({ id: { type: 'integer' }, name: str }) }));
    expect(Object.keys(r.inputSchema.properties as object)).toEqual(['id__path', 'id', 'name']);
    expect(r.inputSchema.required).toEqual(['id__path', 'id', 'name']);
    expect(r.plan.args).toEqual([
      { arg: 'id__path', to: 'parameter', index: 0 },
      { arg: 'id', to: 'body-property', property: 'id' },
      { arg: 'name', to: 'body-property', property: 'name' },
    ]);
    expect(r.plan.parameters[0]?.name).toBe('id');
  });

  it('parameters of one name in several locations are all renamed, whatever their order', () => {
    const params = [
      { name: 'id', in: 'path', required: true, schema: str },
      { name: 'id', in: 'query', schema: str },
      { name: 'id', in: 'header', schema: str },
      { name: 'other', in: 'query', schema: str },
    ];
    const forward = ok(tool('/u/{id}', 'get', { parameters: params }));
    const backward = ok(tool('/u/{id}', 'get', { parameters: [...params].reverse() }));
    const argOf = (r: Ok): Record<string, string> => Object.fromEntries(r.plan.args.map((a) => [a.to === 'parameter' ? `${r.plan.parameters[a.index]?.in}:${r.plan.parameters[a.index]?.name}` : '', a.arg]));
    expect(argOf(forward)).toEqual({ 'path:id': 'id__path', 'query:id': 'id__query', 'header:id': 'id__header', 'query:other': 'other' });
    expect(argOf(backward)).toEqual(argOf(forward));
  });

  it('a renamed parameter whose new name is taken gets a stable hash', () => {
    const r = ok(tool('/u/{id}', 'put', { parameters: [{ name: 'id', in: 'path', required: true, schema: str }], ...body({ id: str, id__path: str }) }));
    const arg = r.plan.args[0]?.arg;
    expect(arg).toMatch(/^id__path_[0-9a-f]{6}$/);
    const again = ok(tool('/u/{id}', 'put', { parameters: [{ name: 'id', in: 'path', required: true, schema: str }], ...body({ id__path: str, id: str }) }));
    expect(again.plan.args[0]?.arg).toBe(arg);
  });

  it('a wrapped body is `body`, or `body__body` when a parameter is called body (which keeps its name)', () => {
    const arrayBody = { requestBody: { required: true, content: { 'application/json': { schema: { type: 'array', items: str } } } } };
    const plain = ok(tool('/b', 'post', { ...arrayBody, parameters: [{ name: 'q', in: 'query', schema: str }] }));
    expect(plain.plan.args.map((a) => a.arg)).toEqual(['q', 'body']);
    const r = ok(tool('/b', 'post', { ...arrayBody, parameters: [{ name: 'body', in: 'query', schema: str }] }));
    expect(r.plan.args).toEqual([
      { arg: 'body', to: 'parameter', index: 0 },
      { arg: 'body__body', to: 'body' },
    ]);
    expect(r.inputSchema.required).toEqual(['body__body']);
  });

  it('a flattened body property called body is an ordinary property', () => {
    const r = ok(tool('/b', 'post', { parameters: [{ name: 'body', in: 'query', schema: str }], ...body({ body: str }) }));
    expect(r.plan.args).toEqual([
      { arg: 'body__query', to: 'parameter', index: 0 },
      { arg: 'body', to: 'body-property', property: 'body' },
    ]);
  });
});

describe('buildToolInput: malformed operations', () => {
  it('a body whose allOf contains itself is wrapped, not flattened forever', () => {
    const loop: Record<string, any> = { type: 'object', properties: { a: str } };
    loop.allOf = [loop];
    const r = ok(buildToolInput({ method: 'POST', pathTemplate: '/b', pathItemParameters: [], operation: { requestBody: { content: { 'application/json': { schema: loop } } } }, isHidden: () => false }));
    expect(r.plan.args).toEqual([{ arg: 'body', to: 'body' }]);
    expect(r.inputSchema.$defs).toBeDefined();
  });

  it('odd values where objects belong are skipped or ignored, never thrown on', () => {
    const cases: unknown[] = [
      null,
      { parameters: 'x' },
      { parameters: [null, 5, { name: 'q' }, { name: 'q', in: 'body' }], requestBody: 'x' },
      { requestBody: { content: { 'application/json': null, 'text/plain': 5 } } },
      { requestBody: { content: { 'multipart/form-data': { schema: { type: 'object', properties: { f: { type: 'string', format: 'binary' } } }, encoding: { f: 'x', g: { style: 'matrix', explode: 'yes' } } } } } },
    ];
    for (const operation of cases) {
      const r = buildToolInput({ method: 'POST', pathTemplate: '/b', pathItemParameters: [], operation, isHidden: () => false });
      if (r.ok) ok(r);
      else expect(r.reason).toEqual(expect.any(String));
    }
  });
});
