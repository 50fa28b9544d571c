/**
 * The calls an agent made most recently, oldest dropped first, in a fixed ring. Each call has a
 * sequence number (0, 1, 2... for the life of the ring) and a link to the previous call with the
 * same key, so "the last n identical calls" is a walk of n steps, never a scan.
 *
 * The index from key to its latest call holds only keys still in the ring, so memory is bounded
 * by the capacity however many distinct calls an agent makes.
 */
export class CallRing {
  #capacity: number;
  #ids: (string | undefined)[];
  #keys: (string | undefined)[];
  #ats: Float64Array;
  #prevSame: Float64Array;
  #first = 0;
  #next = 0;
  readonly #latest = new Map<string, number>();

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#ids = new Array<string | undefined>(capacity);
    this.#keys = new Array<string | undefined>(capacity);
    this.#ats = new Float64Array(capacity);
    this.#prevSame = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Calls held. */
  get size(): number {
    return this.#next - this.#first;
  }

  /** Sequence number of the oldest call held (equals nextSeq when empty). */
  get firstSeq(): number {
    return this.#first;
  }

  /** Sequence number the next pushed call gets. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Distinct keys held (for tests of the bound). */
  get keyCount(): number {
    return this.#latest.size;
  }

  holds(seq: number): boolean {
    return seq >= this.#first && seq < this.#next;
  }

  // The accessors below take a sequence number the caller has checked with holds().
  idAt(seq: number): string {
    return this.#ids[seq % this.#capacity] as string;
  }

  keyAt(seq: number): string {
    return this.#keys[seq % this.#capacity] as string;
  }

  atOf(seq: number): number {
    return this.#ats[seq % this.#capacity] as number;
  }

  /** The latest held call with this key, or -1. */
  latestOf(key: string): number {
    return this.#latest.get(key) ?? -1;
  }

  /** The previous held call with the same key as `seq`, or -1. */
  previousSame(seq: number): number {
    const prev = this.#prevSame[seq % this.#capacity] as number;
    return prev >= this.#first ? prev : -1;
  }

  /** Appends a call, dropping the oldest when full. */
  push(id: string, key: string, at: number): void {
    if (this.size === this.#capacity) this.#dropOldest();
    const seq = this.#next++;
    const slot = seq % this.#capacity;
    this.#ids[slot] = id;
    this.#keys[slot] = key;
    this.#ats[slot] = at;
    this.#prevSame[slot] = this.#latest.get(key) ?? -1;
    this.#latest.set(key, seq);
  }

  /** Drops the calls made at or before `cutoff` (calls are pushed in time order). */
  dropUntil(cutoff: number): void {
    while (this.#first < this.#next && (this.#ats[this.#first % this.#capacity] as number) <= cutoff) this.#dropOldest();
  }

  clear(): void {
    while (this.#first < this.#next) this.#dropOldest();
  }

  /** Grows the ring to hold `capacity` calls, keeping what it holds. */
  grow(capacity: number): void {
    if (capacity <= this.#capacity) return;
    const ids = new Array<string | undefined>(capacity);
    const keys = new Array<string | undefined>(capacity);
    const ats = new Float64Array(capacity);
    const prevSame = new Float64Array(capacity);
    for (let seq = this.#first; seq < this.#next; seq++) {
      const from = seq % this.#capacity;
      const to = seq % capacity;
      ids[to] = this.#ids[from];
      keys[to] = this.#keys[from];
      ats[to] = this.#ats[from] as number;
      prevSame[to] = this.#prevSame[from] as number;
    }
    this.#capacity = capacity;
    this.#ids = ids;
    this.#keys = keys;
    this.#ats = ats;
    this.#prevSame = prevSame;
  }

  #dropOldest(): void {
    const seq = this.#first++;
    const slot = seq % this.#capacity;
    const key = this.#keys[slot] as string;
    if (this.#latest.get(key) === seq) this.#latest.delete(key);
    // Release the strings: an idle agent's ring should not pin its last requests' ids.
    this.#ids[slot] = undefined;
    this.#keys[slot] = undefined;
  }
}

// The ring keys a call by target and digest together. The target's length goes first, so no
// two (target, digest) pairs share a key whatever characters either holds.
export function callKey(target: string, digest: string): string {
  return target.length + ':' + target + digest;
}

export function targetOf(key: string): string {
  const colon = key.indexOf(':');
  return key.slice(colon + 1, colon + 1 + Number(key.slice(0, colon)));
}
