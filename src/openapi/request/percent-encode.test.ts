import { describe, expect, it } from 'vitest';
import { encodeAllowReserved, encodeStrict, ValueProblem } from './percent-encode.js';

const PRINTABLE_ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

/** The printable ASCII characters an encoder leaves as they are. */
function kept(encode: (text: string) => string): string {
  return PRINTABLE_ASCII.filter((c) => encode(c) === c).join('');
}

describe('encodeStrict', () => {
  it('keeps only RFC 3986 unreserved characters', () => {
    expect(kept(encodeStrict)).toBe('-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~');
  });

  it('throws a ValueProblem for a lone surrogate', () => {
    expect(() => encodeStrict('\uDC00')).toThrow(ValueProblem);
  });
});

describe('encodeAllowReserved', () => {
  it('keeps reserved characters allowed in a query, encodes those with a meaning in forms', () => {
    expect(kept(encodeAllowReserved)).toBe("!$'()*,-./0123456789:;?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~");
  });

  it('passes percent-encoded triples through and encodes a stray %', () => {
    expect(encodeAllowReserved('%41%4g%')).toBe('%41%254g%25');
  });
});
