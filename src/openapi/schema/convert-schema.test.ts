import { describe, expect, it } from 'vitest';
import { convertSchema, TRUNCATED_DESCRIPTION } from './convert-schema.js';
import { indexSchemaNames } from './schema-names.js';
import { assertTree, newAjv, prepare } from './test-fixtures.js';

const request = { direction: 'request' } as const;
const response = { direction: 'response' } as const;

describe('convertSchema: keywords', () => {
  it('keeps the JSON Schema validation and annotation keywords', () => {
    const schema = {
      type: 'object',
      title: 'T',
      description: 'd',
      deprecated: true,
      properties: {
        s: { type: 'string', format: 'email', pattern: '^[a-z]+$', minLength: 1, maxLength: 9, default: 'ab', examples: ['abc'] },
        n: { type: 'number', minimum: 0, maximum: 10, exclusiveMinimum: -1, exclusiveMaximum: 11, multipleOf: 0.5 },
        e: { enum: ['a', 'b', 1] },
        c: { const: { k: [1, 2] } },
        a: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 3, uniqueItems: true },
        t: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false },
        m: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1, maxProperties: 4 },
        x: { allOf: [{ type: 'string' }], anyOf: [{ minLength: 1 }, { maxLength: 3 }], oneOf: [{ const: 'a' }, { const: 'b' }], not: { const: 'c' } },
      },
      required: ['s'],
      additionalProperties: false,
    };
    const { schema: out, warnings } = convertSchema(schema, request);
    expect(out).toEqual(schema);
    expect(warnings).toEqual([]);
  });

  it.each([
    ['discriminator', { oneOf: [{ type: 'object' }], discriminator: { propertyName: 'kind' } }, { oneOf: [{ type: 'object' }] }],
    ['xml and externalDocs', { type: 'string', xml: { name: 'x' }, externalDocs: { url: 'https://x' } }, { type: 'string' }],
    ['x- extensions', { type: 'string', 'x-internal': true, 'x-foo': { a: 1 } }, { type: 'string' }],
    ['3.0 example (the upgrader made it examples)', { type: 'string', example: 'a' }, { type: 'string' }],
    ['$id, $schema, $anchor and local $defs', { $id: 'https://x/s', $schema: 'https://json-schema.org/draft/2020-12/schema', $anchor: 'a', $defs: { a: {} }, type: 'string' }, { type: 'string' }],
    ['unknown types', { type: ['string', 'int'] }, { type: 'string' }],
  ])('drops %s', (_name, input, expected) => {
    expect(convertSchema(input, request).schema).toEqual(expected);
  });

  it.each([
    ['an array without items gets items: {}', { type: 'array' }, { type: 'array', items: {} }],
    ['a nullable array without items too', { type: ['array', 'null'] }, { type: ['array', 'null'], items: {} }],
    ['a nullable enum gets null as a member', { type: ['string', 'null'], enum: ['a', 'b'] }, { type: ['string', 'null'], enum: ['a', 'b', null] }],
    ['a leftover 3.0 nullable with a type', { type: 'string', nullable: true, enum: ['a'] }, { type: ['string', 'null'], enum: ['a', null] }],
    [
      'a leftover nullable without type means "or null"',
      { nullable: true, description: 'd', allOf: [{ type: 'object' }] },
      { description: 'd', anyOf: [{ allOf: [{ type: 'object' }] }, { type: 'null' }] },
    ],
    ['boolean exclusiveMinimum (3.0) becomes numeric', { type: 'number', minimum: 1, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: false }, { type: 'number', exclusiveMinimum: 1, maximum: 5 }],
    ['draft-04 tuple items become prefixItems', { type: 'array', items: [{ type: 'string' }] }, { type: 'array', prefixItems: [{ type: 'string' }], items: {} }],
    ['nested boolean schemas stay', { type: 'object', properties: { a: true, b: false }, additionalProperties: false }, { type: 'object', properties: { a: true, b: false }, additionalProperties: false }],
    ['duplicate required names collapse', { type: 'object', required: ['a', 'a'] }, { type: 'object', required: ['a'] }],
    ['empty composition lists are dropped', { allOf: [], type: 'string' }, { type: 'string' }],
  ])('%s', (_name, input, expected) => {
    expect(convertSchema(input, request).schema).toEqual(expected);
  });

  it('a boolean root becomes an object schema', () => {
    expect(convertSchema(true, request).schema).toEqual({});
    expect(convertSchema(false, request).schema).toEqual({ not: {} });
  });

  it('drops a pattern no validator can compile (unicode mode), with a warning', () => {
    const { schema, warnings } = convertSchema({ type: 'string', pattern: '^[\\w-\\.]+$' }, request);
    expect(schema).toEqual({ type: 'string' });
    expect(warnings).toEqual([expect.stringContaining('pattern')]);
    expect(() => newAjv().compile(convertSchema({ type: 'object', patternProperties: { '(': {} } }, request).schema)).not.toThrow();
  });

  it('drops values that are not JSON or are cyclic, with a warning, and never throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { schema, warnings } = convertSchema({ type: 'object', default: cyclic, enum: [cyclic], examples: [cyclic] }, request);
    expect(schema).toEqual({ type: 'object' });
    expect(warnings).toHaveLength(2);
  });

  it('keeps a __proto__ property as a property, without touching any prototype', () => {
    const input = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"number"}},"required":["__proto__"]}');
    const { schema } = convertSchema(input, request);
    const props = schema.properties as Record<string, unknown>;
    expect(Object.keys(props)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"number"}},"required":["__proto__"]}'));
    expect(() => newAjv().compile(schema)).not.toThrow();
  });

  it('reports a leftover $ref instead of throwing', () => {
    const r = convertSchema({ type: 'object', properties: { a: { $ref: 'https://example.com/s.json' } } }, request);
    expect(r.unresolvedRefs).toEqual(['https://example.com/s.json']);
  });
});

describe('convertSchema: readOnly and writeOnly', () => {
  const user = {
    type: 'object',
    properties: { id: { type: 'integer', readOnly: true }, password: { type: 'string', writeOnly: true }, name: { type: 'string' } },
    required: ['id', 'password', 'name'],
  };

  it('a request leaves out readOnly properties, also from required', () => {
    expect(convertSchema(user, request).schema).toEqual({
      type: 'object',
      properties: { password: { type: 'string', writeOnly: true }, name: { type: 'string' } },
      required: ['password', 'name'],
    });
  });

  it('a response leaves out writeOnly properties, also from required', () => {
    expect(convertSchema(user, response).schema).toEqual({
      type: 'object',
      properties: { id: { type: 'integer', readOnly: true }, name: { type: 'string' } },
      required: ['id', 'name'],
    });
  });

  it('required beside an allOf forgets the readOnly properties its members declare', () => {
    const out = convertSchema({ required: ['id', 'name'], allOf: [{ type: 'object', properties: { id: { readOnly: true, type: 'integer' }, name: { type: 'string' } } }] }, request).schema;
    expect(out.required).toEqual(['name']);
  });
});

describe('convertSchema: bytes', () => {
  it.each([
    ['format: binary', { type: 'string', format: 'binary', description: 'The file' }, 'The file (base64)'],
    ['contentMediaType (what the upgrader makes of format: binary)', { type: 'string', contentMediaType: 'image/png' }, 'Bytes (base64, image/png)'],
    ['contentEncoding', { type: 'string', contentEncoding: 'base64' }, 'Bytes (base64)'],
  ])('a request string with %s becomes a base64 string and is reported', (_name, input, description) => {
    const r = convertSchema({ type: 'object', properties: { f: input, list: { type: 'array', items: input } } }, request);
    expect(r.schema.properties).toEqual({
      f: { type: 'string', contentEncoding: 'base64', description },
      list: { type: 'array', items: { type: 'string', contentEncoding: 'base64', description } },
    });
    expect(r.binary).toEqual(['/properties/f', '/properties/list/items']);
  });

  it('keep mode and responses leave the content keywords as annotations', () => {
    const input = { type: 'string', contentMediaType: 'application/json', contentEncoding: 'base64' };
    expect(convertSchema(input, { ...request, binary: 'keep' }).schema).toEqual(input);
    expect(convertSchema(input, response)).toMatchObject({ schema: input, binary: [] });
  });
});

describe('convertSchema: recursion', () => {
  it('a self-recursive schema becomes a $defs entry named by its title, and validates', () => {
    const node: Record<string, any> = { title: 'Node', type: 'object', properties: { value: { type: 'integer' } }, required: ['value'] };
    node.properties.children = { type: 'array', items: node };
    const { schema, warnings } = convertSchema(node, request);
    expect(warnings).toEqual([]);
    expect(schema).toEqual({
      $ref: '#/$defs/Node',
      $defs: {
        Node: { title: 'Node', type: 'object', properties: { value: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } }, required: ['value'] },
      },
    });
    assertTree(schema);
    const validate = newAjv().compile(schema);
    expect(validate({ value: 1, children: [{ value: 2, children: [] }] })).toBe(true);
    expect(validate({ value: 1, children: [{ value: 'two' }] })).toBe(false);
  });

  it('mutual recursion through the dereferencer: the component met again on its own path becomes the entry, named after it', () => {
    const doc = prepare({
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      paths: {},
      components: {
        schemas: {
          Person: { type: 'object', properties: { name: { type: 'string' }, employer: { $ref: '#/components/schemas/Company' } } },
          Company: { type: 'object', properties: { title: { type: 'string' }, staff: { type: 'array', items: { $ref: '#/components/schemas/Person' } } } },
        },
      },
    });
    const input = { type: 'object', properties: { boss: doc.components.schemas.Person, firm: doc.components.schemas.Company } };
    const { schema } = convertSchema(input, { ...request, names: indexSchemaNames(doc) });
    // Person -> Company -> Person: one entry breaks the cycle; Company stays inline, twice.
    expect(Object.keys(schema.$defs as object)).toEqual(['Person']);
    expect((schema.properties as any).boss).toEqual({ $ref: '#/$defs/Person' });
    const company = { type: 'object', properties: { title: { type: 'string' }, staff: { type: 'array', items: { $ref: '#/$defs/Person' } } } };
    expect((schema.$defs as any).Person.properties.employer).toEqual(company);
    expect((schema.properties as any).firm).toEqual(company);
    assertTree(schema);
    const validate = newAjv().compile(JSON.parse(JSON.stringify(schema)));
    expect(validate({ boss: { name: 'a', employer: { title: 'c', staff: [{ name: 'b' }] } } })).toBe(true);
    expect(validate({ boss: { employer: { staff: [{ name: 3 }] } } })).toBe(false);
  });

  it('names are deterministic without titles or component names', () => {
    const make = (): unknown => {
      const a: Record<string, any> = { type: 'object', properties: {} };
      const b: Record<string, any> = { type: 'object', properties: { a } };
      a.properties.b = b;
      a.properties.self = a;
      return { type: 'object', properties: { x: a } };
    };
    const first = JSON.stringify(convertSchema(make(), request).schema);
    expect(JSON.stringify(convertSchema(make(), request).schema)).toBe(first);
    expect(Object.keys(JSON.parse(first).$defs)).toEqual(['Schema1']);
  });

  it('a recursive schema shared by two properties is defined once', () => {
    const tree: Record<string, any> = { type: 'object', properties: {} };
    tree.properties.next = tree;
    const { schema } = convertSchema({ type: 'object', properties: { a: tree, b: tree } }, request);
    expect(schema.properties).toEqual({ a: { $ref: '#/$defs/Schema1' }, b: { $ref: '#/$defs/Schema1' } });
    expect(Object.keys(schema.$defs as object)).toEqual(['Schema1']);
  });

  it('non-recursive shared schemas are inlined, as separate copies', () => {
    const shared = { type: 'string', enum: ['a'] };
    const { schema } = convertSchema({ type: 'object', properties: { a: shared, b: shared } }, request);
    expect(schema).toEqual({ type: 'object', properties: { a: shared, b: shared } });
    expect((schema.properties as any).a).not.toBe((schema.properties as any).b);
    assertTree(schema);
  });

  it('shareRepeated moves a large repeated schema to $defs', () => {
    const shared = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } } };
    const { schema } = convertSchema({ type: 'object', properties: { x: shared, y: { type: 'array', items: shared } } }, { ...request, shareRepeated: 3 });
    expect(schema.properties).toEqual({ x: { $ref: '#/$defs/Schema1' }, y: { type: 'array', items: { $ref: '#/$defs/Schema1' } } });
    expect(schema.$defs).toEqual({ Schema1: shared });
  });
});

describe('convertSchema: bounds', () => {
  it('cuts at the node budget with a described placeholder and one warning', () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) properties[`p${i}`] = { type: 'string' };
    const { schema, warnings } = convertSchema({ type: 'object', properties }, { ...request, maxNodes: 10 });
    const props = schema.properties as Record<string, unknown>;
    expect(props.p0).toEqual({ type: 'string' });
    expect(props.p99).toEqual({ description: TRUNCATED_DESCRIPTION });
    expect(warnings).toEqual([expect.stringContaining('cut at 10 nodes')]);
  });

  it('cuts at the depth limit', () => {
    let deep: unknown = { type: 'string' };
    for (let i = 0; i < 200; i++) deep = { type: 'array', items: deep };
    const { schema, warnings } = convertSchema(deep, request);
    expect(JSON.stringify(schema)).toContain(TRUNCATED_DESCRIPTION);
    expect(warnings).toEqual([expect.stringContaining('depth 64')]);
    expect(() => newAjv().compile(schema)).not.toThrow();
  });
});

describe('convertSchema: malformed input', () => {
  it('never throws on keywords of the wrong kind, and what it returns compiles', () => {
    const loop: Record<string, any> = { allOf: [] };
    loop.allOf.push(loop);
    const hostile: unknown[] = [
      { type: 5, properties: [], required: 'a', enum: 'x', items: 'x', allOf: {}, minLength: -1, maxItems: 1.5, multipleOf: 0, pattern: 7 },
      { properties: { a: 'not a schema', b: null, c: 42 } },
      { type: ['string', 'string', 'null'], const: undefined, default: () => 1 },
      { not: loop, anyOf: [loop, loop] },
      { additionalProperties: 'yes', patternProperties: { '[': {} }, dependentRequired: { a: 'b' } },
      null,
      'string',
      [],
    ];
    const ajv = newAjv();
    for (const input of hostile) {
      const r = convertSchema(input, request);
      assertTree(r.schema);
      expect(() => ajv.compile(JSON.parse(JSON.stringify(r.schema)))).not.toThrow();
    }
  });
});
