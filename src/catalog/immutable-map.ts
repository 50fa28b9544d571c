/**
 * A Map that refuses changes after construction. Object.freeze does not stop Map#set, and
 * the catalog is shared by every in-flight request, so mutation must fail loudly.
 */
export class ImmutableMap<K, V> extends Map<K, V> {
  constructor(entries: Iterable<readonly [K, V]> = []) {
    super();
    for (const [k, v] of entries) super.set(k, v);
    Object.freeze(this);
  }
  override set(): this {
    throw new TypeError('the catalog is immutable');
  }
  override delete(): boolean {
    throw new TypeError('the catalog is immutable');
  }
  override clear(): void {
    throw new TypeError('the catalog is immutable');
  }
}
