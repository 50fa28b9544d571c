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
 * merge, so a single piece costs quadratic time: 16,000 repeated CJK characters took over a
 * second in bench/tokenizer.mjs (js-tiktoken: 42 s for 8,000). Natural text has short
 * pieces; a text with a piece longer than this is counted by its UTF-8 length instead.
 */
export const LONG_PIECE_CHARS = 256;

/**
 * Every piece of both encodings' split patterns is a letter run (one leading character
 * aside) whose characters are neither digits nor whitespace, or a run of characters that
 * are neither letters nor digits (punctuation, whitespace, the newlines and slashes that
 * may trail punctuation). A piece longer than LONG_PIECE_CHARS therefore contains such a
 * run of that length. Each alternative needs the character before the run to be outside
 * the run's class, so the scan stays linear: positions inside a run fail at once.
 */
const SUSPECT_RUN = new RegExp(
  `(?:^|[\\p{N}\\s])[^\\p{N}\\s]{${LONG_PIECE_CHARS}}|(?:^|[\\p{L}\\p{N}])[^\\p{L}\\p{N}]{${LONG_PIECE_CHARS}}`,
  'u',
);

/**
 * True when the encoding's own split pattern yields a piece over LONG_PIECE_CHARS. The
 * cheap class scan rules out almost every text; only the rest (minified code, long
 * unbroken words) pays for the exact split.
 */
export function hasLongPiece(text: string, splitPattern: RegExp): boolean {
  if (text.length <= LONG_PIECE_CHARS || !SUSPECT_RUN.test(text)) return false;
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

/** Special-token strings in prompts are counted as plain text, as the API treats user text. */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

async function importEncoding(encoding: EncodingName): Promise<EncodingCounter> {
  // Each import builds a 200k- or 100k-entry vocabulary (about 130 / 75 ms and 20 / 10 MB of
  // heap, bench/tokenizer.mjs), so nothing is imported before a count needs it.
  const [api, patterns] = await Promise.all([
    encoding === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base'),
    import('gpt-tokenizer/encodingParams/constants'),
  ]);
  const tokenizer = api.default;
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

/** The encoder if it is already imported (lets callers skip an await on the hot path). */
export function loadedEncoder(encoding: EncodingName): EncodingCounter | undefined {
  return loaded.get(encoding);
}
