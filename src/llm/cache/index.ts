export { cacheKey, MAX_KEYED_DEPTH } from './cache-key.js';
export type { CacheEndpoint, CacheKeyInput, CacheScope } from './cache-key.js';
export { isCacheable } from './is-cacheable.js';
export { ENTRY_OVERHEAD_BYTES, estimateEntryBytes, ResponseCache } from './response-cache.js';
export type { CachedAnswer, ResponseCacheOptions } from './response-cache.js';
