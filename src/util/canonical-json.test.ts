import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonWithin } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, so key order never changes the hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('normalizes undefined and non-finite numbers like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, NaN, Infinity] })).toBe('{"b":[null,null,null]}');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(-0)).toBe('0');
  });

  it('never throws on cycles, bigint or deep nesting', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(canonicalJson(cyclic)).toBe('{"a":1,"self":"[Circular]"}');
    expect(canonicalJson({ n: 10n })).toBe('{"n":"10"}');
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(canonicalJson(deep)).toContain('[TooDeep]');
  });

  it('honours toJSON (dates)', () => {
    expect(canonicalJson({ d: new Date(0) })).toBe('{"d":"1970-01-01T00:00:00.000Z"}');
  });

  it('applies toJSON once and unwraps boxed primitives, as JSON.stringify does', () => {
    const self = { a: 1, toJSON() { return this; } };
    expect(canonicalJson({ self })).toBe('{"self":{"a":1}}');
    expect(JSON.parse(canonicalJson({ self }))).toEqual(JSON.parse(JSON.stringify({ self })));
    const boxed = { s: new String('a'), n: new Number(5), b: new Boolean(false) };
    expect(canonicalJson(boxed)).toBe('{"b":false,"n":5,"s":"a"}');
    expect(JSON.parse(canonicalJson(boxed))).toEqual(JSON.parse(JSON.stringify(boxed)));
  });

  it('canonicalJsonWithin gives up early on output past the cap (repeated references to a large string)', () => {
    const big = 'x'.repeat(1 << 20);
    const details: Record<string, string> = {};
    for (let i = 0; i < 600; i++) details['k' + i] = big; // ~600 MiB as JSON
    expect(canonicalJsonWithin(details, 64 * 1024)).toBeNull();
    expect(canonicalJsonWithin([big], 64 * 1024)).toBeNull();
    expect(canonicalJsonWithin({ b: [1, 'two'], a: null }, 64 * 1024)).toBe(canonicalJson({ b: [1, 'two'], a: null }));
    expect(canonicalJsonWithin('abc', 5)).toBe('"abc"');
    expect(canonicalJsonWithin('abcdef', 5)).toBeNull();
  });
});
