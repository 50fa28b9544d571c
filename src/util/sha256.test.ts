import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Base64url, sha256Hex } from './sha256.js';

describe('sha256 one-shot digests', () => {
  it('equal createHash for text (UTF-8) and bytes', () => {
    for (const text of ['', 'abc', 'héllo \u{1F600}', 'x'.repeat(100_000)]) {
      const want = createHash('sha256').update(text).digest();
      expect(sha256Hex(text)).toBe(want.toString('hex'));
      expect(sha256Hex(Buffer.from(text))).toBe(want.toString('hex'));
      expect(sha256Base64url(text)).toBe(want.toString('base64url'));
    }
  });

  it('digest only the view of a Buffer that is a slice of a larger one', () => {
    const big = Buffer.from('prefix-payload-suffix');
    const view = big.subarray(7, 14);
    expect(sha256Hex(view)).toBe(createHash('sha256').update('payload').digest('hex'));
  });
});
