import { describe, expect, it } from 'vitest';
import { argumentChecker } from './argument-validation.js';

describe('argument checks', () => {
  const check = argumentChecker({
    type: 'object',
    properties: { id: { type: 'integer', minimum: 1 }, tags: { type: 'array', items: { type: 'string' } }, node: { $ref: '#/$defs/node' } },
    required: ['id'],
    additionalProperties: false,
    $defs: { node: { type: 'object', properties: { next: { $ref: '#/$defs/node' }, v: { type: ['string', 'null'] } } } },
  });

  it('accepts valid arguments', () => {
    expect(check({ id: 3, tags: ['a'], node: { v: null, next: { v: 'x' } } })).toEqual([]);
  });

  it('lists every violation with where it is, not only the first', () => {
    const problems = check({ id: 'seven', tags: ['a', 5], extra: true, node: { next: { v: 1 } } });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^id: .*integer/),
        expect.stringMatching(/^tags\.1: .*string/),
        expect.stringMatching(/^extra: not allowed/),
        expect.stringMatching(/^node\.next\.v: /),
      ]),
    );
  });

  it('reports a missing required argument', () => {
    expect(check({})).toEqual([expect.stringMatching(/^\(arguments\): .*"id"/)]);
  });

  it('treats __proto__ as data', () => {
    const args = JSON.parse('{"id": 1, "__proto__": {"polluted": true}}');
    expect(check(args)).toEqual([expect.stringMatching(/^__proto__: not allowed/)]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never runs a spec\'s regular expressions (they could backtrack for minutes), and checks everything else', () => {
    const check = argumentChecker({
      type: 'object',
      properties: { a: { type: 'string', pattern: '^(a|a?)+$', maxLength: 8 }, b: { type: 'object', patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false } },
    });
    // Checked, 'b' would fail ^(a|a?)+$, and 'aaaa…!' would backtrack for minutes.
    expect(check({ a: 'b' })).toEqual([]);
    expect(check({ a: 'aaaaaaa!' })).toEqual([]);
    expect(check({ a: 'way too long for it' })).toEqual([expect.stringMatching(/^a: /)]);
    expect(check({ b: { 'x-one': 'v' } })).toEqual([]);
  });

  it('leaves data called pattern alone', () => {
    const schema = { type: 'object', properties: { b: { type: 'object', default: { pattern: '(x+)+' } } } };
    argumentChecker(schema)({ b: {} });
    expect((schema.properties.b.default as { pattern: string }).pattern).toBe('(x+)+');
  });
});
