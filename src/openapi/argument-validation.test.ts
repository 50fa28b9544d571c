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

  it('does not run patterns that can backtrack exponentially, and still runs the others', () => {
    const risky = argumentChecker({ type: 'object', properties: { a: { type: 'string', pattern: '^(a+)+$' }, b: { type: 'string', pattern: '^[0-9]+$' } } });
    // Checked, `b` would fail ^(a+)+$: it passes because the pattern is not run at all.
    expect(risky({ a: 'b' })).toEqual([]);
    expect(risky({ a: `${'a'.repeat(40)}!` })).toEqual([]);
    expect(risky({ b: 'x1' })).toEqual([expect.stringMatching(/^b: /)]);
  });

  it('looks for risky patterns under properties named like keywords, and leaves data alone', () => {
    const schema = {
      type: 'object',
      properties: { default: { type: 'string', pattern: '^(a+)+$' }, b: { type: 'object', default: { pattern: '(x+)+' }, properties: { c: { type: 'string', pattern: '^c$' } } } },
    };
    const check = argumentChecker(schema);
    expect(check({ default: 'zzz' })).toEqual([]);
    expect(check({ b: { c: 'd' } })).toEqual([expect.stringMatching(/^b\.c: /)]);
    expect((schema.properties.b.default as { pattern: string }).pattern).toBe('(x+)+');
  });
});
