import type { EncodingName } from './model-encoding.js';

/**
 * Main → tokenizer thread: count `texts` in `encoding` (tuples, like the audit writer's
 * messages: an array clones faster than an object with named keys). `texts: null` only
 * loads the encoding; `encoding: null` asks which encodings are loaded.
 */
export type TokenizeMsg = [id: number, encoding: EncodingName | null, texts: string[] | null];

/**
 * Tokenizer thread → main: per text its tokens and its EstimateFlag bits, or why the count
 * failed; `loaded` answers a question about loaded encodings.
 */
export type TokenizedMsg = [id: number, tokens: number[] | null, flags: number[] | null, error: string | null, loaded?: EncodingName[]];
