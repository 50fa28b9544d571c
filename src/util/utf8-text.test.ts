import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { utf8Text } from './utf8-text.js';

const strict = (b: Buffer): string | null => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return null;
  }
};

describe('utf8Text', () => {
  it('decodes exactly as the strict TextDecoder: ASCII, Latin-1, CJK, emoji, BOM, NUL', () => {
    const texts = ['', 'plain {"a":1}', 'µs → ±5 °C', '日本語のテキスト', 'emoji 😀 and 𝄞', '\ufeff{"bom":true}', 'inner \ufeff mark', 'nul\u0000byte', 'é'.repeat(40_000)];
    for (const t of texts) {
      const b = Buffer.from(t, 'utf8');
      expect(utf8Text(b)).toBe(strict(b));
    }
    expect(utf8Text(Buffer.from('\ufeff{}', 'utf8'))).toBe('{}');
  });

  it('refuses what is not UTF-8 (overlong, lone continuation, truncated, encoded surrogate) with null', () => {
    const bad = [[0xc0, 0xaf], [0x80], [0x61, 0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff]];
    for (const bytes of bad) {
      const b = Buffer.from([0x7b, ...bytes, 0x7d]);
      expect(strict(b)).toBeNull();
      expect(utf8Text(b)).toBeNull();
    }
  });

  it('agrees with the strict decoder on random bytes and on random valid text', () => {
    for (let i = 0; i < 500; i++) {
      const b = randomBytes(1 + (i % 64));
      expect(utf8Text(b)).toBe(strict(b));
      const points = Array.from({ length: 1 + (i % 50) }, (_, k) => (i * 7919 + k * 104729) % 0x10ffff);
      const t = String.fromCodePoint(...points.map((cp) => (cp >= 0xd800 && cp <= 0xdfff ? 0x41 : cp)));
      const v = Buffer.from(t, 'utf8');
      expect(utf8Text(v)).toBe(strict(v));
    }
  });
});
