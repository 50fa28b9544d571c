export { DEFAULT_IMAGE_TOKENS, TokenCounter, textUpperBound } from './token-counter.js';
export type { ChatPromptLike, CountOptions, TokenCount, TokenCounterOptions, TokenTarget } from './token-counter.js';
export { encodingForModel, ENCODINGS } from './model-encoding.js';
export type { EncodingName } from './model-encoding.js';
