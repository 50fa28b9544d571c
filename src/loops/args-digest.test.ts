import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { argsDigest } from './args-digest.js';

describe('argsDigest', () => {
  it('is the first 22 base64url characters of the SHA-256 of the canonical JSON', () => {
    const expected = createHash('sha256').update('{"a":1,"b":[true,null]}').digest('base64url').slice(0, 22);
    expect(argsDigest({ b: [true, null], a: 1 })).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('does not depend on key order, at any depth', () => {
    expect(argsDigest({ q: 'x', opts: { limit: 5, sort: 'asc' } })).toBe(argsDigest({ opts: { sort: 'asc', limit: 5 }, q: 'x' }));
  });

  it('treats an undefined property like an absent one, as JSON does', () => {
    expect(argsDigest({ a: 1, b: undefined })).toBe(argsDigest({ a: 1 }));
  });

  it('tells apart values that differ in a value, in array order or in type', () => {
    const digests = new Set([
      argsDigest({ a: 1 }),
      argsDigest({ a: 2 }),
      argsDigest({ a: '1' }),
      argsDigest([1, 2]),
      argsDigest([2, 1]),
      argsDigest(null),
      argsDigest({}),
    ]);
    expect(digests.size).toBe(7);
  });
});
