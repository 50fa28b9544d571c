export { DEFAULT_IMAGE_TOKENS, TokenCounter, textUpperBound } from './token-counter.js';
export type { ChatPromptLike, CountOptions, TokenCount, TokenCounterOptions, TokenTarget } from './token-counter.js';
export { encodingForModel, ENCODINGS } from './model-encoding.js';
export type { EncodingName } from './model-encoding.js';
export { sharedTokenizer, TokenizerThread } from './tokenizer-thread.js';
export type { ExactTokenizer } from './tokenizer-thread.js';
