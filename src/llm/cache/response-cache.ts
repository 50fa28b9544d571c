/** A final answer kept for replay. Shared by every hit: treat it, and its buffer, as read-only. */
export interface CachedAnswer {
  /** The final JSON answer as sent to the client (chat.completion, response, or embeddings list). */
  readonly body: Buffer;
  /** The same answer parsed, to replay it as SSE without parsing it per hit. */
  readonly json: object;
  readonly provider: string;
  readonly model: string;
  readonly usage: unknown;
  readonly storedAt: number;
}

export interface ResponseCacheOptions {
  /** Bound on the estimated memory of all entries (estimateEntryBytes). */
  maxBytes: number;
  /** Bound on one answer's body; larger answers are not stored. */
  maxEntryBytes: number;
  /** Clock for TTLs, in ms. Default: monotonic (performance.now), so wall-clock steps neither expire nor extend entries. */
  now?: () => number;
}

interface Entry {
  readonly value: CachedAnswer;
  readonly expiresAt: number;
  readonly bytes: number;
}

/**
 * Per-entry memory besides the answer bytes: the Map slot, the entry and answer records,
 * provider and model names, the usage object. A rough figure; it keeps a flood of tiny
 * answers from being counted as almost free.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

/**
 * The memory an entry is charged: its body twice (the bytes, and the parsed copy in `json`,
 * which V8 holds in about as much again for typical JSON), its key (hex, one byte a
 * character) and ENTRY_OVERHEAD_BYTES.
 */
export function estimateEntryBytes(key: string, bodyBytes: number): number {
  return bodyBytes * 2 + key.length + ENTRY_OVERHEAD_BYTES;
}

/**
 * The in-memory exact-match answer cache: a TTL per entry, and least-recently-used eviction
 * once the estimated memory passes maxBytes. Expired entries are never returned; they are
 * dropped when a get meets them, or evicted in their LRU turn (they count in `size` and
 * `bytes` until then).
 */
export class ResponseCache {
  // Map order is recency order: a hit is moved to the end, eviction takes from the front.
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(opts: ResponseCacheOptions) {
    for (const name of ['maxBytes', 'maxEntryBytes'] as const) {
      const v = opts[name];
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`ResponseCache ${name} must be a finite non-negative number, got ${v}`);
    }
    this.#maxBytes = opts.maxBytes;
    this.#maxEntryBytes = opts.maxEntryBytes;
    this.#now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Estimated memory held by the entries (estimateEntryBytes summed). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The answer under `key` if present and not expired; a hit becomes the most recently used (its TTL is unchanged). */
  get(key: string): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.#now() >= entry.expiresAt) {
      this.#bytes -= entry.bytes;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores `value` for ttlMs (replacing any entry under `key`) and evicts the least recently
   * used entries until the total fits maxBytes. Returns false, changing nothing, when the
   * body is over maxEntryBytes or the entry alone would not fit maxBytes.
   */
  set(key: string, value: CachedAnswer, ttlMs: number): boolean {
    if (!(ttlMs > 0)) throw new RangeError(`ResponseCache TTL must be a positive number of ms, got ${ttlMs}`);
    const size = value.body.byteLength;
    const bytes = estimateEntryBytes(key, size);
    if (size > this.#maxEntryBytes || bytes > this.#maxBytes) return false;
    this.delete(key);
    this.#entries.set(key, { value: ownMemory(value), expiresAt: this.#now() + ttlMs, bytes });
    this.#bytes += bytes;
    this.#evict();
    return true;
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #evict(): void {
    // Deleting the entry being visited is safe in Map iteration. The newest entry fits
    // maxBytes by itself (checked in set), so the loop stops before reaching it.
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) return;
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
    }
  }
}

/**
 * Node hands out small Buffers (Buffer.concat, Buffer.from of under 4 KiB) as slices of a
 * shared 8 KiB pool, and any Buffer may be a view into a larger read buffer. Kept for a TTL,
 * such a slice would pin the whole allocation while being charged only its own length, so
 * the body is copied into memory of its own; a Buffer that already owns its memory is kept as is.
 */
function ownMemory(value: CachedAnswer): CachedAnswer {
  const body = value.body;
  if (body.byteLength === body.buffer.byteLength) return value;
  const own = Buffer.allocUnsafeSlow(body.byteLength);
  body.copy(own);
  return { ...value, body: own };
}
