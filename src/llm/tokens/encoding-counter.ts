import type { Measured } from './chat-prompt.js';
import { EstimateFlag } from './estimate-flags.js';
import type { EncodingName } from './model-encoding.js';

export interface EncodingCounter {
  readonly encoding: EncodingName;
  /** Tokens of one text; flags (EstimateFlag) say why the count is not exact. */
  count(text: string): Measured;
}

/**
 * gpt-tokenizer merges the bytes of each regex piece by rescanning the whole piece per
 * merge, so a single piece costs quadratic time: 16,000 repeated CJK characters took a
 * second in bench/tokenizer.mjs (js-tiktoken: over 2 s for 2,000). Natural text has short
 * pieces; a text with a piece longer than this is counted by its UTF-8 length instead.
 */
export const LONG_PIECE_CHARS = 256;

/**
 * Every piece of both encodings' split patterns is either a letter piece (one leading
 * character, a run of letters and marks, a contraction suffix of at most 3 characters) or a
 * run of characters that are neither letters nor digits (punctuation, whitespace, the
 * newlines and slashes that may trail punctuation); digits come in threes. So a piece over
 * LONG_PIECE_CHARS needs a letter run of LONG_PIECE_CHARS - 4 or a non-letter, non-digit
 * run of LONG_PIECE_CHARS. This scan over-approximates both runs (outside ASCII, a character
 * ends a run only if it is surely not in it) at a few ns per character; a Unicode-property
 * regex doing the same cost about 70 ns, more than tokenizing.
 */
function mayHaveLongPiece(text: string): boolean {
  let letters = 0;
  let others = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      const lower = c | 0x20;
      if (lower >= 0x61 && lower <= 0x7a) {
        others = 0;
        if (++letters >= LONG_PIECE_CHARS - 4) return true;
      } else if (c >= 0x30 && c <= 0x39) {
        letters = 0;
        others = 0;
      } else {
        letters = 0;
        if (++others >= LONG_PIECE_CHARS) return true;
      }
      continue;
    }
    if (isSurelyNotLetter(c)) letters = 0;
    else if (++letters >= LONG_PIECE_CHARS - 4) return true;
    if (isSurelyLetter(c)) others = 0;
    else if (++others >= LONG_PIECE_CHARS) return true;
  }
  return false;
}

/** Common letters outside ASCII (all of Unicode's category L): Latin, Greek, Cyrillic, Hebrew, Arabic, kana, CJK, Hangul. */
function isSurelyLetter(c: number): boolean {
  return (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7)
    || (c >= 0x391 && c <= 0x3a1) || (c >= 0x3a3 && c <= 0x3c9)
    || (c >= 0x410 && c <= 0x44f)
    || (c >= 0x5d0 && c <= 0x5ea)
    || (c >= 0x621 && c <= 0x63a) || (c >= 0x641 && c <= 0x64a)
    || (c >= 0x3041 && c <= 0x3096) || (c >= 0x30a1 && c <= 0x30fa)
    || (c >= 0x4e00 && c <= 0x9fff)
    || (c >= 0xac00 && c <= 0xd7a3);
}

/** Common non-letters outside ASCII: Latin-1 punctuation, general punctuation and spaces, CJK and fullwidth punctuation. */
function isSurelyNotLetter(c: number): boolean {
  return (c >= 0x80 && c <= 0xa9) || (c >= 0xab && c <= 0xb4) || (c >= 0xb6 && c <= 0xb9) || (c >= 0xbb && c <= 0xbf) || c === 0xd7 || c === 0xf7
    || (c >= 0x2000 && c <= 0x206f)
    || (c >= 0x3000 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3020)
    || (c >= 0xff01 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65);
}

/**
 * True when the encoding's own split pattern yields a piece over LONG_PIECE_CHARS. The
 * scan above rules out almost every text; only the rest (long words, long runs of
 * punctuation or blank lines, unspaced scripts it does not know) pays for the exact split.
 */
export function hasLongPiece(text: string, splitPattern: RegExp): boolean {
  if (text.length <= LONG_PIECE_CHARS - 4 || !mayHaveLongPiece(text)) return false;
  for (const match of text.matchAll(splitPattern)) if (match[0].length > LONG_PIECE_CHARS) return true;
  return false;
}

/**
 * JavaScript's \s matches U+FEFF and not U+0085; tiktoken's regex engine (Unicode White_Space)
 * does the opposite, so around these two characters the pieces, and so the counts, of both
 * JavaScript libraries can differ from OpenAI's. gpt-tokenizer also misreads tokens that
 * start with U+FEFF (its byte-to-string table loses a leading byte-order mark), which the
 * tests caught against js-tiktoken.
 */
const WHITESPACE_DISAGREEMENT = /[\uFEFF\u0085]/;
const WHITESPACE_DISAGREEMENT_ALL = /[\uFEFF\u0085]/g;

/**
 * Counts the text between those characters and charges each one its UTF-8 length, an
 * estimate that stays within the text's UTF-8 length (the upper bound).
 */
function countAround(text: string, count: (t: string) => number): Measured {
  let tokens = 0;
  let start = 0;
  for (const match of text.matchAll(WHITESPACE_DISAGREEMENT_ALL)) {
    if (match.index > start) tokens += count(text.slice(start, match.index));
    tokens += Buffer.byteLength(match[0], 'utf8');
    start = match.index + match[0].length;
  }
  if (start < text.length) tokens += count(text.slice(start));
  return { tokens, flags: EstimateFlag.UNICODE_WHITESPACE };
}

/**
 * gpt-tokenizer remembers the tokens of recent pieces (100,000 by default). Pieces are at
 * most LONG_PIECE_CHARS long here, so 20,000 keeps that memory near 10 MB at worst; on a
 * megabyte of text never seen before it counted as fast as 100,000 (bench/tokenizer.mjs).
 */
const MERGE_CACHE_ENTRIES = 20_000;

/** Special-token strings in prompts are counted as plain text, as the API treats user text. */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

async function importEncoding(encoding: EncodingName): Promise<EncodingCounter> {
  // Each import builds a 200k- or 100k-entry vocabulary (about 130 / 70 ms and 20 / 10 MB of
  // heap, bench/tokenizer.mjs), so nothing is imported before a count needs it.
  const [api, patterns] = await Promise.all([
    encoding === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base'),
    import('gpt-tokenizer/encodingParams/constants'),
  ]);
  const tokenizer = api.default;
  tokenizer.setMergeCacheSize(MERGE_CACHE_ENTRIES);
  const split = encoding === 'o200k_base' ? patterns.O200K_TOKEN_SPLIT_REGEX : patterns.CL100K_TOKEN_SPLIT_REGEX;
  return {
    encoding,
    count(text: string): Measured {
      if (text.length === 0) return { tokens: 0, flags: 0 };
      if (hasLongPiece(text, split)) return { tokens: Buffer.byteLength(text, 'utf8'), flags: EstimateFlag.LONG_PIECE };
      if (WHITESPACE_DISAGREEMENT.test(text)) return countAround(text, (t) => tokenizer.countTokens(t, AS_PLAIN_TEXT));
      return { tokens: tokenizer.countTokens(text, AS_PLAIN_TEXT), flags: 0 };
    },
  };
}

const loading = new Map<EncodingName, Promise<EncodingCounter>>();
const loaded = new Map<EncodingName, EncodingCounter>();

/** The encoder, imported on first use; concurrent first uses share one import. */
export function loadEncoder(encoding: EncodingName): Promise<EncodingCounter> {
  let pending = loading.get(encoding);
  if (pending === undefined) {
    pending = importEncoding(encoding).then(
      (encoder) => {
        loaded.set(encoding, encoder);
        return encoder;
      },
      (err: unknown) => {
        loading.delete(encoding); // let a later call try again
        throw err;
      },
    );
    loading.set(encoding, pending);
  }
  return pending;
}

/** The encodings imported so far. */
export function loadedEncodings(): EncodingName[] {
  return [...loaded.keys()];
}
