import { describe, expect, it } from 'vitest';
import { buildOutputSchema, RESULT_KEY } from './output-schema.js';
import { indexSchemaNames } from './schema-names.js';
import { assertTree, newAjv, prepare } from './test-fixtures.js';

const json = (schema: unknown): Record<string, unknown> => ({ description: 'ok', content: { 'application/json': { schema } } });
const obj = { type: 'object', properties: { id: { type: 'integer' } } };

describe('buildOutputSchema', () => {
  it('takes 200 before 201 before the other 2xx, whatever the order in the spec', () => {
    const r = buildOutputSchema({ responses: { 202: json({ type: 'object', title: '202' }), 201: json({ type: 'object', title: '201' }), 200: json({ type: 'object', title: '200' }) } });
    expect(r.schema).toEqual({ type: 'object', title: '200' });
    expect(buildOutputSchema({ responses: { 204: { description: 'none' }, 202: json({ type: 'object', title: '202' }), 201: json({ type: 'object', title: '201' }) } }).schema).toEqual({
      type: 'object',
      title: '201',
    });
  });

  it('skips success responses without a JSON body; none at all gives no schema', () => {
    expect(buildOutputSchema({ responses: { 200: { description: 'text', content: { 'text/plain': { schema: { type: 'string' } } } }, 202: json(obj) } }).schema).toEqual(obj);
    expect(buildOutputSchema({ responses: { 204: { description: 'none' }, default: json(obj) } })).toEqual({ schema: null, warnings: [] });
    expect(buildOutputSchema({})).toEqual({ schema: null, warnings: [] });
  });

  it('an object response is the schema; writeOnly properties are left out', () => {
    const r = buildOutputSchema({ responses: { 200: json({ type: ['object', 'null'], properties: { id: { type: 'integer' }, secret: { type: 'string', writeOnly: true } }, required: ['id', 'secret'] }) } });
    expect(r.schema).toEqual({ type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] });
  });

  it.each([
    ['an array', { type: 'array', items: obj }],
    ['a string', { type: 'string' }],
    ['a nullable number', { type: ['number', 'null'] }],
  ])(`%s is wrapped under "${RESULT_KEY}", as the result mapper wraps it`, (_name, schema) => {
    const r = buildOutputSchema({ responses: { 200: json(schema) } });
    expect(r.schema).toEqual({ type: 'object', properties: { result: schema }, required: ['result'] });
    const validate = newAjv().compile(r.schema!);
    expect(validate({ result: schema.type === 'string' ? 'x' : schema.type === 'array' ? [{ id: 1 }] : null })).toBe(true);
  });

  it('a schema allowing both objects and non-objects gives no output schema, with a warning', () => {
    const r = buildOutputSchema({ responses: { 200: json({ oneOf: [obj, { type: 'array' }] }) } });
    expect(r.schema).toBeNull();
    expect(r.warnings).toEqual([expect.stringContaining('objects and non-objects')]);
  });

  it('a recursive response keeps its $defs at the root, also when wrapped', () => {
    const doc = prepare({
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      paths: {
        '/tree': { get: { responses: { 200: json({ $ref: '#/components/schemas/Tree' }) } } },
        '/forest': { get: { responses: { 200: json({ type: 'array', items: { $ref: '#/components/schemas/Tree' } }) } } },
      },
      components: { schemas: { Tree: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/components/schemas/Tree' } } } } } },
    });
    const names = indexSchemaNames(doc);
    const tree = buildOutputSchema(doc.paths['/tree'].get, { schemaNames: names }).schema!;
    const forest = buildOutputSchema(doc.paths['/forest'].get, { schemaNames: names }).schema!;
    const def = { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Tree' } } } };
    expect(tree).toEqual({ type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Tree' } } }, $defs: { Tree: def } });
    expect(forest).toEqual({ type: 'object', properties: { result: { type: 'array', items: { $ref: '#/$defs/Tree' } } }, required: ['result'], $defs: { Tree: def } });
    assertTree(forest);
    expect(newAjv().compile(forest)({ result: [{ children: [{ children: [] }] }] })).toBe(true);
    expect(newAjv().compile(tree)({ children: [{ children: 'no' }] })).toBe(false);
  });
});
