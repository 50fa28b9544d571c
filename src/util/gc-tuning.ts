import { setFlagsFromString } from 'node:v8';

/**
 * Old-generation growth for the gateway's process: after each full collection V8 lets the
 * heap grow to twice what survived before it collects again.
 *
 * Why: V8 starts marking whenever the room left under its old-generation limit is smaller
 * than the young generation. After an idle period it sets that limit as low as the live heap
 * plus 8 MB, while a gateway under load grows its young generation to 16 MB: the room is never
 * enough, so full collections follow each other (a 32 MB heap collected every 30 ms) until
 * the next idle period resets the limit. docs/benchmarks.md, "The cause of the episodes, and the
 * fix", measures it.
 * With the heap allowed to double, the room is the live heap (about 30 MB), above 16 MB.
 * V8 reads this flag whenever it computes the limit, so setting it at start-up is enough.
 */
export const HEAP_GROWING_PERCENT = 100;

export function tuneGarbageCollector(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
