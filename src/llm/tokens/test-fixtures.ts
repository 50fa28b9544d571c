/**
 * Seeded generators for the token tests: texts that mix what tokenizers find hard (accents,
 * combining marks, CJK, emoji with joiners and flags, lone surrogates, special-token strings,
 * contractions, runs of whitespace and newlines, digits, code punctuation).
 */
const FRAGMENTS = [
  'the', ' quick', ' brown', 'Fox', "'s", "'LL", ' ', '  ', '\t', '\n', '\r\n', '\n\n  \n', '   \n', '0', '12', '3456789',
  'é', 'ß', 'e\u0301', 'Ω', 'naïve', '中文', '日本語のテキスト', '한국어', 'Привет', 'مرحبا', '😀', '👩‍👩‍👧', '🇫🇷', '\ud800',
  '<|endoftext|>', '<|im_start|>', '<|fim_prefix|>', '{', '}', '();', '=>', '//', '/*', '*/', '...', '!!', '??', '$', '#',
  'const x = 1;', 'function f(a, b) {', '  return a + b;', '}', 'https://example.com/a/b?c=d', '"key": "value",',
];

/** mulberry32: small, fast and deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomText(random: () => number, maxFragments: number): string {
  const n = Math.floor(random() * maxFragments);
  let s = '';
  for (let i = 0; i < n; i++) {
    if (random() < 0.15) s += String.fromCodePoint(Math.floor(random() * 0x2ffff));
    else s += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
  }
  return s;
}
