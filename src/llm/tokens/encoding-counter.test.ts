import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { hasLongPiece, loadedEncodings, loadEncoder, LONG_PIECE_CHARS } from './encoding-counter.js';
import { EstimateFlag } from './estimate-flags.js';
import type { EncodingName } from './model-encoding.js';
import { randomText, seededRandom } from './test-fixtures.js';

/** js-tiktoken is the reference: OpenAI's encodings, ported from tiktoken. */
const reference: Record<EncodingName, Tiktoken> = { o200k_base: new Tiktoken(o200k), cl100k_base: new Tiktoken(cl100k) };
const referenceCount = (encoding: EncodingName, text: string) => reference[encoding].encode(text, [], []).length;

const KNOWN = [
  'Hello, world!',
  "It's the customer's call: we'll see, they'd said, and THEY'LL agree.",
  'Ünïcödé façade, naïve café, straße, e\u0301 (combining), ǅ titlecase',
  '中文文本，日本語のテキスト、한국어 텍스트。',
  'Emoji: 😀👍🏽 family 👩‍👩‍👧 flag 🇫🇷 keycap 1️⃣',
  'Special tokens as text: <|endoftext|> <|im_start|>user<|im_sep|> <|fim_prefix|>',
  'export function add(a: number, b: number): number {\n  return a + b; // sum\n}\n\n\n    \n\t\tindent\r\n',
  '12345678901234567890 3.14159 1e-9 0x1F $1,000.00',
  '   leading and trailing spaces   ',
  '\n\n\n',
  'https://example.com/path/to/page?query=value&other=1#frag',
  '{"role":"user","content":"hi","nested":{"a":[1,2,3]}}',
];

describe.each(['o200k_base', 'cl100k_base'] as const)('%s counts', (encoding) => {
  it('is imported on first use only', async () => {
    expect(loadedEncodings()).not.toContain(encoding);
    const encoder = await loadEncoder(encoding);
    expect(loadedEncodings()).toContain(encoding);
    expect(await loadEncoder(encoding)).toBe(encoder);
  });

  it("equal js-tiktoken's on known inputs (multilingual, emoji, code, special-token strings, whitespace)", async () => {
    const encoder = await loadEncoder(encoding);
    for (const text of KNOWN) expect(encoder.count(text), JSON.stringify(text)).toEqual({ tokens: referenceCount(encoding, text), flags: 0 });
    expect(encoder.count('')).toEqual({ tokens: 0, flags: 0 });
  });

  it("equal js-tiktoken's on 1,000 generated texts (those with U+FEFF or U+0085 aside)", async () => {
    const encoder = await loadEncoder(encoding);
    const random = seededRandom(encoding === 'o200k_base' ? 1 : 2);
    for (let i = 0; i < 1000; i++) {
      const text = randomText(random, 40).replace(/[\uFEFF\u0085]/g, '');
      expect(encoder.count(text), JSON.stringify(text)).toEqual({ tokens: referenceCount(encoding, text), flags: 0 });
    }
  });

  it('flags texts with U+FEFF or U+0085 as estimated, at no fewer tokens than js-tiktoken counts', async () => {
    // "\uFEFF" alone is one token in both encodings; gpt-tokenizer counts it as two (its BOM bug).
    const encoder = await loadEncoder(encoding);
    for (const text of ['\uFEFF', '\uFEFFimport x from "y";', 'a\uFEFF#b', 'line\u0085next', '#\uFEFF#\u0085#', 'x\uFEFF\uFEFF']) {
      const result = encoder.count(text);
      expect(result.flags, JSON.stringify(text)).toBe(EstimateFlag.UNICODE_WHITESPACE);
      expect(result.tokens, JSON.stringify(text)).toBeGreaterThanOrEqual(referenceCount(encoding, text));
      expect(result.tokens).toBeLessThanOrEqual(Buffer.byteLength(text));
    }
  });

  it('counts a text with one very long piece by its UTF-8 length, quickly, instead of tokenizing it', async () => {
    const encoder = await loadEncoder(encoding);
    const text = `Intro. ${'中'.repeat(200_000)} end`; // tokenizing this piece would take minutes
    const t0 = performance.now();
    const result = encoder.count(text);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(result).toEqual({ tokens: Buffer.byteLength(text), flags: EstimateFlag.LONG_PIECE });
  });
});

describe('hasLongPiece', () => {
  const split = /\p{L}+|\p{N}{1,3}|[^\s\p{L}\p{N}]+|\s+/gu;

  it('finds runs of letters, punctuation or whitespace longer than the limit', () => {
    const n = LONG_PIECE_CHARS + 1;
    for (const text of ['a'.repeat(n), `x ${'Ж'.repeat(n)} y`, '='.repeat(n), `a${' '.repeat(n)}b`]) expect(hasLongPiece(text, split)).toBe(true);
  });

  it('passes natural text, code and minified code whose pieces are short', () => {
    const minified = Array.from({ length: 200 }, (_, i) => `a${i}.b(c,d);`).join('');
    for (const text of ['a'.repeat(LONG_PIECE_CHARS), 'word '.repeat(1000), minified]) expect(hasLongPiece(text, split)).toBe(false);
  });

  it('scans a megabyte of short runs in well under a second (the guard itself must not be slow)', () => {
    const text = `${'a'.repeat(LONG_PIECE_CHARS - 10)}1`.repeat(4096);
    const t0 = performance.now();
    expect(hasLongPiece(text, split)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it("never misses a long piece of either encoding's real split pattern, on 2,000 generated texts with long runs", () => {
    const letters = ['a', 'Z', 'é', 'ж', 'λ', '中', 'か', '한', 'ا', 'ש', 'ก', 'क', '\u0301', 'ǅ', 'ª', '々'];
    const others = ['😀', '\ud800', '\u3000', '\u00a0', '\uFEFF', ' ', '\n', '\t', '-', '=', '/', "'", '。', '，', '！', '·', '×'];
    const digits = ['1', '٣', '²', 'Ⅻ'];
    const random = seededRandom(5);
    let long = 0;
    for (const pattern of [O200K_TOKEN_SPLIT_REGEX, CL100K_TOKEN_SPLIT_REGEX]) {
      for (let i = 0; i < 1000; i++) {
        const kind = random();
        const pool = kind < 0.4 ? letters : kind < 0.8 ? others : [...letters, ...others, ...digits];
        const chars = pool.filter(() => random() < 0.3);
        let text = '';
        const length = 200 + Math.floor(random() * 500);
        while (text.length < length) text += chars[Math.floor(random() * chars.length)] ?? 'a';
        const precise = [...text.matchAll(pattern)].some((m) => m[0].length > LONG_PIECE_CHARS);
        if (precise) {
          long++;
          expect(hasLongPiece(text, pattern), JSON.stringify(text)).toBe(true);
        } else expect(hasLongPiece(text, pattern)).toBe(false);
      }
    }
    expect(long).toBeGreaterThan(200); // the generator does produce long pieces
  });
});
